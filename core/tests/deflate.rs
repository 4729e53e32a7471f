//! permessage-deflate on the hub: negotiation in the handshake, compressed echo with context
//! takeover, compress-once fan-out, bounded inflation, and routes with compression off.
//! The peer is a raw client on the core's own codec (tungstenite has no compression).

mod common;

use common::*;
use omnisock_core::deflate::{Deflater, Inflater};
use omnisock_core::frame::{self, OP_BINARY, OP_CLOSE, OP_TEXT};
use omnisock_core::RouteKind;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A raw WebSocket client that may compress.
struct Raw {
    tcp: TcpStream,
    buf: Vec<u8>,
    /// The server's answer in Sec-WebSocket-Extensions, if any.
    extensions: Option<String>,
}

/// A received frame: RSV bits, opcode, payload.
type Frame = (u8, u8, Vec<u8>);

impl Raw {
    async fn connect(hub: &omnisock_core::Hub, path: &str, offer: Option<&str>) -> Raw {
        let mut tcp = TcpStream::connect(hub.local_addr()).await.unwrap();
        let ext = offer.map(|o| format!("Sec-WebSocket-Extensions: {o}\r\n")).unwrap_or_default();
        let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{ext}\r\n");
        tcp.write_all(req.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        let end = loop {
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(SOON, tcp.read(&mut chunk)).await.unwrap().unwrap();
            assert!(n > 0, "hub closed during the handshake");
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8(buf[..end].to_vec()).unwrap();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        let extensions = head
            .lines()
            .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("sec-websocket-extensions")).map(|(_, v)| v.trim().to_string()));
        Raw { tcp, buf: buf[end..].to_vec(), extensions }
    }

    async fn send(&mut self, rsv: u8, opcode: u8, payload: &[u8]) {
        let mask = [7, 1, 9, 3];
        let mut h = [0u8; frame::MAX_HEADER];
        let n = frame::encode_header(&mut h, true, rsv, opcode, payload.len(), Some(mask));
        let mut v = h[..n].to_vec();
        let mut p = payload.to_vec();
        frame::apply_mask(&mut p, mask, 0);
        v.extend_from_slice(&p);
        self.tcp.write_all(&v).await.unwrap();
    }

