//! `idle`: open many connections and hold them without traffic.
//!
//! The connections are opened with at most `concurrency` handshakes in flight.
//! Opening stops early after `max_failures` failed attempts (a server at its
//! descriptor limit makes every further attempt wait for the timeout). When all
//! attempts are done a `{"event":"ready",...}` line is printed; the connections are
//! then held until a line (or EOF) arrives on stdin when `--wait-stdin` is given,
//! else for `--hold` seconds, and the final result line follows. Connections are
//! closed with RST so that repeated runs leave no TIME_WAIT sockets behind.

use std::io::Write;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Map, Value};
use tokio::sync::{watch, Semaphore};
use tokio_tungstenite::tungstenite::Message;

use crate::conn::{self, ConnectOpts, Target, Ws};
use crate::sys::round3;

/// Parameters of one idle run.
pub struct IdleParams {
    pub target: Target,
    pub conns: usize,
    pub concurrency: usize,
    pub source_ip: Option<IpAddr>,
    pub timeout: Duration,
    pub max_failures: u64,
    pub hold: Duration,
    pub wait_stdin: bool,
}

#[derive(Default)]
struct Counters {
    held: AtomicU64,
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
}

pub async fn run(p: IdleParams) -> Map<String, Value> {
    let opts = ConnectOpts {
        source_ip: p.source_ip,
        timeout: p.timeout,
        read_buffer: 4096,
        zero_linger: true,
    };
    let counters = Arc::new(Counters::default());
    let sem = Arc::new(Semaphore::new(p.concurrency.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let t0 = Instant::now();
    let mut attempted = 0u64;
    let mut holders = Vec::with_capacity(p.conns);

    for _ in 0..p.conns {
        if counters.failed.load(Relaxed) >= p.max_failures {
            break;
        }
        let permit = sem.clone().acquire_owned().await.expect("semaphore closed");
        attempted += 1;
        let (target, c, stop) = (p.target.clone(), counters.clone(), stop_rx.clone());
        holders.push(tokio::spawn(async move {
            match conn::connect(&target, opts).await {
                Ok(ws) => {
                    c.held.fetch_add(1, Relaxed);
                    drop(permit);
                    hold(ws, stop).await;
                    c.held.fetch_sub(1, Relaxed);
                }
                Err(e) => {
                    c.failed.fetch_add(1, Relaxed);
                    c.first_error.lock().unwrap().get_or_insert_with(|| e.to_string());
                }
            }
        }));
    }
    // Every attempt has finished once all permits are back.
    let _all = sem.acquire_many(p.concurrency.max(1) as u32).await;
    let connect_s = t0.elapsed().as_secs_f64();

    let first_error = counters.first_error.lock().unwrap().clone();
    let ready = json!({
        "event": "ready",
        "attempted": attempted,
        "held": counters.held.load(Relaxed),
        "failed": counters.failed.load(Relaxed),
        "connect_s": round3(connect_s),
        "first_error": first_error,
    });
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{ready}");
    let _ = stdout.flush();
    drop(stdout);

    if p.wait_stdin {
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
            let _ = tx.send(());
        });
        let _ = tokio::time::timeout(p.hold, rx).await;
    } else {
        tokio::time::sleep(p.hold).await;
    }

    let held_at_end = counters.held.load(Relaxed);
    let _ = stop_tx.send(true);
    for h in holders {
        let _ = h.await;
    }

    let mut out = Map::new();
    out.insert("event".into(), "done".into());
    out.insert("attempted".into(), attempted.into());
    out.insert("held".into(), ready["held"].clone());
    out.insert("held_at_end".into(), held_at_end.into());
    out.insert("failed".into(), counters.failed.load(Relaxed).into());
    out.insert("connect_s".into(), round3(connect_s).into());
    out.insert("first_error".into(), ready["first_error"].clone());
    out
}

/// Holds one connection, answering pings, until told to stop or the server closes it.
async fn hold(mut ws: Ws, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            msg = ws.next() => match msg {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
            _ = stop.changed() => return,
        }
    }
}
