//! The connection task of a client: connect, run, keep alive, reconnect.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, Mutex as AsyncMutex};
use tokio::time::{sleep, sleep_until, timeout, Instant};
use tokio_tungstenite::WebSocketStream;
use tungstenite::client::IntoClientRequest;
use tungstenite::handshake::client::Request;
use tungstenite::http::{HeaderName, HeaderValue};
use tungstenite::Message;

use super::{ClientState, Command, LineSplitter, Shared};
use crate::error::{Error, ErrorCode, Result};
use crate::event::{Event, OpenInfo, Payload};
use crate::io::BoxedIo;
use crate::ws;

/// Read buffer of a client connection (large frames reserve their full size anyway).
const CLIENT_READ_BUFFER: usize = 16 << 10;
/// Bytes collected before writing to the socket (every batch is flushed).
const CLIENT_WRITE_BUFFER: usize = 16 << 10;

/// Most bytes written between two flushes when coalescing queued messages.
const COALESCE_BYTES: usize = 256 << 10;

/// The parsed destination of a client.
pub(super) struct Target {
    /// The URL for messages (credentials hidden).
    pub(super) url: String,
    /// The URL as given (redirects resolve against it).
    pub(super) raw: String,
    /// The upgrade request (headers included; no cookies, which are added per attempt).
    pub(super) request: Request,
    /// Host and port to connect to (unless a Unix socket is configured).
    pub(super) host: String,
    pub(super) port: u16,
    /// TLS configuration and server name for wss.
    pub(super) tls: Option<(Arc<rustls::ClientConfig>, rustls_pki_types::ServerName<'static>)>,
}

impl Target {
    /// Validates every URL, the headers, subprotocols and TLS material of `config`.
    pub(super) fn parse_all(config: &crate::ClientConfig) -> Result<Vec<Target>> {
        std::iter::once(&config.url).chain(&config.fallback_urls).map(|u| Target::parse(config, u)).collect()
    }

    // Not inlined: it is called from two places, and it is large.
    #[inline(never)]
    pub(super) fn parse(config: &crate::ClientConfig, raw: &str) -> Result<Target> {
        let url = &super::proxy::redact(raw);
        let mut request = raw
            .into_client_request()
            .map_err(|e| Error::new(ErrorCode::InvalidUrl, format!("invalid WebSocket URL {url:?}: {e}")))?;
        let uri = request.uri().clone();
        let secure = match uri.scheme_str() {
            Some("ws") => false,
            Some("wss") => true,
            other => return Err(Error::new(ErrorCode::InvalidUrl, format!("URL {url:?}: scheme must be ws or wss, not {other:?}"))),
        };
        let host = uri.host().filter(|h| !h.is_empty()).ok_or_else(|| Error::new(ErrorCode::InvalidUrl, format!("URL {url:?} has no host")))?.to_string();
        let port = explicit_port(uri.authority().map_or("", |a| a.as_str()), url)?.unwrap_or(if secure { 443 } else { 80 });
        for (name, value) in &config.headers {
            let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| Error::invalid(format!("invalid header name {name:?}")))?;
            let v = HeaderValue::from_str(value).map_err(|_| Error::invalid(format!("invalid value for header {name:?}")))?;
            request.headers_mut().append(n, v);
        }
        if !config.subprotocols.is_empty() {
            for p in &config.subprotocols {
                if p.is_empty() || p.bytes().any(|b| !b.is_ascii_graphic() || b == b',') {
                    return Err(Error::invalid(format!("invalid subprotocol {p:?}")));
                }
            }
            let v = HeaderValue::from_str(&config.subprotocols.join(", ")).map_err(|_| Error::invalid("invalid subprotocols"))?;
            request.headers_mut().insert("sec-websocket-protocol", v);
        }
        super::credentials::authorize(&mut request, url)?;
        let tls = if secure {
            let pins = crate::tls::pins::Pins::parse(&config.certificate_pins)?;
            Some((crate::tls::client_config_pinned(&config.tls, false, &pins)?, crate::tls::server_name(&host)?))
        } else {
            None
        };
        Ok(Target { url: url.to_string(), raw: raw.to_string(), request, host, port, tls })
    }
}

