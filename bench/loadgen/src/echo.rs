//! `echo` and `echo-large`: pipelined round trips on the server's echo path.
//!
//! Every connection keeps `inflight` messages outstanding: each reply that
//! arrives is answered with a new message. Replies come back in order, so the
//! round-trip time of each is measured against a queue of send instants, and each
//! reply is checked to be the message sent (same type, same bytes). Only replies
//! received inside the measurement window (after the warm-up) count; sending stops
//! at the end of the window and the outstanding replies are drained, bounded by a
//! timeout.
//!
//! Reading and writing run in two tasks per connection so that a large message
//! being written never keeps its echo from being read (a server that waits for
//! its writes before reading would otherwise deadlock with us).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::Notify;

use crate::conn::{self, ConnectOpts, Target};
use crate::frame::{self, Reader, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT};
use crate::hist::{round1, Hist};
use crate::sys::{round3, CpuMeter};

/// Parameters of one echo run.
pub struct EchoParams {
    pub target: Target,
    pub conns: usize,
    pub size: usize,
    pub inflight: usize,
    pub binary: bool,
    pub warmup: Duration,
    pub duration: Duration,
    pub pid: Option<u32>,
}

/// What one connection measured.
#[derive(Default)]
struct ConnResult {
    replies: u64,
    rtt: Hist,
    error: Option<String>,
}

/// The measurement window shared by every connection.
#[derive(Clone, Copy)]
struct Window {
    start: Instant,
    end: Instant,
}

/// Longest wait for any single reply before the connection is declared stalled.
const STALL: Duration = Duration::from_secs(5);

/// What the reader of a connection hands its writer: frames owed, and when to stop.
#[derive(Default)]
struct Credits {
    owed: AtomicUsize,
    /// Pong frames to send, answering the server's pings.
    pongs: Mutex<Vec<Vec<u8>>>,
    done: AtomicBool,
    wake: Notify,
}

pub async fn run(p: EchoParams) -> Map<String, Value> {
    let opts = ConnectOpts { read_buffer: (p.size + 16).clamp(64 * 1024, 8 << 20), ..Default::default() };
    let conns = match conn::connect_raw_many(&p.target, p.conns, 64, opts, p.size + 16).await {
        Ok(c) => c,
        Err(e) => return error_result(format!("connect: {e}")),
    };

    let opcode = if p.binary { OP_BINARY } else { OP_TEXT };
    let payload: Arc<[u8]> = (0..p.size).map(|i| b'a' + (i % 26) as u8).collect::<Vec<_>>().into();
    let frame = frame::encode(opcode, &payload);
    // `inflight` copies back to back: a write of k frames is one slice of it.
    let batch: Arc<[u8]> = frame.repeat(p.inflight.max(1)).into();

    let now = Instant::now();
    let win = Window { start: now + p.warmup, end: now + p.warmup + p.duration };

    // CPU is sampled exactly at the window's edges by a separate task.
    let pid = p.pid;
    let meter = tokio::spawn(async move {
        tokio::time::sleep_until(win.start.into()).await;
        let m = CpuMeter::start(pid);
        tokio::time::sleep_until(win.end.into()).await;
        let mut out = Map::new();
        m.finish(&mut out);
        out
    });

    let tasks: Vec<_> = conns
        .into_iter()
        .map(|c| {
            let (rd, wr) = c.stream.into_split();
            let credits = Arc::new(Credits::default());
            let writer = tokio::spawn(write_loop(wr, batch.clone(), frame.len(), credits.clone()));
            let check = Check { opcode, payload: payload.clone() };
            tokio::spawn(read_loop(rd, c.reader, check, p.inflight.max(1), win, credits, writer))
        })
        .collect();
    let mut total = ConnResult::default();
    for t in tasks {
        let r = t.await.unwrap_or_else(|e| ConnResult { error: Some(e.to_string()), ..Default::default() });
        total.replies += r.replies;
        total.rtt.merge(&r.rtt);
        if total.error.is_none() {
            total.error = r.error;
        }
    }

    let secs = p.duration.as_secs_f64();
    let mut out = Map::new();
    out.insert("conns".into(), p.conns.into());
    out.insert("size".into(), p.size.into());
    out.insert("inflight".into(), p.inflight.into());
    out.insert("duration_s".into(), secs.into());
    out.insert("msgs".into(), total.replies.into());
    out.insert("msgs_per_s".into(), round1(total.replies as f64 / secs).into());
    out.insert("mib_per_s".into(), round3(total.replies as f64 * p.size as f64 / secs / 1048576.0).into());
    out.extend(total.rtt.to_json("rtt"));
    out.extend(meter.await.unwrap_or_default());
    if let Some(cpu) = out.get("server_cpu_s").and_then(Value::as_f64) {
        if cpu > 0.0 {
            out.insert("msgs_per_server_cpu_s".into(), round1(total.replies as f64 / cpu).into());
        }
    }
    out.insert("error".into(), total.error.map(Value::from).unwrap_or(Value::Null));
    out
}

