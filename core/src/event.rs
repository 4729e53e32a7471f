//! Events that leave the core, and the bounded queue hosts drain them from.
//!
//! Core threads never call into a host language to deliver data. Each client and each hub owns
//! one [`EventQueue`]; the host drains it in batches ([`EventQueue::poll`]), blocks on it
//! ([`EventQueue::wait`]), or watches its wake fd ([`EventQueue::wake_fd`]) from an event loop.
//! The queue is bounded: when the host falls behind, the connection tasks stop reading from
//! their sockets (TCP back-pressure) instead of dropping events.

use std::collections::VecDeque;
#[cfg(unix)]
use std::io::{Read, Write};
#[cfg(unix)]
use std::os::fd::{AsRawFd, RawFd};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::Notify;
pub use tungstenite::Utf8Bytes;

use crate::error::ErrorCode;
use crate::reply_spin::{spin_until, ReplySpin, SPIN};

/// A connection id in a hub (unique per hub, never reused). Client events use 0.
pub type ConnId = u64;

/// The data of one WebSocket message. Cloning shares the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// A text message: valid UTF-8, checked once in the core.
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
}

fn invalid_utf8(e: impl std::fmt::Display) -> crate::error::Error {
    crate::error::Error::new(ErrorCode::InvalidUtf8, format!("text message is not valid UTF-8 ({e}); send it as binary instead"))
}

/// Checks that `bytes` are UTF-8 and makes them text without copying: the one UTF-8 check of
/// outgoing text, whichever binding it came from.
pub fn utf8_text(bytes: Bytes) -> crate::error::Result<Utf8Bytes> {
    Utf8Bytes::try_from(bytes).map_err(invalid_utf8)
}

/// [`utf8_text`] for borrowed bytes (same check, same error).
pub fn utf8_str(bytes: &[u8]) -> crate::error::Result<&str> {
    std::str::from_utf8(bytes).map_err(invalid_utf8)
}

impl Payload {
    /// A text message from bytes, checking UTF-8 (the one check every binding uses), or a
    /// binary one when `text` is false. Takes the bytes without copying.
    pub fn from_bytes(bytes: impl Into<Bytes>, text: bool) -> crate::error::Result<Payload> {
        let bytes = bytes.into();
        if !text {
            return Ok(Payload::Binary(bytes));
        }
        utf8_text(bytes).map(Payload::Text)
    }
    /// The raw bytes of the message.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Payload::Text(t) => t.as_bytes(),
            Payload::Binary(b) => b,
        }
    }
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }
    /// Whether the message is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Whether this is a text message.
    pub fn is_text(&self) -> bool {
        matches!(self, Payload::Text(_))
    }
}

/// What is known about a connection when it opens.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenInfo {
    /// Hub: the connection id. Client: 0.
    pub conn: ConnId,
    /// Request path without the query (hub), or the URL path (client).
    pub path: String,
    /// Query string without `?` (may be empty).
    pub query: String,
    /// Peer address as `ip:port`.
    pub remote: String,
    /// Local address of the connection as `ip:port`.
    pub local: String,
    /// Request headers (hub) or response headers (client), in order.
    pub headers: Vec<(String, String)>,
    /// The negotiated subprotocol, if any.
    pub protocol: Option<String>,
}

/// One event for the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The connection is open (a client also gets this again after each successful reconnect).
    Open(Box<OpenInfo>),
    /// A message arrived. In line-framing mode, one event per line (without the `"\n"`).
    Message {
        /// Hub connection id, 0 for a client.
        conn: ConnId,
        /// The message.
        data: Payload,
    },
    /// The connection closed. For a client this is final unless a `Reconnecting` follows.
    Close {
        /// Hub connection id, 0 for a client.
        conn: ConnId,
        /// Close code (1006 when no close frame was received).
        code: u16,
        /// Close reason (or why the connection was lost).
        reason: String,
        /// Whether the closing handshake completed.
        clean: bool,
    },
    /// Something failed; a `Close` follows when the connection is gone.
    Error {
        /// Hub connection id, 0 for a client.
        conn: ConnId,
        /// The error kind.
        code: ErrorCode,
        /// What happened.
        message: String,
    },
    /// A client's handshake was refused with this HTTP answer (an `Error` with
    /// `HandshakeRejected` follows).
    Rejected(Box<crate::error::Refusal>),
    /// Hub, routes with `host_accepts`: a handshake waits for `Hub::accept` or `Hub::reject`.
    Handshake(Box<OpenInfo>),
    /// A pong with a non-empty payload arrived (the answer to a host's `ping`).
    Pong {
        /// Hub connection id, 0 for a client.
        conn: ConnId,
        /// The payload of the pong.
        payload: Bytes,
    },
    /// A client lost its connection and will try again after `delay`.
    Reconnecting {
        /// 1 for the first retry.
        attempt: u32,
        /// Wait before this attempt.
        delay: Duration,
        /// Why the previous connection ended.
        reason: String,
    },
}

