//! Chapter 6 over real Socket.IO connections: room sizes, the open-room list, and the
//! live server view, also when browsers vanish without a goodbye.

use std::net::SocketAddr;

use serde_json::{Value, json};
use workbook_tests::{http, sio::Sio, start};

/// Connects, reads the room list every newcomer gets, sets a nickname.
async fn connect(address: SocketAddr, nickname: &str) -> Sio {
    let mut socket = Sio::connect(address).await;
    socket.expect("room_change").await;
    assert_eq!(
        socket.call("nickname", &[json!(nickname)]).await,
        [json!(nickname)]
    );
    socket
}

/// Reads `room_change` events until one lists exactly `rooms`.
async fn until_rooms(socket: &mut Sio, rooms: &[&str]) {
    loop {
        let (event, args) = socket.event().await;
        if event == "room_change" && args == [json!(rooms)] {
            return;
        }
    }
}

/// Reads events until `name` arrives; returns its arguments.
async fn until(socket: &mut Sio, name: &str) -> Vec<Value> {
    loop {
        let (event, args) = socket.event().await;
        if event == name {
            return args;
        }
    }
}

#[tokio::test]
async fn sizes_for_the_joiner_and_the_others() {
    let address = start(chapter_06::app()).await;
    let mut ana = connect(address, "Ana").await;
    let mut ben = connect(address, "Ben").await;
    assert_eq!(
        ana.call("enter_room", &[json!("kitchen")]).await,
        [json!("kitchen"), json!(1)]
    );
    assert_eq!(
        ben.call("enter_room", &[json!("kitchen")]).await,
        [json!("kitchen"), json!(2)]
    );
    assert_eq!(until(&mut ana, "welcome").await, [json!("Ben"), json!(2)]);
    ben.close().await;
    assert_eq!(until(&mut ana, "bye").await, [json!("Ben"), json!(1)]);
}

#[tokio::test]
async fn everyone_follows_the_open_rooms() {
    let address = start(chapter_06::app()).await;
    let mut watcher = connect(address, "Watcher").await;
    let mut ana = connect(address, "Ana").await;
    ana.call("enter_room", &[json!("b-room")]).await;
    until_rooms(&mut watcher, &["b-room"]).await;
    ana.call("enter_room", &[json!("a-room")]).await;
    until_rooms(&mut watcher, &["a-room", "b-room"]).await;
    // A newcomer gets the list at once.
    let mut late = Sio::connect(address).await;
    assert_eq!(
        late.expect("room_change").await,
        [json!(["a-room", "b-room"])]
    );
    ana.close().await;
    until_rooms(&mut watcher, &[]).await;
}

#[tokio::test]
async fn vanished_browsers_leave_sizes_and_lists_exact() {
    let address = start(chapter_06::app()).await;
    let mut stays = connect(address, "Stays").await;
    stays.call("enter_room", &[json!("r")]).await;
    let mut vanishing = Vec::new();
    for i in 0..5 {
        let mut socket = connect(address, &format!("V{i}")).await;
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
    until_rooms(&mut stays, &["r"]).await;
    // A newcomer sees the same truth.
    let mut newcomer = connect(address, "New").await;
    assert_eq!(
        newcomer.call("enter_room", &[json!("r")]).await,
        [json!("r"), json!(2)]
    );
}

#[tokio::test]
async fn the_server_view_follows_along() {
    let address = start(chapter_06::app()).await;
    let page = http()
        .get(format!("http://{address}/admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<table id=\"rooms\">"));

    let mut admin = Sio::connect_to(address, "/admin").await;
    let mut ana = connect(address, "Ana").await;
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
