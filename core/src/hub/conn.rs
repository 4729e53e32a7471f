//! Accepting sockets and running one WebSocket connection of the hub.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
#[cfg(test)]
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::{timeout, Instant};
use tungstenite::Message;

use super::http::{self, HeadError, Request};
use super::compress::ConnDeflate;
use super::outbox::{Batch, Outbox};
use super::unix::{Listeners, Socket};
use super::{into_message, reports_to_host, to_message, Conn, HubInner, Route};
use crate::config::RouteKind;
use crate::error::ErrorCode;
use crate::event::{Event, OpenInfo, Payload};
use crate::frame_io::{self, Incoming, MessageReader, ReadError, Written};
use crate::io::{BoxedIo, NetStream, ReadIo, Stream, WriteHalf};
use crate::ws;

/// Time allowed for the peer's close frame after the hub sent one.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The hub's message reader over a connection's read half (boxed: it is most of a
/// connection's memory and would otherwise size the task future).
type Reader = Box<MessageReader<ReadIo>>;

/// Accepts sockets until shutdown.
pub(super) async fn accept_loop(inner: Arc<HubInner>, listener: Listeners) {
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok(socket) => {
                    tokio::spawn(handle_socket(inner.clone(), socket));
                }
                Err(_) => {
                    // Out of file descriptors or similar: back off briefly instead of spinning.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            _ = inner.stop_accepting.notified() => break,
        }
    }
    drop(listener);
    inner.listening.store(false, Ordering::Release);
}

/// Releases a `live` slot when dropped.
struct LiveSlot(Arc<HubInner>);
impl Drop for LiveSlot {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A connection whose handshake succeeded, ready to run.
struct Upgraded {
    route: Arc<Route>,
    info: OpenInfo,
    reader: Reader,
    writer: WriteHalf,
    /// permessage-deflate was negotiated: the writer's compressor.
    deflate: Option<Box<ConnDeflate>>,
    slot: LiveSlot,
}

/// One accepted socket: the handshake (in its own boxed future, freed when it ends), then the
/// WebSocket connection. Idle memory per connection is this task plus its writer task, so
/// nothing from the handshake may stay in it.
async fn handle_socket(inner: Arc<HubInner>, socket: Socket) {
    if let Some(up) = Box::pin(handshake(inner.clone(), socket)).await {
        run_connection(&inner, up).await;
    }
}

/// TLS (if configured) and the request head, within `handshake_timeout` and counted among the
/// pending handshakes (the oldest is evicted past `max_pending_handshakes`).
async fn read_head(inner: &HubInner, socket: Socket) -> Option<(BoxedIo, std::result::Result<Request, HeadError>)> {
    let mut ticket = inner.pending_handshakes.enter(&inner.counters);
    let head = async {
        let mut io: BoxedIo = match (socket, &inner.tls) {
            (Socket::Tcp(tcp, _), None) => Stream::tcp(tcp),
            #[cfg(unix)]
            (Socket::Unix(s), None) => Stream::boxed(s),
            #[cfg(not(unix))]
            (Socket::Unix(s), _) => match s {},
            (socket, Some(acceptor)) => {
                let net = match socket {
                    Socket::Tcp(tcp, _) => NetStream::Tcp(tcp),
                    #[cfg(unix)]
                    Socket::Unix(s) => NetStream::Unix(s),
                    #[cfg(not(unix))]
                    Socket::Unix(s) => match s {},
                };
                Stream::boxed(acceptor.accept(net).await.ok()?)
            }
        };
        let req = http::read_request(&mut io).await;
        Some((io, req))
    };
    tokio::select! {
        r = timeout(inner.config.handshake_timeout, head) => match r {
            Ok(r) => r,
            Err(_) => {
                inner.counters.handshake_timeouts.inc();
                None
            }
        },
        _ = &mut ticket.evicted => None,
    }
}

/// TLS (if configured), the request head, then a plain HTTP answer or a WebSocket upgrade.
async fn handshake(inner: Arc<HubInner>, socket: Socket) -> Option<Box<Upgraded>> {
    let (remote, local) = match &socket {
        Socket::Tcp(tcp, remote) => {
            let _ = tcp.set_nodelay(true);
            (remote.to_string(), tcp.local_addr().unwrap_or(inner.local_addr).to_string())
        }
        // A Unix socket's peer is unnamed; the local side is the socket path.
        Socket::Unix(_) => (String::new(), inner.config.unix.as_ref().map(|p| p.display().to_string()).unwrap_or_default()),
    };
    let (mut io, req) = read_head(&inner, socket).await?;
    let req = match req {
        Ok(req) => req,
        Err(HeadError::Bad(msg)) => {
            inner.counters.rejected_bad_request.inc();
            http::respond_error(&mut io, 400, &msg).await;
            return None;
        }
        Err(HeadError::Io) => return None,
    };
    if req.is_upgrade() {
        upgrade(&inner, io, req, remote, local).await
    } else {
        inner.counters.http_requests.inc();
        match host_http_route(&inner, &req) {
            Some(_) => Box::pin(host_http(&inner, &mut io, req, remote, local)).await,
            None => serve_http(&inner, &mut io, &req).await,
        }
        None
    }
}

/// The route whose host answers this plain request: a `GET`/`HEAD` for a path other than the
/// hub's own pages, on a route (or the `"*"` fallback) with `host_accepts`.
fn host_http_route<'a>(inner: &'a HubInner, req: &Request) -> Option<&'a Arc<Route>> {
    if !matches!(req.method.as_str(), "GET" | "HEAD") || matches!(req.path.as_str(), "/_omnisock/status" | "/metrics") {
        return None;
    }
    inner.routes.get(&req.path).or_else(|| inner.routes.get("*")).filter(|r| r.config.host_accepts)
}

