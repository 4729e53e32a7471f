//! `omnisock hub`.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use omnisock_core::{Event, Hub, HubConfig};

/// Options of `omnisock hub`.
#[derive(Args)]
pub struct HubArgs {
    /// TOML config file (listen, routes, limits, tls, static_dir); see the README.
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// Listen address, overriding the config (port 0 picks a free port).
    #[arg(long, short = 'l', value_name = "IP:PORT")]
    listen: Option<String>,
    /// Also listen on this Unix domain socket (with `--listen ""`: only on it).
    #[arg(long, value_name = "PATH")]
    unix: Option<PathBuf>,
    /// Serve files from this directory for plain GET requests.
    #[arg(long = "static", value_name = "DIR")]
    static_dir: Option<PathBuf>,
    /// Print events of `host` routes (open/message/close) to stdout.
    #[arg(long, short = 'v')]
    verbose: bool,
}

/// Runs the hub until Ctrl-C or SIGTERM (Windows: Ctrl-C, Ctrl-Break or closing the console), then
/// shuts down gracefully (close 1001 to everyone).
pub fn run(args: HubArgs) -> Result<(), String> {
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            HubConfig::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => HubConfig::default_hub(),
    };
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(dir) = args.static_dir {
        config.static_dir = Some(dir);
    }
    if let Some(path) = args.unix {
        config.unix = Some(path);
    }
    let hub = Hub::start(config).map_err(|e| e.to_string())?;
    let addr = hub.local_addr();
    let scheme = if hub.config().tls.is_some() { "https" } else { "http" };
    let routes: Vec<String> = hub.config().routes.iter().map(|r| format!("{} ({})", r.path, r.kind.name())).collect();
    if !hub.config().listen.is_empty() {
        println!("omnisock hub listening on {scheme}://{addr}/");
    }
    if let Some(path) = &hub.config().unix {
        println!("omnisock hub listening on unix:{} ({scheme})", path.display());
    }
    println!("routes: {}", if routes.is_empty() { "none".to_string() } else { routes.join(", ") });
    if !hub.config().listen.is_empty() {
        println!("status: {scheme}://{addr}/_omnisock/status  metrics: {scheme}://{addr}/metrics");
    }
    let _ = std::io::stdout().flush();

    // Drain host-route events on a thread so a `host` route without a host never stalls.
    let drain = hub.clone();
    std::thread::Builder::new()
        .name("omnisock-events".into())
        .spawn(move || loop {
            drain.events().wait(std::time::Duration::from_millis(500));
            for e in drain.events().poll(256) {
                if args.verbose {
                    print_event(&e);
                }
            }
            if drain.is_shut_down() {
                break;
            }
        })
        .map_err(|e| e.to_string())?;

    let rt = omnisock_core::runtime::handle().map_err(|e| e.to_string())?;
    rt.block_on(shutdown_requested());
    eprintln!("omnisock hub: shutting down (closing {} connections with 1001)", hub.connection_count());
    hub.shutdown();
    Ok(())
}

/// Resolves when the user asks the hub to stop: Ctrl-C or SIGTERM on Unix; Ctrl-C, Ctrl-Break
/// or the console window closing on Windows.
#[cfg(unix)]
async fn shutdown_requested() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
    }
}

/// Resolves when the user asks the hub to stop: Ctrl-C or SIGTERM on Unix; Ctrl-C, Ctrl-Break
/// or the console window closing on Windows.
#[cfg(windows)]
async fn shutdown_requested() {
    use tokio::signal::windows::{ctrl_break, ctrl_close};
    let mut brk = ctrl_break().ok();
    let mut close = ctrl_close().ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = async { match brk.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => {}
        _ = async { match close.as_mut() { Some(s) => { s.recv().await; } None => std::future::pending().await } } => {}
    }
}

fn print_event(e: &Event) {
    match e {
        Event::Open(info) => println!("open {} {}?{} from {}", info.conn, info.path, info.query, info.remote),
        Event::Message { conn, data } => println!("message {conn} {}", String::from_utf8_lossy(data.as_bytes())),
        Event::Close { conn, code, reason, .. } => println!("close {conn} {code} {reason}"),
        Event::Error { conn, message, .. } => println!("error {conn} {message}"),
        Event::Handshake(info) => println!("handshake {} {}", info.conn, info.path),
        Event::Pong { conn, .. } => println!("pong {conn}"),
        Event::Rejected(_) => {}
        Event::Reconnecting { .. } => {}
    }
    let _ = std::io::stdout().flush();
}
