//! The hub runtime: a WebSocket server with routes, groups, bounded per-connection queues,
//! limits, and status/metrics over HTTP on the same port.
//!
//! [`Hub::start`] binds at once (so a busy port is an immediate error) and serves on the
//! internal runtime. Routes of kind `echo`, `broadcast` and `relay` need no host code; `host`
//! routes report [`Event`](crate::Event)s on [`Hub::events`] and the host answers with
//! [`Hub::send`], [`Hub::publish`], [`Hub::join`], [`Hub::close`]…

mod auth;
mod compress;
mod conn;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;
mod http;
mod live;
pub mod metrics;
mod outbox;
mod pending;
mod static_files;
mod status;
mod unix;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use tokio::net::TcpSocket;
use tokio::sync::Notify;
use tungstenite::Message;

use crate::backplane::{Backplane, LocalDelivery, Topic};
use crate::config::{HubConfig, RouteConfig, RouteKind};
use crate::error::{Error, ErrorCode, Result};
use crate::event::{ConnId, EventQueue, Payload};
use crate::ws;
use metrics::Counters;
use outbox::{Budget, Outbox, Pushed};

/// Members of a topic on this node.
type Members = RwLock<HashMap<ConnId, Arc<Outbox>>>;

/// A configured route and who is connected to it.
pub(crate) struct Route {
    pub(crate) config: RouteConfig,
    /// Live routes: the latest value of every key (for snapshots on join).
    pub(crate) latest: Option<Mutex<live::Latest>>,
    /// Live routes: replaced, rate-limited, expired and snapshot counts.
    pub(crate) live_stats: Option<Arc<live::LiveStats>>,
    /// The route as a fan-out topic, built once (no allocation per message).
    pub(crate) topic: Topic,
    pub(crate) members: Members,
}

/// A live connection.
pub(crate) struct Conn {
    pub(crate) id: ConnId,
    pub(crate) route: Arc<Route>,
    pub(crate) outbox: Arc<Outbox>,
    pub(crate) groups: Mutex<HashSet<String>>,
    /// Set to drop the connection at once (end of a graceful shutdown).
    pub(crate) killed: AtomicBool,
    /// The host paused reading from this connection (back-pressure).
    pub(crate) paused: AtomicBool,
    /// Woken when `killed` or `paused` changes (one notifier keeps the task small).
    pub(crate) control: Notify,
}

/// The host's answer to a paused handshake.
pub(crate) enum Decision {
    /// Accept, optionally with a subprotocol and extra response headers.
    Accept(Option<String>, Vec<(String, String)>),
    /// Answer with this HTTP response instead (refusals, health checks, redirects).
    Respond(http::Answer),
}

/// Everything the hub's tasks share.
pub(crate) struct HubInner {
    pub(crate) config: HubConfig,
    pub(crate) routes: HashMap<String, Arc<Route>>,
    pub(crate) conns: RwLock<HashMap<ConnId, Arc<Conn>>>,
    pub(crate) groups: RwLock<HashMap<String, HashMap<ConnId, Arc<Outbox>>>>,
    pub(crate) counters: Arc<Counters>,
    pub(crate) events: EventQueue,
    pub(crate) backplane: Arc<dyn Backplane>,
    /// The hub-wide budget of outbound bytes (`max_buffered`).
    pub(crate) budget: Arc<Budget>,
    pub(crate) tls: Option<tokio_rustls::TlsAcceptor>,
    pub(crate) local_addr: SocketAddr,
    pub(crate) started: Instant,
    /// Connections open or in their handshake, checked against `max_connections`.
    pub(crate) live: AtomicUsize,
    /// Handshakes waiting for the host's decision.
    pub(crate) pending: Mutex<HashMap<ConnId, tokio::sync::oneshot::Sender<Decision>>>,
    /// Sockets in their TLS handshake or request head.
    pub(crate) pending_handshakes: pending::Pending,
    next_id: AtomicU64,
    stopping: AtomicBool,
    stop_accepting: Notify,
    /// The listening socket is open (cleared once the accept loop has dropped it).
    pub(crate) listening: AtomicBool,
}

