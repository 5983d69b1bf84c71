//! Chapter 8's signaling relay over real Socket.IO connections. The browser side
//! is tested in `page.test.mjs`, beside this file.

use std::net::SocketAddr;

use chapter_08::{IceServers, app, app_with};
use serde_json::{Value, json};
use test_support::{page, sio::Sio, start};

fn offer() -> Value {
    json!({ "type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n" })
}

fn answer() -> Value {
    json!({ "type": "answer", "sdp": "v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n" })
}

fn candidate() -> Value {
    json!({
        "candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
        "usernameFragment": "abcd",
    })
}

/// Two people in `room`: the first has heard `welcome` for the second.
async fn pair(address: SocketAddr, room: &str) -> (Sio, Sio) {
    let mut first = Sio::connect(address).await;
    assert_eq!(first.call("join_room", &[json!(room)]).await, [json!(room)]);
    let mut second = Sio::connect(address).await;
    assert_eq!(
        second.call("join_room", &[json!(room)]).await,
        [json!(room)]
    );
    first.expect("welcome").await;
    (first, second)
}

#[test]
fn ice_servers_must_be_a_list_of_objects_with_urls() {
    assert!(IceServers::parse("[]").is_ok());
    let turn = r#"[{"urls":["stun:a:1","turn:b:2"],"username":"u","credential":"c"}]"#;
    assert!(IceServers::parse(turn).is_ok());
    assert!(IceServers::parse("stun:a:1").is_err());
    let error = IceServers::parse(r#"[{"url":"stun:a:1"}]"#).unwrap_err();
    assert!(error.contains("no \"urls\""), "{error}");
}

#[tokio::test]
async fn the_page_hands_over_the_ice_servers() {
    let stun = IceServers::parse(r#"[{"urls":"stun:stun.example.test:3478"}]"#).unwrap();
    let address = start(app_with(stun)).await;
    let body = page(address, "/").await;
    // HTML-escaped inside the attribute; the browser unescapes it for JSON.parse.
    let attribute = "data-ice-servers=\"[{&#34;urls&#34;:&#34;stun:stun.example.test:3478&#34;}]\"";
    assert!(body.contains(attribute), "{body}");
    for id in [
        "<div id=\"welcome\">",
        "<video id=\"peerFace\"",
        "<select id=\"cameras\">",
    ] {
        assert!(body.contains(id), "missing {id}");
    }
}

#[tokio::test]
async fn offer_answer_and_ice_reach_only_the_other_peer() {
    let address = start(app()).await;
    let (mut caller, mut callee) = pair(address, "call").await;
    let (mut other_a, mut other_b) = pair(address, "other-call").await;

    caller.emit("offer", &[offer(), json!("call")]).await;
    assert_eq!(callee.expect("offer").await, [offer()]);
    callee.emit("answer", &[answer(), json!("call")]).await;
    assert_eq!(caller.expect("answer").await, [answer()]);
    caller.emit("ice", &[candidate(), json!("call")]).await;
    callee.emit("ice", &[candidate(), json!("call")]).await;
    assert_eq!(callee.expect("ice").await, [candidate()]);
    assert_eq!(caller.expect("ice").await, [candidate()]);

    // Nothing echoes back, nothing leaks into another room.
    caller.expect_silence().await;
    callee.expect_silence().await;
    other_a.expect_silence().await;
    other_b.expect_silence().await;
}

#[tokio::test]
async fn a_third_person_is_told_the_room_is_full() {
    let address = start(app()).await;
    let (mut first, mut second) = pair(address, "duo").await;
    let mut third = Sio::connect(address).await;
    third.emit_with_ack("join_room", &[json!("duo")]).await;
    assert_eq!(third.expect("room_full").await, [json!("duo")]);
    third.expect_silence().await; // and no callback: not in the room
    first.expect_silence().await; // nobody is welcomed
    second.expect_silence().await;
    // The third cannot relay into the call either.
    third.emit("offer", &[offer(), json!("duo")]).await;
    assert!(third.error().await.contains("you are not in room \"duo\""));
    first.expect_silence().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_joining_at_once_still_makes_two() {
    let address = start(app()).await;
    let mut sockets = Vec::new();
    for _ in 0..8 {
        sockets.push(Sio::connect(address).await);
    }
    // Everyone asks before anyone reads an answer.
    let mut ids = Vec::new();
    for socket in &mut sockets {
        ids.push(socket.emit_with_ack("join_room", &[json!("crowd")]).await);
    }
    let mut inside = 0;
    let mut refused = 0;
    for (socket, id) in sockets.iter_mut().zip(ids) {
        match socket.ack_or_event(id).await {
            Ok(room) => {
                assert_eq!(room, [json!("crowd")]);
                inside += 1;
            }
            Err((event, args)) => {
                assert_eq!((event.as_str(), args), ("room_full", vec![json!("crowd")]));
                refused += 1;
            }
        }
    }
    assert_eq!((inside, refused), (2, 6));
}

#[tokio::test]
async fn leaving_is_announced_and_frees_the_place() {
    let address = start(app()).await;
    let (mut first, second) = pair(address, "r").await;
    drop(second); // closed tab: no goodbye
    assert_eq!(first.expect("bye").await, Vec::<Value>::new());
    let mut newcomer = Sio::connect(address).await;
    assert_eq!(
        newcomer.call("join_room", &[json!("r")]).await,
        [json!("r")]
    );
    first.expect("welcome").await;
}

#[tokio::test]
async fn bad_input_gets_an_error_and_breaks_nothing() {
    let address = start(app()).await;
    let (mut caller, mut callee) = pair(address, "r").await;
    let huge_sdp = json!({ "type": "offer", "sdp": "a".repeat(33 * 1024) });
    let cases: Vec<(&str, Vec<Value>, &str)> = vec![
        (
            "join_room",
            vec![json!(42)],
            "invalid type: integer `42`, expected a string",
        ),
        ("join_room", vec![json!("")], "the room name is empty"),
        ("join_room", vec![json!("x".repeat(41))], "too long"),
        (
            "join_room",
            vec![json!("another")],
            "you are already in room r",
        ),
        (
            "offer",
            vec![json!("not an object"), json!("r")],
            "expected a session description",
        ),
        (
            "offer",
            vec![offer()],
            "expected 2 arguments, the event came with 1",
        ),
        ("offer", vec![answer(), json!("r")], "not \"offer\""),
        (
            "answer",
            vec![json!({ "type": "answer" }), json!("r")],
            "missing field `sdp`",
        ),
        (
            "offer",
            vec![huge_sdp, json!("r")],
            "too long (at most 32768 bytes)",
        ),
        (
            "offer",
            vec![offer(), json!("elsewhere")],
            "you are not in room \"elsewhere\"",
        ),
        (
            "ice",
            vec![json!({ "sdpMid": "0" }), json!("r")],
            "missing field `candidate`",
        ),
        (
            "ice",
            vec![json!({ "candidate": "c".repeat(2000) }), json!("r")],
            "too long (at most 1024 bytes)",
        ),
    ];
    for (event, args, expected) in cases {
        caller.emit(event, &args).await;
        let error = caller.error().await;
        assert!(error.starts_with(&format!("{event}: ")), "{error}");
        assert!(
            error.contains(expected),
            "{event}: expected {expected:?} in {error:?}"
        );
        callee.expect_silence().await;
        // A good relay still works.
        caller.emit("ice", &[candidate(), json!("r")]).await;
        assert_eq!(callee.expect("ice").await, [candidate()]);
    }
}
