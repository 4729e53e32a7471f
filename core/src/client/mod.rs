//! The client runtime: one WebSocket client connection (ws or wss) owned by the core.
//!
//! [`Client::connect`] returns at once; a task on the internal runtime connects, keeps the
//! connection alive (ping + pong timeout), reconnects by policy and reports everything as
//! [`Event`](crate::Event)s on [`Client::events`]. [`Client::send_text`] and
//! [`Client::send_binary`] never block on the network: a message that finds nothing queued is
//! written from the calling thread with a non-blocking write (plain TCP; module `direct`), any
//! other is queued (bounded in bytes) for the connection's writer task.

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;
mod compress;
mod conn;
pub mod cookies;
mod credentials;
mod dial;
mod direct;
mod handshake;
mod host_read;
mod lines;
pub mod proxy;
pub mod redirect;
mod session;

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{mpsc, Notify};
use tungstenite::Message;

use crate::config::ClientConfig;
use crate::error::{Error, ErrorCode, Result};
use crate::event::{EventQueue, Utf8Bytes};
use crate::ws;

pub use lines::LineSplitter;

crate::vocab::numbered! {
    /// Where a client is in its life (its WebSocket readyState).
    pub enum ClientState : u8 {
        /// Connecting, or waiting to reconnect.
        Connecting = 0 => "CONNECTING",
        /// Open: messages flow.
        Open = 1 => "OPEN",
        /// `close` was called; the closing handshake is under way.
        Closing = 2 => "CLOSING",
        /// Closed for good.
        Closed = 3 => "CLOSED",
    }
}

impl ClientState {
    fn from_u8(v: u8) -> Self {
        match v {
            0 => ClientState::Connecting,
            1 => ClientState::Open,
            2 => ClientState::Closing,
            _ => ClientState::Closed,
        }
    }
}

/// A request to the connection task.
#[derive(Debug)]
enum Command {
    /// Send this message; `len` bytes are counted in the send queue.
    Send(Message, usize),
    /// Send a ping with this payload (at most 125 bytes).
    Ping(Bytes),
    /// Start the closing handshake.
    Close(u16, String),
    /// The unwritten rest of a frame the direct path began (`len` bytes counted in the queue).
    Raw(Vec<u8>, usize),
}

/// State shared by the handle and the connection task.
struct Shared {
    config: ClientConfig,
    events: EventQueue,
    state: AtomicU8,
    queued_bytes: AtomicUsize,
    user_closed: AtomicBool,
    /// `abort` was called: the final Close says so.
    aborted: AtomicBool,
    closing: Notify,
    tx: mpsc::UnboundedSender<Command>,
    /// The direct send path's share of the connection (see [`direct`]).
    direct: std::sync::Mutex<direct::Direct>,
    /// A data message arrived since the last direct send (see [`direct`]).
    answered: direct::Answered,
    /// Data messages the host's waiting thread read itself (see `host_read`).
    host_reads: std::sync::atomic::AtomicU64,
    /// Cookies the server set and other state kept between attempts (see `dial`).
    dial: std::sync::Mutex<dial::State>,
}

impl Shared {
    fn direct(&self) -> std::sync::MutexGuard<'_, direct::Direct> {
        self.direct.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn set_state(&self, s: ClientState) {
        self.state.store(s as u8, Ordering::Release);
    }
    fn state(&self) -> ClientState {
        ClientState::from_u8(self.state.load(Ordering::Acquire))
    }
}

/// A WebSocket client. Cheap to clone; every clone is the same connection. Dropping the last
/// handle does not stop the connection: call [`Client::close`] (or [`Client::abort`]).
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
    task: Arc<tokio::task::AbortHandle>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("url", &proxy::redact(&self.shared.config.url)).field("state", &self.state()).finish()
    }
}

impl Client {
    /// Checks `config` and starts connecting in the background. Fails at once on a bad URL,
    /// bad TLS material or a shut-down runtime; network errors arrive later as events.
    pub fn connect(config: ClientConfig) -> Result<Client> {
        config.validate()?;
        let targets = session::Target::parse_all(&config)?;
        let handle = crate::runtime::handle()?;
        let (tx, rx) = mpsc::unbounded_channel();
        let events = EventQueue::new(config.event_limits)
            .map_err(|e| Error::new(ErrorCode::Io, format!("cannot create the event queue: {e}")))?;
        let shared = Arc::new(Shared {
            config,
            events,
            state: AtomicU8::new(ClientState::Connecting as u8),
            queued_bytes: AtomicUsize::new(0),
            user_closed: AtomicBool::new(false),
            aborted: AtomicBool::new(false),
            closing: Notify::new(),
            tx,
            direct: Default::default(),
            answered: Default::default(),
            host_reads: Default::default(),
            dial: Default::default(),
        });
        let task = handle.spawn(session::run(shared.clone(), targets, rx)).abort_handle();
        Ok(Client { shared, task: Arc::new(task) })
    }

    /// The event queue of this client.
    pub fn events(&self) -> &EventQueue {
        &self.shared.events
    }

    /// The configuration the client was started with.
    pub fn config(&self) -> &ClientConfig {
        &self.shared.config
    }

    /// Current state.
    pub fn state(&self) -> ClientState {
        self.shared.state()
    }

    /// Data messages the host's own waiting thread read from the socket (a wait that spins
    /// for the answer to a send reads it itself, plain TCP); the others were read by the
    /// runtime. For diagnostics and tests.
    pub fn messages_read_by_host(&self) -> u64 {
        self.shared.host_reads.load(Ordering::Relaxed)
    }

