//! The short spin a host's wait does for the answer to what it just sent.
//!
//! A message from the peer reaches the host through a thread hand-off: a runtime thread reads
//! the socket and queues the event, and the host's thread, parked in a wait, is woken (a futex
//! or a wake fd: ~10-20 µs here, more under load or when the CPU had gone idle). In a
//! request/response exchange the answer usually arrives within a few tens of microseconds of
//! the send, so a wait that follows a send first spins up to [`SPIN`] for it and only then
//! parks: the round trip pays no wake-up. A client's spinning wait also reads the socket itself
//! (`client::host_read`, plain TCP): the answer is taken as soon as its bytes arrive, without
//! waiting for a tokio worker to wake either.
//!
//! A spin that has not seen its answer after [`YIELD_AFTER`] yields the CPU between checks: on a
//! machine with few cores the thread that makes the answer (the peer's server, a runtime
//! worker) may be waiting for exactly this CPU (measured here: the C# client's round trips went
//! from 2 of 6 runs at ~60k/s, the others at ~21k/s, to 6 of 6 at ~60k/s).
//!
//! Spinning is bounded and earned: a wait spins only when its owner sent a message or a ping
//! since the last wait ([`ReplySpin::expect`]), so an idle or receive-only host never spins
//! (an idle client costs no CPU); and after a spin that saw nothing (a slow peer, a large
//! message still in transit) the next [`SKIP_AFTER_MISS`] waits park at once.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Longest spin of one wait.
pub const SPIN: Duration = Duration::from_micros(50);

/// Spinning longer than this, a waiting thread yields its CPU between checks: the thread the
/// answer depends on (the peer in the same process, a runtime worker) may be waiting for it.
pub const YIELD_AFTER: Duration = Duration::from_micros(20);

/// Waits that park at once after a spin that saw nothing.
pub const SKIP_AFTER_MISS: u32 = 15;

/// Whether the next wait of one event queue spins.
#[derive(Debug, Default)]
pub(crate) struct ReplySpin {
    /// The owner sent something the peer answers since the last wait.
    expected: AtomicBool,
    /// Waits left that park at once (after a miss).
    skip: AtomicU32,
}

impl ReplySpin {
    /// The owner sent something the peer answers.
    pub(crate) fn expect(&self) {
        if !self.expected.load(Ordering::Relaxed) {
            self.expected.store(true, Ordering::Relaxed);
        }
    }

    /// Takes the decision for one wait: true when something was sent since the last wait and
    /// no recent spin missed.
    pub(crate) fn take(&self) -> bool {
        if !(self.expected.load(Ordering::Relaxed) && self.expected.swap(false, Ordering::Relaxed)) {
            return false;
        }
        let skip = self.skip.load(Ordering::Relaxed);
        if skip > 0 {
            self.skip.store(skip - 1, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// A spin ended without an answer: the next waits park at once.
    pub(crate) fn missed(&self) {
        self.skip.store(SKIP_AFTER_MISS, Ordering::Relaxed);
    }

    #[cfg(test)]
    pub(crate) fn is_expected(&self) -> bool {
        self.expected.load(Ordering::Relaxed)
    }
}

/// Spins until `ready()` or [`SPIN`] has passed (or `deadline`); returns whether it became
/// ready.
pub(crate) fn spin_until(deadline: Instant, ready: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    let end = (start + SPIN).min(deadline);
    let polite = start + YIELD_AFTER;
    loop {
        for _ in 0..32 {
            if ready() {
                return true;
            }
            std::hint::spin_loop();
        }
        let now = Instant::now();
        if now >= end {
            return ready();
        }
        if now >= polite {
            // The answer is late: perhaps the thread that makes it waits for this CPU.
            std::thread::yield_now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spins_only_after_a_send_and_not_again_soon_after_a_miss() {
        let s = ReplySpin::default();
        assert!(!s.take(), "nothing sent: no spin");
        s.expect();
        assert!(s.take(), "a send earns one spin");
        assert!(!s.take(), "one spin per send");
        s.missed();
        for i in 0..SKIP_AFTER_MISS {
            s.expect();
            assert!(!s.take(), "wait {i} after a miss parks at once");
        }
        s.expect();
        assert!(s.take(), "spinning resumes after the skipped waits");
    }

    #[test]
    fn spin_until_returns_when_ready_or_at_the_deadline() {
        assert!(spin_until(Instant::now() + Duration::from_secs(60), || true));
        assert!(!spin_until(Instant::now(), || false), "a past deadline ends the spin");
        assert!(!spin_until(Instant::now() + Duration::from_secs(60), || false), "the spin is bounded by SPIN");
    }
}
