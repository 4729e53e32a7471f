//! `redis-fanout`: one publisher, subscribers spread over several hub nodes.
//!
//! ```text
//! redis-fanout --sub ws://127.0.0.1:9001/ws/camera --sub ws://127.0.0.1:9002/ws/camera \
//!              --pub ws://127.0.0.1:9001/ws/camera --subs-per-node 1000 --rate 200 --duration 10
//! ```
//!
//! Every subscriber URL gets `--subs-per-node` connections; the publisher sends binary messages
//! (sequence number, wall-clock send time, kind) at `--rate` per second for `--duration`
//! seconds (subscribers connect `--burst` at a time per node, default 1000), after a warm-up that lasts until every subscriber has received one message. Output:
//! one JSON object (deliveries/s, latency percentiles, loss). Raw WebSocket frames (no library
//! on the hot path), so the generator costs little next to the servers it measures.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

const HEADER: usize = 17;
const KIND_WARMUP: u8 = 0;
const KIND_MEASURED: u8 = 1;

fn wall_nanos() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64
}

/// `ws://host:port/path` → (`host:port`, `/path`).
fn split_url(url: &str) -> (String, String) {
    let rest = url.strip_prefix("ws://").unwrap_or_else(|| panic!("{url}: only ws:// URLs"));
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    (host.to_string(), if path.is_empty() { "/".into() } else { path.to_string() })
}

/// Opens a WebSocket; returns the stream and bytes read past the response head.
async fn connect(url: &str) -> Result<(TcpStream, Vec<u8>), String> {
    let (host, path) = split_url(url);
    let mut s = TcpStream::connect(&host).await.map_err(|e| format!("{url}: {e}"))?;
    s.set_nodelay(true).ok();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: http://{host}\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.map_err(|e| format!("{url}: {e}"))?;
    let mut buf = Vec::with_capacity(1024);
    let mut tmp = [0u8; 4096];
    loop {
        let n = s.read(&mut tmp).await.map_err(|e| format!("{url}: {e}"))?;
        if n == 0 {
            return Err(format!("{url}: closed during the handshake"));
        }
        buf.extend_from_slice(&tmp[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..i]).to_string();
            if !head.starts_with("HTTP/1.1 101") {
                return Err(format!("{url}: handshake refused: {}", head.lines().next().unwrap_or("")));
            }
            return Ok((s, buf[i + 4..].to_vec()));
        }
        if buf.len() > 16384 {
            return Err(format!("{url}: response head too long"));
        }
    }
}