    /// Bytes waiting in the send queue.
    pub fn queued_bytes(&self) -> usize {
        self.shared.queued_bytes.load(Ordering::Acquire)
    }

    /// Queues a text message. In line-framing mode a `"\n"` is appended unless present.
    pub fn send_text(&self, text: &str) -> Result<()> {
        self.check_send_len(text.len())?;
        let data: Utf8Bytes = if self.shared.config.line_framing && !text.ends_with('\n') {
            let mut s = String::with_capacity(text.len() + 1);
            s.push_str(text);
            s.push('\n');
            s.into()
        } else {
            text.into()
        };
        let len = data.len();
        self.enqueue(Message::Text(data), len)
    }

    /// Queues a text message the caller owns (no copy of the text).
    pub fn send_text_owned(&self, mut text: String) -> Result<()> {
        if self.shared.config.line_framing && !text.ends_with('\n') {
            text.push('\n');
        }
        let data: Utf8Bytes = text.into();
        let len = data.len();
        self.enqueue(Message::Text(data), len)
    }

    /// Queues a text message given as bytes, checking UTF-8 first.
    pub fn send_text_bytes(&self, bytes: &[u8]) -> Result<()> {
        self.send_text(crate::event::utf8_str(bytes)?)
    }

    /// Queues a binary message.
    pub fn send_binary(&self, data: impl Into<Bytes>) -> Result<()> {
        let data = data.into();
        let len = data.len();
        self.enqueue(Message::Binary(data), len)
    }

    /// Checks that a message of `len` bytes can ever be queued: one larger than the whole send
    /// queue limit never fits and fails with [`ErrorCode::MessageTooBig`]. Bindings call this
    /// before they touch (or copy) the host's bytes.
    pub fn check_send_len(&self, len: usize) -> Result<()> {
        let limit = self.shared.config.send_queue_limit;
        if len > limit {
            return Err(Error::new(
                ErrorCode::MessageTooBig,
                format!("message of {len} bytes is larger than the send queue limit of {limit} bytes; it can never be queued (raise send_queue_limit or split the message)"),
            ));
        }
        Ok(())
    }

    fn enqueue(&self, msg: Message, len: usize) -> Result<()> {
        match self.state() {
            ClientState::Closing | ClientState::Closed => {
                return Err(Error::new(ErrorCode::Closed, "cannot send: the connection is closed or closing"))
            }
            _ => {}
        }
        self.check_send_len(len)?;
        let mut d = self.shared.direct();
        // Nothing queued or being written: the frame goes to the socket from this thread.
        self.shared.events.expect_reply();
        let msg = match direct::try_send(&self.shared, &mut d, msg) {
            Ok(()) => return Ok(()),
            Err(msg) => msg,
        };
        let limit = self.shared.config.send_queue_limit;
        let reserved = self.shared.queued_bytes.fetch_update(Ordering::AcqRel, Ordering::Acquire, |q| {
            (q.checked_add(len)? <= limit).then(|| q + len)
        });
        if let Err(q) = reserved {
            return Err(Error::new(
                ErrorCode::QueueFull,
                format!("send queue full: {q} bytes queued, {len} more would exceed the limit of {limit}; nothing was queued, retry when queued_bytes() drops"),
            ));
        }
        if direct::queue(&self.shared, &mut d, Command::Send(msg, len)).is_err() {
            self.shared.queued_bytes.fetch_sub(len, Ordering::AcqRel);
            return Err(Error::new(ErrorCode::Closed, "cannot send: the connection is closed"));
        }
        Ok(())
    }

    /// Queues a ping (payload at most 125 bytes). Any answer counts as liveness for keepalive.
    pub fn ping(&self, payload: &[u8]) -> Result<()> {
        if payload.len() > 125 {
            return Err(Error::invalid(format!("ping payload is {} bytes; at most 125 fit a control frame", payload.len())));
        }
        if matches!(self.state(), ClientState::Closing | ClientState::Closed) {
            return Err(Error::new(ErrorCode::Closed, "cannot ping: the connection is closed or closing"));
        }
        self.shared.events.expect_reply();
        direct::queue(&self.shared, &mut self.shared.direct(), Command::Ping(Bytes::copy_from_slice(payload)))
            .map_err(|_| Error::new(ErrorCode::Closed, "cannot ping: the connection is closed"))
    }

    /// Starts the closing handshake after the queued messages are sent. A client that is still
    /// connecting first finishes connecting (so queued messages are not lost); one waiting to
    /// reconnect stops at once. Fails if already closing or closed.
    pub fn close(&self, code: u16, reason: &str) -> Result<()> {
        ws::validate_close(code, reason)?;
        if self.shared.user_closed.swap(true, Ordering::AcqRel) || self.state() == ClientState::Closed {
            return Err(Error::new(ErrorCode::Closed, "close: the connection is already closing or closed"));
        }
        self.shared.set_state(ClientState::Closing);
        let _ = direct::queue(&self.shared, &mut self.shared.direct(), Command::Close(code, reason.to_string()));
        self.shared.closing.notify_one();
        Ok(())
    }

    /// Drops the connection at once without a closing handshake; a Close event (1006) follows.
    /// Idempotent.
    pub fn abort(&self) {
        if self.state() != ClientState::Closed {
            self.shared.aborted.store(true, Ordering::Release);
            self.task.abort();
        }
    }
}
