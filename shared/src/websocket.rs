//! Two things every WebSocket chapter needs at its end of a connection: the close code
//! that names what went wrong, and the news that the server is stopping.

use std::sync::LazyLock;

use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};
use tokio::sync::watch;

/// The close frame for an error from `WebSocket::recv`, with the standard code for it
/// (RFC 6455, section 7.4.1), so that the browser, and whoever reads its console, learns
/// what went wrong rather than a blanket "message too big":
///
/// - 1007 (invalid data): a text frame that is not UTF-8;
/// - 1009 (message too big): a frame or message over the size limit;
/// - 1002 (protocol error): a frame the protocol does not allow (a reserved bit set, an
///   unknown opcode, a fragmented ping...), and anything else.
pub fn close_frame_for(error: &axum::Error) -> CloseFrame {
    use std::error::Error as _;
    use tungstenite::Error;
    let (code, reason) = match error
        .source()
        .and_then(|source| source.downcast_ref::<Error>())
    {
        Some(Error::Utf8(_)) => (close_code::INVALID, "invalid UTF-8"),
        Some(Error::Capacity(_)) => (close_code::SIZE, "message too big"),
        _ => (close_code::PROTOCOL, "protocol error"),
    };
    CloseFrame {
        code,
        reason: reason.into(),
    }
}

/// Set once, when [`crate::serve`] gets Ctrl-C or SIGTERM.
static STOPPING: LazyLock<watch::Sender<bool>> = LazyLock::new(|| watch::channel(false).0);

/// Resolves once the server is stopping (Ctrl-C or SIGTERM under [`crate::serve`]); at
/// once if it already is. A WebSocket task waits for it beside `recv`, and then says
/// goodbye with a close frame 1001 ("going away"): the browser learns that the server
/// left on purpose, instead of seeing the connection cut (1006). The server waits up to
/// [`crate::SHUTDOWN_GRACE`] for those goodbyes. Cheap: call it in every turn of a loop.
pub async fn stopping() {
    let mut stopping = STOPPING.subscribe();
    let _ = stopping.wait_for(|stopping| *stopping).await;
}

/// The close frame for [`stopping`]: 1001, "going away".
pub fn going_away() -> CloseFrame {
    CloseFrame {
        code: close_code::AWAY,
        reason: "the server is stopping".into(),
    }
}

/// `socket.recv()`, unless the server stops first: then this says goodbye to the browser
/// with [`going_away`] and returns `None`, as for a connection that is over.
pub async fn recv_until_stopping(socket: &mut WebSocket) -> Option<Result<Message, axum::Error>> {
    tokio::select! {
        received = socket.recv() => received,
        () = stopping() => {
            let _ = socket.send(Message::Close(Some(going_away()))).await;
            None
        }
    }
}

/// Whether the server is stopping (see [`stopping`]).
pub(crate) fn is_stopping() -> bool {
    *STOPPING.borrow()
}

/// Called by [`crate::serve`] when it gets Ctrl-C or SIGTERM.
pub(crate) fn stop() {
    STOPPING.send_replace(true);
}
