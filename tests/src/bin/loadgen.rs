//! The workbook's load generator (`just bench`).
//!
//! For three scenarios, chapter 3's WebSocket broadcast and chapters 5's and 6's
//! Socket.IO room chat, and for each number of clients, it starts a server (the Rust chapter, then
//! the Node.js baseline written on the course's own stack, alternating), connects the
//! clients (all in one room), has them send messages at a fixed total rate, and times
//! every delivery from send to receipt. The server's CPU time and memory come from
//! `/proc`. It prints a table and writes `scaling.svg` and `results.md` to `--out`.
//!
//! ```text
//! loadgen [--clients 10,100,1000,10000] [--rate 50] [--max-deliveries 50000] [--seconds 10]
//!         [--rounds 2] [--scenarios ch3,ch5,ch6] [--servers rust,node]
//!         [--join-limit 240] [--out DIR]
//! ```
//!
//! The rate is lowered for large N so that the deliveries per second stay within
//! `--max-deliveries` (10,000 clients get 5 messages a second). It raises its own limit
//! of open files (and so its servers'), and starts the Rust servers with
//! `MAX_CONNECTIONS` above N. `LOADGEN_WRAP="heaptrack"` (any command and its options)
//! starts the Rust server under that command, to profile it; its figures are then the
//! wrapper's.

use std::{
    fmt::Write as _,
    path::PathBuf,
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
    sync::{Semaphore, mpsc, watch},
};
use tokio_tungstenite::tungstenite::Message;

#[derive(Clone, Copy, PartialEq)]
enum Protocol {
    /// Chapter 3: JSON over a bare WebSocket; every message goes to every client.
    WebSocket,
    /// Chapter 6: Socket.IO; every message goes to the others in the room.
    SocketIo,
}

struct Scenario {
    name: &'static str,
    /// What `--scenarios` calls it.
    short: &'static str,
    protocol: Protocol,
    rust: Vec<String>,
    node: Vec<String>,
}

struct Settings {
    clients: Vec<usize>,
    rate: f64,
    max_deliveries: f64,
    seconds: f64,
    rounds: usize,
    scenarios: Vec<String>,
    servers: Vec<String>,
    join_limit: Duration,
    out: Option<PathBuf>,
}

impl Settings {
    /// Messages per second for N clients: `--rate`, or less, so that the deliveries
    /// (about N per message) stay within `--max-deliveries` a second.
    fn rate_for(&self, clients: usize) -> f64 {
        self.rate.min(self.max_deliveries / clients as f64)
    }
}

/// What one run measured.
#[derive(Clone)]
struct Run {
    scenario: &'static str,
    server: &'static str,
    clients: usize,
    /// How many clients were in when the join ended (fewer than `clients` when it took
    /// longer than `--join-limit`: then nothing was sent).
    joined: usize,
    rate: f64,
    join: Duration,
    sent: u64,
    delivered: u64,
    expected: u64,
    window: Duration,
    latencies_us: Vec<u32>,
    server_cpu: Duration,
    /// The part of `server_cpu` spent in the kernel (sending and receiving on sockets).
    server_kernel: Duration,
    rss_idle_kib: u64,
    /// Peak resident memory (`VmHWM`) at the end of the run.
    rss_peak_kib: u64,
    rss_joined_kib: u64,
    loadgen_cpu: Duration,
}

impl Run {
    fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let index = ((self.latencies_us.len() - 1) as f64 * p).round() as usize;
        f64::from(self.latencies_us[index]) / 1000.0
    }
    fn per_second(&self) -> f64 {
        self.delivered as f64 / self.window.as_secs_f64()
    }
    fn cpu_ms_per_1000(&self) -> f64 {
        self.server_cpu.as_secs_f64() * 1000.0 / (self.delivered.max(1) as f64 / 1000.0)
    }
    /// Server CPU in user space alone (outside the kernel), per 1000 deliveries.
    fn user_ms_per_1000(&self) -> f64 {
        (self.server_cpu.saturating_sub(self.server_kernel)).as_secs_f64() * 1000.0
            / (self.delivered.max(1) as f64 / 1000.0)
    }
    fn kib_per_connection(&self) -> f64 {
        (self.rss_joined_kib.saturating_sub(self.rss_idle_kib)) as f64 / self.joined.max(1) as f64
    }
    fn kernel_share(&self) -> f64 {
        self.server_kernel.as_secs_f64() / self.server_cpu.as_secs_f64().max(1e-9) * 100.0
    }
    /// The load generator's own CPU use during the window, in cores.
    fn loadgen_cores(&self) -> f64 {
        self.loadgen_cpu.as_secs_f64() / self.window.as_secs_f64()
    }
}

