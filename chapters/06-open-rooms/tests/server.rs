//! Chapter 6 over real Socket.IO connections: room sizes, the open-room list, and the
//! live server view, also when browsers vanish without a goodbye.

use serde_json::json;
use test_support::{page, sio::Sio, start};

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
    ben.close().await;
    assert_eq!(ana.until("bye").await, [json!("Ben"), json!(1)]);
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
    ana.close().await;
    watcher.until_rooms(&[]).await;
}

#[tokio::test]
async fn vanished_browsers_leave_sizes_and_lists_exact() {
    let address = start(chapter_06::app()).await;
    let mut stays = Sio::chatter(address, "Stays").await;
    stays.call("enter_room", &[json!("r")]).await;
    let mut vanishing = Vec::new();
    for i in 0..5 {
        let mut socket = Sio::chatter(address, &format!("V{i}")).await;
        socket.call("enter_room", &[json!("r")]).await;
        socket
            .call("enter_room", &[json!(format!("solo{i}"))])
            .await;
        vanishing.push(socket);
    }
    // Five TCP connections end at the same moment, without a goodbye.
    drop(vanishing);
    let mut sizes = Vec::new();
    while sizes.len() < 5 {
        let (event, args) = stays.event().await;
        if event == "bye" {
            sizes.push(args[1].as_u64().unwrap());
        }
    }
    // Whatever order the goodbyes run in, the last one says the room is down to one.
    assert_eq!(sizes.iter().min(), Some(&1), "sizes: {sizes:?}");
    assert!(
        sizes.iter().all(|size| (1..=5).contains(size)),
        "sizes: {sizes:?}"
    );
    stays.until_rooms(&["r"]).await;
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

    let mut admin = Sio::connect_to(address, "/admin").await;
    let mut ana = Sio::chatter(address, "Ana").await;
    ana.call("enter_room", &[json!("kitchen")]).await;
    let expected = json!({
        "connected": 1,
        "rooms": [{ "name": "kitchen", "members": ["Ana"] }],
        "lobby": [],
    });
    loop {
        let args = admin.expect("server_view").await;
        if args[0] == expected {
            break;
        }
    }
    drop(ana);
    let empty = json!({ "connected": 0, "rooms": [], "lobby": [] });
    loop {
        let args = admin.expect("server_view").await;
        if args[0] == empty {
            break;
        }
    }
}
