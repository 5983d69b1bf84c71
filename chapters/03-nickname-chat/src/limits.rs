//! Limits, timeouts and input checks: what keeps one browser's mistakes or mischief
//! that browser's problem. A first reading can skip this file; the lesson is in
//! `lib.rs`.

use std::{
    fmt,
    time::{Duration, Instant},
};

use axum::extract::ws::{Message, WebSocket};
use serde::Deserialize;
use serde_json::error::Category;
use tracing::warn;

use crate::FromBrowser;

/// The longest chat frame, in bytes. A longer one gets an error back; the connection
/// stays open.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Frames longer than this are not even read: the connection is closed (WebSocket close
/// code 1009, "message too big").
pub const HARD_FRAME_LIMIT: usize = 1024 * 1024;
/// Nicknames: 1 to 20 letters, digits, spaces, `_`, `-` or `.`. The rules are
/// [`shared::input::Nickname`]'s, the same as in the later chapters.
pub use shared::input::MAX_NICKNAME_CHARS;
/// How many messages a browser may fall behind the others before it is dropped.
pub const MAX_BEHIND: usize = 256;
/// Bytes read from the network at a time, per connection. The library's default
/// (128 KiB) suits bulk transfers; chat lines are small, and the buffer is kept for as
/// long as the connection lives (`just bench` measures the difference).
pub(crate) const READ_BUFFER_BYTES: usize = 1024;
/// How long one send to a browser may take before we give up on that browser.
pub(crate) const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// Every error line starts with this sign. No nickname can contain it, so nobody can
/// pretend to be the server.
pub const ERROR_SIGN: &str = "⚠️";

/// How many messages a browser may send per second, on average. A person typing sends
/// one or two; a script sending as fast as it can sends thousands, and every one of them
/// goes to every browser, so that honest readers fall [`MAX_BEHIND`] behind and are
/// dropped within a fraction of a second. Beyond this pace, frames are dropped.
pub const MESSAGES_PER_SECOND: f64 = 10.0;
/// How many messages a browser may send at once, after a quiet moment (a paste of a few
/// lines, a nickname and a message together).
pub const MESSAGE_BURST: f64 = 20.0;

/// How fast each browser may send: [`MESSAGES_PER_SECOND`] and [`MESSAGE_BURST`] by
/// default; the tests set others with [`crate::Chat::with_pace`].
#[derive(Clone, Copy)]
pub struct PaceLimit {
    pub per_second: f64,
    pub burst: f64,
}

impl Default for PaceLimit {
    fn default() -> Self {
        Self {
            per_second: MESSAGES_PER_SECOND,
            burst: MESSAGE_BURST,
        }
    }
}

/// One browser's pace, a "token bucket": it holds up to [`MESSAGE_BURST`] tokens and
/// gains [`MESSAGES_PER_SECOND`] of them a second; each frame takes one, and a frame
/// that finds the bucket empty is dropped. The flooder is slowed to the pace; the others
/// never notice it.
pub(crate) struct Pace {
    limit: PaceLimit,
    tokens: f64,
    last: Instant,
    warned: bool,
}

impl Pace {
    pub(crate) fn new(limit: PaceLimit) -> Self {
        Self {
            limit,
            tokens: limit.burst,
            last: Instant::now(),
            warned: false,
        }
    }

    /// Takes a token for one frame: `false` when there is none, and the frame is dropped.
    pub(crate) fn allows_one(&mut self) -> bool {
        let now = Instant::now();
        let gained = now.duration_since(self.last).as_secs_f64() * self.limit.per_second;
        self.tokens = (self.tokens + gained).min(self.limit.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            self.warned = false;
            true
        } else {
            false
        }
    }

    /// The error line for a dropped frame: once per burst of dropped frames, so that a
    /// flood of frames does not become a flood of error lines.
    pub(crate) fn warn_once(&mut self) -> Option<Message> {
        if self.warned {
            return None;
        }
        self.warned = true;
        Some(error_line(&format!(
            "too fast: at most {} messages a second; some were dropped",
            self.limit.per_second
        )))
    }
}

/// Reads one text frame from the browser. An `Err` is the sentence to send back to it.
///
/// The checks run while serde reads: `FromBrowser` holds a [`MessageText`] and a
/// [`shared::input::Nickname`], and serde builds those only from valid strings.
pub(crate) fn read_frame(text: &str) -> Result<FromBrowser, String> {
    if text.len() > MAX_FRAME_BYTES {
        return Err(format!(
            "message too long: {} bytes, the limit is {MAX_FRAME_BYTES}",
            text.len()
        ));
    }
    serde_json::from_str(text).map_err(|error| {
        // serde_json ends its messages with " at line 1 column 17": a place in JSON
        // that the person typing never saw.
        let message = error.to_string();
        let reason = message.rfind(" at line ").map_or(&*message, |at| &message[..at]);
        match error.classify() {
            // Valid JSON with a wrong type, field or value: serde's sentence says which.
            Category::Data => reason.to_owned(),
            // Not JSON at all: show what the server expects.
            _ => format!(
                "could not read your message ({reason}); send {{\"type\": \"new_message\" or \"nickname\", \"payload\": \"text\"}}"
            ),
        }
    })
}

/// A chat message, kept as sent, but never blank: serde refuses a blank one while it
/// reads the frame.
#[derive(Deserialize)]
#[serde(try_from = "String")]
pub(crate) struct MessageText(String);

impl TryFrom<String> for MessageText {
    type Error = &'static str;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        if text.trim().is_empty() {
            return Err("empty message: write something first");
        }
        Ok(Self(text))
    }
}

impl fmt::Display for MessageText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An error line for this browser alone.
pub(crate) fn error_line(error: &str) -> Message {
    warn!("bad input: {}", shared::log_safe(error));
    Message::text(format!("{ERROR_SIGN} {error}"))
}

/// Sends one message, or gives up after [`SEND_TIMEOUT`]: a browser that stops reading
/// must not keep its task waiting forever. `false` means this browser is gone.
pub(crate) async fn send_in_time(socket: &mut WebSocket, message: Message, nickname: &str) -> bool {
    match tokio::time::timeout(SEND_TIMEOUT, socket.send(message)).await {
        Ok(sent) => sent.is_ok(),
        Err(_timed_out) => {
            warn!(%nickname, "a browser stopped reading for {SEND_TIMEOUT:?}: dropping it");
            false
        }
    }
}
