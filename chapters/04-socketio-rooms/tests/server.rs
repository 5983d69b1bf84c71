//! Chapter 4 over real Socket.IO connections: an event with an object, a callback the
//! server calls, rooms, and bad input.

use std::time::{Duration, Instant};

use serde_json::json;
use test_support::{http, page, sio::Sio, start};

#[tokio::test]
async fn page_and_client_bundle_are_served() {
    let address = start(chapter_04::app()).await;
    let body = page(address, "/").await;
    for part in [
        "<div id=\"welcome\">",
        "<div id=\"room\" hidden>",
        "<script src=\"/socket.io/socket.io.js\"></script>",
    ] {
        assert!(body.contains(part), "missing {part}");
    }
    let bundle = http()
        .get(format!("http://{address}/socket.io/socket.io.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        bundle.status(),
        200,
        "is node_modules installed? run npm ci"
    );
    assert!(bundle.text().await.unwrap().contains("Socket.IO"));
    // The Socket.IO layer still answers its own requests (here: long polling's handshake).
    let handshake = http()
        .get(format!(
            "http://{address}/socket.io/?EIO=4&transport=polling"
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(handshake.starts_with("0{\"sid\":"), "{handshake}");
}

#[tokio::test]
async fn enter_room_calls_the_browsers_function_with_the_room() {
    let address = start(chapter_04::app()).await;
    let mut ana = Sio::connect(address).await;
    let answer = ana
        .call("enter_room", &[json!({ "payload": "  kitchen " })])
        .await;
    assert_eq!(answer, [json!("kitchen")]);
    ana.expect_silence().await;
}

#[tokio::test]
async fn room_names_are_trimmed_and_counted_in_characters() {
    let address = start(chapter_04::app()).await;
    let mut ana = Sio::connect(address).await;
    let forty = "r".repeat(40);
    // Characters, not bytes: 40 accented letters are 80 bytes of UTF-8.
    let accented = "é".repeat(40);
    for (sent, saved) in [
        (" living room \t", "living room"),
        (forty.as_str(), forty.as_str()),
        (accented.as_str(), accented.as_str()),
        ("🎉 party", "🎉 party"),
    ] {
        let answer = ana.call("enter_room", &[json!({ "payload": sent })]).await;
        assert_eq!(answer, [json!(saved)], "sent {sent:?}");
    }
    ana.expect_silence().await;
}

#[tokio::test]
async fn several_clients_at_once_each_get_their_own_room_back() {
    let address = start(chapter_04::app()).await;
    let mut clients = Vec::new();
    for _ in 0..5 {
        clients.push(Sio::connect(address).await);
    }
    // Every event is sent before any callback is awaited.
    let mut ids = Vec::new();
    for (i, client) in clients.iter_mut().enumerate() {
        let payload = json!({ "payload": format!("room {i}") });
        ids.push(client.emit_with_ack("enter_room", &[payload]).await);
    }
    for (i, (client, id)) in clients.iter_mut().zip(ids).enumerate() {
        assert_eq!(client.ack(id).await, [json!(format!("room {i}"))]);
    }
}

#[tokio::test]
async fn an_extra_argument_is_ignored() {
    // As Socket.IO in Node ignores it: the handler reads its first argument only.
    let address = start(chapter_04::app()).await;
    let mut ana = Sio::connect(address).await;
    let answer = ana
        .call(
            "enter_room",
            &[json!({ "payload": "extra" }), json!("more")],
        )
        .await;
    assert_eq!(answer, [json!("extra")]);
    ana.expect_silence().await;
}

#[tokio::test]
async fn the_server_decides_when_the_callback_runs() {
    let address = start(chapter_04::app_with_ack_delay(Duration::from_millis(500))).await;
    let mut ana = Sio::connect(address).await;
    let started = Instant::now();
    ana.call("enter_room", &[json!({ "payload": "slow" })])
        .await;
    assert!(started.elapsed() >= Duration::from_millis(500));
}

#[tokio::test]
async fn an_event_without_a_callback_is_refused_with_an_error() {
    let address = start(chapter_04::app()).await;
    let mut ana = Sio::connect(address).await;
    ana.emit("enter_room", &[json!({ "payload": "quiet" })])
        .await;
    assert_eq!(
        ana.error().await,
        "enter_room: this event needs a callback (the last argument: a function)"
    );
    ana.expect_silence().await;
    // Still connected and still served.
    assert_eq!(
        ana.call("enter_room", &[json!({ "payload": "loud" })])
            .await,
        [json!("loud")]
    );
}

#[tokio::test]
async fn bad_input_gets_an_error_event_and_the_socket_keeps_working() {
    let address = start(chapter_04::app()).await;
    let mut ana = Sio::connect(address).await;
    let cases = [
        (
            vec![json!("a plain string")],
            "expected { payload: \"room name\" }",
        ),
        (vec![json!({ "name": "x" })], "missing field `payload`"),
        (vec![json!({ "payload": 7 })], "invalid type: integer `7`"),
        (vec![json!(null)], "invalid type: null"),
        (
            vec![json!([{ "payload": "kitchen" }])],
            "invalid type: map, expected a string",
        ),
        (vec![], "the event came without its argument"),
        (vec![json!({ "payload": "" })], "the room name is empty"),
        (vec![json!({ "payload": "   " })], "the room name is empty"),
        (
            vec![json!({ "payload": "r".repeat(41) })],
            "too long (at most 40 characters)",
        ),
        (vec![json!({ "payload": "a\u{7}b" })], "control characters"),
        (vec![json!({ "payload": "a\nb" })], "control characters"),
    ];
    for (args, expected) in cases {
        let id = ana.emit_with_ack("enter_room", &args).await;
        let error = ana.error().await;
        assert!(error.starts_with("enter_room: "), "{error}");
        assert!(
            error.contains(expected),
            "expected {expected:?} in {error:?}"
        );
        ana.expect_silence().await; // the callback of a refused event is never called
        let _ = id;
        assert_eq!(
            ana.call("enter_room", &[json!({ "payload": "ok" })]).await,
            [json!("ok")]
        );
    }
}

#[tokio::test]
async fn garbage_on_the_wire_closes_only_that_connection() {
    let address = start(chapter_04::app()).await;
    let mut bad = Sio::connect(address).await;
    let mut good = Sio::connect(address).await;
    bad.send_raw("42[not json").await;
    assert!(bad.is_closed_by_server().await);
    assert_eq!(
        good.call("enter_room", &[json!({ "payload": "fine" })])
            .await,
        [json!("fine")]
    );
}

#[tokio::test]
async fn a_packet_over_the_limit_closes_only_that_connection() {
    let address = start(chapter_04::app()).await;
    let mut big = Sio::connect(address).await;
    let mut other = Sio::connect(address).await;
    let huge = "x".repeat(shared::MAX_PACKET_BYTES + 1);
    big.emit("enter_room", &[json!({ "payload": huge })]).await;
    assert!(big.is_closed_by_server().await);
    assert_eq!(
        other
            .call("enter_room", &[json!({ "payload": "fine" })])
            .await,
        [json!("fine")]
    );
}

#[tokio::test]
async fn a_long_polling_packet_over_the_limit_closes_only_that_session() {
    // Long polling has a limit of its own (the body of one POST): over it, the server
    // answers 413 and forgets the session.
    let address = start(chapter_04::app()).await;
    let base = format!("http://{address}/socket.io/?EIO=4&transport=polling");
    let client = http();
    let open = client
        .get(&base)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let open: serde_json::Value = serde_json::from_str(open.strip_prefix('0').unwrap()).unwrap();
    let url = format!("{base}&sid={}", open["sid"].as_str().unwrap());
    assert_eq!(
        client.post(&url).body("40").send().await.unwrap().status(),
        200
    );
    let huge = "x".repeat(shared::MAX_PACKET_BYTES);
    let event = format!(r#"421["enter_room",{{"payload":"{huge}"}}]"#);
    let posted = client.post(&url).body(event).send().await.unwrap();
    assert_eq!(posted.status(), 413);
    let after = client.get(&url).send().await.unwrap();
    assert_eq!(after.status(), 400, "the session is gone");
    // Everyone else is still served.
    let mut other = Sio::connect(address).await;
    assert_eq!(
        other
            .call("enter_room", &[json!({ "payload": "fine" })])
            .await,
        [json!("fine")]
    );
}

#[tokio::test]
async fn long_polling_keeps_its_session_across_requests() {
    // Each long-polling request is a separate HTTP request: they must all find the same
    // session (socketioxide's layer applied per route would start a new one each time).
    let address = start(chapter_04::app()).await;
    let base = format!("http://{address}/socket.io/?EIO=4&transport=polling");
    let client = http();
    let open = client
        .get(&base)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let open: serde_json::Value = serde_json::from_str(open.strip_prefix('0').unwrap()).unwrap();
    let url = format!("{base}&sid={}", open["sid"].as_str().unwrap());
    let posted = client.post(&url).body("40").send().await.unwrap();
    assert_eq!(posted.status(), 200);
    // One long-polling answer may hold several packets (a ping `2` among them),
    // separated by the record separator 0x1E; poll until the one we expect is there.
    let poll_until = async |wanted: &dyn Fn(&str) -> bool| {
        for _ in 0..5 {
            let body = client.get(&url).send().await.unwrap().text().await.unwrap();
            if body.split('\u{1e}').any(wanted) {
                return true;
            }
        }
        false
    };
    assert!(poll_until(&|p| p.starts_with("40{\"sid\":")).await);
    let event = r#"421["enter_room",{"payload":"polled"}]"#;
    assert_eq!(
        client.post(&url).body(event).send().await.unwrap().status(),
        200
    );
    assert!(poll_until(&|p| p == r#"431["polled"]"#).await);
}
