//! Chapter 10: two servers sharing rooms through a real Redis.

use std::{net::SocketAddr, time::Duration};

use serde_json::{Value, json};
use test_support::{Redis, sio::Sio, start};

async fn server(redis: &Redis, name: &str) -> SocketAddr {
    let app = chapter_10::app(&redis.url(), name)
        .await
        .expect("the server reaches Redis");
    start(app).await
}

/// A Redis of the test's own, and servers A and B on it (Redis stops when dropped).
async fn two_servers() -> (Redis, SocketAddr, SocketAddr) {
    let redis = Redis::start();
    let a = server(&redis, "A").await;
    let b = server(&redis, "B").await;
    (redis, a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_spans_both_servers() {
    let (_redis, a, b) = two_servers().await;
    let mut ana = Sio::chatter(a, "Ana").await;
    let mut ben = Sio::chatter(b, "Ben").await;

    assert_eq!(
        ana.call("enter_room", &[json!("r")]).await,
        [json!("r"), json!(1)]
    );
    // Ben is on the other server, and still the room's second person.
    assert_eq!(
        ben.call("enter_room", &[json!("r")]).await,
        [json!("r"), json!(2)]
    );
    assert_eq!(ana.until("welcome").await, [json!("Ben"), json!(2)]);

    ben.call("new_message", &[json!("hello across"), json!("r")])
        .await;
    assert_eq!(ana.until("new_message").await, [json!("Ben: hello across")]);
    ana.call("new_message", &[json!("hello back"), json!("r")])
        .await;
    assert_eq!(ben.until("new_message").await, [json!("Ana: hello back")]);

    // A newcomer on server B sees the room that lives on both.
    let mut late = Sio::connect(b).await;
    loop {
        if late.expect("room_change").await == [json!(["r"])] {
            break;
        }
    }
}

/// The adapter alone: sizes, a message and a goodbye cross between the servers (the
/// room list and the server view, which come from `announce`, are left to the others).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sizes_messages_and_goodbyes_cross_between_servers() {
    let (_redis, a, b) = two_servers().await;
    let mut ana = Sio::chatter(a, "Ana").await;
    let mut ben = Sio::chatter(b, "Ben").await;
    assert_eq!(
        ana.call("enter_room", &[json!("r")]).await,
        [json!("r"), json!(1)]
    );
    assert_eq!(
        ben.call("enter_room", &[json!("r")]).await,
        [json!("r"), json!(2)]
    );
    assert_eq!(expect(&mut ana, "welcome").await, [json!("Ben"), json!(2)]);
    ben.call("new_message", &[json!("hello across"), json!("r")])
        .await;
    assert_eq!(
        expect(&mut ana, "new_message").await,
        [json!("Ben: hello across")]
    );
    ben.close().await;
    assert_eq!(expect(&mut ana, "bye").await, [json!("Ben"), json!(1)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abrupt_disconnect_on_one_server_updates_the_other() {
    let (_redis, a, b) = two_servers().await;
    let mut ana = Sio::chatter(a, "Ana").await;
    let mut ben = Sio::chatter(b, "Ben").await;
    ana.call("enter_room", &[json!("r")]).await;
    ben.call("enter_room", &[json!("r")]).await;
    ben.call("enter_room", &[json!("only-ben")]).await;
    ana.until("welcome").await;

    drop(ben); // no goodbye
    assert_eq!(ana.until("bye").await, [json!("Ben"), json!(1)]);
    loop {
        if ana.until("room_change").await == [json!(["r"])] {
            break;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_going_away_and_coming_back() {
    let mut redis = Redis::start();
    let a = server(&redis, "A").await;
    let b = server(&redis, "B").await;
    let mut ana = Sio::chatter(a, "Ana").await;
    let mut amy = Sio::chatter(a, "Amy").await;
    let mut ben = Sio::chatter(b, "Ben").await;
    for socket in [&mut ana, &mut amy, &mut ben] {
        socket.call("enter_room", &[json!("r")]).await;
    }

    redis.stop();
    // Each server still serves its own browsers.
    amy.call("new_message", &[json!("while Redis is away"), json!("r")])
        .await;
    assert_eq!(
        ana.until("new_message").await,
        [json!("Amy: while Redis is away")]
    );

    redis.restart();
    // Cross-server delivery comes back: Ben's messages reach Ana again.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let mut attempt = 0;
    'recovered: loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no delivery across servers after Redis came back"
        );
        attempt += 1;
        let text = format!("after the restart {attempt}");
        ben.call("new_message", &[json!(text), json!("r")]).await;
        let wait = tokio::time::sleep(Duration::from_millis(500));
        tokio::pin!(wait);
        loop {
            tokio::select! {
                (event, args) = ana.event() => {
                    if event == "new_message" && args == [json!(format!("Ben: {text}"))] {
                        break 'recovered;
                    }
                }
                () = &mut wait => break,
            }
        }
    }
    // And sizes count both servers again. The first question across servers after a
    // restart can go unanswered (it waits 1 s, then counts this server only): ask
    // again, as the next join or leave would.
    let mut cleo = Sio::chatter(b, "Cleo").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let answer = cleo.call("enter_room", &[json!("r")]).await;
        if answer == [json!("r"), json!(4)] {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "sizes still count one server: {answer:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_server_view_shows_its_own_browsers_only() {
    let (_redis, a, b) = two_servers().await;
    let mut admin_a = Sio::connect_to(a, "/admin").await;
    let mut ana = Sio::chatter(a, "Ana").await;
    ana.call("enter_room", &[json!("kitchen")]).await;
    let ana_only = json!({
        "connected": 1,
        "rooms": [{ "name": "kitchen", "members": ["Ana"] }],
        "lobby": [],
    });
    while admin_a.expect("server_view").await != [ana_only.clone()] {}

    // Ben enters the same room on server B: B announces its own picture, which must
    // not reach A's view.
    let mut admin_b = Sio::connect_to(b, "/admin").await;
    let mut ben = Sio::chatter(b, "Ben").await;
    ben.call("enter_room", &[json!("kitchen")]).await;
    let ben_only = json!({
        "connected": 1,
        "rooms": [{ "name": "kitchen", "members": ["Ben"] }],
        "lobby": [],
    });
    while admin_b.expect("server_view").await != [ben_only.clone()] {}
    // Whatever A's view hears meanwhile is still A's own picture.
    while let Ok((event, view)) =
        tokio::time::timeout(Duration::from_millis(500), admin_a.event()).await
    {
        assert_eq!(event, "server_view");
        assert_eq!(
            view,
            std::slice::from_ref(&ana_only),
            "server A's view shows a browser of B"
        );
    }
}

/// The next event other than `room_change` (which everyone gets on every change), which
/// must be `name`; returns its arguments.
async fn expect(socket: &mut Sio, name: &str) -> Vec<Value> {
    loop {
        let (event, args) = socket.event().await;
        if event != "room_change" {
            assert_eq!(event, name, "expected event {name}, got {event} {args:?}");
            return args;
        }
    }
}

/// Asserts that no event other than `room_change` arrives for a short while.
async fn quiet(socket: &mut Sio) {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
    while let Ok((event, args)) = tokio::time::timeout_at(deadline, socket.event()).await {
        assert_eq!(
            event, "room_change",
            "expected silence, got {event} {args:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_lists_and_sizes_follow_across_servers() {
    let (_redis, a, b) = two_servers().await;
    let mut ana = Sio::chatter(a, "Ana").await;
    let mut bea = Sio::chatter(b, "Bea").await;
    ana.call("enter_room", &[json!("harbor")]).await;
    bea.until_rooms(&["harbor"]).await;
    bea.call("enter_room", &[json!("harbor")]).await;
    assert_eq!(expect(&mut ana, "welcome").await, [json!("Bea"), json!(2)]);

    // A rename on B shows in the next message on A.
    assert_eq!(
        bea.call("nickname", &[json!("Beatrix")]).await,
        [json!("Beatrix")]
    );
    bea.call("new_message", &[json!("renamed"), json!("harbor")])
        .await;
    assert_eq!(
        expect(&mut ana, "new_message").await,
        [json!("Beatrix: renamed")]
    );
    // A room opened on B joins the list on both servers, sorted by name.
    assert_eq!(
        bea.call("enter_room", &[json!("attic")]).await,
        [json!("attic"), json!(1)]
    );
    ana.until_rooms(&["attic", "harbor"]).await;
    bea.until_rooms(&["attic", "harbor"]).await;
    // Entering a room again: the size of both servers, and no second welcome.
    assert_eq!(
        bea.call("enter_room", &[json!("harbor")]).await,
        [json!("harbor"), json!(2)]
    );
    // The attic did not reach the harbor, and nobody heard their own message.
    quiet(&mut ana).await;
    quiet(&mut bea).await;

    // A third person, on A: three in the room, on both servers.
    let mut cy = Sio::chatter(a, "Cy").await;
    assert_eq!(
        cy.call("enter_room", &[json!("harbor")]).await,
        [json!("harbor"), json!(3)]
    );
    assert_eq!(expect(&mut ana, "welcome").await, [json!("Cy"), json!(3)]);
    assert_eq!(expect(&mut bea, "welcome").await, [json!("Cy"), json!(3)]);
    cy.call("new_message", &[json!("three of us"), json!("harbor")])
        .await;
    assert_eq!(
        expect(&mut ana, "new_message").await,
        [json!("Cy: three of us")]
    );
    assert_eq!(
        expect(&mut bea, "new_message").await,
        [json!("Cy: three of us")]
    );

    // Bea leaves B: the attic closes with her, the harbor stays open.
    bea.close().await;
    assert_eq!(expect(&mut ana, "bye").await, [json!("Beatrix"), json!(2)]);
    assert_eq!(expect(&mut cy, "bye").await, [json!("Beatrix"), json!(2)]);
    ana.until_rooms(&["harbor"]).await;
    cy.until_rooms(&["harbor"]).await;
    quiet(&mut ana).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_goodbye_on_either_server_is_heard_on_both() {
    // A disconnect packet (41), then the connection closes, as socket.disconnect() in a
    // browser. Sixty people, one after the other, alternately on B and A, enter a room
    // with Ana (on A) and Bo (on B) and a room of their own, and leave that way.
    let (_redis, a, b) = two_servers().await;
    let mut ana = Sio::chatter(a, "Ana").await;
    let mut bo = Sio::chatter(b, "Bo").await;
    ana.call("enter_room", &[json!("porch")]).await;
    bo.until_rooms(&["porch"]).await;
    assert_eq!(
        bo.call("enter_room", &[json!("porch")]).await,
        [json!("porch"), json!(2)]
    );
    assert_eq!(expect(&mut ana, "welcome").await, [json!("Bo"), json!(2)]);
    for i in 0..60 {
        let (address, name) = if i % 2 == 0 { (b, "B") } else { (a, "A") };
        let name = format!("G{i}{name}");
        let mut guest = Sio::chatter(address, &name).await;
        assert_eq!(
            guest.call("enter_room", &[json!("porch")]).await,
            [json!("porch"), json!(3)]
        );
        let side = format!("side{i}");
        assert_eq!(
            guest.call("enter_room", &[json!(side)]).await,
            [json!(side), json!(1)]
        );
        for socket in [&mut ana, &mut bo] {
            assert_eq!(expect(socket, "welcome").await, [json!(name), json!(3)]);
        }
        guest.send_raw("41").await;
        guest.close().await;
        for socket in [&mut ana, &mut bo] {
            assert_eq!(expect(socket, "bye").await, [json!(name), json!(2)]);
        }
    }
    // What the room counts afterwards: still the two of them.
    let mut cy = Sio::chatter(b, "Cy").await;
    assert_eq!(
        cy.call("enter_room", &[json!("porch")]).await,
        [json!("porch"), json!(3)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_on_its_own_server_and_a_room_on_a_is_not_yours_on_b() {
    let (_redis, a, b) = two_servers().await;
    let mut ana = Sio::chatter(a, "Ana").await;
    let mut eve = Sio::chatter(b, "Eve").await;
    ana.call("enter_room", &[json!("vault")]).await;
    eve.until_rooms(&["vault"]).await;

    let long = "r".repeat(41);
    let cases: Vec<(&str, Vec<Value>, &str)> = vec![
        // The room exists (on A), but Eve is not in it.
        (
            "new_message",
            vec![json!("psst"), json!("vault")],
            "new_message: you are not in room \"vault\": enter it first",
        ),
        (
            "nickname",
            vec![json!("   ")],
            "nickname: the nickname is empty",
        ),
        (
            "nickname",
            vec![json!("<b>")],
            "nickname: a nickname may hold letters, digits, spaces, '_', '-' and '.' only",
        ),
        (
            "enter_room",
            vec![json!("  ")],
            "enter_room: the room name is empty",
        ),
        (
            "enter_room",
            vec![json!(long)],
            "enter_room: the room name is too long (at most 40 characters)",
        ),
        (
            "enter_room",
            vec![json!(42)],
            "enter_room: invalid type: integer `42`, expected a string",
        ),
    ];
    for (event, args, expected) in cases {
        eve.emit_with_ack(event, &args).await;
        assert_eq!(expect(&mut eve, "error").await, [json!(expected)]);
        quiet(&mut eve).await; // the callback of a refused event is never called
    }
    // Nobody on A heard of any of it.
    quiet(&mut ana).await;

    // The next good event still works, and the nickname is still Eve.
    assert_eq!(
        eve.call("enter_room", &[json!("  vault ")]).await,
        [json!("vault"), json!(2)]
    );
    assert_eq!(expect(&mut ana, "welcome").await, [json!("Eve"), json!(2)]);
    eve.call("new_message", &[json!("now I may"), json!("vault")])
        .await;
    assert_eq!(
        expect(&mut ana, "new_message").await,
        [json!("Eve: now I may")]
    );
    quiet(&mut eve).await;
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

/// Under attack: a class of 50 entering one room, half on each server, in waves, costs
/// each idle page one `room_change` (the list changed once), on either server: linear,
/// not N squared.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_class_joining_across_servers_costs_a_room_change_per_page_not_per_newcomer() {
    let (_redis, a, b) = two_servers().await;
    let mut observers = Vec::new();
    for address in [a, a, b, b] {
        let mut observer = Sio::connect(address).await;
        assert_eq!(observer.expect("room_change").await, [json!([])]);
        observers.push(observer);
    }
    let mut class = Vec::new();
    for wave in 0..5 {
        for person in 0..10 {
            let address = if person % 2 == 0 { a } else { b };
            let mut socket = Sio::connect(address).await;
            socket.until("room_change").await;
            let size = wave * 10 + person + 1;
            assert_eq!(
                socket.call("enter_room", &[json!("class")]).await,
                [json!("class"), json!(size)]
            );
            class.push(socket);
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    for observer in &mut observers {
        assert_eq!(
            room_changes_heard(observer, Duration::from_millis(1500)).await,
            (1, 1)
        );
    }
    let mut total = 0;
    for socket in &mut class {
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
/// `enter_room` is refused with an `error` event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_socket_enters_at_most_twenty_rooms() {
    let redis = Redis::start();
    let a = server(&redis, "A").await;
    let mut eve = Sio::chatter(a, "Eve").await;
    for n in 0..20 {
        let room = format!("room {n}");
        assert_eq!(
            eve.call("enter_room", &[json!(room)]).await,
            [json!(room), json!(1)]
        );
    }
    for n in 20..60 {
        eve.emit_with_ack("enter_room", &[json!(format!("room {n}"))])
            .await;
        assert_eq!(
            eve.until("error").await,
            [json!(
                "enter_room: you are in too many rooms: at most 20 rooms"
            )]
        );
    }
}
