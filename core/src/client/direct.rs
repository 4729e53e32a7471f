//! The direct send path: a send that finds nothing queued or being written writes its frame to
//! the socket from the calling thread, with a non-blocking `try_write`, instead of waking the
//! writer task (one thread hand-off less per message; issue "client round trips").
//!
//! Ordering: the socket's write half is *parked* here while the writer task is idle and taken
//! out while it writes, and every command for the writer (queued messages, and the pongs,
//! pings and close frames of the connection itself) is counted in `pending` (under the same
//! lock) until it is fully written: an echo of a message that arrived after a ping never
//! overtakes the pong. A send writes directly only with the write half parked
//! and `pending == 0`, so it can never overtake a queued message, nor interleave with a frame
//! the writer is writing. Whatever part of the frame the socket does not take at once goes to
//! the writer as raw bytes, ahead of anything queued later. The caller never blocks on the
//! network: the lock is only held for a `try_write` or a queue push.
//!
//! Only for a request/response pattern: a send goes direct when the peer has sent a message
//! since the last direct send (or none was sent yet on this connection), and only for
//! messages up to [`DIRECT_MAX`] bytes. A burst of sends (pipelining) and large messages go
//! through the writer task, which coalesces a burst into one write and masks large payloads in
//! cache-sized chunks: writing each of 64 pipelined messages with its own syscall cost 4× in
//! pipelined throughput, and a 1 MiB direct frame 0.6× in echo throughput, for 1.1× in
//! sequential round trips (bench/c, same run).
//!
//! Plain TCP only: a TLS stream cannot be written without blocking from outside its task, so
//! over `wss://` every message goes through the writer task as before. Messages the writer
//! would compress (permessage-deflate, from the threshold) also go through it: it owns the
//! compressor's context.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::net::tcp::OwnedWriteHalf;
use tungstenite::Message;

use super::{Command, Shared};
use crate::frame;

/// Largest payload sent directly (larger ones go through the writer task).
pub(super) const DIRECT_MAX: usize = 16 << 10;

/// Set by the reader when a data message arrives, taken by a direct send: "the last send was
/// answered", the request/response pattern the direct path is for.
#[derive(Debug)]
pub(super) struct Answered(AtomicBool);

impl Default for Answered {
    fn default() -> Self {
        Answered(AtomicBool::new(true))
    }
}

impl Answered {
    /// The reader got a data message.
    pub(super) fn set(&self) {
        if !self.0.load(Ordering::Relaxed) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    /// Takes the flag: true if a message arrived since the last take.
    fn take(&self) -> bool {
        self.0.swap(false, Ordering::Relaxed)
    }
}

/// What the direct path shares with the writer task, behind `Shared::direct`.
#[derive(Debug, Default)]
pub(super) struct Direct {
    /// The connection's TCP write half while the writer task is not writing (None while it
    /// writes, while connecting, over TLS).
    pub(super) io: Option<OwnedWriteHalf>,
    /// Commands and control frames in the writer's queues or being written.
    pub(super) pending: usize,
    /// Messages of at least this many bytes are compressed by the writer: not sent directly.
    pub(super) compress_from: usize,
}

/// Sends `cmd` through the writer task, counted in `pending`. Fails if the task is gone.
pub(super) fn queue(shared: &Shared, d: &mut Direct, cmd: Command) -> Result<(), Command> {
    shared.tx.send(cmd).map_err(|e| e.0)?;
    d.pending += 1;
    Ok(())
}

/// Appends a masked frame carrying `payload` (one fresh random mask per frame).
pub(super) fn encode_frame(out: &mut Vec<u8>, rsv: u8, opcode: u8, payload: &[u8]) -> [u8; 4] {
    let mask: [u8; 4] = rand::random();
    let mut h = [0u8; frame::MAX_HEADER];
    let n = frame::encode_header(&mut h, true, rsv, opcode, payload.len(), Some(mask));
    out.extend_from_slice(&h[..n]);
    let start = out.len();
    out.extend_from_slice(payload);
    frame::apply_mask(&mut out[start..], mask, 0);
    mask
}

/// Tries to write `msg` now. Returns the message back when it must be queued instead (not
/// the moment, not possible, or the socket failed; the writer task then reports the failure).
pub(super) fn try_send(shared: &Shared, d: &mut Direct, msg: Message) -> Result<(), Message> {
    let (opcode, payload): (u8, &[u8]) = match &msg {
        Message::Text(t) => (frame::OP_TEXT, t.as_bytes()),
        Message::Binary(b) => (frame::OP_BINARY, b),
        _ => return Err(msg),
    };
    if d.pending != 0 || payload.len() >= d.compress_from || payload.len() > DIRECT_MAX {
        return Err(msg);
    }
    let Some(io) = d.io.as_ref() else { return Err(msg) };
    if !shared.answered.take() {
        return Err(msg);
    }
    let mut buf = Vec::with_capacity(payload.len() + frame::MAX_HEADER);
    encode_frame(&mut buf, 0, opcode, payload);
    let n = match io.try_write(&buf) {
        Ok(n) => n,
        // Nothing written: queue the message as usual.
        Err(_) => return Err(msg),
    };
    if n == buf.len() {
        return Ok(());
    }
    // The socket took part of the frame: the writer sends the rest before anything else.
    let rest = buf.split_off(n);
    let len = rest.len();
    shared.queued_bytes.fetch_add(len, Ordering::AcqRel);
    if queue(shared, d, Command::Raw(rest, len)).is_err() {
        // The connection task is gone; the frame is cut and the connection with it.
        shared.queued_bytes.fetch_sub(len, Ordering::AcqRel);
    }
    Ok(())
}
