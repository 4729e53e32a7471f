//! Soak: the hub under churn for minutes, watched for drift in RSS, open fds and latency.
//!
//! Load, all bounded in count and rate, on loopback:
//! - churn: short-lived /echo connections (connect, one message, close);
//! - fan-out: subscribers on a broadcast route read every message of a publisher;
//! - large messages: a multi-MiB echo now and then;
//! - stalled readers: broadcast subscribers that never read, replaced periodically;
//! - bad input: garbage HTTP, a control frame with an extended length, invalid UTF-8, an
//!   oversized message, a socket that connects and stays silent.
//!
//! A probe connection echoes a small message every 100 ms; its round trip is the latency.
//! Every sample interval the hub's RSS and fd count are read from /proc. At the end the
//! samples of the last third are compared with the first third (after warm-up), and the fd
//! count once all load has stopped with the count before it started.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use crate::conn::{self, ConnectOpts, Target};
use crate::frame;
use crate::hist::Hist;
use crate::sys;

/// Parameters of a soak run.
pub struct SoakParams {
    /// Base URL target (paths are set per task).
    pub target: Target,
    /// Hub process id (RSS and fds are read from /proc).
    pub pid: u32,
    pub duration: Duration,
    pub sample: Duration,
    /// Size of the large echoed message (must not exceed the hub's max message size).
    pub large: usize,
    /// Fan-out subscribers that read, and the stalled ones.
    pub subs: usize,
    pub stalled: usize,
    /// Allowed growth of the median RSS from the first to the last third, in MiB.
    pub max_rss_growth_mib: f64,
    /// Allowed growth of the p99 probe latency from the first to the last third (factor).
    pub max_latency_factor: f64,
}

/// Counts of what the load did.
#[derive(Default)]
struct Counts {
    churn_ok: AtomicU64,
    churn_failed: AtomicU64,
    fanout_received: AtomicU64,
    published: AtomicU64,
    large_ok: AtomicU64,
    large_failed: AtomicU64,
    stalled_opened: AtomicU64,
    bad_inputs: AtomicU64,
    probe_failed: AtomicU64,
}

struct Sample {
    t: f64,
    rss_mib: f64,
    fds: u64,
    p50_ms: f64,
    p99_ms: f64,
}

fn fd_count(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count() as u64).unwrap_or(0)
}

fn opts() -> ConnectOpts {
    ConnectOpts { read_buffer: 16 << 10, ..ConnectOpts::default() }
}

/// Sleeps `d` unless the run stops first; returns false once it has stopped.
async fn pause(stop: &AtomicBool, d: Duration) -> bool {
    let end = Instant::now() + d;
    while Instant::now() < end {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50).min(end - Instant::now())).await;
    }
    !stop.load(Ordering::Relaxed)
}

async fn probe(t: Target, stop: Arc<AtomicBool>, hist: Arc<Mutex<Hist>>, counts: Arc<Counts>) {
    let Ok(mut ws) = conn::connect(&t, opts()).await else {
        counts.probe_failed.fetch_add(1, Ordering::Relaxed);
        return;
    };
    while pause(&stop, Duration::from_millis(100)).await {
        let start = Instant::now();
        let ok = async {
            ws.send(Message::text("probe")).await.ok()?;
            loop {
                match ws.next().await? {
                    Ok(Message::Text(_)) => return Some(()),
                    Ok(_) => continue,
                    Err(_) => return None,
                }
            }
        };
        match tokio::time::timeout(Duration::from_secs(5), ok).await {
            Ok(Some(())) => hist.lock().unwrap().record(start.elapsed().as_micros() as u64),
            _ => {
                counts.probe_failed.fetch_add(1, Ordering::Relaxed);
                match conn::connect(&t, opts()).await {
                    Ok(w) => ws = w,
                    Err(_) => return,
                }
            }
        }
    }
    let _ = ws.close(None).await;
}

