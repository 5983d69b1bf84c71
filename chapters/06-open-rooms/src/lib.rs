//! Chapter 6: open rooms. Everyone sees the list of open rooms and each room's size,
//! and an instructor sees the whole server live at `/admin`.
//!
//! Run it with `just run chapter-6` (or `cargo run -p chapter-06`), open
//! <http://localhost:3000> in two or three tabs and <http://localhost:3000/admin> in
//! another, and read `notes/06-open-rooms.md` beside this file.

use std::{convert::Infallible, sync::Arc};

use askama::Template;
use askama_web::WebTemplate;
use axum::{Router, response::Redirect, routing::get};
use serde::Serialize;
use shared::{InOrder, NO_ARGUMENTS, rooms_entered};
use socketioxide::{
    SocketIo,
    extract::{AckSender, SocketRef, State, TryData},
    handler::ConnectHandler,
    socket::DisconnectReason,
};
use tokio::sync::Notify;
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
    let changes = Changes::default();
    let (socket_io, io) = SocketIo::builder()
        // Long polling and WebSocket each have their own limit.
        .max_payload(MAX_PACKET_BYTES as u64)
        .ws_max_message_size(MAX_PACKET_BYTES)
        .max_buffer_size(MAX_QUEUED_PACKETS)
        .with_state(changes.clone())
        .build_layer();
    io.ns("/", connected.with(listen));
    io.ns("/admin", async |State(changes): State<Changes>| {
        changes.ring()
    });
    tokio::spawn(announce(io, changes));

    let pages = Router::new()
        .route("/", get(home))
        .route("/admin", get(admin))
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

#[derive(Template, WebTemplate)]
#[template(path = "admin.html")]
struct Admin;

async fn admin() -> Admin {
    Admin
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

async fn connected(socket: SocketRef, State(changes): State<Changes>) {
    info!(id = %socket.id, "Connected to Browser ✅");
    // The newcomer gets the list of open rooms at once, not only at the next change.
    changes.ring();
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
    State(changes): State<Changes>,
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
            changes.ring();
        }
        Err(error) => report(&socket, "nickname", &error),
    }
}

/// `enter_room(name, done)`: join the room, tell the others and its new size, tell
/// everyone the list of open rooms, then call `done(name, size)`.
async fn enter_room(
    socket: SocketRef,
    io: SocketIo,
    State(changes): State<Changes>,
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
        let _ = done.send(&(&room, room_size(&io, &room)));
        return;
    }
    let nickname = nickname_of(&socket);
    shared::enter(&socket, &room);
    let size = room_size(&io, &room);
    info!(id = %socket.id, "{nickname} entered room {room} ({size} inside)");
    // A tuple is sent as several arguments: welcome(nickname, size).
    let _ = socket
        .to(room.clone())
        .emit("welcome", &(&nickname, size))
        .await;
    // The original forgot the newcomer: here it learns the size too.
    let _ = done.send(&(&room, size));
    changes.ring();
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
/// was in hears `bye`, with its size without us.
async fn disconnect(
    socket: SocketRef,
    io: SocketIo,
    State(changes): State<Changes>,
    reason: DisconnectReason,
    mut turn: InOrder,
) {
    turn.wait().await;
    let nickname = nickname_of(&socket);
    for room in rooms_entered(&socket) {
        let size = room_size(&io, &room);
        let _ = socket.to(room).emit("bye", &(&nickname, size)).await;
    }
    changes.ring();
    info!(id = %socket.id, "Disconnected from the Browser ❌ ({reason})");
}

/// The people in `room` who are still connected.
///
/// A socket that has gone stays in its rooms until its disconnect handler has finished,
/// and several may be finishing at once; counting only the connected ones keeps sizes
/// exact whatever the order.
fn members(io: &SocketIo, room: &str) -> Vec<SocketRef> {
    let mut members = io.within(room.to_owned()).sockets();
    members.retain(|socket| socket.connected());
    members
}

fn room_size(io: &SocketIo, room: &str) -> usize {
    members(io, room).len()
}

/// The rooms with someone in them, by name. socketioxide keeps no room per socket id
/// (Node's Socket.IO does), so every room it knows is a room someone entered.
async fn open_rooms(io: &SocketIo) -> Vec<String> {
    let mut rooms: Vec<String> = io
        .rooms()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|room| room.to_string())
        .filter(|room| room_size(io, room) > 0)
        .collect();
    rooms.sort();
    rooms
}

/// Rings whenever the rooms, their members or a nickname change: see [`announce`].
#[derive(Clone, Default)]
struct Changes(Arc<Notify>);

impl Changes {
    fn ring(&self) {
        // Rings that come while the announcer is busy add up to one more round.
        self.0.notify_one();
    }
}

/// One task tells everyone what the server looks like now: the open rooms to every
/// page (`room_change`), and the whole picture to the `/admin` pages (`server_view`).
///
/// Being one task, it never sends an older picture after a newer one, and a burst of
/// changes (a class joining at once) costs a few announcements, not one per change.
async fn announce(io: SocketIo, changes: Changes) {
    loop {
        changes.0.notified().await;
        let _ = io.emit("room_change", &open_rooms(&io).await).await;
        if let Some(admin) = io.of("/admin") {
            let _ = admin.emit("server_view", &server_view(&io).await).await;
        }
    }
}

/// What the live server view at `/admin` shows.
#[derive(Serialize)]
struct ServerView {
    connected: usize,
    rooms: Vec<RoomView>,
    /// Nicknames of the people connected but in no room yet.
    lobby: Vec<String>,
}

#[derive(Serialize)]
struct RoomView {
    name: String,
    members: Vec<String>,
}

async fn server_view(io: &SocketIo) -> ServerView {
    let nicknames = |sockets: Vec<SocketRef>| {
        let mut names: Vec<String> = sockets.iter().map(nickname_of).collect();
        names.sort();
        names
    };
    let mut rooms = Vec::new();
    for name in open_rooms(io).await {
        let members = nicknames(members(io, &name));
        rooms.push(RoomView { name, members });
    }
    let mut connected = io.sockets();
    connected.retain(|socket| socket.connected());
    let lobby = connected
        .iter()
        .filter(|socket| socket.rooms().is_empty())
        .cloned()
        .collect();
    ServerView {
        connected: connected.len(),
        rooms,
        lobby: nicknames(lobby),
    }
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