/// The port written in a URL's authority (`user@host:port`, `[v6]:port`), if any. A port that
/// is not a number or outside 1..=65535 is an error: it must never fall back to the
/// scheme's default port (the request, with its headers, would go to another service).
fn explicit_port(authority: &str, url: &str) -> Result<Option<u16>> {
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let port = match host_port.rfind(']') {
        Some(end) => host_port[end + 1..].strip_prefix(':'),
        None => host_port.rsplit_once(':').map(|(_, p)| p),
    };
    match port {
        // `ws://host:/` names the default port (RFC 3986 §3.2.3).
        None | Some("") => Ok(None),
        Some(p) => match p.parse::<u16>() {
            Ok(n) if p.bytes().all(|b| b.is_ascii_digit()) && n > 0 => Ok(Some(n)),
            _ => Err(Error::new(ErrorCode::InvalidUrl, format!("URL {url:?}: port {p:?} must be a number from 1 to 65535"))),
        },
    }
}

type Ws = WebSocketStream<BoxedIo>;

/// How a connection ended.
struct End {
    code: u16,
    reason: String,
    clean: bool,
}

/// Runs the client until it is closed for good.
pub(super) async fn run(shared: Arc<Shared>, targets: Vec<Target>, rx: mpsc::UnboundedReceiver<Command>) {
    let mut stopped = Stopped { shared: shared.clone(), finished: false };
    let mut current = 0usize;
    let rx = Arc::new(AsyncMutex::new(rx));
    let policy = shared.config.reconnect.clone();
    let mut attempt: u32 = 0;
    let end = loop {
        // A close during the first connect lets it finish, so the queued messages go out
        // before the closing handshake; a close while waiting to reconnect stops for good.
        if shared.user_closed.load(Ordering::Acquire) && attempt > 0 {
            break End { code: ws::CLOSE_NORMAL, reason: "closed while waiting to reconnect".into(), clean: false };
        }
        let lost = {
            let r = timeout(shared.config.connect_timeout, connect(&shared, &targets[current])).await;
            match r {
                Ok(Ok((socket, info))) => {
                    attempt = 0;
                    if !shared.user_closed.load(Ordering::Acquire) {
                        shared.set_state(ClientState::Open);
                    }
                    shared.events.push_now(Event::Open(Box::new(info)));
                    let end = session(&shared, socket, &rx).await;
                    if shared.user_closed.load(Ordering::Acquire) || !policy.enabled() {
                        break end;
                    }
                    format!("connection lost ({} {})", end.code, end.reason)
                }
                Ok(Err(e)) => {
                    if let Some(r) = e.refusal() {
                        shared.events.push_now(Event::Rejected(Box::new(r.clone())));
                    }
                    shared.events.push_now(Event::Error { conn: 0, code: e.code(), message: e.message().to_string() });
                    if !policy.enabled() || shared.user_closed.load(Ordering::Acquire) {
                        break End { code: ws::CLOSE_ABNORMAL, reason: e.message().to_string(), clean: false };
                    }
                    e.message().to_string()
                }
                Err(_) => {
                    let msg = format!("connect timed out after {:?} ({})", shared.config.connect_timeout, targets[current].url);
                    shared.events.push_now(Event::Error { conn: 0, code: ErrorCode::Timeout, message: msg.clone() });
                    if !policy.enabled() || shared.user_closed.load(Ordering::Acquire) {
                        break End { code: ws::CLOSE_ABNORMAL, reason: msg, clean: false };
                    }
                    msg
                }
            }
        };
        current = (current + 1) % targets.len();
        attempt += 1;
        if attempt > policy.max_attempts {
            break End {
                code: ws::CLOSE_ABNORMAL,
                reason: format!("gave up reconnecting after {} attempts; last error: {lost}", policy.max_attempts),
                clean: false,
            };
        }
        let delay = policy.delay(attempt);
        shared.set_state(ClientState::Connecting);
        shared.events.push_now(Event::Reconnecting { attempt, delay, reason: lost });
        tokio::select! {
            _ = sleep(delay) => {}
            _ = shared.closing.notified() => {}
        }
    };
    // Whatever is still queued will never be sent: the Close event tells the host so.
    rx.lock().await.close();
    stopped.finished = true;
    finish(&shared, end);
}

/// Marks the client closed for good and reports it.
fn finish(shared: &Shared, end: End) {
    shared.set_state(ClientState::Closed);
    shared.queued_bytes.store(0, Ordering::Release);
    shared.events.push_now(Event::Close { conn: 0, code: end.code, reason: end.reason, clean: end.clean });
}

