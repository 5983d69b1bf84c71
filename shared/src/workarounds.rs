//! Workarounds for the ways socketioxide 0.18 differs from Node's Socket.IO. A first
//! reading of a chapter can skip this file: each item says what it makes up for.
//!
//! - [`InOrder`]: socketioxide runs each event's handler in a task of its own, so two
//!   events from one browser can be handled in either order;
//! - [`join_and_remember`] and [`remembered_rooms`]: socketioxide may take a socket out
//!   of its rooms before its last events and its disconnect handler run;
//! - [`NO_ARGUMENTS`]: `&()` sends one argument, `null`, where the course sends none.

use std::{
    convert::Infallible,
    sync::{Arc, Mutex},
};

use socketioxide::{
    adapter::Adapter,
    extract::SocketRef,
    handler::{FromDisconnectParts, FromMessageParts, Value},
    socket::{DisconnectReason, Socket},
};
use tokio::sync::oneshot;

use crate::input::Room;

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

/// Joins `room` and writes it down in the socket's own record (see [`remembered_rooms`]).
///
/// A socket that has already gone is only written down: joining would put its id back
/// into the room after socketioxide took it out, for good. Its disconnect handler still
/// says `bye` to the room.
pub fn join_and_remember<A: Adapter>(socket: &SocketRef<A>, room: &Room) {
    if socket.connected() {
        socket.join(room.clone());
    }
    let mut entered = socket.extensions.get::<Entered>().unwrap_or_default();
    if !entered.0.contains(room) {
        entered.0.push(room.clone());
        socket.extensions.insert(entered);
    }
}

/// The rooms this socket joined with [`join_and_remember`], even after it has gone.
///
/// socketioxide keeps a socket's rooms too (`socket.rooms()`), but may forget them
/// before the socket's last events are handled: when a browser says goodbye
/// (`socket.disconnect()`) and its connection then closes, the socket is closed twice,
/// and the second time takes it out of every room at once. The messages it sent just
/// before, and its `bye`, would then find no room. This record stays until the socket
/// itself is dropped.
pub fn remembered_rooms<A: Adapter>(socket: &SocketRef<A>) -> Vec<Room> {
    socket.extensions.get::<Entered>().unwrap_or_default().0
}

#[derive(Clone, Default)]
struct Entered(Vec<Room>);

/// No arguments at all: `done.send(&NO_ARGUMENTS)` calls the browser's callback as
/// `done()`, and `emit("welcome", &NO_ARGUMENTS)` sends a bare `welcome`. (`&()` would
/// send one argument, `null`.) An empty array is what serde calls an empty tuple,
/// which socketioxide sends as an empty list of arguments.
pub const NO_ARGUMENTS: [u8; 0] = [];
