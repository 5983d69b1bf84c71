//! Chapter 5 over real Socket.IO connections: rooms, notices, nicknames, order, and
//! bad input.

use serde_json::{Value, json};
use test_support::{sio::Sio, start};

/// Connects and enters `room` with `nickname`, waiting for each callback.
async fn join(address: std::net::SocketAddr, nickname: &str, room: &str) -> Sio {
    let mut socket = Sio::connect(address).await;
    assert_eq!(
        socket.call("nickname", &[json!(nickname)]).await,
        [json!(nickname)]
    );
    assert_eq!(
        socket.call("enter_room", &[json!(room)]).await,
        [json!(room)]
    );
    socket
}

#[tokio::test]
async fn messages_reach_the_others_in_the_room_only() {
    let address = start(chapter_05::app()).await;
    let mut ana = join(address, "Ana", "kitchen").await;
    let mut ben = join(address, "Ben", "kitchen").await;
    assert_eq!(ana.expect("welcome").await, [json!("Ben")]);
    let mut cleo = join(address, "Cleo", "garden").await;

    // The sender's callback is called (its page shows "You: ..."); the others get the line.
    let id = ana
        .emit_with_ack("new_message", &[json!("hi"), json!("kitchen")])
        .await;
    assert_eq!(
        ana.ack(id).await,
        Vec::<Value>::new(),
        "done() takes no arguments"
    );
    assert_eq!(ben.expect("new_message").await, [json!("Ana: hi")]);
    ana.expect_silence().await; // not echoed to the sender
    cleo.expect_silence().await; // another room hears nothing

    ben.close().await;
    assert_eq!(ana.expect("bye").await, [json!("Ben")]);
    cleo.expect_silence().await;
}

#[tokio::test]
async fn a_nickname_sent_just_before_entering_is_the_one_the_room_sees() {
    let address = start(chapter_05::app()).await;
    let mut ana = join(address, "Ana", "r").await;
    let mut ben = Sio::connect(address).await;
    // No waiting between the two events: the server must still handle them in order.
    ben.emit("nickname", &[json!("Ben")]).await;
    ben.emit("enter_room", &[json!("r")]).await;
    assert_eq!(ana.expect("welcome").await, [json!("Ben")]);
}

#[tokio::test]
async fn a_burst_from_one_sender_arrives_in_order() {
    let address = start(chapter_05::app()).await;
    let mut ana = join(address, "Ana", "r").await;
    let mut ben = join(address, "Ben", "r").await;
    ana.expect("welcome").await;
    for i in 0..200 {
        ben.emit_with_ack("new_message", &[json!(i.to_string()), json!("r")])
            .await;
    }
    for i in 0..200 {
        assert_eq!(
            ana.expect("new_message").await,
            [Value::from(format!("Ben: {i}"))]
        );
    }
}

#[tokio::test]
async fn enter_then_message_at_once_is_delivered() {
    let address = start(chapter_05::app()).await;
    let mut ana = join(address, "Ana", "r").await;
    let mut ben = Sio::connect(address).await;
    ben.emit("enter_room", &[json!("r")]).await;
    ben.emit("new_message", &[json!("first words"), json!("r")])
        .await;
    assert_eq!(ana.expect("welcome").await, [json!("Anon")]);
    assert_eq!(
        ana.expect("new_message").await,
        [json!("Anon: first words")]
    );
}

#[tokio::test]
async fn a_room_you_never_entered_is_refused() {
    let address = start(chapter_05::app()).await;
    let mut ana = join(address, "Ana", "private").await;
    let mut eve = join(address, "Eve", "elsewhere").await;
    let id = eve
        .emit_with_ack("new_message", &[json!("psst"), json!("private")])
        .await;
    let error = eve.error().await;
    assert!(error.contains("you are not in room \"private\""), "{error}");
    ana.expect_silence().await;
    eve.expect_silence().await; // and the callback is not called
    let _ = id;
}

