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
use socketioxide::{
    SocketIo,
    extract::{AckSender, SocketRef, State, TryData},
    handler::ConnectHandler,
    socket::DisconnectReason,
};
use tracing::{info, warn};

/// Room names: 1 to 40 characters, no control characters.
pub const MAX_ROOM_NAME_CHARS: usize = 40;
/// The largest Socket.IO packet the server reads; a larger one closes the connection.
pub const MAX_PACKET_BYTES: usize = 64 * 1024;

/// How long the server waits before calling the browser back (`ACK_DELAY_SECS`).
#[derive(Clone, Copy)]
struct AckDelay(Duration);

pub fn app() -> Router {
    let seconds = std::env::var("ACK_DELAY_SECS")
        .ok()
        .and_then(|s| s.parse().ok());
    app_with_ack_delay(Duration::from_secs(seconds.unwrap_or(0)))
}

/// The application, waiting `delay` before each callback (the tests set it directly).
pub fn app_with_ack_delay(delay: Duration) -> Router {
    let (socket_io, io) = SocketIo::builder()
        // Long polling and WebSocket each have their own limit.
        .max_payload(MAX_PACKET_BYTES as u64)
        .ws_max_message_size(MAX_PACKET_BYTES)
        .with_state(AckDelay(delay))
        .build_layer();
    io.ns("/", connected.with(listen));

    let pages = Router::new()
        .route("/", get(home))
        .merge(shared::page_files(env!("CARGO_MANIFEST_DIR")))
        .fallback(|| async { Redirect::to("/") });
    // Socket.IO answers /socket.io/..., and hands every other request to the pages.
    shared::with_socket_io(pages, socket_io)
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct Home;

async fn home() -> Home {
    Home
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

/// The object the page sends: `{ payload: "room name" }`. Socket.IO turned it into
/// JSON in the browser; serde turns it back into a struct here.
#[derive(Deserialize)]
struct EnterRoom {
    payload: String,
}

/// `socket.emit("enter_room", { payload }, done)` in the browser lands here.
///
/// `done` is the browser's function. It cannot travel over the network: Socket.IO sends
/// an id instead, and `done.send(..)` sends that id back with our answer, so the
/// browser runs its function with the answer as argument.
async fn enter_room(
    socket: SocketRef,
    TryData(message): TryData<EnterRoom>,
    done: AckSender,
    State(AckDelay(delay)): State<AckDelay>,
) {
    let room = match message {
        Ok(EnterRoom { payload }) => room_name(&payload),
        Err(error) => Err(format!("expected {{ payload: \"room name\" }} ({error})")),
    };
    let room = match room {
        Ok(room) => room,
        Err(error) => return report(&socket, "enter_room", &error),
    };
    socket.join(room.clone());
    info!(id = %socket.id, "entered room {room}");

    if !delay.is_zero() {
        info!("waiting {delay:?} before calling the browser's function");
        tokio::time::sleep(delay).await;
    }
    // Without a callback from the browser there is nothing to call: `send` does nothing.
    let _ = done.send(&room);
}

/// Checks a room name: trimmed, 1 to [`MAX_ROOM_NAME_CHARS`] characters.
fn room_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("the room name is empty".into());
    }
    if name.chars().count() > MAX_ROOM_NAME_CHARS {
        return Err(format!(
            "the room name is too long (at most {MAX_ROOM_NAME_CHARS} characters)"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("the room name has control characters".into());
    }
    Ok(name.to_owned())
}

/// Tells this browser alone what was wrong, with an `error` event.
fn report(socket: &SocketRef, event: &str, error: &str) {
    warn!(id = %socket.id, "bad {event}: {error}");
    let _ = socket.emit("error", &format!("{event}: {error}"));
}
