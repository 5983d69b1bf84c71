//! Socket.IO plumbing for chapters 4 and later.

use std::{
    convert::Infallible,
    sync::{Arc, Mutex},
};

use axum::Router;
use socketioxide::{
    adapter::Adapter,
    extract::SocketRef,
    handler::{FromDisconnectParts, FromMessageParts, Value},
    layer::SocketIoLayer,
    socket::{DisconnectReason, Socket},
};
use tokio::sync::oneshot;
use tower_http::services::ServeFile;
use tower_layer::Layer;

use crate::workspace_root;

/// Puts Socket.IO in front of a chapter's pages, and serves its browser bundle.
///
/// - `/socket.io/socket.io.js`: the browser client, as the course loads it. socketioxide
///   speaks the protocol but does not ship it, so it comes from the npm package
///   `socket.io-client`;
/// - every other request goes to ONE Socket.IO service, which answers `/socket.io/...`
///   and hands the rest to `pages`.
///
/// Why not `pages.layer(socket_io)`: axum applies a layer to each route separately, and
/// socketioxide's layer starts a session table of its own each time. A WebSocket
/// session survives that (it is one request), but long polling does not: its next
/// request lands on another table and hears "Session ID unknown".
pub fn with_socket_io<A: Adapter>(pages: Router, socket_io: SocketIoLayer<A>) -> Router {
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

/// Makes one socket's handlers run one after another, in the order their events
/// arrived.
///
/// socketioxide starts every handler in a task of its own, so two events sent quickly
/// by one browser may be handled in either order: two chat lines can swap. A handler
/// that takes an `InOrder` argument and first calls [`InOrder::wait`] runs only after
/// the handlers of that socket's earlier events have finished.
///
/// How: extractors run the moment an event arrives, in arrival order. Each `InOrder`
/// takes the place after the previous one in a per-socket queue, a chain of one-shot
/// signals; it is released when the handler that holds it returns (or panics).
pub struct InOrder {
    previous: Option<oneshot::Receiver<()>>,
    _release: oneshot::Sender<()>,
}

/// The end of a socket's chain: the signal the next event will wait for.
#[derive(Clone, Default)]
struct Chain(Arc<Mutex<Option<oneshot::Receiver<()>>>>);

impl InOrder {
    /// Waits until the handlers of this socket's earlier events have finished.
    pub async fn wait(&mut self) {
        if let Some(previous) = self.previous.take() {
            // An error only means the previous handler is gone: our turn either way.
            let _ = previous.await;
        }
    }
}

impl InOrder {
    /// Takes the place after the socket's last event.
    fn take_turn<A: Adapter>(socket: &Socket<A>) -> Self {
        let chain = socket.extensions.get::<Chain>().unwrap_or_else(|| {
            let chain = Chain::default();
            socket.extensions.insert(chain.clone());
            chain
        });
        let (release, next) = oneshot::channel();
        let previous = chain.0.lock().unwrap().replace(next);
        InOrder {
            previous,
            _release: release,
        }
    }
}

impl<A: Adapter> FromMessageParts<A> for InOrder {
    type Error = Infallible;

    fn from_message_parts(
        socket: &Arc<Socket<A>>,
        _: &mut Value,
        _: &Option<i64>,
    ) -> Result<Self, Infallible> {
        Ok(Self::take_turn(socket))
    }
}

/// The disconnect handler waits too: it runs after every event the socket sent, so a
/// room joined at the last moment is still left, and said goodbye to, properly.
impl<A: Adapter> FromDisconnectParts<A> for InOrder {
    type Error = Infallible;

    fn from_disconnect_parts(
        socket: &Arc<Socket<A>>,
        _: DisconnectReason,
    ) -> Result<Self, Infallible> {
        Ok(Self::take_turn(socket))
    }
}

/// Joins `room` and writes it down in the socket's own record (see [`rooms_entered`]).
///
/// A socket that has already gone is only written down: joining would put its id back
/// into the room after socketioxide took it out, for good. Its disconnect handler still
/// says `bye` to the room.
pub fn enter<A: Adapter>(socket: &SocketRef<A>, room: &str) {
    if socket.connected() {
        socket.join(room.to_owned());
    }
    let mut entered = socket.extensions.get::<Entered>().unwrap_or_default();
    if !entered.0.iter().any(|known| known == room) {
        entered.0.push(room.to_owned());
        socket.extensions.insert(entered);
    }
}

/// The rooms this socket entered with [`enter`], even after it has gone.
///
/// socketioxide keeps a socket's rooms too (`socket.rooms()`), but may forget them
/// before the socket's last events are handled: when a browser says goodbye
/// (`socket.disconnect()`) and its connection then closes, the socket is closed twice,
/// and the second time takes it out of every room at once. The messages it sent just
/// before, and its `bye`, would then find no room. This record stays until the socket
/// itself is dropped.
pub fn rooms_entered<A: Adapter>(socket: &SocketRef<A>) -> Vec<String> {
    socket.extensions.get::<Entered>().unwrap_or_default().0
}

#[derive(Clone, Default)]
struct Entered(Vec<String>);

/// No arguments at all: `done.send(&NO_ARGUMENTS)` calls the browser's callback as
/// `done()`, and `emit("welcome", &NO_ARGUMENTS)` sends a bare `welcome`. (`&()` would
/// send one argument, `null`.) An empty array is what serde calls an empty tuple,
/// which socketioxide sends as an empty list of arguments.
pub const NO_ARGUMENTS: [u8; 0] = [];
