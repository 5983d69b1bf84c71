//! Chapter 2 over a real WebSocket: same URL as the page, greeting, echo.

use test_support::tungstenite::{Message, protocol::frame::coding::CloseCode};
use test_support::{Ws, close_code_after_raw_frame, masked_frame, page, start};

#[tokio::test]
async fn the_same_url_is_a_page_or_a_websocket() {
    let address = start(chapter_02::app()).await;
    assert!(page(address, "/").await.contains("<form id=\"message\">"));

    let mut socket = Ws::connect(address).await;
    assert!(socket.text().await.starts_with("Hello from the server!"));
}

#[tokio::test]
async fn text_and_binary_come_back_to_the_sender_only() {
    let address = start(chapter_02::app()).await;
    let mut ana = Ws::connect(address).await;
    let mut ben = Ws::connect(address).await;
    ana.text().await; // greetings
    ben.text().await;

    ana.send_text("hi 👋").await;
    assert_eq!(ana.text().await, "hi 👋");
    ana.send(Message::binary(vec![0u8, 1, 2, 255])).await;
    assert_eq!(
        ana.next().await,
        Some(Message::binary(vec![0u8, 1, 2, 255]))
    );
    ben.expect_silence().await;
}

#[tokio::test]
async fn an_oversized_message_closes_only_that_connection() {
    let address = start(chapter_02::app()).await;
    let mut big = Ws::connect(address).await;
    let mut other = Ws::connect(address).await;
    big.text().await;
    other.text().await;

    big.send_text(&"x".repeat(chapter_02::MAX_MESSAGE_BYTES + 1))
        .await;
    match big.next().await {
        Some(Message::Close(Some(frame))) => {
            assert_eq!(frame.code, CloseCode::Size);
            assert_eq!(frame.reason, "message too big");
        }
        other => panic!("expected a close frame with code 1009, got {other:?}"),
    }

    other.send_text("still here").await;
    assert_eq!(other.text().await, "still here");
}

#[tokio::test]
async fn each_broken_frame_closes_with_the_code_that_names_it() {
    let address = start(chapter_02::app()).await;
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