/// A client frame (masked with a zero key, which leaves the payload as is).
fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(payload.len() + 14);
    f.push(0x80 | opcode);
    match payload.len() {
        n if n < 126 => f.push(0x80 | n as u8),
        n if n < 65536 => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(0x80 | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(&[0, 0, 0, 0]);
    f.extend_from_slice(payload);
    f
}

fn message(kind: u8, seq: u64, size: usize) -> Vec<u8> {
    let mut b = vec![0u8; size.max(HEADER)];
    b[0..8].copy_from_slice(&seq.to_le_bytes());
    b[8..16].copy_from_slice(&wall_nanos().to_le_bytes());
    b[16] = kind;
    client_frame(2, &b)
}

#[derive(Default)]
struct Shared {
    ready: AtomicU64,
    delivered: AtomicU64,
}

#[derive(Default)]
struct SubResult {
    received: u64,
    latencies_us: Vec<u32>,
    error: Option<String>,
}

async fn subscriber(mut s: TcpStream, mut buf: Vec<u8>, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) -> SubResult {
    let mut r = SubResult::default();
    let mut warm = false;
    let mut tmp = vec![0u8; 16384];
    loop {
        // Parse every complete frame in buf.
        let mut at = 0;
        loop {
            let b = &buf[at..];
            if b.len() < 2 {
                break;
            }
            let opcode = b[0] & 0x0f;
            let (len, hl) = match b[1] & 0x7f {
                126 if b.len() >= 4 => (u16::from_be_bytes([b[2], b[3]]) as usize, 4),
                127 if b.len() >= 10 => (u64::from_be_bytes(b[2..10].try_into().unwrap()) as usize, 10),
                126 | 127 => break,
                n => (n as usize, 2),
            };
            if b.len() < hl + len {
                break;
            }
            let p = &b[hl..hl + len];
            match opcode {
                1 | 2 if p.len() >= HEADER => {
                    if p[16] == KIND_WARMUP {
                        if !warm {
                            warm = true;
                            shared.ready.fetch_add(1, Relaxed);
                        }
                    } else {
                        let sent = u64::from_le_bytes(p[8..16].try_into().unwrap());
                        r.latencies_us.push((wall_nanos().saturating_sub(sent) / 1000).min(u32::MAX as u64) as u32);
                        r.received += 1;
                        shared.delivered.fetch_add(1, Relaxed);
                    }
                }
                9 => {
                    let pong = client_frame(10, p);
                    if s.write_all(&pong).await.is_err() {
                        r.error = Some("pong write failed".into());
                        return r;
                    }
                }
                8 => {
                    r.error = Some("closed by the server".into());
                    return r;
                }
                _ => {}
            }
            at += hl + len;
        }
        buf.drain(..at);
        let n = tokio::select! {
            biased;
            n = s.read(&mut tmp) => n,
            _ = stop.changed() => return r,
        };
        match n {
            Ok(0) | Err(_) => {
                r.error = Some("connection lost".into());
                return r;
            }
            Ok(n) => buf.extend_from_slice(&tmp[..n]),
        }
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

#[allow(clippy::too_many_arguments)]
async fn run(subs: Vec<String>, per_node: usize, burst: usize, publisher: String, rate: f64, duration: f64, drain: f64, size: usize) -> serde_json::Value {
    let shared = Arc::new(Shared::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    let connect_start = Instant::now();
    let mut failures = 0u64;
    let mut first_error = None;
    for url in &subs {
        // `burst` handshakes at once: a burst the servers must absorb.
        let mut pending = Vec::new();
        for _ in 0..per_node {
            let url = url.clone();
            pending.push(tokio::spawn(async move { connect(&url).await }));
            if pending.len() == burst {
                for p in pending.drain(..) {
                    match p.await.unwrap() {
                        Ok((s, rest)) => tasks.push(tokio::spawn(subscriber(s, rest, shared.clone(), stop_rx.clone()))),
                        Err(e) => {
                            failures += 1;
                            first_error.get_or_insert(e);
                        }
                    }
                }
            }
        }
        for p in pending {
            match p.await.unwrap() {
                Ok((s, rest)) => tasks.push(tokio::spawn(subscriber(s, rest, shared.clone(), stop_rx.clone()))),
                Err(e) => {
                    failures += 1;
                    first_error.get_or_insert(e);
                }
            }
        }
    }
    let connect_s = connect_start.elapsed().as_secs_f64();
    let n = tasks.len() as u64;
    let (pubs, _) = connect(&publisher).await.unwrap_or_else(|e| panic!("publisher: {e}"));
    // Drain whatever the server sends the publisher.
    let (mut prx, mut ptx) = pubs.into_split();
    let reader = tokio::spawn(async move {
        let mut sink = vec![0u8; 16384];
        while let Ok(k) = prx.read(&mut sink).await {
            if k == 0 {
                break;
            }
        }
    });
    let warm_end = Instant::now() + Duration::from_secs(120);
    while shared.ready.load(Relaxed) < n && Instant::now() < warm_end {
        ptx.write_all(&message(KIND_WARMUP, 0, size)).await.expect("publish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ready = shared.ready.load(Relaxed);
    // Let warm-up backlogs clear before measuring.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let count = (rate * duration).round() as u64;
    let t0 = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    for seq in 0..count {
        tick.tick().await;
        ptx.write_all(&message(KIND_MEASURED, seq, size)).await.expect("publish");
    }
    let publish_s = t0.elapsed().as_secs_f64();
    let expected = count * n;
    let drain_end = Instant::now() + Duration::from_secs_f64(drain);
    while shared.delivered.load(Relaxed) < expected && Instant::now() < drain_end {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let _ = stop_tx.send(true);
    let mut lat = Vec::with_capacity(expected as usize);
    let mut received = 0;
    let mut errors = 0;
    for t in tasks {
        let r = t.await.unwrap();
        received += r.received;
        lat.extend_from_slice(&r.latencies_us);
        if r.error.is_some() {
            errors += 1;
        }
    }
    reader.abort();
    lat.sort_unstable();
    json!({
        "subscriber_nodes": subs.len(),
        "subs": n,
        "handshake_failures": failures,
        "first_handshake_error": first_error,
        "connect_s": (connect_s * 1000.0).round() / 1000.0,
        "warm_ready": ready,
        "rate": rate,
        "published": count,
        "publish_s": (publish_s * 1000.0).round() / 1000.0,
        "elapsed_s": (elapsed * 1000.0).round() / 1000.0,
        "expected": expected,
        "received": received,
        "loss": expected.saturating_sub(received),
        "deliveries_per_s": (received as f64 / elapsed).round(),
        "lat_p50_ms": percentile(&lat, 0.50),
        "lat_p99_ms": percentile(&lat, 0.99),
        "lat_max_ms": percentile(&lat, 1.0),
        "subscriber_errors": errors,
    })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut subs, mut publisher) = (Vec::new(), None);
    let (mut per_node, mut rate, mut duration, mut drain, mut size, mut threads, mut burst) = (1000usize, 200.0, 10.0, 10.0, 64usize, 1usize, 1000usize);
    while let Some(a) = args.next() {
        let mut v = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--sub" => subs.push(v()),
            "--pub" => publisher = Some(v()),
            "--subs-per-node" => per_node = v().parse().unwrap(),
            "--rate" => rate = v().parse().unwrap(),
            "--duration" => duration = v().parse().unwrap(),
            "--drain" => drain = v().parse().unwrap(),
            "--size" => size = v().parse().unwrap(),
            "--threads" => threads = v().parse().unwrap(),
            "--burst" => burst = v().parse::<usize>().unwrap().max(1),
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(!subs.is_empty(), "at least one --sub URL");
    let publisher = publisher.unwrap_or_else(|| subs[0].clone());
    let rt = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build().unwrap()
    };
    let out = rt.block_on(run(subs, per_node, burst, publisher, rate, duration, drain, size));
    println!("{out}");
}
