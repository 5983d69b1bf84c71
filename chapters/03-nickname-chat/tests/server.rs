//! Chapter 3 over real WebSockets: the course's JSON protocol, nicknames, broadcast,
//! bad input, peers that leave, and a peer that stops reading.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use chapter_03::{
    Chat, ERROR_SIGN, HARD_FRAME_LIMIT, MAX_FRAME_BYTES, MAX_NICKNAME_CHARS, MESSAGE_BURST,
    MESSAGES_PER_SECOND, PaceLimit,
};
use test_support::tungstenite::{Message, protocol::frame::coding::CloseCode};
use test_support::{
    PATIENCE, Ws, close_code_after_raw_frame, eventually, masked_frame, page, start,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpStream, tcp::OwnedWriteHalf},
};

#[tokio::test]
async fn page_has_the_course_ids() {
    let address = start(chapter_03::app()).await;
    let body = page(address, "/").await;
    for id in [
        "<form id=\"nick\">",
        "<form id=\"message\">",
        "<ul class=\"messages\">",
    ] {
        assert!(body.contains(id), "missing {id}");
    }
}

#[tokio::test]
async fn three_people_chat_with_nicknames() {
    let address = start(chapter_03::app()).await;
    let mut ana = Ws::connect(address).await;
    let mut ben = Ws::connect(address).await;
    let mut cleo = Ws::connect(address).await;

    ana.send_json("nickname", "Ana").await;
    ben.send_json("nickname", "Ben").await;
    // Setting a nickname sends nothing to anybody.
    ana.expect_silence().await;

    ana.send_json("new_message", "hello").await;
    for socket in [&mut ana, &mut ben, &mut cleo] {
        assert_eq!(socket.text().await, "Ana: hello");
    }
    ben.send_json("new_message", "hi Ana").await;
    cleo.send_json("new_message", "hey").await;
    for socket in [&mut ana, &mut ben, &mut cleo] {
        // One feed, so everyone sees the same order.
        let first = socket.text().await;
        let second = socket.text().await;
        let mut both = [first, second];
        both.sort();
        assert_eq!(both, ["Anon: hey", "Ben: hi Ana"]);
    }
}

#[tokio::test]
async fn a_message_never_renames_its_sender() {
    // The original's missing `break` renamed you to every message you sent.
    let address = start(chapter_03::app()).await;
    let mut ana = Ws::connect(address).await;
    ana.send_json("nickname", "Ana").await;
    ana.send_json("new_message", "first").await;
    ana.send_json("new_message", "second").await;
    assert_eq!(ana.text().await, "Ana: first");
    assert_eq!(ana.text().await, "Ana: second");
}

