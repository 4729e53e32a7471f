//! The client with permessage-deflate against a small server built from the core's own codec:
//! negotiation, compressed echo both ways, the threshold, a zip bomb, an answer the offer does
//! not allow.

mod common;

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use common::*;
use omnisock_core::deflate::{self, Role, Settings};
use omnisock_core::frame;
use omnisock_core::frame_io::{self, Deflated, Incoming, MessageReader, Wire};
use omnisock_core::{Client, ClientConfig, ErrorCode, Event, Payload};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};
use tokio::net::TcpListener;
use tungstenite::Message;

/// Counts the bytes read through it (what the client put on the wire).
struct Counting<R> {
    inner: R,
    n: Arc<AtomicUsize>,
}

impl<R: AsyncRead + Unpin> AsyncRead for Counting<R> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        self.n.fetch_add(buf.filled().len() - before, Ordering::Relaxed);
        r
    }
}

/// What the test server does once the handshake is done.
enum Behaviour {
    /// Echo every message, compressed.
    Echo,
    /// Send one compressed message that inflates to `n` zero bytes.
    Bomb(usize),
}

/// A one-connection server on 127.0.0.1:0. `answer` picks the `Sec-WebSocket-Extensions`
/// answer from the client's offer; returns the URL and the count of bytes read from the client
/// after the handshake.
async fn server(answer: fn(&str) -> Option<String>, behaviour: Behaviour) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let wire = Arc::new(AtomicUsize::new(0));
    let counted = wire.clone();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut b = [0u8; 1];
            if tcp.read(&mut b).await.unwrap() == 0 {
                return;
            }
            head.push(b[0]);
        }
        let head = String::from_utf8(head).unwrap();
        let header = |name: &str| {
            head.lines().find_map(|l| l.split_once(':').filter(|(k, _)| k.trim().eq_ignore_ascii_case(name)).map(|(_, v)| v.trim().to_string()))
        };
        let key = header("sec-websocket-key").unwrap();
        let offer = header("sec-websocket-extensions").unwrap_or_default();
        let ext = answer(&offer);
        let mut resp = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n",
            tungstenite::handshake::derive_accept_key(key.as_bytes())
        );
        if let Some(e) = &ext {
            resp.push_str(&format!("Sec-WebSocket-Extensions: {e}\r\n"));
        }
        resp.push_str("\r\n");
        tcp.write_all(resp.as_bytes()).await.unwrap();
        let Some(params) = ext.and_then(|e| deflate::server_negotiate(&Settings::default(), [e.as_str()])) else { return };
        let (rd, mut wr) = tcp.into_split();
        let mut reader = MessageReader::new(Counting { inner: rd, n: counted }, Vec::new(), true, 64 << 20).with_inflater(params.inflater(Role::Server));
        let mut deflater = params.deflater(Role::Server, &Settings::default());
        let mut send = |opcode: u8, data: &[u8]| Wire::<Message>::Deflated(Deflated { opcode, payload: Bytes::from(deflater.compress(data).unwrap()) });
        match behaviour {
            Behaviour::Bomb(n) => {
                let m = send(frame::OP_BINARY, &vec![0u8; n]);
                frame_io::write_messages(&mut wr, &[m], std::future::pending(), Duration::from_secs(5)).await.unwrap();
                let _ = reader.next().await;
            }
            Behaviour::Echo => loop {
                let m = match reader.next().await {
                    Ok(Incoming::Text(t)) => send(frame::OP_TEXT, t.as_bytes()),
                    Ok(Incoming::Binary(b)) => send(frame::OP_BINARY, &b),
                    Ok(Incoming::Close(c)) => {
                        let (code, reason) = c.unwrap_or((1005, String::new()));
                        let _ = frame_io::write_close(&mut wr, code, &reason).await;
                        return;
                    }
                    Ok(_) => continue,
                    Err(_) => return,
                };
                frame_io::write_messages(&mut wr, &[m], std::future::pending(), Duration::from_secs(5)).await.unwrap();
            },
        }
    });
    (url, wire)
}

fn accept_as_offered(offer: &str) -> Option<String> {
    deflate::server_negotiate(&Settings::default(), [offer]).map(|p| p.response())
}

