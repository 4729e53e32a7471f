//! `omnisock._native`: the pyo3 layer over omnisock-core.
//!
//! Only converts arguments, handles and events; every WebSocket detail lives in the core. The
//! Python package (`python/omnisock/`) builds the `websockets`-compatible asyncio API, the sync
//! API and the hub API on these two classes:
//!
//! - [`PyClient`] (`_native.Client`) over [`omnisock_core::Client`],
//! - [`PyHub`] (`_native.Hub`) over [`omnisock_core::Hub`].
//!
//! Events leave as tuples, many per call (`poll(max)`), so the Python side drains a batch per
//! wake of the queue's file descriptor (`wake_fd()`, for `loop.add_reader`). Every call that
//! waits or does more than a lookup releases the GIL (`Python::detach`).
//!
//! Event tuples (the first item is the core's event kind number, `omnisock._vocab.EVENT_*`):
//! - `(EVENT_OPEN, conn, path, query, remote, headers, protocol)`
//! - `(EVENT_TEXT, conn, str)` and `(EVENT_BINARY, conn, bytes)`
//! - `(EVENT_CLOSE, conn, code, reason, clean)`
//! - `(EVENT_ERROR, conn, error_code, message)`
//! - `(EVENT_RECONNECTING, attempt, delay_seconds, reason)`
//! - `(EVENT_HANDSHAKE, conn, path, query, remote, headers, protocol)`
//! - `(EVENT_PONG, conn, payload)`
//! - `(EVENT_REJECTED, status, headers, body)` — a refused client handshake (an EVENT_ERROR follows)
//!
//! Errors are raised through one Python function, `omnisock.exceptions._from_core(code,
//! message)`, which maps the core's stable error codes to the exception classes.

use std::time::Duration;

use bytes::Bytes;
use omnisock_core::{
    Client, ClientConfig, ConnId, Error, Event, EventQueue, Hub, HubConfig, HubTls, OpenInfo,
    OverflowPolicy, Payload, RouteConfig, RouteKind,
};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyList, PyString};
use pyo3::IntoPyObjectExt;

/// Largest batch one `poll` returns.
const MAX_BATCH: usize = 65_536;

static ERROR_FACTORY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Converts a core error into the Python exception `omnisock.exceptions._from_core` picks.
fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let code = e.code() as i32;
    let msg = e.message().to_string();
    let made = ERROR_FACTORY
        .import(py, "omnisock.exceptions", "_from_core")
        .and_then(|f| f.call1((code, msg.clone())));
    match made {
        Ok(exc) => PyErr::from_value(exc),
        Err(err) => err,
    }
}

fn err(e: Error) -> PyErr {
    Python::attach(|py| to_py(py, e))
}

fn invalid(msg: impl Into<String>) -> PyErr {
    err(Error::invalid(msg))
}

fn secs(v: f64, what: &str) -> PyResult<Duration> {
    if !v.is_finite() || v < 0.0 {
        return Err(invalid(format!("{what} must be a number of seconds >= 0, got {v}")));
    }
    Ok(Duration::from_secs_f64(v))
}

fn opt_secs(v: Option<f64>, what: &str) -> PyResult<Option<Duration>> {
    match v {
        None => Ok(None),
        Some(v) if v <= 0.0 => Ok(None),
        Some(v) => secs(v, what).map(Some),
    }
}

/// A payload from `str` (text) or `bytes` (binary); `text=True` sends bytes as text (checked
/// UTF-8), `text=False` sends a str as binary.
fn payload(data: &Bound<'_, PyAny>, text: Option<bool>) -> PyResult<Payload> {
    if let Ok(s) = data.cast::<PyString>() {
        let s: String = s.to_cow()?.into_owned();
        return Ok(if text == Some(false) { Payload::Binary(Bytes::from(s.into_bytes())) } else { Payload::Text(s.into()) });
    }
    if let Ok(b) = data.cast::<PyBytes>() {
        let b = b.as_bytes();
        return Payload::from_bytes(Bytes::copy_from_slice(b), text == Some(true)).map_err(err);
    }
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "data must be str or bytes, not {}",
        data.get_type().name()?
    )))
}

fn info_tuple<'py>(py: Python<'py>, kind: u32, i: &OpenInfo) -> PyResult<Bound<'py, PyAny>> {
    let headers = PyList::empty(py);
    for (k, v) in &i.headers {
        headers.append((k.as_str(), v.as_str()))?;
    }
    (kind, i.conn, i.path.as_str(), i.query.as_str(), i.remote.as_str(), headers, i.protocol.as_deref()).into_bound_py_any(py)
}

