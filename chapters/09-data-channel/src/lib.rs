//! Chapter 9: data channel. Beside the video call, the two browsers chat over an
//! `RTCDataChannel` named `chat`. Those messages go from browser to browser: this
//! server never sees them. It still only passes the notes that set the call up.
//!
//! Run it with `just run chapter-9` (or `cargo run -p chapter-09`), open
//! <http://localhost:3000> in two windows, enter the same room in both, and read
//! `notes/09-data-channel.md` beside this file. `HTTPS=1 HOST=0.0.0.0 just run chapter-9`
//! serves it to other machines on your network (a camera needs a secure page), and
//! `ICE_SERVERS='[{"urls":"stun:stun.example.org:3478"}]'` hands browsers STUN or TURN
//! servers.

mod checks;

use std::{
    convert::Infallible,
    sync::{Arc, Mutex},
};

use askama::Template;
use askama_web::WebTemplate;
use axum::{Router, extract::State as PageState, response::Redirect, routing::get};
use serde_json::Value;
use shared::{Checked, InOrder, NO_ARGUMENTS, Room, join_and_remember, remembered_rooms, report};
use socketioxide::{
    SocketIo,
    extract::{AckSender, SocketRef, State},
    handler::ConnectHandler,
    socket::DisconnectReason,
};
use tracing::info;

use checks::{Answer, Candidate, Offer};

// Each handler gets its arguments already checked (`Checked`: a room name from
// `shared::input`, the notes from `src/checks.rs`), and waits for its turn first
// (`InOrder`, from `shared::workarounds`). A first reading can skip both.

/// A call is two people: each page holds one connection to one peer.
pub const ROOM_CAPACITY: usize = 2;

/// `join_room(room)`: take a place in the call, or hear `room_full(room)`. The one
/// already there gets `welcome()` and starts the call. A callback, if given, is called
/// with the room's name once you are in.
async fn join_room(
    socket: SocketRef,
    io: SocketIo,
    State(Joining(joining)): State<Joining>,
    Checked(room): Checked<Room>,
    done: AckSender,
    mut turn: InOrder,
) {
    turn.wait().await;
    if let Some(current) = remembered_rooms(&socket).first() {
        let reason = format!("you are already in room {current}: reload the page to change rooms");
        return report(&socket, "join_room", &reason);
    }
    let joined = {
        let _only_one_joins_at_a_time = joining.lock().unwrap();
        let full = room_size(&io, &room) >= ROOM_CAPACITY;
        if !full {
            join_and_remember(&socket, &room);
            // Called back before anyone else can join: the joiner hears "you are in"
            // before the `welcome` of whoever comes next.
            let _ = done.send(&room);
        }
        !full
    };
    if !joined {
        info!(id = %socket.id, "room {room} is full");
        let _ = socket.emit("room_full", &room);
        return;
    }
    info!(id = %socket.id, "joined room {room} ({} inside)", room_size(&io, &room));
    let _ = socket.to(room).emit("welcome", &NO_ARGUMENTS).await;
}

/// Held while a socket checks a room's size and joins it, so that two people joining
/// at the same moment cannot both take the last place.
#[derive(Clone, Default)]
struct Joining(Arc<Mutex<()>>);

/// `offer(description, room)`: passed on to the other person in the room.
async fn offer(
    socket: SocketRef,
    Checked((offer, room)): Checked<(Offer, Room)>,
    mut turn: InOrder,
) {
    turn.wait().await;
    if in_room(&socket, &room, "offer") {
        info!(id = %socket.id, "passing on an offer in room {room}");
        let _ = socket.to(room).emit("offer", &offer).await;
    }
}

/// `answer(description, room)`: passed on to the other person in the room.
async fn answer(
    socket: SocketRef,
    Checked((answer, room)): Checked<(Answer, Room)>,
    mut turn: InOrder,
) {
    turn.wait().await;
    if in_room(&socket, &room, "answer") {
        info!(id = %socket.id, "passing on an answer in room {room}");
        let _ = socket.to(room).emit("answer", &answer).await;
    }
}

