//! What keeps a chapter standing in a classroom, where anyone on the same network can
//! reach it: a page on another site must not open a WebSocket or Socket.IO connection
//! to it, and one client (careless or hostile) must not hold all its connections or
//! make it keep an unbounded number of Socket.IO sessions.
//!
//! The bounds, per client address (an IPv6 client counts by its /64 network, since one
//! machine can have many addresses there):
//!
//! - at most [`MAX_CONNECTIONS_PER_ADDRESS`] connections open, and [`MAX_CONNECTIONS`]
//!   in all (kept below the process's file descriptor limit); beyond, a new connection
//!   is closed at once;
//! - at most [`HANDSHAKES_PER_SECOND`] new Socket.IO sessions a second, after a burst of
//!   [`HANDSHAKE_BURST`]; beyond, `429 Too Many Requests`. A session that never
//!   connects lives about 45 s (socketioxide's ping interval and timeout) and holds
//!   about 13.5 KB, so one address can make the server hold at most about
//!   20 + 10 × 45 = 470 of them, 6-7 MB;
//! - each connection gets [`crate::HEADER_TIMEOUT`] to send a request's head.
//!
//! The per-address bounds leave this machine's own clients alone by default (the
//! instructor's browser, `just bench` with its thousand clients, the tests): see
//! [`Limits::limit_loopback`].

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv6Addr},
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use axum::body::Body;
use hyper::{Request, Response, StatusCode, header};

use crate::log_safe;

/// Most connections open at once, all clients together; a new one beyond it is closed
/// at once. At start-up the server also keeps it [`RESERVED_DESCRIPTORS`] below the
/// process's limit of open files (raising that limit when the system allows), so that
/// the server never fails to open a file or to accept an honest client because a
/// flood used every descriptor. A classroom of 40, with a few tabs each, needs a few
/// hundred.
pub const MAX_CONNECTIONS: usize = 2048;

/// File descriptors kept free for everything but client connections: the listening
/// socket, files read from disk (pages, scripts), Redis, logs.
pub const RESERVED_DESCRIPTORS: usize = 64;

/// Most connections open at once from one client address. A browser opens up to six
/// HTTP connections to a server, plus one for each WebSocket (each tab of a chat): 64
/// leaves room for a dozen tabs in two browsers.
pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 64;

/// New Socket.IO sessions (Engine.IO handshakes: a request to `/socket.io/` without
/// `sid=`) one address may open each second, after a burst of [`HANDSHAKE_BURST`].
/// A page opens one when it loads, and one more each time it reconnects.
pub const HANDSHAKES_PER_SECOND: u32 = 10;

/// New Socket.IO sessions one address may open at once, before
/// [`HANDSHAKES_PER_SECOND`] applies: enough for a whole class to reload its tabs.
pub const HANDSHAKE_BURST: u32 = 20;

/// How often the same refusal is logged for one address: at most once a minute.
const LOG_EVERY: Duration = Duration::from_secs(60);

/// The bounds a [`crate::Server`] keeps; [`Limits::default`] is the workbook's, from
/// the constants of this module.
#[derive(Clone, Debug)]
pub struct Limits {
    /// See [`crate::HEADER_TIMEOUT`].
    pub header_timeout: Duration,
    /// See [`MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// See [`MAX_CONNECTIONS_PER_ADDRESS`].
    pub max_connections_per_address: usize,
    /// See [`HANDSHAKES_PER_SECOND`].
    pub handshakes_per_second: u32,
    /// See [`HANDSHAKE_BURST`].
    pub handshake_burst: u32,
    /// Whether the per-address bounds also apply to this machine's own clients
    /// (127.0.0.0/8 and ::1). Off by default: the threat is another machine on the
    /// network, and `just bench` opens a thousand connections from 127.0.0.1. The
    /// tests of the bounds turn it on.
    pub limit_loopback: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: crate::HEADER_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            max_connections_per_address: MAX_CONNECTIONS_PER_ADDRESS,
            handshakes_per_second: HANDSHAKES_PER_SECOND,
            handshake_burst: HANDSHAKE_BURST,
            limit_loopback: false,
        }
    }
}

/// The checks and the counts of one server.
pub(crate) struct Guard {
    limits: Limits,
    /// `max_connections`, lowered to fit the descriptor limit.
    max_connections: usize,
    /// Normalized, see [`normalize_origin`].
    allowed_origins: Vec<String>,
    /// `http` or `https`: the page's own origin is this scheme and the `Host` header.
    scheme: &'static str,
    connections: Mutex<Connections>,
    handshakes: Mutex<HashMap<IpAddr, Bucket>>,
    said: Mutex<HashMap<(Option<IpAddr>, Refusal), Instant>>,
}

