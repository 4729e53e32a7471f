//! Reading a process's CPU time and resident memory from /proc (Linux).

use std::time::{SystemTime, UNIX_EPOCH};

/// CPU seconds (user + system, all threads) of process `pid`, or `None` if it is gone.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the ")" that closes the command name start at field 3 (state);
    // utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // SAFETY: sysconf has no memory-safety preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Some((utime + stime) as f64 / ticks)
}

/// CPU seconds used so far by this process.
pub fn own_cpu_seconds() -> f64 {
    cpu_seconds(std::process::id()).unwrap_or(0.0)
}

/// CPU time of this process (every thread) in seconds, to the nanosecond
/// (`CLOCK_PROCESS_CPUTIME_ID`; the /proc figures count in 10 ms ticks).
pub fn own_cpu_seconds_precise() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid out pointer for the call's duration.
    if unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) } != 0 {
        return 0.0;
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// Resident set size (VmRSS) of process `pid` in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Nanoseconds since the Unix epoch: a clock every process on the machine shares.
pub fn wall_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// Samples a server's CPU time at the start and end of a measurement window.
pub struct CpuMeter {
    pid: Option<u32>,
    start: Option<f64>,
    own_start: f64,
}

impl CpuMeter {
    /// Starts measuring (server `pid` when given, and this process).
    pub fn start(pid: Option<u32>) -> Self {
        CpuMeter { pid, start: pid.and_then(cpu_seconds), own_start: own_cpu_seconds() }
    }

    /// Adds `server_cpu_s`, `server_rss_kib` and `client_cpu_s` to `out`.
    pub fn finish(&self, out: &mut serde_json::Map<String, serde_json::Value>) {
        if let (Some(pid), Some(start)) = (self.pid, self.start) {
            if let Some(end) = cpu_seconds(pid) {
                out.insert("server_cpu_s".into(), round3(end - start).into());
            }
            if let Some(rss) = rss_kib(pid) {
                out.insert("server_rss_kib".into(), rss.into());
            }
        }
        out.insert("client_cpu_s".into(), round3(own_cpu_seconds() - self.own_start).into());
    }
}

/// Rounds to three decimal places for printing.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Context switches (voluntary + involuntary) of every thread of this process: each wake-up of a
/// sleeping thread counts one, so over an idle window this counts timer and poll wake-ups.
pub fn own_wakeups() -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else { return 0 };
    dir.flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("status")).ok())
        .flat_map(|s| {
            s.lines()
                .filter(|l| l.contains("ctxt_switches:"))
                .filter_map(|l| l.split(':').nth(1)?.trim().parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .sum()
}