async fn churn(t: Target, stop: Arc<AtomicBool>, counts: Arc<Counts>) {
    while pause(&stop, Duration::from_millis(100)).await {
        for _ in 0..5 {
            let one = async {
                let mut ws = conn::connect(&t, opts()).await.ok()?;
                ws.send(Message::text("churn")).await.ok()?;
                loop {
                    if let Message::Text(_) = ws.next().await?.ok()? {
                        break;
                    }
                }
                ws.close(None).await.ok()
            };
            match tokio::time::timeout(Duration::from_secs(10), one).await {
                Ok(Some(())) => counts.churn_ok.fetch_add(1, Ordering::Relaxed),
                _ => counts.churn_failed.fetch_add(1, Ordering::Relaxed),
            };
        }
    }
}

async fn subscriber(t: Target, stop: Arc<AtomicBool>, counts: Arc<Counts>) {
    let Ok(ws) = conn::connect(&t, opts()).await else { return };
    let (_tx, mut rx) = ws.split();
    while !stop.load(Ordering::Relaxed) {
        match tokio::time::timeout(Duration::from_millis(200), rx.next()).await {
            Ok(Some(Ok(Message::Binary(_)))) => {
                counts.fanout_received.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Some(Ok(_))) | Err(_) => {}
            Ok(_) => return,
        }
    }
}

async fn publisher(t: Target, stop: Arc<AtomicBool>, counts: Arc<Counts>) {
    let Ok(ws) = conn::connect(&t, opts()).await else { return };
    let (mut tx, mut rx) = ws.split();
    // The publisher is also a member of the route: it reads its own broadcasts.
    let drain = tokio::spawn(async move { while let Some(Ok(_)) = rx.next().await {} });
    let payload = vec![0x5a; 16 << 10];
    while pause(&stop, Duration::from_millis(50)).await {
        if tx.send(Message::binary(payload.clone())).await.is_err() {
            break;
        }
        counts.published.fetch_add(1, Ordering::Relaxed);
    }
    let _ = tx.close().await;
    drain.abort();
}

async fn large(t: Target, size: usize, stop: Arc<AtomicBool>, counts: Arc<Counts>) {
    while pause(&stop, Duration::from_secs(3)).await {
        let one = async {
            let mut ws = conn::connect(&t, opts()).await.ok()?;
            ws.send(Message::binary(vec![7u8; size])).await.ok()?;
            loop {
                if let Message::Binary(b) = ws.next().await?.ok()? {
                    if b.len() != size {
                        return None;
                    }
                    break;
                }
            }
            ws.close(None).await.ok()
        };
        match tokio::time::timeout(Duration::from_secs(20), one).await {
            Ok(Some(())) => counts.large_ok.fetch_add(1, Ordering::Relaxed),
            _ => counts.large_failed.fetch_add(1, Ordering::Relaxed),
        };
    }
}

async fn stalled(t: Target, n: usize, stop: Arc<AtomicBool>, counts: Arc<Counts>) {
    loop {
        let mut held = Vec::new();
        for _ in 0..n {
            if let Ok(raw) = conn::connect_raw(&t, opts(), 1 << 20).await {
                held.push(raw);
                counts.stalled_opened.fetch_add(1, Ordering::Relaxed);
            }
        }
        if !pause(&stop, Duration::from_secs(20)).await {
            return;
        }
        drop(held);
    }
}

/// Sends `bytes` on a fresh socket and reads whatever comes back (bounded).
async fn poke(t: &Target, bytes: &[u8], after_upgrade: bool) {
    let one = async {
        let mut s = if after_upgrade {
            conn::connect_raw(t, opts(), 1 << 20).await.ok()?.stream
        } else {
            TcpStream::connect(t.addr).await.ok()?
        };
        s.write_all(bytes).await.ok()?;
        let mut sink = vec![0u8; 4096];
        while s.read(&mut sink).await.ok()? > 0 {}
        Some(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), one).await;
}

