//! Helpers for the workbook's tests: start a chapter on a free port, and talk to it
//! with real clients (HTTP, WebSocket, and a small Socket.IO client in [`sio`]).

pub mod sio;

/// The WebSocket library the clients are built on, for its `Message` and close codes.
pub use tokio_tungstenite::tungstenite;

use std::{net::SocketAddr, time::Duration};

use axum::Router;
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message};

/// How long a test waits for something that should happen at once.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// Serves `app` on 127.0.0.1 with a port the system picks, and returns its address.
///
/// It runs on the same server loop as `just run` (`shared::serve_listener`), with the
/// same protections: Origin checks, timeouts, connection and session limits.
pub async fn start(app: Router) -> SocketAddr {
    start_server(shared::Server::new(app)).await
}

/// [`start`], for a server with settings of its own (limits, allowed origins).
pub async fn start_server(server: shared::Server) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let address = listener.local_addr().expect("local address");
    tokio::spawn(async move { server.run(listener).await.expect("server runs") });
    address
}

/// An HTTP client that shows redirects instead of following them.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client")
}

/// GETs a page, checks that it answered 200, and returns its body.
pub async fn page(address: SocketAddr, path: &str) -> String {
    let response = http()
        .get(format!("http://{address}{path}"))
        .send()
        .await
        .expect("the server answers");
    assert_eq!(response.status(), 200, "GET {path}");
    response.text().await.expect("a text body")
}

/// A WebSocket client, as a browser's `new WebSocket("ws://HOST/")`.
pub struct Ws(WebSocketStream<MaybeTlsStream<TcpStream>>);

impl Ws {
    pub async fn connect(address: SocketAddr) -> Self {
        let (stream, _) = tokio_tungstenite::connect_async(format!("ws://{address}/"))
            .await
            .expect("WebSocket handshake");
        Self(stream)
    }

    pub async fn send_text(&mut self, text: &str) {
        self.0.send(Message::text(text)).await.expect("send");
    }

    pub async fn send(&mut self, message: Message) {
        self.0.send(message).await.expect("send");
    }

    /// Sends the course's JSON: `{"type": kind, "payload": payload}`.
    pub async fn send_json(&mut self, kind: &str, payload: &str) {
        let json = serde_json::json!({ "type": kind, "payload": payload });
        self.send_text(&json.to_string()).await;
    }

    /// The next text frame, or a panic after [`PATIENCE`].
    pub async fn text(&mut self) -> String {
        match self.next().await {
            Some(Message::Text(text)) => text.to_string(),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    /// The next data or close frame (`None`: the connection ended).
    pub async fn next(&mut self) -> Option<Message> {
        loop {
            let frame = tokio::time::timeout(PATIENCE, self.0.next())
                .await
                .expect("nothing arrived in time");
            match frame {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(message)) => return Some(message),
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// Asserts that nothing arrives for a short while.
    pub async fn expect_silence(&mut self) {
        let frame = tokio::time::timeout(Duration::from_millis(300), self.0.next()).await;
        assert!(frame.is_err(), "expected nothing, got {frame:?}");
    }

    pub async fn close(mut self) {
        let _ = self.0.close(None).await;
    }
}

/// Waits until `condition` holds, checking every few milliseconds, for at most `limit`.
pub async fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    condition()
}

/// A `redis-server` of the test's own on a free port, stopped when dropped.
pub struct Redis {
    child: Option<std::process::Child>,
    pub port: u16,
}

impl Redis {
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let mut redis = Redis { child: None, port };
        redis.restart();
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it again on the same port (after [`Redis::stop`]).
    pub fn restart(&mut self) {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect(
                "redis-server is not installed: sudo apt-get install redis-server (.ci/run does)",
            );
        self.child = Some(child);
        for _ in 0..100 {
            if self.answers() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server does not answer on port {}", self.port);
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn answers(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let mut reply = [0u8; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut reply).is_ok()
            && &reply == b"+PONG\r\n"
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Opens a WebSocket by hand over a plain TCP socket, writes `frame` (bytes exactly as
/// given: a test can set a reserved bit, use an unknown opcode or send bad UTF-8, which
/// no WebSocket library would), and returns the code of the close frame the server
/// answers with (`None`: no close frame came). Frames from a client must be masked:
/// [`masked_frame`] makes one.
pub async fn close_code_after_raw_frame(address: SocketAddr, frame: &[u8]) -> Option<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = TcpStream::connect(address).await.expect("connect");
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(request.as_bytes())
        .await
        .expect("write the handshake");
    let mut received = Vec::new();
    let mut buffer = [0_u8; 4096];
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut head_end = None;
    let mut sent = false;
    loop {
        // After the response head: skip whole frames until a close frame (opcode 8).
        if let Some(mut at) = head_end {
            if !sent {
                tcp.write_all(frame).await.expect("write the frame");
                sent = true;
            }
            while received.len() >= at + 2 {
                let (opcode, length) = (received[at] & 0x0f, usize::from(received[at + 1] & 0x7f));
                let (header, length) = match length {
                    126 if received.len() >= at + 4 => (
                        4,
                        usize::from(u16::from_be_bytes([received[at + 2], received[at + 3]])),
                    ),
                    126 => break,
                    127 => return None,
                    _ => (2, length),
                };
                if received.len() < at + header + length {
                    break;
                }
                if opcode == 8 {
                    return (length >= 2).then(|| {
                        u16::from_be_bytes([received[at + header], received[at + header + 1]])
                    });
                }
                at += header + length;
                head_end = Some(at);
            }
        }
        let read = tokio::time::timeout_at(deadline, tcp.read(&mut buffer)).await;
        match read {
            Ok(Ok(n)) if n > 0 => received.extend_from_slice(&buffer[..n]),
            _ => return None,
        }
        if head_end.is_none()
            && let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n")
        {
            assert!(received.starts_with(b"HTTP/1.1 101"), "not upgraded");
            head_end = Some(end + 4);
        }
    }
}

/// A client frame: `first_byte` (FIN, reserved bits and opcode, e.g. `0x81` for a final
/// text frame) and `payload`, masked as the protocol asks of clients (payloads up to
/// 65535 bytes: a 7-bit length under 126, else 126 and a 16-bit length).
pub fn masked_frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x12_u8, 0x34, 0x56, 0x78];
    let mut frame = vec![first_byte];
    match payload.len() {
        short @ 0..126 => frame.push(0x80 | short as u8),
        long => {
            let length = u16::try_from(long).expect("at most 65535 bytes");
            frame.push(0x80 | 126);
            frame.extend_from_slice(&length.to_be_bytes());
        }
    }
    frame.extend_from_slice(&mask);
    frame.extend(
        payload
            .iter()
            .enumerate()
            .map(|(i, byte)| byte ^ mask[i % 4]),
    );
    frame
}