/// A plain request on a `host_accepts` route: reported as a handshake; the host answers it
/// with `Hub::respond` (a health check, a redirect) or accepts it, which answers 426 as a
/// WebSocket endpoint does. 503 while the hub shuts down.
async fn host_http(inner: &HubInner, io: &mut BoxedIo, req: Request, remote: impl std::fmt::Display, local: impl std::fmt::Display) {
    let head_only = req.method == "HEAD";
    if inner.is_stopping() {
        http::respond_error(io, 503, "hub shutting down").await;
        return;
    }
    let info = OpenInfo {
        conn: inner.next_conn_id(),
        path: req.path,
        query: req.query,
        remote: remote.to_string(),
        local: local.to_string(),
        headers: req.headers,
        protocol: None,
    };
    match ask_host(inner, &info).await {
        super::Decision::Respond(a) => http::write_answer(io, &a, head_only).await,
        super::Decision::Accept(..) => {
            http::respond(io, 426, "text/plain; charset=utf-8", &[("Upgrade", "websocket")], b"426 Upgrade Required: this is a WebSocket endpoint\n", head_only).await;
        }
    }
}

async fn serve_http(inner: &HubInner, io: &mut BoxedIo, req: &Request) {
    let head_only = req.method == "HEAD";
    if req.method != "GET" && !head_only {
        http::respond_error(io, 405, "only GET and HEAD are served here").await;
        return;
    }
    let private = matches!(req.path.as_str(), "/_omnisock/status" | "/metrics");
    if private && inner.config.token.as_deref().is_some_and(|t| !super::auth::authorized(req, t)) {
        inner.counters.rejected_auth.inc();
        let body = b"401 Unauthorized: status and metrics need the hub's token (?token= or Authorization: Bearer)\n";
        http::respond(io, 401, "text/plain; charset=utf-8", &[("WWW-Authenticate", "Bearer")], body, head_only).await;
        return;
    }
    match req.path.as_str() {
        "/_omnisock/status" => {
            let body = super::status::status_json(inner);
            http::respond(io, 200, "application/json", &[("Access-Control-Allow-Origin", "*")], body.as_bytes(), head_only).await;
        }
        "/metrics" => {
            let body = super::status::metrics_text(inner);
            http::respond(io, 200, "text/plain; version=0.0.4; charset=utf-8", &[], body.as_bytes(), head_only).await;
        }
        "/" | "/index.html" if inner.config.demo_page => {
            http::respond(io, 200, "text/html; charset=utf-8", &[], super::status::DEMO_PAGE.as_bytes(), head_only).await;
        }
        path => {
            if inner.routes.contains_key(path) {
                http::respond(io, 426, "text/plain; charset=utf-8", &[("Upgrade", "websocket")], b"426 Upgrade Required: this path is a WebSocket route\n", head_only).await;
                return;
            }
            if let Some(root) = &inner.config.static_dir {
                // Boxed: the file path is rare, its future need not size every connection task.
                match Box::pin(super::static_files::serve(io, root, path, head_only)).await {
                    Ok(()) => return,
                    Err(super::static_files::Refused::BadPath) => {
                        http::respond_error(io, 404, "malformed path, or one that leaves the static directory").await;
                        return;
                    }
                    Err(super::static_files::Refused::NotFound) => {}
                }
            }
            http::respond_error(io, 404, &format!("nothing at {path}")).await;
        }
    }
}

