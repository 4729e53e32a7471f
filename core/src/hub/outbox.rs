//! The bounded outbound queue of one hub connection, with its overflow policy, and the
//! hub-wide budget that bounds all queues together.
//!
//! Accounting: a message counts against its queue's `queue_limit` while queued. Against the
//! hub's [`Budget`] it counts **once** however many queues share it: it is charged when it is
//! made ([`Budget::charge`]) and released when the last queue or writer holding it lets go
//! (the charge is dropped with its last clone), so `buffered_bytes` is the outbound payload
//! memory really held.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use bytes::Bytes;

use tokio::sync::Notify;
use tungstenite::Message;

use super::live::{LiveStats, SubscriberLive};
use super::metrics::Counters;
use crate::config::OverflowPolicy;
use crate::ws;

/// Most unanswered pings a connection holds answers for.
const MAX_PONGS: usize = 32;

/// Most bytes the writer of a live-route subscriber takes at once (at least one message).
const LIVE_BATCH_BYTES: usize = 2 << 10;

/// Most bytes the writer takes out of the queue at once (one flush).
const BATCH_BYTES: usize = 256 << 10;

/// What the writer should do next.
pub(crate) enum Batch {
    /// Write these messages, then flush (pongs are plain messages, outside the budget).
    Messages(Vec<Outgoing>, Vec<Message>),
    /// Send a close frame with this code and reason, then stop writing.
    Close(u16, String),
    /// Stop: the connection is gone.
    Finished,
}

/// The hub-wide memory budget of outbound data (`max_buffered`).
#[derive(Debug)]
pub(crate) struct Budget {
    limit: usize,
    used: AtomicUsize,
}

impl Budget {
    /// A budget of `limit` bytes.
    pub(crate) fn new(limit: usize) -> Self {
        Budget { limit, used: AtomicUsize::new(0) }
    }
    /// Whether `len` more bytes would go over the budget.
    fn exceeded(&self) -> bool {
        self.used.load(Ordering::Relaxed) > self.limit
    }
    /// Charges a message to the budget; clones of the result share the one charge.
    pub(crate) fn charge(self: &Arc<Self>, msg: Message) -> Outgoing {
        let len = msg.len();
        self.used.fetch_add(len, Ordering::Relaxed);
        Outgoing { msg, live: None, charge: Arc::new(Charge { len, budget: self.clone(), deflated: OnceLock::new() }) }
    }
    /// Bytes counted now.
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }
    /// The configured limit.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }
}

/// One message's share of the budget, given back when the last holder drops it.
struct Charge {
    len: usize,
    budget: Arc<Budget>,
    /// The message compressed once for every recipient that negotiated the same compressor
    /// (keyed by its profile); charged to the budget with the message.
    deflated: OnceLock<(u32, Bytes)>,
}

impl Drop for Charge {
    fn drop(&mut self) {
        let deflated = self.deflated.get().map_or(0, |(_, b)| b.len());
        self.budget.used.fetch_sub(self.len + deflated, Ordering::Relaxed);
    }
}

/// A message charged to the hub's budget. Clone it for every recipient of a fan-out: the
/// payload and the charge are shared, not copied.
#[derive(Clone)]
pub(crate) struct Outgoing {
    /// The message.
    pub(crate) msg: Message,
    /// On a live route: the message's key and when it was published.
    pub(crate) live: Option<(Bytes, Instant)>,
    charge: Arc<Charge>,
}

impl Outgoing {
    /// The message compressed by the compressor `profile` (no context takeover), computed by
    /// `compress` for the first recipient that asks and shared by every later one. `None`
    /// when another profile got there first or compression failed: compress it yourself.
    pub(crate) fn shared_deflated(&self, profile: u32, compress: impl FnOnce() -> Option<Bytes>) -> Option<Bytes> {
        let c = &self.charge;
        let (p, bytes) = c.deflated.get_or_init(|| {
            // A failed compression is remembered as an impossible profile.
            let (p, b) = compress().map_or((u32::MAX, Bytes::new()), |b| (profile, b));
            c.budget.used.fetch_add(b.len(), Ordering::Relaxed);
            (p, b)
        });
        (*p == profile).then(|| bytes.clone())
    }

