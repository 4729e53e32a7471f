//! permessage-deflate on the hub's write path: a connection's compressor, and the
//! compress-once fan-out (one compressed copy of a message shared by every subscriber that
//! negotiated the same compressor without context takeover).

use std::cell::RefCell;
use std::sync::Arc;

use bytes::Bytes;
use tungstenite::Message;

use super::metrics::Counters;
use super::outbox::Outgoing;
use crate::deflate::{Deflater, Params, Role, RouteCompression};
use crate::frame;
use crate::frame_io::{Deflated, Wire};

/// A compressor's identity for sharing: window bits, level and memory level.
fn profile(window: u8, level: u8, mem_level: u8) -> u32 {
    u32::from(window) << 16 | u32::from(level) << 8 | u32::from(mem_level)
}

thread_local! {
    /// One compressor per runtime thread for shared (no context takeover) messages.
    static SHARED: RefCell<Option<(u32, Deflater)>> = const { RefCell::new(None) };
}

/// Compresses `data` alone (no context) with the thread's shared compressor for `profile`.
fn compress_shared(key: u32, window: u8, level: u8, mem_level: u8, data: &[u8]) -> Option<Bytes> {
    SHARED.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|(k, _)| *k != key) {
            *slot = Some((key, Deflater::new(window, level, mem_level, true)));
        }
        let (_, d) = slot.as_mut().expect("set above");
        d.compress(data).ok().map(Bytes::from)
    })
}

/// One connection's outgoing compression (its writer task owns it).
pub(crate) struct ConnDeflate {
    threshold: usize,
    /// Set when the connection compresses without context: the shared profile.
    shared: Option<(u32, u8, u8, u8)>,
    /// The connection's own compressor (context takeover), created lazily on first use.
    own: Deflater,
    counters: Arc<Counters>,
}

impl ConnDeflate {
    /// The writer side of a negotiated connection on a route with `rc`.
    pub(crate) fn new(params: &Params, rc: &RouteCompression, counters: Arc<Counters>) -> Self {
        let settings = rc.settings();
        let own = params.deflater(Role::Server, &settings);
        let shared = params.server_no_context_takeover.then(|| {
            let window = params.server_max_window_bits.unwrap_or(15).min(rc.window_bits).max(crate::deflate::MIN_COMPRESS_WINDOW);
            (profile(window, rc.level, rc.memory_level), window, rc.level, rc.memory_level)
        });
        counters.deflate_connections.inc();
        ConnDeflate { threshold: rc.threshold, shared, own, counters }
    }

    /// The frames for a batch: messages from the threshold up go out compressed (shared when
    /// possible), the rest as they are.
    pub(crate) fn frames<'a>(&mut self, batch: &'a [Outgoing]) -> Vec<Wire<&'a Message>> {
        batch.iter().map(|m| self.frame(m)).collect()
    }

    fn frame<'a>(&mut self, m: &'a Outgoing) -> Wire<&'a Message> {
        let (opcode, data) = match &m.msg {
            Message::Text(t) => (frame::OP_TEXT, t.as_bytes()),
            Message::Binary(b) => (frame::OP_BINARY, &b[..]),
            other => return Wire::Plain(other),
        };
        if data.len() < self.threshold {
            return Wire::Plain(&m.msg);
        }
        let c = &self.counters;
        let shared = self.shared.and_then(|(key, window, level, mem)| {
            m.shared_deflated(key, || {
                c.deflate_compressions.inc();
                compress_shared(key, window, level, mem, data)
            })
        });
        let payload = match shared.clone() {
            Some(p) => p,
            None => match self.own.compress(data) {
                Ok(p) => {
                    c.deflate_compressions.inc();
                    Bytes::from(p)
                }
                // zlib failed (out of memory): the message still goes out, uncompressed.
                Err(_) => return Wire::Plain(&m.msg),
            },
        };
        // Incompressible data goes out as it is, when no context depends on what was sent.
        if payload.len() >= data.len() && (shared.is_some() || self.own.no_context_takeover()) {
            return Wire::Plain(&m.msg);
        }
        c.deflate_messages_out.inc();
        c.deflate_bytes_out.add(payload.len() as u64);
        c.deflate_original_bytes_out.add(data.len() as u64);
        Wire::Deflated(Deflated { opcode, payload })
    }

    /// Between batches: frees the own compressor's state if it keeps no context.
    pub(crate) fn idle(&mut self) {
        self.own.idle();
    }
}
