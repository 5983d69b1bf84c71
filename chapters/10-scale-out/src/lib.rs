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
use shared::{InOrder, NO_ARGUMENTS, rooms_entered};
use socketioxide::{
    BroadcastError, SocketIo,
    adapter::Emitter,
    extract::{AckSender, SocketRef, State, TryData},
    handler::ConnectHandler,
    operators::BroadcastOperators,
    socket::DisconnectReason,
};
use socketioxide_redis::{CustomRedisAdapter, RedisAdapterConfig, RedisAdapterCtr};
use tokio::sync::Notify;
use tracing::{info, warn};

pub use redis_link::RedisLink;

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
/// How long a question to the other servers (which rooms? who is in this room?) may
/// wait for their answers.
const CLUSTER_PATIENCE: Duration = Duration::from_secs(1);

/// The adapter: where chapter 6 kept rooms in this process only, this one also tells
/// the other servers through Redis, and asks them.
type Cluster = CustomRedisAdapter<Emitter, RedisLink>;
type Io = SocketIo<Cluster>;
type Socket = SocketRef<Cluster>;

/// Connects to Redis at `redis_url` and builds the chat around it. `server` is the
/// name the page shows (`just run chapter-10` calls its two servers A and B).
pub async fn app(redis_url: &str, server: &str) -> Result<Router, String> {
    let redis = RedisLink::connect(redis_url)
        .await
        .map_err(|error| format!("cannot reach Redis at {redis_url}: {error}"))?;
    tokio::spawn(redis.clone().watch());
    let adapter = RedisAdapterCtr::new_with_driver(
        redis,
        RedisAdapterConfig::new().with_request_timeout(CLUSTER_PATIENCE),
    );

    let changes = Changes::default();
    let (socket_io, io) = SocketIo::builder()
        // Long polling and WebSocket each have their own limit.
        .max_payload(MAX_PACKET_BYTES as u64)
        .ws_max_message_size(MAX_PACKET_BYTES)
        .max_buffer_size(MAX_QUEUED_PACKETS)
        .with_state(changes.clone())
        .with_adapter::<Cluster>(adapter)
        .build_layer();
    // With Redis, opening a namespace subscribes to its channels: wait for it.
    io.ns("/", connected.with(listen))
        .await
        .map_err(|error| format!("cannot subscribe to Redis: {error}"))?;
    tokio::spawn(announce(io, changes));

    let pages = Router::new()
        .route("/", get(home))
        .with_state(ServerName(server.to_owned()))
        .merge(shared::page_files(env!("CARGO_MANIFEST_DIR")))
        .fallback(|| async { Redirect::to("/") });
    // Socket.IO answers /socket.io/..., and hands every other request to the pages.
    Ok(shared::with_socket_io(pages, socket_io))
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

/// Registers what this socket listens to. It runs as a connect *middleware*, which
/// socketioxide finishes before it tells the browser "connected": no event can arrive
/// before its listener exists.
async fn listen(socket: Socket) -> Result<(), Infallible> {
    socket.on("nickname", nickname);
    socket.on("enter_room", enter_room);
    socket.on("new_message", new_message);
    socket.on_disconnect(disconnect);
    Ok(())
}

async fn connected(socket: Socket, State(changes): State<Changes>) {
    info!(id = %socket.id, "Connected to Browser ✅");
    // The newcomer gets the list of open rooms at once, not only at the next change.
    changes.ring();
}

/// A socket's nickname, kept in the socket's extensions.
#[derive(Clone)]
struct Nickname(String);

fn nickname_of(socket: &Socket) -> String {
    socket
        .extensions
        .get::<Nickname>()
        .map_or_else(|| String::from("Anon"), |Nickname(name)| name)
}

// Every handler below takes an `InOrder` and waits for it first, as in chapter 5.

/// `nickname(name)`, with an optional callback that receives the name as saved.
async fn nickname(
    socket: Socket,
    TryData(name): TryData<String>,
    done: AckSender<Cluster>,
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

/// `enter_room(name, done)`: join the room, tell the others (on every server) and its
/// new size, then call `done(name, size)`.
async fn enter_room(
    socket: Socket,
    io: Io,
    State(changes): State<Changes>,
    TryData(name): TryData<String>,
    done: AckSender<Cluster>,
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
        let _ = done.send(&(&room, room_size(&io, &room).await));
        return;
    }
    let nickname = nickname_of(&socket);
    // Joining is local: this server keeps its own sockets' rooms. The others learn of
    // it when they ask (sizes, room lists) or when a message for the room arrives.
    shared::enter(&socket, &room);
    let size = room_size(&io, &room).await;
    info!(id = %socket.id, "{nickname} entered room {room} ({size} inside)");
    emit_everywhere(socket.to(room.clone()), "welcome", &(&nickname, size)).await;
    let _ = done.send(&(&room, size));
    changes.ring();
}

/// `new_message(text, room, done)`: pass the text to the others in the room, on every
/// server, then call `done()` so the sender can show "You: text".
async fn new_message(
    socket: Socket,
    TryData(message): TryData<(String, String)>,
    done: AckSender<Cluster>,
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
    emit_everywhere(socket.to(room), "new_message", &line).await;
    let _ = done.send(&NO_ARGUMENTS);
}

/// The browser went away. We leave its rooms first, so that the sizes counted across
/// the servers no longer include it, then each room hears `bye` with its new size.
async fn disconnect(
    socket: Socket,
    io: Io,
    State(changes): State<Changes>,
    reason: DisconnectReason,
    mut turn: InOrder,
) {
    turn.wait().await;
    let nickname = nickname_of(&socket);
    socket.leave_all();
    for room in rooms_entered(&socket) {
        let size = room_size(&io, &room).await;
        emit_everywhere(io.to(room), "bye", &(&nickname, size)).await;
    }
    changes.ring();
    info!(id = %socket.id, "Disconnected from the Browser ❌ ({reason})");
}

/// Sends through Redis to every server. While Redis is away that fails before this
/// server's own browsers got anything, so they are sent to directly: a server keeps
/// serving its own clients. (Other errors mean some browser's queue was full; the
/// others have it already, and sending again would repeat it.)
async fn emit_everywhere<T: Serialize + ?Sized>(
    to: BroadcastOperators<Cluster>,
    event: &str,
    data: &T,
) {
    if let Err(BroadcastError::Adapter(_)) = to.clone().emit(event, data).await {
        let _ = to.local().emit(event, data).await;
    }
}

/// How many people are in `room`, on every server. While Redis is away, only the ones
/// on this server can be counted.
async fn room_size(io: &Io, room: &str) -> usize {
    match io.within(room.to_owned()).fetch_sockets().await {
        Ok(sockets) => sockets
            .iter()
            // Ours that are already gone but not yet removed do not count (chapter 6).
            .filter(|socket| {
                io.get_socket(socket.data().id)
                    .is_none_or(|s| s.connected())
            })
            .count(),
        Err(_) => {
            let mut ours = io.local().within(room.to_owned()).sockets();
            ours.retain(|socket| socket.connected());
            ours.len()
        }
    }
}

/// The rooms with someone in them, on every server (on this one while Redis is away).
async fn open_rooms(io: &Io) -> Vec<String> {
    let rooms = match io.rooms().await {
        Ok(rooms) => rooms,
        Err(_) => io.local().rooms().await.unwrap_or_default(),
    };
    let mut open = Vec::new();
    for room in rooms {
        if room_size(io, &room).await > 0 {
            open.push(room.to_string());
        }
    }
    open.sort();
    open.dedup();
    open
}

/// Rings whenever the rooms change: see [`announce`].
#[derive(Clone, Default)]
struct Changes(Arc<Notify>);

impl Changes {
    fn ring(&self) {
        // Rings that come while the announcer is busy add up to one more round.
        self.0.notify_one();
    }
}

/// One task per server tells every browser, on every server, the list of open rooms
/// after a change on this server (chapter 6 had one for the whole chat). With two
/// announcers, one server's list can arrive after the other's newer one; the next
/// change puts it right.
async fn announce(io: Io, changes: Changes) {
    loop {
        changes.0.notified().await;
        let rooms = open_rooms(&io).await;
        emit_everywhere(io.broadcast(), "room_change", &rooms).await;
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
fn report(socket: &Socket, event: &str, error: &str) {
    warn!(id = %socket.id, "bad {event}: {error}");
    let _ = socket.emit("error", &format!("{event}: {error}"));
}
