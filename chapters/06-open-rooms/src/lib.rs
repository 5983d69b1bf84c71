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
use shared::{
    Callback, ChatText, Checked, InOrder, NO_ARGUMENTS, Nickname, Room, join_and_remember,
    remembered_rooms, report, room_limit,
};
use socketioxide::{
    SocketIo,
    adapter::Adapter,
    extract::{AckSender, SocketRef, State},
    handler::ConnectHandler,
    socket::DisconnectReason,
};
use tokio::sync::{Mutex, Notify};
use tracing::info;

// The handlers are generic over socketioxide's `Adapter`: the part of Socket.IO that
// keeps the rooms. Here it is the default one, in this process's memory; chapter 10
// swaps in one that shares the rooms through Redis, and these handlers do not change.
//
// As in chapter 5, arguments arrive checked (`Checked`) and each handler waits for its
// turn (`InOrder`); both are in `shared` and a first reading can skip them.

/// `enter_room(name, done)`: join the room, tell the others and its new size, tell
/// everyone the list of open rooms, then call `done(name, size)`.
async fn enter_room<A: Adapter>(
    socket: SocketRef<A>,
    io: SocketIo<A>,
    State(changes): State<Changes>,
    Checked(room): Checked<Room>,
    done: Callback<A>,
    mut turn: InOrder,
) {
    turn.wait().await;
    if remembered_rooms(&socket).contains(&room) {
        // Already inside: nobody needs to hear about it again.
        let _ = done.send(&(&room, room_size(&io, &room).await));
        return;
    }
    // A few rooms each, not thousands: see `shared::room_limit`.
    if let Err(reason) = room_limit(&socket) {
        return report(&socket, "enter_room", &reason);
    }
    let nickname = nickname_of(&socket);
    join_and_remember(&socket, &room);
    let size = room_size(&io, &room).await;
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
async fn new_message<A: Adapter>(
    socket: SocketRef<A>,
    Checked((text, room)): Checked<(ChatText, Room)>,
    done: Callback<A>,
    mut turn: InOrder,
) {
    turn.wait().await;
    // The course trusted the room name; here it must be a room you are in.
    if !remembered_rooms(&socket).contains(&room) {
        let reason = format!("you are not in room {room:?}: enter it first");
        return report(&socket, "new_message", &reason);
    }
    let line = format!("{}: {text}", nickname_of(&socket));
    let _ = socket.to(room).emit("new_message", &line).await;
    let _ = done.send(&NO_ARGUMENTS);
}

/// `nickname(name)`, with an optional callback that receives the name as saved.
async fn nickname<A: Adapter>(
    socket: SocketRef<A>,
    State(changes): State<Changes>,
    Checked(name): Checked<Nickname>,
    done: AckSender<A>,
    mut turn: InOrder,
) {
    turn.wait().await;
    info!(id = %socket.id, "{} is now called {name}", nickname_of(&socket));
    socket.extensions.insert(name.clone());
    let _ = done.send(&name);
    changes.ring();
}

/// The browser went away (closed tab, lost network, or a clean goodbye). It leaves its
/// rooms first, so that their sizes no longer count it; then each room it was in hears
/// `bye`, with its size without us.
async fn disconnect<A: Adapter>(
    socket: SocketRef<A>,
    io: SocketIo<A>,
    State(changes): State<Changes>,
    reason: DisconnectReason,
    mut turn: InOrder,
) {
    turn.wait().await;
    let nickname = nickname_of(&socket);
    socket.leave_all();
    for room in remembered_rooms(&socket) {
        let size = room_size(&io, &room).await;
        let _ = io.to(room).emit("bye", &(&nickname, size)).await;
    }
    changes.ring();
    info!(id = %socket.id, "Disconnected from the Browser ❌ ({reason})");
}

/// How many people are in `room`.
///
/// `fetch_sockets` asks the adapter, which knows every server's sockets (chapter 10).
/// A socket of ours that has gone stays in its rooms until its disconnect handler has
/// finished, and several may be finishing at once: those are not counted.
async fn room_size<A: Adapter>(io: &SocketIo<A>, room: &Room) -> usize {
    // Step 1: fetch the sockets in `room` from the adapter, and count those still connected.
    let everyone = io
        .within(room.clone())
        .fetch_sockets()
        .await
        .unwrap_or_default();
    everyone
        .iter()
        .filter(|socket| match io.get_socket(socket.data().id) {
            Some(ours) => ours.connected(),
            None => true, // on another server
        })
        .count()
    // (end of step 1)
}

/// The rooms with someone in them, by name. socketioxide keeps no room per socket id
/// (Node's Socket.IO does), so every room it knows is a room someone entered.
async fn open_rooms<A: Adapter>(io: &SocketIo<A>) -> Vec<Room> {
    // Step 2: list the adapter's rooms that have someone in them, sorted by name.
    let mut open = Vec::new();
    for name in io.rooms().await.unwrap_or_default() {
        let Ok(room) = Room::try_from(name.to_string()) else {
            continue;
        };
        if !open.contains(&room) && room_size(io, &room).await > 0 {
            open.push(room);
        }
    }
    open.sort();
    open
    // (end of step 2)
}

/// A socket's nickname lives in its extensions: a small map of values, one per type,
/// that lives as long as the socket. `Anon` until it chooses one.
fn nickname_of<A: Adapter>(socket: &SocketRef<A>) -> Nickname {
    socket.extensions.get::<Nickname>().unwrap_or_default()
}

/// Rings whenever the rooms, their members or a nickname change: see [`announce`]. It
/// also keeps the list of open rooms last announced, which a newcomer gets at once.
#[derive(Clone, Default)]
struct Changes {
    bell: Arc<Notify>,
    announced: Arc<Mutex<Vec<Room>>>,
}

impl Changes {
    fn ring(&self) {
        // Rings that come while the announcer is busy add up to one more round.
        self.bell.notify_one();
    }
}

/// One task tells everyone what the server looks like now: the open rooms to every
/// page (`room_change`), and the whole picture to the `/admin` pages (`server_view`).
///
/// Being one task, it never sends an older picture after a newer one. It waits a moment
/// after a ring (`shared::ANNOUNCE_DELAY`), so that a burst of changes (a class joining
/// at once) is one announcement, and sends `room_change` only when the list changed: a
/// class entering one room costs one, not one per person for every person.
async fn announce<A: Adapter>(io: SocketIo<A>, changes: Changes) {
    loop {
        changes.bell.notified().await;
        tokio::time::sleep(shared::ANNOUNCE_DELAY).await;
        let rooms = open_rooms(&io).await;
        let mut announced = changes.announced.lock().await;
        if *announced != rooms {
            let _ = io.emit("room_change", &rooms).await;
            *announced = rooms;
        }
        drop(announced);
        if let Some(admin) = io.of("/admin") {
            let _ = admin.emit("server_view", &server_view(&io).await).await;
        }
    }
}

/// What the live server view at `/admin` shows: the browsers connected to this server.
#[derive(Serialize)]
struct ServerView {
    connected: usize,
    rooms: Vec<RoomView>,
    /// Nicknames of the people connected but in no room yet.
    lobby: Vec<Nickname>,
}

#[derive(Serialize)]
struct RoomView {
    name: Room,
    members: Vec<Nickname>,
}

async fn server_view<A: Adapter>(io: &SocketIo<A>) -> ServerView {
    let mut connected = io.sockets();
    connected.retain(|socket| socket.connected());
    let nicknames = |sockets: &[SocketRef<A>]| {
        let mut names: Vec<Nickname> = sockets.iter().map(nickname_of).collect();
        names.sort();
        names
    };
    let mut rooms = Vec::new();
    for name in open_rooms(io).await {
        let mut members = io.within(name.clone()).sockets();
        members.retain(|socket| socket.connected());
        if !members.is_empty() {
            let members = nicknames(&members);
            rooms.push(RoomView { name, members });
        }
    }
    let lobby: Vec<_> = connected
        .iter()
        .filter(|socket| socket.rooms().is_empty())
        .cloned()
        .collect();
    ServerView {
        connected: connected.len(),
        rooms,
        lobby: nicknames(&lobby),
    }
}

/// Registers what this socket listens to. It runs as a connect *middleware*, which
/// socketioxide finishes before it tells the browser "connected": no event can arrive
/// before its listener exists.
async fn listen<A: Adapter>(socket: SocketRef<A>) -> Result<(), Infallible> {
    socket.on("nickname", nickname::<A>);
    socket.on("enter_room", enter_room::<A>);
    socket.on("new_message", new_message::<A>);
    socket.on_disconnect(disconnect::<A>);
    Ok(())
}

async fn connected<A: Adapter>(socket: SocketRef<A>, State(changes): State<Changes>) {
    info!(id = %socket.id, "Connected to Browser ✅");
    // The newcomer gets the list of open rooms at once, the one everyone has; the others
    // hear nothing, as the list did not change (the ring is for the `/admin` pages).
    let rooms = changes.announced.lock().await;
    let _ = socket.emit("room_change", &*rooms);
    drop(rooms);
    changes.ring();
}

pub fn app() -> Router {
    let changes = Changes::default();
    // `builder_with_limits`: `SocketIo::builder()` with the workbook's packet limits.
    let (socket_io, io) = shared::builder_with_limits()
        .with_state(changes.clone())
        .build_layer();
    io.ns("/", connected.with(listen));
    // The live server view. Reachable from other machines, it asks for a token, which
    // the server prints at start-up (see `shared::server_view_token`).
    let view = async |State(changes): State<Changes>| changes.ring();
    io.ns("/admin", view.with(shared::server_view_token()));
    tokio::spawn(announce(io.clone(), changes));

    let pages = Router::new()
        .route("/", get(home))
        .route("/admin", get(admin))
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

#[derive(Template, WebTemplate)]
#[template(path = "admin.html")]
struct Admin;

async fn admin() -> Admin {
    Admin
}
