//! Chapter 6 over real Socket.IO connections: room sizes, the open-room list, and the
//! live server view, also when browsers vanish without a goodbye.

use std::{
    net::SocketAddr,
    ops::{Deref, DerefMut},
    time::Duration,
};

use serde_json::{Value, json};
use test_support::{page, sio::Sio, start};

/// A chat client whose reads skip `room_change`, which everyone gets on every change
/// (the tests of the open-room list below follow it with `until_rooms`).
struct Chat(Sio);

impl Deref for Chat {
    type Target = Sio;
    fn deref(&self) -> &Sio {
        &self.0
    }
}

impl DerefMut for Chat {
    fn deref_mut(&mut self) -> &mut Sio {
        &mut self.0
    }
}

impl Chat {
    /// The next event other than `room_change`, which must be `name`; returns its arguments.
    async fn expect(&mut self, name: &str) -> Vec<Value> {
        loop {
            let (event, args) = self.0.event().await;
            if event != "room_change" {
                assert_eq!(event, name, "expected event {name}, got {event} {args:?}");
                return args;
            }
        }
    }

    /// The next `error` event's message.
    async fn error(&mut self) -> String {
        let args = self.expect("error").await;
        args[0].as_str().expect("an error is a text").to_owned()
    }

    /// Asserts that no event other than `room_change` arrives for a short while.
    async fn expect_silence(&mut self) {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(300);
        while let Ok((event, args)) = tokio::time::timeout_at(deadline, self.0.event()).await {
            assert_eq!(
                event, "room_change",
                "expected silence, got {event} {args:?}"
            );
        }
    }
}

/// Connects with `nickname` and enters `room`; checks the room's size in the callback.
async fn join(address: SocketAddr, nickname: &str, room: &str, size: usize) -> Chat {
    let mut socket = Chat(Sio::chatter(address, nickname).await);
    assert_eq!(
        socket.call("enter_room", &[json!(room)]).await,
        [json!(room), json!(size)]
    );
    socket
}

#[tokio::test]
async fn sizes_for_the_joiner_and_the_others() {
    let address = start(chapter_06::app()).await;
    let mut ana = Sio::chatter(address, "Ana").await;
    let mut ben = Sio::chatter(address, "Ben").await;
    assert_eq!(
        ana.call("enter_room", &[json!("kitchen")]).await,
        [json!("kitchen"), json!(1)]
    );
    assert_eq!(
        ben.call("enter_room", &[json!("kitchen")]).await,
        [json!("kitchen"), json!(2)]
    );
    assert_eq!(ana.until("welcome").await, [json!("Ben"), json!(2)]);
    let mut cy = Chat(Sio::chatter(address, "Cy").await);
    assert_eq!(
        cy.call("enter_room", &[json!("kitchen")]).await,
        [json!("kitchen"), json!(3)]
    );
    assert_eq!(ana.until("welcome").await, [json!("Cy"), json!(3)]);
    assert_eq!(ben.until("welcome").await, [json!("Cy"), json!(3)]);
    // Another room has its own size.
    assert_eq!(
        cy.call("enter_room", &[json!("attic")]).await,
        [json!("attic"), json!(1)]
    );
    ben.close().await;
    assert_eq!(ana.until("bye").await, [json!("Ben"), json!(2)]);
    assert_eq!(cy.expect("bye").await, [json!("Ben"), json!(2)]);
    cy.0.close().await;
    assert_eq!(ana.until("bye").await, [json!("Cy"), json!(1)]);
    ana.until_rooms(&["kitchen"]).await;
    // A newcomer counts the one who stayed.
    let _dan = join(address, "Dan", "kitchen", 2).await;
    assert_eq!(ana.until("welcome").await, [json!("Dan"), json!(2)]);
}

