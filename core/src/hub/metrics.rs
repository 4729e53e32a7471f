//! Hub counters, the status JSON and the Prometheus text.

use std::sync::atomic::{AtomicU64, Ordering};

/// A monotonically increasing counter.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    /// Current value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

macro_rules! counters {
    ($($(#[doc = $doc:literal])* $name:ident),* $(,)?) => {
        /// Every counter of a hub. All are totals since start.
        #[derive(Debug, Default)]
        pub struct Counters {
            $($(#[doc = $doc])* pub $name: Counter,)*
        }
        impl Counters {
            /// `(name, help, value)` of every counter, in declaration order.
            pub fn snapshot(&self) -> Vec<(&'static str, &'static str, u64)> {
                vec![$((stringify!($name), concat!($($doc),*), self.$name.get()),)*]
            }
        }
    };
}

counters! {
    /// WebSocket connections accepted.
    connections_total,
    /// Handshakes refused because max_connections was reached.
    rejected_connection_limit,
    /// Handshakes refused by the origin allow-list.
    rejected_origin,
    /// Handshakes refused by the token check.
    rejected_auth,
    /// Handshakes to a path with no route.
    rejected_no_route,
    /// Malformed HTTP or WebSocket handshakes.
    rejected_bad_request,
    /// Sockets closed because their TLS handshake or request head took longer than handshake_timeout.
    handshake_timeouts,
    /// Sockets in their handshake closed to make room (max_pending_handshakes was reached).
    handshakes_evicted,
    /// Messages received from clients.
    messages_in,
    /// Payload bytes received from clients.
    bytes_in,
    /// Messages queued to connections (one per recipient).
    messages_out,
    /// Payload bytes queued to connections (one count per recipient).
    bytes_out,
    /// Messages dropped by the drop_oldest policy.
    dropped_oldest,
    /// Messages dropped by the drop_newest policy.
    dropped_newest,
    /// Connections closed with 1008 because their outbound queue overflowed.
    slow_consumer_closes,
    /// Queued messages discarded when a slow consumer was closed.
    dropped_on_close,
    /// Overflow policies applied because the hub-wide max_buffered budget was reached.
    budget_overflows,
    /// Connections closed with 1009 for an oversized message.
    oversize_closes,
    /// Connections closed with 1007 for invalid UTF-8.
    invalid_utf8_closes,
    /// Connections closed with 1002 for a protocol error.
    protocol_error_closes,
    /// Plain HTTP requests served (status, metrics, pages, files).
    http_requests,
    /// Connections that negotiated permessage-deflate.
    deflate_connections,
    /// Messages compressed by zlib (a copy shared by a fan-out's recipients counts once).
    deflate_compressions,
    /// Messages sent compressed (one per recipient).
    deflate_messages_out,
    /// Compressed payload bytes sent (one count per recipient).
    deflate_bytes_out,
    /// Uncompressed size of the messages sent compressed (one count per recipient).
    deflate_original_bytes_out,
}

