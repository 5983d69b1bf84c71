//! Checked input: what a browser sends, checked once, where serde reads it.
//!
//! A handler that takes `Checked<Room>` receives a room name that is already valid:
//! trimmed, not empty, not too long. When the browser sent something else, the handler
//! does not run at all, and [`Checked`] tells that browser why, with an `error` event
//! (`"enter_room: the room name is empty"`). So the handlers in the chapters read as
//! their lesson, with no input checks in the way.
//!
//! Each type is a `String` inside, deserialized with `#[serde(try_from = "String")]`:
//! serde reads a string, then calls our `TryFrom<String>`, whose error becomes serde's.

use std::{borrow::Cow, fmt, ops::Deref, sync::Arc};

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use socketioxide::{
    SendError,
    adapter::{Adapter, LocalAdapter},
    extract::{AckSender, Event, TryData},
    handler::{FromMessageParts, Value},
    socket::Socket,
};
use socketioxide_core::adapter::RoomParam;
use tracing::warn;

/// Room names: 1 to 40 characters, no control characters.
pub const MAX_ROOM_NAME_CHARS: usize = 40;
/// Nicknames: 1 to 20 letters, digits, spaces, `_`, `-` or `.`.
pub const MAX_NICKNAME_CHARS: usize = 20;
/// The longest chat message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// A room name: trimmed, 1 to [`MAX_ROOM_NAME_CHARS`] characters, no control characters.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct Room(String);

impl TryFrom<String> for Room {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
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
        Ok(Self(name.to_owned()))
    }
}

/// A nickname: trimmed, 1 to [`MAX_NICKNAME_CHARS`] letters, digits, spaces, `_`, `-`
/// or `.` (so no nickname can look like a server notice).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nickname(String);

impl TryFrom<String> for Nickname {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
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
            return Err(
                "a nickname may hold letters, digits, spaces, '_', '-' and '.' only".into(),
            );
        }
        Ok(Self(name.to_owned()))
    }
}

impl Default for Nickname {
    /// Everyone is `Anon` until they choose a nickname, as in the course.
    fn default() -> Self {
        Self("Anon".into())
    }
}

/// A chat message: not blank, at most [`MAX_MESSAGE_CHARS`] characters. Kept as sent.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChatText(String);

impl TryFrom<String> for ChatText {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        if text.trim().is_empty() {
            return Err("the message is empty".into());
        }
        if text.chars().count() > MAX_MESSAGE_CHARS {
            return Err(format!(
                "the message is too long (at most {MAX_MESSAGE_CHARS} characters)"
            ));
        }
        Ok(Self(text))
    }
}

/// What the three types share: read as `&str`, print as text (`{:?}` quotes it, as for
/// a `String`), turn back into a `String` (serde's `into = "String"` sends them as plain
/// strings).
macro_rules! text_type {
    ($($name:ident),*) => {$(
        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }
        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    )*};
}
text_type!(Room, Nickname, ChatText);

/// `socket.join(room)` and `socket.to(room)` take a [`Room`] as it is.
impl RoomParam for Room {
    type IntoIter = std::iter::Once<Cow<'static, str>>;
    fn into_room_iter(self) -> Self::IntoIter {
        std::iter::once(Cow::Owned(self.0))
    }
}

/// An event's arguments, checked: `Checked<Room>`, `Checked<(ChatText, Room)>`.
///
/// Like socketioxide's `Data<T>`, but when the arguments are not a `T`, the browser
/// hears why: an `error` event `"EVENT: reason"`, to that browser alone. The handler
/// does not run.
pub struct Checked<T>(pub T);

impl<A: Adapter, T: DeserializeOwned> FromMessageParts<A> for Checked<T> {
    type Error = Refused;

    fn from_message_parts(
        socket: &Arc<Socket<A>>,
        value: &mut Value,
        ack: &Option<i64>,
    ) -> Result<Self, Refused> {
        let event = Event::from_message_parts(socket, value, ack)
            .map_or_else(|_| String::new(), |Event(event)| event);
        let TryData(data) = TryData::<T>::from_message_parts(socket, value, ack)
            .unwrap_or_else(|never| match never {});
        match data {
            Ok(data) => Ok(Checked(data)),
            Err(error) => {
                let reason = without_position(&error.to_string());
                report(socket, &event, &reason);
                Err(Refused)
            }
        }
    }
}

/// The callback an event must come with (the browser's last argument, a function): like
/// socketioxide's `AckSender`, but an event that came without one is refused. The
/// browser hears `"EVENT: this event needs a callback (the last argument: a function)"`
/// in an `error` event, and the handler does not run. Without this, the handler would do
/// its work and its answer would go nowhere, in silence: the browser would wait for a
/// callback that never comes, and nobody would know why.
///
/// Put it after [`Checked`]: bad arguments are reported first.
pub struct Callback<A: Adapter = LocalAdapter>(AckSender<A>);

impl<A: Adapter> Callback<A> {
    /// Calls the browser's callback with `data` (a tuple is several arguments).
    pub fn send<T: Serialize + ?Sized>(self, data: &T) -> Result<(), SendError> {
        self.0.send(data)
    }
}

impl<A: Adapter> FromMessageParts<A> for Callback<A> {
    type Error = Refused;

    fn from_message_parts(
        socket: &Arc<Socket<A>>,
        value: &mut Value,
        ack: &Option<i64>,
    ) -> Result<Self, Refused> {
        if ack.is_none() {
            let event = Event::from_message_parts(socket, value, ack)
                .map_or_else(|_| String::new(), |Event(event)| event);
            let reason = "this event needs a callback (the last argument: a function)";
            report(socket, &event, reason);
            return Err(Refused);
        }
        let sender = AckSender::from_message_parts(socket, value, ack)
            .unwrap_or_else(|never| match never {});
        Ok(Callback(sender))
    }
}

/// The answer of [`Checked`] and [`Callback`] when the input was refused (the browser
/// has been told).
#[derive(Debug)]
pub struct Refused;

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("bad input, refused with an error event")
    }
}

impl std::error::Error for Refused {}

/// serde's message in a learner's words. serde_json ends its messages with "at line 1
/// column 17", a place in socketioxide's own JSON, not in anything the browser sent.
fn without_position(message: &str) -> String {
    if message.contains("first element not found") {
        return "the event came without its argument".into();
    }
    if message.starts_with("trailing characters") {
        return "the event came with too many arguments".into();
    }
    // "invalid length 1, expected a tuple of size 2": arguments missing.
    if let Some(rest) = message.strip_prefix("invalid length ")
        && let Some((got, wanted)) = rest.split_once(", expected a tuple of size ")
    {
        let wanted = wanted.split(' ').next().unwrap_or(wanted);
        return format!("expected {wanted} arguments, the event came with {got}");
    }
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Tells this browser alone what was wrong, with an `error` event `"EVENT: reason"`.
pub fn report<A: Adapter>(socket: &Socket<A>, event: &str, reason: &str) {
    warn!(id = %socket.id, "bad {event}: {}", crate::log_safe(reason));
    let _ = socket.emit("error", &format!("{event}: {reason}"));
}
