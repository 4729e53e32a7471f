//! The Redis backplane: several hub processes, on one or many machines, act as one hub through
//! Redis pub/sub (`backplane = "redis://host:6379/"`, `rediss://` for TLS, `redis://:password@…`).
//!
//! # How it works
//! - **Channels.** A topic with members on this node is one subscription:
//!   `{prefix}:g:{group}` for a group, `{prefix}:r:{path}` for a route. Each node also listens on
//!   its inbox `{prefix}:n:{node}` (direct sends to its connections) and on `{prefix}:presence`.
//!   A node subscribes only to topics with local members; changes are batched into one
//!   `SUBSCRIBE`/`UNSUBSCRIBE` per burst.
//! - **Publishing.** [`Backplane::publish`] delivers to local members at once and enqueues one
//!   frame (a 32-byte header + the payload, see [`wire`]) for Redis; a single publisher task
//!   sends the queue as pipelines of `PUBLISH` on one connection, so the messages of one node
//!   reach every other node in the order they were published. Every receiving node decodes the
//!   frame once and shares the payload across its local members. Frames a node published
//!   itself are skipped (their local members already have them).
//! - **Delivery contract: at most once, every loss counted.** Nothing is retried.
//!   `publish_failed` counts frames this node could not hand to Redis (Redis unreachable, or
//!   the pipeline failed: those may or may not have gone out), `publish_dropped` frames refused
//!   because the publish queue was full, `direct_unroutable` direct sends no node was listening
//!   for, and `missed` frames a receiving node knows it did not get (each frame carries a
//!   sequence number per publisher and channel; a gap is a loss between Redis and this node).
//!   A frame in flight when a connection broke can be counted both as `publish_failed` by the
//!   sender and as `missed` by a receiver.
//! - **Outage.** While Redis is unreachable, local delivery goes on; cross-node publishes fail
//!   at once (counted; [`Hub::send`](crate::Hub::send) to a remote connection returns an error)
//!   and the status shows `"state":"down"` with the last error. The node reconnects with
//!   exponential backoff and jitter and resubscribes everything by itself.
//! - **Node identity.** A node claims a random id (1..=8191, so connection ids stay below
//!   2^53) with `SET {prefix}:node:{id} <token> NX EX ttl` and refreshes it every
//!   [`HEARTBEAT`]; live nodes are kept in the sorted set `{prefix}:nodes` (score = expiry in
//!   Redis server time), so a dead node drops out after [`NODE_TTL`].
//! - **Presence.** Each node keeps its member count per group in the hash
//!   `{prefix}:members:{node}` (expiring with the node) and announces changes on
//!   `{prefix}:presence`; every node caches the others' counts, so
//!   [`Hub::group_size_global`](crate::Hub::group_size_global) never waits on Redis. Counts are
//!   eventually consistent: a change shows on other nodes after one Redis round trip; the
//!   members of a node that died vanish once its TTL has run out.
//!
//! Nothing here blocks a hub thread or a runtime worker on Redis, except [`RedisBackplane::connect`]
//! (hub start), which waits for the node id claim so that connection ids are unique from the
//! first one.

mod dial;
pub mod wire;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use redis::aio::{MultiplexedConnection, PubSubSink};
use redis::AsyncConnectionConfig;
use tokio::sync::{mpsc, watch, Notify};

use super::{Backplane, LocalDelivery, Topic};
use crate::error::{Error, ErrorCode, Result};
use crate::event::{ConnId, Payload};
use wire::{Header, Kind};

/// A node id expires this long after its last heartbeat.
pub const NODE_TTL: Duration = Duration::from_secs(10);
/// Interval of the node heartbeat (id refresh, live-node list, presence expiry).
pub const HEARTBEAT: Duration = Duration::from_secs(2);
/// Frames waiting for the publisher task; more are refused and counted (`publish_dropped`).
const PUBLISH_QUEUE: usize = 65_536;
/// Most frames in one pipeline.
const PIPELINE_MAX: usize = 1024;
/// Most channels in one SUBSCRIBE / UNSUBSCRIBE.
const SUBSCRIBE_CHUNK: usize = 1000;
/// Limit for connecting to Redis and for each command round trip.
const IO_TIMEOUT: Duration = Duration::from_secs(3);
/// Reconnect backoff: first delay and cap.
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// Node ids are drawn from 1..=MAX_NODE_ID.
const MAX_NODE_ID: u32 = 8191;
/// The publisher starts a new sequence epoch after numbering this many channels.
const MAX_SEQ_CHANNELS: usize = 100_000;

const STATE_CONNECTING: u8 = 0;
const STATE_UP: u8 = 1;
const STATE_DOWN: u8 = 2;
const STATE_STOPPED: u8 = 3;

/// Claims or refreshes a node id and returns `{claimed, live node ids}`.
/// KEYS: node key, members hash, nodes zset. ARGV: token, ttl seconds, node id.
const HEARTBEAT_SCRIPT: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
local v = redis.call('GET', KEYS[1])
local ok = 0
if v == false then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
  ok = 1
elseif v == ARGV[1] then
  redis.call('EXPIRE', KEYS[1], ttl)
  ok = 1
