//! The server loop under [`crate::serve`] and the tests' `test_support::start`: it
//! accepts connections itself, so that a hostile or careless client on the same network
//! cannot take the server down (see [`crate::guard`] for the checks, and the limits).
//!
//! `axum::serve` would be shorter, but it has no timeout for a client that connects and
//! sends nothing, or sends its headers one byte a second; this loop gives every
//! connection [`HEADER_TIMEOUT`] to send its first request (TLS handshake included),
//! and hyper's `header_read_timeout` the same for each later request on it.

use std::{
    convert::Infallible,
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{Router, body::Body, extract::ConnectInfo};
use hyper::{Request, Response, body::Incoming};
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto::Builder,
};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::watch,
};
use tower_service::Service;

use crate::guard::{Guard, Limits, Slot};

/// How long a new connection has to send its first request's head (request line and
/// headers), TLS handshake included; also how long a kept-alive connection may stay
/// silent, or take to send a later request's head. Beyond it, the connection is closed.
/// A browser sends a head in one go, in milliseconds; a client that connects and sends
/// nothing, or a byte a second ("slowloris"), only holds a connection this long.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long open connections get to finish after Ctrl-C.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// A chapter's server, ready to run on a listener: [`crate::serve`] runs one with the
/// workbook's limits, and the tests run one with tighter ones.
///
/// ```no_run
/// # async fn example(app: axum::Router) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// shared::Server::new(app)
///     .allowed_origins(["http://teacher.local:3000"])
///     .run(listener)
///     .await
/// # }
/// ```
pub struct Server {
    app: Router,
    limits: Limits,
    allowed_origins: Vec<String>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
    grace: Duration,
}

impl Server {
    /// `app` with the workbook's [`Limits`], no extra origins, plain HTTP, running until
    /// the task is dropped.
    pub fn new(app: Router) -> Self {
        Self {
            app,
            limits: Limits::default(),
            allowed_origins: Vec::new(),
            tls: None,
            shutdown: Box::pin(std::future::pending()),
            grace: SHUTDOWN_GRACE,
        }
    }

    /// Other limits than [`Limits::default`].
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Origins, besides the page's own, whose pages may open a WebSocket or Socket.IO
    /// connection (such as `http://192.168.1.20:3000`): what `ALLOWED_ORIGINS` sets.
    pub fn allowed_origins<S: AsRef<str>>(mut self, origins: impl IntoIterator<Item = S>) -> Self {
        self.allowed_origins = origins
            .into_iter()
            .filter_map(|origin| crate::guard::normalize_origin(origin.as_ref()))
            .collect();
        self
    }

    /// Serves HTTPS with this rustls configuration.
    pub(crate) fn tls(mut self, config: Arc<rustls::ServerConfig>) -> Self {
        self.tls = Some(tokio_rustls::TlsAcceptor::from(config));
        self
    }

    /// Stops accepting when `signal` resolves; open connections then get `grace` to
    /// finish.
    pub fn shutdown_on(
        mut self,
        signal: impl Future<Output = ()> + Send + 'static,
        grace: Duration,
    ) -> Self {
        self.shutdown = Box::pin(signal);
        self.grace = grace;
        self
    }

    /// Accepts connections on `listener` and serves each, until the shutdown signal.
    pub async fn run(self, listener: TcpListener) -> std::io::Result<()> {
        let Server {
            app,
            limits,
            allowed_origins,
            tls,
            mut shutdown,
            grace,
        } = self;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let header_timeout = limits.header_timeout;
        let guard = Guard::new(limits, allowed_origins, scheme);
        let mut builder = Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout);
        builder.http2().timer(TokioTimer::new());
        let shared = Arc::new(Shared {
            app,
            guard,
            builder,
            tls,
            header_timeout,
        });

        // `stop` tells each connection to finish its request and close; `open` is held
        // by each connection, so `open_tx.closed()` resolves when the last one ends.
        let (stop_tx, stop_rx) = watch::channel(false);
        let (open_tx, open_rx) = watch::channel(());
        loop {
            let (tcp, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Most often no file descriptor is left: wait for some to close
                        // rather than spin.
                        shared.guard.accept_failed(&error);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            // Beyond a limit, the connection is closed at once (dropped here).
            let Some(slot) = shared.guard.admit(peer.ip()) else {
                continue;
            };
            // Chat messages are small: send each at once rather than wait to batch them
            // (Nagle's algorithm held some back by about 40 ms).
            let _ = tcp.set_nodelay(true);
            tokio::spawn(connection(
                shared.clone(),
                Counted {
                    tcp,
                    _slot: slot,
                    _open: open_rx.clone(),
                },
                peer,
                stop_rx.clone(),
                open_rx.clone(),
            ));
        }
        drop(listener);
        let _ = stop_tx.send(true);
        drop(open_rx);
        // Graceful shutdown waits for open requests; a long-polling Socket.IO request
        // can wait for a long time, so give up waiting after `grace`.
        let _ = tokio::time::timeout(grace, open_tx.closed()).await;
        Ok(())
    }
}

/// Serves `app` on `listener` as [`crate::serve`] does (with the same protections),
/// without its start-up messages: what the tests' `test_support::start` runs.
pub async fn serve_listener(listener: TcpListener, app: Router) -> std::io::Result<()> {
    Server::new(app).run(listener).await
}

