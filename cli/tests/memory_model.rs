//! The hub's memory model, measured on a real `omnisock hub` process over loopback:
//! buffers go back after large messages, a hub-wide budget bounds outbound memory, and a
//! thousand readers that never read cost the healthy readers and the publisher nothing.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

/// A hub child process, killed on drop.
struct HubProc {
    child: Child,
    addr: String,
    _dir: TempDir,
}

impl Drop for HubProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scratch directory removed on drop.
struct TempDir(std::path::PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn start_hub(toml: &str) -> HubProc {
    let dir = std::env::temp_dir().join(format!("omnisock-mem-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("hub.toml");
    std::fs::write(&cfg, toml).unwrap();
    // OMNISOCK_HUB_BIN measures another build (e.g. the previous commit's) with the same test.
    let bin = std::env::var("OMNISOCK_HUB_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_omnisock").to_string());
    let mut child = Command::new(bin)
        .args(["hub", "--config"])
        .arg(&cfg)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start omnisock hub");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "hub exited before listening");
        if let Some(rest) = line.trim().strip_prefix("omnisock hub listening on http://") {
            break rest.trim_end_matches('/').to_string();
        }
    };
    // Keep reading stdout so the hub never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = out.read_to_end(&mut sink);
    });
    HubProc { child, addr, _dir: TempDir(dir) }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64
}

/// Resident memory of a process in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// GET /_omnisock/status (blocking).
fn status(addr: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET /_omnisock/status HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    body
}

/// A number field of the status JSON (first occurrence).
fn status_num(doc: &str, key: &str) -> u64 {
    let at = doc.find(&format!("\"{key}\":")).unwrap_or_else(|| panic!("{key} not in status: {doc}")) + key.len() + 3;
    doc[at..].chars().take_while(|c| c.is_ascii_digit()).collect::<String>().parse().unwrap()
}

type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

async fn ws(addr: &str, path: &str) -> Ws {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let cfg = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().max_message_size(Some(64 << 20)).max_frame_size(Some(64 << 20));
    tokio_tungstenite::client_async_with_config(format!("ws://{addr}{path}"), tcp, Some(cfg)).await.unwrap().0
}