/// Beyond this many clients, a scenario runs once (see `main`).
const LARGE: usize = 1000;

#[tokio::main]
async fn main() {
    let settings = parse_args();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let release = root.join("target/release");
    let scenarios = [
        Scenario {
            name: "ch3 WebSocket",
            short: "ch3",
            protocol: Protocol::WebSocket,
            rust: vec![release.join("chapter-03").display().to_string()],
            node: vec![
                "node".into(),
                root.join("tests/bench/ws-chat.mjs").display().to_string(),
            ],
        },
        Scenario {
            // Chapter 5 has no room list; its baseline is chapter 6's, which sends more.
            name: "ch5 Socket.IO",
            short: "ch5",
            protocol: Protocol::SocketIo,
            rust: vec![release.join("chapter-05").display().to_string()],
            node: vec![
                "node".into(),
                root.join("tests/bench/socketio-chat.mjs")
                    .display()
                    .to_string(),
            ],
        },
        Scenario {
            name: "ch6 Socket.IO",
            short: "ch6",
            protocol: Protocol::SocketIo,
            rust: vec![release.join("chapter-06").display().to_string()],
            node: vec![
                "node".into(),
                root.join("tests/bench/socketio-chat.mjs")
                    .display()
                    .to_string(),
            ],
        },
    ];
    let scenarios: Vec<Scenario> = scenarios
        .into_iter()
        .filter(|s| settings.scenarios.iter().any(|wanted| wanted == s.short))
        .collect();
    raise_open_files_limit();

    println!(
        "Each run: N clients in one room, {} messages/s in total (at most {} deliveries/s) for {} s.",
        settings.rate, settings.max_deliveries, settings.seconds
    );

    println!("{}", Row::header());
    let mut runs = Vec::new();
    for scenario in &scenarios {
        for &clients in &settings.clients {
            // Above LARGE clients: one round, and chapters 3 and 6 only (chapter 5 joins
            // as chapter 6 does), so that `just bench` stays within about 20 minutes.
            if clients > LARGE && scenario.short == "ch5" {
                continue;
            }
            let rounds = if clients > LARGE { 1 } else { settings.rounds };
            for _round in 0..rounds {
                for (server, command) in [("rust", &scenario.rust), ("node", &scenario.node)] {
                    if !settings.servers.iter().any(|wanted| wanted == server) {
                        continue;
                    }
                    match run_once(scenario, server, command, clients, &settings).await {
                        Ok(run) => {
                            println!("{}", Row(&run));
                            runs.push(run);
                        }
                        Err(error) => eprintln!("{} {server} N={clients}: {error}", scenario.name),
                    }
                }
            }
        }
    }

    let summary = format!("{}\n\n{}", machine(), summary(&scenarios, &settings, &runs));
    println!("\n{summary}");
    if let Some(out) = &settings.out {
        std::fs::create_dir_all(out).expect("create the output folder");
        std::fs::write(out.join("results.md"), &summary).expect("write results.md");
        std::fs::write(out.join("scaling.svg"), plot(&scenarios, &settings, &runs))
            .expect("write scaling.svg");
        println!("Wrote {0}/results.md and {0}/scaling.svg", out.display());
    }
}

fn parse_args() -> Settings {
    let mut settings = Settings {
        clients: vec![10, 100, 1000, 10000],
        rate: 50.0,
        max_deliveries: 50_000.0,
        seconds: 10.0,
        rounds: 2,
        scenarios: vec!["ch3".into(), "ch5".into(), "ch6".into()],
        servers: vec!["rust".into(), "node".into()],
        join_limit: Duration::from_secs(240),
        out: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--clients" => {
                settings.clients = value
                    .split(',')
                    .map(|n| n.parse().expect("a number"))
                    .collect()
            }
            "--rate" => settings.rate = value.parse().expect("messages per second"),
            "--max-deliveries" => {
                settings.max_deliveries = value.parse().expect("deliveries per second")
            }
            "--scenarios" => settings.scenarios = value.split(',').map(Into::into).collect(),
            "--servers" => settings.servers = value.split(',').map(Into::into).collect(),
            "--join-limit" => {
                settings.join_limit = Duration::from_secs_f64(value.parse().expect("seconds"))
            }
            "--seconds" => settings.seconds = value.parse().expect("seconds"),
            "--rounds" => settings.rounds = value.parse().expect("a number"),
            "--out" => settings.out = Some(PathBuf::from(value)),
            other => panic!("unknown option {other}"),
        }
    }
    settings
}

