//! A small log-linear latency histogram in microseconds.
//!
//! Values below 1,024 µs are kept exactly; above that each power of two is split
//! into 128 buckets (under 1 % relative error). Buckets grow on demand, so a
//! histogram that only ever sees short latencies stays a few KiB.

const LINEAR: u64 = 1024;
const SUB_BITS: u32 = 7;
const SUB: u64 = 1 << SUB_BITS;

/// Latency histogram; merge per-task histograms with [`Hist::merge`].
#[derive(Default, Clone)]
pub struct Hist {
    counts: Vec<u32>,
    n: u64,
    max_us: u64,
}

fn index(us: u64) -> usize {
    if us < LINEAR {
        us as usize
    } else {
        let e = 63 - us.leading_zeros() as u64; // >= 10
        let m = (us >> (e - SUB_BITS as u64)) & (SUB - 1);
        (LINEAR + (e - 10) * SUB + m) as usize
    }
}

/// Midpoint of a bucket, in microseconds.
fn value(idx: usize) -> f64 {
    let idx = idx as u64;
    if idx < LINEAR {
        idx as f64
    } else {
        let e = (idx - LINEAR) / SUB + 10;
        let m = (idx - LINEAR) % SUB;
        let width = 1u64 << (e - SUB_BITS as u64);
        ((SUB + m) * width) as f64 + width as f64 / 2.0
    }
}

impl Hist {
    /// Records one sample, in microseconds.
    pub fn record(&mut self, us: u64) {
        let i = index(us);
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += 1;
        self.n += 1;
        self.max_us = self.max_us.max(us);
    }

    /// Adds every sample of `other` into `self`.
    pub fn merge(&mut self, other: &Hist) {
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.n += other.n;
        self.max_us = self.max_us.max(other.max_us);
    }

    /// The `q` quantile (0..=1) in microseconds, or 0 when empty.
    pub fn quantile(&self, q: f64) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        let rank = ((q * self.n as f64).ceil() as u64).clamp(1, self.n);
        let mut seen = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c as u64;
            if seen >= rank {
                return value(i).min(self.max_us as f64);
            }
        }
        self.max_us as f64
    }

    /// p50/p99/p99.9/max as JSON fields with the given prefix, in microseconds.
    pub fn to_json(&self, prefix: &str) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        for (name, q) in [("p50", 0.5), ("p99", 0.99), ("p999", 0.999)] {
            m.insert(format!("{prefix}_{name}_us"), round1(self.quantile(q)).into());
        }
        m.insert(format!("{prefix}_max_us"), self.max_us.into());
        m.insert(format!("{prefix}_samples"), self.n.into());
        m
    }
}

/// Rounds to one decimal place for printing.
pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_close() {
        let mut h = Hist::default();
        for us in 1..=100_000u64 {
            h.record(us);
        }
        let p50 = h.quantile(0.5);
        let p99 = h.quantile(0.99);
        assert!((p50 - 50_000.0).abs() / 50_000.0 < 0.01, "{p50}");
        assert!((p99 - 99_000.0).abs() / 99_000.0 < 0.01, "{p99}");
        assert_eq!(h.quantile(0.0), 1.0);
    }
}
