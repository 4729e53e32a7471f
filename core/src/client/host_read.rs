//! The host's waiting thread reads the socket itself while it spins for an answer.
//!
//! Without this, an answer travels: the kernel wakes a tokio worker from `epoll_wait` → the
//! worker reads and decodes it and queues the event → the host thread, spinning after its send
//! ([`crate::reply_spin`]), takes it. With it, the spinning host thread also tries a
//! non-blocking read of the connection's socket on every few turns of its spin, decodes a
//! complete data message itself and queues it: the answer is taken the moment its bytes are in
//! the socket, without waiting for a tokio worker to wake (a blocking client's read, without
//! blocking).
//!
//! One [`MessageReader`] serves both: it lives behind a mutex shared by the connection task and
//! the host. The task polls it as before (tokio readiness, wakers); the host only tries it, with
//! `try_lock`, in *raw* mode, where the socket is read with a plain non-blocking `recv` that
//! never touches tokio's readiness or wakers (the task's next poll finds `WouldBlock` and
//! re-arms itself). Rules that keep the connection's behaviour whole:
//!
//! - **Order**: the host reads only while the task holds no message it took and has not handled
//!   yet (`task_holds`), so events are queued in wire order.
//! - **Only data messages**: a text or binary message the host read is queued by the host
//!   (unless the queue is full: then it is handed to the task, which waits for room). Anything
//!   else — ping, pong, close, an error, the end of the stream — is handed to the task in the
//!   `handoff` slot and the task is woken: keepalive, pongs, the closing handshake and errors stay
//!   the task's. The host reads nothing more until the task took it.
//! - **Keepalive** sees the host's reads: the host records when it received (`rx_nanos`).
//! - **Plain TCP only**, without line framing; after the server's close frame or an error the
//!   task turns host reads off for the rest of the connection.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use super::Shared;
use crate::event::{Event, HostDrive, Payload};
use crate::frame_io::{Incoming, MessageReader, ReadError};
use crate::io::ReadIo;

/// What the task and the host share behind one lock.
struct Slot {
    reader: Box<MessageReader<ReadIo>>,
    /// Something the host read and the task must handle (checked first by the task).
    handoff: Option<Result<Incoming, ReadError>>,
    /// The task took a result from the reader and has not asked for the next one yet.
    task_holds: bool,
    /// Host reads are allowed (plain TCP, no line framing, no close or error seen).
    host_ok: bool,
    /// The task's waker, for a handoff.
    waker: Option<Waker>,
}

/// The connection's message reader, shared by its task and the host's spinning wait.
pub(super) struct SharedReader {
    slot: Mutex<Slot>,
    shared: Weak<Shared>,
    /// When the connection started; `rx_nanos` counts from here.
    base: Instant,
    /// Nanoseconds after `base` at which the host last read a message (0: never).
    rx_nanos: AtomicU64,
}

impl SharedReader {
    /// Wraps the connection's reader; host reads are allowed when `host_ok` and the socket is
    /// plain TCP.
    pub(super) fn new(shared: &Arc<Shared>, reader: MessageReader<ReadIo>, host_ok: bool) -> Arc<Self> {
        let host_ok = host_ok && reader.io().raw_readable();
        Arc::new(SharedReader {
            slot: Mutex::new(Slot { reader: Box::new(reader), handoff: None, task_holds: false, host_ok, waker: None }),
            shared: Arc::downgrade(shared),
            base: Instant::now(),
            rx_nanos: AtomicU64::new(0),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The task's read: a handoff first, then the reader. The task must call it again only
    /// after it handled the previous result (that ends `task_holds`).
    pub(super) fn poll_task(&self, cx: &mut Context<'_>) -> Poll<Result<Incoming, ReadError>> {
        let mut s = self.lock();
        s.task_holds = false;
        if let Some(r) = s.handoff.take() {
            s.task_holds = true;
            return Poll::Ready(r);
        }
        match s.reader.poll_next(cx) {
            Poll::Pending => {
                if !s.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    s.waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
            Poll::Ready(r) => {
                s.task_holds = true;
                Poll::Ready(r)
            }
        }
    }

    /// The next result for the task (cancel-safe: nothing is taken unless it returns).
    pub(super) async fn next(&self) -> Result<Incoming, ReadError> {
        std::future::poll_fn(|cx| self.poll_task(cx)).await
    }

    /// No host reads from now on (the server's close frame arrived, or the connection failed).
    pub(super) fn stop_host_reads(&self) {
        self.lock().host_ok = false;
    }

    /// When the host last read a message, if it did.
    pub(super) fn host_rx_at(&self) -> Option<tokio::time::Instant> {
        let n = self.rx_nanos.load(Ordering::Relaxed);
        (n != 0).then(|| tokio::time::Instant::from_std(self.base + std::time::Duration::from_nanos(n)))
    }
}

/// Most messages one host read queues (a burst already in the socket is taken in one go, as
/// the task would).
const HOST_BATCH: usize = 64;

impl HostDrive for SharedReader {
    fn try_read(&self) -> bool {
        let Ok(mut s) = self.slot.try_lock() else { return false };
        let Some(shared) = self.shared.upgrade() else { return false };
        let mut queued = false;
        // The socket had nothing more (the rest is at most a partial frame, whose bytes wake
        // the task when they arrive); otherwise complete messages may wait in the reader's
        // buffer with no socket event to come, and the task must be woken to take them.
        let mut drained = false;
        for _ in 0..HOST_BATCH {
            if !s.host_ok || s.task_holds || s.handoff.is_some() {
                break;
            }
            s.reader.io_mut().set_raw(true);
            let r = s.reader.poll_next(&mut Context::from_waker(Waker::noop()));
            s.reader.io_mut().set_raw(false);
            let r = match r {
                Poll::Pending => {
                    drained = true;
                    break;
                }
                Poll::Ready(r) => r,
            };
            let data = match r {
                Ok(Incoming::Text(t)) => Payload::Text(t),
                Ok(Incoming::Binary(b)) => Payload::Binary(b),
                other => {
                    // Control frames, the close frame, errors and EOF are the task's.
                    s.handoff = Some(other);
                    break;
                }
            };
            let nanos = (self.base.elapsed().as_nanos() as u64).max(1);
            self.rx_nanos.store(nanos, Ordering::Relaxed);
            shared.answered.set();
            match shared.events.try_push(Event::Message { conn: 0, data }) {
                Ok(()) => {
                    queued = true;
                    shared.host_reads.fetch_add(1, Ordering::Relaxed);
                }
                Err(Event::Message { data, .. }) => {
                    // The queue is full: the task waits for room (back-pressure).
                    s.handoff = Some(Ok(match data {
                        Payload::Text(t) => Incoming::Text(t),
                        Payload::Binary(b) => Incoming::Binary(b),
                    }));
                    break;
                }
                Err(_) => break,
            }
        }
        if s.handoff.is_some() || (queued && !drained) {
            let w = s.waker.clone();
            drop(s);
            if let Some(w) = w {
                w.wake();
            }
        }
        queued
    }
}