impl HubInner {
    fn lookup(&self, conn: ConnId) -> Result<Arc<Conn>> {
        self.conns
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&conn)
            .cloned()
            .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("no open connection with id {conn}")))
    }

    /// A new connection id: this node's id in the high bits, a counter below.
    pub(crate) fn next_conn_id(&self) -> ConnId {
        ((self.backplane.node_id() as u64) << crate::backplane::NODE_SHIFT) | self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Removes a connection from every table (called once, when it ends).
    pub(crate) fn remove_conn(&self, conn: &Conn) {
        let route_empty = {
            let mut members = conn.route.members.write().unwrap_or_else(|e| e.into_inner());
            members.remove(&conn.id).is_some() && members.is_empty()
        };
        self.topic_left(conn.route.topic.clone(), route_empty);
        let groups = std::mem::take(&mut *conn.groups.lock().unwrap_or_else(|e| e.into_inner()));
        if !groups.is_empty() {
            let mut left = Vec::new();
            {
                let mut table = self.groups.write().unwrap_or_else(|e| e.into_inner());
                for g in groups {
                    if let Some(members) = table.get_mut(&g) {
                        members.remove(&conn.id);
                        let empty = members.is_empty();
                        if empty {
                            table.remove(&g);
                        }
                        left.push((g, empty));
                    }
                }
            }
            for (g, empty) in left {
                self.topic_left(Topic::Group(g), empty);
            }
        }
        self.conns.write().unwrap_or_else(|e| e.into_inner()).remove(&conn.id);
    }
}

impl LocalDelivery for HubInner {
    fn deliver(&self, topic: &Topic, payload: &Payload, except: Option<ConnId>) -> usize {
        // One charge to the budget for every recipient: they share the payload.
        let mut msg = self.budget.charge(to_message(payload));
        let route = match topic {
            Topic::Route(path) => self.routes.get(path),
            Topic::Group(_) => None,
        };
        let live = route.and_then(|r| r.config.live.as_ref().map(|cfg| (r, cfg)));
        let members_guard = route.map(|r| r.members.read().unwrap_or_else(|e| e.into_inner()));
        if let Some((r, cfg)) = live {
            // The key is found once per publish, not per subscriber.
            if let Some(key) = live::key_of(&cfg.key, payload.as_bytes()) {
                if let (Some(latest), Some(stats)) = (&r.latest, &r.live_stats) {
                    if latest.lock().unwrap_or_else(|e| e.into_inner()).update(key.clone(), payload) {
                        live::LiveStats::inc(&stats.snapshot_evicted);
                    }
                }
                msg = msg.keyed(key, Instant::now());
            }
        }
        let fan_out = |members: &HashMap<ConnId, Arc<Outbox>>| {
            let n = members
                .iter()
                .filter(|(id, _)| Some(**id) != except)
                .filter(|(_, outbox)| outbox.push_uncounted(msg.clone()) == Pushed::Queued)
                .count();
            self.counters.messages_out.add(n as u64);
            self.counters.bytes_out.add((n * payload.len()) as u64);
            n
        };
        match topic {
            Topic::Route(_) => match &members_guard {
                Some(members) => fan_out(members),
                None => 0,
            },
            Topic::Group(name) => match self.groups.read().unwrap_or_else(|e| e.into_inner()).get(name) {
                Some(members) => fan_out(members),
                None => 0,
            },
        }
    }

    fn has_members(&self, topic: &Topic) -> bool {
        match topic {
            Topic::Route(path) => self.routes.get(path).is_some_and(|r| !r.members.read().unwrap_or_else(|e| e.into_inner()).is_empty()),
            Topic::Group(name) => self.groups.read().unwrap_or_else(|e| e.into_inner()).contains_key(name),
        }
    }

