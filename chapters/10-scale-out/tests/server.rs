//! Chapter 10: two servers sharing rooms through a real Redis.

use std::{net::SocketAddr, time::Duration};

use serde_json::json;
use test_support::{Redis, sio::Sio, start};

async fn server(redis: &Redis, name: &str) -> SocketAddr {
    let app = chapter_10::app(&redis.url(), name)
        .await
        .expect("the server reaches Redis");
    start(app).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_spans_both_servers() {
    let redis = Redis::start();
    let a = server(&redis, "A").await;
    let b = server(&redis, "B").await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abrupt_disconnect_on_one_server_updates_the_other() {
    let redis = Redis::start();
    let a = server(&redis, "A").await;
    let b = server(&redis, "B").await;
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
    // And sizes count both servers again.
    let mut cleo = Sio::chatter(b, "Cleo").await;
    assert_eq!(
        cleo.call("enter_room", &[json!("r")]).await,
        [json!("r"), json!(4)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_server_view_shows_its_own_browsers_only() {
    let redis = Redis::start();
    let a = server(&redis, "A").await;
    let b = server(&redis, "B").await;
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
            [ana_only.clone()],
            "server A's view shows a browser of B"
        );
    }
}