/// The sizes alone, without the room list (which every other test here waits for first):
/// the callback, `welcome` and `bye` each carry the room's size.
#[tokio::test]
async fn each_room_counts_the_people_inside() {
    let address = start(chapter_06::app()).await;
    let mut ana = Chat(Sio::connect(address).await);
    ana.call("nickname", &[json!("Ana")]).await;
    let mut ben = Chat(Sio::connect(address).await);
    ben.call("nickname", &[json!("Ben")]).await;
    assert_eq!(
        ana.call("enter_room", &[json!("kitchen")]).await,
        [json!("kitchen"), json!(1)]
    );
    assert_eq!(
        ben.call("enter_room", &[json!("kitchen")]).await,
        [json!("kitchen"), json!(2)]
    );
    assert_eq!(ana.expect("welcome").await, [json!("Ben"), json!(2)]);
    assert_eq!(
        ben.call("enter_room", &[json!("attic")]).await,
        [json!("attic"), json!(1)]
    );
    ben.0.close().await;
    assert_eq!(ana.expect("bye").await, [json!("Ben"), json!(1)]);
}

#[tokio::test]
async fn everyone_follows_the_open_rooms() {
    let address = start(chapter_06::app()).await;
    let mut watcher = Sio::chatter(address, "Watcher").await;
    let mut ana = Sio::chatter(address, "Ana").await;
    ana.call("enter_room", &[json!("b-room")]).await;
    watcher.until_rooms(&["b-room"]).await;
    ana.call("enter_room", &[json!("a-room")]).await;
    watcher.until_rooms(&["a-room", "b-room"]).await;
    // A newcomer gets the list at once.
    let mut late = Sio::connect(address).await;
    assert_eq!(
        late.expect("room_change").await,
        [json!(["a-room", "b-room"])]
    );
    // Someone without a nickname is Anon.
    assert_eq!(
        late.call("enter_room", &[json!("b-room")]).await,
        [json!("b-room"), json!(2)]
    );
    assert_eq!(ana.until("welcome").await, [json!("Anon"), json!(2)]);
    // While anyone is still inside, a room stays open.
    ana.close().await;
    assert_eq!(late.until("bye").await, [json!("Ana"), json!(1)]);
    watcher.until_rooms(&["b-room"]).await;
    late.close().await;
    watcher.until_rooms(&[]).await;
}

/// Reads `server_view` events until one equals `expected`.
async fn until_view(admin: &mut Sio, expected: Value) {
    while admin.expect("server_view").await != [expected.clone()] {}
}

#[tokio::test]
async fn vanished_browsers_leave_sizes_and_lists_exact() {
    let address = start(chapter_06::app()).await;
    let mut admin = Sio::connect_to(address, "/admin").await;
    let mut stays = Sio::chatter(address, "Stays").await;
    stays.call("enter_room", &[json!("r")]).await;
    let mut vanishing = Vec::new();
    for i in 0..5 {
        let mut socket = Sio::chatter(address, &format!("V{i}")).await;
        socket.call("enter_room", &[json!("r")]).await;
        socket
            .call("enter_room", &[json!(format!("solo{i}"))])
            .await;
        assert_eq!(
            stays.until("welcome").await,
            [json!(format!("V{i}")), json!(i + 2)]
        );
        vanishing.push(socket);
    }
    // In one go: two close their WebSocket, three TCP connections just end.
    let mut vanishing = vanishing.into_iter();
    for socket in vanishing.by_ref().take(2) {
        socket.close().await;
    }
    drop(vanishing);
    let mut byes = Vec::new();
    while byes.len() < 5 {
        let (event, args) = stays.event().await;
        if event == "bye" {
            byes.push((
                args[0].as_str().unwrap().to_owned(),
                args[1].as_u64().unwrap(),
            ));
        }
    }
    let mut names: Vec<_> = byes.iter().map(|(name, _)| name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["V0", "V1", "V2", "V3", "V4"]);
    assert!(
        byes.iter().all(|(_, size)| (1..=5).contains(size)),
        "byes: {byes:?}"
    );
    // Whatever order the goodbyes run in, the last one (the one a page shows) says the
    // room is down to one.
    assert_eq!(byes.last().unwrap().1, 1, "byes in arrival order: {byes:?}");
    stays.until_rooms(&["r"]).await;
    let view =
        json!({ "connected": 1, "rooms": [{ "name": "r", "members": ["Stays"] }], "lobby": [] });
    until_view(&mut admin, view).await;
    // A newcomer sees the same truth.
    let mut newcomer = Sio::chatter(address, "New").await;
    assert_eq!(
        newcomer.call("enter_room", &[json!("r")]).await,
        [json!("r"), json!(2)]
    );
}

