//! The multi-node scenarios of the Redis backplane, against a real `redis-server`.
//!
//! `redis-scenarios --omnisock target/release/omnisock --node target/release/redis-node \
//!  --redis-server redis-server --dir TMPDIR [SCENARIO...]`
//!
//! Scenarios (all by default, in this order): `three-nodes`, `presence`, `seed-002`, `live`,
//! `node-killed`, `redis-outage`. Exits non-zero if one fails.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use omnisock_core::{Client, ClientConfig, ClientState, Event, Payload, ReconnectPolicy};
use omnisock_redis_tests::*;
use serde_json::{json, Value};

const NODE_SHIFT: u32 = 40;
const LONG: Duration = Duration::from_secs(30);

struct Env {
    omnisock: PathBuf,
    node: PathBuf,
    redis_server: String,
    dir: PathBuf,
    redis_port: u16,
}

impl Env {
    fn redis_url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.redis_port)
    }
    /// A redis-node (host program) with a host route /app, a relay /relay and a broadcast /bcast.
    fn app_node(&self, prefix: &str, name: &str) -> Node {
        let cfg = format!(
            "listen = \"127.0.0.1:0\"\nbackplane = \"{}\"\nbackplane_prefix = \"{prefix}\"\nping_interval = 0\n\
             [[route]]\npath = \"/app\"\nkind = \"host\"\nqueue_limit = \"16MiB\"\n\
             [[route]]\npath = \"/relay\"\nkind = \"relay\"\nqueue_limit = \"16MiB\"\n\
             [[route]]\npath = \"/bcast\"\nkind = \"broadcast\"\nqueue_limit = \"16MiB\"\n",
            self.redis_url()
        );
        start_node(&self.node, &[], &cfg, &self.dir, name)
    }
    /// `omnisock hub` (the CLI) with the seed's relay route /ws/camera.
    fn cli_node(&self, prefix: &str, name: &str) -> Node {
        let cfg = format!(
            "listen = \"127.0.0.1:0\"\nbackplane = \"{}\"\nbackplane_prefix = \"{prefix}\"\n\
             [[route]]\npath = \"/ws/camera\"\nkind = \"relay\"\n",
            self.redis_url()
        );
        start_node(&self.omnisock, &["hub", "--config"], &cfg, &self.dir, name)
    }
}

/// Per-sender sequences of `kind|sender|seq` messages; checks each is exactly 0..n in order.
fn check_sequences(who: &str, data: &[String], expect: &HashMap<(String, String), u64>) {
    let mut got: HashMap<(String, String), Vec<u64>> = HashMap::new();
    for m in data {
        let mut it = m.split('|');
        let (k, s, q) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
        got.entry((k.to_string(), s.to_string())).or_default().push(q.parse().unwrap());
    }
    for (key, &n) in expect {
        let seqs = got.remove(key).unwrap_or_default();
        let want: Vec<u64> = (0..n).collect();
        assert!(seqs == want, "{who}: from {key:?} expected 0..{n} in order, got {} messages (first out of place at {:?})", seqs.len(), seqs.iter().zip(&want).position(|(a, b)| a != b));
    }
    assert!(got.is_empty(), "{who}: unexpected senders {:?}", got.keys().collect::<Vec<_>>());
}

fn zero_losses(name: &str, bp: &Value) {
    for c in ["missed", "publish_failed", "publish_dropped", "out_of_order", "direct_not_found", "direct_unroutable", "decode_errors"] {
        assert_eq!(counter(bp, c), 0, "{name}: backplane counter {c} in {bp}");
    }
}

/// Waits until every node is connected with no pending subscription change and `channels` topics.
async fn wait_channels(nodes: &[&Node], channels: u64) {
    for n in nodes {
        let addr = n.addr.clone();
        wait_until(&format!("{}: backplane up with {channels} channels", n.proc.name), LONG, || {
            let bp = backplane(&addr);
            bp["state"] == "up" && bp["channels"].as_u64() == Some(channels) && bp["pending_changes"].as_u64() == Some(0)
        })
        .await;
    }
}

