//! `omnisock connect`.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use omnisock_core::{Client, ClientConfig, Event, Payload, ReconnectPolicy};

/// Options of `omnisock connect`.
#[derive(Args)]
pub struct ConnectArgs {
    /// ws:// or wss:// URL.
    url: String,
    /// Line framing (MMDAgent-EX): "\n" is appended to each sent message and received text is
    /// printed one line per "\n"-terminated line.
    #[arg(long)]
    line: bool,
    /// Extra request header, "Name: value" (repeatable).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// Subprotocol to offer (repeatable).
    #[arg(long = "protocol", value_name = "NAME")]
    protocols: Vec<String>,
    /// Extra CA certificate (PEM file) trusted for wss://.
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
    /// DANGEROUS: accept any server certificate (no authentication of the server at all).
    #[arg(long)]
    insecure_accept_any_certificate: bool,
    /// Reconnect up to N times after a lost connection (exponential backoff with jitter).
    #[arg(long, value_name = "N", default_value_t = 0)]
    reconnect: u32,
    /// Keepalive ping interval in seconds (0 = off).
    #[arg(long, value_name = "SECONDS", default_value_t = 20.0)]
    ping_interval: f64,
    /// Offer permessage-deflate (RFC 7692): messages from --compression-threshold bytes go out
    /// compressed once the server accepts.
    #[arg(long)]
    compression: bool,
    /// With --compression, messages shorter than this go uncompressed.
    #[arg(long, value_name = "BYTES", default_value_t = omnisock_core::config::DEFAULT_COMPRESSION_THRESHOLD)]
    compression_threshold: usize,
    /// With --compression, offer client_no_context_takeover and ask for
    /// server_no_context_takeover (every message compressed on its own, both ways).
    #[arg(long)]
    no_context_takeover: bool,
    /// After stdin ends and everything is sent, keep printing replies until none has arrived
    /// for this many seconds, then close (0 = close at once).
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0)]
    linger: f64,
}

/// Connects, pumps stdin to the socket and the socket to stdout until either side ends.
pub fn run(args: ConnectArgs) -> Result<(), String> {
    let mut config = ClientConfig::new(&args.url);
    config.line_framing = args.line;
    for h in &args.headers {
        let (name, value) = h.split_once(':').ok_or_else(|| format!("header {h:?} must look like \"Name: value\""))?;
        config.headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    config.subprotocols = args.protocols.clone();
    if let Some(path) = &args.ca_file {
        config.tls.extra_ca_pem = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    }
    if args.insecure_accept_any_certificate {
        eprintln!("omnisock: WARNING: certificate verification is OFF; the server is not authenticated");
        config.tls.danger_accept_invalid_certs = true;
    }
    if args.reconnect > 0 {
        config.reconnect = ReconnectPolicy::backoff(args.reconnect);
    }
    config.ping_interval = (args.ping_interval > 0.0).then(|| Duration::from_secs_f64(args.ping_interval));
    config.compression = args.compression;
    config.compression_threshold = args.compression_threshold;
    config.compression_options.client_no_context_takeover = args.no_context_takeover;
    config.compression_options.server_no_context_takeover = args.no_context_takeover;
    let client = Client::connect(config).map_err(|e| e.to_string())?;

    let sender = client.clone();
    let stdin_done = Arc::new(AtomicBool::new(false));
    let done = stdin_done.clone();
    std::thread::Builder::new()
        .name("omnisock-stdin".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            for line in stdin.lock().lines() {
                let Ok(line) = line else { break };
                // Wait for room rather than fail: stdin is a stream we can pause.
                loop {
                    match sender.send_text(&line) {
                        Ok(()) => break,
                        Err(e) if e.code() == omnisock_core::ErrorCode::QueueFull => std::thread::sleep(Duration::from_millis(5)),
                        Err(e) => {
                            eprintln!("omnisock: {e}");
                            return;
                        }
                    }
                }
            }
            done.store(true, Ordering::Release);
        })
        .map_err(|e| e.to_string())?;

    let linger = Duration::from_secs_f64(args.linger.max(0.0));
    let mut last_activity = Instant::now();
    let mut closing = false;
    let stdout = std::io::stdout();
    loop {
        client.events().wait(Duration::from_millis(50));
        // Stdin ended: once everything is sent and the peer has been quiet for `linger`, close.
        if !closing && stdin_done.load(Ordering::Acquire) && client.queued_bytes() == 0 && last_activity.elapsed() >= linger {
            closing = true;
            let _ = client.close(1000, "");
        }
        let mut out = stdout.lock();
        for event in client.events().poll(256) {
            last_activity = Instant::now();
            match event {
                Event::Open(info) => {
                    eprintln!("omnisock: connected to {}{}", args.url, info.protocol.map(|p| format!(" (subprotocol {p})")).unwrap_or_default());
                }
                Event::Message { data: Payload::Text(t), .. } => {
                    let _ = writeln!(out, "{}", t.as_str().strip_suffix('\n').unwrap_or(t.as_str()));
                }
                Event::Message { data: Payload::Binary(b), .. } => {
                    let _ = writeln!(out, "<binary {} bytes>", b.len());
                }
                Event::Error { message, .. } => eprintln!("omnisock: error: {message}"),
                Event::Rejected(r) => {
                    let body = String::from_utf8_lossy(&r.body);
                    eprintln!("omnisock: refused with HTTP {}{}{}", r.status, if body.trim().is_empty() { "" } else { ": " }, body.trim());
                }
                Event::Pong { .. } | Event::Handshake(_) => {}
                Event::Reconnecting { attempt, delay, reason } => {
                    eprintln!("omnisock: {reason}; reconnecting (attempt {attempt}) in {delay:.1?}")
                }
                Event::Close { code, reason, .. } => {
                    let _ = out.flush();
                    eprintln!("omnisock: closed ({code}{}{reason})", if reason.is_empty() { "" } else { ": " });
                    return if code == 1000 || code == 1001 || code == 1005 { Ok(()) } else { Err(format!("connection ended with code {code}")) };
                }
            }
        }
        let _ = out.flush();
    }
}
