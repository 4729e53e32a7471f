//! Load generator for the omnisock benchmarks.
//!
//! Each subcommand runs one scenario against a WebSocket server on the loopback
//! range and prints its result as one JSON line on stdout (`idle` prints a
//! `ready` line first). `--pid` names the server process so that its CPU time
//! (utime + stime from /proc) is measured over exactly the measurement window.

mod conn;
mod echo;
mod frame;
mod fanout;
mod hist;
mod idle;
mod rtt;
mod soak;
mod sys;

use std::net::IpAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use serde_json::{Map, Value};

use conn::Target;

#[derive(Parser)]
#[command(name = "omnisock-loadgen", about = "WebSocket load generator for the omnisock benchmarks")]
struct Cli {
    /// Runtime worker threads; 1 runs everything on one current-thread runtime.
    #[arg(long, global = true, default_value_t = 1)]
    threads: usize,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Args)]
struct Common {
    /// Server base URL, e.g. ws://127.0.0.1:9001 (loopback only).
    #[arg(long)]
    url: String,
    /// Server process id, to measure its CPU time over the measurement window.
    #[arg(long)]
    pid: Option<u32>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Pipelined echo of small messages: msgs/s and round-trip percentiles.
    Echo {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value = "/echo")]
        path: String,
        #[arg(long, default_value_t = 50)]
        conns: usize,
        /// Message size in bytes.
        #[arg(long, default_value_t = 64)]
        size: usize,
        /// Messages outstanding per connection.
        #[arg(long, default_value_t = 16)]
        inflight: usize,
        /// Send binary messages instead of text.
        #[arg(long)]
        binary: bool,
        /// Seconds of traffic before measuring.
        #[arg(long, default_value_t = 1.0)]
        warmup: f64,
        /// Seconds measured.
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
    },
    /// Pipelined echo of large binary messages: MiB/s.
    EchoLarge {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value = "/echo")]
        path: String,
        #[arg(long, default_value_t = 4)]
        conns: usize,
        /// Message size in bytes (default 1 MiB).
        #[arg(long, default_value_t = 1 << 20)]
        size: usize,
        #[arg(long, default_value_t = 2)]
        inflight: usize,
        #[arg(long, default_value_t = 1.0)]
        warmup: f64,
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
    },
    /// One publisher, many subscribers on the relay path: deliveries/s, latency, loss.
    Fanout {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value = "/ws/camera")]
        path: String,
        #[arg(long, default_value_t = 1000)]
        subs: usize,
        /// Messages per second; 0 publishes as fast as the window allows.
        #[arg(long, default_value_t = 200.0)]
        rate: f64,
        /// Seconds of publishing.
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
        /// Upper bound on messages published.
        #[arg(long, default_value_t = 1_000_000)]
        max_msgs: u64,
        /// Saturated mode: messages outstanding per subscriber (on average) before the publisher waits.
        #[arg(long, default_value_t = 32)]
        window: u64,
        /// Message size in bytes (at least 17).
        #[arg(long, default_value_t = 64)]
        size: usize,
        /// Seconds to wait for late deliveries after publishing.
        #[arg(long, default_value_t = 5.0)]
        drain: f64,
    },
    /// Open and hold idle connections.
    Idle {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value = "/echo")]
        path: String,
        #[arg(long, default_value_t = 5000)]
        conns: usize,
        /// Handshakes in flight at once.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Local IP to connect from (e.g. 127.0.0.2), to spread ephemeral ports.
        #[arg(long)]
        source_ip: Option<IpAddr>,
        /// Seconds allowed for each connect + handshake.
        #[arg(long, default_value_t = 3.0)]
        timeout: f64,
        /// Stop opening connections after this many failures.
        #[arg(long, default_value_t = 64)]
        max_failures: u64,
        /// Seconds to hold the connections (upper bound with --wait-stdin).
        #[arg(long, default_value_t = 10.0)]
        hold: f64,
        /// Hold until a line or EOF on stdin.
        #[arg(long)]
        wait_stdin: bool,
    },
    /// Sequential round trips, pipelined and 1 MiB echoes, idle CPU and memory of one blocking
    /// tungstenite client (no runtime, no extra thread): the C client's yardstick (bench/c).
    Rtt {
        /// Full URL of the echo route, e.g. ws://127.0.0.1:9001/echo (loopback only).
        #[arg(long)]
        url: String,
        /// Most sequential 64 B round trips.
        #[arg(long, default_value_t = 20_000)]
        count: usize,
        /// Most pipelined 64 B messages.
        #[arg(long, default_value_t = 100_000)]
        pipelined: usize,
        /// Most 1 MiB echoes.
        #[arg(long, default_value_t = 50)]
        large: usize,
        /// Upper bound in seconds on each phase.
        #[arg(long, default_value_t = 10.0)]
        max_time: f64,
        /// Seconds the idle client is watched.
        #[arg(long, default_value_t = 10.0)]
        idle: f64,
        /// Idle clients opened for the memory figure.
        #[arg(long, default_value_t = 50)]
        idle_clients: usize,
    },
    /// Soak: churn, fan-out, large messages, stalled readers and bad input against a hub
    /// with /echo (echo) and /chat (broadcast) for a while; fails when RSS, fds or latency drift.
    Soak {
        /// Server base URL, e.g. ws://127.0.0.1:9001 (loopback only).
        #[arg(long)]
        url: String,
        /// Hub process id (its RSS and open fds are watched).
        #[arg(long)]
        pid: u32,
        /// Seconds of load.
        #[arg(long, default_value_t = 120.0)]
        duration: f64,
        /// Seconds between samples.
        #[arg(long, default_value_t = 10.0)]
        sample: f64,
        /// Size of the large echoed message in bytes (at most half the hub's max message size).
        #[arg(long, default_value_t = 4 << 20)]
        large: usize,
        /// Broadcast subscribers that read.
        #[arg(long, default_value_t = 20)]
        subs: usize,
        /// Broadcast subscribers that never read (replaced every 20 s).
        #[arg(long, default_value_t = 20)]
        stalled: usize,
        /// Allowed growth of the median hub RSS, first third to last third, in MiB.
        #[arg(long, default_value_t = 32.0)]
        max_rss_growth_mib: f64,
        /// Allowed growth factor of the probe's p99 latency, first third to last third.
        #[arg(long, default_value_t = 3.0)]
        max_latency_factor: f64,
    },
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s.max(0.0))
}

