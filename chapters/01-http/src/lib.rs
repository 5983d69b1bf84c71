//! Chapter 1: HTTP. The browser asks, the server answers, and then forgets.
//!
//! Run it with `just run chapter-1` (or `cargo run -p chapter-01`), open
//! <http://localhost:3000>, and read `notes/01-http.md` beside this file.

use askama::Template;
use askama_web::WebTemplate;
use axum::{Router, extract::Query, response::Redirect, routing::get};
use serde::Deserialize;

/// The whole application: one page, its files, and a redirect for everything else.
pub fn app() -> Router {
    // Step 1: route GET / to `home`, add the page's files, and redirect every other path.
    Router::new()
        .route("/", get(home))
        .merge(shared::page_files(env!("CARGO_MANIFEST_DIR")))
        // As in the course, any other path sends the browser back to the home page.
        .fallback(|| async { Redirect::to("/") })
    // (end of step 1)
}

/// What the browser may tell us in the query string: `/?name=Ana`.
#[derive(Deserialize)]
struct Visitor {
    name: Option<String>,
}

/// `templates/home.html`, rendered into the HTML of one response.
#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct Home {
    name: Option<String>,
}

/// Everything the server knows about you is in this one request. It keeps nothing
/// afterwards: ask again without `?name=` and it no longer knows who you are.
async fn home(Query(visitor): Query<Visitor>) -> Home {
    // Without `?name=` you are a stranger.
    let Some(name) = visitor.name else {
        return Home { name: None };
    };
    // Step 2: put the name in the template, trimmed; a name of only spaces is no name.
    let name = name.trim().to_owned();
    Home {
        name: Some(name).filter(|name| !name.is_empty()),
    }
    // (end of step 2)
}
