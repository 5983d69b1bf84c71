//! Chapter 1 over real HTTP: the page, its files, the redirect, and statelessness.

use test_support::{http, start};

#[tokio::test]
async fn home_page_is_html_from_the_template() {
    let address = start(chapter_01::app()).await;
    let response = http()
        .get(format!("http://{address}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let body = response.text().await.unwrap();
    // The base template from the shared crate, and the chapter's own block.
    assert!(body.contains("<link rel=\"stylesheet\" href=\"/vendor/mvp.css\">"));
    assert!(
        body.contains("<h2 id=\"greeting\">Hello, stranger.</h2>"),
        "{body}"
    );
    assert!(body.contains("<script src=\"/public/app.js\"></script>"));
}

#[tokio::test]
async fn the_server_forgets_between_requests() {
    let address = start(chapter_01::app()).await;
    let client = http();
    let named = client
        .get(format!("http://{address}/?name=Ana"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(named.contains("Hello, Ana!"));
    // Same client, same connection, next request: nothing of "Ana" is left.
    let again = client
        .get(format!("http://{address}/"))
        .send()
        .await
        .unwrap();
    assert!(again.text().await.unwrap().contains("Hello, stranger."));
}

#[tokio::test]
async fn names_are_escaped_not_run() {
    let address = start(chapter_01::app()).await;
    let url = format!("http://{address}/?name=%3Cscript%3Ealert(1)%3C/script%3E");
    let body = http().get(url).send().await.unwrap().text().await.unwrap();
    assert!(!body.contains("<script>alert(1)"));
    assert!(body.contains("&#60;script&#62;alert(1)"), "{body}");
}

#[tokio::test]
async fn a_bad_query_string_is_a_clear_400() {
    let address = start(chapter_01::app()).await;
    let url = format!("http://{address}/?name=a&name=b");
    let response = http().get(url).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("duplicate field `name`")
    );
}

#[tokio::test]
async fn static_files_come_from_public_and_node_modules() {
    let address = start(chapter_01::app()).await;
    let client = http();
    let script = client
        .get(format!("http://{address}/public/app.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert_eq!(script.headers()["content-type"], "text/javascript");
    let on_disk =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/public/app.js")).unwrap();
    assert_eq!(script.text().await.unwrap(), on_disk);

    for path in ["/assets/workbook.css", "/vendor/mvp.css"] {
        let style = client
            .get(format!("http://{address}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            style.status(),
            200,
            "{path} (is node_modules installed? run npm ci)"
        );
        assert_eq!(style.headers()["content-type"], "text/css");
    }
    let missing = client
        .get(format!("http://{address}/public/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn every_other_path_redirects_home() {
    let address = start(chapter_01::app()).await;
    for path in ["/nowhere", "/a/b/c?x=1", "/home.html"] {
        let response = http()
            .get(format!("http://{address}{path}"))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_redirection(),
            "{path}: {}",
            response.status()
        );
        assert_eq!(response.headers()["location"], "/", "{path}");
    }
}