end
if ok == 1 then
  redis.call('ZADD', KEYS[3], now + ttl * 1000, ARGV[3])
  redis.call('EXPIRE', KEYS[2], ttl)
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
return {ok, redis.call('ZRANGE', KEYS[3], 0, -1)}
"#;

/// Releases a node id if it is still ours. KEYS: node key, members hash, nodes zset.
/// ARGV: token, node id.
const RELEASE_SCRIPT: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  redis.call('ZREM', KEYS[3], ARGV[2])
end
return 1
"#;

macro_rules! stats {
    ($($(#[doc = $doc:literal])* $name:ident),* $(,)?) => {
        #[derive(Default)]
        struct Stats { $($name: AtomicU64,)* }
        impl Stats {
            fn snapshot(&self) -> Vec<(&'static str, &'static str, u64)> {
                vec![$((stringify!($name), concat!($($doc),*), self.$name.load(Ordering::Relaxed)),)*]
            }
        }
    };
}

stats! {
    /// Frames handed to Redis (PUBLISH acknowledged).
    published,
    /// Frames that could not be handed to Redis (unreachable or the pipeline failed); lost or possibly lost.
    publish_failed,
    /// Frames refused because the publish queue was full (lost).
    publish_dropped,
    /// PUBLISH pipelines sent.
    pipelines,
    /// Frames received from Redis.
    received,
    /// Topic frames delivered to this node's members.
    delivered_topic,
    /// Direct frames delivered to a connection on this node.
    delivered_direct,
    /// Direct frames for a connection that is no longer on this node (lost).
    direct_not_found,
    /// Direct sends that no node was listening for (PUBLISH reached nobody; lost).
    direct_unroutable,
    /// Frames a receiver knows it missed (sequence gaps; lost between Redis and this node).
    missed,
    /// Frames that arrived out of sequence (never expected).
    out_of_order,
    /// Frames this node published itself, skipped on receipt.
    skipped_own,
    /// Frames that could not be decoded.
    decode_errors,
    /// Connections to Redis lost.
    disconnects,
    /// Successful reconnects after a loss.
    reconnects,
    /// Failed connection attempts.
    connect_failures,
    /// SUBSCRIBE and UNSUBSCRIBE commands sent.
    subscribe_commands,
    /// Heartbeats that found this node's id held by another process.
    node_id_conflicts,
}

/// A frame waiting for the publisher task.
struct Outgoing {
    channel: Arc<str>,
    kind: Kind,
    conn: ConnId,
    payload: Payload,
}

/// What the status shows besides counters.
struct Info {
    last_error: Option<String>,
    since: Instant,
    channels: usize,
    live_nodes: Vec<u32>,
    node_id_conflict: bool,
}

/// State shared by the backplane handle and its tasks.
struct Shared {
    dial: Arc<dial::Dialer>,
    url_shown: String,
    prefix: String,
    node: u32,
    instance: u32,
    token: String,
    local: OnceLock<Weak<dyn LocalDelivery>>,
    state: AtomicU8,
    stats: Stats,
    info: Mutex<Info>,
    /// Topics whose membership changed since the driver last looked.
    dirty: Mutex<HashSet<Topic>>,
    wake: Notify,
    /// Member counts per group of the other live nodes.
    remote: RwLock<HashMap<u32, HashMap<String, u32>>>,
    stop: watch::Sender<bool>,
    stopped: AtomicBool,
    /// Signalled by the driver when its shutdown clean-up is done.
    done: Mutex<Option<std::sync::mpsc::Receiver<()>>>,
}

impl Shared {
    fn local(&self) -> Option<Arc<dyn LocalDelivery>> {
        self.local.get().and_then(Weak::upgrade)
    }
    fn inc(&self, c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }
    fn set_error(&self, e: impl std::fmt::Display) {
        self.info.lock().unwrap_or_else(|e| e.into_inner()).last_error = Some(e.to_string());
    }
    fn set_state(&self, s: u8) {
        if self.state.swap(s, Ordering::AcqRel) != s {
            self.info.lock().unwrap_or_else(|e| e.into_inner()).since = Instant::now();
        }
    }
    fn channel(&self, topic: &Topic) -> String {
        match topic {
            Topic::Group(g) => format!("{}:g:{g}", self.prefix),
            Topic::Route(p) => format!("{}:r:{p}", self.prefix),
        }
    }
    fn inbox(&self, node: u32) -> String {
        format!("{}:n:{node}", self.prefix)
    }
    fn presence_channel(&self) -> String {
        format!("{}:presence", self.prefix)
    }
    fn node_key(&self, node: u32) -> String {
        format!("{}:node:{node}", self.prefix)
    }
    fn members_key(&self, node: u32) -> String {
        format!("{}:members:{node}", self.prefix)
    }
    fn nodes_key(&self) -> String {
        format!("{}:nodes", self.prefix)
    }
    fn header(&self, kind: Kind, binary: bool, epoch: u32, seq: u64, conn: ConnId) -> Header {
        Header { kind, binary, node: self.node, instance: self.instance, epoch, seq, conn }
    }
}

/// The multi-node backplane over Redis pub/sub.
pub struct RedisBackplane {
    shared: Arc<Shared>,
    tx: mpsc::Sender<Outgoing>,
}

/// `redis://user:secret@host/` → `redis://user:***@host/`.
fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else { return url.to_string() };
    let rest = &url[scheme_end..];
    let host_end = rest.find('/').unwrap_or(rest.len());
    match rest[..host_end].rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme_end], &rest[at..])
        }
        None => url.to_string(),
    }
}

