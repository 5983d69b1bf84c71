//! Classroom-safe: a chapter holds up against a hostile or careless client on the same
//! network. These tests check the protections of `shared::Server` (the loop under
//! `shared::serve` and `test_support::start`) on real chapters, over real sockets on
//! loopback.
//!
//! Every test here is from this machine; for "another client on the network", a test
//! binds its socket to 127.0.0.2 (Linux routes all of 127.0.0.0/8 to the loopback
//! interface), and turns on `Limits::limit_loopback`, which the workbook leaves off.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use shared::{Limits, Server};
use test_support::{PATIENCE, Ws, start, start_server};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};
use tokio_tungstenite::{
    WebSocketStream,
    tungstenite::{self, Message, client::IntoClientRequest, http::HeaderValue},
};

const EVIL: &str = "http://evil.example";
const HERE: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// Another client on the network, as far as the server can tell.
const THERE: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const HANDSHAKE: &str = "/socket.io/?EIO=4&transport=polling";

// ---- A page from another origin -------------------------------------------------------

#[tokio::test]
async fn a_page_from_another_origin_cannot_open_a_websocket() {
    let address = start(chapter_03::app()).await;
    let refused = ws(address, "/", Some(EVIL)).await.expect_err("refused");
    assert_eq!(status_of(&refused), Some(403), "{refused:?}");

    // The page's own origin (scheme and Host), and a client that sends no Origin.
    let own = format!("http://{address}");
    let mut chat = ws(address, "/", Some(&own))
        .await
        .expect("the page's own origin");
    chat.send(Message::text(r#"{"type":"new_message","payload":"hi"}"#))
        .await
        .unwrap();
    Ws::connect(address).await.close().await;
}

#[tokio::test]
async fn a_page_from_another_origin_cannot_use_socket_io() {
    let address = start(chapter_06::app()).await;
    let origin = [("Origin", EVIL)];
    let (status, _) = get(HERE, address, HANDSHAKE, &origin).await;
    assert_eq!(status, 403, "long polling handshake");
    let websocket = "/socket.io/?EIO=4&transport=websocket";
    let refused = ws(address, websocket, Some(EVIL))
        .await
        .expect_err("refused");
    assert_eq!(status_of(&refused), Some(403), "WebSocket");

    let own = format!("http://{address}");
    let (status, body) = get(HERE, address, HANDSHAKE, &[("Origin", &own)]).await;
    assert_eq!(status, 200);
    assert!(body.starts_with("0{"), "an Engine.IO open packet: {body}");
    let mut socket = ws(address, websocket, Some(&own))
        .await
        .expect("own origin");
    assert!(next_text(&mut socket).await.starts_with("0{"));
}

#[tokio::test]
async fn allowed_origins_admits_the_listed_ones_only() {
    let server = Server::new(chapter_06::app()).allowed_origins(["http://teacher.example:8080/"]);
    let address = start_server(server).await;
    let (status, _) = get(
        HERE,
        address,
        HANDSHAKE,
        &[("Origin", "http://Teacher.example:8080")],
    )
    .await;
    assert_eq!(status, 200, "listed");
    let (status, _) = get(
        HERE,
        address,
        HANDSHAKE,
        &[("Origin", "http://teacher.example:8081")],
    )
    .await;
    assert_eq!(status, 403, "another port is another origin");
    let (status, _) = get(HERE, address, HANDSHAKE, &[("Origin", EVIL)]).await;
    assert_eq!(status, 403, "not listed");
}

// ---- Clients that send nothing, or a byte at a time -------------------------------------

/// A header timeout short enough for a test.
const SHORT: Duration = Duration::from_secs(1);

fn short_timeout() -> Limits {
    Limits {
        header_timeout: SHORT,
        ..Limits::default()
    }
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_header_timeout() {
    let address = start_server(Server::new(chapter_03::app()).limits(short_timeout())).await;
    let silent = connect(HERE, address).await;
    let open_for = closed_within(silent, 4 * SHORT).await;
    assert!(
        open_for >= SHORT - Duration::from_millis(100),
        "{open_for:?}"
    );
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_too() {
    let address = start_server(Server::new(chapter_03::app()).limits(short_timeout())).await;
    let mut kept = connect(HERE, address).await;
    kept.write_all(format!("GET / HTTP/1.1\r\nHost: {address}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut head = [0u8; 12];
    kept.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    closed_within(kept, 4 * SHORT).await;
}

#[tokio::test]
async fn slowloris_connections_are_closed_while_honest_requests_are_served() {
    let address = start_server(Server::new(chapter_03::app()).limits(short_timeout())).await;
    // Twenty connections that send a request's head a byte every 100 ms, forever.
    let mut slow = Vec::new();
    for _ in 0..20 {
        slow.push(tokio::spawn(slowloris(connect(HERE, address).await)));
    }
    tokio::time::sleep(SHORT / 2).await;
    // Meanwhile, an honest request is answered at once.
    let asked = Instant::now();
    let (status, body) = get(HERE, address, "/", &[]).await;
    assert_eq!(status, 200);
    assert!(body.contains("<html"), "{body}");
    assert!(
        asked.elapsed() < Duration::from_millis(500),
        "{:?}",
        asked.elapsed()
    );
    for connection in slow {
        let open_for = connection.await.unwrap();
        assert!(open_for < 3 * SHORT, "a slowloris stayed {open_for:?}");
    }
}

/// Sends a never-ending request head, a byte every 100 ms, until the server closes the
/// connection; returns how long that took (a panic after 10 s).
async fn slowloris(stream: TcpStream) -> Duration {
    let opened = Instant::now();
    let (mut read, mut write) = stream.into_split();
    let head = b"GET / HTTP/1.1\r\nHost: x\r\n"
        .iter()
        .chain(b"X-a: b\r\n".iter().cycle());
    let drip = async {
        for byte in head {
            if write.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let mut buffer = [0u8; 1024];
    tokio::select! {
        () = drip => {}
        _ = read.read(&mut buffer) => {}
        () = tokio::time::sleep(Duration::from_secs(10)) => panic!("still open after 10 s"),
    }
    opened.elapsed()
}

// ---- Bounded connections ----------------------------------------------------------------

#[tokio::test]
async fn beyond_the_cap_for_one_address_its_new_connections_are_closed_at_once() {
    let limits = Limits {
        max_connections_per_address: 4,
        limit_loopback: true,
        ..Limits::default()
    };
    let address = start_server(Server::new(chapter_03::app()).limits(limits)).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(connect(HERE, address).await);
    }
    // Let the server accept them all before the fifth.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let fifth = connect(HERE, address).await;
    let open_for = closed_within(fifth, Duration::from_millis(500)).await;
    assert!(open_for < Duration::from_millis(500));

    // Another address is served meanwhile.
    assert_eq!(get(THERE, address, "/", &[]).await.0, 200);

    // A closed connection gives its place back.
    drop(held.pop());
    let mut served = false;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if try_get(HERE, address, "/").await == Some(200) {
            served = true;
            break;
        }
    }
    assert!(served, "a place given back");
}

#[tokio::test]
async fn beyond_the_total_cap_new_connections_are_closed_at_once() {
    let limits = Limits {
        max_connections: 3,
        ..Limits::default()
    };
    let address = start_server(Server::new(chapter_03::app()).limits(limits)).await;
    let _held = [
        connect(HERE, address).await,
        connect(THERE, address).await,
        connect(THERE, address).await,
    ];
    tokio::time::sleep(Duration::from_millis(100)).await;
    let fourth = connect(THERE, address).await;
    closed_within(fourth, Duration::from_millis(500)).await;
}

// ---- Bounded Socket.IO sessions ---------------------------------------------------------

#[tokio::test]
async fn a_handshake_flood_gets_429_while_another_client_connects() {
    let limits = Limits {
        limit_loopback: true,
        ..Limits::default()
    };
    let address = start_server(Server::new(chapter_06::app()).limits(limits)).await;
    let flood_started = Instant::now();
    let mut statuses = Vec::new();
    let mut a_session = None;
    for _ in 0..60 {
        let (status, body) = get(HERE, address, HANDSHAKE, &[]).await;
        if status == 200 && a_session.is_none() {
            a_session = Some(sid_of(&body));
        }
        statuses.push(status);
    }
    let seconds = flood_started.elapsed().as_secs_f64();
    let accepted = statuses.iter().filter(|status| **status == 200).count();
    let refused = statuses.iter().filter(|status| **status == 429).count();
    assert_eq!(accepted + refused, statuses.len(), "{statuses:?}");
    assert!(
        statuses[..shared::HANDSHAKE_BURST as usize]
            .iter()
            .all(|status| *status == 200),
        "the burst is served: {statuses:?}"
    );
    let most = shared::HANDSHAKE_BURST as f64 + seconds * shared::HANDSHAKES_PER_SECOND as f64;
    assert!(
        accepted as f64 <= most + 1.0,
        "{accepted} in {seconds:.2} s: {statuses:?}"
    );
    assert!(refused > 0, "{statuses:?}");

    // A session already open goes on: only new ones count.
    let sid = a_session.unwrap();
    let path = format!("{HANDSHAKE}&sid={sid}");
    let (status, _) = post(HERE, address, &path, "40").await;
    assert_eq!(status, 200);

    // Another client, meanwhile, connects and joins the root namespace.
    let tcp = connect(THERE, address).await;
    let url = format!("ws://{address}/socket.io/?EIO=4&transport=websocket");
    let (mut socket, _) = tokio_tungstenite::client_async(url, tcp).await.unwrap();
    let open = next_text(&mut socket).await;
    assert!(open.starts_with("0{"), "{open}");
    socket.send(Message::text("40")).await.unwrap();
    let connected = next_text(&mut socket).await;
    assert!(connected.starts_with("40{"), "{connected}");
}

#[tokio::test]
async fn this_machines_own_clients_are_not_rate_limited_by_default() {
    let address = start(chapter_06::app()).await;
    for _ in 0..2 * shared::HANDSHAKE_BURST {
        assert_eq!(get(HERE, address, HANDSHAKE, &[]).await.0, 200);
    }
}

// ---- Logs -------------------------------------------------------------------------------

#[test]
fn log_safe_keeps_a_message_on_one_line() {
    let forged = "hi\n2026-01-01T00:00:00Z  INFO Connected to Browser \u{1b}[31m\r\t";
    assert_eq!(
        shared::log_safe(forged).to_string(),
        "hi\\n2026-01-01T00:00:00Z  INFO Connected to Browser \\u{1b}[31m\\r\\t"
    );
    assert_eq!(shared::log_safe("Ana ✅ Zoë").to_string(), "Ana ✅ Zoë");
    assert_eq!(
        shared::log_safe("a\u{2028}b\u{202e}c").to_string(),
        "a\\u{2028}b\\u{202e}c"
    );
}

// ---- Helpers ----------------------------------------------------------------------------

/// A TCP connection from `from` (127.0.0.1 or 127.0.0.2) to the server.
async fn connect(from: IpAddr, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(from, 0)).unwrap();
    socket.connect(to).await.expect("connect")
}

/// Waits until the server closes `stream` (end of stream, or reset); returns how long
/// it took, or panics after `limit`.
async fn closed_within(mut stream: TcpStream, limit: Duration) -> Duration {
    let opened = Instant::now();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout(limit, stream.read(&mut buffer)).await {
            Err(_) => panic!("still open after {limit:?}"),
            Ok(Ok(0) | Err(_)) => return opened.elapsed(),
            Ok(Ok(_)) => continue,
        }
    }
}

/// One request on a connection of its own from `from`; returns the status and body.
async fn request(from: IpAddr, to: SocketAddr, head: String, body: &str) -> (u16, String) {
    let mut stream = connect(from, to).await;
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer))
        .await
        .expect("an answer in time")
        .expect("an answer");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .get(9..12)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"));
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    (status, body.to_owned())
}

async fn get(from: IpAddr, to: SocketAddr, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let headers: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let head = format!("GET {path} HTTP/1.1\r\nHost: {to}\r\n{headers}Connection: close\r\n\r\n");
    request(from, to, head, "").await
}

async fn post(from: IpAddr, to: SocketAddr, path: &str, body: &str) -> (u16, String) {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {to}\r\nContent-Type: text/plain;charset=UTF-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    request(from, to, head, body).await
}

/// A GET's status, or `None` when the connection was closed without an answer.
async fn try_get(from: IpAddr, to: SocketAddr, path: &str) -> Option<u16> {
    let mut stream = connect(from, to).await;
    let head = format!("GET {path} HTTP/1.1\r\nHost: {to}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.ok()?;
    let mut answer = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer))
        .await
        .ok()?
        .ok()?;
    String::from_utf8_lossy(&answer).get(9..12)?.parse().ok()
}

/// The `sid` of an Engine.IO open packet: `0{"sid":"...",...}`.
fn sid_of(open: &str) -> String {
    let json: serde_json::Value = serde_json::from_str(&open[1..]).expect("an open packet");
    json["sid"].as_str().unwrap().to_owned()
}

/// A WebSocket handshake to `path`, with an `Origin` header when given, as a browser
/// page at that origin would make it.
async fn ws(
    address: SocketAddr,
    path: &str,
    origin: Option<&str>,
) -> Result<WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>, tungstenite::Error> {
    let mut request = format!("ws://{address}{path}")
        .into_client_request()
        .unwrap();
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("Origin", HeaderValue::from_str(origin).unwrap());
    }
    tokio::time::timeout(PATIENCE, tokio_tungstenite::connect_async(request))
        .await
        .expect("a WebSocket answer in time")
        .map(|(stream, _)| stream)
}

fn status_of(error: &tungstenite::Error) -> Option<u16> {
    match error {
        tungstenite::Error::Http(response) => Some(response.status().as_u16()),
        _ => None,
    }
}

/// The next Engine.IO packet on a Socket.IO WebSocket, past the server's pings (`2`).
async fn next_text<S>(socket: &mut WebSocketStream<S>) -> String
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        let frame = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("a frame in time")
            .expect("the connection is open")
            .expect("a frame");
        match frame {
            Message::Text(text) if text.as_str() == "2" => continue,
            Message::Text(text) => return text.to_string(),
            _ => continue,
        }
    }
}