#[tokio::test]
async fn bad_input_gets_an_error_to_its_sender_alone() {
    // 25 frames at once, more than MESSAGE_BURST: no pace limit here.
    let chat = Chat::new().with_pace(PaceLimit {
        per_second: 1e9,
        burst: 1e9,
    });
    let address = start(chapter_03::app_with(chat)).await;
    let mut bad = Ws::connect(address).await;
    let mut other = Ws::connect(address).await;
    bad.send_json("nickname", "Bad").await;

    let long_nickname = "n".repeat(MAX_NICKNAME_CHARS + 1);
    let huge = serde_json::json!({"type": "new_message", "payload": "x".repeat(MAX_FRAME_BYTES)})
        .to_string();
    let cases: Vec<(Message, &str)> = vec![
        (
            Message::text("hello, not JSON"),
            "could not read your message",
        ),
        (
            Message::text(r#"{"type":"shout","payload":"x"}"#),
            "unknown variant `shout`",
        ),
        (
            Message::text(r#"{"type":"new_message"}"#),
            "missing field `payload`",
        ),
        (
            Message::text(r#"{"type":"new_message","payload":42}"#),
            "invalid type: integer `42`",
        ),
        (
            Message::text(r#"{"type":"nickname","payload":null}"#),
            "invalid type: null",
        ),
        (Message::text(r#"{"payload":"x"}"#), "missing field `type`"),
        (
            Message::text(r#"{"type":"new_message","payload":"   "}"#),
            "empty message",
        ),
        (
            Message::text(r#"{"type":"nickname","payload":""}"#),
            "the nickname is empty",
        ),
        (
            Message::text(format!(
                r#"{{"type":"nickname","payload":"{long_nickname}"}}"#
            )),
            "the nickname is too long",
        ),
        (
            Message::text(r#"{"type":"nickname","payload":"⚠️ server"}"#),
            "letters, digits",
        ),
        (
            Message::binary(vec![1u8, 2, 3]),
            "binary frames are not understood",
        ),
        (Message::text(huge), "message too long"),
    ];
    for (frame, expected) in cases {
        bad.send(frame).await;
        let reply = bad.text().await;
        assert!(reply.starts_with(ERROR_SIGN), "{reply}");
        // serde_json's " at line 1 column 9" points into JSON the person never saw.
        assert!(!reply.contains(" at line "), "{reply}");
        assert!(
            reply.contains(expected),
            "expected {expected:?} in {reply:?}"
        );
        // The connection is still open, the nickname unchanged, and a good message still
        // goes through to everybody.
        bad.send_json("new_message", "still here").await;
        assert_eq!(bad.text().await, "Bad: still here");
        assert_eq!(other.text().await, "Bad: still here");
    }
}

#[tokio::test]
async fn peers_leave_the_list_when_their_connection_drops() {
    let chat = Chat::new();
    let address = start(chapter_03::app_with(chat.clone())).await;
    let polite = Ws::connect(address).await;
    let abrupt = Ws::connect(address).await;
    let mut stays = Ws::connect(address).await;
    assert!(eventually(PATIENCE, || chat.peers() == 3).await);

    polite.close().await;
    drop(abrupt); // no close frame: the TCP connection just ends
    assert!(
        eventually(PATIENCE, || chat.peers() == 1).await,
        "peers: {}",
        chat.peers()
    );

    stays.send_json("new_message", "anyone?").await;
    assert_eq!(stays.text().await, "Anon: anyone?");
}

#[tokio::test]
async fn a_peer_that_stops_reading_does_not_hold_others_back() {
    // The talker sends far faster than a person: no pace limit here.
    let chat = Chat::new().with_pace(PaceLimit {
        per_second: 1e9,
        burst: 1e9,
    });
    let address = start(chapter_03::app_with(chat.clone())).await;
    let _stalled = Ws::connect(address).await; // connects, then never reads again
    let mut talker = Ws::connect(address).await;
    let mut listener = Ws::connect(address).await;
    talker.send_json("nickname", "T").await;

    // 600 lines of 16 KiB: about 10 MB, more than the stalled peer's socket buffers hold.
    let line = "y".repeat(16 * 1024);
    let expected = format!("T: {line}");
    // Each read below waits at most PATIENCE: a broadcast that waited for the stalled
    // peer would stop here.
    for _ in 0..600 {
        talker.send_json("new_message", &line).await;
        assert_eq!(listener.text().await, expected);
        assert_eq!(talker.text().await, expected);
    }
    // And the stalled one is dropped, while the others stay.
    assert!(
        eventually(Duration::from_secs(10), || chat.peers() == 2).await,
        "peers: {}",
        chat.peers()
    );
    talker.send_json("new_message", "done").await;
    assert_eq!(listener.text().await, "T: done");
}

#[tokio::test]
async fn a_frame_over_the_hard_limit_closes_only_that_connection_with_1009() {
    let chat = Chat::new();
    let address = start(chapter_03::app_with(chat.clone())).await;
    let mut big = Ws::connect(address).await;
    let mut other = Ws::connect(address).await;
    big.send_text(&"z".repeat(HARD_FRAME_LIMIT + 1)).await;
    match big.next().await {
        Some(Message::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::Size),
        other => panic!("expected a close frame with code 1009, got {other:?}"),
    }
    assert!(eventually(PATIENCE, || chat.peers() == 1).await);
    other.send_json("new_message", "unaffected").await;
    assert_eq!(other.text().await, "Anon: unaffected");
}

#[tokio::test]
async fn a_polite_goodbye_gets_a_close_frame_back() {
    let address = start(chapter_03::app()).await;
    let mut ana = Ws::connect(address).await;
    ana.send(Message::Close(None)).await;
    assert!(matches!(ana.next().await, Some(Message::Close(_))));
}

#[tokio::test]
async fn a_flooder_is_slowed_and_honest_readers_stay() {
    // Before the pace existed, one script sending as fast as it can put every honest
    // reader MAX_BEHIND lines behind within a fraction of a second, and they were dropped
    // (this test failed so, in under a second, with the pace raised out of the way).
    // Here three people read every line as a browser does, but take their time over each
    // (1, 1 and 5 ms), and say a line every 300 ms, while a flooder sends long lines for
    // 3 s. They must stay, and hear every line that anyone said.
    let chat = Chat::new();
    let address = start(chapter_03::app_with(chat.clone())).await;
    let people = [
        ("Ana", Duration::from_millis(1)),
        ("Ben", Duration::from_millis(1)),
        ("Cy", Duration::from_millis(5)),
    ];
    let mut sockets = Vec::new();
    for (name, _) in people {
        let mut socket = Ws::connect(address).await;
        socket.send_json("nickname", name).await;
        sockets.push(socket);
    }
    let flood_started = tokio::time::Instant::now();
    let flood = tokio::spawn(flood(address));
    let everything_said: Vec<String> = people
        .iter()
        .flat_map(|(name, _)| (0..LINES).map(move |n| format!("{name}: line {n}")))
        .collect();
    let readers: Vec<_> = sockets
        .into_iter()
        .zip(people)
        .map(|(socket, (name, delay))| {
            tokio::spawn(slow_reader(socket, name, delay, everything_said.clone()))
        })
        .collect();

    let (_flooder, sent, warned) = flood.await.expect("the flood task");
    let mut still_open = Vec::new();
    for (reader, (name, _)) in readers.into_iter().zip(people) {
        let (socket, heard) = reader
            .await
            .unwrap_or_else(|error| panic!("{name}'s connection broke (dropped?): {error}"));
        still_open.push(socket);
        assert!(!heard.dropped, "{name} was dropped by the server");
        let missing: Vec<_> = everything_said
            .iter()
            .filter(|line| !heard.lines.contains(*line))
            .collect();
        assert!(missing.is_empty(), "{name} never got {missing:?}");
        // The flood was cut to the pace: the burst, then 10 a second while this one read.
        let reading = heard.done.duration_since(flood_started).as_secs_f64();
        let most = MESSAGE_BURST + MESSAGES_PER_SECOND * reading + 10.0;
        assert!(
            f64::from(heard.spam) <= most,
            "{} spam lines reached {name} in {reading:.1} s",
            heard.spam
        );
    }
    // Everyone is still here, the flooder too: it was slowed, and told so.
    assert_eq!(chat.peers(), 4);
    assert!(sent > 1000, "the flooder sent only {sent} frames");
    assert!(
        warned.load(Ordering::Relaxed),
        "the flooder was not told it went too fast"
    );
}

/// How long the flooder sends, and how many lines each person says meanwhile.
const FLOOD: Duration = Duration::from_secs(3);
const LINES: usize = 10;
/// The length of the flooder's lines.
const SPAM_BYTES: usize = 32 * 1024;

/// The flooder: a script that writes frames as fast as the connection takes them, a few
/// hundred per write (no WebSocket library: one would flush each frame), for `FLOOD`,
/// and reads everything that comes back, so that it is not dropped for falling behind
/// itself. Returns its connection (open while kept), the frames it sent, and whether it
/// has been told that it went too fast.
async fn flood(address: SocketAddr) -> (OwnedWriteHalf, u64, Arc<AtomicBool>) {
    let mut tcp = TcpStream::connect(address).await.expect("connect");
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.expect("handshake");
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let byte = tcp.read_u8().await.expect("the handshake's answer");
        head.push(byte);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "not upgraded");
    let (mut from_server, mut to_server) = tcp.into_split();
    // Everything that comes back is read at once, for as long as the connection lasts;
    // only "too fast" is looked for (the error line, which the server sends as it is).
    let warned = Arc::new(AtomicBool::new(false));
    tokio::spawn({
        let warned = warned.clone();
        async move {
            let (mut tail, mut buffer) = (Vec::new(), vec![0_u8; 64 * 1024]);
            while let Ok(n @ 1..) = from_server.read(&mut buffer).await {
                tail.extend_from_slice(&buffer[..n]);
                if tail.windows(8).any(|w| w == b"too fast") {
                    warned.store(true, Ordering::Relaxed);
                }
                tail.drain(..tail.len().saturating_sub(8));
            }
        }
    });
    let nickname = masked_frame(0x81, br#"{"type":"nickname","payload":"Flood"}"#);
    to_server.write_all(&nickname).await.expect("nickname");
    // Long lines (32 KiB, half of MAX_FRAME_BYTES), four frames a write.
    let spam = format!(
        r#"{{"type":"new_message","payload":"{}"}}"#,
        "x".repeat(SPAM_BYTES)
    );
    let batch = masked_frame(0x81, spam.as_bytes()).repeat(4);
    let until = tokio::time::Instant::now() + FLOOD;
    let mut sent = 0_u64;
    while let Ok(Ok(())) = tokio::time::timeout_at(until, to_server.write_all(&batch)).await {
        sent += 4;
    }
    (to_server, sent, warned)
}

/// What one reader of the flood test heard.
struct Heard {
    lines: Vec<String>,
    spam: u32,
    dropped: bool,
    /// When it stopped reading.
    done: tokio::time::Instant,
}

/// A person in the flood test: says `LINES` lines, one every 300 ms, and reads every frame
/// that comes, taking `delay` over each, until it has heard `expected` (every line that
/// anyone said), the server closes the connection, or 40 s have passed.
async fn slow_reader(
    mut socket: Ws,
    name: &str,
    delay: Duration,
    expected: Vec<String>,
) -> (Ws, Heard) {
    let mut heard = Heard {
        lines: Vec::new(),
        spam: 0,
        dropped: false,
        done: tokio::time::Instant::now(),
    };
    let give_up = tokio::time::Instant::now() + Duration::from_secs(40);
    let mut next_line = tokio::time::Instant::now();
    let mut said = 0;
    while tokio::time::Instant::now() < give_up {
        if said < LINES && tokio::time::Instant::now() >= next_line {
            socket
                .send_json("new_message", &format!("line {said}"))
                .await;
            said += 1;
            next_line += Duration::from_millis(300);
        }
        if said == LINES && expected.iter().all(|line| heard.lines.contains(line)) {
            break;
        }
        match tokio::time::timeout(Duration::from_millis(50), socket.next()).await {
            Err(_nothing_yet) => continue,
            Ok(Some(Message::Text(text))) if text.starts_with("Flood: ") => heard.spam += 1,
            Ok(Some(Message::Text(text))) => heard.lines.push(text.to_string()),
            Ok(other) => {
                eprintln!("{name}: the connection ended with {other:?}");
                heard.dropped = true;
                break;
            }
        }
        tokio::time::sleep(delay).await;
    }
    heard.done = tokio::time::Instant::now();
    (socket, heard)
}

#[tokio::test]
async fn each_broken_frame_closes_with_the_code_that_names_it() {
    let address = start(chapter_03::app()).await;
    // Not UTF-8: 1007. A reserved bit set: 1002. An unknown opcode (3): 1002.
    let cases = [
        (
            "invalid UTF-8",
            masked_frame(0x81, &[0xff, 0xfe, 0xfd]),
            1007,
        ),
        ("a reserved bit", masked_frame(0x81 | 0x40, b"hi"), 1002),
        ("an unknown opcode", masked_frame(0x83, b"hi"), 1002),
    ];
    for (what, frame, code) in cases {
        let got = close_code_after_raw_frame(address, &frame).await;
        assert_eq!(got, Some(code), "{what}");
    }
}