fn event_to_py<'py>(py: Python<'py>, e: Event) -> PyResult<Bound<'py, PyAny>> {
    let kind = e.kind().number();
    match e {
        Event::Message { conn, data } => match data {
            Payload::Text(t) => (kind, conn, PyString::new(py, t.as_str())).into_bound_py_any(py),
            Payload::Binary(b) => (kind, conn, PyBytes::new(py, &b)).into_bound_py_any(py),
        },
        Event::Open(i) => info_tuple(py, kind, &i),
        Event::Handshake(i) => info_tuple(py, kind, &i),
        Event::Close { conn, code, reason, clean } => (kind, conn, code, reason, clean).into_bound_py_any(py),
        Event::Error { conn, code, message } => (kind, conn, code as i32, message).into_bound_py_any(py),
        Event::Reconnecting { attempt, delay, reason } => {
            (kind, attempt, delay.as_secs_f64(), reason).into_bound_py_any(py)
        }
        Event::Pong { conn, payload } => (kind, conn, PyBytes::new(py, &payload)).into_bound_py_any(py),
        Event::Rejected(r) => {
            let headers = PyList::empty(py);
            for (k, v) in &r.headers {
                headers.append((k.as_str(), v.as_str()))?;
            }
            (kind, r.status, headers, PyBytes::new(py, &r.body)).into_bound_py_any(py)
        }
    }
}

fn poll_queue<'py>(py: Python<'py>, q: &EventQueue, max: usize) -> PyResult<Bound<'py, PyList>> {
    let events = q.poll(max.clamp(1, MAX_BATCH));
    let list = PyList::empty(py);
    for e in events {
        list.append(event_to_py(py, e)?)?;
    }
    Ok(list)
}

/// A WebSocket client connection owned by the core (`omnisock.Client` in Rust).
#[pyclass(name = "Client", module = "omnisock._native", frozen)]
struct PyClient {
    inner: Client,
}

#[pymethods]
impl PyClient {
    /// Starts connecting at once; events (open, messages, close, errors) arrive on the queue.
    /// `config` is the core's client configuration as JSON (`omnisock._config.client_config`),
    /// validated and defaulted by the core.
    #[new]
    fn new(py: Python<'_>, config: &str) -> PyResult<Self> {
        let cfg = ClientConfig::from_json(config).map_err(err)?;
        let inner = py.detach(|| Client::connect(cfg)).map_err(err)?;
        Ok(PyClient { inner })
    }

    /// The URL.
    #[getter]
    fn url(&self) -> String {
        self.inner.config().url.clone()
    }

    /// 0 connecting, 1 open, 2 closing, 3 closed.
    #[getter]
    fn state(&self) -> u8 {
        self.inner.state() as u8
    }

    /// Bytes waiting in the send queue.
    #[getter]
    fn queued_bytes(&self) -> usize {
        self.inner.queued_bytes()
    }

    /// Queues a message: `str` as text, `bytes` as binary (`text` overrides).
    #[pyo3(signature = (data, text=None))]
    fn send(&self, data: &Bound<'_, PyAny>, text: Option<bool>) -> PyResult<()> {
        let r = match payload(data, text)? {
            Payload::Text(t) => self.inner.send_text(t.as_str()),
            Payload::Binary(b) => self.inner.send_binary(b),
        };
        r.map_err(err)
    }

    /// Queues a ping with this payload (at most 125 bytes).
    fn ping(&self, payload: &[u8]) -> PyResult<()> {
        self.inner.ping(payload).map_err(err)
    }

    /// Starts the closing handshake.
    #[pyo3(signature = (code=1000, reason=""))]
    fn close(&self, code: u16, reason: &str) -> PyResult<()> {
        self.inner.close(code, reason).map_err(err)
    }

    /// Drops the connection without a closing handshake.
    fn abort(&self) {
        self.inner.abort()
    }

