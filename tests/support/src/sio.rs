//! A small Socket.IO client over a raw WebSocket, enough for the tests: connect, emit,
//! emit with a callback (an *ack*), and read events.
//!
//! It also shows what Socket.IO puts on the wire. Every WebSocket frame is an
//! Engine.IO packet, whose first digit is its type (`0` open, `2` ping, `3` pong,
//! `4` message). A message carries a Socket.IO packet with a digit of its own
//! (`0` connect, `2` event, `3` ack):
//!
//! ```text
//! 42["enter_room","kitchen"]        an event, no callback
//! 427["enter_room","kitchen"]       the same, asking for callback number 7
//! 437["kitchen"]                    the server calls callback 7 with "kitchen"
//! ```

use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    time::Duration,
};

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message};

use crate::PATIENCE;

pub struct Sio {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_ack: u64,
    events: VecDeque<(String, Vec<Value>)>,
    acks: HashMap<u64, Vec<Value>>,
    /// The session id the server gave this socket.
    pub sid: String,
}

impl Sio {
    /// Connects to the `/` namespace, as `io("http://ADDRESS")` does.
    pub async fn connect(address: SocketAddr) -> Self {
        Self::connect_to(address, "/").await
    }

    /// Connects to a namespace, as `io("http://ADDRESS/admin")` does.
    pub async fn connect_to(address: SocketAddr, namespace: &str) -> Self {
        let url = format!("ws://{address}/socket.io/?EIO=4&transport=websocket");
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("WebSocket handshake");
        let mut socket = Sio {
            ws,
            next_ack: 0,
            events: VecDeque::new(),
            acks: HashMap::new(),
            sid: String::new(),
        };
        let open = socket.frame().await;
        assert!(
            open.starts_with('0'),
            "expected the Engine.IO open packet, got {open}"
        );
        // The root namespace is implied; another one is named, followed by a comma.
        let prefix = match namespace {
            "/" => String::from("40"),
            other => format!("40{other},"),
        };
        socket.send_raw(&prefix).await;
        let connect = socket.frame().await;
        let body = connect
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("expected {prefix}{{..}}, got {connect}"));
        let body: Value = serde_json::from_str(body).unwrap();
        socket.sid = body["sid"].as_str().unwrap().to_owned();
        socket
    }

    /// Sends one raw WebSocket text frame, e.g. `42["event"]`.
    pub async fn send_raw(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.expect("send");
    }

    /// `socket.emit(event, ...args)` without a callback.
    pub async fn emit(&mut self, event: &str, args: &[Value]) {
        let packet = format!("42{}", Self::array(event, args));
        self.send_raw(&packet).await;
    }

    /// `socket.emit(event, ...args, callback)`; returns the callback's number, for [`Sio::ack`].
    pub async fn emit_with_ack(&mut self, event: &str, args: &[Value]) -> u64 {
        let id = self.next_ack;
        self.next_ack += 1;
        let packet = format!("42{id}{}", Self::array(event, args));
        self.send_raw(&packet).await;
        id
    }

    /// Emits with a callback and waits for the server to call it; returns its arguments.
    pub async fn call(&mut self, event: &str, args: &[Value]) -> Vec<Value> {
        let id = self.emit_with_ack(event, args).await;
        self.ack(id).await
    }

    /// Waits for the server to call callback `id`; events that arrive meanwhile are kept.
    pub async fn ack(&mut self, id: u64) -> Vec<Value> {
        loop {
            if let Some(args) = self.acks.remove(&id) {
                return args;
            }
            self.read_packet().await;
        }
    }

    /// Whichever comes first: callback `id` (`Ok`, with its arguments) or an event.
    pub async fn ack_or_event(&mut self, id: u64) -> Result<Vec<Value>, (String, Vec<Value>)> {
        loop {
            if let Some(args) = self.acks.remove(&id) {
                return Ok(args);
            }
            if let Some(event) = self.events.pop_front() {
                return Err(event);
            }
            self.read_packet().await;
        }
    }

    /// The next event from the server: its name and arguments.
    pub async fn event(&mut self) -> (String, Vec<Value>) {
        loop {
            if let Some(event) = self.events.pop_front() {
                return event;
            }
            self.read_packet().await;
        }
    }

    /// The next event, which must be `name`; returns its arguments.
    pub async fn expect(&mut self, name: &str) -> Vec<Value> {
        let (event, args) = self.event().await;
        assert_eq!(event, name, "expected event {name}, got {event} {args:?}");
        args
    }

    /// Reads events until `name` arrives (others are skipped); returns its arguments.
    pub async fn until(&mut self, name: &str) -> Vec<Value> {
        loop {
            let (event, args) = self.event().await;
            if event == name {
                return args;
            }
        }
    }

    /// Reads events until a `room_change` lists exactly `rooms` (chapters 6 and 10).
    pub async fn until_rooms(&mut self, rooms: &[&str]) {
        while self.until("room_change").await != [serde_json::json!(rooms)] {}
    }

    /// Connects to a room chat of chapter 6 or 10: reads the room list every newcomer
    /// gets, and sets a nickname.
    pub async fn chatter(address: SocketAddr, nickname: &str) -> Self {
        let mut socket = Self::connect(address).await;
        socket.expect("room_change").await;
        let saved = socket.call("nickname", &[Value::from(nickname)]).await;
        assert_eq!(saved, [Value::from(nickname)]);
        socket
    }

    /// The next `error` event's message.
    pub async fn error(&mut self) -> String {
        let args = self.expect("error").await;
        args[0].as_str().expect("an error is a text").to_owned()
    }

    /// Asserts that no event arrives for a short while.
    pub async fn expect_silence(&mut self) {
        if let Some(event) = self.events.pop_front() {
            panic!("expected silence, got {event:?}");
        }
        let read = tokio::time::timeout(Duration::from_millis(300), self.read_packet()).await;
        if read.is_ok() {
            panic!(
                "expected silence, got {:?} / acks {:?}",
                self.events, self.acks
            );
        }
    }

    /// Closes the WebSocket with a proper goodbye.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }

    /// Whether the server has closed this connection (waits up to [`PATIENCE`]).
    pub async fn is_closed_by_server(&mut self) -> bool {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return false,
                Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    fn array(event: &str, args: &[Value]) -> String {
        let mut array = vec![Value::from(event)];
        array.extend_from_slice(args);
        Value::Array(array).to_string()
    }

    /// Reads one Socket.IO packet and files it as an event or an ack.
    async fn read_packet(&mut self) {
        let frame = self.frame().await;
        let Some(packet) = frame.strip_prefix("4") else {
            panic!("unexpected Engine.IO packet {frame}");
        };
        let kind = &packet[..1];
        let mut rest = &packet[1..];
        // Packets of a namespace other than `/` name it first: `42/admin,[...]`.
        if rest.starts_with('/') {
            rest = &rest[rest.find(',').map_or(rest.len(), |comma| comma + 1)..];
        }
        let split = rest.find('[').unwrap_or(rest.len());
        let (id, json) = rest.split_at(split);
        let args: Vec<Value> = match serde_json::from_str(json) {
            Ok(Value::Array(args)) => args,
            _ => panic!("unexpected Socket.IO packet {frame}"),
        };
        match kind {
            "2" => {
                let mut args = args.into_iter();
                let name = args
                    .next()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap();
                self.events.push_back((name, args.collect()));
            }
            "3" => {
                self.acks.insert(id.parse().unwrap(), args);
            }
            _ => panic!("unexpected Socket.IO packet {frame}"),
        }
    }

    /// The next text frame, answering the server's pings on the way.
    async fn frame(&mut self) -> String {
        loop {
            let frame = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("nothing arrived in time")
                .expect("connection closed")
                .expect("WebSocket error");
            match frame {
                Message::Text(text) if text.as_str() == "2" => self.send_raw("3").await,
                Message::Text(text) => return text.to_string(),
                Message::Ping(_) | Message::Pong(_) => {}
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }
}
