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
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use tokio::sync::Notify;
use tungstenite::Message;

use super::metrics::Counters;
use crate::config::OverflowPolicy;
use crate::ws;

/// Most unanswered pings a connection holds answers for.
const MAX_PONGS: usize = 32;

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
        Outgoing { msg, _charge: Arc::new(Charge { len, budget: self.clone() }) }
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
}

impl Drop for Charge {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.len, Ordering::Relaxed);
    }
}

/// A message charged to the hub's budget. Clone it for every recipient of a fan-out: the
/// payload and the charge are shared, not copied.
#[derive(Clone)]
pub(crate) struct Outgoing {
    /// The message.
    pub(crate) msg: Message,
    _charge: Arc<Charge>,
}

impl std::borrow::Borrow<Message> for Outgoing {
    fn borrow(&self) -> &Message {
        &self.msg
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
    pub(crate) fn new(limit: usize, policy: OverflowPolicy, counters: Arc<Counters>, budget: Arc<Budget>) -> Self {
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
            }),
            notify: Notify::new(),
            close_notify: Notify::new(),
            room_notify: Notify::new(),
            counters,
            budget,
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
                        let Some(old) = inner.queue.pop_front() else { break };
                        inner.bytes -= size(&old);
                        // Under budget pressure a lagging queue keeps only the newest message.
                        self.counters.dropped_oldest.inc();
                    }
                }
                OverflowPolicy::Close => {
                    let dropped = inner.queue.len() as u64 + 1;
                    inner.queue.clear();
                    inner.bytes = 0;
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
        inner.bytes += len;
        inner.queue.push_back(msg);
        let was_empty = inner.queue.len() == 1;
        drop(inner);
        if was_empty {
            self.notify.notify_one();
        }
        Pushed::Queued
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
        inner.bytes += size(&msg);
        inner.queue.push_back(msg);
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
            inner.queue.clear();
            inner.bytes = 0;
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
        inner.queue = VecDeque::new();
        inner.bytes = 0;
        inner.pongs = VecDeque::new();
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
            {
                let mut inner = self.lock();
                if inner.finished {
                    return Batch::Finished;
                }
                if !inner.queue.is_empty() || (!inner.pongs.is_empty() && !inner.urgent) {
                    let pongs: Vec<Message> = std::mem::take(&mut inner.pongs).into_iter().map(Message::Pong).collect();
                    let mut out = Vec::with_capacity(inner.queue.len().min(64));
                    let mut taken = 0;
                    while taken < BATCH_BYTES {
                        let Some(m) = inner.queue.pop_front() else { break };
                        taken += size(&m);
                        out.push(m);
                    }
                    inner.bytes -= taken;
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
            notified.await;
        }
    }
}
