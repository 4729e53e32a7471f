//! Helpers shared by the integration tests: hubs on free ports, peer clients, event waits.
#![allow(dead_code)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use omnisock_core::{Event, EventQueue, Hub, HubConfig, RouteConfig, RouteKind};
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tungstenite::Message;

/// Generous bound for anything that should happen "soon" on loopback (not a timing assertion).
pub const SOON: Duration = Duration::from_secs(10);

pub type Peer = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A hub on 127.0.0.1:0 with the given routes.
pub fn hub_with(routes: &[(&str, RouteKind)], tweak: impl FnOnce(&mut HubConfig)) -> Hub {
    let mut cfg = HubConfig::new("127.0.0.1:0");
    cfg.routes = routes.iter().map(|(p, k)| RouteConfig::new(*p, *k)).collect();
    // Test peers often stop reading; do not wait the full default for their close replies.
    cfg.shutdown_timeout = Duration::from_millis(500);
    tweak(&mut cfg);
    Hub::start(cfg).expect("hub starts")
}

pub fn url(hub: &Hub, path: &str) -> String {
    format!("ws://{}{}", hub.local_addr(), path)
}

/// A tokio-tungstenite client (the reference peer).
pub async fn peer(url: &str) -> Peer {
    let (ws, _) = tokio::time::timeout(SOON, tokio_tungstenite::connect_async(url)).await.expect("connect in time").expect("handshake");
    ws
}

/// Next data message from a peer (skipping pings/pongs).
pub async fn recv(ws: &mut Peer) -> Message {
    loop {
        let m = tokio::time::timeout(SOON, ws.next()).await.expect("message in time").expect("stream open").expect("no error");
        if m.is_text() || m.is_binary() || m.is_close() {
            return m;
        }
    }
}

pub async fn recv_text(ws: &mut Peer) -> String {
    match recv(ws).await {
        Message::Text(t) => t.to_string(),
        other => panic!("expected text, got {other:?}"),
    }
}

pub async fn send_text(ws: &mut Peer, s: &str) {
    ws.send(Message::text(s)).await.expect("send");
}

/// Asserts that nothing arrives within a short window (used after a barrier message).
pub async fn assert_silent(ws: &mut Peer, window: Duration) {
    if let Ok(Some(Ok(m))) = tokio::time::timeout(window, ws.next()).await {
        panic!("expected nothing, got {m:?}");
    }
}

/// Waits for the next event of a queue.
pub async fn next_event(q: &EventQueue) -> Event {
    let deadline = tokio::time::Instant::now() + SOON;
    loop {
        if let Some(e) = q.poll(1).pop() {
            return e;
        }
        assert!(tokio::time::Instant::now() < deadline, "no event within {SOON:?}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Waits for the first event matching `pred`, skipping others.
pub async fn event_where(q: &EventQueue, mut pred: impl FnMut(&Event) -> bool) -> Event {
    let deadline = tokio::time::Instant::now() + SOON;
    loop {
        let e = next_event(q).await;
        if pred(&e) {
            return e;
        }
        assert!(tokio::time::Instant::now() < deadline, "no matching event within {SOON:?}");
    }
}

/// Polls `f` until it is true (bounded).
pub async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + SOON;
    while !f() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Fetches a plain HTTP path from the hub.
pub async fn http_get(hub: &Hub, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = TcpStream::connect(hub.local_addr()).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(SOON, s.read_to_end(&mut buf)).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text[9..12].parse().unwrap();
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

/// A peer that completes the handshake and then never reads (a stalled consumer).
pub async fn stalled_peer(hub: &Hub, path: &str) -> TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = TcpStream::connect(hub.local_addr()).await.unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        tokio::time::timeout(SOON, s.read_exact(&mut byte)).await.unwrap().unwrap();
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
    s
}
