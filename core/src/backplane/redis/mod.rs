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
mod driver;
mod node;
mod publisher;
pub mod wire;
mod url;

use std::collections::{HashMap, HashSet};
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
use driver::Driver;
use node::{connect_cmd, heartbeat};
use publisher::publisher;
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

/// How the driver retries Redis: the clients' [`ReconnectPolicy`](crate::config::ReconnectPolicy) without an attempt limit.
fn redis_backoff() -> crate::config::ReconnectPolicy {
    crate::config::ReconnectPolicy {
        max_attempts: u32::MAX,
        initial_delay: BACKOFF_MIN,
        max_delay: BACKOFF_MAX,
        ..crate::config::ReconnectPolicy::backoff(u32::MAX)
    }
}
/// Node ids are drawn from 1..=MAX_NODE_ID.
const MAX_NODE_ID: u32 = 8191;
/// The publisher starts a new sequence epoch after numbering this many channels.
const MAX_SEQ_CHANNELS: usize = 100_000;

const STATE_CONNECTING: u8 = 0;
const STATE_UP: u8 = 1;
const STATE_DOWN: u8 = 2;
const STATE_STOPPED: u8 = 3;


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
        let pending_changes = sh.dirty.lock().unwrap_or_else(|e| e.into_inner()).len();
        let info = sh.info.lock().unwrap_or_else(|e| e.into_inner());
        let status = serde_json::json!({
            "kind": "redis",
            "url": sh.url_shown,
            "prefix": sh.prefix,
            "node": sh.node,
            "state": state,
            "connected": state == "up",
            "state_for_s": (info.since.elapsed().as_secs_f64() * 10.0).round() / 10.0,
            "last_error": info.last_error,
            "channels": info.channels,
            "pending_changes": pending_changes,
            "publish_queue": PUBLISH_QUEUE - self.tx.capacity(),
            "node_id_conflict": info.node_id_conflict,
            "live_nodes": info.live_nodes,
            "counters": crate::json::Counters(sh.stats.snapshot()),
        });
        drop(info);
        status.to_string()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_the_password_only() {
        assert_eq!(redact("redis://127.0.0.1:6379/"), "redis://127.0.0.1:6379/");
        assert_eq!(redact("redis://:s3cret@host:6379/0"), "redis://:***@host:6379/0");
        assert_eq!(redact("rediss://user:p@ss@host/"), "rediss://user:***@host/");
    }
}