/// Starts the server, connects and joins the clients, sends, and measures.
async fn run_once(
    scenario: &Scenario,
    server: &'static str,
    command: &[String],
    clients: usize,
    settings: &Settings,
) -> Result<Run, String> {
    let mut command = command.to_vec();
    if server == "rust"
        && let Ok(wrap) = std::env::var("LOADGEN_WRAP")
    {
        command.splice(0..0, wrap.split_whitespace().map(String::from));
    }
    let (mut child, port) = start_server(&command, clients).await?;
    let pid = child.id().ok_or("the server exited")?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_idle_kib = rss_kib(pid)?;

    let base = Instant::now();
    let (stop_tx, stop_rx) = watch::channel(false);
    let delivered = Arc::new(AtomicU64::new(0));
    let joining = Instant::now();
    let limit = Arc::new(Semaphore::new(64));
    let mut connecting = Vec::new();
    for _ in 0..clients {
        let limit = limit.clone();
        let protocol = scenario.protocol;
        connecting.push(tokio::spawn(async move {
            let _permit = limit.acquire().await;
            connect(protocol, port).await
        }));
    }
    let mut senders = Vec::new();
    let mut tasks = Vec::new();
    let join_deadline = tokio::time::Instant::now() + settings.join_limit;
    for connection in connecting {
        let socket = match tokio::time::timeout_at(join_deadline, connection).await {
            Ok(socket) => socket.map_err(|e| e.to_string())??,
            // Too slow: measure what joined, send nothing.
            Err(_) => break,
        };
        let (send_tx, send_rx) = mpsc::unbounded_channel::<String>();
        senders.push(send_tx);
        tasks.push(tokio::spawn(client_loop(
            socket,
            scenario.protocol,
            send_rx,
            stop_rx.clone(),
            base,
            delivered.clone(),
        )));
    }
    let join = joining.elapsed();
    let joined = senders.len();
    tokio::time::sleep(Duration::from_millis(500)).await; // let join storms settle
    let rss_joined_kib = rss_kib(pid)?;
    delivered.store(0, Ordering::SeqCst);

    let per_message = match scenario.protocol {
        Protocol::WebSocket => clients as u64,
        Protocol::SocketIo => clients as u64 - 1,
    };
    let rate = settings.rate_for(clients);
    let total = if joined < clients {
        0
    } else {
        (rate * settings.seconds).round() as u64
    };
    let expected = total * per_message;
    let (cpu_before, kernel_before) = cpu_times(&format!("/proc/{pid}/stat"))?;
    let (own_before, _) = cpu_times("/proc/self/stat")?;
    let started = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / rate);
    for seq in 0..total {
        tokio::time::sleep_until((started + interval * seq as u32).into()).await;
        let nanos = base.elapsed().as_nanos();
        let text = format!("{seq} {nanos}");
        let frame = match scenario.protocol {
            Protocol::WebSocket => {
                serde_json::json!({ "type": "new_message", "payload": text }).to_string()
            }
            // With an acknowledgement id (1): the chapters refuse a message without one.
            Protocol::SocketIo => format!("421[\"new_message\",\"{text}\",\"bench\"]"),
        };
        let _ = senders[seq as usize % clients].send(frame);
    }
    // Wait for the last deliveries (at most 5 s).
    let drain = Instant::now();
    while delivered.load(Ordering::SeqCst) < expected && drain.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let window = started.elapsed();
    let (cpu_after, kernel_after) = cpu_times(&format!("/proc/{pid}/stat"))?;
    let server_cpu = cpu_after - cpu_before;
    let server_kernel = kernel_after - kernel_before;
    let loadgen_cpu = cpu_times("/proc/self/stat")?.0 - own_before;
    let rss_peak_kib = status_kib(pid, "VmHWM:")?;
    let _ = stop_tx.send(true);
    drop(senders);
    let mut latencies_us = Vec::new();
    for task in tasks {
        latencies_us.extend(task.await.map_err(|e| e.to_string())?);
    }
    latencies_us.sort_unstable();
    let _ = child.start_kill();
    let _ = child.wait().await;
    Ok(Run {
        scenario: scenario.name,
        server,
        clients,
        joined,
        rate,
        join,
        sent: total,
        delivered: delivered.load(Ordering::SeqCst),
        expected,
        window,
        latencies_us,
        server_cpu,
        server_kernel,
        rss_idle_kib,
        rss_peak_kib,
        rss_joined_kib,
        loadgen_cpu,
    })
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects one client and, for Socket.IO, enters the room `bench`.
async fn connect(protocol: Protocol, port: u16) -> Result<Socket, String> {
    let url = match protocol {
        Protocol::WebSocket => format!("ws://127.0.0.1:{port}/"),
        Protocol::SocketIo => format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"),
    };
    // Small read buffers (the default is 128 KiB a client) and no Nagle delay, as the
    // servers have.
    let config =
        tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(4096);
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
        .await
        .map_err(|e| e.to_string())?;
    if protocol == Protocol::SocketIo {
        send(&mut socket, "40").await?;
        read_until(&mut socket, |text| text.starts_with("40")).await?;
        send(&mut socket, r#"420["enter_room","bench"]"#).await?;
        read_until(&mut socket, |text| text.starts_with("430[")).await?;
    }
    Ok(socket)
}

async fn send(socket: &mut Socket, text: &str) -> Result<(), String> {
    socket
        .send(Message::text(text))
        .await
        .map_err(|e| e.to_string())
}

/// Reads frames (answering pings) until one matches.
async fn read_until(socket: &mut Socket, wanted: impl Fn(&str) -> bool) -> Result<(), String> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .map_err(|_| "no answer in 30 s")?
            .ok_or("connection closed")?
            .map_err(|e| e.to_string())?;
        if let Message::Text(text) = frame {
            if text.as_str() == "2" {
                send(socket, "3").await?;
            } else if wanted(text.as_str()) {
                return Ok(());
            }
        }
    }
}