/// Checks the upgrade request, answers it, and runs the connection.
async fn upgrade(inner: &Arc<HubInner>, mut io: BoxedIo, req: Request, remote: String, local: String) -> Option<Box<Upgraded>> {
    let c = &inner.counters;
    let Some(route) = inner.routes.get(&req.path).or_else(|| inner.routes.get("*")).cloned() else {
        c.rejected_no_route.inc();
        http::respond_error(&mut io, 404, &format!("no WebSocket route at {}", req.path)).await;
        return None;
    };
    // RFC 6455 §4.2.1: GET, HTTP/1.1 or later, "Connection: Upgrade", a 16-byte key.
    let malformed = if req.method != "GET" {
        Some("a WebSocket handshake must use GET")
    } else if req.version < 1 {
        Some("a WebSocket handshake needs HTTP/1.1")
    } else if !req.header_has("connection", "upgrade") {
        Some("a WebSocket handshake needs \"Connection: Upgrade\"")
    } else {
        None
    };
    if let Some(why) = malformed {
        c.rejected_bad_request.inc();
        http::respond_error(&mut io, 400, why).await;
        return None;
    }
    if req.header("sec-websocket-version").map(str::trim) != Some("13") {
        c.rejected_bad_request.inc();
        http::respond(&mut io, 426, "text/plain", &[("Sec-WebSocket-Version", "13")], b"426 Upgrade Required: WebSocket version 13 only\n", false).await;
        return None;
    }
    let Some(key) = req.header("sec-websocket-key").filter(|k| http::valid_ws_key(k)).map(str::to_string) else {
        c.rejected_bad_request.inc();
        http::respond_error(&mut io, 400, "missing or malformed Sec-WebSocket-Key (16 bytes in base64)").await;
        return None;
    };
    if !inner.config.origins.is_empty() && !req.header("origin").is_some_and(|o| inner.config.origins.iter().any(|a| a == o)) {
        c.rejected_origin.inc();
        http::respond_error(&mut io, 403, "origin not allowed").await;
        return None;
    }
    if let Some(token) = &inner.config.token {
        if !super::auth::authorized(&req, token) {
            c.rejected_auth.inc();
            http::respond_error(&mut io, 401, "missing or wrong token").await;
            return None;
        }
    }
    if inner.is_stopping() {
        http::respond_error(&mut io, 503, "hub shutting down").await;
        return None;
    }
    if inner.live.fetch_add(1, Ordering::AcqRel) >= inner.config.max_connections {
        inner.live.fetch_sub(1, Ordering::AcqRel);
        c.rejected_connection_limit.inc();
        http::respond_error(&mut io, 503, "connection limit reached").await;
        return None;
    }
    let slot = LiveSlot(inner.clone());
    let offered: Vec<String> = req
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("sec-websocket-protocol"))
        .flat_map(|(_, v)| v.split(',').map(|p| p.trim().to_string()))
        .filter(|p| !p.is_empty())
        .collect();
    let mut protocol = offered.iter().find(|p| route.config.subprotocols.contains(p)).cloned();
    let id = inner.next_conn_id();
    let mut info = OpenInfo {
        conn: id,
        path: req.path,
        query: req.query,
        remote,
        local,
        headers: req.headers,
        protocol: protocol.clone(),
    };
    let mut extra = Vec::new();
    if route.config.host_accepts {
        match ask_host(inner, &info).await {
            super::Decision::Accept(p, headers) => {
                extra = headers;
                if let Some(p) = &p {
                    if !offered.contains(p) {
                        http::respond_error(&mut io, 500, "the host chose a subprotocol the client did not offer").await;
                        return None;
                    }
                }
                if p.is_some() {
                    protocol = p;
                }
            }
            super::Decision::Respond(a) => {
                c.rejected_auth.inc();
                http::write_answer(&mut io, &a, false).await;
                return None;
            }
        }
        info.protocol = protocol.clone();
    }
    let deflate = route.config.compression.as_ref().and_then(|rc| {
        let offers = info.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case("sec-websocket-extensions")).map(|(_, v)| v.as_str());
        crate::deflate::server_negotiate(&rc.settings(), offers).map(|p| (p, rc))
    });
    let extensions = deflate.as_ref().map(|(p, _)| p.response());
    if io.write_all(http::upgrade_response(&key, protocol.as_deref(), extensions.as_deref(), &extra).as_bytes()).await.is_err() || io.flush().await.is_err() {
        return None;
    }
    c.connections_total.inc();
    let (read_half, writer, ahead) = io.into_split();
    let mut leftover = req.rest;
    leftover.extend_from_slice(&ahead);
    let mut reader = MessageReader::new(ReadIo::new(read_half), leftover, true, inner.config.max_message_size);
    if let Some((p, _)) = &deflate {
        reader = reader.with_inflater(p.inflater(crate::deflate::Role::Server));
    }
    let reader = Box::new(reader);
    let deflate = deflate.map(|(p, rc)| Box::new(ConnDeflate::new(&p, rc, inner.counters.clone())));
    // Boxed: async fn arguments keep their own space in a future, so an inline `Upgraded`
    // would stay in the connection's task for its whole life.
    Some(Box::new(Upgraded { route, info, reader, writer, deflate, slot }))
}