    /// Up to `max` events as tuples, oldest first; never blocks.
    #[pyo3(signature = (max=1024))]
    fn poll<'py>(&self, py: Python<'py>, max: usize) -> PyResult<Bound<'py, PyList>> {
        poll_queue(py, self.inner.events(), max)
    }

    /// Blocks (without the GIL) up to `timeout` seconds until an event is queued.
    fn wait(&self, py: Python<'_>, timeout: f64) -> PyResult<bool> {
        let t = secs(timeout, "timeout")?;
        let q = self.inner.clone();
        Ok(py.detach(move || q.events().wait(t)))
    }

    /// A file descriptor readable while events are queued (for `loop.add_reader`).
    fn wake_fd(&self) -> i32 {
        self.inner.events().wake_fd()
    }

    /// True when an event is queued, at once or after spinning (without the GIL) up to 50 µs
    /// because a message or ping was sent since the last wait; False when it spun and nothing
    /// came; None (at once) when nothing is queued and nothing was sent. `recv` then takes the
    /// answer without an event-loop iteration.
    fn spin_for_reply(&self, py: Python<'_>) -> Option<bool> {
        let q = self.inner.clone();
        py.detach(move || q.events().spin_for_reply())
    }
}

fn route_kind(s: &str) -> PyResult<RouteKind> {
    RouteKind::parse(s).map_err(err)
}

/// A WebSocket hub (server) owned by the core.
#[pyclass(name = "Hub", module = "omnisock._native", frozen)]
struct PyHub {
    inner: Hub,
}

type RouteTuple = (String, String, usize, String, Vec<String>, bool);