/// One client: sends what it is given, and times every chat line it receives.
async fn client_loop(
    mut socket: Socket,
    protocol: Protocol,
    mut outgoing: mpsc::UnboundedReceiver<String>,
    mut stop: watch::Receiver<bool>,
    base: Instant,
    delivered: Arc<AtomicU64>,
) -> Vec<u32> {
    let mut latencies = Vec::new();
    loop {
        tokio::select! {
            frame = socket.next() => {
                let Some(Ok(Message::Text(text))) = frame else {
                    if frame.is_none() { break } else { continue }
                };
                let text = text.as_str();
                if protocol == Protocol::SocketIo && text == "2" {
                    let _ = socket.send(Message::text("3")).await;
                    continue;
                }
                if let Some(sent) = sent_at(protocol, text) {
                    let now = base.elapsed().as_nanos();
                    latencies.push(((now.saturating_sub(sent)) / 1000) as u32);
                    delivered.fetch_add(1, Ordering::Relaxed);
                }
            }
            Some(frame) = outgoing.recv() => {
                let _ = socket.send(Message::text(frame)).await;
            }
            _ = stop.changed() => break,
        }
    }
    let _ = socket.close(None).await;
    latencies
}

/// The send time written in a chat line: `Anon: <seq> <nanos>`.
fn sent_at(protocol: Protocol, text: &str) -> Option<u128> {
    let line = match protocol {
        Protocol::WebSocket => text,
        Protocol::SocketIo => text
            .strip_prefix("42[\"new_message\",\"")?
            .strip_suffix("\"]")?,
    };
    line.rsplit(' ').next()?.parse().ok()
}

/// Starts a server with `PORT=0` and reads the port from its "Listening on" line.
async fn start_server(command: &[String], clients: usize) -> Result<(Child, u16), String> {
    let mut child = Command::new(&command[0])
        .args(&command[1..])
        .env("PORT", "0")
        .env("RUST_LOG", "warn")
        // The workbook's cap (2048 connections) is for a classroom, not for this.
        .env("MAX_CONNECTIONS", (clients + 100).max(2048).to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", command[0]))?;
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(port) = line.strip_prefix("Listening on http://localhost:") {
                return port.trim().parse().ok();
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .ok_or_else(|| format!("{} printed no \"Listening on\" line", command.join(" ")))?;
    // Keep reading, so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, port))
}

/// A process's CPU time, user plus system, and the system (kernel) part alone, from
/// `/proc/PID/stat`.
fn cpu_times(stat: &str) -> Result<(Duration, Duration), String> {
    let text = std::fs::read_to_string(stat).map_err(|e| format!("{stat}: {e}"))?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = text[text.rfind(')').ok_or("bad stat")? + 2..]
        .split(' ')
        .collect();
    let user: u64 = fields[11].parse().unwrap_or(0);
    let system: u64 = fields[12].parse().unwrap_or(0);
    let duration = |ticks: u64| Duration::from_millis(ticks * 1000 / clock_ticks());
    Ok((duration(user + system), duration(system)))
}

fn clock_ticks() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(100)
    })
}