#[tokio::test]
async fn the_server_view_follows_along() {
    let address = start(chapter_06::app()).await;
    assert!(
        page(address, "/admin")
            .await
            .contains("<table id=\"rooms\">")
    );

    // At once, on connecting.
    let mut admin = Sio::connect_to(address, "/admin").await;
    let empty = json!({ "connected": 0, "rooms": [], "lobby": [] });
    let first = admin.expect("server_view").await;
    assert_eq!(first, [json!({ "connected": 0, "rooms": [], "lobby": [] })]);
    // The lobby: connected, in no room; Anon until a nickname is chosen.
    let mut ana = Sio::connect(address).await;
    until_view(
        &mut admin,
        json!({ "connected": 1, "rooms": [], "lobby": ["Anon"] }),
    )
    .await;
    ana.call("nickname", &[json!("Ana")]).await;
    until_view(
        &mut admin,
        json!({ "connected": 1, "rooms": [], "lobby": ["Ana"] }),
    )
    .await;
    let mut bea = Sio::chatter(address, "Bea").await;
    until_view(
        &mut admin,
        json!({ "connected": 2, "rooms": [], "lobby": ["Ana", "Bea"] }),
    )
    .await;
    bea.call("enter_room", &[json!("kitchen")]).await;
    let view = json!({
        "connected": 2,
        "rooms": [{ "name": "kitchen", "members": ["Bea"] }],
        "lobby": ["Ana"],
    });
    until_view(&mut admin, view).await;
    // Rooms by name, members by nickname.
    ana.call("enter_room", &[json!("kitchen")]).await;
    ana.call("enter_room", &[json!("attic")]).await;
    let both = json!({
        "connected": 2,
        "rooms": [
            { "name": "attic", "members": ["Ana"] },
            { "name": "kitchen", "members": ["Ana", "Bea"] },
        ],
        "lobby": [],
    });
    until_view(&mut admin, both.clone()).await;
    // A second admin page sees the same at once.
    let mut admin2 = Sio::connect_to(address, "/admin").await;
    assert_eq!(admin2.expect("server_view").await, [both]);

    drop(ana);
    let view = json!({
        "connected": 1,
        "rooms": [{ "name": "kitchen", "members": ["Bea"] }],
        "lobby": [],
    });
    until_view(&mut admin, view).await;
    // The chat sockets never get server_view (and the admin pages get nothing else:
    // `expect` above would have failed on any other event).
    while let Ok((event, _)) = tokio::time::timeout(Duration::from_millis(300), bea.event()).await {
        assert_ne!(event, "server_view");
    }
    bea.close().await;
    until_view(&mut admin, empty).await;
}

// The room chat of chapter 5, with sizes: messages, notices, nicknames, order, bad input
// and goodbyes.