#[tokio::test]
async fn bad_input_gets_an_error_and_the_socket_keeps_working() {
    let address = start(chapter_05::app()).await;
    let mut ana = join(address, "Ana", "r").await;
    let mut bad = join(address, "Bad", "r").await;
    ana.expect("welcome").await;
    let cases: Vec<(&str, Vec<Value>, &str)> = vec![
        ("nickname", vec![json!(5)], "invalid type: integer `5`, expected a string"),
        ("nickname", vec![json!("")], "the nickname is empty"),
        (
            "nickname",
            vec![json!("n".repeat(21))],
            "too long (at most 20 characters)",
        ),
        ("nickname", vec![json!("a:b")], "letters, digits"),
        (
            "enter_room",
            vec![json!({ "payload": "r" })],
            "invalid type: map, expected a string",
        ),
        ("enter_room", vec![json!("")], "the room name is empty"),
        (
            "enter_room",
            vec![json!("r".repeat(41))],
            "too long (at most 40 characters)",
        ),
        (
            "new_message",
            vec![json!("only text")],
            "invalid length 1, expected a tuple of size 2",
        ),
        (
            "new_message",
            vec![json!(1), json!("r")],
            "invalid type: integer `1`, expected a string",
        ),
        (
            "new_message",
            vec![json!("a"), json!("r"), json!("extra")],
            "the event came with too many arguments",
        ),
        (
            "new_message",
            vec![json!("  "), json!("r")],
            "the message is empty",
        ),
        (
            "new_message",
            vec![json!("m".repeat(2001)), json!("r")],
            "too long (at most 2000 characters)",
        ),
    ];
    for (event, args, expected) in cases {
        bad.emit_with_ack(event, &args).await;
        let error = bad.error().await;
        assert!(error.starts_with(&format!("{event}: ")), "{error}");
        assert!(
            error.contains(expected),
            "{event}: expected {expected:?} in {error:?}"
        );
        // Nothing reached the room, the nickname is unchanged, and a good event works.
        bad.call("new_message", &[json!("still here"), json!("r")])
            .await;
        assert_eq!(ana.expect("new_message").await, [json!("Bad: still here")]);
    }
}

#[tokio::test]
async fn events_without_callbacks_still_work() {
    let address = start(chapter_05::app()).await;
    let mut ana = join(address, "Ana", "r").await;
    let mut ben = Sio::connect(address).await;
    ben.emit("nickname", &[json!("Ben")]).await;
    ben.emit("enter_room", &[json!("r")]).await;
    ben.emit("new_message", &[json!("no callback"), json!("r")])
        .await;
    assert_eq!(ana.expect("welcome").await, [json!("Ben")]);
    assert_eq!(ana.expect("new_message").await, [json!("Ben: no callback")]);
}

#[tokio::test]
async fn an_abrupt_disconnect_still_says_bye() {
    let address = start(chapter_05::app()).await;
    let mut ana = join(address, "Ana", "r").await;
    let ben = join(address, "Ben", "r").await;
    ana.expect("welcome").await;
    drop(ben); // the TCP connection just ends, without a goodbye
    assert_eq!(ana.expect("bye").await, [json!("Ben")]);
}

#[tokio::test]
async fn entering_the_same_room_twice_is_announced_once() {
    let address = start(chapter_05::app()).await;
    let mut ana = join(address, "Ana", "r").await;
    let mut ben = join(address, "Ben", "r").await;
    assert_eq!(ana.expect("welcome").await, [json!("Ben")]);
    assert_eq!(ben.call("enter_room", &[json!("r")]).await, [json!("r")]);
    ana.expect_silence().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_goodbye_is_always_announced() {
    // `socket.disconnect()` in the browser sends a disconnect packet (41), then the
    // connection closes. socketioxide may empty the socket's rooms before the
    // disconnect handler runs; the handler reads the socket's own record instead
    // (`shared::remembered_rooms`).
    let address = start(chapter_05::app()).await;
    let mut stays = join(address, "Stays", "r").await;
    let mut leavers = Vec::new();
    for i in 0..30 {
        leavers.push(join(address, &format!("L{i}"), "r").await);
        stays.expect("welcome").await;
    }
    for mut leaver in leavers {
        leaver.send_raw("41").await;
        leaver.close().await;
    }
    let mut byes = 0;
    while byes < 30 {
        assert_eq!(stays.event().await.0, "bye");
        byes += 1;
    }
}