async fn bad_input(echo: Target, max_message: usize, stop: Arc<AtomicBool>, counts: Arc<Counts>) {
    let mut i = 0u64;
    while pause(&stop, Duration::from_millis(250)).await {
        i += 1;
        match i % 5 {
            0 => poke(&echo, b"GARBAGE / HTTP/9.9\r\n\x00\x01\r\n\r\n", false).await,
            1 => {
                // A ping whose 5-byte length uses the 16-bit form: the hub closes with 1002.
                let mut f = vec![0x89, 0x80 | 126, 0, 5, 1, 2, 3, 4];
                f.extend(b"hello".iter().enumerate().map(|(i, b)| b ^ [1u8, 2, 3, 4][i % 4]));
                poke(&echo, &f, true).await
            }
            2 => poke(&echo, &frame::encode(frame::OP_TEXT, &[0xff, 0xfe, 0xfd]), true).await,
            3 if i % 20 == 3 => poke(&echo, &frame::encode(frame::OP_BINARY, &vec![1u8; max_message + 1]), true).await,
            _ => {
                // Connects and says nothing for a while.
                if let Ok(s) = TcpStream::connect(echo.addr).await {
                    let _ = pause(&stop, Duration::from_secs(2)).await;
                    drop(s);
                }
            }
        }
        counts.bad_inputs.fetch_add(1, Ordering::Relaxed);
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        0.0
    } else {
        v[v.len() / 2]
    }
}