/// Time the host has to answer a paused handshake.
const DECISION_TIMEOUT: Duration = Duration::from_secs(10);

/// Reports a handshake to the host and waits for its decision.
async fn ask_host(inner: &HubInner, info: &OpenInfo) -> super::Decision {
    let (tx, rx) = tokio::sync::oneshot::channel();
    inner.pending.lock().unwrap_or_else(|e| e.into_inner()).insert(info.conn, tx);
    inner.events.push_now(Event::Handshake(Box::new(info.clone())));
    let d = timeout(DECISION_TIMEOUT, rx).await;
    inner.pending.lock().unwrap_or_else(|e| e.into_inner()).remove(&info.conn);
    match d {
        Ok(Ok(d)) => d,
        _ => super::Decision::Respond(http::Answer {
            status: 503,
            reason: String::new(),
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: b"the host did not answer the handshake in time".to_vec(),
        }),
    }
}

/// Runs one connection from open to close.
async fn run_connection(inner: &Arc<HubInner>, up: Box<Upgraded>) {
    let Upgraded { route, info, reader, writer, deflate, slot } = *up;
    let (conn, host) = register(inner, &route, info);
    let mut ended = Ended { inner: inner.clone(), conn: conn.clone(), host, end: None, _slot: slot };
    let writer = tokio::spawn(write_loop(writer, conn.outbox.clone(), deflate));
    ended.end = Some(read_loop(inner, &conn, reader, writer).await);
}

/// Enters a new connection in the hub's tables and reports it to a host route. Consumes the
/// open info so none of it stays in the connection's task.
fn register(inner: &Arc<HubInner>, route: &Arc<Route>, info: OpenInfo) -> (Arc<Conn>, bool) {
    let id = info.conn;
    let live = match (&route.config.live, &route.live_stats) {
        (Some(cfg), Some(stats)) => Some((super::live::SubscriberLive::new(cfg, super::live::max_rate_param(&info.query)), stats.clone())),
        _ => None,
    };
    let outbox = Arc::new(Outbox::new(route.config.queue_limit, route.config.on_overflow, inner.counters.clone(), inner.budget.clone(), live));
    let conn = Arc::new(Conn {
        id,
        route: route.clone(),
        outbox: outbox.clone(),
        groups: Mutex::new(HashSet::new()),
        killed: std::sync::atomic::AtomicBool::new(false),
        paused: std::sync::atomic::AtomicBool::new(false),
        control: Notify::new(),
    });
    inner.conns.write().unwrap_or_else(|e| e.into_inner()).insert(id, conn.clone());
    let first = {
        let mut members = route.members.write().unwrap_or_else(|e| e.into_inner());
        members.insert(id, outbox.clone());
        // Snapshot first: publishes wait for this lock, so live messages come after it.
        if let (Some(latest), Some(stats)) = (&route.latest, &route.live_stats) {
            let values = latest.lock().unwrap_or_else(|e| e.into_inner()).values();
            let now = std::time::Instant::now();
            for (key, payload) in values {
                if outbox.push(inner.budget.charge(to_message(&payload)).keyed(key, now)) == super::outbox::Pushed::Queued {
                    super::live::LiveStats::inc(&stats.snapshot_sent);
                }
            }
        }
        members.len() == 1
    };
    inner.topic_joined(route.topic.clone(), first);
    // A shutdown that began while this connection was in its handshake still reaches it.
    if inner.is_stopping() {
        outbox.request_close(ws::CLOSE_GOING_AWAY, "hub shutting down", false);
    }
    let host = reports_to_host(route.config.kind);
    if host {
        inner.events.push_now(Event::Open(Box::new(info)));
    }
    (conn, host)
}

