//! Chapter 7 serves one page; everything else happens in the browser (see the
//! browser tests in `page.test.mjs`, beside this file).

use test_support::{page, start};

#[tokio::test]
async fn the_page_has_the_course_ids_and_a_muted_own_video() {
    let address = start(chapter_07::app()).await;
    let body = page(address, "/").await;
    for part in [
        "<div id=\"call\">",
        "<div id=\"myStream\">",
        "<video id=\"myFace\" autoplay playsinline muted",
        "<button id=\"mute\">Mute</button>",
        "<button id=\"camera\">Turn Camera Off</button>",
        "<select id=\"cameras\"></select>",
        "<p id=\"problem\" class=\"error\" hidden></p>",
    ] {
        assert!(body.contains(part), "missing {part}");
    }
    // No Socket.IO yet: the server only serves the page.
    assert!(!body.contains("socket.io"));
}