#[derive(Default)]
struct Connections {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

/// A token bucket: `tokens` handshakes left at `at`.
struct Bucket {
    tokens: f64,
    at: Instant,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Refusal {
    TooManyConnections,
    TooManyFromAddress,
    TooManyHandshakes,
    ForeignOrigin,
    AcceptFailed,
}

/// One admitted connection's place in the counts, given back when dropped.
pub(crate) struct Slot {
    guard: Arc<Guard>,
    /// The address it counts against; `None` for an exempt loopback client.
    address: Option<IpAddr>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut connections = lock(&self.guard.connections);
        connections.total -= 1;
        if let Some(address) = self.address
            && let Some(count) = connections.per_address.get_mut(&address)
        {
            *count -= 1;
            if *count == 0 {
                connections.per_address.remove(&address);
            }
        }
    }
}

impl Guard {
    pub(crate) fn new(
        limits: Limits,
        allowed_origins: Vec<String>,
        scheme: &'static str,
    ) -> Arc<Self> {
        let max_connections = match descriptor_limit(limits.max_connections + RESERVED_DESCRIPTORS)
        {
            Some(files) => limits
                .max_connections
                .min(files.saturating_sub(RESERVED_DESCRIPTORS).max(1)),
            None => limits.max_connections,
        };
        Arc::new(Self {
            limits,
            max_connections,
            allowed_origins,
            scheme,
            connections: Mutex::default(),
            handshakes: Mutex::default(),
            said: Mutex::default(),
        })
    }

    /// A place for a new connection from `ip`, or `None`: close it at once.
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let address = self.counted_address(ip);
        let mut connections = lock(&self.connections);
        if connections.total >= self.max_connections {
            drop(connections);
            if self.first_time_in_a_while(None, Refusal::TooManyConnections) {
                tracing::warn!(
                    "{} connections open, the most allowed: closing new ones (logged once a minute)",
                    self.max_connections
                );
            }
            return None;
        }
        if let Some(address) = address {
            let count = connections.per_address.entry(address).or_default();
            if *count >= self.limits.max_connections_per_address {
                drop(connections);
                if self.first_time_in_a_while(Some(address), Refusal::TooManyFromAddress) {
                    tracing::warn!(
                        "{ip} has {} connections open, the most allowed for one address: \
                         closing its new ones (logged once a minute)",
                        self.limits.max_connections_per_address
                    );
                }
                return None;
            }
            *count += 1;
        }
        connections.total += 1;
        Some(Slot {
            guard: self.clone(),
            address,
        })
    }

    /// Logs an error from `accept` (most often: no file descriptor left), once a minute.
    pub(crate) fn accept_failed(&self, error: &std::io::Error) {
        if self.first_time_in_a_while(None, Refusal::AcceptFailed) {
            tracing::error!("cannot accept a connection: {error} (logged once a minute)");
        }
    }

    /// `Some(refusal)` for a request that may not go on: a WebSocket or Socket.IO
    /// request from another origin's page (403), a new Socket.IO session while the server
    /// stops (503), or beyond the address's rate (429).
    pub(crate) fn check<B>(&self, request: &Request<B>, ip: IpAddr) -> Option<Response<Body>> {
        let socket_io = is_engine_io(request);
        if !socket_io && !is_websocket_upgrade(request) {
            return None;
        }
        if let Some(origin) = request.headers().get(header::ORIGIN)
            && !self.origin_allowed(origin.as_bytes(), request)
        {
            if self.first_time_in_a_while(Some(self.key(ip)), Refusal::ForeignOrigin) {
                tracing::warn!(
                    "refused a connection from a page at {} (this server's pages are at {}): \
                     add that origin to ALLOWED_ORIGINS to allow it (logged once a minute)",
                    log_safe(&String::from_utf8_lossy(origin.as_bytes())),
                    log_safe(&self.own_origin(request).unwrap_or_default()),
                );
            }
            return Some(refusal(
                StatusCode::FORBIDDEN,
                "Pages from another origin may not connect here (see ALLOWED_ORIGINS).\n",
            ));
        }
        // A stopping server is saying goodbye to its Socket.IO clients: a page that
        // reconnects at once must not start a session there, but wait for the next server.
        if socket_io && !has_session_id(request) && crate::websocket::is_stopping() {
            return Some(refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server is stopping: try again when it is back.\n",
            ));
        }
        if socket_io && !has_session_id(request) && !self.take_handshake(ip) {
            if self.first_time_in_a_while(Some(self.key(ip)), Refusal::TooManyHandshakes) {
                tracing::warn!(
                    "{ip} opens Socket.IO sessions faster than {} a second: refusing them \
                     with 429 (logged once a minute)",
                    self.limits.handshakes_per_second
                );
            }
            let mut response = refusal(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many new Socket.IO sessions from this address: try again in a second.\n",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
            return Some(response);
        }
        None
    }

    /// `scheme://host` of the request: the origin of this server's own pages.
    fn own_origin<B>(&self, request: &Request<B>) -> Option<String> {
        let host = match request.headers().get(header::HOST) {
            Some(host) => host.to_str().ok()?.to_owned(),
            None => request.uri().authority()?.to_string(),
        };
        normalize_origin(&format!("{}://{host}", self.scheme))
    }

