//! The plumbing every chapter uses, written once.
//!
//! A chapter's own file holds only its lesson. What every chapter needs the same way
//! lives here:
//!
//! - [`serve`]: the one way a chapter starts (address, logs, Ctrl-C, a clear message when
//!   the port is taken), on a server loop of the workbook's own, [`Server`], that holds
//!   up in a classroom: other sites' pages refused, timeouts, bounded connections and
//!   Socket.IO sessions per client ([`Limits`]); the tests use it too, through
//!   [`serve_listener`];
//! - [`websocket`], for the WebSocket chapters: [`close_frame_for`] (the close code
//!   that names a receive error: 1007, 1002 or 1009), [`stopping`] (resolves on Ctrl-C
//!   or SIGTERM), [`going_away`] (the close frame 1001 to send then) and
//!   [`recv_until_stopping`] (both together);
//! - [`log_safe`]: a browser's text in a log line, control characters escaped;
//! - [`page_files`]: the files a chapter page loads besides its HTML (the chapter's
//!   `public/` folder, the workbook stylesheet, MVP.css);
//! - [`with_socket_io`]: Socket.IO in front of a chapter's pages, and its browser
//!   bundle at `/socket.io/socket.io.js`, which on Ctrl-C or SIGTERM sends every client
//!   a disconnect ([`disconnect_all_when_stopping`]); [`builder_with_limits`]: `SocketIo::builder()`
//!   with the workbook's limits ([`MAX_PACKET_BYTES`], [`MAX_QUEUED_PACKETS`],
//!   [`WS_READ_BUFFER_BYTES`]);
//!   [`room_limit`]: at most [`MAX_ROOMS_PER_SOCKET`] rooms per socket; [`ANNOUNCE_DELAY`]:
//!   how long the list of open rooms waits, so that a burst of changes is one announcement;
//! - [`input`]: checked input: [`Room`], [`Nickname`], [`ChatText`] (with their
//!   limits [`input::MAX_ROOM_NAME_CHARS`], [`input::MAX_NICKNAME_CHARS`],
//!   [`input::MAX_MESSAGE_CHARS`]), the [`Checked`] extractor that refuses anything else
//!   with an `error` event (its error type is [`input::Refused`]), [`Callback`], the
//!   callback an event must come with (refused with an `error` event when missing), and [`report`],
//!   which sends that event;
//! - [`workarounds`], which a first reading can skip: [`InOrder`] (one browser's events
//!   handled in the order they were sent), [`join_and_remember`] and
//!   [`remembered_rooms`] (a socket's rooms, still known at its disconnect), and
//!   [`NO_ARGUMENTS`] (an event or callback with no arguments);
//! - [`server_view_token`]: the token the live server view (`/admin`) asks for when the
//!   server is reachable from other machines, printed at start-up;
//! - `templates/base.html`: the page chrome that every chapter template extends.

use std::{
    net::{IpAddr, Ipv4Addr},
    path::{Path, PathBuf},
    process::ExitCode,
};

mod guard;
mod https;
pub mod input;
mod log_safe;
mod server;
mod server_view;
pub mod socket_io;
pub mod websocket;
pub mod workarounds;

pub use guard::{
    HANDSHAKE_BURST, HANDSHAKES_PER_SECOND, Limits, MAX_CONNECTIONS, MAX_CONNECTIONS_PER_ADDRESS,
    RESERVED_DESCRIPTORS,
};
pub use input::{Callback, ChatText, Checked, Nickname, Room, report};
pub use log_safe::{LogSafe, log_safe};
pub use server::{HEADER_TIMEOUT, SHUTDOWN_GRACE, Server, serve_listener};
pub use server_view::{ServerViewAuth, server_view_token};
pub use socket_io::{
    ANNOUNCE_DELAY, GOODBYE_WINDOW, MAX_PACKET_BYTES, MAX_QUEUED_PACKETS, MAX_ROOMS_PER_SOCKET,
    WS_READ_BUFFER_BYTES, builder_with_limits, disconnect_all_when_stopping, room_limit,
    with_socket_io,
};
pub use websocket::{close_frame_for, going_away, recv_until_stopping, stopping};
pub use workarounds::{InOrder, NO_ARGUMENTS, join_and_remember, remembered_rooms};