#[tokio::test]
async fn someone_in_two_rooms_hears_both_and_both_hear_the_bye() {
    let address = start(chapter_06::app()).await;
    let mut ana = join(address, "Ana", "red", 1).await;
    let mut dan = join(address, "Dan", "blue", 1).await;
    let mut fay = join(address, "Fay", "red", 2).await;
    assert_eq!(
        fay.call("enter_room", &[json!("blue")]).await,
        [json!("blue"), json!(2)]
    );
    assert_eq!(ana.expect("welcome").await, [json!("Fay"), json!(2)]);
    assert_eq!(dan.expect("welcome").await, [json!("Fay"), json!(2)]);

    // The sender's callback gets no arguments (its page shows "You: ..."); the others
    // in the room get the line; nobody else, and not the sender.
    let done = ana
        .call("new_message", &[json!("hello red"), json!("red")])
        .await;
    assert_eq!(done, Vec::<Value>::new(), "done() takes no arguments");
    dan.call("new_message", &[json!("hello blue"), json!("blue")])
        .await;
    assert_eq!(fay.expect("new_message").await, [json!("Ana: hello red")]);
    assert_eq!(fay.expect("new_message").await, [json!("Dan: hello blue")]);
    fay.call("new_message", &[json!("only blue"), json!("blue")])
        .await;
    assert_eq!(dan.expect("new_message").await, [json!("Fay: only blue")]);
    fay.call("new_message", &[json!("only red"), json!("red")])
        .await;
    assert_eq!(ana.expect("new_message").await, [json!("Fay: only red")]);
    for socket in [&mut ana, &mut dan, &mut fay] {
        socket.expect_silence().await;
    }

    // Leaving: each room Fay was in hears bye, once, with its size without her.
    fay.0.close().await;
    assert_eq!(ana.expect("bye").await, [json!("Fay"), json!(1)]);
    assert_eq!(dan.expect("bye").await, [json!("Fay"), json!(1)]);
    ana.expect_silence().await;
    dan.expect_silence().await;
}

#[tokio::test]
async fn names_are_trimmed_texts_travel_as_sent_and_limits_are_inclusive() {
    let address = start(chapter_06::app()).await;
    let mut ana = join(address, "Ana", "kitchen", 1).await;
    let mut bea = Chat(Sio::chatter(address, "Someone").await);
    assert_eq!(
        bea.call("nickname", &[json!("  Bea ")]).await,
        [json!("Bea")]
    );
    assert_eq!(
        bea.call("enter_room", &[json!(" kitchen ")]).await,
        [json!("kitchen"), json!(2)]
    );
    assert_eq!(ana.expect("welcome").await, [json!("Bea"), json!(2)]);
    // HTML and long texts travel as they are; 2000 characters is the limit.
    let longest = "m".repeat(2000);
    for text in ["<b>bold</b>", longest.as_str()] {
        bea.call("new_message", &[json!(text), json!("kitchen")])
            .await;
        assert_eq!(
            ana.expect("new_message").await,
            [json!(format!("Bea: {text}"))]
        );
    }
    // The limits of names are inclusive.
    let twenty = "n".repeat(20);
    let forty = "r".repeat(40);
    for name in [twenty.as_str(), "Bea-2_x.y Zoë"] {
        assert_eq!(bea.call("nickname", &[json!(name)]).await, [json!(name)]);
    }
    assert_eq!(
        bea.call("enter_room", &[json!(forty)]).await,
        [json!(forty), json!(1)]
    );
    ana.expect_silence().await;
    bea.expect_silence().await;
}

#[tokio::test]
async fn a_nickname_sent_just_before_entering_is_the_one_the_room_sees() {
    let address = start(chapter_06::app()).await;
    let mut ana = join(address, "Ana", "r", 1).await;
    let mut ben = Sio::connect(address).await;
    // No waiting between the two events: the server must still handle them in order.
    ben.emit("nickname", &[json!("Ben")]).await;
    ben.emit_with_ack("enter_room", &[json!("r")]).await;
    assert_eq!(ana.expect("welcome").await, [json!("Ben"), json!(2)]);
    // Two nicknames in a row, with callbacks, then enter at once: the last one counts.
    let mut cy = Chat(Sio::connect(address).await);
    cy.emit_with_ack("nickname", &[json!("Cy1")]).await;
    cy.emit_with_ack("nickname", &[json!("Cyd")]).await;
    let entered = cy.emit_with_ack("enter_room", &[json!("r")]).await;
    assert_eq!(ana.expect("welcome").await, [json!("Cyd"), json!(3)]);
    assert_eq!(cy.ack(entered).await, [json!("r"), json!(3)]);
    // And a rename just before a message.
    cy.emit("nickname", &[json!("Cyrus")]).await;
    cy.emit_with_ack("new_message", &[json!("renamed"), json!("r")])
        .await;
    assert_eq!(ana.expect("new_message").await, [json!("Cyrus: renamed")]);
}

