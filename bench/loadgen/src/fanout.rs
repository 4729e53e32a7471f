//! `fanout`: one publisher, many subscribers on the server's relay path.
//!
//! Each measured message carries its sequence number and the publisher's wall-clock
//! send time (nanoseconds since the Unix epoch), so a subscriber's latency is its
//! receive time minus that stamp; both ends run in this process, but the stamp would
//! stay meaningful across processes too.
//!
//! Before measuring, the publisher sends warm-up messages until every subscriber
//! has received one, so that every subscriber is known to be registered.
//!
//! Two publishing modes:
//! * paced (`--rate R`): R messages per second for the duration;
//! * saturated (`--rate 0`): as fast as the server delivers, bounded by `--max-msgs`
//!   and the duration, with a window: the publisher stops while more than
//!   `--window` × subscribers deliveries are outstanding (published × subscribers −
//!   received, summed over all subscribers), and resumes when half of that window
//!   has drained. Without a window the publisher would only fill socket and server
//!   buffers, and what it measured would be buffer growth, not delivery.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{watch, Notify};

use crate::conn::{self, ConnectOpts, Raw, Target};
use crate::frame::{self, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG};
use crate::hist::{round1, Hist};
use crate::sys::{round3, wall_nanos, CpuMeter};

/// Parameters of one fan-out run.
pub struct FanoutParams {
    pub target: Target,
    pub subs: usize,
    /// Messages per second; 0 publishes as fast as the window allows.
    pub rate: f64,
    pub duration: Duration,
    pub max_msgs: u64,
    pub window: u64,
    pub size: usize,
    pub drain: Duration,
    pub pid: Option<u32>,
}

const KIND_WARMUP: u8 = 0;
const KIND_MEASURED: u8 = 1;
/// seq (8 bytes) + send time (8 bytes) + kind (1 byte).
const HEADER: usize = 17;

/// State shared between the publisher and the subscribers.
#[derive(Default)]
struct Shared {
    /// Subscribers that have seen a warm-up message.
    ready: AtomicU64,
    /// Measured messages received, over all subscribers.
    delivered: AtomicU64,
    /// The publisher asks to be woken once `delivered` reaches this.
    wake_at: AtomicU64,
    wake: Notify,
}

#[derive(Default)]
struct SubResult {
    received: u64,
    latency: Hist,
    error: Option<String>,
}

/// Appends one encoded binary frame: seq, send time, kind, zero padding to `size`.
fn message(out: &mut Vec<u8>, kind: u8, seq: u64, size: usize) {
    let mut b = vec![0u8; size.max(HEADER)];
    b[0..8].copy_from_slice(&seq.to_le_bytes());
    b[8..16].copy_from_slice(&wall_nanos().to_le_bytes());
    b[16] = kind;
    out.extend_from_slice(&frame::encode(OP_BINARY, &b));
}

/// Frames larger than this are not ours.
const MAX_FRAME: usize = 1 << 20;

