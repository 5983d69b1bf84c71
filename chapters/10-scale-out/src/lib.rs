//! Chapter 10: scale out. The room chat of chapter 6, run as two server processes that
//! share their rooms through Redis: a browser on one server chats with a browser on
//! the other, and room sizes and the room list count both.
//!
//! Run it with `just run chapter-10` (or `cargo run -p chapter-10`): it starts Redis
//! if none answers at `REDIS_URL`, then two servers, on <http://localhost:3000> and
//! <http://localhost:3001>. Open one tab on each, enter the same room, and read
//! `notes/10-scale-out.md` beside this file.

mod redis_link;

use std::{convert::Infallible, sync::Arc, time::Duration};

use askama::Template;
use askama_web::WebTemplate;
use axum::{Router, extract::State as PageState, response::Redirect, routing::get};
use serde::Serialize;
use shared::{
    Callback, ChatText, Checked, InOrder, NO_ARGUMENTS, Nickname, Room, join_and_remember,
    remembered_rooms, report, room_limit,
};
use socketioxide::{
    SocketIo,
    adapter::{Adapter, Emitter},
    extract::{AckSender, SocketRef, State},
    handler::ConnectHandler,
    socket::DisconnectReason,
};
use socketioxide_redis::{CustomRedisAdapter, RedisAdapterConfig, RedisAdapterCtr};
use tokio::sync::{Mutex, Notify};
use tracing::info;

pub use redis_link::RedisLink;

/// The adapter, the part of Socket.IO that keeps the rooms: where chapter 6 kept them
/// in this process only, this one also tells the other servers through Redis, and
/// asks them. The handlers below are chapter 6's, unchanged: they were written for any
/// `Adapter`.
type Cluster = CustomRedisAdapter<Emitter, RedisLink>;

/// How long a question to the other servers (which rooms? who is in this room?) may
/// wait for their answers.
const CLUSTER_PATIENCE: Duration = Duration::from_secs(1);

/// How often each server asks the cluster for the list of open rooms, changes here or
/// not: the rooms opened and closed on the other servers reach this server's pages so.
const LOOK_AROUND_EVERY: Duration = Duration::from_secs(1);
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
}

/// The rooms with someone in them, by name. socketioxide keeps no room per socket id
/// (Node's Socket.IO does), so every room it knows is a room someone entered.
async fn open_rooms<A: Adapter>(io: &SocketIo<A>) -> Vec<Room> {
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
///
/// Each server tells its own pages only (`local()`), and also looks at the cluster's
/// list every [`LOOK_AROUND_EVERY`]: that is how a room opened on the other server
/// reaches this server's pages. (Were each server to tell every page through Redis,
/// "only when the list changed" would compare with what this server sent last, not with
/// what the pages saw last, which the other server may have changed since.)
async fn announce<A: Adapter>(io: SocketIo<A>, changes: Changes) {
    loop {
        let rang = tokio::select! {
            () = changes.bell.notified() => true,
            () = tokio::time::sleep(LOOK_AROUND_EVERY) => false,
        };
        tokio::time::sleep(shared::ANNOUNCE_DELAY).await;
        let rooms = open_rooms(&io).await;
        let mut announced = changes.announced.lock().await;
        if *announced != rooms {
            let _ = io.local().emit("room_change", &rooms).await;
            *announced = rooms;
        }
        drop(announced);
        if !rang {
            continue;
        }
        if let Some(admin) = io.of("/admin") {
            // Step 2: send the server view to this server's `/admin` pages only (`local()`).
            // The picture is of this server's browsers: it goes to this server's
            // `/admin` pages only, not through Redis to every server's.
            let view = server_view(&io).await;
            let _ = admin.local().emit("server_view", &view).await;
            // (end of step 2)
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

/// Connects to Redis at `redis_url`, and makes the Redis adapter's constructor on that
/// connection: socketioxide builds one adapter with it for each namespace.
async fn redis_adapter(redis_url: &str) -> Result<RedisAdapterCtr<RedisLink>, String> {
    // Step 1: connect to Redis (a `RedisLink`), watch it, and build the adapter on it.
    let redis = RedisLink::connect(redis_url)
        .await
        .map_err(|error| format!("cannot reach Redis at {redis_url}: {error}"))?;
    tokio::spawn(redis.clone().watch());
    Ok(RedisAdapterCtr::new_with_driver(
        redis,
        RedisAdapterConfig::new().with_request_timeout(CLUSTER_PATIENCE),
    ))
    // (end of step 1)
}

/// Connects to Redis at `redis_url` and builds the chat around it. `server` is the
/// name the page shows (`just run chapter-10` calls its two servers A and B).
pub async fn app(redis_url: &str, server: &str) -> Result<Router, String> {
    let changes = Changes::default();
    // `builder_with_limits`: `SocketIo::builder()` with the workbook's packet limits.
    let (socket_io, io) = shared::builder_with_limits()
        .with_state(changes.clone())
        .with_adapter::<Cluster>(redis_adapter(redis_url).await?)
        .build_layer();
    // With Redis, opening a namespace subscribes to its channels: wait for it.
    io.ns("/", connected.with(listen))
        .await
        .map_err(|error| format!("cannot subscribe to Redis: {error}"))?;
    // The live server view. Reachable from other machines, it asks for a token, which
    // the server prints at start-up (see `shared::server_view_token`).
    let view = async |State(changes): State<Changes>| changes.ring();
    io.ns("/admin", view.with(shared::server_view_token()))
        .await
        .map_err(|error| format!("cannot subscribe to Redis: {error}"))?;
    tokio::spawn(announce(io.clone(), changes));

    let pages = Router::new()
        .route("/", get(home))
        .route("/admin", get(admin))
        .with_state(ServerName(server.to_owned()))
        .merge(shared::page_files(env!("CARGO_MANIFEST_DIR")))
        .fallback(|| async { Redirect::to("/") });
    // Socket.IO answers /socket.io/..., and hands every other request to the pages.
    Ok(shared::with_socket_io(pages, socket_io, io))
}

#[derive(Clone)]
struct ServerName(String);

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct Home {
    server: String,
}

async fn home(PageState(ServerName(server)): PageState<ServerName>) -> Home {
    Home { server }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin.html")]
struct Admin;

async fn admin() -> Admin {
    Admin
}
