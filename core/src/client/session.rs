//! The connection task of a client: connect, run, keep alive, reconnect.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::{mpsc, Mutex as AsyncMutex};
use tokio::time::{sleep, timeout};
use tungstenite::client::IntoClientRequest;
use tungstenite::handshake::client::Request;
use tungstenite::http::{HeaderName, HeaderValue};

use super::{ClientState, Command, Shared};
use crate::error::{Error, ErrorCode, Result};
use crate::event::{Event, OpenInfo};
use crate::io::BoxedIo;
use crate::ws;

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
        if let Some(offer) = super::compress::offer(config) {
            let v = HeaderValue::from_str(&offer).map_err(|_| Error::invalid("invalid compression offer"))?;
            request.headers_mut().insert(super::compress::HEADER, v);
        }
        super::credentials::authorize(&mut request, url)?;
        let tls = if secure {
            let pins = crate::tls::pins::Pins::parse(&config.certificate_pins)?;
            Some((crate::tls::client_config_pinned(&config.tls, false, &pins)?, crate::tls::server_name(config.tls.server_name.as_deref().unwrap_or(&host))?))
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

/// How a connection ended.
pub(super) struct End {
    pub(super) code: u16,
    pub(super) reason: String,
    pub(super) clean: bool,
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
                Ok(Ok((io, rest, info, deflate))) => {
                    attempt = 0;
                    if !shared.user_closed.load(Ordering::Acquire) {
                        shared.set_state(ClientState::Open);
                    }
                    shared.events.push_now(Event::Open(Box::new(info)));
                    let end = super::conn::run(&shared, io, rest, deflate, &rx).await;
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

/// Transport (+ proxy, TLS, redirects; see `dial`) + WebSocket handshake + compression parameters.
async fn connect(shared: &Shared, target: &Target) -> Result<(BoxedIo, Vec<u8>, OpenInfo, Option<crate::deflate::Params>)> {
    let super::dial::Opened { io, accepted, remote, local, path, query } = super::dial::open(shared, target).await?;
    let rest = accepted.rest;
    let deflate = super::compress::accept(&shared.config, &accepted.headers, &target.url)?;
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
    Ok((io, rest, info, deflate))
}