/// Removes a connection from the hub when its task ends, normally or by being dropped (the
/// runtime shut down), and reports the close to the host.
struct Ended {
    inner: Arc<HubInner>,
    conn: Arc<Conn>,
    host: bool,
    end: Option<(u16, String, bool)>,
    /// Released last: the connection counts against `max_connections` until it is gone.
    _slot: LiveSlot,
}

impl Drop for Ended {
    fn drop(&mut self) {
        self.conn.outbox.finish();
        self.inner.remove_conn(&self.conn);
        if self.host {
            let (code, reason, clean) =
                self.end.take().unwrap_or((ws::CLOSE_ABNORMAL, "the omnisock runtime was shut down".into(), false));
            self.inner.events.push_now(Event::Close { conn: self.conn.id, code, reason, clean });
        }
    }
}

/// Reads messages and dispatches them by route kind until the connection ends; also runs
/// keepalive. Returns the close code, reason and whether the closing handshake completed.
async fn read_loop(
    inner: &Arc<HubInner>,
    conn: &Conn,
    mut reader: Reader,
    mut writer: tokio::task::JoinHandle<bool>,
) -> (u16, String, bool) {
    let c = &inner.counters;
    let kind = conn.route.config.kind;
    let host = reports_to_host(kind);
    let ping_interval = inner.config.ping_interval;
    let pong_timeout = inner.config.pong_timeout;
    let mut writer_done = false;
    let mut close_deadline: Option<Instant> = None;
    let mut peer_close: Option<(u16, String)> = None;
    // The close in the outbox is the answer to the peer's (report the peer's code and reason).
    let mut answering = false;
    let mut last_rx = Instant::now();
    let mut ping_sent: Option<Instant> = None;
    let far = Instant::now() + Duration::from_secs(86400 * 365);
    // One timer for keepalive and the close deadline, re-armed only when it fires or a close
    // starts (never per message).
    let timer = tokio::time::sleep_until(ping_interval.map_or(far, |i| last_rx + i));
    tokio::pin!(timer);
    let result = loop {
        let paused = conn.paused.load(Ordering::Acquire);
        tokio::select! {
            // A pause takes effect before any further read.
            biased;
            // Pausing or resuming re-evaluates `paused` (reading is cancel-safe).
            _ = conn.control.notified() => {
                if conn.killed.load(Ordering::Acquire) {
                    let (code, reason) = conn.outbox.close_requested().unwrap_or((ws::CLOSE_GOING_AWAY, "hub shutting down".into()));
                    break (code, reason, false);
                }
            }
            w = &mut writer, if !writer_done => {
                writer_done = true;
                match w {
                    // Our close frame answered the peer's: the handshake is complete.
                    Ok(true) if peer_close.is_some() => {
                        let (code, reason) = peer_close.take().unwrap_or((1005, String::new()));
                        break (code, reason, true);
                    }
                    // A close frame went out: wait for the peer's answer.
                    Ok(true) => {
                        let d = *close_deadline.get_or_insert(Instant::now() + CLOSE_TIMEOUT);
                        timer.as_mut().reset(d);
                    }
                    _ => {
                        let (code, reason) = conn.outbox.close_requested().unwrap_or((ws::CLOSE_ABNORMAL, "write failed".into()));
                        break (code, reason, false);
                    }
                }
            }
            _ = &mut timer => {
                let now = Instant::now();
                if close_deadline.is_some_and(|d| now >= d) {
                    let (code, reason) = peer_close.take()
                        .or_else(|| conn.outbox.close_requested())
                        .unwrap_or((ws::CLOSE_ABNORMAL, "close timeout".into()));
                    break (code, reason, false);
                }
                let mut next = close_deadline.unwrap_or(far);
                if let Some(interval) = ping_interval {
                    if ping_sent.is_some_and(|sent| last_rx >= sent) {
                        ping_sent = None;
                    }
                    match ping_sent {
                        Some(sent) if now >= sent + pong_timeout => {
                            let reason = "keepalive ping timeout".to_string();
                            conn.outbox.request_close(ws::CLOSE_INTERNAL, &reason, true);
                            break (ws::CLOSE_INTERNAL, reason, false);
                        }
                        Some(sent) => next = next.min(sent + pong_timeout),
                        None if now >= last_rx + interval => {
                            conn.outbox.push_control(inner.budget.charge(Message::Ping(Default::default())));
                            ping_sent = Some(now);
                            next = next.min(now + pong_timeout);
                        }
                        None => next = next.min(last_rx + interval),
                    }
                }
                timer.as_mut().reset(next);
            }
            msg = reader.next(), if !paused => {
                last_rx = Instant::now();
                match msg {
                Ok(Incoming::Text(t)) => {
                    c.messages_in.inc();
                    c.bytes_in.add(t.len() as u64);
                    dispatch(inner, conn, kind, Payload::Text(t)).await;
                }
                Ok(Incoming::Binary(b)) => {
                    c.messages_in.inc();
                    c.bytes_in.add(b.len() as u64);
                    dispatch(inner, conn, kind, Payload::Binary(b)).await;
                }
                Ok(Incoming::Ping(p)) => conn.outbox.push_pong(p),
                Ok(Incoming::Pong(p)) => {
                    if host && !p.is_empty() {
                        inner.events.push_now(Event::Pong { conn: conn.id, payload: p });
                    }
                }
                Ok(Incoming::Close(frame)) => {
                    let (code, reason) = frame.unwrap_or((ws::CLOSE_NO_STATUS, String::new()));
                    if writer_done {
                        // The hub's close went out first; this is the answer.
                        break (code, reason, true);
                    }
                    // Answer after the messages already queued (echoing code and reason), then end.
                    answering = conn.outbox.request_close(code, &reason, false);
                    peer_close = Some((code, reason));
                    let d = *close_deadline.get_or_insert(Instant::now() + CLOSE_TIMEOUT);
                    timer.as_mut().reset(d);
                }
                Err(e) => {
                    if let Some((code, reason)) = peer_close.take() {
                        break (code, reason, true);
                    }
                    let message = e.to_string();
                    match e.close_code() {
                        Some(code) => {
                            let kind = match e {
                                ReadError::TooBig(_) => { c.oversize_closes.inc(); ErrorCode::MessageTooBig }
                                ReadError::Utf8(_) => { c.invalid_utf8_closes.inc(); ErrorCode::InvalidUtf8 }
                                _ => { c.protocol_error_closes.inc(); ErrorCode::Protocol }
                            };
                            if host {
                                inner.events.push_now(Event::Error { conn: conn.id, code: kind, message: message.clone() });
                            }
                            conn.outbox.request_close(code, &message, true);
                            // Let the writer put the close frame on the wire, briefly.
                            if !writer_done {
                                let _ = Box::pin(timeout(Duration::from_millis(500), &mut writer)).await;
                                writer_done = true;
                            }
                            break (code, message, false);
                        }
                        None => break (ws::CLOSE_ABNORMAL, message, false),
                    }
                }
            }},
        }
    };
    if !writer_done {
        writer.abort();
    }
    // When the hub started the close, report the hub's code and reason.
    if answering {
        return result;
    }
    match (conn.outbox.close_requested(), result) {
        (Some((code, reason)), (_, _, clean)) => (code, reason, clean),
        (None, r) => r,
    }
}