    fn member_count(&self, topic: &Topic) -> usize {
        match topic {
            Topic::Route(path) => self.routes.get(path).map_or(0, |r| r.members.read().unwrap_or_else(|e| e.into_inner()).len()),
            Topic::Group(name) => self.groups.read().unwrap_or_else(|e| e.into_inner()).get(name).map_or(0, |m| m.len()),
        }
    }

    fn deliver_to(&self, conn: ConnId, payload: &Payload) -> bool {
        match self.lookup(conn) {
            Ok(c) => c.outbox.push(self.budget.charge(to_message(payload))) == Pushed::Queued,
            Err(_) => false,
        }
    }
}

impl HubInner {
    /// Tells the backplane that a member joined, and when the topic was empty before.
    pub(crate) fn topic_joined(&self, topic: Topic, first: bool) {
        if first {
            self.backplane.subscribe(&topic);
        }
        self.backplane.members_changed(&topic);
    }
    /// Tells the backplane that a member left, and when a topic lost its last member.
    pub(crate) fn topic_left(&self, topic: Topic, now_empty: bool) {
        if now_empty {
            self.backplane.unsubscribe(&topic);
        }
        self.backplane.members_changed(&topic);
    }
}

/// A message for the wire, taking the payload.
pub(crate) fn into_message(p: Payload) -> Message {
    match p {
        Payload::Text(t) => Message::Text(t),
        Payload::Binary(b) => Message::Binary(b),
    }
}

/// A message for the wire; shares the payload bytes.
pub(crate) fn to_message(p: &Payload) -> Message {
    match p {
        Payload::Text(t) => Message::Text(t.clone()),
        Payload::Binary(b) => Message::Binary(b.clone()),
    }
}

/// A running hub. Cheap to clone; all clones are the same hub. Dropping handles does not stop
/// it: call [`Hub::shutdown`].
#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").field("local_addr", &self.inner.local_addr).finish()
    }
}

impl Hub {
    /// Validates `config`, binds the listen address and starts serving.
    pub fn start(config: HubConfig) -> Result<Hub> {
        config.validate()?;
        let handle = crate::runtime::handle()?;
        if config.listen.is_empty() && config.unix.is_none() {
            return Err(Error::invalid("the hub needs a listen address (ip:port), a Unix socket path, or both"));
        }
        let addr: Option<SocketAddr> = if config.listen.is_empty() {
            None
        } else {
            Some(config.listen.parse().map_err(|_| Error::invalid(format!("listen address {:?} must be ip:port, e.g. 127.0.0.1:9001", config.listen)))?)
        };
        let tls = match &config.tls {
            Some(t) => Some(tokio_rustls::TlsAcceptor::from(crate::tls::server_config(t)?)),
            None => None,
        };
        let tcp = match addr {
            Some(addr) => {
                let _guard = handle.enter();
                let bind_err = |e: std::io::Error| Error::new(ErrorCode::Io, format!("cannot listen on {addr}: {e}"));
                let socket = if addr.is_ipv4() { TcpSocket::new_v4() } else { TcpSocket::new_v6() }.map_err(bind_err)?;
                socket.set_reuseaddr(true).map_err(bind_err)?;
                // Accepted sockets inherit the listener's send buffer size.
                if config.send_buffer > 0 {
                    socket.set_send_buffer_size(config.send_buffer as u32).map_err(bind_err)?;
                }
                socket.bind(addr).map_err(bind_err)?;
                Some(socket.listen(4096).map_err(bind_err)?)
            }
            None => None,
        };
        let local_addr = match &tcp {
            Some(l) => l.local_addr().map_err(|e| Error::new(ErrorCode::Io, e.to_string()))?,
            None => SocketAddr::from(([0, 0, 0, 0], 0)),
        };
        let unix = match &config.unix {
            Some(path) => {
                let _guard = handle.enter();
                Some((unix::bind(path)?, path.clone()))
            }
            None => None,
        };
        let listeners = unix::Listeners { tcp, unix };
        let events = EventQueue::new(config.event_limits)
            .map_err(|e| Error::new(ErrorCode::Io, format!("cannot create the event queue: {e}")))?;
        let routes = config
            .routes
            .iter()
            .map(|r| {
                let route = Route {
                    config: r.clone(),
                    latest: r.live.as_ref().filter(|l| l.snapshot).map(|l| live::Latest::new(l.max_keys)),
                    live_stats: r.live.as_ref().map(|_| Arc::new(live::LiveStats::default())),
                    topic: Topic::Route(r.path.clone()),
                    members: RwLock::new(HashMap::new()),
                };
                (r.path.clone(), Arc::new(route))
            })
            .collect();
        let budget = Arc::new(Budget::new(config.max_buffered));
        let backplane = crate::backplane::from_config(&config)?;
        let pending_handshakes = pending::Pending::new(config.max_pending_handshakes);
        let inner = Arc::new(HubInner {
            config,
            routes,
            conns: RwLock::new(HashMap::new()),
            groups: RwLock::new(HashMap::new()),
            counters: Arc::new(Counters::default()),
            events,
            backplane,
            budget,
            tls,
            local_addr,
            started: Instant::now(),
            live: AtomicUsize::new(0),
            pending: Mutex::new(HashMap::new()),
            pending_handshakes,
            next_id: AtomicU64::new(1),
            stopping: AtomicBool::new(false),
            stop_accepting: Notify::new(),
            listening: AtomicBool::new(true),
        });
        let local: Weak<dyn LocalDelivery> = Arc::downgrade(&inner) as Weak<HubInner>;
        inner.backplane.attach(local);
        handle.spawn(conn::accept_loop(inner.clone(), listeners));
        Ok(Hub { inner })
    }