    /// Marks a message of a live route with its key and publish time.
    pub(crate) fn keyed(mut self, key: Bytes, born: Instant) -> Self {
        self.live = Some((key, born));
        self
    }
}

impl std::borrow::Borrow<Message> for Outgoing {
    fn borrow(&self) -> &Message {
        &self.msg
    }
}

impl crate::frame_io::AsFrame for Outgoing {
    fn as_frame(&self) -> Option<(u8, u8, &[u8])> {
        self.msg.as_frame()
    }
}

struct Inner {
    queue: VecDeque<Outgoing>,
    bytes: usize,
    /// Pongs to send, oldest first, at most [`MAX_PONGS`].
    pongs: VecDeque<Bytes>,
    close: Option<(u16, String)>,
    /// The close must not wait for queued data (slow consumer, protocol error).
    urgent: bool,
    finished: bool,
    /// Live-route subscribers: conflation and rate-cap state.
    live: Option<Box<SubscriberLive>>,
}

impl Inner {
    /// Takes the front message, keeping the live slots in step.
    fn pop(&mut self) -> Option<Outgoing> {
        let m = self.queue.pop_front()?;
        self.bytes -= size(&m);
        if let Some(l) = self.live.as_mut() {
            if let Some((k, _)) = &m.live {
                if l.slots.get(k) == Some(&l.head) {
                    l.slots.remove(k);
                }
            }
            l.head += 1;
        }
        Some(m)
    }

    /// Whether the front message is out of date: the queue is over the live threshold and a
    /// newer message of the same key is queued behind it (values of a key never go back in time).
    fn superseded_front(&self) -> bool {
        let (Some(l), Some(front)) = (self.live.as_ref(), self.queue.front()) else { return false };
        let Some((k, _)) = &front.live else { return false };
        self.queue.len() > l.threshold && l.slots.get(k).is_some_and(|&newest| newest > l.head)
    }

    /// Drops every queued message.
    fn clear(&mut self) {
        if let Some(l) = self.live.as_mut() {
            l.head += self.queue.len() as u64;
            l.slots.clear();
        }
        self.queue.clear();
        self.bytes = 0;
    }

    /// Appends a message (recording its live slot).
    fn append(&mut self, m: Outgoing) {
        if let (Some(l), Some((k, _))) = (self.live.as_mut(), &m.live) {
            l.slots.insert(k.clone(), l.head + self.queue.len() as u64);
        }
        self.bytes += size(&m);
        self.queue.push_back(m);
    }

    /// Conflation: replaces the queued message with the same key, in place, when the queue is
    /// over the live threshold. Gives the message back when it was not used.
    fn conflate(&mut self, m: Outgoing) -> Result<(), Outgoing> {
        let (Some(l), Some((k, _))) = (self.live.as_ref(), &m.live) else { return Err(m) };
        if self.queue.len() <= l.threshold {
            return Err(m);
        }
        let Some(&seq) = l.slots.get(k) else { return Err(m) };
        let Some(idx) = seq.checked_sub(l.head).map(|i| i as usize).filter(|&i| i < self.queue.len()) else { return Err(m) };
        let new_len = size(&m);
        let old = std::mem::replace(&mut self.queue[idx], m);
        self.bytes = self.bytes - size(&old) + new_len;
        Ok(())
    }
}

/// Outbound queue of one connection. Producers (fan-out, echo, host sends) push; the
/// connection's writer task drains it in batches.
pub(crate) struct Outbox {
    limit: usize,
    policy: OverflowPolicy,
    inner: Mutex<Inner>,
    notify: Notify,
    /// Woken when a close is requested (the writer may be stuck on a slow socket).
    close_notify: Notify,
    /// Woken when the writer takes messages out (room for a sender that waits for it).
    room_notify: Notify,
    counters: Arc<Counters>,
    budget: Arc<Budget>,
    /// The route's live-stream counters (live routes only).
    live_stats: Option<Arc<LiveStats>>,
}