crate::vocab::numbered! {
    /// What an [`Event`] is, as a stable number every binding shares (`Event::kind`).
    pub enum EventKind : u32 {
        /// The connection opened (a client also after each reconnect); carries the request or
        /// response line details and the negotiated subprotocol.
        Open = 1 => "OPEN",
        /// A text message (UTF-8, validated once in the core).
        Text = 2 => "TEXT",
        /// A binary message.
        Binary = 3 => "BINARY",
        /// The connection closed: close code, reason, and whether the closing handshake
        /// completed. For a client this is the last event unless reconnecting follows.
        Close = 4 => "CLOSE",
        /// Something failed: an error code and a message.
        Error = 5 => "ERROR",
        /// A client lost its connection and retries: attempt (1-based), delay, and why the
        /// previous connection ended.
        Reconnecting = 6 => "RECONNECTING",
        /// A pong with a non-empty payload (the answer to a ping the host sent).
        Pong = 7 => "PONG",
        /// Hub, routes with host_accepts: a handshake waits for accept or reject (within 10 s,
        /// else HTTP 503); carries what an open carries.
        Handshake = 8 => "HANDSHAKE",
        /// A client's handshake was refused: HTTP status, response headers and body (at most
        /// 64 KiB). An error with HANDSHAKE_REJECTED follows.
        Rejected = 9 => "REJECTED",
    }
}

impl Event {
    /// The stable kind of this event.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::Open(_) => EventKind::Open,
            Event::Message { data: Payload::Text(_), .. } => EventKind::Text,
            Event::Message { data: Payload::Binary(_), .. } => EventKind::Binary,
            Event::Close { .. } => EventKind::Close,
            Event::Error { .. } => EventKind::Error,
            Event::Reconnecting { .. } => EventKind::Reconnecting,
            Event::Pong { .. } => EventKind::Pong,
            Event::Handshake(_) => EventKind::Handshake,
            Event::Rejected(_) => EventKind::Rejected,
        }
    }

    /// Approximate memory weight used to bound the queue.
    fn weight(&self) -> usize {
        match self {
            Event::Message { data, .. } => data.len() + 64,
            _ => 128,
        }
    }
}

/// Limits of an [`EventQueue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    /// Queued message bytes above which producers wait (one event is always admitted).
    pub max_bytes: usize,
    /// Queued events above which producers wait.
    pub max_events: usize,
}

impl Default for QueueLimits {
    fn default() -> Self {
        QueueLimits { max_bytes: 64 << 20, max_events: 1 << 16 }
    }
}

/// Lets a host's spinning wait read its connection's socket itself (a client's, see
/// `client::host_read`): `try_read` reads without blocking and queues a message it completed;
/// true when it queued one.
pub trait HostDrive: Send + Sync {
    /// One non-blocking attempt; true when an event was queued.
    fn try_read(&self) -> bool;
}

/// A callback run (on a core thread) when the queue goes from empty to non-empty.
pub type WakeCallback = Arc<dyn Fn() + Send + Sync>;

struct Inner {
    events: VecDeque<Event>,
    bytes: usize,
    /// A host asked for the wake fd: only then is it signalled (two syscalls per wake saved
    /// for hosts that block in `wait` instead).
    armed: bool,
    /// A byte is pending on the wake socket.
    signaled: bool,
    /// Threads blocked in `wait` (the condvar is only notified when there are some).
    waiters: usize,
    /// The owner is gone (its handle was freed): waits return at once.
    closed: bool,
}

/// The wake fd: a socket pair whose read end is readable while events are queued.
#[cfg(unix)]
struct WakeFd {
    tx: UnixStream,
    rx: UnixStream,
}