    /// The address the hub listens on (with the real port when the config said 0);
    /// `0.0.0.0:0` when it listens on a Unix socket only.
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr
    }

    /// The configuration the hub runs with.
    pub fn config(&self) -> &HubConfig {
        &self.inner.config
    }

    /// Events of `host` routes: open, message, close.
    pub fn events(&self) -> &EventQueue {
        &self.inner.events
    }

    /// Counters since start.
    pub fn counters(&self) -> &Counters {
        &self.inner.counters
    }

    /// Number of open WebSocket connections.
    pub fn connection_count(&self) -> usize {
        self.inner.conns.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Checks that a message of `len` bytes may be sent by the host: messages the hub sends
    /// are bounded by `max_message_size`, as the ones it receives are. Bindings call this
    /// before they touch (or copy) the host's bytes.
    pub fn check_send_len(&self, len: usize) -> Result<()> {
        let max = self.inner.config.max_message_size;
        if len > max {
            return Err(Error::new(
                ErrorCode::MessageTooBig,
                format!("message of {len} bytes is larger than the hub's max_message_size of {max} bytes"),
            ));
        }
        Ok(())
    }

    /// Queues a message to one connection. A message dropped by the route's `drop_newest`
    /// policy is reported as [`ErrorCode::QueueFull`]; one larger than `max_message_size` as
    /// [`ErrorCode::MessageTooBig`].
    pub fn send(&self, conn: ConnId, payload: Payload) -> Result<()> {
        self.check_send_len(payload.len())?;
        let node = crate::backplane::node_of(conn);
        if node != self.inner.backplane.node_id() {
            return self.inner.backplane.send_remote(conn, &payload);
        }
        let c = self.inner.lookup(conn)?;
        match c.outbox.push(self.inner.budget.charge(to_message(&payload))) {
            Pushed::Queued => Ok(()),
            Pushed::Dropped => Err(Error::new(
                ErrorCode::QueueFull,
                format!("connection {conn}: outbound queue full, message dropped (drop_newest policy)"),
            )),
            Pushed::Closed => Err(Error::new(ErrorCode::Closed, format!("connection {conn} is closing"))),
        }
    }

    /// Queues one message (encoded once, shared) to each of `conns`; returns how many took it.
    /// Connections that are gone, closing, or whose queue dropped it are skipped.
    pub fn send_many(&self, conns: &[ConnId], payload: &Payload) -> usize {
        conns.iter().filter(|c| self.send(**c, payload.clone()).is_ok()).count()
    }

    /// Closes one connection with `code` and `reason` after its queued messages.
    pub fn close(&self, conn: ConnId, code: u16, reason: &str) -> Result<()> {
        ws::validate_close(code, reason)?;
        let c = self.inner.lookup(conn)?;
        if c.outbox.request_close(code, reason, false) {
            Ok(())
        } else {
            Err(Error::new(ErrorCode::Closed, format!("connection {conn} is already closing")))
        }
    }

    /// Accepts a handshake reported by `Event::Handshake`, optionally choosing a subprotocol
    /// (it must be one the client offered).
    pub fn accept(&self, conn: ConnId, protocol: Option<&str>) -> Result<()> {
        self.decide(conn, Decision::Accept(protocol.map(str::to_string), Vec::new()))
    }

    /// Accepts a handshake like [`Hub::accept`] and adds `headers` to the `101` response (a
    /// `Server` header, cookies, ...). The handshake's own headers (`Upgrade`, `Connection`,
    /// `Sec-WebSocket-Accept`, `Sec-WebSocket-Protocol`) are not replaced.
    pub fn accept_with_headers(&self, conn: ConnId, protocol: Option<&str>, headers: &[(String, String)]) -> Result<()> {
        http::check_headers(headers)?;
        self.decide(conn, Decision::Accept(protocol.map(str::to_string), headers.to_vec()))
    }

    /// Rejects a handshake reported by `Event::Handshake` with an HTTP status (400-599) and a
    /// plain-text body.
    pub fn reject(&self, conn: ConnId, status: u16, body: &str) -> Result<()> {
        if !(400..=599).contains(&status) {
            return Err(Error::invalid(format!("reject status must be 400-599, got {status}")));
        }
        let headers = vec![("Content-Type".to_string(), "text/plain; charset=utf-8".to_string())];
        self.decide(conn, Decision::Respond(http::Answer { status, reason: String::new(), headers, body: body.as_bytes().to_vec() }))
    }

    /// Answers a request reported by `Event::Handshake` with any HTTP response (status 200-599,
    /// the host's headers and body) instead of upgrading: health checks, redirects, refusals.
    /// On routes with `host_accepts`, plain `GET` requests (no upgrade) are reported as
    /// handshakes too, so the host can serve them this way; accepting one answers 426.
    /// `Content-Length` is always the body's length; `reason` empty means the standard phrase.
    pub fn respond(&self, conn: ConnId, status: u16, reason: &str, headers: &[(String, String)], body: &[u8]) -> Result<()> {
        let answer = http::Answer::new(status, reason, headers, body)?;
        self.decide(conn, Decision::Respond(answer))
    }

    fn decide(&self, conn: ConnId, d: Decision) -> Result<()> {
        let tx = self.inner.pending.lock().unwrap_or_else(|e| e.into_inner()).remove(&conn);
        match tx {
            Some(tx) => tx.send(d).map_err(|_| Error::new(ErrorCode::Closed, format!("handshake {conn} was abandoned by the client"))),
            None => Err(Error::new(ErrorCode::NotFound, format!("no handshake {conn} is waiting (answered, timed out, or unknown)"))),
        }
    }

    /// Queues a ping to a connection; a non-empty payload comes back as `Event::Pong`.
    pub fn ping(&self, conn: ConnId, payload: &[u8]) -> Result<()> {
        if payload.len() > 125 {
            return Err(Error::invalid(format!("ping payload is {} bytes; at most 125 fit a control frame", payload.len())));
        }
        let c = self.inner.lookup(conn)?;
        if c.outbox.push_control(self.inner.budget.charge(Message::Ping(bytes::Bytes::copy_from_slice(payload)))) {
            Ok(())
        } else {
            Err(Error::new(ErrorCode::Closed, format!("connection {conn} is closing")))
        }
    }

    /// Caps a subscriber of a live route at `rate` messages per second per key (`None` lifts
    /// the cap); the newest value of each key is sent at that rate.
    pub fn set_max_rate(&self, conn: ConnId, rate: Option<f64>) -> Result<()> {
        if rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
            return Err(Error::invalid("max_rate must be > 0 messages per second"));
        }
        let c = self.inner.lookup(conn)?;
        if c.outbox.set_max_rate(rate) {
            Ok(())
        } else {
            Err(Error::invalid(format!("connection {conn} is not on a live route (set [route.live] in the config)")))
        }
    }

    /// Stops reading from a connection until [`resume_reading`](Self::resume_reading)
    /// (TCP back-pressure reaches the peer). Keepalive still runs.
    pub fn pause_reading(&self, conn: ConnId) -> Result<()> {
        let c = self.inner.lookup(conn)?;
        c.paused.store(true, Ordering::Release);
        c.control.notify_one();
        Ok(())
    }

    /// Resumes reading from a paused connection.
    pub fn resume_reading(&self, conn: ConnId) -> Result<()> {
        let c = self.inner.lookup(conn)?;
        c.paused.store(false, Ordering::Release);
        c.control.notify_one();
        Ok(())
    }

    /// Adds a connection to a group (idempotent).
    pub fn join(&self, conn: ConnId, group: &str) -> Result<()> {
        check_group(group)?;
        let c = self.inner.lookup(conn)?;
        let mut mine = c.groups.lock().unwrap_or_else(|e| e.into_inner());
        let first = {
            let mut table = self.inner.groups.write().unwrap_or_else(|e| e.into_inner());
            let members = table.entry(group.to_string()).or_default();
            members.insert(conn, c.outbox.clone());
            members.len() == 1
        };
        mine.insert(group.to_string());
        drop(mine);
        self.inner.topic_joined(Topic::Group(group.to_string()), first);
        Ok(())
    }

    /// Removes a connection from a group; returns whether it was a member.
    pub fn leave(&self, conn: ConnId, group: &str) -> Result<bool> {
        check_group(group)?;
        let c = self.inner.lookup(conn)?;
        let mut mine = c.groups.lock().unwrap_or_else(|e| e.into_inner());
        let was = mine.remove(group);
        drop(mine);
        let emptied = {
            let mut table = self.inner.groups.write().unwrap_or_else(|e| e.into_inner());
            let emptied = table.get_mut(group).is_some_and(|members| members.remove(&conn).is_some() && members.is_empty());
            if emptied {
                table.remove(group);
            }
            emptied
        };
        self.inner.topic_left(Topic::Group(group.to_string()), emptied);
        Ok(was)
    }

    /// Publishes to every member of `group` except `except`; returns the local recipients.
    pub fn publish(&self, group: &str, payload: Payload, except: Option<ConnId>) -> Result<usize> {
        check_group(group)?;
        self.check_send_len(payload.len())?;
        self.check_running()?;
        Ok(self.inner.backplane.publish(&Topic::Group(group.to_string()), &payload, except))
    }

    /// Sends to everyone connected to the route at `path` except `except`.
    pub fn broadcast(&self, path: &str, payload: Payload, except: Option<ConnId>) -> Result<usize> {
        if !self.inner.routes.contains_key(path) {
            return Err(Error::new(ErrorCode::NotFound, format!("no route with path {path:?}")));
        }
        self.check_send_len(payload.len())?;
        self.check_running()?;
        Ok(self.inner.backplane.publish(&Topic::Route(path.to_string()), &payload, except))
    }

    /// Members of a group on this node.
    pub fn group_size(&self, group: &str) -> usize {
        self.inner.groups.read().unwrap_or_else(|e| e.into_inner()).get(group).map_or(0, |m| m.len())
    }

    /// Members of a group on every node (the local count with a single-node backplane).
    pub fn group_size_global(&self, group: &str) -> usize {
        self.inner.backplane.group_size(group).unwrap_or_else(|| self.group_size(group))
    }

    /// Bytes waiting in a connection's outbound queue.
    pub fn queued_bytes(&self, conn: ConnId) -> Result<usize> {
        Ok(self.inner.lookup(conn)?.outbox.queued_bytes())
    }

    /// The status document served at `/_omnisock/status`.
    pub fn status_json(&self) -> String {
        status::status_json(&self.inner)
    }

    /// The Prometheus text served at `/metrics`.
    pub fn metrics_text(&self) -> String {
        status::metrics_text(&self.inner)
    }

    /// Whether [`shutdown`](Self::shutdown) has started.
    pub fn is_shut_down(&self) -> bool {
        self.inner.is_stopping()
    }

    fn check_running(&self) -> Result<()> {
        if self.inner.is_stopping() {
            Err(Error::new(ErrorCode::Shutdown, "the hub has been shut down"))
        } else {
            Ok(())
        }
    }

    /// Graceful shutdown: stops accepting (the listening socket is closed when this returns),
    /// sends close 1001 to every connection after its queued
    /// messages, waits up to the configured `shutdown_timeout` for them to finish, then drops
    /// the rest. Blocks the calling thread (when called on a runtime thread it does not wait).
    /// Idempotent.
    pub fn shutdown(&self) {
        self.begin_shutdown();
        let deadline = Instant::now() + self.inner.config.shutdown_timeout;
        if tokio::runtime::Handle::try_current().is_err() {
            while (self.connection_count() > 0 || self.inner.listening.load(Ordering::Acquire)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        self.kill_all();
    }

    /// The async form of [`shutdown`](Self::shutdown).
    pub async fn shutdown_async(&self) {
        self.begin_shutdown();
        let deadline = Instant::now() + self.inner.config.shutdown_timeout;
        while (self.connection_count() > 0 || self.inner.listening.load(Ordering::Acquire)) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.kill_all();
    }

    /// Starts the graceful shutdown without waiting: the listening socket is closed by the
    /// runtime right away and every connection is asked to close with 1001 after its queued
    /// messages. [`shutdown`](Self::shutdown) then waits for them. Idempotent.
    pub fn start_shutdown(&self) {
        self.begin_shutdown();
    }

    /// Closes the listening socket and leaves the open connections running (Python
    /// `websockets`' `Server.close(close_connections=False)`); a later shutdown ends them.
    pub fn stop_accepting(&self) {
        self.inner.stop_accepting.notify_one();
    }

    /// Returns true if shutdown had already begun.
    fn begin_shutdown(&self) -> bool {
        if self.inner.stopping.swap(true, Ordering::AcqRel) {
            return true;
        }
        self.inner.backplane.shutdown();
        self.inner.stop_accepting.notify_one();
        let conns: Vec<_> = self.inner.conns.read().unwrap_or_else(|e| e.into_inner()).values().cloned().collect();
        for c in conns {
            c.outbox.request_close(ws::CLOSE_GOING_AWAY, "hub shutting down", false);
        }
        false
    }

    fn kill_all(&self) {
        let conns: Vec<_> = self.inner.conns.read().unwrap_or_else(|e| e.into_inner()).values().cloned().collect();
        for c in conns {
            c.killed.store(true, Ordering::Release);
            c.control.notify_one();
        }
    }
}

fn check_group(group: &str) -> Result<()> {
    if group.is_empty() || group.len() > 255 {
        return Err(Error::invalid("group name must be 1 to 255 bytes"));
    }
    Ok(())
}

/// The route kinds whose connections report events to the host.
pub(crate) fn reports_to_host(kind: RouteKind) -> bool {
    kind == RouteKind::Host
}