fn redis_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::Connect, format!("redis backplane: {what}: {e}"))
}

async fn connect_cmd(dial: &dial::Dialer) -> redis::RedisResult<MultiplexedConnection> {
    let cfg = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(IO_TIMEOUT))
        .set_response_timeout(Some(IO_TIMEOUT));
    dial.cmd(cfg).await
}

async fn heartbeat(prefix: &str, token: &str, conn: &mut MultiplexedConnection, node: u32) -> redis::RedisResult<(bool, Vec<u32>)> {
    let (ok, live): (i64, Vec<u32>) = redis::cmd("EVAL")
        .arg(HEARTBEAT_SCRIPT)
        .arg(3)
        .arg(format!("{prefix}:node:{node}"))
        .arg(format!("{prefix}:members:{node}"))
        .arg(format!("{prefix}:nodes"))
        .arg(token)
        .arg(NODE_TTL.as_secs())
        .arg(node)
        .query_async(conn)
        .await?;
    Ok((ok == 1, live))
}

impl RedisBackplane {
    /// Connects to Redis at `url`, claims a node id under `prefix`, and starts the background
    /// tasks. Waits (on the calling thread) for the claim, at most a few seconds; fails with a
    /// clear error when Redis cannot be reached, so a misconfigured hub does not start.
    /// `extra_ca_pem` (PEM, may be empty) is trusted besides the webpki roots for `rediss://`.
    pub fn connect(url: &str, prefix: &str, extra_ca_pem: &[u8]) -> Result<RedisBackplane> {
        if prefix.is_empty() || prefix.len() > 128 || prefix.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::config("backplane_prefix must be 1 to 128 characters without spaces"));
        }
        let dial = Arc::new(dial::Dialer::new(url, &redact(url), extra_ca_pem)?);
        let handle = crate::runtime::handle()?;
        let (stop, _) = watch::channel(false);
        let token = format!("{:016x}{:016x}", rand::random::<u64>(), rand::random::<u64>());
        let mut sh = Shared {
            dial,
            url_shown: redact(url),
            prefix: prefix.to_string(),
            node: 0,
            instance: rand::random::<u32>(),
            token,
            local: OnceLock::new(),
            state: AtomicU8::new(STATE_CONNECTING),
            stats: Stats::default(),
            info: Mutex::new(Info { last_error: None, since: Instant::now(), channels: 0, live_nodes: Vec::new(), node_id_conflict: false }),
            dirty: Mutex::new(HashSet::new()),
            wake: Notify::new(),
            remote: RwLock::new(HashMap::new()),
            stop,
            stopped: AtomicBool::new(false),
            done: Mutex::new(None),
        };

        // Claim a node id: connect and try random ids until one is free.
        let (tx, rx) = std::sync::mpsc::channel();
        let dial = sh.dial.clone();
        let (prefix_c, token_c) = (sh.prefix.clone(), sh.token.clone());
        handle.spawn(async move {
            let r = async {
                let mut conn = tokio::time::timeout(IO_TIMEOUT, connect_cmd(&dial))
                    .await
                    .map_err(|_| redis_err("connect", "timed out"))?
                    .map_err(|e| redis_err("connect", e))?;
                for _ in 0..32 {
                    let node = rand::random_range(1..=MAX_NODE_ID);
                    let (ok, _) = tokio::time::timeout(IO_TIMEOUT, heartbeat(&prefix_c, &token_c, &mut conn, node))
                        .await
                        .map_err(|_| redis_err("claiming a node id", "timed out"))?
                        .map_err(|e| redis_err("claiming a node id", e))?;
                    if ok {
                        return Ok((node, conn));
                    }
                }
                Err(redis_err("claiming a node id", "no free id after 32 tries"))
            }
            .await;
            let _ = tx.send(r);
        });
        let (node, conn) = rx
            .recv_timeout(IO_TIMEOUT * 3)
            .map_err(|_| redis_err("connect", "timed out"))??;
        sh.node = node;
        let shared = Arc::new(sh);
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        *shared.done.lock().unwrap_or_else(|e| e.into_inner()) = Some(done_rx);
        let (conn_tx, conn_rx) = watch::channel(None);
        let (tx, rx) = mpsc::channel(PUBLISH_QUEUE);
        handle.spawn(publisher(shared.clone(), rx, conn_rx));
        let driver_shared = shared.clone();
        handle.spawn(async move {
            Driver::new(driver_shared, conn_tx).run(Some(conn)).await;
            let _ = done_tx.send(());
        });
        Ok(RedisBackplane { shared, tx })
    }

    /// This node's id (also [`Backplane::node_id`]).
    pub fn node(&self) -> u32 {
        self.shared.node
    }

    /// Whether the backplane is connected to Redis now.
    pub fn is_connected(&self) -> bool {
        self.shared.state.load(Ordering::Acquire) == STATE_UP
    }

    fn enqueue(&self, channel: String, kind: Kind, conn: ConnId, payload: &Payload) -> Result<()> {
        let sh = &self.shared;
        match sh.state.load(Ordering::Acquire) {
            STATE_UP => {}
            STATE_STOPPED => {
                sh.inc(&sh.stats.publish_failed);
                return Err(Error::new(ErrorCode::Shutdown, "redis backplane: shut down"));
            }
            _ => {
                sh.inc(&sh.stats.publish_failed);
                let why = sh.info.lock().unwrap_or_else(|e| e.into_inner()).last_error.clone().unwrap_or_default();
                return Err(Error::new(ErrorCode::Io, format!("redis backplane: not connected to Redis ({why}); message not sent")));
            }
        }
        let out = Outgoing { channel: channel.into(), kind, conn, payload: payload.clone() };
        match self.tx.try_send(out) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => {
                sh.inc(&sh.stats.publish_dropped);
                Err(Error::new(ErrorCode::QueueFull, "redis backplane: publish queue full; message dropped"))
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                sh.inc(&sh.stats.publish_failed);
                Err(Error::new(ErrorCode::Shutdown, "redis backplane: shut down"))
            }
        }
    }

    fn mark(&self, topic: &Topic) {
        self.shared.dirty.lock().unwrap_or_else(|e| e.into_inner()).insert(topic.clone());
        self.shared.wake.notify_one();
    }
}