use axum::Router;
use tower_http::{
    services::{ServeDir, ServeFile},
    trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer},
};
use tracing::Level;

/// The workspace root: `node_modules/` (the browser packages from npm) lives there.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Routes for the files a chapter page loads besides its HTML.
///
/// - `/public/...`: the chapter's own `public/` folder (its `app.js`);
/// - `/assets/...`: the workbook's stylesheet, shared by every chapter;
/// - `/vendor/mvp.css`: the classless stylesheet the course uses, from npm.
///
/// Files are read from disk on every request, so an edit to `app.js` needs only a
/// browser refresh, never a rebuild. `chapter_dir` is the chapter's
/// `env!("CARGO_MANIFEST_DIR")`.
pub fn page_files(chapter_dir: &str) -> Router {
    let root = workspace_root();
    Router::new()
        .nest_service(
            "/public",
            ServeDir::new(Path::new(chapter_dir).join("public")),
        )
        .nest_service("/assets", ServeDir::new(root.join("shared/assets")))
        .route_service(
            "/vendor/mvp.css",
            ServeFile::new(root.join("node_modules/mvp.css/mvp.css")),
        )
}

/// Starts a chapter: the one function every chapter's `main` calls.
///
/// - listens on `HOST` (default `127.0.0.1`) and `PORT` (default 3000; `PORT=0` picks a
///   free one) and prints `Listening on http://localhost:PORT`;
/// - `HTTPS=1` serves HTTPS with a self-signed certificate made at start-up (classroom
///   mode: with `HOST=0.0.0.0`, other machines can use their cameras on the page);
/// - logs with `tracing` (set `RUST_LOG`, e.g. `RUST_LOG=debug`, for more);
/// - stops cleanly on Ctrl-C;
/// - when the port is taken, says so in one line and exits with an error;
/// - holds up against a hostile or careless client on the network (see [`Server`] and
///   [`Limits`]): WebSocket and Socket.IO connections only from the page's own origin,
///   or one listed in `ALLOWED_ORIGINS` (comma-separated, e.g.
///   `ALLOWED_ORIGINS=http://192.168.1.20:8080`); [`HEADER_TIMEOUT`] to send a request;
///   bounded connections and new Socket.IO sessions per client address;
///   `MAX_CONNECTIONS` (a number) replaces [`MAX_CONNECTIONS`] for a load test.
pub async fn serve(app: Router) -> ExitCode {
    init_logs();
    warn_if_browser_packages_missing();

    let (host, port) = match address_from_env() {
        Ok(address) => address,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind((host, port)).await {
        Ok(listener) => listener,
        Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => {
            eprintln!(
                "Port {port} is already in use: is another chapter still running? \
                 Stop it with Ctrl-C, or choose another port: PORT={} just run chapter-N",
                port.saturating_add(1)
            );
            return ExitCode::FAILURE;
        }
        Err(error) => {
            eprintln!("Cannot listen on {host}:{port}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let port = listener.local_addr().map_or(port, |address| address.port());

    // One log line for each HTTP answer: method, path, status and time taken.
    let http_log = TraceLayer::new_for_http()
        .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
        .on_request(())
        .on_response(DefaultOnResponse::new().level(Level::INFO))
        .on_eos(());
    let app = app.layer(http_log);

    let mut server = Server::new(app)
        .limits(limits_from_env())
        .allowed_origins(allowed_origins_from_env())
        .shutdown_on(ctrl_c(), SHUTDOWN_GRACE);
    if https::requested() {
        let tls = match https::self_signed().await {
            Ok(tls) => tls,
            Err(message) => {
                eprintln!("Server error: {message}");
                return ExitCode::FAILURE;
            }
        };
        print_addresses("https", host, port);
        println!(
            "(HTTPS=1: the certificate is self-signed and new at every start, so browsers warn \
             each time; choose \"Advanced\", then \"Proceed\".)"
        );
        server = server.tls(tls.get_inner());
    } else {
        print_addresses("http", host, port);
    }
    if let Some(token) = server_view::printed_token() {
        let scheme = if https::requested() { "https" } else { "http" };
        let shown = if host.is_unspecified() {
            "localhost".to_owned()
        } else {
            host.to_string()
        };
        println!("Server view: {scheme}://{shown}:{port}/admin?token={token}");
        println!(
            "(The server is reachable from other machines, so the server view needs this token.)"
        );
    }
    match server.run(listener).await {
        Ok(()) => {
            println!("Stopped.");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("Server error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// [`Limits::default`], with `MAX_CONNECTIONS` from the environment when it is a number
/// (`just bench --clients 10000` needs more than a classroom).
fn limits_from_env() -> Limits {
    let mut limits = Limits::default();
    if let Some(most) = std::env::var("MAX_CONNECTIONS")
        .ok()
        .and_then(|value| value.trim().parse().ok())
    {
        limits.max_connections = most;
    }
    limits
}

/// `ALLOWED_ORIGINS`: origins, besides the page's own, whose pages may open a WebSocket
/// or Socket.IO connection, separated by commas (`http://192.168.1.20:8080,https://x.org`).
/// Says which entries are not origins, and which are allowed.
fn allowed_origins_from_env() -> Vec<String> {
    let Ok(setting) = std::env::var("ALLOWED_ORIGINS") else {
        return Vec::new();
    };
    let mut origins = Vec::new();
    for entry in setting
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
    {
        match guard::normalize_origin(entry) {
            Some(origin) => origins.push(origin),
            None => tracing::warn!(
                "ALLOWED_ORIGINS: {} is not an origin such as http://192.168.1.20:3000: ignored",
                log_safe(entry)
            ),
        }
    }
    if !origins.is_empty() {
        println!(
            "Pages from these origins may connect too: {}",
            origins.join(", ")
        );
    }
    origins
}

/// Prints where the chapter can be opened: the first line is the one the tests and the
/// README look for.
fn print_addresses(scheme: &str, host: IpAddr, port: u16) {
    if host.is_loopback() || host.is_unspecified() {
        println!("Listening on {scheme}://localhost:{port}");
    } else {
        println!("Listening on {scheme}://{host}:{port}");
    }
    if host.is_unspecified() {
        for address in https::network_addresses() {
            println!("  on your network: {scheme}://{address}:{port}");
        }
    }
}

/// Reads `HOST` and `PORT`, with a sentence for the user when either is not valid.
fn address_from_env() -> Result<(IpAddr, u16), String> {
    let host = match std::env::var("HOST") {
        Ok(host) if host == "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Ok(host) => host.parse().map_err(|_| {
            format!("HOST={host} is not an IP address (try 127.0.0.1, or 0.0.0.0 for your network)")
        })?,
        Err(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    let port = match std::env::var("PORT") {
        Ok(port) => port
            .parse()
            .map_err(|_| format!("PORT={port} is not a port number (0 to 65535)"))?,
        Err(_) => 3000,
    };
    Ok((host, port))
}

/// Logs go to standard error; `RUST_LOG` sets what is shown. The default shows what a
/// chapter itself logs and each HTTP request.
fn init_logs() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,socketioxide=warn"));
    // `try_init`: a second chapter started in the same process (the tests) keeps the
    // first one's logger.
    let _ = tracing_subscriber::fmt()
        .compact()
        .with_target(false)
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Pages still work without the npm packages, only unstyled (and without Socket.IO):
/// say once, at start-up, what is missing and how to get it.
fn warn_if_browser_packages_missing() {
    let root = workspace_root();
    if !root.join("node_modules/mvp.css/mvp.css").exists()
        || !root.join("node_modules/socket.io-client/dist").exists()
    {
        tracing::warn!(
            "node_modules is missing: pages will have no stylesheet and no Socket.IO client. \
             Install Node.js (https://nodejs.org), then run `npm ci` in {} (`just run` does it for you)",
            root.canonicalize().unwrap_or(root.clone()).display()
        );
    }
}

/// Resolves on the first Ctrl-C (or SIGTERM, as sent by `kill` and process managers), once
/// every Socket.IO client has been told (`socket_io::goodbyes_said`).
async fn ctrl_c() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        () = terminate => {},
    }
    websocket::stop();
    // Socket.IO clients hear their disconnect while the server still serves (bounded,
    // in case a goodbye never finishes).
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, socket_io::goodbyes_said()).await;
}
