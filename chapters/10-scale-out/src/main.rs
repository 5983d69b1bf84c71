//! Starts chapter 10: Redis (unless one already answers at `REDIS_URL`) and two chat
//! servers, on `PORT` and `PORT + 1` (3000 and 3001 by default). Ctrl-C stops all
//! three. `chapter-10 serve` starts one server alone (the lesson is in `lib.rs`).

use std::{
    process::{ExitCode, Stdio},
    time::Duration,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncRead, BufReader},
    process::{Child, Command},
};

const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

#[tokio::main]
async fn main() -> ExitCode {
    let redis_url = std::env::var("REDIS_URL").unwrap_or_else(|_| DEFAULT_REDIS_URL.into());
    if std::env::args().nth(1).as_deref() == Some("serve") {
        return serve_one(&redis_url).await;
    }

    let redis = match ensure_redis(&redis_url).await {
        Ok(redis) => redis,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    let started_redis = redis.is_some();
    let port: u16 = match std::env::var("PORT").map(|port| port.parse()) {
        Ok(Ok(port)) => port,
        Ok(Err(_)) => {
            eprintln!("PORT is not a port number (0 to 65535)");
            return ExitCode::FAILURE;
        }
        Err(_) => 3000,
    };
    // PORT=0 lets the system pick a free port for each server.
    let second_port = match port {
        0 => 0,
        _ => match port.checked_add(1) {
            Some(next) => next,
            None => {
                eprintln!("PORT={port} leaves no room for the second server: choose a lower one");
                return ExitCode::FAILURE;
            }
        },
    };
    let mut servers = Vec::new();
    for (name, port) in [("A", port), ("B", second_port)] {
        match spawn_server(name, port, &redis_url) {
            Ok(server) => servers.push(server),
            Err(error) => {
                eprintln!("Cannot start server {name}: {error}");
                return ExitCode::FAILURE;
            }
        }
    }

    // Ctrl-C reaches the servers too (they share the terminal); wait for whichever
    // comes first, a signal or a server that stops, then make sure all stop.
    let outcome = {
        let (a, b) = servers.split_at_mut(1);
        tokio::select! {
            _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
            () = terminated() => ExitCode::SUCCESS,
            _ = a[0].wait() => {
                eprintln!("Server A stopped; stopping the others.");
                ExitCode::FAILURE
            }
            _ = b[0].wait() => {
                eprintln!("Server B stopped; stopping the others.");
                ExitCode::FAILURE
            }
        }
    };
    // Ask everyone to stop at once, then wait for each.
    servers.extend(redis);
    for child in &servers {
        ask_to_stop(child);
    }
    for child in &mut servers {
        if tokio::time::timeout(Duration::from_secs(4), child.wait())
            .await
            .is_err()
        {
            let _ = child.kill().await;
        }
    }
    if started_redis {
        println!("Stopped the Redis that was started for this chapter.");
    }
    outcome
}

/// One chat server (the learner's `lib.rs`), as the two children run it.
async fn serve_one(redis_url: &str) -> ExitCode {
    let name = std::env::var("SERVER_NAME").unwrap_or_else(|_| String::from("A"));
    match chapter_10::app(redis_url, &name).await {
        Ok(app) => shared::serve(app).await,
        Err(message) => {
            eprintln!("Server {name}: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Starts `chapter-10 serve` as a child process; each line it prints is shown with the
/// server's name in front, so the two logs can be told apart.
fn spawn_server(name: &str, port: u16, redis_url: &str) -> std::io::Result<Child> {
    let mut child = Command::new(std::env::current_exe()?)
        .arg("serve")
        .env("PORT", port.to_string())
        .env("SERVER_NAME", name)
        .env("REDIS_URL", redis_url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    if let Some(stdout) = child.stdout.take() {
        tokio::spawn(show_lines(format!("[{name}]"), stdout, false));
    }
    if let Some(stderr) = child.stderr.take() {
        tokio::spawn(show_lines(format!("[{name}]"), stderr, true));
    }
    Ok(child)
}

async fn show_lines(prefix: String, output: impl AsyncRead + Unpin, errors: bool) {
    let mut lines = BufReader::new(output).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if errors {
            eprintln!("{prefix} {line}");
        } else {
            println!("{prefix} {line}");
        }
    }
}

/// Uses the Redis at `url`, or starts one there. Returns the Redis it started.
async fn ensure_redis(url: &str) -> Result<Option<Child>, String> {
    if redis_answers(url).await {
        println!("Redis: using the one at {url}");
        return Ok(None);
    }
    if !(url.contains("127.0.0.1") || url.contains("localhost")) {
        return Err(format!(
            "No Redis answers at {url}, and it is not on this machine."
        ));
    }
    // redis://127.0.0.1:6379/0 -> 6379; Redis's own port when the URL names none.
    let port = url
        .rsplit(':')
        .next()
        .and_then(|rest| rest.split(['/', '?']).next())
        .and_then(|port| port.parse::<u16>().ok())
        .unwrap_or(6379);
    let redis = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|_| {
            format!(
                "No Redis answers at {url}, and redis-server is not installed.\n\
                 Install Redis 7 or newer (Debian and Ubuntu: sudo apt-get install redis-server; \
                 macOS: brew install redis), or set REDIS_URL to a Redis you have."
            )
        })?;
    for _ in 0..50 {
        if redis_answers(url).await {
            println!("Redis: started redis-server on port {port} (Ctrl-C stops it too)");
            return Ok(Some(redis));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!(
        "Started redis-server, but it does not answer at {url}."
    ))
}

async fn redis_answers(url: &str) -> bool {
    let Ok(client) = redis::Client::open(url) else {
        return false;
    };
    let ping = async {
        let mut connection = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(1), ping).await,
        Ok(Ok(_))
    )
}

/// Sends a child SIGTERM, on which the servers and Redis stop cleanly (`kill` from
/// procps; where it is missing, the child is killed after the wait above).
fn ask_to_stop(child: &Child) {
    if let Some(id) = child.id() {
        let _ = std::process::Command::new("kill")
            .arg(id.to_string())
            .status();
    }
}

/// Resolves on SIGTERM (what `kill` and process managers send).
async fn terminated() {
    #[cfg(unix)]
    if let Ok(mut signal) =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        signal.recv().await;
        return;
    }
    std::future::pending::<()>().await
}
