//! Live streams (conflation by key, rate caps, snapshots) on the seed-002 shape: one camera
//! publisher, fast and slow viewers.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::*;
use futures_util::StreamExt;
use omnisock_core::{Hub, KeyRule, LiveConfig, OverflowPolicy, Payload, RouteKind};
use tokio::net::TcpSocket;
use tungstenite::Message;

/// A position message of camera `key`, published at `t` µs after the run started, padded to
/// about 1 KiB (a pose with metadata).
fn position(key: usize, seq: u64, t: u128) -> Payload {
    Payload::Text(format!(r#"{{"id":"cam{key:02}","seq":{seq},"t":{t},"x":1.5,"y":2.5,"z":{seq},"pad":"{}"}}"#, "p".repeat(900)).into())
}

fn field(v: &serde_json::Value, name: &str) -> u64 {
    v[name].as_u64().unwrap()
}

/// A viewer with a small receive buffer and Ethernet-sized segments (a phone on a slow link
/// holds little in flight; loopback's 64 KiB segments would stall a small window).
async fn slow_viewer(hub: &Hub, path: &str) -> Peer {
    let sock = TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    socket2::SockRef::from(&sock).set_tcp_mss(1460).unwrap();
    let tcp = sock.connect(hub.local_addr()).await.unwrap();
    let (ws, _) = tokio_tungstenite::client_async(url(hub, path), tokio_tungstenite::MaybeTlsStream::Plain(tcp)).await.unwrap();
    ws
}

fn live_hub(policy: Option<LiveConfig>) -> Hub {
    hub_with(&[("/cam", RouteKind::Broadcast)], |c| {
        c.send_buffer = 4096;
        c.routes[0].live = policy;
        c.routes[0].on_overflow = OverflowPolicy::DropOldest;
    })
}

/// Runs the seed-002 shape: 200 msg/s over 50 keys for `secs`, 100 fast viewers that must get
/// every message in order, 10 slow viewers reading 10 msg/s. Returns the slow viewers' message
/// ages at delivery (ms), sorted, and the largest queue a slow viewer had.
async fn seed_002_run(hub: &Hub, secs: u64) -> (Vec<u64>, usize) {
    let total = 200 * secs;
    let mut fast = Vec::new();
    for _ in 0..100 {
        fast.push(peer(&url(hub, "/cam")).await);
    }
    let mut slow = Vec::new();
    for _ in 0..10 {
        slow.push(slow_viewer(hub, "/cam").await);
    }
    eventually("110 viewers", || hub.connection_count() == 110).await;
    let start = Instant::now();
    let fast_tasks: Vec<_> = fast
        .into_iter()
        .map(|mut ws| {
            tokio::spawn(async move {
                for want in 0..total {
                    let Message::Text(t) = recv(&mut ws).await else { panic!("text expected") };
                    let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                    assert_eq!(field(&v, "seq"), want, "a fast viewer lost a message or got one out of order");
                }
                ws
            })
        })
        .collect();
    let slow_tasks: Vec<_> = slow
        .into_iter()
        .map(|mut ws| {
            tokio::spawn(async move {
                let mut ages = Vec::new();
                let end = start + Duration::from_secs(secs);
                while Instant::now() < end {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
                        Ok(Some(Ok(Message::Text(t)))) => {
                            let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                            let now = start.elapsed().as_micros() as u64;
                            ages.push((now - field(&v, "t")) / 1000);
                        }
                        Ok(Some(Ok(Message::Close(f)))) => panic!("a slow viewer was closed: {f:?}"),
                        Ok(Some(Ok(_))) => {}
                        other => panic!("slow viewer after {} messages at {:?}: {other:?}", ages.len(), start.elapsed()),
                    }
                }
                (ws, ages)
            })
        })
        .collect();
    let mut max_queue = 0;
    for seq in 0..total {
        let key = (seq % 50) as usize;
        hub.broadcast("/cam", position(key, seq, start.elapsed().as_micros()), None).unwrap();
        if seq % 20 == 0 {
            // Sample every connection's queue (ids are small and sequential in one hub).
            for id in 0..=256u64 {
                if let Ok(b) = hub.queued_bytes(id) {
                    max_queue = max_queue.max(b);
                }
            }
        }
        tokio::time::sleep_until((start + Duration::from_millis(5) * (seq as u32 + 1)).into()).await;
    }
    let mut ages = Vec::new();
    let mut keep = Vec::new();
    for t in slow_tasks {
        let (ws, a) = t.await.unwrap();
        ages.extend(a);
        keep.push(ws);
    }
    for t in fast_tasks {
        t.await.expect("fast viewer");
    }
    drop(keep);
    ages.sort_unstable();
    (ages, max_queue)
}

fn p(ages: &[u64], q: f64) -> u64 {
    ages[((ages.len() - 1) as f64 * q) as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_viewers_get_fresh_values_and_fast_ones_get_everything() {
    // Threshold 32: a fast viewer on a loaded machine may fall a few dozen messages behind for a
    // moment and must still get every message.
    let mut live = LiveConfig::new(KeyRule::JsonPointer("/id".into()));
    live.threshold = 32;
    let hub = live_hub(Some(live));
    let (ages, max_queue) = seed_002_run(&hub, 6).await;
    let doc = hub.status_json();
    eprintln!(
        "live (conflation by /id): slow viewers' age at delivery p50 {} ms, p99 {} ms, max {} ms over {} reads; largest slow queue {} B; {doc}",
        p(&ages, 0.5),
        p(&ages, 0.99),
        ages.last().unwrap(),
        ages.len(),
        max_queue
    );
    assert!(ages.len() >= 300, "slow viewers read {} messages", ages.len());
    // The queue never holds more than the threshold plus one message per key.
    assert!(max_queue <= (32 + 50 + 1) * 1100, "a slow viewer's queue grew to {max_queue} bytes");
    // Stated bound: what the kernel buffers hold (≈ 16 KiB = 16 messages at 10/s) plus one
    // key's update interval (250 ms), with room for a loaded machine: under 4 s. Without
    // conflation the age reaches the run's length (the next test).
    assert!(p(&ages, 0.99) < 4000, "p99 age {} ms", p(&ages, 0.99));
    assert!(doc.contains("\"live\":{\"replaced\":"), "{doc}");
    let replaced: u64 = doc.split("\"replaced\":").nth(1).unwrap().chars().take_while(|c| c.is_ascii_digit()).collect::<String>().parse().unwrap();
    assert!(replaced > 0, "conflation never replaced anything");
    assert_eq!(hub.counters().slow_consumer_closes.get(), 0);
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_capped_viewer_gets_the_latest_value_at_its_rate() {
    let hub = live_hub(Some(LiveConfig::new(KeyRule::JsonPointer("/id".into()))));
    let mut viewer = peer(&format!("{}?max_rate=10", url(&hub, "/cam"))).await;
    eventually("viewer", || hub.connection_count() == 1).await;
    let start = Instant::now();
    let reader = tokio::spawn(async move {
        let mut per_key: HashMap<u64, Vec<(Instant, u64)>> = HashMap::new();
        loop {
            match tokio::time::timeout(Duration::from_secs(2), viewer.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => {
                    let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                    let key: u64 = v["id"].as_str().unwrap()[3..].parse().unwrap();
                    per_key.entry(key).or_default().push((Instant::now(), field(&v, "seq")));
                }
                Ok(Some(Ok(_))) => {}
                _ => return per_key,
            }
        }
    });
    // 5 keys at 200 msg/s: 40 per second per key, for 3 s.
    let total = 600u64;
    for seq in 0..total {
        hub.broadcast("/cam", position((seq % 5) as usize, seq, start.elapsed().as_micros()), None).unwrap();
        tokio::time::sleep_until((start + Duration::from_millis(5) * (seq as u32 + 1)).into()).await;
    }
    let per_key = reader.await.unwrap();
    assert_eq!(per_key.len(), 5);
    for (key, got) in &per_key {
        let span = got.last().unwrap().0 - got[0].0;
        let rate = (got.len() - 1) as f64 / span.as_secs_f64();
        eprintln!("key {key}: {} messages, {rate:.2}/s", got.len());
        assert!((9.0..=11.0).contains(&rate), "key {key}: {rate:.2} messages/s, not 10 ± 10%");
        // The last one is the newest value of that key.
        let last_seq = total - 5 + key;
        assert_eq!(got.last().unwrap().1, last_seq, "key {key} did not end on its latest value");
        assert!(got.windows(2).all(|w| w[0].1 < w[1].1), "key {key}: values went back in time");
    }
    assert!(hub.status_json().contains("\"rate_limited\":"), "counted");
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_joining_viewer_gets_one_snapshot_value_per_key_first() {
    let hub = live_hub(Some(LiveConfig::new(KeyRule::JsonPointer("/id".into()))));
    for seq in 0..15u64 {
        hub.broadcast("/cam", position((seq % 5) as usize, seq, 0), None).unwrap();
    }
    let mut viewer = peer(&url(&hub, "/cam")).await;
    let mut seen = Vec::new();
    for _ in 0..5 {
        let Message::Text(t) = recv(&mut viewer).await else { panic!() };
        let v: serde_json::Value = serde_json::from_str(&t).unwrap();
        seen.push((v["id"].as_str().unwrap().to_string(), field(&v, "seq")));
    }
    seen.sort();
    assert_eq!(seen, (10..15u64).map(|s| (format!("cam{:02}", s % 5), s)).collect::<Vec<_>>(), "one latest value per key");
    hub.broadcast("/cam", position(0, 99, 0), None).unwrap();
    let Message::Text(t) = recv(&mut viewer).await else { panic!() };
    assert!(t.contains("\"seq\":99"), "then the live stream");
    assert!(hub.status_json().contains("\"snapshot_sent\":5"));
    hub.shutdown_async().await;
}

/// The same run without conflation (drop_oldest): the slow viewers' age grows with their
/// queue. Printed beside the live figures; asserts only that it is worse.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_conflation_slow_viewers_fall_behind() {
    let hub = live_hub(None);
    let (ages, max_queue) = seed_002_run(&hub, 6).await;
    eprintln!(
        "drop_oldest (no conflation): slow viewers' age at delivery p50 {} ms, p99 {} ms, max {} ms over {} reads; largest slow queue {} B",
        p(&ages, 0.5),
        p(&ages, 0.99),
        ages.last().unwrap(),
        ages.len(),
        max_queue
    );
    assert!(p(&ages, 0.99) > 4000, "without conflation the age grows past the live bound");
    hub.shutdown_async().await;
}