impl Backplane for RedisBackplane {
    fn attach(&self, local: Weak<dyn LocalDelivery>) {
        let _ = self.shared.local.set(local);
        self.shared.wake.notify_one();
    }

    fn publish(&self, topic: &Topic, payload: &Payload, except: Option<ConnId>) -> usize {
        let n = self.shared.local().map_or(0, |l| l.deliver(topic, payload, except));
        let _ = self.enqueue(self.shared.channel(topic), Kind::Topic, except.unwrap_or(0), payload);
        n
    }

    fn send_remote(&self, conn: ConnId, payload: &Payload) -> Result<()> {
        let node = super::node_of(conn);
        if node == 0 || node > MAX_NODE_ID {
            return Err(Error::new(ErrorCode::NotFound, format!("no open connection with id {conn}")));
        }
        self.enqueue(self.shared.inbox(node), Kind::Direct, conn, payload)
    }

    fn subscribe(&self, topic: &Topic) {
        self.mark(topic);
    }

    fn unsubscribe(&self, topic: &Topic) {
        self.mark(topic);
    }

    fn members_changed(&self, topic: &Topic) {
        if matches!(topic, Topic::Group(_)) {
            self.mark(topic);
        }
    }

    fn group_size(&self, group: &str) -> Option<usize> {
        let local = self.shared.local().map_or(0, |l| l.member_count(&Topic::Group(group.to_string())));
        let remote: usize = self
            .shared
            .remote
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter_map(|groups| groups.get(group))
            .map(|&n| n as usize)
            .sum();
        Some(local + remote)
    }

    fn node_id(&self) -> u32 {
        self.shared.node
    }

    fn name(&self) -> &'static str {
        "redis"
    }

    fn status_json(&self) -> String {
        let sh = &self.shared;
        let state = match sh.state.load(Ordering::Acquire) {
            STATE_CONNECTING => "connecting",
            STATE_UP => "up",
            STATE_DOWN => "down",
            _ => "stopped",
        };
        let info = sh.info.lock().unwrap_or_else(|e| e.into_inner());
        let mut s = String::with_capacity(512);
        let _ = write!(
            s,
            "{{\"kind\":\"redis\",\"url\":{},\"prefix\":{},\"node\":{},\"state\":\"{state}\",\"connected\":{},\"state_for_s\":{:.1},\"last_error\":{},\"channels\":{},\"pending_changes\":{},\"publish_queue\":{},\"node_id_conflict\":{},\"live_nodes\":{:?},\"counters\":{{",
            crate::hub::metrics::json_str(&sh.url_shown),
            crate::hub::metrics::json_str(&sh.prefix),
            sh.node,
            state == "up",
            info.since.elapsed().as_secs_f64(),
            info.last_error.as_deref().map_or("null".to_string(), crate::hub::metrics::json_str),
            info.channels,
            sh.dirty.lock().unwrap_or_else(|e| e.into_inner()).len(),
            PUBLISH_QUEUE - self.tx.capacity(),
            info.node_id_conflict,
            info.live_nodes,
        );
        drop(info);
        for (i, (name, _, v)) in sh.stats.snapshot().iter().enumerate() {
            let _ = write!(s, "{}\"{name}\":{v}", if i > 0 { "," } else { "" });
        }
        s.push_str("}}");
        s
    }

    fn counters(&self) -> Vec<(&'static str, &'static str, u64)> {
        self.shared.stats.snapshot()
    }

    fn shutdown(&self) {
        let sh = &self.shared;
        if sh.stopped.swap(true, Ordering::AcqRel) {
            return;
        }
        sh.set_state(STATE_STOPPED);
        let _ = sh.stop.send(true);
        // Off the runtime, wait briefly for the node to leave Redis cleanly (its TTL covers the rest).
        if tokio::runtime::Handle::try_current().is_err() {
            if let Some(rx) = sh.done.lock().unwrap_or_else(|e| e.into_inner()).take() {
                let _ = rx.recv_timeout(Duration::from_secs(2));
            }
        }
    }
}

