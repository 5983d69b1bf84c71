//! Chapter 5: room chat. Messages go to the others in your room, with join and leave
//! notices and nicknames.
//!
//! Run it with `just run chapter-5` (or `cargo run -p chapter-05`), open
//! <http://localhost:3000> in two or three tabs, and read `notes/05-room-chat.md` beside
//! this file.

use std::convert::Infallible;

use askama::Template;
use askama_web::WebTemplate;
use axum::{Router, response::Redirect, routing::get};
use shared::{
    Callback, ChatText, Checked, InOrder, NO_ARGUMENTS, Nickname, Room, join_and_remember,
    remembered_rooms, report, room_limit,
};
use socketioxide::{
    extract::{AckSender, SocketRef},
    handler::ConnectHandler,
    socket::DisconnectReason,
};
use tracing::info;

// Each handler gets its arguments already checked (`Checked`, from `shared::input`: a
// browser that sends something else hears why in an `error` event), and waits for its
// turn first (`InOrder`, from `shared::workarounds`: socketioxide runs every handler in
// a task of its own, so two quick events from one browser could otherwise swap).

/// `enter_room(name, done)`: join the room, tell the others, then call `done(name)`.
async fn enter_room(
    socket: SocketRef,
    Checked(room): Checked<Room>,
    done: Callback,
    mut turn: InOrder,
) {
    turn.wait().await;
    if remembered_rooms(&socket).contains(&room) {
        // Already inside: nobody needs to hear about it again.
        let _ = done.send(&room);
        return;
    }
    // A few rooms each, not thousands: see `shared::room_limit`.
    if let Err(reason) = room_limit(&socket) {
        return report(&socket, "enter_room", &reason);
    }
    let nickname = nickname_of(&socket);
    join_and_remember(&socket, &room);
    info!(id = %socket.id, "{nickname} entered room {room}");
    // Step 1: tell the others in the room who arrived: `welcome`, with the nickname.
    // `to(room)`: everyone in the room except this socket.
    let _ = socket.to(room.clone()).emit("welcome", &nickname).await;
    // (end of step 1)
    let _ = done.send(&room);
}

/// `new_message(text, room, done)`: pass the text to the others in the room, then call
/// `done()` so the sender can show "You: text".
async fn new_message(
    socket: SocketRef,
    Checked((text, room)): Checked<(ChatText, Room)>,
    done: Callback,
    mut turn: InOrder,
) {
    turn.wait().await;
    // The course trusted the room name; here it must be a room you are in.
    if !remembered_rooms(&socket).contains(&room) {
        let reason = format!("you are not in room {room:?}: enter it first");
        return report(&socket, "new_message", &reason);
    }
    // Step 3: send "nickname: text" to the others in the room, then call `done()`.
    let line = format!("{}: {text}", nickname_of(&socket));
    let _ = socket.to(room).emit("new_message", &line).await;
    let _ = done.send(&NO_ARGUMENTS);
    // (end of step 3)
}

/// `nickname(name)`, with an optional callback that receives the name as saved.
async fn nickname(
    socket: SocketRef,
    Checked(name): Checked<Nickname>,
    done: AckSender,
    mut turn: InOrder,
) {
    turn.wait().await;
    info!(id = %socket.id, "{} is now called {name}", nickname_of(&socket));
    socket.extensions.insert(name.clone());
    let _ = done.send(&name);
}

/// The browser went away (closed tab, lost network, or a clean goodbye). Each room it
/// entered hears `bye`, after the messages it sent before going (`InOrder`).
async fn disconnect(socket: SocketRef, reason: DisconnectReason, mut turn: InOrder) {
    turn.wait().await;
    let nickname = nickname_of(&socket);
    // Step 2: say `bye`, with the nickname, to the others in each room this socket entered.
    for room in remembered_rooms(&socket) {
        let _ = socket.to(room).emit("bye", &nickname).await;
    }
    // (end of step 2)
    info!(id = %socket.id, "Disconnected from the Browser ❌ ({reason})");
}

/// A socket's nickname lives in its extensions: a small map of values, one per type,
/// that lives as long as the socket. `Anon` until it chooses one.
fn nickname_of(socket: &SocketRef) -> Nickname {
    socket.extensions.get::<Nickname>().unwrap_or_default()
}

/// Registers what this socket listens to. It runs as a connect *middleware*, which
/// socketioxide finishes before it tells the browser "connected": no event can arrive
/// before its listener exists.
async fn listen(socket: SocketRef) -> Result<(), Infallible> {
    socket.on("nickname", nickname);
    socket.on("enter_room", enter_room);
    socket.on("new_message", new_message);
    socket.on_disconnect(disconnect);
    Ok(())
}

async fn connected(socket: SocketRef) {
    info!(id = %socket.id, "Connected to Browser ✅");
}

pub fn app() -> Router {
    // `builder_with_limits`: `SocketIo::builder()` with the workbook's packet limits.
    let (socket_io, io) = shared::builder_with_limits().build_layer();
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