/// Reports the close when the connection task is dropped without finishing (the runtime was
/// shut down), so the host is never left with an "open" client that is gone.
struct Stopped {
    shared: Arc<Shared>,
    finished: bool,
}

impl Drop for Stopped {
    fn drop(&mut self) {
        if !self.finished && self.shared.state() != ClientState::Closed {
            let reason = if self.shared.aborted.load(Ordering::Acquire) {
                "aborted by the host"
            } else {
                "the omnisock runtime was shut down"
            };
            finish(&self.shared, End { code: ws::CLOSE_ABNORMAL, reason: reason.into(), clean: false });
        }
    }
}

/// Transport (+ TLS) + WebSocket handshake (see `dial`).
async fn connect(shared: &Shared, target: &Target) -> Result<(Ws, OpenInfo)> {
    let super::dial::Opened { mut io, accepted, remote, local, path, query } = super::dial::open(shared, target).await?;
    let wscfg = ws::config(CLIENT_READ_BUFFER, CLIENT_WRITE_BUFFER, shared.config.max_message_size);
    let mut rest = accepted.rest;
    io.check_frames(&mut rest);
    let socket = WebSocketStream::from_partially_read(io, rest, tungstenite::protocol::Role::Client, Some(wscfg)).await;
    let (headers, protocol) = (accepted.headers, accepted.protocol);
    let info = OpenInfo {
        conn: 0,
        path,
        query,
        remote,
        local,
        headers,
        protocol,
    };
    Ok((socket, info))
}

/// Control messages from the reader to the writer.
enum Ctl {
    Ping,
    Close(u16, String),
}

/// Runs one open connection until it ends.
async fn session(shared: &Arc<Shared>, socket: Ws, rx: &Arc<AsyncMutex<mpsc::UnboundedReceiver<Command>>>) -> End {
    let (sink, mut stream) = socket.split();
    let (ctl_tx, ctl_rx) = mpsc::unbounded_channel();
    let writer = tokio::spawn(writer(shared.clone(), sink, rx.clone().lock_owned().await, ctl_rx));
    let mut writer_done = false;
    let cfg = &shared.config;
    let mut lines = cfg.line_framing.then(LineSplitter::default);
    let mut last_rx = Instant::now();
    let mut ping_sent: Option<Instant> = None;
    let mut close_deadline: Option<Instant> = None;
    let mut peer_close: Option<(u16, String)> = None;
    let far = Instant::now() + Duration::from_secs(86400 * 365);
    let mut writer = writer;
    // One timer for keepalive and the close deadline, re-armed when it fires or a close starts
    // (never per message).
    let timer = sleep_until(cfg.ping_interval.map_or(far, |i| last_rx + i));
    tokio::pin!(timer);
    let end = loop {
        tokio::select! {
            msg = stream.next() => {
                last_rx = Instant::now();
                match msg {
                    Some(Ok(Message::Text(t))) => match lines.as_mut() {
                        Some(splitter) => {
                            for line in splitter.feed(&t) {
                                shared.events.push(Event::Message { conn: 0, data: Payload::Text(line.into()) }).await;
                            }
                        }
                        None => shared.events.push(Event::Message { conn: 0, data: Payload::Text(t) }).await,
                    },
                    Some(Ok(Message::Binary(b))) => shared.events.push(Event::Message { conn: 0, data: Payload::Binary(b) }).await,
                    Some(Ok(Message::Close(frame))) => {
                        peer_close = Some(frame.map(|f| (u16::from(f.code), f.reason.to_string())).unwrap_or((1005, String::new())));
                        let d = *close_deadline.get_or_insert(Instant::now() + cfg.close_timeout);
                        timer.as_mut().reset(d);
                    }
                    Some(Ok(Message::Pong(p))) if !p.is_empty() => {
                        shared.events.push_now(Event::Pong { conn: 0, payload: p });
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        let (code, kind, message) = ws::classify_read_error(&e);
                        if let Some((c, r)) = peer_close.take() {
                            break End { code: c, reason: r, clean: true };
                        }
                        if kind != ErrorCode::Closed && kind != ErrorCode::Io {
                            shared.events.push_now(Event::Error { conn: 0, code: kind, message: message.clone() });
                        }
                        if let Some(code) = code {
                            let _ = ctl_tx.send(Ctl::Close(code, message.clone()));
                            // Give the writer a moment to put the close frame on the wire.
                            let _ = timeout(Duration::from_millis(500), &mut writer).await;
                            writer_done = true;
                            break End { code, reason: message, clean: false };
                        }
                        break End { code: ws::CLOSE_ABNORMAL, reason: message, clean: false };
                    }
                    None => {
                        break match peer_close.take() {
                            Some((c, r)) => End { code: c, reason: r, clean: true },
                            None => End { code: ws::CLOSE_ABNORMAL, reason: "connection closed without a close frame".into(), clean: false },
                        };
                    }
                }
            }
            w = &mut writer, if !writer_done => {
                writer_done = true;
                match w {
                    Ok(Ok(())) => {
                        let d = *close_deadline.get_or_insert(Instant::now() + cfg.close_timeout);
                        timer.as_mut().reset(d);
                    }
                    Ok(Err(msg)) => break End { code: ws::CLOSE_ABNORMAL, reason: msg, clean: false },
                    Err(_) => break End { code: ws::CLOSE_ABNORMAL, reason: "writer stopped".into(), clean: false },
                }
            }
            _ = &mut timer => {
                let now = Instant::now();
                if close_deadline.is_some_and(|d| now >= d) {
                    let (code, reason) = peer_close.take().unwrap_or((ws::CLOSE_ABNORMAL, format!("no close frame from the peer within {:?}", cfg.close_timeout)));
                    break End { code, reason, clean: false };
                }
                let mut next = close_deadline.unwrap_or(far);
                if let Some(interval) = cfg.ping_interval {
                    if ping_sent.is_some_and(|sent| last_rx >= sent) {
                        ping_sent = None;
                    }
                    match ping_sent {
                        Some(sent) if now >= sent + cfg.pong_timeout => {
                            let reason = format!("keepalive timeout: no pong within {:?}", cfg.pong_timeout);
                            shared.events.push_now(Event::Error { conn: 0, code: ErrorCode::Timeout, message: reason.clone() });
                            break End { code: ws::CLOSE_ABNORMAL, reason, clean: false };
                        }
                        Some(sent) => next = next.min(sent + cfg.pong_timeout),
                        None if now >= last_rx + interval => {
                            let _ = ctl_tx.send(Ctl::Ping);
                            ping_sent = Some(now);
                            next = next.min(now + cfg.pong_timeout);
                        }
                        None => next = next.min(last_rx + interval),
                    }
                }
                timer.as_mut().reset(next);
            }
        }
    };
    if let Some(splitter) = lines.as_mut() {
        if let Some(tail) = splitter.finish() {
            shared.events.push_now(Event::Message { conn: 0, data: Payload::Text(tail.into()) });
        }
    }
    if !writer_done {
        writer.abort();
    }
    end
}

