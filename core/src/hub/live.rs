//! Live streams: routes whose messages are *state* (a camera's position, a sensor's value), so
//! a slow subscriber wants the newest value per key, not every value in order, seconds late.
//!
//! A route with a [`LiveConfig`](crate::config::LiveConfig) gives each message a key (a JSON
//! field, a byte prefix, or one key for the whole stream), found once per publish. Then, per
//! subscriber:
//! - **conflation**: while a subscriber's queue holds more than `threshold` messages, a new
//!   message replaces the queued one with the same key, in that one's place, and an older value
//!   with a newer one queued behind it is skipped when its turn comes (distinct keys keep their
//!   order, a key's values never go back in time); a subscriber that keeps up gets every message;
//! - **rate cap**: a subscriber may ask (`?max_rate=N` on its URL, or the host with
//!   `Hub::set_max_rate`) for at most N messages per second per key; the newest value waits for
//!   the next slot;
//! - **staleness**: a message older than `max_age` when its turn comes is not written;
//! - **snapshot**: a new subscriber first gets the latest value of every key (at most
//!   `max_keys`, oldest keys evicted).
//!
//! Each of these is counted per route ([`LiveStats`]). Conflation happens at the node of each
//! subscriber, so it works the same across hubs joined by a backplane.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::config::{KeyRule, LiveConfig};
use crate::event::Payload;

/// Finds the key of a message; `None` when it has none (never conflated).
pub(crate) fn key_of(rule: &KeyRule, payload: &[u8]) -> Option<Bytes> {
    match rule {
        KeyRule::Stream => Some(Bytes::new()),
        KeyRule::Prefix(n) => (payload.len() >= *n).then(|| Bytes::copy_from_slice(&payload[..*n])),
        KeyRule::JsonPointer(p) => {
            let v: serde_json::Value = serde_json::from_slice(payload).ok()?;
            let k = v.pointer(p)?;
            Some(Bytes::from(match k {
                serde_json::Value::String(s) => s.clone().into_bytes(),
                other => other.to_string().into_bytes(),
            }))
        }
    }
}

/// Per-route counters of live-stream handling.
#[derive(Debug, Default)]
pub(crate) struct LiveStats {
    /// Queued messages replaced by a newer one with the same key.
    pub(crate) replaced: AtomicU64,
    /// Messages not sent because a subscriber's rate cap let a newer one through instead.
    pub(crate) rate_limited: AtomicU64,
    /// Messages older than `max_age` when their turn came.
    pub(crate) expired: AtomicU64,
    /// Snapshot messages sent to joining subscribers.
    pub(crate) snapshot_sent: AtomicU64,
    /// Keys evicted from the snapshot (over `max_keys`).
    pub(crate) snapshot_evicted: AtomicU64,
}

impl LiveStats {
    pub(crate) fn inc(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }
    /// `(name, value)` of every counter.
    pub(crate) fn snapshot(&self) -> [(&'static str, u64); 5] {
        [
            ("replaced", self.replaced.load(Ordering::Relaxed)),
            ("rate_limited", self.rate_limited.load(Ordering::Relaxed)),
            ("expired", self.expired.load(Ordering::Relaxed)),
            ("snapshot_sent", self.snapshot_sent.load(Ordering::Relaxed)),
            ("snapshot_evicted", self.snapshot_evicted.load(Ordering::Relaxed)),
        ]
    }
}

/// The latest value of every key of a route (for snapshots), bounded by `max_keys`.
pub(crate) struct Latest {
    max_keys: usize,
    values: HashMap<Bytes, (u64, Payload)>,
    /// Update order → key, oldest first (the eviction order).
    order: BTreeMap<u64, Bytes>,
    next: u64,
}

impl Latest {
    pub(crate) fn new(max_keys: usize) -> Mutex<Self> {
        Mutex::new(Latest { max_keys, values: HashMap::new(), order: BTreeMap::new(), next: 0 })
    }

    /// Records `payload` as the latest value of `key`; returns whether a key was evicted.
    pub(crate) fn update(&mut self, key: Bytes, payload: &Payload) -> bool {
        let n = self.next;
        self.next += 1;
        if let Some((old, _)) = self.values.insert(key.clone(), (n, payload.clone())) {
            self.order.remove(&old);
        }
        self.order.insert(n, key);
        if self.values.len() > self.max_keys {
            if let Some((_, k)) = self.order.pop_first() {
                self.values.remove(&k);
                return true;
            }
        }
        false
    }

