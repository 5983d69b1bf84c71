//! Limits, timeouts and input checks: what keeps one browser's mistakes or mischief
//! that browser's problem. A first reading can skip this file; the lesson is in
//! `lib.rs`.

use std::{fmt, time::Duration};

use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};
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
pub(crate) const READ_BUFFER_BYTES: usize = 4 * 1024;
/// How long one send to a browser may take before we give up on that browser.
pub(crate) const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// Every error line starts with this sign. No nickname can contain it, so nobody can
/// pretend to be the server.
pub const ERROR_SIGN: &str = "⚠️";

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

/// The goodbye for a frame over [`HARD_FRAME_LIMIT`] (or a broken connection): a close
/// frame with 1009, the standard code for "message too big", so the browser knows why.
pub(crate) fn message_too_big() -> Message {
    Message::Close(Some(CloseFrame {
        code: close_code::SIZE,
        reason: "message too big".into(),
    }))
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