/// A client that completes the handshake and then never reads again.
async fn stalled(addr: &str, path: &str) -> TcpStream {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(tcp.read(&mut b).await.unwrap(), 1, "hub closed during the handshake");
        head.push(b[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
    tcp
}

/// A binary message of `len` bytes starting with its sequence number.
fn numbered(seq: u64, len: usize) -> Message {
    let mut v = vec![(seq % 251) as u8; len];
    v[..8].copy_from_slice(&seq.to_be_bytes());
    Message::Binary(v.into())
}

fn seq_of(m: &Message) -> u64 {
    match m {
        Message::Binary(b) => u64::from_be_bytes(b[..8].try_into().unwrap()),
        other => panic!("unexpected message {other:?}"),
    }
}

/// Reads `count` numbered messages and checks they are 0..count in order; returns when done.
async fn read_in_order(mut c: Ws, count: u64, len: usize) -> Ws {
    for want in 0..count {
        let m = loop {
            match tokio::time::timeout(Duration::from_secs(30), c.next()).await {
                Ok(Some(Ok(m @ Message::Binary(_)))) => break m,
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                other => panic!("reader expected message {want}, got {other:?}"),
            }
        };
        assert_eq!(seq_of(&m), want, "messages out of order or lost");
        assert_eq!(m.len(), len);
    }
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_messages_leave_no_memory_behind() {
    let hub = start_hub("max_message_size = \"16MiB\"\n[[route]]\npath = \"/echo\"\nkind = \"echo\"\n");
    let pid = hub.child.id();
    let mut clients = Vec::new();
    for _ in 0..20 {
        clients.push(ws(&hub.addr, "/echo").await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss_kib(pid);
    // Every connection carries one 10 MiB message each way, all at once.
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(i, mut c)| {
            tokio::spawn(async move {
                c.send(numbered(i as u64, 10 << 20)).await.unwrap();
                let m = loop {
                    match c.next().await {
                        Some(Ok(m @ Message::Binary(_))) => break m,
                        Some(Ok(_)) => continue,
                        other => panic!("{other:?}"),
                    }
                };
                assert_eq!((seq_of(&m), m.len()), (i as u64, 10 << 20));
                c
            })
        })
        .collect();
    let mut idle = Vec::new();
    for t in tasks {
        idle.push(t.await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(pid);
    let doc = status(&hub.addr);
    eprintln!("hub RSS: {before} KiB with 20 idle connections, {after} KiB after 20 × 10 MiB echoed (400 MiB moved)");
    assert_eq!(status_num(&doc, "connections"), 20);
    assert_eq!(status_num(&doc, "buffered_bytes"), 0, "nothing is queued once the echoes are out");
    // Before the fix each connection kept ~10 MiB of read and ~10 MiB of write buffer: +400 MiB.
    assert!(after <= before + 24 * 1024, "hub kept {} KiB after the messages were gone", after.saturating_sub(before));
    drop(idle);
}

/// The slow-consumer case: 1,000 subscribers that never read, 10 that do, and a
/// publisher that reads its own copies; the healthy ones get every message in order, the
/// publisher is never closed, and the hub's memory stays within its budget.
async fn stalled_run(msg_len: usize, count: u64, interval: Duration, max_buffered_mib: u64, policy: &str) {
    // Room for three messages per queue: a healthy reader on a loaded machine may lag by two.
    let queue_mib = (3 * msg_len >> 20).max(1);
    let hub = start_hub(&format!(
        "max_message_size = \"16MiB\"\nmax_buffered = \"{max_buffered_mib}MiB\"\n[[route]]\npath = \"/live\"\nkind = \"broadcast\"\nqueue_limit = \"{queue_mib}MiB\"\non_overflow = \"{policy}\"\n"
    ));
    let pid = hub.child.id();
    let mut stalled_socks = Vec::new();
    for _ in 0..1000 {
        stalled_socks.push(stalled(&hub.addr, "/live").await);
    }
    let mut healthy = Vec::new();
    for _ in 0..10 {
        healthy.push(ws(&hub.addr, "/live").await);
    }
    let publisher = ws(&hub.addr, "/live").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let baseline = rss_kib(pid);
    let readers: Vec<_> = healthy.into_iter().map(|c| tokio::spawn(read_in_order(c, count, msg_len))).collect();
    let (mut tx, rx) = publisher.split();
    // The publisher reads its own broadcast too (it is one of the route's members).
    let own = tokio::spawn(async move {
        let mut rx = rx;
        let mut n = 0u64;
        while n < count {
            match tokio::time::timeout(Duration::from_secs(30), rx.next()).await {
                Ok(Some(Ok(m @ Message::Binary(_)))) => {
                    assert_eq!(seq_of(&m), n, "publisher's own copies out of order");
                    n += 1;
                }
                Ok(Some(Ok(Message::Close(f)))) => panic!("publisher closed by the hub: {f:?}"),
                Ok(Some(Ok(_))) => {}
                other => panic!("publisher lost its connection: {other:?}"),
            }
        }
        rx
    });
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(baseline));
    let sampling = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss_kib(pid), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let start = Instant::now();
    for seq in 0..count {
        tx.send(numbered(seq, msg_len)).await.unwrap();
        tokio::time::sleep_until((start + interval * (seq as u32 + 1)).into()).await;
    }
    let mut done = Vec::new();
    for r in readers {
        done.push(r.await.expect("a healthy reader missed a message"));
    }
    let rx = own.await.expect("the publisher missed its own messages");
    sampling.abort();
    let want_conns = if policy == "close" { 11 } else { 1011 };
    let doc = tokio::task::spawn_blocking({
        let addr = hub.addr.clone();
        move || {
            // Closed slow consumers leave within the close timeouts (a few seconds).
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let doc = status(&addr);
                if status_num(&doc, "connections") == want_conns || Instant::now() > deadline {
                    return doc;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    })
    .await
    .unwrap();
    let peak = peak.load(std::sync::atomic::Ordering::Relaxed);
    let grew = peak.saturating_sub(baseline);
    eprintln!(
        "{count} × {msg_len} B to 1,011 members (1,000 stalled): hub RSS {baseline} KiB at start, peak +{grew} KiB; \
         buffered_bytes now {}; budget_overflows {}; dropped_oldest {}",
        status_num(&doc, "buffered_bytes"),
        status_num(&doc, "budget_overflows"),
        status_num(&doc, "dropped_oldest"),
    );
    if policy == "close" {
        // The stalled ones are closed as slow consumers; the healthy ones and the publisher stay.
        assert_eq!(status_num(&doc, "slow_consumer_closes"), 1000);
        assert_eq!(status_num(&doc, "connections"), 11, "only the stalled readers were closed");
    } else {
        assert_eq!(status_num(&doc, "slow_consumer_closes"), 0);
        assert_eq!(status_num(&doc, "connections"), 1011, "nobody was closed");
    }
    assert!(status_num(&doc, "buffered_bytes") <= max_buffered_mib << 20, "buffered bytes over the budget: {doc}");
    // Stated overhead: the budget plus one message per connection that keeps up, plus 64 MiB.
    let bound = (max_buffered_mib << 10) + 12 * (msg_len as u64 >> 10) + 64 * 1024;
    assert!(grew <= bound, "hub RSS grew by {grew} KiB, over the budget plus overhead ({bound} KiB)");
    drop((tx, rx, stalled_socks, done));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_readers_cost_little_with_64k_messages() {
    // 64 KiB at 50 msg/s for 4 s.
    stalled_run(64 << 10, 200, Duration::from_millis(20), 64, "drop_oldest").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_readers_are_closed_and_healthy_ones_keep_every_message() {
    // The same with the `close` policy: 1,000 closes with 1008, nobody else touched.
    stalled_run(64 << 10, 200, Duration::from_millis(20), 64, "close").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_readers_cost_little_with_10mib_messages() {
    // 10 MiB at 4 msg/s for 3 s: one copy per message, however many subscribers.
    stalled_run(10 << 20, 12, Duration::from_millis(250), 128, "drop_oldest").await;
}
