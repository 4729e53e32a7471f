//! Opening WebSocket connections to a loopback server.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::WebSocketStream;

use crate::frame::{self, Reader};

/// A client WebSocket over plain TCP.
pub type Ws = WebSocketStream<TcpStream>;

/// Where to connect: a parsed `ws://IP:PORT/path` URL on the loopback range.
#[derive(Clone, Debug)]
pub struct Target {
    pub url: String,
    pub addr: SocketAddr,
}

impl Target {
    /// Parses `ws://IP:PORT/path`. Only loopback addresses are accepted: this tool
    /// generates load and must never be pointed at another machine.
    pub fn parse(url: &str) -> Result<Target, String> {
        let rest = url.strip_prefix("ws://").ok_or("URL must start with ws://")?;
        let authority = rest.split('/').next().unwrap_or_default();
        let addr: SocketAddr = authority
            .parse()
            .map_err(|_| format!("{authority}: expected IP:PORT (no host names)"))?;
        if !addr.ip().is_loopback() {
            return Err(format!("{}: only loopback addresses may be targeted", addr.ip()));
        }
        Ok(Target { url: url.to_string(), addr })
    }

    /// The path part of the URL.
    pub fn path(&self) -> &str {
        let rest = &self.url["ws://".len()..];
        rest.find('/').map_or("/", |i| &rest[i..])
    }

    /// The same server with another path.
    pub fn with_path(&self, path: &str) -> Target {
        Target { url: format!("ws://{}{}", self.addr, path), addr: self.addr }
    }
}

/// Connection options.
#[derive(Clone, Copy)]
pub struct ConnectOpts {
    /// Local address to bind before connecting (spreads ephemeral ports over 127.0.0.x).
    pub source_ip: Option<IpAddr>,
    /// Bound on TCP connect plus the WebSocket handshake.
    pub timeout: Duration,
    /// Initial read buffer size; small for idle connections.
    pub read_buffer: usize,
    /// Close with RST instead of FIN when dropped, so no TIME_WAIT is left behind.
    pub zero_linger: bool,
}

impl Default for ConnectOpts {
    fn default() -> Self {
        ConnectOpts {
            source_ip: None,
            timeout: Duration::from_secs(10),
            read_buffer: 64 * 1024,
            zero_linger: false,
        }
    }
}

/// Opens a TCP connection to `target` as `opts` asks.
async fn tcp(target: &Target, opts: ConnectOpts) -> io::Result<TcpStream> {
    let socket = if target.addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    if let Some(ip) = opts.source_ip {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    let stream = socket.connect(target.addr).await?;
    stream.set_nodelay(true)?;
    if opts.zero_linger {
        stream.set_zero_linger()?;
    }
    Ok(stream)
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "connect/handshake timed out")
}

/// A WebSocket connection driven with [`crate::frame`]: the socket and its read buffer.
pub struct Raw {
    pub stream: TcpStream,
    pub reader: Reader,
}

/// Opens one connection for raw framing; `max_frame` bounds incoming frames.
pub async fn connect_raw(target: &Target, opts: ConnectOpts, max_frame: usize) -> io::Result<Raw> {
    let fut = async {
        let mut stream = tcp(target, opts).await?;
        let mut reader = Reader::new(opts.read_buffer, max_frame);
        frame::handshake(&mut stream, &target.addr.to_string(), target.path(), &mut reader).await?;
        Ok(Raw { stream, reader })
    };
    tokio::time::timeout(opts.timeout, fut).await.unwrap_or_else(|_| Err(timed_out()))
}

/// Opens `n` raw connections, at most `concurrency` handshakes at a time.
pub async fn connect_raw_many(
    target: &Target,
    n: usize,
    concurrency: usize,
    opts: ConnectOpts,
    max_frame: usize,
) -> io::Result<Vec<Raw>> {
    use futures_util::stream::{self, StreamExt, TryStreamExt};
    stream::iter(0..n)
        .map(|_| connect_raw(target, opts, max_frame))
        .buffer_unordered(concurrency.max(1))
        .try_collect()
        .await
}

/// Opens one WebSocket connection to `target` with tungstenite.
pub async fn connect(target: &Target, opts: ConnectOpts) -> io::Result<Ws> {
    let fut = async {
        let stream = tcp(target, opts).await?;
        let config = WebSocketConfig::default()
            .read_buffer_size(opts.read_buffer)
            .max_message_size(Some(64 << 20))
            .max_frame_size(Some(64 << 20));
        let (ws, _response) =
            tokio_tungstenite::client_async_with_config(target.url.as_str(), stream, Some(config))
                .await
                .map_err(io::Error::other)?;
        Ok(ws)
    };
    tokio::time::timeout(opts.timeout, fut).await.unwrap_or_else(|_| Err(timed_out()))
}
