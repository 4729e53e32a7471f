//! The direct send path (a send on an idle connection writes from the calling thread) keeps
//! every message whole and in order when it mixes with queued ones: small messages, messages
//! too large for one non-blocking write (their rest goes through the writer task), sends from
//! several threads at once.

mod common;

use common::*;
use omnisock_core::{Client, ClientConfig, Event, Payload, RouteKind};

async fn open(c: &Client) {
    let e = event_where(c.events(), |e| matches!(e, Event::Open(_) | Event::Close { .. })).await;
    assert!(matches!(e, Event::Open(_)), "expected open, got {e:?}");
}

/// The message number `i` of sender `t`: its number first, sizes from 5 bytes to 3 MB.
fn message(t: usize, i: usize) -> Vec<u8> {
    let size = match i % 10 {
        0 => 3 << 20,
        3 | 7 => 200_000,
        _ => 5 + i % 50,
    };
    let mut m = format!("{t}:{i}:").into_bytes();
    m.resize(size.max(m.len()), (i % 251) as u8);
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_stay_whole_and_in_order_across_the_direct_and_queued_paths() {
    const THREADS: usize = 3;
    const PER_THREAD: usize = 60;
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |c| c.max_message_size = 8 << 20);
    let mut cfg = ClientConfig::new(url(&hub, "/echo"));
    cfg.max_message_size = 8 << 20;
    cfg.send_queue_limit = 256 << 20;
    let c = Client::connect(cfg).unwrap();
    open(&c).await;
    let senders: Vec<_> = (0..THREADS)
        .map(|t| {
            let c = c.clone();
            std::thread::spawn(move || {
                for i in 0..PER_THREAD {
                    c.send_binary(message(t, i)).unwrap();
                }
            })
        })
        .collect();
    let mut next = [0usize; THREADS];
    for _ in 0..THREADS * PER_THREAD {
        let data = match event_where(c.events(), |e| matches!(e, Event::Message { .. } | Event::Close { .. })).await {
            Event::Message { data: Payload::Binary(b), .. } => b,
            other => panic!("expected an echo, got {other:?}"),
        };
        let head = String::from_utf8_lossy(&data[..data.len().min(16)]).to_string();
        let mut parts = head.split(':');
        let t: usize = parts.next().unwrap().parse().unwrap();
        let i: usize = parts.next().unwrap().parse().unwrap();
        assert_eq!(i, next[t], "sender {t}: message {i} arrived out of order");
        assert!(data[..] == message(t, i)[..], "sender {t}: message {i} arrived altered");
        next[t] += 1;
    }
    for s in senders {
        s.join().unwrap();
    }
    assert_eq!(c.queued_bytes(), 0);
    c.close(1000, "done").unwrap();
    hub.shutdown_async().await;
}