/// Handles one incoming message according to the route kind.
async fn dispatch(inner: &Arc<HubInner>, conn: &Conn, kind: RouteKind, payload: Payload) {
    match kind {
        RouteKind::Echo => {
            // The sender is its own consumer: when its echoes pile up, stop reading from it
            // (TCP back-pressure) rather than closing it as a slow consumer.
            if !conn.outbox.has_room(payload.len()) {
                Box::pin(conn.outbox.wait_room(payload.len())).await;
            }
            conn.outbox.push(inner.budget.charge(into_message(payload)));
        }
        RouteKind::Broadcast => {
            // The sender's own copy: like echo, a sender that reads its copies slowly is
            // slowed down (TCP back-pressure), never closed as a slow consumer of its own
            // broadcast.
            if !conn.outbox.has_room(payload.len()) {
                Box::pin(conn.outbox.wait_room(payload.len())).await;
            }
            inner.backplane.publish(&conn.route.topic, &payload, Some(conn.id));
            conn.outbox.push(inner.budget.charge(to_message(&payload)));
        }
        RouteKind::Relay => {
            inner.backplane.publish(&conn.route.topic, &payload, Some(conn.id));
        }
        RouteKind::Host => {
            // Waiting for room is the rare path: boxed, so it does not size every task.
            if let Err(event) = inner.events.try_push(Event::Message { conn: conn.id, data: payload }) {
                Box::pin(inner.events.push(event)).await;
            }
        }
    }
}