/// What every reply must be.
struct Check {
    opcode: u8,
    payload: Arc<[u8]>,
}

/// Writes the frames the reader asks for, until told it is done.
async fn write_loop(mut wr: OwnedWriteHalf, batch: Arc<[u8]>, flen: usize, credits: Arc<Credits>) -> Result<(), String> {
    let max = batch.len() / flen;
    credits.owed.store(max, Relaxed);
    loop {
        let pongs = std::mem::take(&mut *credits.pongs.lock().unwrap());
        for pong in pongs {
            wr.write_all(&pong).await.map_err(|e| format!("write: {e}"))?;
        }
        let k = credits.owed.swap(0, Relaxed);
        if k > 0 {
            let mut left = k;
            while left > 0 {
                let n = left.min(max);
                wr.write_all(&batch[..n * flen]).await.map_err(|e| format!("write: {e}"))?;
                left -= n;
            }
            continue;
        }
        if credits.done.load(Relaxed) {
            break;
        }
        credits.wake.notified().await;
    }
    // Normal closure, then stop writing; we don't wait for the server's reply.
    let _ = wr.write_all(&frame::encode(OP_CLOSE, &1000u16.to_be_bytes())).await;
    let _ = wr.shutdown().await;
    Ok(())
}

/// Reads replies, records their round trips and owes the writer one frame per reply.
async fn read_loop(
    mut rd: OwnedReadHalf,
    mut reader: Reader,
    check: Check,
    inflight: usize,
    win: Window,
    credits: Arc<Credits>,
    writer: tokio::task::JoinHandle<Result<(), String>>,
) -> ConnResult {
    let mut r = ConnResult::default();
    let mut sent: VecDeque<Instant> = VecDeque::with_capacity(inflight);
    let start = Instant::now();
    sent.extend(std::iter::repeat_n(start, inflight));
    let outcome = async {
        while !sent.is_empty() {
            match tokio::time::timeout(STALL, reader.fill(&mut rd)).await {
                Err(_) => return Err(format!("no reply within {STALL:?}")),
                Ok(Err(e)) => return Err(format!("read: {e}")),
                Ok(Ok(0)) => return Err("closed by server".to_string()),
                Ok(Ok(_)) => {}
            }
            let now = Instant::now();
            let mut owed = 0;
            while let Some(f) = reader.next_frame().map_err(|e| e.to_string())? {
                match f.opcode {
                    OP_TEXT | OP_BINARY => {
                        if f.opcode != check.opcode || !f.fin || reader.buf()[f.payload] != check.payload[..] {
                            return Err("echoed message differs from the one sent".to_string());
                        }
                        let t = sent.pop_front().ok_or("more replies than messages sent")?;
                        if now >= win.start && now < win.end {
                            r.replies += 1;
                            r.rtt.record((now - t).as_micros() as u64);
                        }
                        if now < win.end {
                            sent.push_back(now);
                            owed += 1;
                        }
                    }
                    OP_CLOSE => return Err(frame::closed_by_server(&reader.buf()[f.payload])),
                    OP_PING => {
                        credits.pongs.lock().unwrap().push(frame::encode(OP_PONG, &reader.buf()[f.payload]));
                        credits.wake.notify_one();
                    }
                    _ => {}
                }
            }
            if owed > 0 {
                credits.owed.fetch_add(owed, Relaxed);
                credits.wake.notify_one();
            }
        }
        Ok(())
    }
    .await;
    credits.done.store(true, Relaxed);
    credits.wake.notify_one();
    let written = writer.await.unwrap_or_else(|e| Err(e.to_string()));
    r.error = outcome.err().or(written.err());
    r
}

fn error_result(e: String) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("error".into(), e.into());
    out
}
