//! Hub limits: overflow policies with a stalled reader, message size, UTF-8, connection cap,
//! origin and token checks.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use futures_util::{SinkExt, StreamExt};
use omnisock_core::{Hub, OverflowPolicy, Payload, RouteKind};
use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::protocol::frame::Frame;
use tungstenite::Message;

const CHUNK: usize = 4096;
const QUEUE_LIMIT: usize = 64 << 10;

/// Publishes in paced batches until the stalled peer's policy fires (or a bound is hit), while
/// a healthy peer reads everything. Returns (messages published, messages the healthy peer got).
async fn overflow_run(policy: OverflowPolicy, fired: impl Fn(&Hub) -> bool) -> (Hub, usize, usize, impl Drop) {
    let hub = hub_with(&[("/feed", RouteKind::Broadcast)], |c| {
        c.routes[0].queue_limit = QUEUE_LIMIT;
        c.routes[0].on_overflow = policy;
    });
    let stalled = stalled_peer(&hub, "/feed").await;
    let mut healthy = peer(&url(&hub, "/feed")).await;
    eventually("2 connected", || hub.connection_count() == 2).await;
    let got = Arc::new(AtomicUsize::new(0));
    let got2 = got.clone();
    let reader = tokio::spawn(async move {
        let mut expected = 0usize;
        while let Some(Ok(m)) = healthy.next().await {
            if let Message::Binary(b) = m {
                let n = u64::from_le_bytes(b[..8].try_into().unwrap()) as usize;
                assert_eq!(n, expected, "healthy peer got messages out of order or with gaps");
                expected += 1;
                got2.store(expected, Ordering::Release);
            }
        }
    });
    let mut published = 0usize;
    // Bounded: at most 64 MiB in total.
    while published < (64 << 20) / CHUNK && !(fired(&hub) && published > 0) {
        for _ in 0..8 {
            let mut buf = vec![0u8; CHUNK];
            buf[..8].copy_from_slice(&(published as u64).to_le_bytes());
            hub.broadcast("/feed", Payload::Binary(buf.into()), None).unwrap();
            published += 1;
        }
        let target = published;
        eventually("healthy peer keeps up", || got.load(Ordering::Acquire) == target).await;
    }
    // A few more after the policy fired: the healthy peer still gets every one.
    for _ in 0..8 {
        let mut buf = vec![0u8; CHUNK];
        buf[..8].copy_from_slice(&(published as u64).to_le_bytes());
        hub.broadcast("/feed", Payload::Binary(buf.into()), None).unwrap();
        published += 1;
    }
    let target = published;
    eventually("healthy peer gets the rest", || got.load(Ordering::Acquire) == target).await;
    // Keep both peers alive for the caller's checks.
    struct Peers(tokio::net::TcpStream, tokio::task::JoinHandle<()>);
    impl Drop for Peers {
        fn drop(&mut self) {
            self.1.abort();
            let _ = &self.0;
        }
    }
    (hub, published, got.load(Ordering::Acquire), Peers(stalled, reader))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_policy_closes_only_the_slow_consumer() {
    let (hub, published, got, _peers) = overflow_run(OverflowPolicy::Close, |h| h.counters().slow_consumer_closes.get() > 0).await;
    assert_eq!(hub.counters().slow_consumer_closes.get(), 1);
    assert!(hub.counters().dropped_on_close.get() > 0);
    assert_eq!(published, got);
    eventually("slow consumer gone", || hub.connection_count() == 1).await;
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_oldest_counts_drops_and_keeps_the_connection() {
    let (hub, published, got, _peers) = overflow_run(OverflowPolicy::DropOldest, |h| h.counters().dropped_oldest.get() > 0).await;
    assert!(hub.counters().dropped_oldest.get() > 0);
    assert_eq!(hub.counters().slow_consumer_closes.get(), 0);
    assert_eq!(published, got);
    assert_eq!(hub.connection_count(), 2, "drop_oldest keeps the slow connection open");
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_newest_counts_drops_and_keeps_the_connection() {
    let (hub, published, got, _peers) = overflow_run(OverflowPolicy::DropNewest, |h| h.counters().dropped_newest.get() > 0).await;
    assert!(hub.counters().dropped_newest.get() > 0);
    assert_eq!(published, got);
    assert_eq!(hub.connection_count(), 2);
    let status: serde_json::Value = serde_json::from_str(&hub.status_json()).unwrap();
    assert_eq!(status["counters"]["dropped_newest"].as_u64().unwrap(), hub.counters().dropped_newest.get());
    hub.shutdown_async().await;
}

async fn expect_close(ws: &mut Peer, code: u16) {
    match recv(ws).await {
        Message::Close(Some(f)) => assert_eq!(u16::from(f.code), code, "reason: {}", f.reason),
        other => panic!("expected close {code}, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_message_closes_with_1009() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |c| c.max_message_size = 1024);
    let mut a = peer(&url(&hub, "/echo")).await;
    a.send(Message::binary(vec![7u8; 1024])).await.unwrap();
    assert_eq!(recv(&mut a).await, Message::binary(vec![7u8; 1024]), "a message at the limit passes");
    a.send(Message::binary(vec![7u8; 1025])).await.unwrap();
    expect_close(&mut a, 1009).await;
    eventually("counted", || hub.counters().oversize_closes.get() == 1).await;
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_text_closes_with_1007() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    let mut a = peer(&url(&hub, "/echo")).await;
    let frame = Frame::message(vec![b'o', b'k', 0xff, 0xfe], OpCode::Data(Data::Text), true);
    a.send(Message::Frame(frame)).await.unwrap();
    expect_close(&mut a, 1007).await;
    eventually("counted", || hub.counters().invalid_utf8_closes.get() == 1).await;
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_cap_refuses_with_503() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |c| c.max_connections = 2);
    let _a = peer(&url(&hub, "/echo")).await;
    let _b = peer(&url(&hub, "/echo")).await;
    let err = tokio_tungstenite::connect_async(url(&hub, "/echo")).await.unwrap_err();
    assert!(matches!(err, tungstenite::Error::Http(ref r) if r.status() == 503), "{err:?}");
    assert_eq!(hub.counters().rejected_connection_limit.get(), 1);
    drop(_a);
    eventually("slot freed", || hub.connection_count() == 1).await;
    let _c = peer(&url(&hub, "/echo")).await;
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origin_allow_list_and_token_check() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |c| {
        c.origins = vec!["http://good.example".into()];
        c.token = Some("s3cret".into());
    });
    let request = |origin: &str, query: &str| {
        let mut r = tungstenite::client::IntoClientRequest::into_client_request(format!("{}{query}", url(&hub, "/echo"))).unwrap();
        r.headers_mut().insert("origin", origin.parse().unwrap());
        r
    };
    let status = |e: tungstenite::Error| match e {
        tungstenite::Error::Http(r) => r.status().as_u16(),
        other => panic!("{other:?}"),
    };
    assert_eq!(status(tokio_tungstenite::connect_async(request("http://evil.example", "?token=s3cret")).await.unwrap_err()), 403);
    assert_eq!(status(tokio_tungstenite::connect_async(request("http://good.example", "")).await.unwrap_err()), 401);
    assert_eq!(status(tokio_tungstenite::connect_async(request("http://good.example", "?token=wrong")).await.unwrap_err()), 401);
    let (mut ok, _) = tokio_tungstenite::connect_async(request("http://good.example", "?token=s3cret")).await.unwrap();
    send_text(&mut ok, "in").await;
    assert_eq!(recv_text(&mut ok).await, "in");
    assert_eq!(hub.counters().rejected_origin.get(), 1);
    assert_eq!(hub.counters().rejected_auth.get(), 2);
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_pushes_back_instead_of_closing_a_sender_that_reads_slowly() {
    // Queue limit 64 KiB; 200 × 64 KiB (more than loopback socket buffers hold) sent at full
    // speed while the same client reads slowly: the echo route must slow the sender down,
    // not close it as a slow consumer.
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |c| c.routes[0].queue_limit = 64 << 10);
    let (mut tx, mut rx) = peer(&url(&hub, "/echo")).await.split();
    const N: usize = 200;
    let sender = tokio::spawn(async move {
        for i in 0..N {
            tx.send(Message::binary(vec![i as u8; 64 << 10])).await.unwrap();
        }
        tx
    });
    for i in 0..N {
        let m = tokio::time::timeout(SOON, rx.next()).await.expect("echo in time").expect("open").expect("no error");
        assert_eq!(m, Message::binary(vec![i as u8; 64 << 10]), "message {i}");
        if i % 10 == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
    let _tx = sender.await.unwrap();
    assert_eq!(hub.counters().slow_consumer_closes.get(), 0);
    hub.shutdown_async().await;
}

/// The hub-wide budget: distinct messages to connections that never read fill it; then the
/// route's policy applies to the lagging ones, `buffered_bytes` stays near `max_buffered`, and
/// a connection that keeps up still gets its messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_buffered_bounds_all_queues_together() {
    const BUDGET: usize = 512 << 10;
    let hub = hub_with(&[("/h", RouteKind::Host)], |c| {
        c.max_buffered = BUDGET;
        c.send_buffer = 16 << 10;
        c.routes[0].queue_limit = 4 << 20;
        c.routes[0].on_overflow = OverflowPolicy::DropOldest;
    });
    let mut stalled = Vec::new();
    for _ in 0..8 {
        stalled.push(stalled_peer(&hub, "/h").await);
    }
    let mut healthy = peer(&url(&hub, "/h")).await;
    let mut ids = Vec::new();
    while ids.len() < 9 {
        if let omnisock_core::Event::Open(info) = next_event(hub.events()).await {
            ids.push(info.conn);
        }
    }
    let healthy_id = *ids.last().unwrap();
    let mut max_seen = 0;
    for i in 0..200u32 {
        for &id in &ids[..8] {
            // Distinct payloads (nothing shared): 8 × 200 × 16 KiB = 25 MiB offered.
            let mut v = vec![(i % 251) as u8; 16 << 10];
            v[..4].copy_from_slice(&i.to_le_bytes());
            let _ = hub.send(id, Payload::Binary(v.into()));
        }
        max_seen = max_seen.max(buffered(&hub));
    }
    hub.send(healthy_id, Payload::Text("still here".into())).unwrap();
    assert_eq!(recv_text(&mut healthy).await, "still here");
    let c = hub.counters();
    assert!(c.budget_overflows.get() > 0, "the budget never applied");
    assert!(c.dropped_oldest.get() > 0);
    // Each lagging connection may hold one message past the budget plus the batch its writer
    // took: 8 × (16 KiB + 256 KiB).
    let bound = BUDGET + 8 * ((16 << 10) + (256 << 10));
    assert!(max_seen <= bound, "buffered {max_seen} bytes, over {bound}");
    assert!(hub.status_json().contains("\"max_buffered\":524288"));
    assert!(hub.metrics_text().contains("omnisock_buffered_bytes "));
    drop(stalled);
    hub.shutdown_async().await;
}

fn buffered(hub: &Hub) -> usize {
    let doc = hub.status_json();
    let at = doc.find("\"buffered_bytes\":").unwrap() + "\"buffered_bytes\":".len();
    doc[at..].chars().take_while(|c| c.is_ascii_digit()).collect::<String>().parse().unwrap()
}
