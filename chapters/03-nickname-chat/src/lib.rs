//! Chapter 3: nickname chat. Every message goes to every connected browser, with the
//! sender's nickname in front.
//!
//! Run it with `just run chapter-3` (or `cargo run -p chapter-03`), open
//! <http://localhost:3000> in two tabs, and read `notes/03-nickname-chat.md` beside this
//! file.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{
        State,
        ws::{
            Message, Utf8Bytes, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection,
        },
    },
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use serde::Deserialize;
use shared::input::Nickname;
use tokio::sync::broadcast::{self, error::RecvError};
use tracing::{info, warn};

mod limits;
pub use limits::{
    ERROR_SIGN, HARD_FRAME_LIMIT, MAX_BEHIND, MAX_FRAME_BYTES, MAX_NICKNAME_CHARS, MESSAGE_BURST,
    MESSAGES_PER_SECOND, PaceLimit,
};
use limits::{MessageText, Pace, READ_BUFFER_BYTES};

/// What every connection shares: the feed of chat lines. Each connection subscribes to
/// it; a connection that ends drops its subscription, so nobody has to clean up a list
/// of sockets.
#[derive(Clone)]
pub struct Chat {
    feed: broadcast::Sender<Utf8Bytes>,
    /// How fast each browser may send (see `src/limits.rs`).
    pace: PaceLimit,
}

impl Chat {
    pub fn new() -> Self {
        Self {
            feed: broadcast::channel(MAX_BEHIND).0,
            pace: PaceLimit::default(),
        }
    }

    /// The same chat, with another limit on how fast each browser may send.
    pub fn with_pace(self, pace: PaceLimit) -> Self {
        Self { pace, ..self }
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
/// serde picks the variant from `type` and reads `payload` into that variant's type,
/// which checks it: a blank message or a bad nickname is refused before any handler
/// runs. A `match` on this enum handles each kind once: one message cannot fall through
/// into another.
#[derive(Deserialize)]
#[serde(tag = "type", content = "payload", rename_all = "snake_case")]
enum FromBrowser {
    NewMessage(MessageText),
    Nickname(Nickname),
}

/// One browser's connection, from hello to goodbye.
///
/// The loop waits for whichever comes first: a frame from this browser, or a line from
/// the feed to pass on to it. One task per browser, and no lock anywhere: the feed is the
/// only thing connections share.
async fn talk(mut socket: WebSocket, chat: Chat, mut feed: broadcast::Receiver<Utf8Bytes>) {
    let mut nickname = Nickname::default();
    let mut pace = Pace::new(chat.pace);
    info!(peers = chat.peers(), "Connected to Browser ✅");

    loop {
        // Whichever comes first decides what, if anything, we send to this browser.
        let outgoing = tokio::select! {
            frame = socket.recv() => match frame {
                // Faster than MESSAGES_PER_SECOND: dropped, with one error line.
                Some(Ok(Message::Text(_) | Message::Binary(_))) if !pace.allows_one() => {
                    match pace.warn_once() {
                        Some(error_line) => error_line,
                        None => continue,
                    }
                }
                Some(Ok(Message::Text(text))) => match limits::read_frame(&text) {
                    Ok(message) => {
                        handle(message, &mut nickname, &chat);
                        continue;
                    }
                    Err(refusal) => limits::error_line(&refusal),
                },
                Some(Ok(Message::Binary(_))) => {
                    limits::error_line("binary frames are not understood: send JSON text")
                }
                // The library answers pings, and answers a close frame before `recv`
                // returns `None`.
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Close(_))) => continue,
                // A frame over HARD_FRAME_LIMIT (1009), text that is not UTF-8 (1007), a
                // frame that breaks the protocol (1002): a close frame that says which.
                Some(Err(error)) => {
                    warn!(%nickname, "closing the connection: {error}");
                    Message::Close(Some(shared::close_frame_for(&error)))
                }
                None => break,
            },
            line = feed.recv() => match line {
                Ok(line) => Message::Text(line),
                // More than MAX_BEHIND lines behind: the others do not wait for it.
                Err(RecvError::Lagged(missed)) => {
                    warn!(%nickname, missed, "a browser fell too far behind: dropping it");
                    break;
                }
                Err(RecvError::Closed) => break,
            },
            // Ctrl-C or SIGTERM: goodbye with 1001, "going away".
            () = shared::stopping() => Message::Close(Some(shared::going_away())),
        };
        // Everything this browser gets leaves through this one send, with one time limit.
        // After a close frame there is nothing more to say.
        let closing = matches!(outgoing, Message::Close(_));
        let sent = limits::send_in_time(&mut socket, outgoing, &nickname).await;
        if closing || !sent {
            break;
        }
    }
    // Dropping `feed` here takes this browser off the list of peers.
    drop(feed);
    info!(%nickname, peers = chat.peers(), "Disconnected from the Browser ❌");
}

/// Acts on one message from this browser. `limits::read_frame` has checked it already,
/// so nothing here can go wrong.
fn handle(message: FromBrowser, nickname: &mut Nickname, chat: &Chat) {
    // Step 1: match the message: a new message goes into the feed, a nickname is kept.
    match message {
        FromBrowser::NewMessage(text) => {
            // Formatted once; every subscriber gets a cheap reference-counted copy.
            let line = Utf8Bytes::from(format!("{nickname}: {text}"));
            // `send` never waits for slow readers, and only fails when nobody is
            // subscribed, which cannot be while this connection is.
            let _ = chat.feed.send(line);
        }
        FromBrowser::Nickname(new_nickname) => {
            info!("{nickname} is now called {new_nickname}");
            *nickname = new_nickname;
        }
    }
    // (end of step 1)
}