/// Resident memory of a process, from `/proc/PID/status`.
fn rss_kib(pid: u32) -> Result<u64, String> {
    status_kib(pid, "VmRSS:")
}

/// A figure in kB from `/proc/PID/status`, such as `VmRSS:` or `VmHWM:`.
fn status_kib(pid: u32, field: &str) -> Result<u64, String> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|value| value.trim().trim_end_matches(" kB").trim().parse().ok())
        .ok_or_else(|| format!("no {field}"))
}

/// Raises this process's limit of open files to the most allowed (children inherit
/// it): 10,000 clients need 10,000 descriptors here and as many in the server.
fn raise_open_files_limit() {
    // SAFETY: getrlimit and setrlimit only read and write the struct given.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// The machine and the date, for the figures: cores, CPU model, today.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let date = std::process::Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .unwrap_or_default();
    format!(
        "Machine: {cores} cores ({model}), measured {}.",
        date.trim()
    )
}

struct Row<'a>(&'a Run);

impl Row<'_> {
    fn header() -> String {
        format!(
            "{:<14} {:<5} {:>5} {:>9} {:>6} {:>9} {:>8} {:>8} {:>8} {:>12} {:>7} {:>10} {:>9} {:>8} {:>8}",
            "scenario",
            "srv",
            "N",
            "join ms",
            "msg/s",
            "deliv/s",
            "p50 ms",
            "p99 ms",
            "max ms",
            "cpu ms/1000",
            "kernel",
            "user/1000",
            "KiB/conn",
            "lost",
            "gen cpu"
        )
    }
}

impl std::fmt::Display for Row<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = self.0;
        write!(
            f,
            "{:<14} {:<5} {:>5} {:>9.0} {:>6} {:>9.0} {:>8.2} {:>8.2} {:>8.1} {:>12.3} {:>6.0}% {:>10.3} {:>9.1} {:>8} {:>7.2}c",
            r.scenario,
            r.server,
            r.clients,
            r.join.as_secs_f64() * 1000.0,
            r.rate,
            r.per_second(),
            r.percentile_ms(0.5),
            r.percentile_ms(0.99),
            r.percentile_ms(1.0),
            r.cpu_ms_per_1000(),
            r.kernel_share(),
            r.user_ms_per_1000(),
            r.kib_per_connection(),
            r.expected - r.delivered.min(r.expected),
            r.loadgen_cores(),
        )?;
        if r.joined < r.clients {
            write!(f, "  (only {} joined within the limit)", r.joined)?;
        }
        Ok(())
    }
}

/// The median of the rounds of one scenario, server and N (by p99).
fn median<'a>(runs: &'a [Run], scenario: &str, server: &str, clients: usize) -> Option<&'a Run> {
    let mut matching: Vec<&Run> = runs
        .iter()
        .filter(|r| r.scenario == scenario && r.server == server && r.clients == clients)
        .collect();
    matching.sort_by(|a, b| a.percentile_ms(0.99).total_cmp(&b.percentile_ms(0.99)));
    matching.get(matching.len().saturating_sub(1) / 2).copied()
}