/// Runs the soak and judges drift; `error` is set in the result when it failed.
pub async fn run(p: SoakParams) -> Map<String, Value> {
    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new(Counts::default());
    let hist = Arc::new(Mutex::new(Hist::default()));
    let echo = p.target.with_path("/echo");
    let chat = p.target.with_path("/chat");
    let fds_before = fd_count(p.pid);
    let rss_before = sys::rss_kib(p.pid).unwrap_or(0) as f64 / 1024.0;

    let mut tasks = vec![
        tokio::spawn(probe(echo.clone(), stop.clone(), hist.clone(), counts.clone())),
        tokio::spawn(churn(echo.clone(), stop.clone(), counts.clone())),
        tokio::spawn(large(echo.clone(), p.large, stop.clone(), counts.clone())),
        tokio::spawn(stalled(chat.clone(), p.stalled, stop.clone(), counts.clone())),
        tokio::spawn(bad_input(echo.clone(), p.large * 2, stop.clone(), counts.clone())),
    ];
    for _ in 0..p.subs {
        tasks.push(tokio::spawn(subscriber(chat.clone(), stop.clone(), counts.clone())));
    }
    tasks.push(tokio::spawn(publisher(chat.clone(), stop.clone(), counts.clone())));

    let start = Instant::now();
    let mut samples = Vec::new();
    while start.elapsed() < p.duration {
        tokio::time::sleep(p.sample.min(p.duration - start.elapsed())).await;
        let h = std::mem::take(&mut *hist.lock().unwrap());
        let s = Sample {
            t: start.elapsed().as_secs_f64(),
            rss_mib: sys::rss_kib(p.pid).unwrap_or(0) as f64 / 1024.0,
            fds: fd_count(p.pid),
            p50_ms: h.quantile(0.5) / 1000.0,
            p99_ms: h.quantile(0.99) / 1000.0,
        };
        eprintln!(
            "soak t={:.0}s rss={:.1}MiB fds={} probe p50={:.2}ms p99={:.2}ms churn={} fanout_rx={} large={} bad={}",
            s.t,
            s.rss_mib,
            s.fds,
            s.p50_ms,
            s.p99_ms,
            counts.churn_ok.load(Ordering::Relaxed),
            counts.fanout_received.load(Ordering::Relaxed),
            counts.large_ok.load(Ordering::Relaxed),
            counts.bad_inputs.load(Ordering::Relaxed)
        );
        samples.push(s);
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(30), t).await;
    }
    // Once the load is gone, the hub's fds come back (bounded wait: close handshakes finish).
    let mut fds_after = fd_count(p.pid);
    for _ in 0..100 {
        if fds_after <= fds_before + 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        fds_after = fd_count(p.pid);
    }

    // First and last third, skipping the first sample (warm-up).
    let steady: Vec<&Sample> = samples.iter().skip(1).collect();
    let third = (steady.len() / 3).max(1);
    let (first, last) = (&steady[..third.min(steady.len())], &steady[steady.len().saturating_sub(third)..]);
    let rss_first = median(&mut first.iter().map(|s| s.rss_mib).collect::<Vec<_>>());
    let rss_last = median(&mut last.iter().map(|s| s.rss_mib).collect::<Vec<_>>());
    let p99_first = median(&mut first.iter().map(|s| s.p99_ms).collect::<Vec<_>>());
    let p99_last = median(&mut last.iter().map(|s| s.p99_ms).collect::<Vec<_>>());
    let fds_first = first.iter().map(|s| s.fds).max().unwrap_or(0);
    let fds_last = last.iter().map(|s| s.fds).max().unwrap_or(0);
    let rss_max = samples.iter().map(|s| s.rss_mib).fold(0.0, f64::max);

    let c = &counts;
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let mut problems = Vec::new();
    if steady.len() < 3 {
        problems.push("too few samples to judge drift (run longer or sample more often)".to_string());
    }
    if rss_last > rss_first + p.max_rss_growth_mib {
        problems.push(format!("RSS drifted: median {rss_first:.1} MiB in the first third, {rss_last:.1} MiB in the last"));
    }
    if p99_last > p99_first * p.max_latency_factor + 5.0 {
        problems.push(format!("latency drifted: probe p99 {p99_first:.2} ms in the first third, {p99_last:.2} ms in the last"));
    }
    if fds_last > fds_first + 64 {
        problems.push(format!("fds drifted: at most {fds_first} in the first third, {fds_last} in the last"));
    }
    if fds_after > fds_before + 4 {
        problems.push(format!("fds leaked: {fds_before} before the load, {fds_after} after it stopped"));
    }
    if load(&c.probe_failed) > 0 {
        problems.push(format!("{} probe round trips failed or took over 5 s", load(&c.probe_failed)));
    }
    let churn_total = load(&c.churn_ok) + load(&c.churn_failed);
    if load(&c.churn_failed) * 100 > churn_total {
        problems.push(format!("{} of {churn_total} churn connections failed", load(&c.churn_failed)));
    }
    if load(&c.large_failed) > 0 {
        problems.push(format!("{} large echoes failed", load(&c.large_failed)));
    }
    if load(&c.fanout_received) == 0 || load(&c.churn_ok) == 0 || load(&c.large_ok) == 0 {
        problems.push("a part of the load never succeeded".to_string());
    }

    let mut out = Map::new();
    out.insert("scenario".into(), "soak".into());
    out.insert("duration_s".into(), json!(sys::round3(p.duration.as_secs_f64())));
    out.insert("samples".into(), json!(samples.len()));
    out.insert("rss_mib_before".into(), json!(sys::round3(rss_before)));
    out.insert("rss_mib_first_third".into(), json!(sys::round3(rss_first)));
    out.insert("rss_mib_last_third".into(), json!(sys::round3(rss_last)));
    out.insert("rss_mib_max".into(), json!(sys::round3(rss_max)));
    out.insert("fds_before".into(), json!(fds_before));
    out.insert("fds_max_first_third".into(), json!(fds_first));
    out.insert("fds_max_last_third".into(), json!(fds_last));
    out.insert("fds_after".into(), json!(fds_after));
    out.insert("probe_p99_ms_first_third".into(), json!(sys::round3(p99_first)));
    out.insert("probe_p99_ms_last_third".into(), json!(sys::round3(p99_last)));
    out.insert(
        "load".into(),
        json!({
            "churn_connections": load(&c.churn_ok),
            "churn_failed": load(&c.churn_failed),
            "published": load(&c.published),
            "fanout_received": load(&c.fanout_received),
            "large_echoes": load(&c.large_ok),
            "stalled_opened": load(&c.stalled_opened),
            "bad_inputs": load(&c.bad_inputs),
            "probe_failed": load(&c.probe_failed),
        }),
    );
    out.insert("error".into(), if problems.is_empty() { Value::Null } else { problems.join("; ").into() });
    out
}
