//! Chapter 5 over real Socket.IO connections: rooms, notices, nicknames, order.

use serde_json::{Value, json};
use workbook_tests::{sio::Sio, start};

#[tokio::test]
async fn burst_keeps_order() {
    let address = start(chapter_05::app()).await;
    let mut ana = Sio::connect(address).await;
    let mut ben = Sio::connect(address).await;
    ana.call("enter_room", &[json!("r")]).await;
    ben.call("enter_room", &[json!("r")]).await;
    assert_eq!(ana.expect("welcome").await, [json!("Anon")]);
    for i in 0..100 {
        ben.emit_with_ack("new_message", &[json!(i.to_string()), json!("r")])
            .await;
    }
    for i in 0..100 {
        assert_eq!(
            ana.expect("new_message").await,
            [Value::from(format!("Anon: {i}"))]
        );
    }
}