    async fn recv(&mut self) -> Frame {
        loop {
            if let Some((h, at)) = frame::parse_header(&self.buf, false, 4).unwrap() {
                let len = h.len as usize;
                if self.buf.len() >= at + len {
                    let payload = self.buf[at..at + len].to_vec();
                    self.buf.drain(..at + len);
                    return (h.rsv, h.opcode, payload);
                }
            }
            let mut chunk = vec![0u8; 64 << 10];
            let n = tokio::time::timeout(SOON, self.tcp.read(&mut chunk)).await.expect("frame in time").unwrap();
            assert!(n > 0, "connection closed while waiting for a frame");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

fn json_text(n: usize) -> String {
    let mut s = String::from("[");
    for i in 0..n {
        s.push_str(&format!("{{\"id\":{i},\"kind\":\"position\",\"x\":{}.25,\"y\":{}.5,\"valid\":true}},", i % 13, i % 7));
    }
    s.push(']');
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_negotiates_and_keeps_context_both_ways() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    let mut c = Raw::connect(&hub, "/echo", Some("permessage-deflate; client_max_window_bits")).await;
    assert_eq!(c.extensions.as_deref(), Some("permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"));
    let mut out = Deflater::new(12, 6, 5, false);
    let mut inf = Inflater::new(12, false);
    // Fits the 4 KiB window twice over the threshold.
    let text = json_text(35);
    assert!(text.len() > 1024 && text.len() < 4096);
    let mut sizes = Vec::new();
    for _ in 0..2 {
        c.send(4, OP_TEXT, &out.compress(text.as_bytes()).unwrap()).await;
        let (rsv, op, p) = c.recv().await;
        assert_eq!((rsv, op), (4, OP_TEXT), "a large echo comes back compressed");
        sizes.push(p.len());
        assert_eq!(inf.decompress(&p, 1 << 20).unwrap(), text.as_bytes());
    }
    assert!(sizes[1] * 3 < sizes[0], "the hub kept its context on echo: {sizes:?}");
    // Under the threshold: plain both ways (a compressed small message is still understood).
    c.send(0, OP_BINARY, b"tiny").await;
    assert_eq!(c.recv().await, (0, OP_BINARY, b"tiny".to_vec()));
    c.send(4, OP_BINARY, &out.compress(b"tiny too").unwrap()).await;
    assert_eq!(c.recv().await, (0, OP_BINARY, b"tiny too".to_vec()));
    let m = hub.metrics_text();
    assert!(m.contains("deflate_connections 1"), "{m}");
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_compresses_once_for_every_subscriber() {
    let hub = hub_with(&[("/feed", RouteKind::Relay)], |_| {});
    let mut subs = Vec::new();
    for _ in 0..3 {
        let c = Raw::connect(&hub, "/feed", Some("permessage-deflate; client_max_window_bits")).await;
        assert_eq!(c.extensions.as_deref(), Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=12"));
        subs.push(c);
    }
    let mut plain = Raw::connect(&hub, "/feed", None).await;
    assert_eq!(plain.extensions, None);
    let mut sender = Raw::connect(&hub, "/feed", None).await;
    eventually("5 connections", || hub.connection_count() == 5).await;
    let text = json_text(200);
    for _ in 0..2 {
        sender.send(0, OP_TEXT, text.as_bytes()).await;
    }
    let mut payloads = Vec::new();
    for c in subs.iter_mut() {
        for _ in 0..2 {
            let (rsv, op, p) = c.recv().await;
            assert_eq!((rsv, op), (4, OP_TEXT));
            // No context takeover: each message inflates alone.
            assert_eq!(Inflater::new(12, true).decompress(&p, 1 << 20).unwrap(), text.as_bytes());
            payloads.push(p);
        }
    }
    assert!(payloads.windows(2).all(|w| w[0] == w[1]), "every subscriber got the same compressed bytes");
    for _ in 0..2 {
        assert_eq!(plain.recv().await, (0, OP_TEXT, text.as_bytes().to_vec()));
    }
    // Incompressible data is sent as it is (no context depends on it without takeover).
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let noise: Vec<u8> = (0..4000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 56) as u8
        })
        .collect();
    sender.send(0, OP_BINARY, &noise).await;
    for c in subs.iter_mut() {
        let (rsv, op, p) = c.recv().await;
        assert_eq!((rsv, op), (0, OP_BINARY), "random bytes go out uncompressed");
        assert!(p == noise);
    }
    let counters = hub.counters();
    assert_eq!(counters.deflate_compressions.get(), 3, "three messages, each compressed once for three subscribers");
    assert_eq!(counters.deflate_messages_out.get(), 6);
    assert!(counters.deflate_bytes_out.get() * 4 < counters.deflate_original_bytes_out.get());
    hub.shutdown_async().await;
}

async fn expect_close(c: &mut Raw) -> u16 {
    loop {
        let (_, op, p) = c.recv().await;
        if op == OP_CLOSE {
            return u16::from_be_bytes([p[0], p[1]]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zip_bomb_closes_with_1009() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |cfg| cfg.max_message_size = 1 << 20);
    let mut c = Raw::connect(&hub, "/echo", Some("permessage-deflate")).await;
    assert!(c.extensions.is_some());
    let bomb = Deflater::new(15, 9, 9, true).compress(&vec![0u8; 32 << 20]).unwrap();
    assert!(bomb.len() < (1 << 20));
    c.send(4, OP_BINARY, &bomb).await;
    assert_eq!(expect_close(&mut c).await, 1009);
    eventually("counted", || hub.counters().oversize_closes.get() == 1).await;
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compression_off_declines_and_rsv1_stays_a_protocol_error() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |cfg| cfg.routes[0].compression = None);
    let mut c = Raw::connect(&hub, "/echo", Some("permessage-deflate; client_max_window_bits")).await;
    assert_eq!(c.extensions, None);
    let big = json_text(100);
    c.send(0, OP_TEXT, big.as_bytes()).await;
    assert_eq!(c.recv().await, (0, OP_TEXT, big.into_bytes()));
    c.send(4, OP_TEXT, b"x").await;
    assert_eq!(expect_close(&mut c).await, 1002);
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_the_hub_cannot_honour_fall_back_to_the_next_or_to_none() {
    let hub = hub_with(&[("/chat", RouteKind::Broadcast)], |cfg| {
        let c = cfg.routes[0].compression.as_mut().unwrap();
        c.client_context_takeover = false;
        c.window_bits = 15;
    });
    let c = Raw::connect(&hub, "/chat", Some("permessage-deflate; server_max_window_bits=8, permessage-deflate; server_max_window_bits=10")).await;
    assert_eq!(c.extensions.as_deref(), Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10"));
    let c = Raw::connect(&hub, "/chat", Some("permessage-deflate; server_max_window_bits=8")).await;
    assert_eq!(c.extensions, None);
    let c = Raw::connect(&hub, "/chat", Some("permessage-deflate; bogus=1")).await;
    assert_eq!(c.extensions, None);
    drop(c);
    hub.shutdown_async().await;
}