async fn wait_size(c: &mut Ws, group: &str, n: u64, what: &str) {
    let end = std::time::Instant::now() + LONG;
    loop {
        let r = c.ask(json!({"op": "size", "group": group})).await;
        if r["n"].as_u64() == Some(n) {
            return;
        }
        assert!(std::time::Instant::now() < end, "{what}: group {group} size stayed {} (want {n})", r["n"]);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Three hub processes: group publish, direct send, route relay and broadcast across nodes,
/// each delivered exactly once in per-publisher order; one subscription per topic per node.
async fn three_nodes(env: &Env) -> Vec<Node> {
    let nodes: Vec<Node> = ["a", "b", "c"].iter().map(|n| env.app_node("t3", &format!("three-{n}"))).collect();
    let ids: Vec<u64> = nodes.iter().map(|n| backplane(&n.addr)["node"].as_u64().unwrap()).collect();
    assert!(ids.iter().all(|&i| i > 0) && ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2], "node ids {ids:?}");

    const PER_NODE: usize = 4;
    let mut app: Vec<(usize, u64, Ws)> = Vec::new();
    for (ni, n) in nodes.iter().enumerate() {
        for _ in 0..PER_NODE {
            let mut c = Ws::connect(&format!("{}/app", n.url)).await;
            let id = c.ask(json!({"op": "id"})).await["id"].as_u64().unwrap();
            assert_eq!(id >> NODE_SHIFT, ids[ni], "connection ids carry the node id");
            assert_eq!(c.ask(json!({"op": "join", "group": "room"})).await["r"], "join");
            app.push((ni, id, c));
        }
    }
    let total = (PER_NODE * nodes.len()) as u64;
    for ni in 0..nodes.len() {
        let c = &mut app.iter_mut().find(|(n, _, _)| *n == ni).unwrap().2;
        wait_size(c, "room", total, "presence").await;
    }
    let mut relay = Vec::new();
    let mut bcast = Vec::new();
    for n in &nodes {
        relay.push(Ws::connect(&format!("{}/relay", n.url)).await);
        relay.push(Ws::connect(&format!("{}/relay", n.url)).await);
        bcast.push(Ws::connect(&format!("{}/bcast", n.url)).await);
    }
    // Topics with members per node: route /app, group room, route /relay, route /bcast.
    wait_channels(&nodes.iter().collect::<Vec<_>>(), 4).await;

    const N: u64 = 300;
    const D: u64 = 10;
    const B: u64 = 50;
    let publishers: Vec<usize> = (0..nodes.len()).map(|ni| ni * PER_NODE).collect();
    let all_ids: Vec<u64> = app.iter().map(|(_, id, _)| *id).collect();
    for seq in 0..N {
        for &p in &publishers {
            let (_, id, c) = &mut app[p];
            let id = *id;
            c.cmd(json!({"op": "pub", "group": "room", "data": format!("g|{id}|{seq}")})).await;
        }
        for (ri, r) in relay.iter_mut().enumerate() {
            if ri % 2 == 0 {
                r.send(format!("r|{ri}|{seq}")).await;
            }
        }
        if seq < B {
            for (bi, b) in bcast.iter_mut().enumerate() {
                b.send(format!("b|{bi}|{seq}")).await;
            }
        }
        if seq < D {
            for (_, from, c) in app.iter_mut() {
                let from = *from;
                for &to in &all_ids {
                    if to != from {
                        c.cmd(json!({"op": "send", "to": to, "data": format!("d|{from}|{seq}")})).await;
                    }
                }
            }
        }
    }
    // Expected per receiver.
    for (i, (_, id, c)) in app.iter_mut().enumerate() {
        let mut expect = HashMap::new();
        for &p in &publishers {
            if p != i {
                expect.insert(("g".to_string(), app_id(&all_ids, p)), N);
            }
        }
        for &from in &all_ids {
            if from != *id {
                expect.insert(("d".to_string(), from.to_string()), D);
            }
        }
        let want: u64 = expect.values().sum();
        assert!(c.wait_data(want as usize, LONG).await, "app client {i}: got {} of {want}", c.data.len());
        let _ = c.wait_data(want as usize + 1, Duration::from_millis(300)).await; // duplicates would show here
        check_sequences(&format!("app client {i}"), &c.data, &expect);
    }
    for (i, r) in relay.iter_mut().enumerate() {
        let expect: HashMap<_, _> = (0..6).filter(|s| s % 2 == 0 && *s != i).map(|s| (("r".to_string(), s.to_string()), N)).collect();
        let want: u64 = expect.values().sum();
        assert!(r.wait_data(want as usize, LONG).await, "relay client {i}: got {} of {want}", r.data.len());
        let _ = r.wait_data(want as usize + 1, Duration::from_millis(300)).await;
        check_sequences(&format!("relay client {i}"), &r.data, &expect);
    }
    for (i, b) in bcast.iter_mut().enumerate() {
        let expect: HashMap<_, _> = (0..3).map(|s| (("b".to_string(), s.to_string()), B)).collect();
        assert!(b.wait_data(3 * B as usize, LONG).await, "broadcast client {i}: got {} of {}", b.data.len(), 3 * B);
        let _ = b.wait_data(3 * B as usize + 1, Duration::from_millis(300)).await;
        check_sequences(&format!("broadcast client {i}"), &b.data, &expect);
    }
    let mut published = 0;
    for n in &nodes {
        let bp = backplane(&n.addr);
        zero_losses(&n.proc.name, &bp);
        assert!(counter(&bp, "skipped_own") > 0, "{}: own frames come back from Redis and are skipped", n.proc.name);
        published += counter(&bp, "published");
        assert!(counter(&bp, "pipelines") <= counter(&bp, "published"));
    }
    // Group: 3×N, relay: 3×N, broadcast: 3×B, direct to other nodes: 12×8×D (each frame once,
    // however many members it reaches; same-node direct sends never touch Redis).
    let remote_peers = total - PER_NODE as u64;
    assert_eq!(published, 3 * N + 3 * N + 3 * B + total * remote_peers * D, "frames published to Redis");
    println!("  {} group, {} relay, {} broadcast and {} direct messages delivered exactly once, in order", 3 * N, 3 * N, 3 * B, total * (total - 1) * D);
    for (_, _, c) in app {
        c.close().await;
    }
    nodes
}

fn app_id(all: &[u64], i: usize) -> String {
    all[i].to_string()
}

/// Presence across nodes: joins and leaves show everywhere; a killed node's members vanish.
async fn presence(env: &Env, mut nodes: Vec<Node>) {
    if nodes.is_empty() {
        nodes = ["a", "b", "c"].iter().map(|n| env.app_node("t3", &format!("three-{n}"))).collect();
    }
    let mut clients = Vec::new();
    for n in &nodes {
        let mut row = Vec::new();
        for _ in 0..3 {
            let mut c = Ws::connect(&format!("{}/app", n.url)).await;
            c.ask(json!({"op": "join", "group": "lobby"})).await;
            row.push(c);
        }
        clients.push(row);
    }
    wait_size(&mut clients[0][0], "lobby", 9, "presence after joins").await;
    wait_size(&mut clients[1][0], "lobby", 9, "presence after joins").await;
    clients[2][0].ask(json!({"op": "leave", "group": "lobby"})).await;
    let gone = clients[2].pop().unwrap();
    gone.close().await;
    wait_size(&mut clients[0][0], "lobby", 7, "presence after a leave and a disconnect").await;
    let c_id = backplane(&nodes[2].addr)["node"].as_u64().unwrap();
    nodes[2].proc.kill();
    println!("  killed node c (id {c_id}); waiting for its members to expire");
    wait_size(&mut clients[0][0], "lobby", 6, "presence after node c died").await;
    wait_size(&mut clients[1][0], "lobby", 6, "presence after node c died").await;
    let live = backplane(&nodes[0].addr)["live_nodes"].clone();
    assert!(!live.as_array().unwrap().iter().any(|v| v.as_u64() == Some(c_id)), "dead node still live: {live}");
    println!("  presence: 9 → 7 after a leave and a close → 6 after a node died (expired by TTL)");
}

/// Seed 002: positions sent to node A (`/ws/camera`, relay) arrive in order at a receiver on node B.
async fn seed_002(env: &Env) {
    let a = env.cli_node("seed", "seed-a");
    let b = env.cli_node("seed", "seed-b");
    let mut unity = Ws::connect(&format!("{}/ws/camera", a.url)).await;
    let mut android = Ws::connect(&format!("{}/ws/camera", b.url)).await;
    let mut local = Ws::connect(&format!("{}/ws/camera", a.url)).await;
    wait_channels(&[&a, &b], 1).await;
    let positions: Vec<String> = (0..200)
        .map(|i| json!({"x": i as f64 * 0.25, "y": 1.5, "z": -(i as f64)}).to_string())
        .collect();
    for p in &positions {
        unity.send(p.clone()).await;
    }
    assert!(android.wait_data(positions.len(), LONG).await, "receiver on node B got {} of {}", android.data.len(), positions.len());
    assert_eq!(android.data, positions, "positions arrive in order, unchanged, once");
    assert!(local.wait_data(positions.len(), LONG).await);
    assert_eq!(local.data, positions);
    assert!(!unity.wait_data(1, Duration::from_millis(300)).await, "relay must not echo to the sender");
    zero_losses("seed-a", &backplane(&a.addr));
    zero_losses("seed-b", &backplane(&b.addr));
    println!("  200 positions sent to node A arrived in order at node B (and at a local receiver on A)");
}

/// A live route across two nodes: conflation, rate caps and snapshots apply at each
/// subscriber's node, to messages published on another node.
async fn live(env: &Env) {
    let cfg = format!(
        "listen = \"127.0.0.1:0\"\nbackplane = \"{}\"\nbackplane_prefix = \"live\"\n\
         [[route]]\npath = \"/cam\"\nkind = \"broadcast\"\n[route.live]\nkey = \"/id\"\n",
        env.redis_url()
    );
    let a = start_node(&env.omnisock, &["hub", "--config"], &cfg, &env.dir, "live-a");
    let b = start_node(&env.omnisock, &["hub", "--config"], &cfg, &env.dir, "live-b");
    let mut camera = Ws::connect(&format!("{}/cam", a.url)).await;
    let mut viewer = Ws::connect(&format!("{}/cam", b.url)).await;
    let mut capped = Ws::connect(&format!("{}/cam?max_rate=2", b.url)).await;
    wait_channels(&[&a, &b], 1).await;
    let positions: Vec<String> = (0..200).map(|i| json!({"id": format!("cam{}", i % 10), "seq": i}).to_string()).collect();
    // The seed's pace: 200 positions per second.
    for p in &positions {
        camera.send(p.clone()).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(viewer.wait_data(positions.len(), LONG).await, "viewer on node B got {} of {}", viewer.data.len(), positions.len());
    assert_eq!(viewer.data, positions, "a viewer that keeps up gets every position in order");
    // Rate cap at node B: 2 per second per key, ending on each key's newest value.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    capped.drain();
    let mut last: HashMap<String, u64> = HashMap::new();
    for m in &capped.data {
        let v: Value = serde_json::from_str(m).unwrap();
        last.insert(v["id"].as_str().unwrap().to_string(), v["seq"].as_u64().unwrap());
    }
    assert!(capped.data.len() < 60, "the capped viewer got {} messages", capped.data.len());
    for k in 0..10u64 {
        assert_eq!(last.get(&format!("cam{k}")), Some(&(190 + k)), "key cam{k} ends on its newest value: {last:?}");
    }
    // Snapshot at node B, built from messages published on node A.
    let mut late = Ws::connect(&format!("{}/cam", b.url)).await;
    assert!(late.wait_data(10, LONG).await, "snapshot: got {}", late.data.len());
    let mut snap: Vec<u64> = late.data.iter().map(|m| serde_json::from_str::<Value>(m).unwrap()["seq"].as_u64().unwrap()).collect();
    snap.sort_unstable();
    assert_eq!(snap, (190..200).collect::<Vec<u64>>(), "one newest value per key");
    let st = status(&b.addr);
    let live = &st["routes"][0]["live"];
    assert!(live["rate_limited"].as_u64().unwrap() > 0 && live["snapshot_sent"].as_u64() == Some(10), "{live}");
    println!(
        "  200 positions on node A: node B's viewer got all in order, its 2/s viewer {} ending on the newest values, a late viewer a 10-key snapshot",
        capped.data.len()
    );
}

/// A hub node is killed: a client with several hub URLs moves to another and keeps receiving.
async fn node_killed(env: &Env) {
    let mut p = env.cli_node("fail", "fail-p");
    let q = env.cli_node("fail", "fail-q");
    let r = env.cli_node("fail", "fail-r");
    let mut cfg = ClientConfig::new(format!("{}/ws/camera", p.url));
    cfg.fallback_urls = vec![format!("{}/ws/camera", q.url)];
    cfg.reconnect = ReconnectPolicy { initial_delay: Duration::from_millis(50), max_delay: Duration::from_millis(500), ..ReconnectPolicy::backoff(50) };
    let client = Client::connect(cfg).expect("client");
    let mut sender = Ws::connect(&format!("{}/ws/camera", r.url)).await;
    wait_until("client open on node p", LONG, || client.state() == ClientState::Open).await;
    wait_channels(&[&p, &r], 1).await;

    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let (stop2, sent2) = (stop.clone(), sent.clone());
    let pump = tokio::spawn(async move {
        for seq in 0..5000u64 {
            if stop2.load(Ordering::Relaxed) {
                break;
            }
            sender.send(format!("pos|{seq}")).await;
            sent2.store(seq + 1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        sender
    });
    let mut seqs: Vec<u64> = Vec::new();
    let mut opens = 0;
    let poll = |seqs: &mut Vec<u64>, opens: &mut i32| {
        for ev in client.events().poll(1024) {
            match ev {
                Event::Message { data: Payload::Text(t), .. } => seqs.push(t.as_str()["pos|".len()..].parse().unwrap()),
                Event::Open(_) => *opens += 1,
                _ => {}
            }
        }
    };
    wait_until("messages before the kill", LONG, || {
        poll(&mut seqs, &mut opens);
        seqs.len() >= 20
    })
    .await;
    p.proc.kill();
    let before = *seqs.last().unwrap();
    let at_kill = seqs.len();
    println!("  killed node p after {at_kill} messages (last seq {before}); the client moves to node q");
    wait_until("the client reconnected to node q and receives again", LONG, || {
        poll(&mut seqs, &mut opens);
        opens >= 2 && seqs.len() >= at_kill + 30
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    let _sender = pump.await.unwrap();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "sequence numbers increase (no duplicates)");
    assert!(*seqs.last().unwrap() > before + 29);
    let q_status = status(&q.addr);
    assert_eq!(q_status["connections"], 1, "the client is on node q");
    println!("  reconnected to node q; received {} more messages (last seq {})", seqs.len() - at_kill, seqs.last().unwrap());
    client.abort();
}

/// Redis killed mid-run and restarted: local traffic never stops, cross-node traffic resumes
/// without restarting hubs, losses are counted, none after recovery.
async fn redis_outage(env: &Env, redis: &mut Proc) {
    let x = env.app_node("outage", "outage-x");
    let y = env.app_node("outage", "outage-y");
    let mut publisher = Ws::connect(&format!("{}/app", x.url)).await;
    let mut local = Ws::connect(&format!("{}/app", x.url)).await;
    let mut remote = Ws::connect(&format!("{}/app", y.url)).await;
    let remote_id = remote.ask(json!({"op": "id"})).await["id"].as_u64().unwrap();
    local.ask(json!({"op": "join", "group": "live"})).await;
    remote.ask(json!({"op": "join", "group": "live"})).await;
    wait_size(&mut publisher, "live", 2, "presence").await;
    wait_channels(&[&x, &y], 2).await;

    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let (stop2, sent2) = (stop.clone(), sent.clone());
    let pump = tokio::spawn(async move {
        for seq in 0..20_000u64 {
            if stop2.load(Ordering::Relaxed) {
                break;
            }
            publisher.cmd(json!({"op": "pub", "group": "live", "data": format!("o|x|{seq}")})).await;
            sent2.store(seq + 1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        publisher
    });
    assert!(remote.wait_data(50, LONG).await, "cross-node traffic before the outage");
    redis.kill();
    println!("  redis killed after {} messages", sent.load(Ordering::Relaxed));
    let xa = x.addr.clone();
    wait_until("node x reports the backplane down", LONG, || backplane(&xa)["state"] == "down").await;
    let ya = y.addr.clone();
    wait_until("node y reports the backplane down", LONG, || backplane(&ya)["state"] == "down").await;
    let down_at = sent.load(Ordering::Relaxed) as usize;
    assert!(local.wait_data(down_at + 100, LONG).await, "local traffic continues during the outage");
    let bp = backplane(&x.addr);
    assert!(counter(&bp, "publish_failed") > 0, "cross-node publishes fail visibly: {bp}");
    assert!(bp["last_error"].is_string(), "the status says why: {bp}");
    // A direct send to the other node fails with an error instead of vanishing.
    let mut probe = Ws::connect(&format!("{}/app", x.url)).await;
    let r = probe.ask(json!({"op": "send", "to": remote_id, "data": "o|probe|0"})).await;
    assert_eq!(r["r"], "err", "direct send during the outage: {r}");
    println!("  during the outage: local delivery went on; x counts {} failed publishes; direct send says {}", counter(&bp, "publish_failed"), r["e"]);

    *redis = start_redis(&env.redis_server, env.redis_port, &env.dir.join("redis"));
    wait_channels(&[&x, &y], 2).await;
    wait_size(&mut probe, "live", 2, "presence restored").await;
    let failed_at_recovery = counter(&backplane(&x.addr), "publish_failed");
    let missed_at_recovery = counter(&backplane(&y.addr), "missed");
    let recovered_at = sent.load(Ordering::Relaxed);
    println!("  redis restarted; both nodes resubscribed by themselves at message {recovered_at}");
    wait_until("traffic after recovery", LONG, || sent.load(Ordering::Relaxed) >= recovered_at + 200).await;
    stop.store(true, Ordering::Relaxed);
    let _publisher = pump.await.unwrap();
    let total = sent.load(Ordering::Relaxed);

    assert!(local.wait_data(total as usize, LONG).await, "local: {} of {total}", local.data.len());
    let mut expect = HashMap::new();
    expect.insert(("o".to_string(), "x".to_string()), total);
    check_sequences("local member", &local.data, &expect);

    // The remote member: everything after recovery, in order; every loss counted.
    let end = std::time::Instant::now() + LONG;
    loop {
        remote.drain();
        let last = remote.data.last().and_then(|m| m.rsplit('|').next()).and_then(|s| s.parse::<u64>().ok());
        if last == Some(total - 1) || std::time::Instant::now() > end {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seqs: Vec<u64> = remote.data.iter().map(|m| m.rsplit('|').next().unwrap().parse().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "remote member: in order, no duplicates");
    for s in recovered_at..total {
        assert!(seqs.binary_search(&s).is_ok(), "remote member lost message {s}, published after recovery");
    }
    let bx = backplane(&x.addr);
    let by = backplane(&y.addr);
    let failed = counter(&bx, "publish_failed");
    let missed = counter(&by, "missed");
    assert_eq!(failed, failed_at_recovery, "no publish failures after recovery");
    assert_eq!(missed, missed_at_recovery, "no gaps after recovery");
    let lost = total - seqs.len() as u64;
    assert!(lost > 0, "the outage lost messages");
    assert!(lost <= failed + missed, "every loss is counted: lost {lost}, publish_failed {failed}, missed {missed}");
    for bp in [&bx, &by] {
        assert!(counter(bp, "disconnects") >= 1 && counter(bp, "reconnects") >= 1, "{bp}");
        assert_eq!(counter(bp, "out_of_order"), 0);
    }
    println!("  {total} published: local member got all; remote got {} (lost {lost}, counted: {failed} publish_failed on x + {missed} missed on y), none lost after recovery", seqs.len());
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut omnisock = None;
    let mut node = None;
    let mut redis_server = "redis-server".to_string();
    let mut dir = None;
    let mut only = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--omnisock" => omnisock = args.next().map(PathBuf::from),
            "--node" => node = args.next().map(PathBuf::from),
            "--redis-server" => redis_server = args.next().unwrap(),
            "--dir" => dir = args.next().map(PathBuf::from),
            s => only.push(s.to_string()),
        }
    }
    let root = repo_root();
    let dir = dir.unwrap_or_else(|| root.join("target/redis-tests"));
    std::fs::create_dir_all(&dir).unwrap();
    let env = Env {
        omnisock: omnisock.unwrap_or_else(|| root.join("target/release/omnisock")),
        node: node.unwrap_or_else(|| root.join("target/release/redis-node")),
        redis_server,
        redis_port: free_port(),
        dir: dir.clone(),
    };
    for p in [&env.omnisock, &env.node] {
        assert!(Path::new(p).exists(), "{} is missing: build it first", p.display());
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut redis = start_redis(&env.redis_server, env.redis_port, &dir.join("redis"));
    println!("redis-server on 127.0.0.1:{}", env.redis_port);
    let all = ["three-nodes", "presence", "seed-002", "live", "node-killed", "redis-outage"];
    let run: Vec<&str> = if only.is_empty() { all.to_vec() } else { only.iter().map(String::as_str).collect() };
    let mut failed = 0;
    let mut kept = Vec::new();
    for name in run {
        println!("--- {name}");
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(async {
                match name {
                    "three-nodes" => kept = three_nodes(&env).await,
                    "presence" => presence(&env, std::mem::take(&mut kept)).await,
                    "seed-002" => seed_002(&env).await,
                    "live" => live(&env).await,
                    "node-killed" => node_killed(&env).await,
                    "redis-outage" => redis_outage(&env, &mut redis).await,
                    other => panic!("unknown scenario {other}"),
                }
            })
        }));
        match r {
            Ok(()) => println!("ok   {name}"),
            Err(_) => {
                println!("FAIL {name}");
                failed += 1;
            }
        }
    }
    drop(kept);
    drop(redis);
    rt.shutdown_timeout(Duration::from_secs(1));
    if failed > 0 {
        println!("{failed} scenario(s) failed");
        std::process::exit(1);
    }
    println!("all scenarios passed");
}