    /// Every key's latest value, least recently updated first.
    pub(crate) fn values(&self) -> Vec<(Bytes, Payload)> {
        self.order.values().filter_map(|k| self.values.get(k).map(|(_, p)| (k.clone(), p.clone()))).collect()
    }
}

/// The live-stream state of one subscriber's queue.
pub(crate) struct SubscriberLive {
    pub(crate) threshold: usize,
    pub(crate) max_age: Option<Duration>,
    max_keys: usize,
    /// Minimum time between two messages of one key (the rate cap).
    pub(crate) interval: Option<Duration>,
    /// Key → sequence number of its newest queued message.
    pub(crate) slots: HashMap<Bytes, u64>,
    /// Sequence number of the queue's front.
    pub(crate) head: u64,
    /// Rate cap: when each key was last let through.
    pub(crate) last_sent: HashMap<Bytes, Instant>,
    /// Rate cap: the newest value of each key waiting for its slot.
    pub(crate) held: HashMap<Bytes, super::outbox::Outgoing>,
}

impl SubscriberLive {
    /// State for a subscriber of a route with `cfg`, capped at `max_rate` messages per second
    /// per key (from the subscriber's URL or the route's default).
    pub(crate) fn new(cfg: &LiveConfig, max_rate: Option<f64>) -> Box<Self> {
        Box::new(SubscriberLive {
            threshold: cfg.threshold,
            max_age: cfg.max_age,
            max_keys: cfg.max_keys,
            interval: rate_interval(max_rate.or(cfg.max_rate)),
            slots: HashMap::new(),
            head: 0,
            last_sent: HashMap::new(),
            held: HashMap::new(),
        })
    }

    /// Whether the rate cap lets a message of `key` through now (and records it if so).
    pub(crate) fn admit(&mut self, key: &Bytes, now: Instant) -> bool {
        let Some(interval) = self.interval else { return true };
        match self.last_sent.get(key) {
            Some(&last) if now < last + interval => false,
            _ => {
                if self.last_sent.len() >= self.max_keys {
                    self.last_sent.retain(|_, t| now < *t + interval);
                }
                self.last_sent.insert(key.clone(), now);
                true
            }
        }
    }

    /// Held values whose slot has come, and the time of the next one.
    pub(crate) fn due(&mut self, now: Instant) -> (Vec<super::outbox::Outgoing>, Option<Instant>) {
        let Some(interval) = self.interval else { return (Vec::new(), None) };
        let mut ready = Vec::new();
        let mut next: Option<Instant> = None;
        let keys: Vec<Bytes> = self.held.keys().cloned().collect();
        for k in keys {
            let at = self.last_sent.get(&k).map_or(now, |&t| t + interval);
            if at <= now {
                if let Some(m) = self.held.remove(&k) {
                    self.last_sent.insert(k, now);
                    ready.push(m);
                }
            } else {
                next = Some(next.map_or(at, |n: Instant| n.min(at)));
            }
        }
        (ready, next)
    }

    /// Holds `m` for its key's next slot; returns true if it replaced an older held value.
    pub(crate) fn hold(&mut self, key: Bytes, m: super::outbox::Outgoing) -> bool {
        if self.held.len() >= self.max_keys && !self.held.contains_key(&key) {
            // Bounded: a flood of new keys cannot grow this map; the new value is dropped.
            return true;
        }
        self.held.insert(key, m).is_some()
    }
}

/// The interval of a rate cap of `rate` messages per second (None or ≤ 0: no cap).
pub(crate) fn rate_interval(rate: Option<f64>) -> Option<Duration> {
    rate.filter(|r| r.is_finite() && *r > 0.0).map(|r| Duration::from_secs_f64(1.0 / r))
}

/// The `max_rate` query parameter of a subscriber's URL, if any.
pub(crate) fn max_rate_param(query: &str) -> Option<f64> {
    query.split('&').find_map(|kv| kv.strip_prefix("max_rate=")).and_then(|v| v.parse::<f64>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_by_json_pointer_prefix_and_stream() {
        let p = br#"{"id":"cam1","pos":{"x":1}}"#;
        assert_eq!(key_of(&KeyRule::JsonPointer("/id".into()), p), Some(Bytes::from_static(b"cam1")));
        assert_eq!(key_of(&KeyRule::JsonPointer("/pos/x".into()), p), Some(Bytes::from_static(b"1")));
        assert_eq!(key_of(&KeyRule::JsonPointer("/missing".into()), p), None);
        assert_eq!(key_of(&KeyRule::JsonPointer("/id".into()), b"not json"), None);
        assert_eq!(key_of(&KeyRule::Prefix(3), b"abcdef"), Some(Bytes::from_static(b"abc")));
        assert_eq!(key_of(&KeyRule::Prefix(8), b"abc"), None);
        assert_eq!(key_of(&KeyRule::Stream, b"x"), Some(Bytes::new()));
    }

    #[test]
    fn latest_keeps_one_value_per_key_and_evicts_the_oldest() {
        let l = Latest::new(2);
        let mut l = l.lock().unwrap();
        assert!(!l.update("a".into(), &Payload::Text("a1".into())));
        assert!(!l.update("b".into(), &Payload::Text("b1".into())));
        assert!(!l.update("a".into(), &Payload::Text("a2".into())));
        assert!(l.update("c".into(), &Payload::Text("c1".into())), "b is the least recently updated");
        let v: Vec<_> = l.values().into_iter().map(|(k, p)| (k, p.as_bytes().to_vec())).collect();
        assert_eq!(v, vec![(Bytes::from("a"), b"a2".to_vec()), (Bytes::from("c"), b"c1".to_vec())]);
    }

    #[test]
    fn max_rate_parameter() {
        assert_eq!(max_rate_param("a=1&max_rate=10"), Some(10.0));
        assert_eq!(max_rate_param("max_rate=x"), None);
        assert_eq!(rate_interval(Some(4.0)), Some(Duration::from_millis(250)));
        assert_eq!(rate_interval(Some(0.0)), None);
    }
}
