//! One blocking tungstenite client on a plain `TcpStream`, with no runtime and no extra thread:
//! the yardstick for the C client's round trips (`bench/c`). The calling thread writes each frame
//! and blocks in `read` for the answer, so a round trip costs no thread hand-off at all.
//!
//! Prints the same JSON fields as `bench/c/rtt.c`: sequential 64 B round trips (rate, p50, p99),
//! pipelined 64 B messages (a window of 64 in flight), 1 MiB binary echoes, the CPU an open idle
//! client costs, and the resident memory per idle client.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tokio_tungstenite::tungstenite::{self, Bytes, Message, WebSocket};

use crate::hist::round1;
use crate::sys;

/// What to run; every loop is bounded by a count and a time.
pub struct RttParams {
    /// Full URL of the echo route, e.g. ws://127.0.0.1:9001/echo.
    pub url: String,
    /// Most sequential round trips.
    pub count: usize,
    /// Most pipelined messages.
    pub pipelined: usize,
    /// Most 1 MiB echoes.
    pub large: usize,
    /// Upper bound on each phase.
    pub max_time: Duration,
    /// How long the idle client is watched.
    pub idle: Duration,
    /// Idle clients opened for the memory figure.
    pub idle_clients: usize,
}

type Ws = WebSocket<TcpStream>;

fn open(url: &str) -> Result<Ws, String> {
    // The same rule as every other scenario: ws://IP:PORT/path on a loopback address only.
    crate::conn::Target::parse(url)?;
    let hostport = url.strip_prefix("ws://").and_then(|r| r.split('/').next()).unwrap_or_default();
    let stream = TcpStream::connect(hostport).map_err(|e| format!("connect {hostport}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
    let (ws, _) = tungstenite::client(url, stream).map_err(|e| format!("handshake {url}: {e}"))?;
    Ok(ws)
}

fn read_data(ws: &mut Ws) -> Result<Message, String> {
    loop {
        match ws.read().map_err(|e| format!("read: {e}"))? {
            m @ (Message::Text(_) | Message::Binary(_)) => return Ok(m),
            _ => continue,
        }
    }
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p) as usize).min(sorted.len() - 1);
    (sorted[i] as f64 / 100.0).round() / 10.0
}

/// Runs every phase and returns the JSON result.
pub fn run(p: RttParams) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    out.insert("lib".into(), "tungstenite".into());
    let msg = "x".repeat(64);
    let mut ws = open(&p.url)?;

    // Sequential round trips (after a short warm-up).
    for _ in 0..200 {
        ws.send(Message::text(msg.clone())).map_err(|e| format!("send: {e}"))?;
        read_data(&mut ws)?;
    }
    let mut lat = Vec::with_capacity(p.count);
    let t0 = Instant::now();
    while lat.len() < p.count && t0.elapsed() < p.max_time {
        let t = Instant::now();
        ws.send(Message::text(msg.clone())).map_err(|e| format!("send: {e}"))?;
        match read_data(&mut ws)? {
            Message::Text(t) if t.len() == 64 => {}
            other => return Err(format!("unexpected echo {other:?}")),
        }
        lat.push(t.elapsed().as_nanos() as u64);
    }
    let secs = t0.elapsed().as_secs_f64();
    out.insert("rtt_per_s".into(), (lat.len() as f64 / secs).round().into());
    lat.sort_unstable();
    out.insert("rtt_p50_us".into(), pct(&lat, 0.5).into());
    out.insert("rtt_p99_us".into(), pct(&lat, 0.99).into());
    out.insert("rtt_count".into(), lat.len().into());

    // Paced: 200 round trips, one every 5 ms (a mostly idle request/response client): CPU of
    // the whole process per round trip.
    let cpu0 = sys::own_cpu_seconds_precise();
    for _ in 0..200 {
        std::thread::sleep(Duration::from_millis(5));
        ws.send(Message::text(msg.clone())).map_err(|e| format!("send: {e}"))?;
        read_data(&mut ws)?;
    }
    out.insert("paced_cpu_us".into(), round1((sys::own_cpu_seconds_precise() - cpu0) * 1e6 / 200.0).into());

    // Pipelined: up to 64 messages in flight.
    let t0 = Instant::now();
    let (mut sent, mut got) = (0usize, 0usize);
    while got < p.pipelined && t0.elapsed() < p.max_time {
        while sent < p.pipelined && sent - got < 64 {
            ws.write(Message::text(msg.clone())).map_err(|e| format!("write: {e}"))?;
            sent += 1;
        }
        ws.flush().map_err(|e| format!("flush: {e}"))?;
        read_data(&mut ws)?;
        got += 1;
    }
    while got < sent {
        read_data(&mut ws)?;
        got += 1;
    }
    out.insert("pipelined_per_s".into(), (got as f64 / t0.elapsed().as_secs_f64()).round().into());

    // 1 MiB binary echoes, one at a time.
    let big: Vec<u8> = (0..1usize << 20).map(|i| i as u8).collect();
    let big = Bytes::from(big);
    let t0 = Instant::now();
    let mut n = 0usize;
    while n < p.large && t0.elapsed() < p.max_time {
        ws.send(Message::Binary(big.clone())).map_err(|e| format!("send: {e}"))?;
        match read_data(&mut ws)? {
            Message::Binary(b) if b.len() == big.len() => {}
            other => return Err(format!("unexpected 1 MiB echo of {} bytes", other.len())),
        }
        n += 1;
    }
    out.insert("large_mb_per_s".into(), round1((n << 20) as f64 / 1e6 / t0.elapsed().as_secs_f64()).into());

    // Idle: one open client, nothing sent, CPU of the whole process over the window.
    let cpu0 = sys::own_cpu_seconds();
    let w0 = sys::own_wakeups();
    std::thread::sleep(p.idle);
    let w1 = sys::own_wakeups();
    let cpu1 = sys::own_cpu_seconds();
    out.insert("idle_cpu_ms".into(), ((cpu1 - cpu0) * 1000.0).round().into());
    out.insert("idle_wakeups_per_s".into(), round1(w1.saturating_sub(w0) as f64 / p.idle.as_secs_f64().max(1e-3)).into());
    out.insert("idle_s".into(), p.idle.as_secs_f64().into());
    // Idle memory: resident set growth per open client (the first one stays open meanwhile).
    let rss0 = sys::rss_kib(std::process::id()).unwrap_or(0);
    let mut idle = Vec::with_capacity(p.idle_clients);
    for _ in 0..p.idle_clients {
        idle.push(open(&p.url)?);
    }
    std::thread::sleep(Duration::from_millis(300));
    let rss1 = sys::rss_kib(std::process::id()).unwrap_or(0);
    let per = (rss1.saturating_sub(rss0)) as f64 / p.idle_clients.max(1) as f64;
    out.insert("idle_kib_per_client".into(), round1(per).into());
    drop(idle);
    let _ = ws.close(None);
    let _ = ws.flush();
    Ok(out)
}
