//! Socket.IO plumbing for chapters 4 and later: the service in front of the pages, and
//! the limits every chapter's Socket.IO server starts with.

use axum::Router;
use socketioxide::{SocketIo, SocketIoBuilder, adapter::Adapter, layer::SocketIoLayer};
use tower_http::services::ServeFile;
use tower_layer::Layer;

use crate::workspace_root;

/// Puts Socket.IO in front of a chapter's pages, and serves its browser bundle.
///
/// - `/socket.io/socket.io.js`: the browser client, as the course loads it. socketioxide
///   speaks the protocol but does not ship it, so it comes from the npm package
///   `socket.io-client`;
/// - every other request goes to ONE Socket.IO service, which answers `/socket.io/...`
///   and hands the rest to `pages`;
/// - when the server stops (Ctrl-C or SIGTERM), `io` tells every browser so: see
///   [`disconnect_all_when_stopping`].
///
/// Why not `pages.layer(socket_io)`: axum applies a layer to each route separately, and
/// socketioxide's layer starts a session table of its own each time. A WebSocket
/// session survives that (it is one request), but long polling does not: its next
/// request lands on another table and hears "Session ID unknown".
pub fn with_socket_io<A: Adapter>(
    pages: Router,
    socket_io: SocketIoLayer<A>,
    io: SocketIo<A>,
) -> Router {
    disconnect_all_when_stopping(io);
    let dist = workspace_root().join("node_modules/socket.io-client/dist");
    Router::new()
        .route_service(
            "/socket.io/socket.io.js",
            ServeFile::new(dist.join("socket.io.min.js")),
        )
        // The browser's developer tools ask for the source map that the bundle names.
        .route_service(
            "/socket.io/socket.io.min.js.map",
            ServeFile::new(dist.join("socket.io.min.js.map")),
        )
        .fallback_service(socket_io.layer(pages))
}

/// Once the server is stopping ([`crate::stopping`]: Ctrl-C or SIGTERM under
/// [`crate::serve`]), sends every Socket.IO client of this server a disconnect, in each
/// namespace. The browser's `disconnect` event then says `"io server disconnect"`: the
/// server left on purpose. Without it, the connection was only cut when the process
/// ended, and the browser saw `"transport close"` or `"transport error"`, as for a
/// network failure.
///
/// `local()`: with chapter 10's Redis adapter, a plain `disconnect()` would reach the
/// other server's clients too, and that server is not stopping.
///
/// [`crate::serve`] keeps serving until these goodbyes are sent, and then for
/// [`GOODBYE_WINDOW`] (see [`goodbyes_said`]). Outside a Tokio runtime (no server can
/// run there) this does nothing.
pub fn disconnect_all_when_stopping<A: Adapter>(io: SocketIo<A>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    PENDING_GOODBYES.send_modify(|pending| *pending += 1);
    SOCKET_IO_SERVICES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    runtime.spawn(async move {
        crate::stopping().await;
        let mut clients = 0;
        for namespace in io.nsps() {
            clients += namespace.clone().local().sockets().len();
            if let Err(error) = namespace.local().disconnect().await {
                tracing::warn!("could not say goodbye to every Socket.IO client: {error}");
            }
        }
        tracing::info!("Stopping: sent a disconnect to {clients} Socket.IO clients");
        PENDING_GOODBYES.send_modify(|pending| *pending -= 1);
    });
}

/// How long a stopping server still serves after its Socket.IO goodbyes are sent. A
/// WebSocket client gets its disconnect at once; a long-polling one gets it in its next
/// poll, and between two polls (a few milliseconds) it has none open: without this
/// time, its next poll met a closed server and the browser saw `"transport error"`.
pub const GOODBYE_WINDOW: std::time::Duration = std::time::Duration::from_millis(250);

/// Socket.IO services in this process: when there are none, there is no one to wait for.
static SOCKET_IO_SERVICES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Socket.IO services of this process whose clients have not been told goodbye yet.
static PENDING_GOODBYES: std::sync::LazyLock<tokio::sync::watch::Sender<usize>> =
    std::sync::LazyLock::new(|| tokio::sync::watch::channel(0).0);

/// Resolves once every Socket.IO service has sent its goodbyes (see
/// [`disconnect_all_when_stopping`]), and [`GOODBYE_WINDOW`] later; at once in a chapter
/// without Socket.IO. [`crate::serve`] waits for it before it stops serving.
pub(crate) async fn goodbyes_said() {
    if SOCKET_IO_SERVICES.load(std::sync::atomic::Ordering::Relaxed) == 0 {
        return;
    }
    let mut pending = PENDING_GOODBYES.subscribe();
    let _ = pending.wait_for(|pending| *pending == 0).await;
    tokio::time::sleep(GOODBYE_WINDOW).await;
}

/// The largest Socket.IO packet a chapter reads; a larger one closes the connection.
pub const MAX_PACKET_BYTES: usize = 64 * 1024;
/// How many packets may wait to be written to one browser. socketioxide drops a packet
/// for a browser whose queue is full, so this sits far above any burst that a browser
/// which reads its socket will see (the default, 128, lost messages in a burst of 200).
pub const MAX_QUEUED_PACKETS: usize = 4096;

/// Bytes read from a WebSocket at a time, per connection: the buffer lives as long as
/// the connection. A chat packet fits in one read; a larger one takes a few. The
/// default, 4 KiB, was a tenth of what each Socket.IO connection cost (`just bench`).
pub const WS_READ_BUFFER_BYTES: usize = 1024;

/// `SocketIo::builder()`, with the workbook's limits: [`MAX_PACKET_BYTES`] per packet
/// (long polling and WebSocket each have their own setting), [`MAX_QUEUED_PACKETS`] and
/// [`WS_READ_BUFFER_BYTES`].
pub fn builder_with_limits() -> SocketIoBuilder {
    SocketIo::builder()
        .max_payload(MAX_PACKET_BYTES as u64)
        .ws_max_message_size(MAX_PACKET_BYTES)
        .max_buffer_size(MAX_QUEUED_PACKETS)
        .ws_read_buffer_size(WS_READ_BUFFER_BYTES)
}

/// How many rooms one socket may be in at once (chapters 5, 6 and 10). Every room
/// someone is in appears in the list of open rooms that every page receives: one socket
/// entering 3000 rooms made each `room_change` 3000 names long, pushed to every browser
/// (3.6 GB to 200 idle tabs in 9 s). A class needs a few rooms each; beyond this,
/// `enter_room` answers with an `error` event (see [`room_limit`]).
pub const MAX_ROOMS_PER_SOCKET: usize = 20;

/// How long the announcer of chapters 6 and 10 waits after a change before it tells
/// everyone the list of open rooms: the changes of that moment (a class joining at once)
/// become one announcement, so there are at most about four a second, whatever the
/// clients do.
pub const ANNOUNCE_DELAY: std::time::Duration = std::time::Duration::from_millis(250);

/// `Err` with the reason when `socket` is already in [`MAX_ROOMS_PER_SOCKET`] rooms (as
/// counted by [`crate::remembered_rooms`]): then it may not enter another.
pub fn room_limit<A: Adapter>(socket: &socketioxide::extract::SocketRef<A>) -> Result<(), String> {
    if crate::remembered_rooms(socket).len() >= MAX_ROOMS_PER_SOCKET {
        return Err(format!(
            "you are in too many rooms: at most {MAX_ROOMS_PER_SOCKET} rooms"
        ));
    }
    Ok(())
}