    fn origin_allowed<B>(&self, origin: &[u8], request: &Request<B>) -> bool {
        let Some(origin) = std::str::from_utf8(origin).ok().and_then(normalize_origin) else {
            return false;
        };
        self.own_origin(request).as_deref() == Some(origin.as_str())
            || self.allowed_origins.contains(&origin)
    }

    /// Takes one handshake from `ip`'s bucket; `false` when it is empty.
    fn take_handshake(&self, ip: IpAddr) -> bool {
        let Some(address) = self.counted_address(ip) else {
            return true;
        };
        let rate = f64::from(self.limits.handshakes_per_second);
        let burst = f64::from(self.limits.handshake_burst);
        let now = Instant::now();
        let refill = |bucket: &Bucket| {
            (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * rate).min(burst)
        };
        let mut buckets = lock(&self.handshakes);
        // A full bucket is the same as none: forget those now and then, so the table
        // only holds addresses that handshook in the last few seconds.
        if buckets.len() >= 1024 {
            buckets.retain(|_, bucket| refill(bucket) < burst);
        }
        let bucket = buckets.entry(address).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        bucket.tokens = refill(bucket);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// The address `ip` counts against, or `None` when the per-address bounds leave it
    /// alone.
    fn counted_address(&self, ip: IpAddr) -> Option<IpAddr> {
        let ip = ip.to_canonical();
        if ip.is_loopback() && !self.limits.limit_loopback {
            return None;
        }
        Some(self.key(ip))
    }

    /// An IPv4 address as it is; an IPv6 one by its /64 network.
    fn key(&self, ip: IpAddr) -> IpAddr {
        match ip.to_canonical() {
            IpAddr::V6(v6) => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(bits))
            }
            v4 => v4,
        }
    }

    /// Whether a refusal of this kind for this address was not logged in the last
    /// minute (and notes that it is now).
    fn first_time_in_a_while(&self, address: Option<IpAddr>, why: Refusal) -> bool {
        let now = Instant::now();
        let mut said = lock(&self.said);
        if said.len() >= 1024 {
            said.retain(|_, at| now.duration_since(*at) < LOG_EVERY);
        }
        match said.get(&(address, why)) {
            Some(at) if now.duration_since(*at) < LOG_EVERY => false,
            _ => {
                said.insert((address, why), now);
                true
            }
        }
    }
}

/// A request for Socket.IO's Engine.IO endpoint: `/socket.io/?EIO=4&transport=...`
/// (the browser bundle at `/socket.io/socket.io.js` has no `EIO=`).
fn is_engine_io<B>(request: &Request<B>) -> bool {
    request.uri().path().starts_with("/socket.io") && query_has(request.uri().query(), "EIO")
}

/// A request for an existing Engine.IO session; without `sid=`, it opens a new one.
fn has_session_id<B>(request: &Request<B>) -> bool {
    query_has(request.uri().query(), "sid")
}

fn query_has(query: Option<&str>, key: &str) -> bool {
    query.is_some_and(|query| {
        query
            .split('&')
            .any(|pair| pair.split('=').next() == Some(key))
    })
}

/// An HTTP/1.1 request to become a WebSocket (`Upgrade: websocket`).
fn is_websocket_upgrade<B>(request: &Request<B>) -> bool {
    request
        .headers()
        .get_all(header::UPGRADE)
        .iter()
        .any(|value| {
            value
                .to_str()
                .is_ok_and(|value| value.to_ascii_lowercase().contains("websocket"))
        })
}

/// An origin as browsers send it, to compare: lower case, no trailing slash, no
/// default port (`:80` for http, `:443` for https). `None` for something that is not
/// `scheme://host[:port]`.
pub(crate) fn normalize_origin(origin: &str) -> Option<String> {
    let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    let (scheme, host) = origin.split_once("://")?;
    if scheme.is_empty() || host.is_empty() || host.contains('/') {
        return None;
    }
    let host = match scheme {
        "http" => host.strip_suffix(":80").unwrap_or(host),
        "https" => host.strip_suffix(":443").unwrap_or(host),
        _ => host,
    };
    Some(format!("{scheme}://{host}"))
}

fn refusal(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The number of files this process may open, raised first (when the system allows)
/// to `wanted`; `None` where it is not known.
#[cfg(unix)]
fn descriptor_limit(wanted: usize) -> Option<usize> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `getrlimit` and `setrlimit` only read and write the struct passed in.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        let wanted = wanted as libc::rlim_t;
        if limit.rlim_cur != libc::RLIM_INFINITY && limit.rlim_cur < wanted {
            let raised = libc::rlimit {
                rlim_cur: if limit.rlim_max == libc::RLIM_INFINITY {
                    wanted
                } else {
                    wanted.min(limit.rlim_max)
                },
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit.rlim_cur = raised.rlim_cur;
            }
        }
    }
    if limit.rlim_cur == libc::RLIM_INFINITY {
        return None;
    }
    usize::try_from(limit.rlim_cur).ok()
}

#[cfg(not(unix))]
fn descriptor_limit(_wanted: usize) -> Option<usize> {
    None
}