/// Resolves once the backplane is shutting down.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Sends queued frames as pipelines of PUBLISH, in queue order, one pipeline at a time.
async fn publisher(sh: Arc<Shared>, mut rx: mpsc::Receiver<Outgoing>, conn: watch::Receiver<Option<MultiplexedConnection>>) {
    let mut seqs: HashMap<Arc<str>, u64> = HashMap::new();
    let mut epoch: u32 = 0;
    let mut batch = Vec::with_capacity(PIPELINE_MAX);
    let mut stop = sh.stop.subscribe();
    loop {
        batch.clear();
        tokio::select! {
            n = rx.recv_many(&mut batch, PIPELINE_MAX) => if n == 0 { return },
            _ = stopped(&mut stop) => return,
        }
        let current = conn.borrow().clone();
        let Some(mut c) = current else {
            sh.stats.publish_failed.fetch_add(batch.len() as u64, Ordering::Relaxed);
            continue;
        };
        if seqs.len() > MAX_SEQ_CHANNELS {
            seqs.clear();
            epoch = epoch.wrapping_add(1);
        }
        let mut pipe = redis::pipe();
        for m in &batch {
            let seq = seqs.entry(m.channel.clone()).or_insert(0);
            *seq += 1;
            let h = sh.header(m.kind, !m.payload.is_text(), epoch, *seq, m.conn);
            pipe.cmd("PUBLISH").arg(&*m.channel).arg(wire::encode_payload(&h, &m.payload));
        }
        sh.inc(&sh.stats.pipelines);
        match pipe.query_async::<Vec<i64>>(&mut c).await {
            Ok(receivers) => {
                sh.stats.published.fetch_add(batch.len() as u64, Ordering::Relaxed);
                let unroutable = batch.iter().zip(&receivers).filter(|(m, &n)| m.kind == Kind::Direct && n == 0).count();
                sh.stats.direct_unroutable.fetch_add(unroutable as u64, Ordering::Relaxed);
            }
            Err(e) => {
                sh.stats.publish_failed.fetch_add(batch.len() as u64, Ordering::Relaxed);
                sh.set_error(format!("publish: {e}"));
            }
        }
    }
}

/// Sequence tracking of one channel: last (epoch, seq) per publishing process.
#[derive(Default)]
struct Seen(HashMap<(u32, u32), (u32, u64)>);

impl Seen {
    fn track(&mut self, h: &Header, stats: &Stats) {
        match self.0.get_mut(&(h.node, h.instance)) {
            Some((epoch, last)) if *epoch == h.epoch => {
                if h.seq > *last + 1 {
                    stats.missed.fetch_add(h.seq - *last - 1, Ordering::Relaxed);
                } else if h.seq <= *last {
                    stats.out_of_order.fetch_add(1, Ordering::Relaxed);
                }
                *last = (*last).max(h.seq);
            }
            _ => {
                if self.0.len() >= 4096 {
                    self.0.clear();
                }
                self.0.insert((h.node, h.instance), (h.epoch, h.seq));
            }
        }
    }
}

/// A subscribed topic channel.
struct Sub {
    topic: Topic,
    seen: Seen,
    /// SUBSCRIBE acknowledged on the current connection.
    active: bool,
}

/// The connection owner: subscriptions, receiving, heartbeat, presence.
struct Driver {
    sh: Arc<Shared>,
    conn_tx: watch::Sender<Option<MultiplexedConnection>>,
    /// Channels this node wants (topics with local members) and their state.
    subs: HashMap<String, Sub>,
    inbox: String,
    inbox_seen: Seen,
    presence: String,
    /// Member counts per group last written to Redis.
    announced: HashMap<String, u32>,
    presence_epoch: u32,
    presence_seq: u64,
    connected_once: bool,
}

enum Exit {
    Stop,
    Lost(String),
}

impl Driver {
    fn new(sh: Arc<Shared>, conn_tx: watch::Sender<Option<MultiplexedConnection>>) -> Driver {
        let inbox = sh.inbox(sh.node);
        let presence = sh.presence_channel();
        Driver {
            sh,
            conn_tx,
            subs: HashMap::new(),
            inbox,
            inbox_seen: Seen::default(),
            presence,
            announced: HashMap::new(),
            presence_epoch: 0,
            presence_seq: 0,
            connected_once: false,
        }
    }