pub async fn run(p: FanoutParams) -> Map<String, Value> {
    let shared = Arc::new(Shared { wake_at: AtomicU64::new(u64::MAX), ..Default::default() });
    let opts = ConnectOpts { read_buffer: 16 * 1024, ..Default::default() };
    let subs = match conn::connect_raw_many(&p.target, p.subs, 64, opts, MAX_FRAME).await {
        Ok(s) => s,
        Err(e) => return error_result(format!("subscriber connect: {e}")),
    };
    let publisher = match conn::connect_raw(&p.target, opts, MAX_FRAME).await {
        Ok(ws) => ws,
        Err(e) => return error_result(format!("publisher connect: {e}")),
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let tasks: Vec<_> = subs
        .into_iter()
        .map(|ws| tokio::spawn(subscribe(ws, shared.clone(), stop_rx.clone())))
        .collect();

    // The relay sends the publisher nothing; its incoming bytes are read and dropped.
    let (mut rx, mut tx) = publisher.stream.into_split();
    let reader = tokio::spawn(async move {
        let mut sink = [0u8; 4096];
        while let Ok(n) = tokio::io::AsyncReadExt::read(&mut rx, &mut sink).await {
            if n == 0 {
                break;
            }
        }
    });

    let mut out = Map::new();
    let mut error: Option<String> = None;

    // Warm-up: until every subscriber has received something (bounded).
    let n = p.subs as u64;
    let warm_deadline = Instant::now() + Duration::from_secs(15);
    while shared.ready.load(Relaxed) < n && Instant::now() < warm_deadline {
        let mut m = Vec::new();
        message(&mut m, KIND_WARMUP, 0, p.size);
        if let Err(e) = tx.write_all(&m).await {
            error = Some(format!("publish: {e}"));
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ready = shared.ready.load(Relaxed);
    if ready < n && error.is_none() {
        error = Some(format!("only {ready} of {n} subscribers received the warm-up"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Measurement.
    let meter = CpuMeter::start(p.pid);
    let t0 = Instant::now();
    let deadline = t0 + p.duration;
    let mut published = 0u64;
    if error.is_none() {
        let r = if p.rate > 0.0 {
            let count = ((p.rate * p.duration.as_secs_f64()).round() as u64).min(p.max_msgs);
            publish_paced(&mut tx, p.rate, count, p.size, &mut published).await
        } else {
            publish_saturated(&mut tx, &shared, n, p.window, p.max_msgs, deadline, p.size, &mut published).await
        };
        if let Err(e) = r {
            error = Some(e);
        }
    }
    let publish_s = t0.elapsed().as_secs_f64();

    // Drain: wait (bounded) for everything published to arrive.
    let expected = published * n;
    let drain_deadline = Instant::now() + p.drain;
    while shared.delivered.load(Relaxed) < expected && Instant::now() < drain_deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let elapsed = t0.elapsed().as_secs_f64();
    meter.finish(&mut out);

    let _ = stop_tx.send(true);
    let mut latency = Hist::default();
    let mut received = 0u64;
    let mut min_sub = u64::MAX;
    for t in tasks {
        let r = t.await.unwrap_or_default();
        received += r.received;
        min_sub = min_sub.min(r.received);
        latency.merge(&r.latency);
        if error.is_none() {
            error = r.error;
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        tx.write_all(&frame::encode(OP_CLOSE, &1000u16.to_be_bytes())).await?;
        tx.shutdown().await
    })
    .await;
    reader.abort();

    out.insert("subs".into(), n.into());
    out.insert("rate".into(), p.rate.into());
    out.insert("window".into(), p.window.into());
    out.insert("size".into(), p.size.max(HEADER).into());
    out.insert("published".into(), published.into());
    out.insert("publish_s".into(), round3(publish_s).into());
    out.insert("elapsed_s".into(), round3(elapsed).into());
    out.insert("expected".into(), expected.into());
    out.insert("received".into(), received.into());
    out.insert("loss".into(), expected.saturating_sub(received).into());
    out.insert("min_sub_received".into(), if n == 0 { 0 } else { min_sub }.into());
    out.insert("deliveries_per_s".into(), round1(received as f64 / elapsed).into());
    out.extend(latency.to_json("lat"));
    if let Some(cpu) = out.get("server_cpu_s").and_then(Value::as_f64) {
        if received > 0 {
            out.insert("server_cpu_us_per_delivery".into(), round3(cpu * 1e6 / received as f64).into());
        }
    }
    out.insert("error".into(), error.map(Value::from).unwrap_or(Value::Null));
    out
}

/// Publishes `count` messages at `rate` per second.
async fn publish_paced(
    tx: &mut OwnedWriteHalf,
    rate: f64,
    count: u64,
    size: usize,
    published: &mut u64,
) -> Result<(), String> {
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    let mut m = Vec::new();
    for seq in 0..count {
        tick.tick().await;
        m.clear();
        message(&mut m, KIND_MEASURED, seq, size);
        tx.write_all(&m).await.map_err(|e| format!("publish: {e}"))?;
        *published += 1;
    }
    Ok(())
}

/// Publishes as fast as deliveries drain the window, until `max` messages or `deadline`.
#[allow(clippy::too_many_arguments)]
async fn publish_saturated(
    tx: &mut OwnedWriteHalf,
    shared: &Shared,
    subs: u64,
    window: u64,
    max: u64,
    deadline: Instant,
    size: usize,
    published: &mut u64,
) -> Result<(), String> {
    let limit = window.max(2) * subs;
    let outstanding = |published: u64| published * subs - shared.delivered.load(Relaxed).min(published * subs);
    let mut batch = Vec::new();
    while *published < max && Instant::now() < deadline {
        if outstanding(*published) >= limit {
            shared.wake_at.store(*published * subs - limit / 2, Relaxed);
            if outstanding(*published) >= limit {
                let left = deadline.saturating_duration_since(Instant::now());
                if tokio::time::timeout(left.min(Duration::from_secs(2)), shared.wake.notified()).await.is_err()
                    && Instant::now() < deadline
                {
                    return Err("publisher stalled: no deliveries for 2 s".into());
                }
            }
            shared.wake_at.store(u64::MAX, Relaxed);
            continue;
        }
        // Up to 8 messages per write, never past the window or the bound.
        batch.clear();
        let room = (limit - outstanding(*published)).div_ceil(subs);
        for _ in 0..room.min(8).min(max - *published) {
            message(&mut batch, KIND_MEASURED, *published, size);
            *published += 1;
        }
        tx.write_all(&batch).await.map_err(|e| format!("publish: {e}"))?;
    }
    Ok(())
}

/// Receives until told to stop, recording the latency of every measured message.
async fn subscribe(c: Raw, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) -> SubResult {
    let Raw { mut stream, mut reader } = c;
    let mut r = SubResult::default();
    let mut warm = false;
    let outcome: Result<(), String> = async {
        loop {
            let n = tokio::select! {
                biased;
                n = reader.fill(&mut stream) => n.map_err(|e| format!("subscriber: {e}"))?,
                _ = stop.changed() => return Ok(()),
            };
            if n == 0 {
                return Err("subscriber closed by server".into());
            }
            let now = wall_nanos();
            while let Some(f) = reader.next_frame().map_err(|e| format!("subscriber: {e}"))? {
                let b = &reader.buf()[f.payload];
                match f.opcode {
                    // The first warm-up message marks this subscriber ready; later ones are ignored.
                    OP_BINARY if b.len() >= HEADER && b[16] == KIND_WARMUP && !warm => {
                        warm = true;
                        shared.ready.fetch_add(1, Relaxed);
                    }
                    OP_BINARY if b.len() >= HEADER && b[16] == KIND_WARMUP => {}
                    OP_BINARY if b.len() >= HEADER => {
                        let sent = u64::from_le_bytes(b[8..16].try_into().unwrap());
                        r.latency.record(now.saturating_sub(sent) / 1000);
                        r.received += 1;
                        let d = shared.delivered.fetch_add(1, Relaxed) + 1;
                        if d >= shared.wake_at.load(Relaxed) {
                            shared.wake.notify_one();
                        }
                    }
                    OP_PING => {
                        let pong = frame::encode(OP_PONG, b);
                        stream.write_all(&pong).await.map_err(|e| format!("subscriber: {e}"))?;
                    }
                    OP_CLOSE => return Err(format!("subscriber {}", frame::closed_by_server(b))),
                    _ => {}
                }
            }
        }
    }
    .await;
    r.error = outcome.err();
    r
}

fn error_result(e: String) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("error".into(), e.into());
    out
}