/// Outcome of [`Outbox::push`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// Queued (possibly after dropping older messages).
    Queued,
    /// Not queued: the new message was dropped (`drop_newest`).
    Dropped,
    /// Not queued: the connection is closing or closed.
    Closed,
}

fn size(m: &Outgoing) -> usize {
    m.msg.len()
}

impl Outbox {
    pub(crate) fn new(
        limit: usize,
        policy: OverflowPolicy,
        counters: Arc<Counters>,
        budget: Arc<Budget>,
        live: Option<(Box<SubscriberLive>, Arc<LiveStats>)>,
    ) -> Self {
        let (live, live_stats) = match live {
            Some((l, s)) => (Some(l), Some(s)),
            None => (None, None),
        };
        Outbox {
            limit,
            policy,
            inner: Mutex::new(Inner {
                queue: VecDeque::new(),
                bytes: 0,
                pongs: VecDeque::new(),
                close: None,
                urgent: false,
                finished: false,
                live,
            }),
            notify: Notify::new(),
            close_notify: Notify::new(),
            room_notify: Notify::new(),
            counters,
            budget,
            live_stats,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a message, applying the overflow policy when the queue's byte limit or the hub's
    /// budget is reached. A connection whose queue is empty (it keeps up) always gets its
    /// message, even one larger than the limit: the policy applies to connections that lag.
    pub(crate) fn push(&self, msg: Outgoing) -> Pushed {
        let len = size(&msg) as u64;
        let pushed = self.push_uncounted(msg);
        if pushed == Pushed::Queued {
            self.counters.messages_out.inc();
            self.counters.bytes_out.add(len);
        }
        pushed
    }

    /// [`push`](Self::push) without updating the shared counters: fan-out counts all its
    /// recipients at once instead of bouncing the counters' cache line per recipient.
    pub(crate) fn push_uncounted(&self, msg: Outgoing) -> Pushed {
        let len = size(&msg);
        let mut inner = self.lock();
        if inner.close.is_some() || inner.finished {
            return Pushed::Closed;
        }
        let msg = match self.live_push(&mut inner, msg) {
            Some(m) => m,
            None => return Pushed::Queued,
        };
        let over_limit = inner.bytes + len > self.limit;
        if (over_limit || self.budget.exceeded()) && !inner.queue.is_empty() {
            if !over_limit {
                self.counters.budget_overflows.inc();
            }
            match self.policy {
                OverflowPolicy::DropNewest => {
                    self.counters.dropped_newest.inc();
                    return Pushed::Dropped;
                }
                OverflowPolicy::DropOldest => {
                    while inner.bytes + len > self.limit || (!over_limit && self.budget.exceeded()) {
                        // Under budget pressure a lagging queue keeps only the newest message.
                        if inner.pop().is_none() {
                            break;
                        }
                        self.counters.dropped_oldest.inc();
                    }
                }
                OverflowPolicy::Close => {
                    let dropped = inner.queue.len() as u64 + 1;
                    inner.clear();
                    inner.urgent = true;
                    inner.close = Some((
                        ws::CLOSE_POLICY,
                        if over_limit {
                            format!("slow consumer: outbound queue over {} bytes", self.limit)
                        } else {
                            "slow consumer: the hub's outbound memory budget is reached".to_string()
                        },
                    ));
                    self.counters.slow_consumer_closes.inc();
                    self.counters.dropped_on_close.add(dropped);
                    drop(inner);
                    self.notify.notify_one();
                    self.close_notify.notify_waiters();
                    return Pushed::Closed;
                }
            }
        }
        inner.append(msg);
        let was_empty = inner.queue.len() == 1;
        drop(inner);
        if was_empty {
            self.notify.notify_one();
        }
        Pushed::Queued
    }

    /// Live routes: the rate cap holds a message for its key's next slot, and conflation
    /// replaces a queued one of the same key. `None` when the message was taken care of.
    fn live_push(&self, inner: &mut Inner, msg: Outgoing) -> Option<Outgoing> {
        let Some(stats) = self.live_stats.as_ref() else { return Some(msg) };
        let Some(l) = inner.live.as_mut() else { return Some(msg) };
        let Some((key, _)) = &msg.live else { return Some(msg) };
        if !l.admit(key, Instant::now()) {
            // The key is cloned (a refcount) only for a message that waits.
            if l.hold(key.clone(), msg) {
                LiveStats::inc(&stats.rate_limited);
            }
            self.notify.notify_one();
            return None;
        }
        match inner.conflate(msg) {
            Ok(()) => {
                LiveStats::inc(&stats.replaced);
                None
            }
            Err(m) => Some(m),
        }
    }

    /// Sets a subscriber's rate cap (messages per second per key; `None` lifts it). Only live
    /// routes have one: false elsewhere.
    pub(crate) fn set_max_rate(&self, rate: Option<f64>) -> bool {
        let mut inner = self.lock();
        match inner.live.as_mut() {
            Some(l) => {
                l.interval = super::live::rate_interval(rate);
                drop(inner);
                self.notify.notify_one();
                true
            }
            None => false,
        }
    }

    /// Answers a ping: the pong goes out before queued data. A ping flood holds at most
    /// [`MAX_PONGS`] answers: beyond that the oldest unanswered one is dropped (RFC 6455
    /// §5.5.3 only requires an answer to the most recent ping).
    pub(crate) fn push_pong(&self, payload: Bytes) {
        let mut inner = self.lock();
        if inner.close.is_some() || inner.finished {
            return;
        }
        if inner.pongs.len() >= MAX_PONGS {
            inner.pongs.pop_front();
        }
        inner.pongs.push_back(payload);
        drop(inner);
        self.notify.notify_one();
    }



    /// Queues a control frame (ping) outside the byte limit; false if closing.
    pub(crate) fn push_control(&self, msg: Outgoing) -> bool {
        let mut inner = self.lock();
        if inner.close.is_some() || inner.finished {
            return false;
        }
        inner.append(msg);
        let was_empty = inner.queue.len() == 1;
        drop(inner);
        if was_empty {
            self.notify.notify_one();
        }
        true
    }

    /// Asks the writer to send a close frame after the messages already queued (or at once,
    /// dropping them, when `discard` is set). Returns false if a close was already requested.
    pub(crate) fn request_close(&self, code: u16, reason: &str, discard: bool) -> bool {
        let mut inner = self.lock();
        if inner.close.is_some() || inner.finished {
            return false;
        }
        if discard {
            inner.clear();
            inner.urgent = true;
        }
        inner.close = Some((code, reason.to_string()));
        drop(inner);
        self.notify.notify_one();
        self.close_notify.notify_waiters();
        self.room_notify.notify_waiters();
        true
    }

    /// Marks the connection gone: the writer stops and pushes are refused.
    pub(crate) fn finish(&self) {
        let mut inner = self.lock();
        inner.finished = true;
        inner.clear();
        inner.queue = VecDeque::new();
        inner.pongs = VecDeque::new();
        if let Some(l) = inner.live.as_mut() {
            l.held.clear();
        }
        drop(inner);
        self.notify.notify_one();
        self.close_notify.notify_waiters();
        self.room_notify.notify_waiters();
    }

    /// Whether a close was requested by the hub.
    pub(crate) fn close_requested(&self) -> Option<(u16, String)> {
        self.lock().close.clone()
    }

    /// Whether a message of `len` bytes fits without the overflow policy (or the connection is
    /// closing, when waiting would be pointless).
    pub(crate) fn has_room(&self, len: usize) -> bool {
        let inner = self.lock();
        inner.queue.is_empty() || inner.bytes + len <= self.limit || inner.close.is_some() || inner.finished
    }

    /// Waits until [`has_room`](Self::has_room): back-pressure for a connection that fills its
    /// own queue (echo), instead of treating it as a slow consumer.
    pub(crate) async fn wait_room(&self, len: usize) {
        loop {
            let notified = self.room_notify.notified();
            if self.has_room(len) {
                return;
            }
            notified.await;
        }
    }

    /// Resolves once an urgent close has been requested (or the connection is finished).
    pub(crate) async fn close_wanted(&self) {
        loop {
            let notified = self.close_notify.notified();
            {
                let inner = self.lock();
                if inner.urgent || inner.finished {
                    return;
                }
            }
            notified.await;
        }
    }

    /// Bytes waiting in the queue.
    pub(crate) fn queued_bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Waits for the next batch for the writer.
    pub(crate) async fn next(&self) -> Batch {
        loop {
            let notified = self.notify.notified();
            let mut wake_at: Option<Instant> = None;
            {
                let mut inner = self.lock();
                if inner.finished {
                    return Batch::Finished;
                }
                if !inner.urgent && inner.close.is_none() {
                    wake_at = self.release_held(&mut inner);
                }
                if !inner.queue.is_empty() || (!inner.pongs.is_empty() && !inner.urgent) {
                    let pongs: Vec<Message> = std::mem::take(&mut inner.pongs).into_iter().map(Message::Pong).collect();
                    let mut out = Vec::with_capacity(inner.queue.len().min(64));
                    let mut taken = 0;
                    let max_age = inner.live.as_ref().and_then(|l| l.max_age);
                    // Live routes take little at a time: what waits in the queue can still be
                    // replaced by newer values, what the writer holds cannot.
                    let batch_bytes = if inner.live.is_some() { LIVE_BATCH_BYTES } else { BATCH_BYTES };
                    while taken < batch_bytes {
                        let stale = inner.superseded_front();
                        let Some(m) = inner.pop() else { break };
                        if stale {
                            // A newer value of the same key is queued behind it.
                            if let Some(s) = &self.live_stats {
                                LiveStats::inc(&s.replaced);
                            }
                            continue;
                        }
                        if let (Some(age), Some((_, born))) = (max_age, &m.live) {
                            if born.elapsed() > age {
                                if let Some(s) = &self.live_stats {
                                    LiveStats::inc(&s.expired);
                                }
                                continue;
                            }
                        }
                        taken += size(&m);
                        out.push(m);
                    }
                    if out.is_empty() && pongs.is_empty() {
                        // Everything had expired.
                        drop(inner);
                        self.room_notify.notify_waiters();
                        continue;
                    }
                    if inner.queue.is_empty() && inner.queue.capacity() > 64 {
                        // A burst is over: give the queue's memory back.
                        inner.queue = VecDeque::new();
                    }
                    drop(inner);
                    self.room_notify.notify_waiters();
                    return Batch::Messages(out, pongs);
                }
                if let Some((code, reason)) = inner.close.clone() {
                    return Batch::Close(code, reason);
                }
            }
            match wake_at {
                // A rate-capped value's slot comes then.
                Some(at) => {
                    let _ = tokio::time::timeout_at(at.into(), notified).await;
                }
                None => notified.await,
            }
        }
    }

    /// Rate caps: moves held values whose slot has come into the queue (conflating as usual);
    /// returns when the next held value is due.
    fn release_held(&self, inner: &mut Inner) -> Option<Instant> {
        let l = inner.live.as_mut()?;
        if l.held.is_empty() {
            return None;
        }
        let (ready, next) = l.due(Instant::now());
        for m in ready {
            match inner.conflate(m) {
                Ok(()) => {
                    if let Some(s) = &self.live_stats {
                        LiveStats::inc(&s.replaced);
                    }
                }
                Err(m) => inner.append(m),
            }
        }
        next
    }
}
