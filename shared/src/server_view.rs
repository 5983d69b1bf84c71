//! The token that the live server view (`/admin`, chapters 6 and 10) asks for whenever
//! the server is reachable from other machines.
//!
//! The view shows every nickname and who is in which room. On `127.0.0.1` (the default
//! `HOST`) only this machine can open it, and it needs nothing. With `HOST=0.0.0.0`
//! (classroom mode), anyone on the classroom network could read it: so the server makes
//! a random token at start-up and prints the view's address with it, as Jupyter does
//! (`Server view: http://localhost:3000/admin?token=...`). The page passes the token from
//! its address when it connects to `/admin`; a socket without it is refused, and never
//! receives a `server_view`.

use std::sync::OnceLock;

use serde::Deserialize;
use socketioxide::{adapter::Adapter, extract::TryData, handler::ConnectMiddleware};

/// The token, made once per process: `None` when the server is only reachable from this
/// machine.
static TOKEN: OnceLock<Option<String>> = OnceLock::new();

/// What the `/admin` page sends when it connects: `io("/admin", { auth: { token } })`.
#[derive(Deserialize)]
pub struct ServerViewAuth {
    token: Option<String>,
}

/// The connect middleware for the `/admin` namespace:
/// `io.ns("/admin", view.with(shared::server_view_token()))`. Makes the token (when the
/// server is reachable from other machines, see the module's documentation), so that
/// [`crate::serve`] prints it; then refuses every socket that does not bring it, with a
/// sentence that the page shows (`connect_error`).
pub fn server_view_token<A: Adapter>() -> impl ConnectMiddleware<A, (TryData<ServerViewAuth>,)> {
    let token = made_token();
    move |TryData(auth): TryData<ServerViewAuth>| async move {
        let Some(token) = token else {
            return Ok(());
        };
        let given = auth.ok().and_then(|auth| auth.token).unwrap_or_default();
        if same(given.as_bytes(), token.as_bytes()) {
            Ok(())
        } else {
            tracing::warn!("refused a server view without the right token");
            Err(
                "this server view needs the token printed where the server started: \
                 open the address shown there, with ?token=...",
            )
        }
    }
}

/// The token, if the chapter has a server view and the server is reachable from other
/// machines: [`crate::serve`] prints it.
pub(crate) fn printed_token() -> Option<&'static str> {
    TOKEN.get().and_then(Option::as_deref)
}

fn made_token() -> Option<&'static str> {
    TOKEN
        .get_or_init(|| {
            let reachable = crate::address_from_env().is_ok_and(|(host, _)| !host.is_loopback());
            reachable.then(random_token)
        })
        .as_deref()
}

/// 128 random bits from the operating system, in hex.
fn random_token() -> String {
    let mut bytes = [0u8; 16];
    if let Err(error) = getrandom::fill(&mut bytes) {
        // Without randomness there is no secret to print: better no view than an open one.
        tracing::error!("no random token for the server view ({error}): it will refuse everyone");
        return String::from("-");
    }
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Compares in a time that does not depend on where the first difference is, so that
/// the answer's timing tells nothing about the token.
fn same(given: &[u8], token: &[u8]) -> bool {
    given.len() == token.len()
        && given
            .iter()
            .zip(token)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}
