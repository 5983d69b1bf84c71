//! Starts chapter 10: Redis (unless one already answers at `REDIS_URL`) and two chat
//! servers, on `PORT` and `PORT + 1` (3000 and 3001 by default). Ctrl-C stops all
//! three. `chapter-10 serve` starts one server alone (the lesson is in `lib.rs`).
//!
//! The launcher also looks after what it started, as a process manager would. Two
//! servers are there so that one going down leaves the other serving half the class:
//! when one stops (a crash, a `kill`), it says so in one line and starts it again after
//! [`RESTART_PAUSE`], while the other goes on. The Redis it started is looked after the
//! same way (the servers reconnect by themselves). A child that keeps stopping is given
//! up after [`MAX_RESTARTS`] restarts in [`RESTART_WINDOW`], so that a server that can
//! never start (its port taken) does not restart forever.

use std::{
    collections::VecDeque,
    process::{ExitCode, Stdio},
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncBufReadExt, AsyncRead, BufReader},
    process::{Child, Command},
    sync::watch,
    task::JoinSet,
};

const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

/// How long to wait before starting a child again: a child that stops at once does not
/// make the launcher spin.
const RESTART_PAUSE: Duration = Duration::from_secs(1);
/// At most this many restarts of one child within [`RESTART_WINDOW`]; the next stop, and
/// the launcher gives up on that child (and says so).
const MAX_RESTARTS: usize = 5;
const RESTART_WINDOW: Duration = Duration::from_secs(60);
/// Ctrl-C in a terminal reaches the servers as well as the launcher. A child that stops
/// within this time of the launcher's own Ctrl-C or SIGTERM is not reported as a crash.
const SIGNAL_GRACE: Duration = Duration::from_millis(200);
/// How long a child has to stop after SIGTERM before it is killed. The servers close
/// their connections within `shared::SHUTDOWN_GRACE` (3 s).
const STOP_PATIENCE: Duration = Duration::from_secs(4);

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
    // Each child gets a task that looks after it until `stop` says true.
    let (stop, stopping) = watch::channel(false);
    let mut servers = JoinSet::new();
    for (name, port) in [("A", port), ("B", second_port)] {
        let part = Part::Server {
            name,
            port,
            redis_url: redis_url.clone(),
        };
        match part.start() {
            Ok(server) => servers.spawn(supervise(part, server, stopping.clone())),
            Err(error) => {
                eprintln!("Cannot start server {name}: {error}");
                return ExitCode::FAILURE;
            }
        };
    }
    let redis = redis.map(|(part, child)| tokio::spawn(supervise(part, child, stopping.clone())));

    let outcome = tokio::select! {
        _ = tokio::signal::ctrl_c() => ExitCode::SUCCESS,
        () = terminated() => ExitCode::SUCCESS,
        // Each task ends when its server is given up: with both gone, nothing is left.
        () = async { while servers.join_next().await.is_some() {} } => {
            eprintln!("Both servers were given up; stopping.");
            ExitCode::FAILURE
        }
    };
    // Every task asks its child to stop (SIGTERM), and kills it after STOP_PATIENCE.
    let _ = stop.send(true);
    while servers.join_next().await.is_some() {}
    if let Some(redis) = redis {
        let _ = redis.await;
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

/// A child process that the launcher starts, and starts again if it stops.
enum Part {
    Server {
        name: &'static str,
        port: u16,
        redis_url: String,
    },
    Redis {
        port: u16,
    },
}

impl Part {
    fn start(&self) -> std::io::Result<Child> {
        let child = match self {
            Part::Server {
                name,
                port,
                redis_url,
            } => spawn_server(name, *port, redis_url)?,
            Part::Redis { port } => spawn_redis(*port)?,
        };
        let pid = child.id().unwrap_or_default();
        match self {
            Part::Server { name, .. } => println!("Started server {name} (pid {pid})."),
            Part::Redis { port } => println!("Started redis-server on port {port} (pid {pid})."),
        }
        Ok(child)
    }

    fn name(&self) -> String {
        match self {
            Part::Server { name, .. } => format!("Server {name}"),
            Part::Redis { .. } => String::from("Redis"),
        }
    }

    /// What the others do meanwhile, for the line that reports a stop.
    fn meanwhile(&self) -> &'static str {
        match self {
            Part::Server { .. } => "the other server goes on serving its browsers",
            Part::Redis { .. } => "each server serves its own browsers until it reconnects",
        }
    }
}

