//! Chapter 3: nickname chat. Every message goes to every connected browser, with the
//! sender's nickname in front.
//!
//! Run it with `just run chapter-3` (or `cargo run -p chapter-03`), open
//! <http://localhost:3000> in two tabs, and read `notes/03-nickname-chat.md` beside this
//! file.

use std::time::Duration;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{
        State,
        ws::{
            CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code,
            rejection::WebSocketUpgradeRejection,
        },
    },
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use serde::Deserialize;
use tokio::sync::broadcast::{self, error::RecvError};
use tracing::{info, warn};

/// The longest chat frame, in bytes. A longer one gets an error back; the connection
/// stays open.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Frames longer than this are not even read: the connection is closed (WebSocket close
/// code 1009, "message too big").
pub const HARD_FRAME_LIMIT: usize = 1024 * 1024;
/// Nicknames: 1 to 20 letters, digits, spaces, `_`, `-` or `.`.
pub const MAX_NICKNAME_CHARS: usize = 20;
/// How many messages a browser may fall behind the others before it is dropped.
pub const MAX_BEHIND: usize = 256;
/// Bytes read from the network at a time, per connection. The library's default
/// (128 KiB) suits bulk transfers; chat lines are small, and the buffer is kept for as
/// long as the connection lives (`just bench` measures the difference).
const READ_BUFFER_BYTES: usize = 4 * 1024;
/// How long one send to a browser may take before we give up on that browser.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// Every error line starts with this sign. No nickname can contain it, so nobody can
/// pretend to be the server.
pub const ERROR_SIGN: &str = "⚠️";

/// What every connection shares: the feed of chat lines. Each connection subscribes to
/// it; a connection that ends drops its subscription, so nobody has to clean up a list
/// of sockets.
#[derive(Clone)]
pub struct Chat {
    feed: broadcast::Sender<Utf8Bytes>,
}

impl Chat {
    pub fn new() -> Self {
        Self {
            feed: broadcast::channel(MAX_BEHIND).0,
        }
    }

    /// How many browsers are connected right now.
    pub fn peers(&self) -> usize {
        self.feed.receiver_count()
    }
}

impl Default for Chat {
    fn default() -> Self {
        Self::new()
    }
}

pub fn app() -> Router {
    app_with(Chat::new())
}