#[pymethods]
impl PyHub {
    /// Binds `listen` (`ip:port`, port 0 picks one) and starts serving.
    ///
    /// `routes`: `(path, kind, queue_limit, on_overflow, subprotocols, host_accepts)` tuples.
    /// `compression`: `"deflate"` (permessage-deflate with `websockets`' defaults) or `None`.
    /// `unix`: also listen on this Unix domain socket path.
    #[new]
    #[pyo3(signature = (
        listen, routes, *, max_connections=100_000, max_size=Some(1 << 20), origins=Vec::new(),
        token=None, tls_cert=None, tls_key=None, ping_interval=Some(20.0), pong_timeout=20.0,
        shutdown_timeout=5.0, static_dir=None, demo_page=false, compression=Some("deflate".to_owned()),
        unix=None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        listen: String,
        routes: Vec<RouteTuple>,
        max_connections: usize,
        max_size: Option<u64>,
        origins: Vec<String>,
        token: Option<String>,
        tls_cert: Option<String>,
        tls_key: Option<String>,
        ping_interval: Option<f64>,
        pong_timeout: f64,
        shutdown_timeout: f64,
        static_dir: Option<String>,
        demo_page: bool,
        compression: Option<String>,
        unix: Option<String>,
    ) -> PyResult<Self> {
        let compression = match compression.as_deref() {
            None => None,
            // websockets' serve(): 12-bit windows, memory level 5, context kept both ways.
            Some("deflate") => Some(omnisock_core::deflate::RouteCompression {
                context_takeover: true,
                client_context_takeover: true,
                ..omnisock_core::deflate::RouteCompression::for_kind(RouteKind::Echo)
            }),
            Some(other) => return Err(invalid(format!("unsupported compression: {other}"))),
        };
        let mut cfg = HubConfig::new(listen);
        for (path, kind, queue_limit, policy, subprotocols, host_accepts) in routes {
            let mut r = RouteConfig::new(path, route_kind(&kind)?);
            r.queue_limit = queue_limit;
            r.on_overflow = OverflowPolicy::parse(&policy).map_err(err)?;
            r.subprotocols = subprotocols;
            r.host_accepts = host_accepts;
            r.compression = compression.clone();
            cfg.routes.push(r);
        }
        cfg.unix = unix.map(Into::into);
        cfg.max_connections = max_connections;
        cfg.max_message_size = max_size.map_or(usize::MAX >> 2, |m| m.min(usize::MAX as u64 >> 2) as usize).max(1);
        cfg.origins = origins;
        cfg.token = token;
        cfg.tls = match (tls_cert, tls_key) {
            (Some(cert), Some(key)) => Some(HubTls { cert: cert.into(), key: key.into() }),
            (None, None) => None,
            _ => return Err(invalid("TLS needs both a certificate file and a key file")),
        };
        cfg.ping_interval = opt_secs(ping_interval, "ping_interval")?;
        cfg.pong_timeout = secs(pong_timeout, "pong_timeout")?;
        if cfg.pong_timeout.is_zero() {
            cfg.pong_timeout = Duration::from_secs(20);
        }
        cfg.shutdown_timeout = secs(shutdown_timeout, "shutdown_timeout")?;
        cfg.static_dir = static_dir.map(Into::into);
        cfg.demo_page = demo_page;
        let inner = py.detach(|| Hub::start(cfg)).map_err(err)?;
        Ok(PyHub { inner })
    }

    /// A hub from the TOML configuration of `omnisock hub --config` (every option, live routes
    /// included).
    #[staticmethod]
    fn from_toml(py: Python<'_>, text: &str) -> PyResult<Self> {
        let cfg = HubConfig::from_toml(text).map_err(err)?;
        let inner = py.detach(|| Hub::start(cfg)).map_err(err)?;
        Ok(PyHub { inner })
    }

    /// Whether the hub serves wss:// (a TLS certificate is configured).
    #[getter]
    fn secure(&self) -> bool {
        self.inner.config().tls.is_some()
    }

    /// Caps a subscriber of a live route at `rate` messages per second per key (`None` lifts it).
    #[pyo3(signature = (conn, rate))]
    fn set_max_rate(&self, conn: ConnId, rate: Option<f64>) -> PyResult<()> {
        self.inner.set_max_rate(conn, rate).map_err(err)
    }

    /// `(ip, port)` the hub listens on.
    #[getter]
    fn local_addr(&self) -> (String, u16) {
        let a = self.inner.local_addr();
        (a.ip().to_string(), a.port())
    }

    /// Queues a message to one connection; returns the bytes now queued for it.
    #[pyo3(signature = (conn, data, text=None))]
    fn send(&self, conn: ConnId, data: &Bound<'_, PyAny>, text: Option<bool>) -> PyResult<usize> {
        let p = payload(data, text)?;
        self.inner.send(conn, p).map_err(err)?;
        Ok(self.inner.queued_bytes(conn).unwrap_or(0))
    }

    /// Queues one message (encoded once, shared) to many connections; returns how many took it.
    /// Connections that are gone or whose queue dropped it are skipped.
    #[pyo3(signature = (conns, data, text=None))]
    fn send_many(&self, py: Python<'_>, conns: Vec<ConnId>, data: &Bound<'_, PyAny>, text: Option<bool>) -> PyResult<usize> {
        let p = payload(data, text)?;
        let hub = &self.inner;
        Ok(py.detach(|| hub.send_many(&conns, &p)))
    }

    /// Sends to every connection of the route at `path` (but `except_`); returns the count.
    #[pyo3(signature = (path, data, except_=None, text=None))]
    fn broadcast(&self, py: Python<'_>, path: &str, data: &Bound<'_, PyAny>, except_: Option<ConnId>, text: Option<bool>) -> PyResult<usize> {
        let p = payload(data, text)?;
        py.detach(|| self.inner.broadcast(path, p, except_)).map_err(err)
    }

    /// Publishes to every member of `group` (but `except_`); returns the local recipients.
    #[pyo3(signature = (group, data, except_=None, text=None))]
    fn publish(&self, py: Python<'_>, group: &str, data: &Bound<'_, PyAny>, except_: Option<ConnId>, text: Option<bool>) -> PyResult<usize> {
        let p = payload(data, text)?;
        py.detach(|| self.inner.publish(group, p, except_)).map_err(err)
    }

    /// Closes one connection after its queued messages.
    #[pyo3(signature = (conn, code=1000, reason=""))]
    fn close(&self, conn: ConnId, code: u16, reason: &str) -> PyResult<()> {
        self.inner.close(conn, code, reason).map_err(err)
    }

    /// Accepts a paused handshake (routes with `host_accepts`), optionally with a subprotocol.
    /// `headers` are added to the `101` response.
    #[pyo3(signature = (conn, protocol=None, headers=None))]
    fn accept(&self, conn: ConnId, protocol: Option<&str>, headers: Option<Vec<(String, String)>>) -> PyResult<()> {
        match headers {
            Some(h) if !h.is_empty() => self.inner.accept_with_headers(conn, protocol, &h),
            _ => self.inner.accept(conn, protocol),
        }
        .map_err(err)
    }

    /// Refuses a paused handshake with an HTTP status and body.
    #[pyo3(signature = (conn, status, body=""))]
    fn reject(&self, conn: ConnId, status: u16, body: &str) -> PyResult<()> {
        self.inner.reject(conn, status, body).map_err(err)
    }

    /// Answers a paused handshake or plain request with any HTTP response (status 200-599,
    /// headers, body) instead of upgrading: health checks, redirects, refusals.
    #[pyo3(signature = (conn, status, reason="", headers=Vec::new(), body=Vec::new()))]
    fn respond(&self, conn: ConnId, status: u16, reason: &str, headers: Vec<(String, String)>, body: Vec<u8>) -> PyResult<()> {
        self.inner.respond(conn, status, reason, &headers, &body).map_err(err)
    }

    /// Sends a ping; a pong with a non-empty payload comes back as an `kind` event.
    fn ping(&self, conn: ConnId, payload: &[u8]) -> PyResult<()> {
        self.inner.ping(conn, payload).map_err(err)
    }

    /// Stops reading from a connection (back-pressure) until `resume_reading`.
    fn pause_reading(&self, conn: ConnId) -> PyResult<()> {
        self.inner.pause_reading(conn).map_err(err)
    }

    /// Resumes reading from a paused connection.
    fn resume_reading(&self, conn: ConnId) -> PyResult<()> {
        self.inner.resume_reading(conn).map_err(err)
    }

    /// Adds a connection to a group.
    fn join(&self, conn: ConnId, group: &str) -> PyResult<()> {
        self.inner.join(conn, group).map_err(err)
    }

    /// Removes a connection from a group; returns whether it was a member.
    fn leave(&self, conn: ConnId, group: &str) -> PyResult<bool> {
        self.inner.leave(conn, group).map_err(err)
    }

    /// Members of a group on this node.
    fn group_size(&self, group: &str) -> usize {
        self.inner.group_size(group)
    }

    /// Open WebSocket connections.
    fn connection_count(&self) -> usize {
        self.inner.connection_count()
    }

    /// Bytes waiting in a connection's outbound queue.
    fn queued_bytes(&self, conn: ConnId) -> PyResult<usize> {
        self.inner.queued_bytes(conn).map_err(err)
    }

    /// The status document (JSON text) also served at `/_omnisock/status`.
    fn status_json(&self) -> String {
        self.inner.status_json()
    }

    /// The Prometheus text also served at `/metrics`.
    fn metrics_text(&self) -> String {
        self.inner.metrics_text()
    }

    /// Whether shutdown has begun.
    #[getter]
    fn is_shut_down(&self) -> bool {
        self.inner.is_shut_down()
    }

    /// Starts the graceful shutdown without waiting: stops accepting at once and asks every
    /// connection to close with 1001. Idempotent.
    fn start_shutdown(&self) {
        self.inner.start_shutdown();
    }

    /// Closes the listening socket; open connections keep running until a shutdown.
    fn stop_accepting(&self) {
        self.inner.stop_accepting();
    }

    /// Graceful shutdown: close 1001 to everyone, wait up to the shutdown timeout (GIL
    /// released), then drop the rest. Idempotent.
    fn shutdown(&self, py: Python<'_>) {
        let hub = self.inner.clone();
        py.detach(move || hub.shutdown())
    }

    /// Up to `max` events as tuples, oldest first; never blocks.
    #[pyo3(signature = (max=1024))]
    fn poll<'py>(&self, py: Python<'py>, max: usize) -> PyResult<Bound<'py, PyList>> {
        poll_queue(py, self.inner.events(), max)
    }

    /// Blocks (without the GIL) up to `timeout` seconds until an event is queued.
    fn wait(&self, py: Python<'_>, timeout: f64) -> PyResult<bool> {
        let t = secs(timeout, "timeout")?;
        let hub = self.inner.clone();
        Ok(py.detach(move || hub.events().wait(t)))
    }

    /// A file descriptor readable while events are queued (for `loop.add_reader`).
    fn wake_fd(&self) -> i32 {
        self.inner.events().wake_fd()
    }
}

/// Stops the core's runtime (every connection is dropped). For the end of a process.
#[pyfunction]
#[pyo3(signature = (timeout=5.0))]
fn runtime_shutdown(py: Python<'_>, timeout: f64) -> PyResult<()> {
    let t = secs(timeout, "timeout")?;
    py.detach(move || omnisock_core::runtime::shutdown(t));
    Ok(())
}

#[pymodule]
#[pyo3(name = "_native")]
fn native_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyClient>()?;
    m.add_class::<PyHub>()?;
    m.add_function(wrap_pyfunction!(runtime_shutdown, m)?)?;
    m.add("VERSION", omnisock_core::VERSION)?;
    Ok(())
}