/// The table for the notes: Rust, Node and Rust/Node for each figure.
fn summary(scenarios: &[Scenario], settings: &Settings, runs: &[Run]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} messages/s in total (fewer for large N: at most {} deliveries/s) for {} s, {} round(s) each (median by p99).\n",
        settings.rate, settings.max_deliveries, settings.seconds, settings.rounds
    );
    let _ = writeln!(
        out,
        "| scenario | N | server | join ms | msg/s | deliveries/s | p50 ms | p99 ms | max ms | server CPU ms per 1000 deliveries | of which in the kernel | user-space CPU ms per 1000 | KiB per connection | peak RSS MiB | lost | load generator CPU |"
    );
    let _ = writeln!(
        out,
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for scenario in scenarios {
        for &clients in &settings.clients {
            let found = [
                median(runs, scenario.name, "rust", clients),
                median(runs, scenario.name, "node", clients),
            ];
            for run in found.iter().flatten() {
                let joined = if run.joined < run.clients {
                    format!(" ({} joined)", run.joined)
                } else {
                    String::new()
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {:.0}{joined} | {} | {:.0} | {:.2} | {:.2} | {:.1} | {:.3} | {:.0}% | {:.3} | {:.1} | {:.0} | {} | {:.2} cores |",
                    run.scenario,
                    clients,
                    if run.server == "rust" { "Rust" } else { "Node" },
                    run.join.as_secs_f64() * 1000.0,
                    run.rate,
                    run.per_second(),
                    run.percentile_ms(0.5),
                    run.percentile_ms(0.99),
                    run.percentile_ms(1.0),
                    run.cpu_ms_per_1000(),
                    run.kernel_share(),
                    run.user_ms_per_1000(),
                    run.kib_per_connection(),
                    run.rss_peak_kib as f64 / 1024.0,
                    run.expected - run.delivered.min(run.expected),
                    run.loadgen_cores(),
                );
            }
            let [Some(rust), Some(node)] = found else {
                continue;
            };
            let ratio = |a: f64, b: f64| {
                if b > 0.0 && a.is_finite() && b.is_finite() {
                    format!("{:.2}", a / b)
                } else {
                    "-".into()
                }
            };
            let _ = writeln!(
                out,
                "| {} | {} | **Rust/Node** | {} | | {} | {} | {} | {} | {} | | {} | {} | {} | | |",
                scenario.name,
                clients,
                ratio(rust.join.as_secs_f64(), node.join.as_secs_f64()),
                ratio(rust.per_second(), node.per_second()),
                ratio(rust.percentile_ms(0.5), node.percentile_ms(0.5)),
                ratio(rust.percentile_ms(0.99), node.percentile_ms(0.99)),
                ratio(rust.percentile_ms(1.0), node.percentile_ms(1.0)),
                ratio(rust.cpu_ms_per_1000(), node.cpu_ms_per_1000()),
                ratio(rust.user_ms_per_1000(), node.user_ms_per_1000()),
                ratio(rust.kib_per_connection(), node.kib_per_connection()),
                ratio(rust.rss_peak_kib as f64, node.rss_peak_kib as f64),
            );
        }
    }
    let _ = writeln!(
        out,
        "\n{} sent, every delivery timed. \"lost\": deliveries still missing 5 s after the last send.",
        runs.iter().map(|r| r.sent).sum::<u64>()
    );
    out
}

/// Two panels side by side, log-log, one line per server and scenario: memory per
/// connection and p99 latency against the number of clients. A small SVG written by
/// hand.
fn plot(scenarios: &[Scenario], settings: &Settings, runs: &[Run]) -> String {
    let (panel_w, height, legend_w) = (360.0, 400.0, 170.0);
    let width = 2.0 * panel_w + legend_w;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/>"##
    );
    let mut labels = Vec::new();
    let panels: [(&str, fn(&Run) -> f64); 2] = [
        ("KiB per connection", |r| r.kib_per_connection()),
        ("p99 latency, ms", |r| r.percentile_ms(0.99)),
    ];
    for (index, (title, value)) in panels.into_iter().enumerate() {
        let mut lines = Vec::new();
        for scenario in scenarios {
            for server in ["rust", "node"] {
                let line: Vec<(f64, f64)> = settings
                    .clients
                    .iter()
                    .filter_map(|&n| median(runs, scenario.name, server, n))
                    // A run whose clients did not all join measured fewer than N.
                    .filter(|r| r.joined == r.clients)
                    .map(|r| (r.clients as f64, value(r)))
                    .filter(|&(_, v)| v.is_finite() && v > 0.0)
                    .collect();
                lines.push((format!("{} {}", scenario.name, server), line));
            }
        }
        labels = lines.iter().map(|(label, _)| label.clone()).collect();
        panel(
            &mut svg,
            index as f64 * panel_w,
            panel_w,
            height,
            title,
            &lines,
        );
    }
    let colors = [
        "#d35400", "#e59866", "#1e8449", "#82e0aa", "#2471a3", "#85c1e9",
    ];
    for (i, label) in labels.iter().enumerate() {
        let color = colors[i % colors.len()];
        let dash = if label.ends_with("node") {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        let ly = 50.0 + i as f64 * 20.0;
        let lx = 2.0 * panel_w + 10.0;
        let _ = writeln!(
            svg,
            r##"<line x1="{lx}" x2="{x2}" y1="{ly}" y2="{ly}" stroke="{color}" stroke-width="2"{dash}/><text x="{tx}" y="{ty}">{label}</text>"##,
            x2 = lx + 24.0,
            tx = lx + 30.0,
            ty = ly + 4.0
        );
    }
    let _ = writeln!(
        svg,
        r##"<text x="{}" y="{}" font-size="11">{}</text>"##,
        2.0 * panel_w + 10.0,
        50.0 + labels.len() as f64 * 20.0 + 10.0,
        format!("{} msg/s or fewer", settings.rate)
    );
    svg.push_str("</svg>\n");
    svg
}

