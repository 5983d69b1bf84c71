//! Chapter 2: WebSocket echo. One connection that stays open, and both sides may speak.
//!
//! Run it with `just run chapter-2` (or `cargo run -p chapter-02`), open
//! <http://localhost:3000>, and read `notes/02-ws-echo.md` beside this file.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::ws::{Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use tracing::{info, warn};

/// The longest message the server accepts, in bytes. A longer one closes the connection
/// (WebSocket close code 1009, "message too big").
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

pub fn app() -> Router {
    Router::new()
        .route("/", get(home))
        .merge(shared::page_files(env!("CARGO_MANIFEST_DIR")))
        .fallback(|| async { Redirect::to("/") })
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct Home;

/// One URL, two answers. The browser's `new WebSocket("ws://localhost:3000")` sends an
/// ordinary `GET /` that asks to *upgrade* the connection: that request becomes a
/// WebSocket. Any other `GET /` is a plain HTTP request and gets the page.
async fn home(upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>) -> Response {
    // Step 1: upgrade a WebSocket request and run `echo` on it; answer the rest with the page.
    match upgrade {
        Ok(upgrade) => upgrade.max_message_size(MAX_MESSAGE_BYTES).on_upgrade(echo),
        Err(_not_a_websocket) => Home.into_response(),
    }
    // (end of step 1)
}

/// Runs for as long as one browser stays connected: one task per connection.
async fn echo(mut socket: WebSocket) {
    info!("Connected to Browser ✅");

    // The server speaks first, unasked: something plain HTTP cannot do.
    let greeting =
        Message::text("Hello from the server! Send me something and I will send it back.");
    if socket.send(greeting).await.is_err() {
        return;
    }

    // `recv` waits for the next message; `None` means the connection is over. (The
    // shared version also ends it when the server stops, with a close frame 1001.)
    while let Some(received) = shared::recv_until_stopping(&mut socket).await {
        let reply = match received {
            Ok(Message::Text(text)) => {
                // `log_safe`: a newline in the text cannot forge a log line of its own.
                info!("Browser said: {}", shared::log_safe(&text));
                Message::Text(text)
            }
            Ok(Message::Binary(bytes)) => {
                info!("Browser sent {} bytes", bytes.len());
                Message::Binary(bytes)
            }
            // The library answers pings, and answers a close frame before `recv`
            // returns `None`.
            Ok(Message::Ping(_) | Message::Pong(_) | Message::Close(_)) => continue,
            // A message over MAX_MESSAGE_BYTES, a frame that breaks the protocol, text
            // that is not UTF-8: say why we close, with the standard code for it (1009,
            // 1002, 1007), and stop.
            Err(error) => {
                warn!("Closing the connection: {error}");
                let reason = shared::close_frame_for(&error);
                let _ = socket.send(Message::Close(Some(reason))).await;
                break;
            }
        };
        // Step 2: send the reply back to this browser; stop if it has gone.
        if socket.send(reply).await.is_err() {
            break;
        }
        // (end of step 2)
    }
    info!("Disconnected from the Browser ❌");
}