/// The application around a given [`Chat`] (the tests keep a handle to count peers).
pub fn app_with(chat: Chat) -> Router {
    Router::new()
        .route("/", get(home))
        .with_state(chat)
        .merge(shared::page_files(env!("CARGO_MANIFEST_DIR")))
        .fallback(|| async { Redirect::to("/") })
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct Home;

async fn home(
    State(chat): State<Chat>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    match upgrade {
        Ok(upgrade) => {
            // Subscribe before answering the upgrade: a line sent the moment the
            // browser sees "connected" is already on its way to it.
            let feed = chat.feed.subscribe();
            upgrade
                .read_buffer_size(READ_BUFFER_BYTES)
                .max_message_size(HARD_FRAME_LIMIT)
                .max_frame_size(HARD_FRAME_LIMIT)
                .on_upgrade(move |socket| talk(socket, chat, feed))
        }
        Err(_not_a_websocket) => Home.into_response(),
    }
}

/// What a browser may send: the course's `{"type": ..., "payload": ...}` JSON.
///
/// serde picks the variant from `type` and checks that `payload` is a string. A `match`
/// on this enum handles each kind once: one message cannot fall through into another.
#[derive(Deserialize)]
#[serde(tag = "type", content = "payload", rename_all = "snake_case")]
enum FromBrowser {
    NewMessage(String),
    Nickname(String),
}

/// One browser's connection, from hello to goodbye.
///
/// The loop waits for whichever comes first: a frame from this browser, or a line from
/// the feed to pass on to it. One task per browser, and no lock anywhere: the feed is the
/// only thing connections share.
async fn talk(mut socket: WebSocket, chat: Chat, mut feed: broadcast::Receiver<Utf8Bytes>) {
    let mut nickname = String::from("Anon");
    info!(peers = chat.peers(), "Connected to Browser ✅");

    loop {
        // Whichever comes first decides what, if anything, we send to this browser.
        let outgoing = tokio::select! {
            frame = socket.recv() => match frame {
                Some(Ok(Message::Text(text))) => match handle(&text, &mut nickname, &chat) {
                    Ok(()) => continue,
                    Err(error) => error_line(&error),
                },
                Some(Ok(Message::Binary(_))) => {
                    error_line("binary frames are not understood: send JSON text")
                }
                // The library answers pings, and answers a close frame before `recv`
                // returns `None`.
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Close(_))) => continue,
                // A frame over HARD_FRAME_LIMIT (or a broken connection): say why we
                // close, with the standard code for "message too big".
                Some(Err(error)) => {
                    warn!(%nickname, "closing the connection: {error}");
                    Message::Close(Some(CloseFrame {
                        code: close_code::SIZE,
                        reason: "message too big".into(),
                    }))
                }
                None => break,
            },
            line = feed.recv() => match line {
                Ok(line) => Message::Text(line),
                Err(RecvError::Lagged(missed)) => {
                    warn!(%nickname, missed, "a browser fell too far behind: dropping it");
                    break;
                }
                Err(RecvError::Closed) => break,
            },
        };
        // Every send has a time limit: a browser that stops reading is dropped.
        let closing = matches!(outgoing, Message::Close(_));
        match tokio::time::timeout(SEND_TIMEOUT, socket.send(outgoing)).await {
            Ok(Ok(())) if !closing => {}
            Ok(_sent_close_or_failed) => break,
            Err(_timed_out) => {
                warn!(%nickname, "a browser stopped reading for {SEND_TIMEOUT:?}: dropping it");
                break;
            }
        }
    }
    // Dropping `feed` here takes this browser off the list of peers.
    drop(feed);
    info!(%nickname, peers = chat.peers(), "Disconnected from the Browser ❌");
}

/// Acts on one text frame. An `Err` is the sentence to send back to this browser alone.
fn handle(text: &str, nickname: &mut String, chat: &Chat) -> Result<(), String> {
    if text.len() > MAX_FRAME_BYTES {
        return Err(format!(
            "message too long: {} bytes, the limit is {MAX_FRAME_BYTES}",
            text.len()
        ));
    }
    let message: FromBrowser = serde_json::from_str(text)
        .map_err(|error| format!("could not read your message ({error}); send {{\"type\": \"new_message\" or \"nickname\", \"payload\": \"text\"}}"))?;
    match message {
        FromBrowser::NewMessage(payload) => {
            if payload.trim().is_empty() {
                return Err("empty message: write something first".into());
            }
            // Formatted once; every subscriber gets a cheap reference-counted copy.
            let line = Utf8Bytes::from(format!("{nickname}: {payload}"));
            // `send` never waits for slow readers, and only fails when nobody is
            // subscribed, which cannot be while this connection is.
            let _ = chat.feed.send(line);
        }
        FromBrowser::Nickname(name) => {
            let name = valid_nickname(&name)?;
            info!("{nickname} is now called {name}");
            *nickname = name;
        }
    }
    Ok(())
}

/// Checks a nickname against the rules of [`MAX_NICKNAME_CHARS`].
fn valid_nickname(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("empty nickname: choose one with at least one letter".into());
    }
    if name.chars().count() > MAX_NICKNAME_CHARS {
        return Err(format!(
            "nickname too long: at most {MAX_NICKNAME_CHARS} characters"
        ));
    }
    let allowed = |c: char| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.');
    if !name.chars().all(allowed) {
        return Err("a nickname may hold letters, digits, spaces, '_', '-' and '.' only".into());
    }
    Ok(name.to_owned())
}

/// An error line for this browser alone.
fn error_line(error: &str) -> Message {
    warn!("bad input: {error}");
    Message::text(format!("{ERROR_SIGN} {error}"))
}