/// One log-log panel at `x0`: a title, decades, the N axis and a polyline per server.
fn panel(
    svg: &mut String,
    x0: f64,
    width: f64,
    height: f64,
    title: &str,
    lines: &[(String, Vec<(f64, f64)>)],
) {
    let (left, bottom, top, right) = (x0 + 60.0, 50.0, 30.0, 15.0);
    let plot_w = width - 60.0 - right;
    let plot_h = height - top - bottom;
    let all: Vec<(f64, f64)> = lines.iter().flat_map(|(_, l)| l.iter().copied()).collect();
    if all.is_empty() {
        return;
    }
    let x_min = all.iter().map(|p| p.0).fold(f64::MAX, f64::min).log10();
    let x_max = all
        .iter()
        .map(|p| p.0)
        .fold(f64::MIN, f64::max)
        .log10()
        .max(x_min + 1.0);
    let y_min = all
        .iter()
        .map(|p| p.1)
        .fold(f64::MAX, f64::min)
        .log10()
        .floor();
    let y_max = all
        .iter()
        .map(|p| p.1)
        .fold(f64::MIN, f64::max)
        .log10()
        .ceil()
        .max(y_min + 1.0);
    let x = |v: f64| left + (v.log10() - x_min) / (x_max - x_min) * plot_w;
    let y = |v: f64| top + plot_h - (v.log10() - y_min) / (y_max - y_min) * plot_h;
    let _ = writeln!(
        svg,
        r##"<text x="{}" y="18" text-anchor="middle" font-size="14">{title}</text>"##,
        left + plot_w / 2.0
    );
    for decade in (y_min as i32)..=(y_max as i32) {
        let v = 10f64.powi(decade);
        let _ = writeln!(
            svg,
            r##"<line x1="{left}" x2="{x2}" y1="{y1}" y2="{y1}" stroke="#ddd"/><text x="{tx}" y="{ty}" text-anchor="end">{v}</text>"##,
            x2 = left + plot_w,
            y1 = y(v),
            tx = left - 6.0,
            ty = y(v) + 4.0,
        );
    }
    let mut ns: Vec<f64> = all.iter().map(|p| p.0).collect();
    ns.sort_by(f64::total_cmp);
    ns.dedup();
    for n in ns {
        let _ = writeln!(
            svg,
            r##"<line x1="{x1}" x2="{x1}" y1="{top}" y2="{y2}" stroke="#ddd"/><text x="{x1}" y="{ty}" text-anchor="middle">{n}</text>"##,
            x1 = x(n),
            y2 = top + plot_h,
            ty = top + plot_h + 18.0
        );
    }
    let _ = writeln!(
        svg,
        r##"<text x="{}" y="{}" text-anchor="middle">clients in the room (log scale)</text>"##,
        left + plot_w / 2.0,
        height - 8.0
    );
    let colors = [
        "#d35400", "#e59866", "#1e8449", "#82e0aa", "#2471a3", "#85c1e9",
    ];
    for (i, (label, line)) in lines.iter().enumerate() {
        let color = colors[i % colors.len()];
        let dash = if label.ends_with("node") {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        let path: Vec<String> = line
            .iter()
            .map(|&(n, v)| format!("{:.1},{:.1}", x(n), y(v)))
            .collect();
        let _ = writeln!(
            svg,
            r##"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"{dash}/>"##,
            path.join(" ")
        );
        for &(n, v) in line {
            let _ = writeln!(
                svg,
                r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{color}"/>"##,
                x(n),
                y(v)
            );
        }
    }
}
