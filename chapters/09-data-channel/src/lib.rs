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

use std::{
    convert::Infallible,
    sync::{Arc, Mutex},
};

use askama::Template;
use askama_web::WebTemplate;
use axum::{Router, extract::State as AxumState, response::Redirect, routing::get};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::{InOrder, NO_ARGUMENTS, rooms_entered};
use socketioxide::{
    SocketIo,
    extract::{AckSender, SocketRef, State, TryData},
    handler::ConnectHandler,
    socket::DisconnectReason,
};
use tracing::{info, warn};

/// A call is two people: each page holds one connection to one peer.
pub const ROOM_CAPACITY: usize = 2;
/// Room names: 1 to 40 characters, no control characters.
pub const MAX_ROOM_NAME_CHARS: usize = 40;
/// The longest session description (SDP) relayed; a real one is a few kilobytes.
pub const MAX_DESCRIPTION_BYTES: usize = 32 * 1024;
/// The longest ICE candidate line relayed; a real one is under 200 bytes.
pub const MAX_CANDIDATE_BYTES: usize = 1024;
/// The largest Socket.IO packet the server reads; a larger one closes the connection.
pub const MAX_PACKET_BYTES: usize = 64 * 1024;

pub fn app() -> Router {
    app_with(IceServers::from_env())
}

/// The application, handing `ice_servers` to every page.
pub fn app_with(ice_servers: IceServers) -> Router {
    let (socket_io, io) = SocketIo::builder()
        // Long polling and WebSocket each have their own limit.
        .max_payload(MAX_PACKET_BYTES as u64)
        .ws_max_message_size(MAX_PACKET_BYTES)
        .with_state(Joining::default())
        .build_layer();
    io.ns("/", connected.with(listen));

    let pages = Router::new()
        .route("/", get(home))
        .with_state(ice_servers)
        .merge(shared::page_files(env!("CARGO_MANIFEST_DIR")))
        .fallback(|| async { Redirect::to("/") });
    // Socket.IO answers /socket.io/..., and hands every other request to the pages.
    shared::with_socket_io(pages, socket_io)
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

async fn home(AxumState(IceServers(ice_servers)): AxumState<IceServers>) -> Home {
    Home { ice_servers }
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

/// Held while a socket checks a room's size and joins it, so that two people joining
/// at the same moment cannot both take the last place.
#[derive(Clone, Default)]
struct Joining(Arc<Mutex<()>>);

/// `join_room(room)`: take a place in the call, or hear `room_full(room)`. The one
/// already there gets `welcome()` and starts the call. A callback, if given, is called
/// with the room's name once you are in.
async fn join_room(
    socket: SocketRef,
    io: SocketIo,
    State(Joining(joining)): State<Joining>,
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
        Err(error) => return report(&socket, "join_room", &error),
    };
    if let Some(current) = rooms_entered(&socket).first() {
        let error = format!("you are already in room {current}: reload the page to change rooms");
        return report(&socket, "join_room", &error);
    }
    let joined = {
        let _only_one_joins_at_a_time = joining.lock().unwrap();
        let full = room_size(&io, &room) >= ROOM_CAPACITY;
        if !full {
            shared::enter(&socket, &room);
        }
        !full
    };
    if !joined {
        info!(id = %socket.id, "room {room} is full");
        let _ = socket.emit("room_full", &room);
        return;
    }
    info!(id = %socket.id, "joined room {room} ({} inside)", room_size(&io, &room));
    let _ = done.send(&room);
    let _ = socket.to(room).emit("welcome", &NO_ARGUMENTS).await;
}

/// A session description, as the browser's `RTCSessionDescription` turns into JSON.
#[derive(Deserialize, Serialize)]
struct Description {
    r#type: String,
    sdp: String,
}

/// An ICE candidate, as the browser's `RTCIceCandidate` turns into JSON.
#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    candidate: String,
    sdp_mid: Option<String>,
    sdp_m_line_index: Option<u16>,
    username_fragment: Option<String>,
}

/// `offer(description, room)`: passed on to the other person in the room.
async fn offer(
    socket: SocketRef,
    TryData(message): TryData<(Description, String)>,
    mut turn: InOrder,
) {
    turn.wait().await;
    relay_description(&socket, "offer", message).await;
}

/// `answer(description, room)`: passed on to the other person in the room.
async fn answer(
    socket: SocketRef,
    TryData(message): TryData<(Description, String)>,
    mut turn: InOrder,
) {
    turn.wait().await;
    relay_description(&socket, "answer", message).await;
}

async fn relay_description(
    socket: &SocketRef,
    event: &str,
    message: Result<(Description, String), impl std::fmt::Display>,
) {
    let checked = message
        .map_err(|error| format!("expected a session description and a room name ({error})"))
        .and_then(|(description, room)| {
            if description.r#type != event {
                Err(format!(
                    "the description's type is {:?}, not {event:?}",
                    description.r#type
                ))
            } else if description.sdp.len() > MAX_DESCRIPTION_BYTES {
                Err(format!(
                    "the description is too long (at most {MAX_DESCRIPTION_BYTES} bytes)"
                ))
            } else {
                in_room(socket, room).map(|room| (description, room))
            }
        });
    match checked {
        Ok((description, room)) => {
            info!(id = %socket.id, "passing on an {event} in room {room}");
            let _ = socket.to(room).emit(event, &description).await;
        }
        Err(error) => report(socket, event, &error),
    }
}

/// `ice(candidate, room)`: passed on to the other person in the room.
async fn ice(socket: SocketRef, TryData(message): TryData<(Candidate, String)>, mut turn: InOrder) {
    turn.wait().await;
    let checked = message
        .map_err(|error| format!("expected an ICE candidate and a room name ({error})"))
        .and_then(|(candidate, room)| {
            if candidate.candidate.len() > MAX_CANDIDATE_BYTES {
                Err(format!(
                    "the candidate is too long (at most {MAX_CANDIDATE_BYTES} bytes)"
                ))
            } else {
                in_room(&socket, room).map(|room| (candidate, room))
            }
        });
    match checked {
        Ok((candidate, room)) => {
            let _ = socket.to(room).emit("ice", &candidate).await;
        }
        Err(error) => report(&socket, "ice", &error),
    }
}

/// The room itself, if this socket is in it: nobody relays into a call they are not in.
fn in_room(socket: &SocketRef, room: String) -> Result<String, String> {
    if rooms_entered(socket).contains(&room) {
        Ok(room)
    } else {
        Err(format!("you are not in room {room:?}: join it first"))
    }
}

/// The other person left (closed the tab, reloaded, lost the network): tell the one
/// who stays, whose page then gets ready for the next caller.
async fn disconnect(socket: SocketRef, reason: DisconnectReason, mut turn: InOrder) {
    turn.wait().await;
    for room in rooms_entered(&socket) {
        let _ = socket.to(room).emit("bye", &NO_ARGUMENTS).await;
    }
    info!(id = %socket.id, "Disconnected from the Browser ❌ ({reason})");
}

/// How many people who are still connected are in `room`.
fn room_size(io: &SocketIo, room: &str) -> usize {
    let mut members = io.within(room.to_owned()).sockets();
    members.retain(|socket| socket.connected());
    members.len()
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
