//! `omnisock`: a standalone hub and a command-line WebSocket client.

mod alloc;
mod cert;
mod connect;
mod hub;

use clap::{Parser, Subcommand};

/// omnisock: a fast, safe WebSocket hub and client.
#[derive(Parser)]
#[command(name = "omnisock", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a hub. Without --config: 127.0.0.1:9001 with /echo (echo), /chat (broadcast),
    /// /ws/camera (relay) and a demo page at http://127.0.0.1:9001/.
    Hub(hub::HubArgs),
    /// Connect to a WebSocket URL: stdin lines are sent as text messages, received messages are
    /// printed one per line (like websocat).
    Connect(connect::ConnectArgs),
    /// Write a private CA (ca.pem, made once per directory) and a server certificate signed by
    /// it (cert.pem, key.pem) for the given host names, for local wss:// (like mkcert).
    Cert(cert::CertArgs),
}

fn main() {
    alloc::return_large_frees_to_the_os();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Hub(args) => hub::run(args),
        Command::Connect(args) => connect::run(args),
        Command::Cert(args) => cert::run(args),
    };
    if let Err(e) = result {
        eprintln!("omnisock: {e}");
        std::process::exit(1);
    }
}