/// `ice(candidate, room)`: passed on to the other person in the room.
async fn ice(
    socket: SocketRef,
    Checked((candidate, room)): Checked<(Candidate, Room)>,
    mut turn: InOrder,
) {
    turn.wait().await;
    if in_room(&socket, &room, "ice") {
        let _ = socket.to(room).emit("ice", &candidate).await;
    }
}

/// Whether this socket is in `room`; if not, its `event` is refused with an error:
/// nobody relays into a call they are not in.
fn in_room(socket: &SocketRef, room: &Room, event: &str) -> bool {
    let inside = remembered_rooms(socket).contains(room);
    if !inside {
        let reason = format!("you are not in room {room:?}: join it first");
        report(socket, event, &reason);
    }
    inside
}

/// The other person left (closed the tab, reloaded, lost the network): tell the one
/// who stays, whose page then gets ready for the next caller.
async fn disconnect(socket: SocketRef, reason: DisconnectReason, mut turn: InOrder) {
    turn.wait().await;
    for room in remembered_rooms(&socket) {
        let _ = socket.to(room).emit("bye", &NO_ARGUMENTS).await;
    }
    info!(id = %socket.id, "Disconnected from the Browser ❌ ({reason})");
}

/// How many people who are still connected are in `room`.
fn room_size(io: &SocketIo, room: &Room) -> usize {
    let mut members = io.within(room.clone()).sockets();
    members.retain(|socket| socket.connected());
    members.len()
}

/// Registers what this socket listens to, before the browser hears "connected".
async fn listen(socket: SocketRef) -> Result<(), Infallible> {
    socket.on("join_room", join_room);
    socket.on("offer", offer);
    socket.on("answer", answer);
    socket.on("ice", ice);
    socket.on_disconnect(disconnect);
    Ok(())
}

async fn connected(socket: SocketRef) {
    info!(id = %socket.id, "Connected to Browser ✅");
}

pub fn app() -> Router {
    app_with(IceServers::from_env())
}

/// The application, handing `ice_servers` to every page.
pub fn app_with(ice_servers: IceServers) -> Router {
    // `builder_with_limits`: `SocketIo::builder()` with the workbook's packet limits.
    let (socket_io, io) = shared::builder_with_limits()
        .with_state(Joining::default())
        .build_layer();
    io.ns("/", connected.with(listen));

    let pages = Router::new()
        .route("/", get(home))
        .with_state(ice_servers)
        .merge(shared::page_files(env!("CARGO_MANIFEST_DIR")))
        .fallback(|| async { Redirect::to("/") });
    // Socket.IO answers /socket.io/..., and hands every other request to the pages.
    shared::with_socket_io(pages, socket_io, io)
}

/// The STUN and TURN servers the browsers may use, as the JSON that
/// `new RTCPeerConnection({ iceServers })` takes. None by default: two browsers on one
/// machine or one network find each other without help.
#[derive(Clone, Debug)]
pub struct IceServers(String);

impl IceServers {
    /// Reads `ICE_SERVERS`, e.g. `[{"urls": "stun:stun.example.org:3478"}]`.
    pub fn from_env() -> Self {
        match std::env::var("ICE_SERVERS") {
            Ok(json) => Self::parse(&json).unwrap_or_else(|error| {
                // Logging starts with the server, after this: say it plainly.
                eprintln!("ICE_SERVERS is not valid ({error}); using none");
                Self::none()
            }),
            Err(_) => Self::none(),
        }
    }

    pub fn none() -> Self {
        Self(String::from("[]"))
    }

    /// Accepts a JSON array of objects, each with `urls`.
    pub fn parse(json: &str) -> Result<Self, String> {
        let servers: Vec<serde_json::Map<String, Value>> =
            serde_json::from_str(json).map_err(|error| error.to_string())?;
        if let Some(server) = servers.iter().find(|server| !server.contains_key("urls")) {
            return Err(format!("{} has no \"urls\"", Value::Object(server.clone())));
        }
        Ok(Self(json.to_owned()))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct Home {
    ice_servers: String,
}

async fn home(PageState(IceServers(ice_servers)): PageState<IceServers>) -> Home {
    Home { ice_servers }
}