#[tokio::test]
async fn a_burst_from_one_sender_arrives_in_order() {
    let address = start(chapter_06::app()).await;
    let mut ana = join(address, "Ana", "r", 1).await;
    let mut ben = join(address, "Ben", "r", 2).await;
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
async fn events_that_need_a_callback_and_came_without_are_refused() {
    let address = start(chapter_06::app()).await;
    let mut ana = join(address, "Ana", "r", 1).await;
    let mut ben = Chat(Sio::connect(address).await);
    ben.emit("nickname", &[json!("Ben")]).await; // its callback is optional
    ben.emit("enter_room", &[json!("r")]).await;
    assert_eq!(
        ben.error().await,
        "enter_room: this event needs a callback (the last argument: a function)"
    );
    ana.expect_silence().await; // Ben did not enter
    drop(ben);
    let mut ben = join(address, "Ben", "r", 2).await;
    assert_eq!(ana.expect("welcome").await, [json!("Ben"), json!(2)]);
    ben.emit("new_message", &[json!("no callback"), json!("r")])
        .await;
    assert_eq!(
        ben.error().await,
        "new_message: this event needs a callback (the last argument: a function)"
    );
    ana.expect_silence().await; // and the message was not passed on
}

#[tokio::test]
async fn a_room_you_never_entered_is_refused() {
    let address = start(chapter_06::app()).await;
    let mut ana = join(address, "Ana", "private", 1).await;
    let mut eve = join(address, "Eve", "elsewhere", 1).await;
    eve.emit_with_ack("new_message", &[json!("psst"), json!("private")])
        .await;
    let error = eve.error().await;
    assert!(error.contains("you are not in room \"private\""), "{error}");
    ana.expect_silence().await;
    eve.expect_silence().await; // and the callback is not called
}

#[tokio::test]
async fn bad_input_gets_an_error_and_the_socket_keeps_working() {
    let address = start(chapter_06::app()).await;
    let mut ana = join(address, "Ana", "r", 1).await;
    let mut bad = join(address, "Bad", "r", 2).await;
    ana.expect("welcome").await;
    let cases: Vec<(&str, Vec<Value>, &str)> = vec![
        (
            "nickname",
            vec![json!(5)],
            "invalid type: integer `5`, expected a string",
        ),
        ("nickname", vec![json!("")], "the nickname is empty"),
        ("nickname", vec![json!("   ")], "the nickname is empty"),
        (
            "nickname",
            vec![json!("n".repeat(21))],
            "too long (at most 20 characters)",
        ),
        ("nickname", vec![json!("a:b")], "letters, digits"),
        ("nickname", vec![json!("<script>")], "letters, digits"),
        (
            "nickname",
            vec![json!(null)],
            "invalid type: null, expected a string",
        ),
        ("nickname", vec![], "the event came without its argument"),
        ("enter_room", vec![json!("")], "the room name is empty"),
        (
            "enter_room",
            vec![json!("r".repeat(41))],
            "too long (at most 40 characters)",
        ),
        ("enter_room", vec![json!("a\u{7}b")], "control characters"),
        (
            "enter_room",
            vec![json!({ "payload": "r" })],
            "invalid type: map, expected a string",
        ),
        ("enter_room", vec![], "the event came without its argument"),
        (
            "new_message",
            vec![json!("only text")],
            "expected 2 arguments, the event came with 1",
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
            vec![],
            "expected 2 arguments, the event came with 0",
        ),
        (
            "new_message",
            vec![json!("psst"), json!("nowhere")],
            "you are not in room \"nowhere\": enter it first",
        ),
        (
            "new_message",
            vec![json!("  \n "), json!("r")],
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
        bad.expect_silence().await; // the callback of a refused event is never called
        // Nothing reached the room, the nickname is unchanged, and a good event works.
        bad.call("new_message", &[json!("still here"), json!("r")])
            .await;
        assert_eq!(ana.expect("new_message").await, [json!("Bad: still here")]);
    }
}

#[tokio::test]
async fn a_packet_over_the_limit_closes_only_that_connection() {
    let address = start(chapter_06::app()).await;
    let mut ana = join(address, "Ana", "den", 1).await;
    let mut bea = join(address, "Bea", "den", 2).await;
    let mut big = join(address, "Big", "den", 3).await;
    big.call("enter_room", &[json!("big-only")]).await;
    assert_eq!(ana.expect("welcome").await, [json!("Bea"), json!(2)]);
    assert_eq!(ana.expect("welcome").await, [json!("Big"), json!(3)]);
    assert_eq!(bea.expect("welcome").await, [json!("Big"), json!(3)]);

    let huge = "x".repeat(shared::MAX_PACKET_BYTES);
    big.emit_with_ack("new_message", &[json!(huge), json!("den")])
        .await;
    assert!(big.is_closed_by_server().await);
    assert_eq!(ana.expect("bye").await, [json!("Big"), json!(2)]);
    assert_eq!(bea.expect("bye").await, [json!("Big"), json!(2)]);
    ana.until_rooms(&["den"]).await;

    // The others chat on, and newcomers are welcome.
    ana.call("new_message", &[json!("still here"), json!("den")])
        .await;
    assert_eq!(bea.expect("new_message").await, [json!("Ana: still here")]);
    let _cy = join(address, "Cy", "den", 3).await;
    assert_eq!(ana.expect("welcome").await, [json!("Cy"), json!(3)]);
    assert_eq!(bea.expect("welcome").await, [json!("Cy"), json!(3)]);
    ana.expect_silence().await;
    bea.expect_silence().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_right_after_enter_room_still_says_bye() {
    // A disconnect packet (41) right after enter_room, while the server may still be
    // handling it: the room hears the newcomer arrive, then leave, and its size is
    // back to one. Thirty people, one after the other; the first five wait for
    // enter_room's callback, the others do not. (Each closes its WebSocket once the
    // room has heard the bye: see `last_words_before_a_clean_goodbye_arrive_before_the_bye`.)
    let address = start(chapter_06::app()).await;
    let mut stays = join(address, "Stays", "r", 1).await;
    for i in 0..30 {
        let name = format!("G{i}");
        let mut guest = Sio::chatter(address, &name).await;
        if i < 5 {
            guest.call("enter_room", &[json!("r")]).await;
        } else {
            guest.emit_with_ack("enter_room", &[json!("r")]).await;
        }
        guest.send_raw("41").await;
        // Gone before enter_room was handled, a guest no longer counts in its welcome.
        let welcome = stays.expect("welcome").await;
        assert_eq!(welcome[0], json!(name));
        assert!([json!(1), json!(2)].contains(&welcome[1]), "{welcome:?}");
        assert_eq!(stays.expect("bye").await, [json!(name), json!(1)]);
        guest.close().await;
    }
    stays.expect_silence().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_words_before_a_clean_goodbye_arrive_before_the_bye() {
    // Forty people, one after the other, send ten messages without waiting and a
    // disconnect packet (41): a page that says its last words and goes.
    //
    // Each closes its WebSocket only once the room has heard the bye. The official
    // client closes with a closing handshake, which keeps the TCP connection open a
    // round trip longer; closing it at once here (a close frame, then the TCP
    // connection dropped) lost the last messages in chapter 5: see client.test.mjs
    // for the real client leaving at once.
    let address = start(chapter_06::app()).await;
    let mut stays = join(address, "Stays", "r", 1).await;
    for i in 0..40 {
        let name = format!("G{i}");
        let mut guest = join(address, &name, "r", 2).await;
        assert_eq!(stays.expect("welcome").await, [json!(name), json!(2)]);
        for j in 0..10 {
            guest
                .emit_with_ack(
                    "new_message",
                    &[json!(format!("last words {j}")), json!("r")],
                )
                .await;
        }
        guest.send_raw("41").await;
        for j in 0..10 {
            assert_eq!(
                stays.expect("new_message").await,
                [json!(format!("{name}: last words {j}"))]
            );
        }
        assert_eq!(stays.expect("bye").await, [json!(name), json!(1)]);
        guest.0.close().await;
    }
    stays.expect_silence().await;
}

/// The `room_change` events that reach `socket` until it has heard nothing for `quiet`
/// (other events are read and skipped): their number, and the longest list.
async fn room_changes_heard(socket: &mut Sio, quiet: Duration) -> (usize, usize) {
    let (mut count, mut longest) = (0, 0);
    while let Ok((event, args)) = tokio::time::timeout(quiet, socket.event()).await {
        if event == "room_change" {
            count += 1;
            longest = longest.max(args[0].as_array().map_or(0, Vec::len));
        }
    }
    (count, longest)
}

/// Under attack: a class of 60 entering one room, in waves, costs each idle page one
/// `room_change` (the list changed once), not one per newcomer: linear, not N squared.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_joining_one_after_another_costs_a_room_change_per_page_not_per_newcomer() {
    let address = start(chapter_06::app()).await;
    let mut observers = Vec::new();
    for _ in 0..3 {
        let mut observer = Sio::connect(address).await;
        assert_eq!(observer.expect("room_change").await, [json!([])]);
        observers.push(observer);
    }
    let mut class = Vec::new();
    for wave in 0..6 {
        for person in 0..10 {
            let mut socket = Sio::connect(address).await;
            // A newcomer hears the list as it is, at once.
            socket.until("room_change").await;
            let size = wave * 10 + person + 1;
            assert_eq!(
                socket.call("enter_room", &[json!("class")]).await,
                [json!("class"), json!(size)]
            );
            class.push(socket);
        }
        // Longer than the announcer's wait: each wave is a change of its own.
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    for observer in &mut observers {
        assert_eq!(
            room_changes_heard(observer, Duration::from_millis(700)).await,
            (1, 1)
        );
    }
    // Everyone in the class: the list at connection, and at most the one change.
    let mut total = 0;
    for socket in &mut class {
        // All has arrived by now: a short wait for silence is enough.
        total += room_changes_heard(socket, Duration::from_millis(50))
            .await
            .0;
    }
    assert!(
        total <= class.len(),
        "{total} room_change for {} newcomers",
        class.len()
    );
}

/// Under attack: one socket may be in `shared::MAX_ROOMS_PER_SOCKET` rooms; beyond,
/// `enter_room` is refused with an `error` event, and the list the others receive stays
/// short.
#[tokio::test]
async fn one_socket_enters_at_most_twenty_rooms() {
    let address = start(chapter_06::app()).await;
    let mut observer = Sio::connect(address).await;
    observer.expect("room_change").await;
    let mut eve = Chat(Sio::chatter(address, "Eve").await);
    assert_eq!(shared::MAX_ROOMS_PER_SOCKET, 20);
    for n in 0..20 {
        let room = format!("room {n}");
        assert_eq!(
            eve.call("enter_room", &[json!(room)]).await,
            [json!(room), json!(1)]
        );
    }
    for n in 20..300 {
        eve.emit_with_ack("enter_room", &[json!(format!("room {n}"))])
            .await;
        let error = eve.error().await;
        assert_eq!(
            error,
            "enter_room: you are in too many rooms: at most 20 rooms"
        );
    }
    // A room already entered is still fine.
    assert_eq!(
        eve.call("enter_room", &[json!("room 0")]).await,
        [json!("room 0"), json!(1)]
    );
    let (count, longest) = room_changes_heard(&mut observer, Duration::from_millis(700)).await;
    assert_eq!(longest, 20);
    assert!(count <= 5, "{count} room_change for one socket's 20 rooms");
}
