//! Chapter 8's signaling relay over real Socket.IO connections (the same server as
//! chapter 9; the browser side is tested in tests/node/webrtc/).

mod signaling;

use chapter_08::{IceServers, app, app_with};

fn with_stun() -> axum::Router {
    app_with(IceServers::parse(r#"[{"urls":"stun:stun.example.test:3478"}]"#).unwrap())
}

#[test]
fn ice_servers_must_be_a_list_of_objects_with_urls() {
    assert!(IceServers::parse("[]").is_ok());
    assert!(
        IceServers::parse(r#"[{"urls":["stun:a:1","turn:b:2"],"username":"u","credential":"c"}]"#)
            .is_ok()
    );
    assert!(IceServers::parse("stun:a:1").is_err());
    assert!(
        IceServers::parse(r#"[{"url":"stun:a:1"}]"#)
            .unwrap_err()
            .contains("no \"urls\"")
    );
}

#[tokio::test]
async fn the_page_hands_over_the_ice_servers() {
    signaling::the_page_hands_over_the_ice_servers(with_stun()).await;
}

#[tokio::test]
async fn offer_answer_and_ice_reach_only_the_other_peer() {
    signaling::offer_answer_and_ice_reach_only_the_other_peer(app()).await;
}

#[tokio::test]
async fn a_third_person_is_told_the_room_is_full() {
    signaling::a_third_person_is_told_the_room_is_full(app()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_joining_at_once_still_makes_two() {
    signaling::many_joining_at_once_still_makes_two(app()).await;
}

#[tokio::test]
async fn leaving_is_announced_and_frees_the_place() {
    signaling::leaving_is_announced_and_frees_the_place(app()).await;
}

#[tokio::test]
async fn bad_input_gets_an_error_and_breaks_nothing() {
    signaling::bad_input_gets_an_error_and_breaks_nothing(app()).await;
}