async fn open(c: &Client) -> Vec<(String, String)> {
    match event_where(c.events(), |e| matches!(e, Event::Open(_) | Event::Close { .. })).await {
        Event::Open(info) => info.headers,
        other => panic!("expected open, got {other:?}"),
    }
}

async fn message(c: &Client) -> Payload {
    match event_where(c.events(), |e| matches!(e, Event::Message { .. } | Event::Close { .. })).await {
        Event::Message { data, .. } => data,
        other => panic!("expected a message, got {other:?}"),
    }
}

fn config(url: &str) -> ClientConfig {
    let mut cfg = ClientConfig::new(url);
    cfg.compression = true;
    cfg.compression_threshold = 100;
    cfg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_echo_both_ways_with_and_without_context_takeover() {
    for no_takeover in [false, true] {
        let (url, wire) = server(accept_as_offered, Behaviour::Echo).await;
        let mut cfg = config(&url);
        cfg.compression_options.client_no_context_takeover = no_takeover;
        cfg.compression_options.server_no_context_takeover = no_takeover;
        let c = Client::connect(cfg).unwrap();
        let headers = open(&c).await;
        let ext = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("sec-websocket-extensions")).map(|(_, v)| v.clone());
        assert!(ext.as_deref().is_some_and(|e| e.starts_with("permessage-deflate")), "{ext:?}");
        let big = "omnisock compresses this line. ".repeat(4000); // 124 KB, very compressible
        let binary: Vec<u8> = (0..300_000u32).map(|i| (i % 7) as u8).collect();
        // Context takeover: the same text three times compresses better each time after the first.
        for _ in 0..3 {
            c.send_text(&big).unwrap();
        }
        c.send_text("short").unwrap(); // under the threshold: sent plain
        c.send_binary(binary.clone()).unwrap();
        for _ in 0..3 {
            assert!(matches!(message(&c).await, Payload::Text(t) if t.as_str() == big));
        }
        assert!(matches!(message(&c).await, Payload::Text(t) if t.as_str() == "short"));
        assert!(matches!(message(&c).await, Payload::Binary(b) if b[..] == binary[..]));
        let sent = wire.load(Ordering::Relaxed);
        assert!(sent < (big.len() * 3 + binary.len()) / 20, "{sent} bytes on the wire: not compressed (no_takeover {no_takeover})");
        c.close(1000, "done").unwrap();
        match event_where(c.events(), |e| matches!(e, Event::Close { .. })).await {
            Event::Close { code, clean, .. } => assert_eq!((code, clean), (1000, true)),
            _ => unreachable!(),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compressed_message_that_inflates_past_the_limit_closes_with_1009() {
    let (url, _) = server(accept_as_offered, Behaviour::Bomb(8 << 20)).await;
    let mut cfg = config(&url);
    cfg.max_message_size = 64 << 10;
    let c = Client::connect(cfg).unwrap();
    open(&c).await;
    match event_where(c.events(), |e| matches!(e, Event::Error { .. })).await {
        Event::Error { code, .. } => assert_eq!(code, ErrorCode::MessageTooBig),
        _ => unreachable!(),
    }
    match event_where(c.events(), |e| matches!(e, Event::Close { .. })).await {
        Event::Close { code, .. } => assert_eq!(code, 1009),
        _ => unreachable!(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_the_offer_does_not_allow_fails_the_connection() {
    fn bad(_: &str) -> Option<String> {
        Some("permessage-deflate; client_max_window_bits=16".into())
    }
    fn unoffered(_: &str) -> Option<String> {
        Some("permessage-deflate".into())
    }
    for (answer, compression) in [(bad as fn(&str) -> Option<String>, true), (unoffered, false)] {
        let (url, _) = server(answer, Behaviour::Echo).await;
        let mut cfg = config(&url);
        cfg.compression = compression;
        let c = Client::connect(cfg).unwrap();
        match event_where(c.events(), |e| matches!(e, Event::Open(_) | Event::Error { .. })).await {
            Event::Error { code, message, .. } => {
                assert_eq!(code, ErrorCode::Connect);
                assert!(message.contains("handshake"), "{message}");
            }
            other => panic!("expected the connection to fail, got {other:?}"),
        }
    }
}
