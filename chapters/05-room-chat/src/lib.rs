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
use shared::{InOrder, NO_ARGUMENTS, rooms_entered};
use socketioxide::{
    SocketIo,
    extract::{AckSender, SocketRef, TryData},
    handler::ConnectHandler,
    socket::DisconnectReason,
};
use tracing::{info, warn};

/// Room names: 1 to 40 characters, no control characters.
pub const MAX_ROOM_NAME_CHARS: usize = 40;
/// Nicknames: 1 to 20 letters, digits, spaces, `_`, `-` or `.`.
pub const MAX_NICKNAME_CHARS: usize = 20;
/// The longest chat message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// The largest Socket.IO packet the server reads; a larger one closes the connection.
pub const MAX_PACKET_BYTES: usize = 64 * 1024;
/// How many packets may wait to be written to one browser. socketioxide drops a packet
/// for a browser whose queue is full, so this sits far above any burst that a browser
/// which reads its socket will see (the default, 128, lost messages in a burst of 200).
pub const MAX_QUEUED_PACKETS: usize = 4096;

pub fn app() -> Router {
    let (socket_io, io) = SocketIo::builder()
        // Long polling and WebSocket each have their own limit.
        .max_payload(MAX_PACKET_BYTES as u64)
        .ws_max_message_size(MAX_PACKET_BYTES)
        .max_buffer_size(MAX_QUEUED_PACKETS)
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
    socket.on("nickname", nickname);
    socket.on("enter_room", enter_room);
    socket.on("new_message", new_message);
    socket.on_disconnect(disconnect);
    Ok(())
}

async fn connected(socket: SocketRef) {
    info!(id = %socket.id, "Connected to Browser ✅");
}

/// A socket's nickname, kept in the socket's extensions.
#[derive(Clone)]
struct Nickname(String);

fn nickname_of(socket: &SocketRef) -> String {
    socket
        .extensions
        .get::<Nickname>()
        .map_or_else(|| String::from("Anon"), |Nickname(name)| name)
}

// Every handler below takes an `InOrder` and waits for it first. socketioxide runs each
// handler in a task of its own, so without it two events from one browser could be
// handled in either order: a nickname set just before `enter_room` could come too late,
// and two quick messages could swap.

/// `nickname(name)`, with an optional callback that receives the name as saved.
async fn nickname(
    socket: SocketRef,
    TryData(name): TryData<String>,
    done: AckSender,
    mut turn: InOrder,
) {
    turn.wait().await;
    let name = name
        .map_err(|error| format!("expected a name as text ({error})"))
        .and_then(|name| valid_nickname(&name));
    match name {
        Ok(name) => {
            info!(id = %socket.id, "{} is now called {name}", nickname_of(&socket));
            socket.extensions.insert(Nickname(name.clone()));
            let _ = done.send(&name);
        }
        Err(error) => report(&socket, "nickname", &error),
    }
}

/// `enter_room(name, done)`: join the room, tell the others, then call `done(name)`.
async fn enter_room(
    socket: SocketRef,
    TryData(name): TryData<String>,
    done: AckSender,
    mut turn: InOrder,
) {
    turn.wait().await;
    let room = match name
        .map_err(|error| format!("expected a room name as text ({error})"))
        .and_then(|name| room_name(&name))
    {
        Ok(room) => room,
        Err(error) => return report(&socket, "enter_room", &error),
    };
    if rooms_entered(&socket).contains(&room) {
        // Already inside: nobody needs to hear about it again.
        let _ = done.send(&room);
        return;
    }
    let nickname = nickname_of(&socket);
    shared::enter(&socket, &room);
    info!(id = %socket.id, "{nickname} entered room {room}");
    // `to(room)`: everyone in the room except this socket.
    let _ = socket.to(room.clone()).emit("welcome", &nickname).await;
    let _ = done.send(&room);
}

/// `new_message(text, room, done)`: pass the text to the others in the room, then call
/// `done()` so the sender can show "You: text".
async fn new_message(
    socket: SocketRef,
    TryData(message): TryData<(String, String)>,
    done: AckSender,
    mut turn: InOrder,
) {
    turn.wait().await;
    let checked = message
        .map_err(|error| format!("expected a text and a room name ({error})"))
        .and_then(|(text, room)| {
            if text.trim().is_empty() {
                Err("the message is empty".to_owned())
            } else if text.chars().count() > MAX_MESSAGE_CHARS {
                Err(format!(
                    "the message is too long (at most {MAX_MESSAGE_CHARS} characters)"
                ))
            } else if !rooms_entered(&socket).contains(&room) {
                // The course trusted the room name; here it must be a room you are in.
                Err(format!("you are not in room {room:?}: enter it first"))
            } else {
                Ok((text, room))
            }
        });
    let (text, room) = match checked {
        Ok(message) => message,
        Err(error) => return report(&socket, "new_message", &error),
    };
    let line = format!("{}: {text}", nickname_of(&socket));
    let _ = socket.to(room).emit("new_message", &line).await;
    let _ = done.send(&NO_ARGUMENTS);
}

/// The browser went away (closed tab, lost network, or a clean goodbye). Each room it
/// entered hears `bye`, after the messages it sent before going (`InOrder`).
async fn disconnect(socket: SocketRef, reason: DisconnectReason, mut turn: InOrder) {
    turn.wait().await;
    let nickname = nickname_of(&socket);
    for room in rooms_entered(&socket) {
        let _ = socket.to(room).emit("bye", &nickname).await;
    }
    info!(id = %socket.id, "Disconnected from the Browser ❌ ({reason})");
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

/// Checks a nickname: trimmed, 1 to [`MAX_NICKNAME_CHARS`] characters from a small set.
fn valid_nickname(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("the nickname is empty".into());
    }
    if name.chars().count() > MAX_NICKNAME_CHARS {
        return Err(format!(
            "the nickname is too long (at most {MAX_NICKNAME_CHARS} characters)"
        ));
    }
    let allowed = |c: char| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.');
    if !name.chars().all(allowed) {
        return Err("a nickname may hold letters, digits, spaces, '_', '-' and '.' only".into());
    }
    Ok(name.to_owned())
}

/// Tells this browser alone what was wrong, with an `error` event.
fn report(socket: &SocketRef, event: &str, error: &str) {
    warn!(id = %socket.id, "bad {event}: {error}");
    let _ = socket.emit("error", &format!("{event}: {error}"));
}
