//! Chapter 3 over real WebSockets: the course's JSON protocol, nicknames, broadcast,
//! bad input, peers that leave, and a peer that stops reading.

use std::time::Duration;

use chapter_03::{
    Chat, ERROR_SIGN, HARD_FRAME_LIMIT, MAX_FRAME_BYTES, MAX_NICKNAME_CHARS, MESSAGE_BURST,
    PaceLimit,
};
use test_support::tungstenite::{Message, protocol::frame::coding::CloseCode};
use test_support::{
    PATIENCE, Ws, close_code_after_raw_frame, eventually, masked_frame, page, start,
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
    let chat = Chat::new();
    let address = start(chapter_03::app_with(chat.clone())).await;
    let mut ana = Ws::connect(address).await;
    let mut ben = Ws::connect(address).await;
    let mut flooder = Ws::connect(address).await;
    // The flooder sends as fast as it can for 2 s, and reads what comes back, so that
    // it is not dropped for falling behind itself.
    let flood = tokio::spawn(async move {
        let until = tokio::time::Instant::now() + Duration::from_secs(2);
        let mut sent = 0_u32;
        let mut warned = false;
        while tokio::time::Instant::now() < until {
            flooder.send_json("new_message", "spam").await;
            sent += 1;
            while let Ok(Some(Message::Text(text))) =
                tokio::time::timeout(Duration::ZERO, flooder.next()).await
            {
                warned |= text.starts_with(ERROR_SIGN);
            }
        }
        (flooder, sent, warned)
    });
    // Meanwhile Ana and Ben talk, and read everything.
    let mut spam_seen = 0_u32;
    for round in 0..8 {
        ana.send_json("new_message", &format!("ana {round}")).await;
        ben.send_json("new_message", &format!("ben {round}")).await;
        for reader in [&mut ana, &mut ben] {
            let (mut got_ana, mut got_ben) = (false, false);
            while !(got_ana && got_ben) {
                let line = reader.text().await;
                got_ana |= line == format!("Anon: ana {round}");
                got_ben |= line == format!("Anon: ben {round}");
                spam_seen += u32::from(line == "Anon: spam");
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (_flooder, sent, warned) = flood.await.expect("the flood task");
    // Both honest readers are still here, and the flood was cut to the pace: the burst,
    // then 10 a second for about 2 s (each line counted by both readers).
    assert_eq!(chat.peers(), 3);
    assert!(sent > 1000, "the flooder sent only {sent} frames");
    assert!(warned, "the flooder was not told it went too fast");
    let most = 2 * (MESSAGE_BURST as u32 + 35);
    assert!(
        spam_seen <= most,
        "{spam_seen} spam lines reached the readers"
    );
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