#[cfg(unix)]
impl WakeFd {
    fn new() -> std::io::Result<Self> {
        let (tx, rx) = UnixStream::pair()?;
        tx.set_nonblocking(true)?;
        rx.set_nonblocking(true)?;
        Ok(WakeFd { tx, rx })
    }
    fn signal(&self) {
        let _ = (&self.tx).write(&[1u8]);
    }
    fn drain(&self) {
        let mut buf = [0u8; 64];
        // At most one byte is pending (`Inner::signaled` guards every write), so one read takes
        // it: no second read that only reports EAGAIN (one syscall less per wake).
        while matches!((&self.rx).read(&mut buf), Ok(k) if k == buf.len()) {}
    }
}

/// Without unix sockets (Windows) there is no wake fd; `wait`, `wait_any` and the wake
/// callback remain.
#[cfg(not(unix))]
struct WakeFd;

#[cfg(not(unix))]
impl WakeFd {
    fn new() -> std::io::Result<Self> {
        Ok(WakeFd)
    }
    fn signal(&self) {}
    fn drain(&self) {}
}

/// Wakes `wait_any` callers: a sequence number bumped when a queue becomes ready while anyone
/// waits, and a wake the host asked for ([`wake_any`]) that the next `wait_any` consumes.
struct AnyEvent {
    waiters: AtomicUsize,
    woken: AtomicBool,
    seq: Mutex<u64>,
    cond: Condvar,
}

static ANY_EVENT: AnyEvent =
    AnyEvent { waiters: AtomicUsize::new(0), woken: AtomicBool::new(false), seq: Mutex::new(0), cond: Condvar::new() };

impl AnyEvent {
    fn bump(&self) {
        if self.waiters.load(Ordering::SeqCst) > 0 {
            self.bump_always();
        }
    }

    fn bump_always(&self) {
        *self.seq.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.cond.notify_all();
    }
}

/// Makes a [`wait_any`] return early (as if it timed out): the one blocked now, or else the next
/// one to start. A host that also makes events of its own (a managed dispatcher) calls this
/// instead of waking up on a timer, so an idle dispatcher costs no CPU.
pub fn wake_any() {
    ANY_EVENT.woken.store(true, Ordering::SeqCst);
    ANY_EVENT.bump_always();
}

/// Blocks up to `timeout` until one of `queues` has an event; returns the index of the first
/// non-empty one, or `None` on timeout or after [`wake_any`]. One host thread can so serve many
/// clients and hubs without a wake fd.
pub fn wait_any(queues: &[&EventQueue], timeout: Duration) -> Option<usize> {
    let deadline = Instant::now() + timeout;
    let any = &ANY_EVENT;
    let spinning: Vec<&&EventQueue> = queues.iter().filter(|q| q.spin.take()).collect();
    if !spinning.is_empty() {
        let drives: Vec<Arc<dyn HostDrive>> = spinning.iter().filter_map(|q| q.host_drive()).collect();
        let ready = || queues.iter().any(|q| q.ready_hint.load(Ordering::Acquire)) || drives.iter().any(|d| d.try_read());
        if spin_until(deadline, ready) {
            if let Some(i) = queues.iter().position(|q| !q.is_empty() || q.is_closed()) {
                return Some(i);
            }
        } else {
            spinning.iter().for_each(|q| q.spin.missed());
        }
    }
    any.waiters.fetch_add(1, Ordering::SeqCst);
    let found = loop {
        let seen = *any.seq.lock().unwrap_or_else(|e| e.into_inner());
        // A closed queue counts as ready: the host's next call on it reports the freed handle.
        if let Some(i) = queues.iter().position(|q| !q.is_empty() || q.is_closed()) {
            break Some(i);
        }
        if any.woken.swap(false, Ordering::SeqCst) {
            break None;
        }
        let now = Instant::now();
        if now >= deadline {
            break None;
        }
        let guard = any.seq.lock().unwrap_or_else(|e| e.into_inner());
        if *guard == seen {
            let _ = any.cond.wait_timeout(guard, deadline - now);
        }
    };
    any.waiters.fetch_sub(1, Ordering::SeqCst);
    found
}

/// Bounded multi-producer queue of [`Event`]s with batch poll, blocking wait and a wake fd.
pub struct EventQueue {
    inner: Mutex<Inner>,
    /// Mirrors `!events.is_empty() || closed` for waiters that spin before they park.
    ready_hint: AtomicBool,
    /// Whether the next wait spins for an answer before it parks ([`expect_reply`](Self::expect_reply)).
    spin: ReplySpin,
    /// What a spinning wait may read itself ([`set_host_drive`](Self::set_host_drive)).
    drive: Mutex<Option<Arc<dyn HostDrive>>>,
    ready: Condvar,
    space: Notify,
    limits: QueueLimits,
    wake: WakeFd,
    callback: Mutex<Option<WakeCallback>>,
}