fn target(common: &Common, path: &str) -> Result<Target, String> {
    Ok(Target::parse(common.url.trim_end_matches('/'))?.with_path(path))
}

async fn run(cmd: Cmd) -> Result<Map<String, Value>, String> {
    let mut out = match cmd {
        Cmd::Echo { common, path, conns, size, inflight, binary, warmup, duration } => {
            let p = echo::EchoParams {
                target: target(&common, &path)?,
                conns,
                size,
                inflight,
                binary,
                warmup: secs(warmup),
                duration: secs(duration),
                pid: common.pid,
            };
            echo::run(p).await
        }
        Cmd::EchoLarge { common, path, conns, size, inflight, warmup, duration } => {
            let p = echo::EchoParams {
                target: target(&common, &path)?,
                conns,
                size,
                inflight,
                binary: true,
                warmup: secs(warmup),
                duration: secs(duration),
                pid: common.pid,
            };
            echo::run(p).await
        }
        Cmd::Fanout { common, path, subs, rate, duration, max_msgs, window, size, drain } => {
            let p = fanout::FanoutParams {
                target: target(&common, &path)?,
                subs,
                rate,
                duration: secs(duration),
                max_msgs,
                window,
                size,
                drain: secs(drain),
                pid: common.pid,
            };
            fanout::run(p).await
        }
        Cmd::Idle { common, path, conns, concurrency, source_ip, timeout, max_failures, hold, wait_stdin } => {
            let p = idle::IdleParams {
                target: target(&common, &path)?,
                conns,
                concurrency,
                source_ip,
                timeout: secs(timeout),
                max_failures,
                hold: secs(hold),
                wait_stdin,
            };
            idle::run(p).await
        }
        Cmd::Rtt { .. } => return Err("rtt runs without a runtime (see main)".into()),
        Cmd::Soak { url, pid, duration, sample, large, subs, stalled, max_rss_growth_mib, max_latency_factor } => {
            let p = soak::SoakParams {
                target: Target::parse(url.trim_end_matches('/'))?,
                pid,
                duration: secs(duration),
                sample: secs(sample),
                large,
                subs,
                stalled,
                max_rss_growth_mib,
                max_latency_factor,
            };
            soak::run(p).await
        }
    };
    out.insert("ok".into(), out.get("error").is_none_or(Value::is_null).into());
    Ok(out)
}

fn main() {
    let cli = Cli::parse();
    if let Cmd::Rtt { url, count, pipelined, large, max_time, idle, idle_clients } = cli.cmd {
        // Blocking on the calling thread: no runtime at all.
        let p = rtt::RttParams { url, count, pipelined, large, max_time: secs(max_time), idle: secs(idle), idle_clients };
        match rtt::run(p) {
            Ok(out) => println!("{}", Value::Object(out)),
            Err(e) => {
                println!("{}", serde_json::json!({ "ok": false, "error": e }));
                std::process::exit(2);
            }
        }
        return;
    }
    let rt = if cli.threads <= 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread().worker_threads(cli.threads).enable_all().build()
    }
    .expect("tokio runtime");
    match rt.block_on(run(cli.cmd)) {
        Ok(out) => println!("{}", Value::Object(out)),
        Err(e) => {
            println!("{}", serde_json::json!({ "ok": false, "error": e }));
            std::process::exit(2);
        }
    }
}