/// Writes queued messages in batches (one vectored write and flush each, payloads not copied).
/// Returns true after a close frame was sent, false when writing failed or the connection
/// finished.
async fn write_loop(mut io: WriteHalf, outbox: Arc<Outbox>, mut deflate: Option<Box<ConnDeflate>>) -> bool {
    loop {
        match outbox.next().await {
            Batch::Messages(batch, pongs) => {
                // Boxed: the batch writer is the large part of this future.
                let mut r = Ok(Written::All);
                if !pongs.is_empty() {
                    r = Box::pin(frame_io::write_messages(&mut io, &pongs, outbox.close_wanted(), CLOSE_TIMEOUT)).await;
                }
                if let Ok(Written::All) = r {
                    r = match deflate.as_mut() {
                        None => Box::pin(frame_io::write_messages(&mut io, &batch, outbox.close_wanted(), CLOSE_TIMEOUT)).await,
                        Some(d) => {
                            let frames = d.frames(&batch);
                            let r = Box::pin(frame_io::write_messages(&mut io, &frames, outbox.close_wanted(), CLOSE_TIMEOUT)).await;
                            d.idle();
                            r
                        }
                    };
                }
                // Written: the batch's share of the budget goes back now.
                drop(batch);
                match r {
                    Ok(Written::All) => {}
                    // A close was requested while the socket is slow: stop writing data.
                    Ok(Written::StoppedAtBoundary) => {
                        return match outbox.close_requested() {
                            Some((code, reason)) => Box::pin(send_close(&mut io, code, &reason)).await,
                            None => false,
                        };
                    }
                    Ok(Written::StoppedMidFrame) | Err(_) => return false,
                }
            }
            // Boxed: the close path is rare, its future need not size every writer task.
            Batch::Close(code, reason) => return Box::pin(send_close(&mut io, code, &reason)).await,
            Batch::Finished => return false,
        }
    }
}

async fn send_close(io: &mut WriteHalf, code: u16, reason: &str) -> bool {
    matches!(timeout(CLOSE_TIMEOUT, frame_io::write_close(io, code, reason)).await, Ok(Ok(())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Idle memory per connection is dominated by its two task futures (a future is as large
    /// as its largest await point): keep them small. Bounds for this compiler with headroom.
    #[tokio::test]
    async fn connection_task_futures_stay_small() {
        let mut cfg = crate::HubConfig::default_hub();
        cfg.listen = "127.0.0.1:0".into();
        let hub = crate::Hub::start(cfg).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let _client = TcpStream::connect(addr).await.unwrap();
        let (tcp, remote) = listener.accept().await.unwrap();
        let route = hub.inner.routes.get("/chat").unwrap().clone();
        let (conn, _) = register(&hub.inner, &route, OpenInfo { conn: 999, ..Default::default() });
        let raw = TcpStream::connect(addr).await.unwrap();
        let (_read, write, _) = Stream::tcp(raw).into_split();
        let writer = write_loop(write, conn.outbox.clone(), None);
        let task = handle_socket(hub.inner.clone(), Socket::Tcp(tcp, remote));
        let (reader_size, writer_size) = (std::mem::size_of_val(&task), std::mem::size_of_val(&writer));
        eprintln!("connection task future: {reader_size} bytes, writer task future: {writer_size} bytes");
        assert!(reader_size <= 1200, "the connection task future grew to {reader_size} bytes");
        assert!(writer_size <= 640, "the writer task future grew to {writer_size} bytes");
        drop((task, writer));
        hub.inner.remove_conn(&conn);
        hub.shutdown_async().await;
    }
}