    async fn run(mut self, mut first: Option<MultiplexedConnection>) {
        let mut stop = self.sh.stop.subscribe();
        let mut attempt = 0u32;
        loop {
            if *stop.borrow() {
                break;
            }
            let conn = match first.take() {
                Some(c) => Ok(c),
                None => match tokio::time::timeout(IO_TIMEOUT, connect_cmd(&self.sh.dial)).await {
                    Ok(r) => r.map_err(|e| e.to_string()),
                    Err(_) => Err("connect timed out".to_string()),
                },
            };
            let conns = match conn {
                Ok(c) => match tokio::time::timeout(IO_TIMEOUT, self.sh.dial.pubsub()).await {
                    Ok(Ok(ps)) => Ok((c, ps)),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("pub/sub connect timed out".to_string()),
                },
                Err(e) => Err(e),
            };
            let exit = match conns {
                Ok((conn, ps)) => self.session(conn, ps, &mut stop, &mut attempt).await,
                Err(e) => Exit::Lost(e),
            };
            self.conn_tx.send_replace(None);
            match exit {
                Exit::Stop => break,
                Exit::Lost(e) => {
                    let sh = &self.sh;
                    if sh.state.load(Ordering::Acquire) == STATE_UP {
                        sh.inc(&sh.stats.disconnects);
                    } else {
                        sh.inc(&sh.stats.connect_failures);
                    }
                    sh.set_error(&e);
                    if sh.state.load(Ordering::Acquire) != STATE_STOPPED {
                        sh.set_state(STATE_DOWN);
                    }
                    for s in self.subs.values_mut() {
                        s.active = false;
                    }
                    self.sh.info.lock().unwrap_or_else(|e| e.into_inner()).channels = 0;
                }
            }
            // Backoff with jitter: 100 ms doubling to 5 s, scaled by 0.5..1.0.
            let base = BACKOFF_MIN.as_secs_f64() * 2f64.powi(attempt.min(16) as i32);
            let delay = Duration::from_secs_f64(base.min(BACKOFF_MAX.as_secs_f64()) * (0.5 + 0.5 * rand::random::<f64>()));
            attempt = attempt.saturating_add(1);
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = stopped(&mut stop) => break,
            }
        }
        self.leave().await;
    }

    /// One connected period: returns why it ended.
    async fn session(
        &mut self,
        mut conn: MultiplexedConnection,
        ps: redis::aio::PubSub,
        stop: &mut watch::Receiver<bool>,
        attempt: &mut u32,
    ) -> Exit {
        let (mut sink, mut stream) = ps.split();
        // Everything the node wants now, in one go.
        self.take_dirty();
        let mut channels: Vec<String> = vec![self.inbox.clone(), self.presence.clone()];
        channels.extend(self.subs.keys().cloned());
        for chunk in channels.chunks(SUBSCRIBE_CHUNK) {
            if let Err(e) = self.command(&mut sink, "SUBSCRIBE", chunk).await {
                return Exit::Lost(e);
            }
        }
        for s in self.subs.values_mut() {
            s.active = true;
        }
        // Node id, live nodes, the others' presence, and ours.
        self.sh.remote.write().unwrap_or_else(|e| e.into_inner()).clear();
        if let Err(e) = self.heartbeat(&mut conn).await {
            return Exit::Lost(e);
        }
        if let Err(e) = self.announce_all(&mut conn).await {
            return Exit::Lost(e);
        }
        self.conn_tx.send_replace(Some(conn.clone()));
        self.sh.info.lock().unwrap_or_else(|e| e.into_inner()).channels = self.subs.len();
        if self.connected_once {
            self.sh.inc(&self.sh.stats.reconnects);
        }
        self.connected_once = true;
        self.sh.set_state(STATE_UP);
        *attempt = 0;
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
        loop {
            tokio::select! {
                biased;
                _ = stopped(stop) => return Exit::Stop,
                _ = self.sh.wake.notified() => {
                    if let Err(e) = self.reconcile(&mut sink, &mut conn).await {
                        return Exit::Lost(e);
                    }
                }
                _ = tick.tick() => {
                    if let Err(e) = self.heartbeat(&mut conn).await {
                        return Exit::Lost(e);
                    }
                }
                m = stream.next() => match m {
                    Some(msg) => self.on_message(&msg),
                    None => return Exit::Lost("connection to Redis lost".into()),
                },
            }
        }
    }

    async fn command(&self, sink: &mut PubSubSink, cmd: &str, channels: &[String]) -> std::result::Result<(), String> {
        self.sh.inc(&self.sh.stats.subscribe_commands);
        let f = async {
            if cmd == "SUBSCRIBE" {
                sink.subscribe(channels).await
            } else {
                sink.unsubscribe(channels).await
            }
        };
        match tokio::time::timeout(IO_TIMEOUT, f).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("{cmd}: {e}")),
            Err(_) => Err(format!("{cmd}: timed out")),
        }
    }

    /// Applies membership changes to the wanted set; returns (to subscribe, to unsubscribe,
    /// groups whose count may have changed).
    fn take_dirty(&mut self) -> (Vec<String>, Vec<String>, Vec<String>) {
        let dirty = std::mem::take(&mut *self.sh.dirty.lock().unwrap_or_else(|e| e.into_inner()));
        let (mut add, mut remove, mut groups) = (Vec::new(), Vec::new(), Vec::new());
        let Some(local) = self.sh.local() else {
            // Not attached yet (or the hub is gone): keep the changes for later.
            self.sh.dirty.lock().unwrap_or_else(|e| e.into_inner()).extend(dirty);
            return (add, remove, groups);
        };
        for topic in dirty {
            let channel = self.sh.channel(&topic);
            let want = local.has_members(&topic);
            let have = self.subs.contains_key(&channel);
            if want && !have {
                self.subs.insert(channel.clone(), Sub { topic: topic.clone(), seen: Seen::default(), active: false });
                add.push(channel);
            } else if !want && have {
                self.subs.remove(&channel);
                remove.push(channel);
            }
            if let Topic::Group(g) = topic {
                groups.push(g);
            }
        }
        (add, remove, groups)
    }

    async fn reconcile(&mut self, sink: &mut PubSubSink, conn: &mut MultiplexedConnection) -> std::result::Result<(), String> {
        let (add, remove, groups) = self.take_dirty();
        for chunk in remove.chunks(SUBSCRIBE_CHUNK) {
            self.command(sink, "UNSUBSCRIBE", chunk).await?;
        }
        for chunk in add.chunks(SUBSCRIBE_CHUNK) {
            self.command(sink, "SUBSCRIBE", chunk).await?;
            for c in chunk {
                if let Some(s) = self.subs.get_mut(c) {
                    s.active = true;
                }
            }
        }
        let active = self.subs.values().filter(|s| s.active).count();
        self.sh.info.lock().unwrap_or_else(|e| e.into_inner()).channels = active;
        if !groups.is_empty() {
            self.announce(conn, groups, false).await?;
        }
        Ok(())
    }

    /// Writes this node's count of each group in `groups` to Redis and tells the other nodes.
    async fn announce(&mut self, conn: &mut MultiplexedConnection, groups: Vec<String>, all: bool) -> std::result::Result<(), String> {
        let Some(local) = self.sh.local() else { return Ok(()) };
        let key = self.sh.members_key(self.sh.node);
        let mut pipe = redis::pipe();
        let mut n = 0;
        for g in groups {
            let count = local.member_count(&Topic::Group(g.clone())) as u32;
            let before = self.announced.get(&g).copied().unwrap_or(0);
            if count == before && !all {
                continue;
            }
            if count == 0 {
                pipe.cmd("HDEL").arg(&key).arg(&g).ignore();
                self.announced.remove(&g);
            } else {
                pipe.cmd("HSET").arg(&key).arg(&g).arg(count).ignore();
                self.announced.insert(g.clone(), count);
            }
            self.presence_seq += 1;
            let h = self.sh.header(Kind::Presence, false, self.presence_epoch, self.presence_seq, 0);
            pipe.cmd("PUBLISH").arg(&self.presence).arg(wire::encode(&h, &wire::presence_body(&g, count))).ignore();
            n += 1;
        }
        if n == 0 {
            return Ok(());
        }
        pipe.cmd("EXPIRE").arg(&key).arg(NODE_TTL.as_secs()).ignore();
        match tokio::time::timeout(IO_TIMEOUT, pipe.query_async::<()>(conn)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("presence: {e}")),
            Err(_) => Err("presence: timed out".into()),
        }
    }

    /// After (re)connecting: rewrites this node's presence hash from the local counts.
    async fn announce_all(&mut self, conn: &mut MultiplexedConnection) -> std::result::Result<(), String> {
        let mut groups: HashSet<String> = self.announced.keys().cloned().collect();
        groups.extend(self.subs.values().filter_map(|s| match &s.topic {
            Topic::Group(g) => Some(g.clone()),
            Topic::Route(_) => None,
        }));
        let _: redis::RedisResult<()> = redis::cmd("DEL").arg(self.sh.members_key(self.sh.node)).query_async(conn).await;
        self.announced.clear();
        self.announce(conn, groups.into_iter().collect(), true).await
    }

    /// Refreshes the node id, learns the live nodes, drops dead nodes' presence and loads new ones'.
    async fn heartbeat(&mut self, conn: &mut MultiplexedConnection) -> std::result::Result<(), String> {
        let sh = self.sh.clone();
        let (ok, live) = match tokio::time::timeout(IO_TIMEOUT, heartbeat(&sh.prefix, &sh.token, conn, sh.node)).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Err(format!("heartbeat: {e}")),
            Err(_) => return Err("heartbeat: timed out".into()),
        };
        if !ok {
            sh.inc(&sh.stats.node_id_conflicts);
        }
        let others: Vec<u32> = live.iter().copied().filter(|&n| n != sh.node).collect();
        let unknown: Vec<u32> = {
            let mut remote = sh.remote.write().unwrap_or_else(|e| e.into_inner());
            remote.retain(|n, _| others.contains(n));
            others.iter().copied().filter(|n| !remote.contains_key(n)).collect()
        };
        if !unknown.is_empty() {
            let mut pipe = redis::pipe();
            for &n in &unknown {
                pipe.cmd("HGETALL").arg(sh.members_key(n));
            }
            let maps: Vec<HashMap<String, u32>> = match tokio::time::timeout(IO_TIMEOUT, pipe.query_async(conn)).await {
                Ok(Ok(m)) => m,
                Ok(Err(e)) => return Err(format!("presence load: {e}")),
                Err(_) => return Err("presence load: timed out".into()),
            };
            let mut remote = sh.remote.write().unwrap_or_else(|e| e.into_inner());
            for (n, m) in unknown.into_iter().zip(maps) {
                // Announcements that arrived meanwhile are newer than the snapshot.
                let entry = remote.entry(n).or_default();
                for (g, c) in m {
                    entry.entry(g).or_insert(c);
                }
            }
        }
        let mut info = sh.info.lock().unwrap_or_else(|e| e.into_inner());
        info.node_id_conflict = !ok;
        info.live_nodes = live;
        Ok(())
    }

    fn on_message(&mut self, msg: &redis::Msg) {
        let sh = self.sh.clone();
        let stats = &sh.stats;
        sh.inc(&stats.received);
        let frame = msg.get_payload_bytes();
        let h = match wire::decode_header(frame) {
            Ok(h) => h,
            Err(_) => {
                sh.inc(&stats.decode_errors);
                return;
            }
        };
        if h.node == sh.node && h.instance == sh.instance {
            sh.inc(&stats.skipped_own);
            return;
        }
        match h.kind {
            Kind::Presence => match wire::decode_presence(frame) {
                Ok((group, count)) => {
                    let mut remote = sh.remote.write().unwrap_or_else(|e| e.into_inner());
                    if group.is_empty() {
                        remote.remove(&h.node);
                    } else if count == 0 {
                        if let Some(m) = remote.get_mut(&h.node) {
                            m.remove(&group);
                        }
                    } else {
                        remote.entry(h.node).or_default().insert(group, count);
                    }
                }
                Err(_) => sh.inc(&stats.decode_errors),
            },
            Kind::Direct => {
                if msg.get_channel_name() != self.inbox {
                    return;
                }
                self.inbox_seen.track(&h, stats);
                let Ok(payload) = wire::decode_payload(&h, frame) else {
                    sh.inc(&stats.decode_errors);
                    return;
                };
                match sh.local() {
                    Some(l) if l.deliver_to(h.conn, &payload) => sh.inc(&stats.delivered_direct),
                    _ => sh.inc(&stats.direct_not_found),
                }
            }
            Kind::Topic => {
                let Some(sub) = self.subs.get_mut(msg.get_channel_name()) else { return };
                sub.seen.track(&h, stats);
                let Ok(payload) = wire::decode_payload(&h, frame) else {
                    sh.inc(&stats.decode_errors);
                    return;
                };
                if let Some(l) = sh.local() {
                    l.deliver(&sub.topic, &payload, (h.conn != 0).then_some(h.conn));
                    sh.inc(&stats.delivered_topic);
                }
            }
        }
    }

    /// Best effort on shutdown: release the node id and tell the others it left.
    async fn leave(&mut self) {
        let sh = self.sh.clone();
        let f = async {
            let mut conn = connect_cmd(&sh.dial).await?;
            self.presence_seq += 1;
            let h = sh.header(Kind::Presence, false, self.presence_epoch, self.presence_seq, 0);
            redis::pipe()
                .cmd("EVAL")
                .arg(RELEASE_SCRIPT)
                .arg(3)
                .arg(sh.node_key(sh.node))
                .arg(sh.members_key(sh.node))
                .arg(sh.nodes_key())
                .arg(&sh.token)
                .arg(sh.node)
                .ignore()
                .cmd("PUBLISH")
                .arg(&self.presence)
                .arg(wire::encode(&h, &wire::presence_body("", 0)))
                .ignore()
                .query_async::<()>(&mut conn)
                .await
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), f).await;
        sh.set_state(STATE_STOPPED);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_the_password_only() {
        assert_eq!(redact("redis://127.0.0.1:6379/"), "redis://127.0.0.1:6379/");
        assert_eq!(redact("redis://:s3cret@host:6379/0"), "redis://:***@host:6379/0");
        assert_eq!(redact("rediss://user:p@ss@host/"), "rediss://user:***@host/");
    }

    fn h(node: u32, instance: u32, epoch: u32, seq: u64) -> Header {
        Header { kind: Kind::Topic, binary: false, node, instance, epoch, seq, conn: 0 }
    }

    #[test]
    fn sequence_gaps_are_counted_per_publisher() {
        let stats = Stats::default();
        let mut seen = Seen::default();
        seen.track(&h(1, 9, 0, 5), &stats); // first frame: baseline, no loss
        seen.track(&h(1, 9, 0, 6), &stats);
        seen.track(&h(2, 3, 0, 1), &stats); // another publisher
        seen.track(&h(1, 9, 0, 9), &stats); // 7 and 8 missing
        assert_eq!(stats.missed.load(Ordering::Relaxed), 2);
        seen.track(&h(1, 9, 1, 1), &stats); // new epoch: baseline again
        seen.track(&h(1, 7, 0, 100), &stats); // restarted process (new instance): baseline
        assert_eq!(stats.missed.load(Ordering::Relaxed), 2);
        seen.track(&h(1, 9, 1, 1), &stats); // duplicate
        assert_eq!(stats.out_of_order.load(Ordering::Relaxed), 1);
    }
}