impl EventQueue {
    /// Creates a queue with the given limits.
    pub fn new(limits: QueueLimits) -> std::io::Result<Self> {
        let wake = WakeFd::new()?;
        Ok(EventQueue {
            ready_hint: AtomicBool::new(false),
            spin: ReplySpin::default(),
            drive: Mutex::new(None),
            inner: Mutex::new(Inner { events: VecDeque::new(), bytes: 0, armed: false, signaled: false, waiters: 0, closed: false }),
            ready: Condvar::new(),
            space: Notify::new(),
            limits,
            wake,
            callback: Mutex::new(None),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_full(&self, inner: &Inner) -> bool {
        !inner.events.is_empty()
            && (inner.bytes >= self.limits.max_bytes || inner.events.len() >= self.limits.max_events)
    }

    /// Pushes an event, waiting while the queue is full (the caller stops reading its socket).
    pub async fn push(&self, event: Event) {
        loop {
            let notified = self.space.notified();
            {
                let inner = self.lock();
                if !self.is_full(&inner) {
                    drop(inner);
                    self.push_now(event);
                    return;
                }
            }
            notified.await;
        }
    }

    /// Pushes an event if there is room; gives it back when the queue is full.
    pub fn try_push(&self, event: Event) -> std::result::Result<(), Event> {
        if self.is_full(&self.lock()) {
            return Err(event);
        }
        self.push_now(event);
        Ok(())
    }

    /// Pushes an event without waiting for room (used for the few control events).
    pub fn push_now(&self, event: Event) {
        let (became_ready, waiters) = {
            let mut inner = self.lock();
            let was_empty = inner.events.is_empty();
            if was_empty {
                self.ready_hint.store(true, Ordering::Release);
            }
            inner.bytes += event.weight();
            inner.events.push_back(event);
            if inner.armed && !inner.signaled {
                inner.signaled = true;
                self.wake.signal();
            }
            (was_empty, inner.waiters)
        };
        // Waiters only block on an empty queue, and the push that made it non-empty woke them:
        // later pushes wake nobody (no futex call while the queue stays non-empty).
        if became_ready {
            if waiters > 0 {
                self.ready.notify_all();
            }
            ANY_EVENT.bump();
            let cb = self.callback.lock().unwrap_or_else(|e| e.into_inner()).clone();
            if let Some(cb) = cb {
                cb();
            }
        }
    }

    /// Removes up to `max` events, oldest first. Never blocks.
    pub fn poll(&self, max: usize) -> Vec<Event> {
        let mut out = Vec::new();
        self.poll_into(&mut out, max);
        out
    }

    /// Like [`poll`](Self::poll) but appends to `out`; returns how many were added.
    pub fn poll_into(&self, out: &mut Vec<Event>, max: usize) -> usize {
        let n;
        {
            let mut inner = self.lock();
            n = max.min(inner.events.len());
            for _ in 0..n {
                let e = inner.events.pop_front().expect("length checked");
                inner.bytes -= e.weight();
                out.push(e);
            }
            if inner.events.is_empty() && !inner.closed {
                self.ready_hint.store(false, Ordering::Release);
            }
            if inner.events.is_empty() && inner.signaled {
                self.wake.drain();
                inner.signaled = false;
            }
        }
        if n > 0 {
            self.space.notify_waiters();
        }
        n
    }

    /// Blocks up to `timeout` until at least one event is queued, or the queue is
    /// [closed](Self::close); returns whether an event is queued.
    pub fn wait(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        if self.spin_if_due(deadline) == Some(true) {
            return true;
        }
        let mut inner = self.lock();
        while inner.events.is_empty() && !inner.closed {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            inner.waiters += 1;
            inner = self.ready.wait_timeout(inner, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
            inner.waiters -= 1;
        }
        true
    }

    /// Lets spinning waits read the owner's socket themselves (`None`: they only watch the
    /// queue). A client sets it while a plain TCP connection is open.
    pub fn set_host_drive(&self, drive: Option<Arc<dyn HostDrive>>) {
        *self.drive.lock().unwrap_or_else(|e| e.into_inner()) = drive;
    }

    fn host_drive(&self) -> Option<Arc<dyn HostDrive>> {
        self.drive.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Spins until an event is queued (reading the socket too, with a host drive) or the spin
    /// or the deadline ends.
    fn spin_ready(&self, deadline: Instant) -> bool {
        match self.host_drive() {
            Some(d) => spin_until(deadline, || self.ready_hint.load(Ordering::Acquire) || d.try_read()),
            None => spin_until(deadline, || self.ready_hint.load(Ordering::Acquire)),
        }
    }

    /// The owner just sent something the peer answers (a message, a ping): the next
    /// [`wait`](Self::wait), [`wait_any`] or [`spin_for_reply`](Self::spin_for_reply) spins up to
    /// 50 µs for the answer before it parks, so a request/response round trip pays no thread
    /// wake-up (see [`crate::reply_spin`]). Waits without a send before them never spin: an idle
    /// or receive-only host costs no CPU.
    pub fn expect_reply(&self) {
        self.spin.expect();
    }

    /// For hosts that wait in an event loop instead of [`wait`](Self::wait) (Python's asyncio):
    /// `Some(true)` when an event is queued, at once or after spinning up to 50 µs because the
    /// owner sent something since the last wait; `Some(false)` when it spun and nothing came;
    /// `None` (at once) when nothing is queued and no spin is due. The caller then polls
    /// without an event-loop iteration in between.
    pub fn spin_for_reply(&self) -> Option<bool> {
        if self.ready_hint.load(Ordering::Acquire) {
            return Some(true);
        }
        self.spin_if_due(Instant::now() + SPIN)
    }

    /// Spins when a spin is due (a send since the last wait, no recent miss): `None` when none
    /// is, else whether an event came (a spin that saw nothing is recorded as a miss).
    fn spin_if_due(&self, deadline: Instant) -> Option<bool> {
        if !self.spin.take() {
            return None;
        }
        let got = self.spin_ready(deadline);
        if !got {
            self.spin.missed();
        }
        Some(got)
    }

    /// Marks the queue's owner as gone (its handle was freed) and wakes every thread blocked
    /// in [`wait`](Self::wait) or [`wait_any`] on it. Events can still be pushed and polled.
    pub fn close(&self) {
        let waiters = {
            let mut inner = self.lock();
            inner.closed = true;
            self.ready_hint.store(true, Ordering::Release);
            inner.waiters
        };
        if waiters > 0 {
            self.ready.notify_all();
        }
        ANY_EVENT.bump();
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Number of queued events.
    pub fn len(&self) -> usize {
        self.lock().events.len()
    }

    /// Whether no event is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A file descriptor that is readable while events are queued (level-triggered: it stays
    /// readable until a poll empties the queue). Do not read from or close it; it lives as long
    /// as the queue. Unix only.
    #[cfg(unix)]
    pub fn wake_fd(&self) -> RawFd {
        let mut inner = self.lock();
        inner.armed = true;
        if !inner.events.is_empty() && !inner.signaled {
            inner.signaled = true;
            self.wake.signal();
        }
        self.wake.rx.as_raw_fd()
    }

    /// Sets (or clears) the callback run on a core thread when the queue becomes non-empty.
    /// The callback should only signal the host (and must not block); the host then polls.
    pub fn set_callback(&self, callback: Option<WakeCallback>) {
        *self.callback.lock().unwrap_or_else(|e| e.into_inner()) = callback;
        if !self.is_empty() {
            let cb = self.callback.lock().unwrap_or_else(|e| e.into_inner()).clone();
            if let Some(cb) = cb {
                cb();
            }
        }
    }
}

impl std::fmt::Debug for EventQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventQueue").field("len", &self.len()).finish()
    }
}

#[cfg(test)]
mod payload_tests {
    use super::*;

    #[test]
    fn from_bytes_checks_utf8_once_for_text_only() {
        assert!(Payload::from_bytes(&b"caf\xc3\xa9"[..], true).unwrap().is_text());
        let e = Payload::from_bytes(&b"\xff\xfe"[..], true).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidUtf8);
        assert!(!Payload::from_bytes(&b"\xff\xfe"[..], false).unwrap().is_text());
    }
}

#[cfg(test)]
mod wake_tests {
    use super::*;
    use std::thread;

    fn text(s: &str) -> Event {
        Event::Message { conn: 0, data: Payload::Text(s.into()) }
    }

    #[test]
    fn a_waiter_is_woken_by_the_push_that_makes_the_queue_non_empty_each_time() {
        let q = Arc::new(EventQueue::new(QueueLimits::default()).unwrap());
        for round in 0..3 {
            let w = Arc::clone(&q);
            let waiter = thread::spawn(move || w.wait(Duration::from_secs(60)));
            q.push_now(text("a"));
            q.push_now(text("b"));
            assert!(waiter.join().unwrap(), "round {round}: the wait saw the events");
            assert_eq!(q.poll(16).len(), 2, "round {round}: both events queued");
            assert!(!q.wait(Duration::from_millis(1)), "round {round}: an empty queue times out");
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_wake_fd_holds_one_byte_while_events_are_queued_and_none_after_a_poll_empties_it() {
        let q = EventQueue::new(QueueLimits::default()).unwrap();
        let _ = q.wake_fd();
        let pending = |q: &EventQueue| -> usize {
            let mut buf = [0u8; 8];
            match (&q.wake.rx).read(&mut buf) {
                Ok(k) => k,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => 0,
                Err(e) => panic!("read: {e}"),
            }
        };
        for round in 0..3 {
            q.push_now(text("a"));
            q.push_now(text("b"));
            q.poll(16);
            assert_eq!(pending(&q), 0, "round {round}: drained by the poll that emptied the queue");
        }
        q.push_now(text("a"));
        q.push_now(text("b"));
        assert_eq!(pending(&q), 1, "one byte for two events");
    }

    #[test]
    fn a_wait_after_a_send_sees_answers_that_come_during_or_after_its_spin() {
        let q = Arc::new(EventQueue::new(QueueLimits::default()).unwrap());
        // Answer already there, while spinning, after the spin (parked), and a close.
        q.expect_reply();
        q.push_now(text("early"));
        assert!(q.wait(Duration::from_secs(60)));
        assert_eq!(q.poll(16).len(), 1);
        for delay_ms in [0u64, 20] {
            q.expect_reply();
            let w = Arc::clone(&q);
            let pusher = thread::spawn(move || {
                thread::sleep(Duration::from_millis(delay_ms));
                w.push_now(text("answer"));
            });
            assert!(q.wait(Duration::from_secs(60)), "answer after {delay_ms} ms seen");
            pusher.join().unwrap();
            assert_eq!(q.poll(16).len(), 1);
        }
        // The flag is taken by one wait: an empty queue then times out, spun or not.
        q.expect_reply();
        assert!(!q.wait(Duration::from_millis(1)));
        assert!(!q.spin.is_expected(), "the wait took the flag");
        assert!(!q.wait(Duration::from_millis(1)));
        q.expect_reply();
        let w = Arc::clone(&q);
        let closer = thread::spawn(move || w.close());
        assert!(q.wait(Duration::from_secs(60)), "a close ends a spinning or parked wait");
        closer.join().unwrap();
        // wait_any spins for its queues too, and reports the one with the answer.
        let a = Arc::new(EventQueue::new(QueueLimits::default()).unwrap());
        let b = Arc::new(EventQueue::new(QueueLimits::default()).unwrap());
        b.expect_reply();
        let w = Arc::clone(&b);
        let pusher = thread::spawn(move || w.push_now(text("answer")));
        assert_eq!(wait_any(&[&a, &b], Duration::from_secs(60)), Some(1));
        pusher.join().unwrap();
    }

    #[test]
    fn wake_any_ends_the_current_or_next_wait_any_once() {
        let q = EventQueue::new(QueueLimits::default()).unwrap();
        // Asked for before anyone waits: the next wait_any returns at once, without an event.
        wake_any();
        let t = Instant::now();
        assert_eq!(wait_any(&[&q], Duration::from_secs(60)), None);
        assert!(t.elapsed() < Duration::from_secs(30), "returned early");
        // Consumed: the one after that times out.
        assert_eq!(wait_any(&[&q], Duration::from_millis(1)), None);
        // Asked for while a thread waits: that wait ends.
        let q = Arc::new(q);
        let w = Arc::clone(&q);
        let t = Instant::now();
        let waiter = thread::spawn(move || wait_any(&[&w], Duration::from_secs(60)));
        wake_any();
        assert_eq!(waiter.join().unwrap(), None);
        assert!(t.elapsed() < Duration::from_secs(30), "returned early");
        // An event still wins over nothing.
        q.push_now(text("x"));
        assert_eq!(wait_any(&[&q], Duration::from_secs(60)), Some(0));
    }
}