/// What every connection task shares.
struct Shared {
    app: Router,
    guard: Arc<Guard>,
    builder: Builder<TokioExecutor>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    header_timeout: Duration,
}

/// One connection: TLS if asked, then HTTP until the client or the server closes it.
async fn connection(
    shared: Arc<Shared>,
    tcp: Counted,
    peer: SocketAddr,
    stop: watch::Receiver<bool>,
    _open: watch::Receiver<()>,
) {
    let deadline = tokio::time::Instant::now() + shared.header_timeout;
    match shared.tls.clone() {
        None => http(&shared, TokioIo::new(tcp), peer, deadline, stop).await,
        Some(acceptor) => match tokio::time::timeout_at(deadline, acceptor.accept(tcp)).await {
            Ok(Ok(tls)) => http(&shared, TokioIo::new(tls), peer, deadline, stop).await,
            Ok(Err(error)) => tracing::debug!(%peer, "TLS handshake failed: {error}"),
            Err(_) => tracing::debug!(%peer, "no TLS handshake in time: closed"),
        },
    }
}

/// HTTP/1.1 or HTTP/2 on one connection, WebSocket upgrades included.
async fn http<I>(
    shared: &Arc<Shared>,
    io: I,
    peer: SocketAddr,
    deadline: tokio::time::Instant,
    mut stop: watch::Receiver<bool>,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    // hyper's `header_read_timeout` starts only once it knows the protocol, which takes
    // 24 bytes; this deadline covers a client that sends fewer, or nothing at all.
    let started = Arc::new(AtomicBool::new(false));
    let service = {
        let shared = shared.clone();
        let started = started.clone();
        hyper::service::service_fn(move |request: Request<Incoming>| {
            started.store(true, Ordering::Relaxed);
            let shared = shared.clone();
            async move { Ok::<_, Infallible>(shared.answer(request, peer).await) }
        })
    };
    let connection = shared.builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(connection);
    let first_request = tokio::time::sleep_until(deadline);
    tokio::pin!(first_request);
    let (mut waiting_for_first, mut stopping) = (true, false);
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%peer, "connection ended: {error}");
                }
                return;
            }
            () = &mut first_request, if waiting_for_first => {
                if !started.load(Ordering::Relaxed) {
                    tracing::debug!(%peer, "no request within {:?}: closed", shared.header_timeout);
                    return;
                }
                waiting_for_first = false;
            }
            _ = stop.changed(), if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

impl Shared {
    /// One request: refused by the guard, or answered by the chapter.
    async fn answer(&self, request: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        if let Some(refusal) = self.guard.check(&request, peer.ip()) {
            return refusal;
        }
        let mut request = request.map(Body::new);
        own_head(&mut request);
        request.extensions_mut().insert(ConnectInfo(peer));
        let mut app = self.app.clone();
        match app.call(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}

/// Gives a request its own copy of its URI and header values.
///
/// hyper does not copy them: they are slices of the connection's read buffer (8 to
/// 16 KiB), and a slice keeps the whole buffer alive. A Socket.IO session keeps its
/// request's URI and headers for as long as it lives (`socket.req_parts()`), and with
/// them that buffer: 16 KiB per connection, a third of what each Socket.IO connection
/// cost (`just bench` and `notes/appendix-how-far.md`). A few hundred bytes of copies
/// let the buffer go once the connection is upgraded.
fn own_head<B>(request: &mut Request<B>) {
    if let Ok(uri) = request.uri().to_string().parse() {
        *request.uri_mut() = uri;
    }
    for value in request.headers_mut().values_mut() {
        if let Ok(mut copy) = hyper::header::HeaderValue::from_bytes(value.as_bytes()) {
            copy.set_sensitive(value.is_sensitive());
            *value = copy;
        }
    }
}

/// A TCP connection that holds its place in the connection count until it is dropped,
/// also after a WebSocket upgrade has taken it over; and holds `open` as well, so that a
/// stopping server gives its WebSockets [`SHUTDOWN_GRACE`] to send their close frames.
struct Counted {
    tcp: TcpStream,
    _slot: Slot,
    _open: watch::Receiver<()>,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// Over HTTPS, a client that connects and sends nothing, or only the start of a TLS
    /// handshake, is closed after the header timeout too.
    #[tokio::test]
    async fn a_stalled_tls_handshake_is_closed_in_time() {
        let tls = crate::https::self_signed().await.unwrap();
        let limits = Limits {
            header_timeout: Duration::from_secs(1),
            ..Limits::default()
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = Server::new(Router::new())
            .limits(limits)
            .tls(tls.get_inner());
        tokio::spawn(server.run(listener));

        let silent = TcpStream::connect(address).await.unwrap();
        // A TLS record header announcing a ClientHello that never comes.
        let mut partial = TcpStream::connect(address).await.unwrap();
        partial
            .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
            .await
            .unwrap();
        let opened = Instant::now();
        for mut stream in [silent, partial] {
            let mut buffer = [0u8; 64];
            let read = tokio::time::timeout(Duration::from_secs(4), stream.read(&mut buffer)).await;
            assert!(matches!(read, Ok(Ok(0) | Err(_))), "still open: {read:?}");
            let open_for = opened.elapsed();
            assert!(open_for > Duration::from_millis(800), "{open_for:?}");
        }
    }
}
