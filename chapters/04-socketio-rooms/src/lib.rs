//! Chapter 4: Socket.IO rooms. Named events that carry objects, rooms, and a callback
//! that the server calls in the browser.
//!
//! Run it with `just run chapter-4` (or `cargo run -p chapter-04`), open
//! <http://localhost:3000>, and read `notes/04-socketio-rooms.md` beside this file.
//! `ACK_DELAY_SECS=10 just run chapter-4` makes the server wait ten seconds before it
//! calls the browser's callback, as the course does, to show who runs it.

use std::{convert::Infallible, time::Duration};

use askama::Template;
use askama_web::WebTemplate;
use axum::{Router, response::Redirect, routing::get};
use serde::Deserialize;
use shared::{Callback, Checked, Room};
use socketioxide::{
    extract::{SocketRef, State},
    handler::ConnectHandler,
    socket::DisconnectReason,
};
use tracing::info;

/// The object the page sends: `{ payload: "room name" }`. Socket.IO turned it into
/// JSON in the browser; serde turns it back into a struct here, and checks the name
/// on the way (`Room`, in `shared::input`).
#[derive(Deserialize)]
#[serde(expecting = "{ payload: \"room name\" }")]
struct EnterRoom {
    payload: Room,
}

/// `socket.emit("enter_room", { payload }, done)` in the browser lands here.
///
/// `done` is the browser's function. It cannot travel over the network: Socket.IO sends
/// an id instead, and `done.send(..)` sends that id back with our answer, so the
/// browser runs its function with the answer as argument. An `enter_room` without a
/// function is refused with an `error` event (`Callback`, in `shared::input`).
async fn enter_room(
    socket: SocketRef,
    Checked(EnterRoom { payload: room }): Checked<EnterRoom>,
    done: Callback,
    State(AckDelay(delay)): State<AckDelay>,
) {
    // Step 1: join the room, then call the browser's function with the room's name.
    socket.join(room.clone());
    info!(id = %socket.id, "entered room {room}");

    if !delay.is_zero() {
        info!("waiting {delay:?} before calling the browser's function");
        tokio::time::sleep(delay).await;
    }
    let _ = done.send(&room);
    // (end of step 1)
}

/// Registers what this socket listens to. It runs as a connect *middleware*, which
/// socketioxide finishes before it tells the browser "connected": no event can arrive
/// before its listener exists.
async fn listen(socket: SocketRef) -> Result<(), Infallible> {
    socket.on("enter_room", enter_room);
    socket.on_disconnect(async |socket: SocketRef, reason: DisconnectReason| {
        info!(id = %socket.id, "Disconnected from the Browser ❌ ({reason})");
    });
    Ok(())
}

async fn connected(socket: SocketRef) {
    info!(id = %socket.id, "Connected to Browser ✅");
}

pub fn app() -> Router {
    let seconds = std::env::var("ACK_DELAY_SECS")
        .ok()
        .and_then(|s| s.parse().ok());
    app_with_ack_delay(Duration::from_secs(seconds.unwrap_or(0)))
}

/// How long the server waits before calling the browser back (`ACK_DELAY_SECS`).
#[derive(Clone, Copy)]
struct AckDelay(Duration);

/// The application, waiting `delay` before each callback (the tests set it directly).
pub fn app_with_ack_delay(delay: Duration) -> Router {
    // `builder_with_limits`: `SocketIo::builder()` with the workbook's packet limits.
    let (socket_io, io) = shared::builder_with_limits()
        .with_state(AckDelay(delay))
        .build_layer();
    io.ns("/", connected.with(listen));

    let pages = Router::new()
        .route("/", get(home))
        .merge(shared::page_files(env!("CARGO_MANIFEST_DIR")))
        .fallback(|| async { Redirect::to("/") });
    // Socket.IO answers /socket.io/..., and hands every other request to the pages.
    shared::with_socket_io(pages, socket_io, io)
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct Home;

async fn home() -> Home {
    Home
}
