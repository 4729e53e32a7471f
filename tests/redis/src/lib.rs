//! Helpers of the multi-node scenarios: child processes (redis-server, hub nodes), status
//! reads, and WebSocket test clients.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream as TokioTcp;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A child process killed (SIGKILL) when dropped.
pub struct Proc {
    pub name: String,
    child: Child,
}

impl Proc {
    /// Kills the process at once (no clean shutdown) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A free loopback TCP port (picked by the OS).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts `redis-server` on `port` with no persistence, files in `dir`; waits until it answers PING.
pub fn start_redis(redis_server: &str, port: u16, dir: &Path) -> Proc {
    std::fs::create_dir_all(dir).unwrap();
    let child = Command::new(redis_server)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"])
        .arg("--dir")
        .arg(dir)
        .arg("--logfile")
        .arg(dir.join("redis.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {redis_server}: {e}"));
    let p = Proc { name: format!("redis:{port}"), child };
    for _ in 0..100 {
        if redis_ping(port) {
            return p;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("redis-server on port {port} did not answer PING");
}

/// Whether a Redis server answers PING on `port`.
pub fn redis_ping(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(n) if buf[..n].starts_with(b"+PONG"))
}

/// A hub node process and its base URL (`ws://127.0.0.1:PORT`).
pub struct Node {
    pub proc: Proc,
    pub url: String,
    pub addr: String,
}

/// Starts `program args... CONFIG` (a hub that prints `listening on ws://ADDR` or
/// `listening on http://ADDR/`) with `config` written to `dir/NAME.toml`.
pub fn start_node(program: &Path, pre_args: &[&str], config: &str, dir: &Path, name: &str) -> Node {
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, config).unwrap();
    let mut child = Command::new(program)
        .args(pre_args)
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std_mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(i) = line.find("listening on ") {
                let rest = &line[i + "listening on ".len()..];
                let addr = rest.trim_start_matches("ws://").trim_start_matches("http://").trim_end_matches('/').to_string();
                let _ = tx.send(addr);
            }
        }
    });
    let proc = Proc { name: name.to_string(), child };
    let addr = rx.recv_timeout(Duration::from_secs(20)).unwrap_or_else(|_| panic!("node {name} did not report its address"));
    Node { proc, url: format!("ws://{addr}"), addr }
}

/// `GET /_omnisock/status` of a hub.
pub fn status(addr: &str) -> Value {
    let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("status {addr}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "GET /_omnisock/status HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("status {addr}: {e}: {body}"))
}

/// The backplane part of a hub's status.
pub fn backplane(addr: &str) -> Value {
    status(addr)["backplane_state"].clone()
}

/// A counter of the backplane part of a status document.
pub fn counter(bp: &Value, name: &str) -> u64 {
    bp["counters"][name].as_u64().unwrap_or_else(|| panic!("no backplane counter {name} in {bp}"))
}

/// Polls `check` every 50 ms until it holds; panics after `limit` with `what`.
pub async fn wait_until(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let end = Instant::now() + limit;
    loop {
        if check() {
            return;
        }
        if Instant::now() >= end {
            panic!("timed out after {limit:?} waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

type Sink = SplitSink<WebSocketStream<MaybeTlsStream<TokioTcp>>, Message>;

/// A reply of a redis-node command (a JSON object with an `"r"` key).
fn is_reply(t: &str) -> bool {
    t.starts_with('{') && t.contains("\"r\":")
}

/// A WebSocket test client: sends text, collects every text it receives in the background.
pub struct Ws {
    sink: Sink,
    rx: mpsc::UnboundedReceiver<Option<String>>,
    /// Data messages received so far (text that is not a command reply).
    pub data: Vec<String>,
    pub closed: bool,
}

impl Ws {
    pub async fn connect(url: &str) -> Ws {
        let (ws, _) = tokio::time::timeout(Duration::from_secs(10), tokio_tungstenite::connect_async(url))
            .await
            .unwrap_or_else(|_| panic!("connect {url}: timed out"))
            .unwrap_or_else(|e| panic!("connect {url}: {e}"));
        let (sink, mut stream) = ws.split();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(m) = stream.next().await {
                match m {
                    Ok(Message::Text(t)) if tx.send(Some(t.to_string())).is_err() => return,
                    Ok(Message::Close(_)) | Err(_) => break,
                    _ => {}
                }
            }
            let _ = tx.send(None);
        });
        Ws { sink, rx, data: Vec::new(), closed: false }
    }

    pub async fn send(&mut self, text: impl Into<String>) {
        self.sink.send(Message::Text(text.into().into())).await.expect("send");
    }

    pub async fn cmd(&mut self, v: Value) {
        self.send(v.to_string()).await;
    }

    /// Sends a command and returns its reply (data arriving meanwhile is kept in `data`).
    pub async fn ask(&mut self, v: Value) -> Value {
        self.cmd(v.clone()).await;
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some(Some(t))) if is_reply(&t) => return serde_json::from_str(&t).unwrap(),
                Ok(Some(Some(t))) => self.data.push(t),
                _ => panic!("no reply to {v}"),
            }
        }
    }

    /// Moves everything received so far into `data`; replies are errors unless `allow_replies`.
    pub fn drain(&mut self) {
        while let Ok(m) = self.rx.try_recv() {
            match m {
                Some(t) if is_reply(&t) => panic!("unexpected reply {t}"),
                Some(t) => self.data.push(t),
                None => self.closed = true,
            }
        }
    }

    /// Waits until `data` holds at least `n` messages, at most `limit`.
    pub async fn wait_data(&mut self, n: usize, limit: Duration) -> bool {
        let end = Instant::now() + limit;
        loop {
            self.drain();
            if self.data.len() >= n {
                return true;
            }
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() || self.closed {
                return false;
            }
            match tokio::time::timeout(left.min(Duration::from_millis(100)), self.rx.recv()).await {
                Ok(Some(Some(t))) if is_reply(&t) => panic!("unexpected reply {t}"),
                Ok(Some(Some(t))) => self.data.push(t),
                Ok(Some(None)) | Ok(None) => self.closed = true,
                Err(_) => {}
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.sink.send(Message::Close(None)).await;
    }
}

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}