/// Looks after one child until `stopping` says true: waits for it (which also reaps it,
/// so no zombie is left), reports a stop in one line, and starts it again after
/// [`RESTART_PAUSE`], at most [`MAX_RESTARTS`] times in [`RESTART_WINDOW`].
async fn supervise(part: Part, mut child: Child, mut stopping: watch::Receiver<bool>) {
    let name = part.name();
    let mut restarts: VecDeque<Instant> = VecDeque::new();
    loop {
        let pid = child.id().unwrap_or_default();
        let status = tokio::select! {
            biased;
            () = until_stopped(&mut stopping) => {
                stop_child(&mut child).await;
                return;
            }
            // `wait` also reaps the child: without it, a child that dies stays in the
            // process table as a zombie for as long as the launcher runs.
            status = child.wait() => status,
        };
        // Stopped by our own Ctrl-C or SIGTERM? Then it is not a crash.
        if asked_to_stop(&mut stopping, SIGNAL_GRACE).await {
            return;
        }
        let how = match status {
            Ok(status) => status.to_string(),
            Err(error) => error.to_string(),
        };
        restarts.retain(|restart| restart.elapsed() < RESTART_WINDOW);
        if restarts.len() >= MAX_RESTARTS {
            eprintln!(
                "{name} (pid {pid}) stopped ({how}) after {MAX_RESTARTS} restarts in {} s: \
                 giving up on it.",
                RESTART_WINDOW.as_secs()
            );
            return;
        }
        eprintln!(
            "{name} (pid {pid}) stopped ({how}); restarting it in {} s, and {}.",
            RESTART_PAUSE.as_secs(),
            part.meanwhile()
        );
        if asked_to_stop(&mut stopping, RESTART_PAUSE).await {
            return;
        }
        restarts.push_back(Instant::now());
        child = match part.start() {
            Ok(child) => child,
            Err(error) => {
                eprintln!("Cannot start {name} again ({error}): giving up on it.");
                return;
            }
        };
    }
}

/// True if the launcher is told to stop within `time`.
async fn asked_to_stop(stopping: &mut watch::Receiver<bool>, time: Duration) -> bool {
    tokio::time::timeout(time, until_stopped(stopping))
        .await
        .is_ok()
}

/// Resolves once the launcher is told to stop.
async fn until_stopped(stopping: &mut watch::Receiver<bool>) {
    // An error means the sender is gone, which also means stop.
    let _ = stopping.wait_for(|&stop| stop).await;
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
async fn ensure_redis(url: &str) -> Result<Option<(Part, Child)>, String> {
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
    let redis = spawn_redis(port).map_err(|_| {
        format!(
            "No Redis answers at {url}, and redis-server is not installed.\n\
             Install Redis 7 or newer (Debian and Ubuntu: sudo apt-get install redis-server; \
             macOS: brew install redis), or set REDIS_URL to a Redis you have."
        )
    })?;
    for _ in 0..50 {
        if redis_answers(url).await {
            let pid = redis.id().unwrap_or_default();
            println!("Redis: started redis-server on port {port} (pid {pid}; Ctrl-C stops it too)");
            return Ok(Some((Part::Redis { port }, redis)));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!(
        "Started redis-server, but it does not answer at {url}."
    ))
}

/// A `redis-server` on 127.0.0.1:`port` that writes nothing to disk.
fn spawn_redis(port: u16) -> std::io::Result<Child> {
    Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
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

/// Asks a child to stop with SIGTERM, on which the servers and Redis stop cleanly,
/// and kills it if it has not stopped after [`STOP_PATIENCE`]. Either way, it is
/// waited for: nothing is left behind.
async fn stop_child(child: &mut Child) {
    // `kill` from procps; where it is missing, the child is killed after the wait.
    if let Some(id) = child.id() {
        let _ = std::process::Command::new("kill")
            .arg(id.to_string())
            .status();
    }
    if tokio::time::timeout(STOP_PATIENCE, child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
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
