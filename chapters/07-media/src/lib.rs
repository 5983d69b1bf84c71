//! Chapter 7: media. The page asks for the camera and microphone and shows your own
//! video, with mute, camera off and camera switch. Everything happens in the browser:
//! the server only serves the page.
//!
//! Run it with `just run chapter-7` (or `cargo run -p chapter-07`), open
//! <http://localhost:3000>, allow the camera, and read `notes/07-media.md` beside this
//! file.

use askama::Template;
use askama_web::WebTemplate;
use axum::{Router, response::Redirect, routing::get};

pub fn app() -> Router {
    Router::new()
        .route("/", get(home))
        .merge(shared::page_files(env!("CARGO_MANIFEST_DIR")))
        .fallback(|| async { Redirect::to("/") })
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct Home;

async fn home() -> Home {
    Home
}