/// Writes queued messages, coalescing many into one flush. Returns Ok after sending a close
/// frame, Err(reason) when writing failed.
async fn writer(
    shared: Arc<Shared>,
    mut sink: futures_util::stream::SplitSink<Ws, Message>,
    mut rx: tokio::sync::OwnedMutexGuard<mpsc::UnboundedReceiver<Command>>,
    mut ctl: mpsc::UnboundedReceiver<Ctl>,
) -> std::result::Result<(), String> {
    let io_err = |e: tungstenite::Error| format!("send failed: {e}");
    loop {
        let first = tokio::select! {
            biased;
            c = ctl.recv() => match c {
                Some(Ctl::Ping) => { sink.send(Message::Ping(Default::default())).await.map_err(io_err)?; continue; }
                Some(Ctl::Close(code, reason)) => {
                    let _ = sink.send(Message::Close(Some(ws::close_frame(code, &reason)))).await;
                    return Ok(());
                }
                None => return Ok(()),
            },
            c = rx.recv() => match c {
                Some(c) => c,
                None => return Ok(()),
            },
        };
        let mut next = Some(first);
        let mut written = 0usize;
        while let Some(cmd) = next.take() {
            match cmd {
                Command::Send(msg, len) => {
                    shared.queued_bytes.fetch_sub(len, Ordering::AcqRel);
                    sink.feed(msg).await.map_err(io_err)?;
                    written += len;
                }
                Command::Ping(payload) => sink.feed(Message::Ping(payload)).await.map_err(io_err)?,
                Command::Close(code, reason) => {
                    sink.send(Message::Close(Some(ws::close_frame(code, &reason)))).await.map_err(io_err)?;
                    return Ok(());
                }
            }
            if written < COALESCE_BYTES {
                next = rx.try_recv().ok();
            }
        }
        sink.flush().await.map_err(io_err)?;
    }
}
