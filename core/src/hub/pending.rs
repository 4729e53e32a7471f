//! Sockets in their handshake (TLS and HTTP request head), capped in number.
//!
//! A socket that connects and then sends nothing costs the hub a file descriptor until its
//! handshake timeout. Past `max_pending_handshakes`, each new socket evicts the oldest pending
//! one: legitimate clients send their request at once and finish long before they become the
//! oldest, while a flood of silent sockets only displaces itself.

use std::collections::BTreeMap;
use std::sync::Mutex;

use tokio::sync::oneshot;

use super::metrics::Counters;

/// The pending handshakes of one hub.
pub(crate) struct Pending {
    cap: usize,
    inner: Mutex<(u64, BTreeMap<u64, oneshot::Sender<()>>)>,
}

/// One socket's place among the pending handshakes; leaves it when dropped.
pub(crate) struct Ticket<'a> {
    pending: &'a Pending,
    id: u64,
    /// Fires when this handshake is evicted to make room.
    pub(crate) evicted: oneshot::Receiver<()>,
}

impl Pending {
    /// Room for `cap` (at least 1) handshakes at once.
    pub(crate) fn new(cap: usize) -> Self {
        Pending { cap: cap.max(1), inner: Mutex::new((0, BTreeMap::new())) }
    }

    /// Enters a new handshake, evicting the oldest one when the cap is reached.
    pub(crate) fn enter<'a>(&'a self, counters: &Counters) -> Ticket<'a> {
        let (tx, rx) = oneshot::channel();
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (next, map) = &mut *guard;
        while map.len() >= self.cap {
            match map.pop_first() {
                Some((_, oldest)) => {
                    let _ = oldest.send(());
                    counters.handshakes_evicted.inc();
                }
                None => break,
            }
        }
        let id = *next;
        *next += 1;
        map.insert(id, tx);
        Ticket { pending: self, id, evicted: rx }
    }

    /// Handshakes pending now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).1.len()
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        self.pending.inner.lock().unwrap_or_else(|e| e.into_inner()).1.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_is_evicted_past_the_cap_and_tickets_leave_when_dropped() {
        let counters = Counters::default();
        let p = Pending::new(2);
        let mut a = p.enter(&counters);
        let mut b = p.enter(&counters);
        assert_eq!(p.len(), 2);
        let mut c = p.enter(&counters);
        assert!(a.evicted.try_recv().is_ok(), "the oldest was evicted");
        assert!(b.evicted.try_recv().is_err());
        assert_eq!(counters.handshakes_evicted.get(), 1);
        drop(b);
        assert_eq!(p.len(), 1);
        let _d = p.enter(&counters);
        assert!(c.evicted.try_recv().is_err(), "room was left by the finished one");
        drop(a);
        assert_eq!(p.len(), 2);
    }
}
