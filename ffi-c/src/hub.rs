//! `omnisock_hub_config_*` and `omnisock_hub_*`.

use std::ffi::{c_char, c_int, c_void};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use omnisock_core::{Error, ErrorCode, EventQueue, Hub, HubConfig, HubTls, OverflowPolicy, Payload, RouteConfig, RouteKind};

use crate::args::{bytes_arg, check_ptr, copy_bytes, need_out, opt_str_arg, str_arg, write_out};
use crate::event::{self, omnisock_event, omnisock_wake_callback, Borrowed, EventSource};
use omnisock_core::handle::Registry;
use crate::result::{guard, omnisock_result};

/// A hub configuration under construction (opaque handle; 0 is never valid).
#[allow(non_camel_case_types)]
pub type omnisock_hub_config = u64;
/// A running hub (opaque handle; 0 is never valid).
#[allow(non_camel_case_types)]
pub type omnisock_hub = u64;

/// What a route does with incoming messages.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum omnisock_route_kind {
    /// Send each message back to its sender.
    OMNISOCK_ROUTE_ECHO = 0,
    /// Send each message to everyone on the route, the sender included.
    OMNISOCK_ROUTE_BROADCAST = 1,
    /// Send each message to everyone on the route but the sender.
    OMNISOCK_ROUTE_RELAY = 2,
    /// Report open/message/close events to the host (poll the hub).
    OMNISOCK_ROUTE_HOST = 3,
}

/// What happens when a connection's outbound queue is full.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum omnisock_overflow {
    /// Close the slow connection with 1008.
    OMNISOCK_OVERFLOW_CLOSE = 0,
    /// Drop the oldest queued messages.
    OMNISOCK_OVERFLOW_DROP_OLDEST = 1,
    /// Drop the new message.
    OMNISOCK_OVERFLOW_DROP_NEWEST = 2,
}

pub(crate) struct HubObj {
    hub: Hub,
    borrowed: Mutex<Borrowed>,
}

impl EventSource for HubObj {
    fn queue(&self) -> &EventQueue {
        self.hub.events()
    }
    fn borrowed(&self) -> &Mutex<Borrowed> {
        &self.borrowed
    }
}

static CONFIGS: Registry<Mutex<HubConfig>> = Registry::new(0x21, "hub config");
pub(crate) static HUBS: Registry<HubObj> = Registry::new(0x22, "hub");

pub(crate) fn with_config(cfg: omnisock_hub_config, f: impl FnOnce(&mut HubConfig) -> Result<(), Error>) -> Result<(), Error> {
    let c = CONFIGS.get(cfg)?;
    let mut guard = c.lock().unwrap_or_else(|e| e.into_inner());
    f(&mut guard)
}

fn hub(h: omnisock_hub) -> Result<Arc<HubObj>, Error> {
    HUBS.get(h)
}

/// The host's message as a payload: the size is checked against the hub's limit before the
/// bytes are read (a wrong length never touches memory), the bytes are copied with a fallible
/// allocation, and text is checked to be UTF-8 by the core's one check.
///
/// # Safety
/// `p` must be NULL or point to `len` readable bytes valid for the call.
unsafe fn payload(h: omnisock_hub, p: *const u8, len: usize, text: bool) -> Result<Payload, Error> {
    let name = if text { "text" } else { "data" };
    check_ptr(p, len, name)?;
    hub(h)?.hub.check_send_len(len)?;
    let data = bytes_arg(p, len, name)?;
    Payload::from_bytes(Bytes::from(copy_bytes(data, name)?), text)
}

fn except(conn: u64) -> Option<u64> {
    (conn != 0).then_some(conn)
}

/// Creates an empty hub configuration listening on `listen` ("ip:port"; port 0 picks a free
/// one, see `omnisock_hub_local_port`). Add routes with `omnisock_hub_config_add_route`.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_config_new(listen: *const c_char, out: *mut omnisock_hub_config) -> omnisock_result {
    guard("omnisock_hub_config_new", || {
        let listen = str_arg(listen, "listen")?;
        need_out(out, "out")?;
        write_out(out, CONFIGS.insert(Mutex::new(HubConfig::new(listen))), "out")
    })
}

/// Creates the embedded default configuration: 127.0.0.1:9001 with /echo (echo), /chat
/// (broadcast), /ws/camera (relay) and the demo page at /.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_config_default(out: *mut omnisock_hub_config) -> omnisock_result {
    guard("omnisock_hub_config_default", || write_out(out, CONFIGS.insert(Mutex::new(HubConfig::default_hub())), "out"))
}

/// Parses a TOML configuration (`len` bytes; the format of `omnisock hub --config`).
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_config_from_toml(text: *const c_char, len: usize, out: *mut omnisock_hub_config) -> omnisock_result {
    guard("omnisock_hub_config_from_toml", || {
        let bytes = bytes_arg(text as *const u8, len, "text")?;
        need_out(out, "out")?;
        let text = std::str::from_utf8(bytes).map_err(|e| Error::new(ErrorCode::InvalidUtf8, format!("TOML text is not valid UTF-8: {e}")))?;
        write_out(out, CONFIGS.insert(Mutex::new(HubConfig::from_toml(text)?)), "out")
    })
}

/// Frees a hub configuration. 0 and already freed handles are ignored.
#[no_mangle]
pub extern "C" fn omnisock_hub_config_free(cfg: omnisock_hub_config) {
    guard("omnisock_hub_config_free", || {
        CONFIGS.remove(cfg);
        Ok(())
    });
}

/// Sets the listen address ("ip:port").
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_config_set_listen(cfg: omnisock_hub_config, listen: *const c_char) -> omnisock_result {
    guard("omnisock_hub_config_set_listen", || {
        let listen = str_arg(listen, "listen")?;
        with_config(cfg, |c| {
            c.listen = listen.to_string();
            Ok(())
        })
    })
}

/// Adds a route at `path` (must start with '/'). `kind` is an `omnisock_route_kind`,
/// `queue_limit` the per-connection outbound queue in bytes (0 = 1 MiB) and `overflow` an
/// `omnisock_overflow` (what happens when that queue is full). Unknown values are refused.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_config_add_route(
    cfg: omnisock_hub_config,
    path: *const c_char,
    kind: i32,
    queue_limit: usize,
    overflow: i32,
) -> omnisock_result {
    guard("omnisock_hub_config_add_route", || {
        let path = str_arg(path, "path")?;
        let kind = match kind {
            0 => RouteKind::Echo,
            1 => RouteKind::Broadcast,
            2 => RouteKind::Relay,
            3 => RouteKind::Host,
            k => return Err(Error::invalid(format!("unknown route kind {k}"))),
        };
        let policy = match overflow {
            0 => OverflowPolicy::Close,
            1 => OverflowPolicy::DropOldest,
            2 => OverflowPolicy::DropNewest,
            p => return Err(Error::invalid(format!("unknown overflow policy {p}"))),
        };
        with_config(cfg, |c| {
            let mut route = RouteConfig::new(path, kind);
            if queue_limit > 0 {
                route.queue_limit = queue_limit;
            }
            route.on_overflow = policy;
            let mut next = c.clone();
            next.routes.push(route);
            next.validate().map_err(|e| Error::invalid(e.message()))?;
            *c = next;
            Ok(())
        })
    })
}

fn with_route(cfg: omnisock_hub_config, path: &str, f: impl FnOnce(&mut RouteConfig) -> Result<(), Error>) -> Result<(), Error> {
    with_config(cfg, |c| {
        let mut next = c.clone();
        let route = next
            .routes
            .iter_mut()
            .find(|r| r.path == path)
            .ok_or_else(|| Error::new(ErrorCode::NotFound, format!("no route {path:?} in this config (add it first)")))?;
        f(route)?;
        next.validate().map_err(|e| Error::invalid(e.message()))?;
        *c = next;
        Ok(())
    })
}

/// Adds a subprotocol the route at `path` speaks; the hub picks the first one the client
/// offers that the route speaks.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_config_add_route_subprotocol(cfg: omnisock_hub_config, path: *const c_char, protocol: *const c_char) -> omnisock_result {
    guard("omnisock_hub_config_add_route_subprotocol", || {
        let (path, protocol) = (str_arg(path, "path")?, str_arg(protocol, "protocol")?);
        with_route(cfg, path, |r| {
            r.subprotocols.push(protocol.to_string());
            Ok(())
        })
    })
}

/// Makes the host accept or reject each handshake on the (host) route at `path`: a HANDSHAKE
/// event is queued and the handshake waits for `omnisock_hub_accept` / `omnisock_hub_reject`.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_config_set_route_host_accepts(cfg: omnisock_hub_config, path: *const c_char, on: bool) -> omnisock_result {
    guard("omnisock_hub_config_set_route_host_accepts", || {
        let path = str_arg(path, "path")?;
        with_route(cfg, path, |r| {
            r.host_accepts = on;
            Ok(())
        })
    })
}

/// Sets hub keepalive: a ping after `ping_interval_ms` without data from a connection (0 =
/// off); a connection silent for `pong_timeout_ms` after a ping is closed (1011).
#[no_mangle]
pub extern "C" fn omnisock_hub_config_set_keepalive(cfg: omnisock_hub_config, ping_interval_ms: u32, pong_timeout_ms: u32) -> omnisock_result {
    guard("omnisock_hub_config_set_keepalive", || {
        if ping_interval_ms > 0 && pong_timeout_ms == 0 {
            return Err(Error::invalid("pong timeout must be > 0 ms when pings are on"));
        }
        with_config(cfg, |c| {
            c.ping_interval = (ping_interval_ms > 0).then(|| std::time::Duration::from_millis(ping_interval_ms as u64));
            c.pong_timeout = std::time::Duration::from_millis(pong_timeout_ms.max(1) as u64);
            Ok(())
        })
    })
}

/// Sets the limits on sockets in their handshake: each gets `timeout_ms` (> 0; default 10000)
/// for its TLS handshake and request head, and at most `max_pending` (> 0; default 1024) are
/// pending at once; a new socket beyond that evicts the oldest pending one.
#[no_mangle]
pub extern "C" fn omnisock_hub_config_set_handshake_limits(cfg: omnisock_hub_config, timeout_ms: u32, max_pending: usize) -> omnisock_result {
    guard("omnisock_hub_config_set_handshake_limits", || {
        if timeout_ms == 0 || max_pending == 0 {
            return Err(Error::invalid("handshake timeout and max pending handshakes must be > 0"));
        }
        with_config(cfg, |c| {
            c.handshake_timeout = std::time::Duration::from_millis(timeout_ms as u64);
            c.max_pending_handshakes = max_pending;
            Ok(())
        })
    })
}

/// Sets the most connections held at once (more get HTTP 503).
#[no_mangle]
pub extern "C" fn omnisock_hub_config_set_max_connections(cfg: omnisock_hub_config, max: usize) -> omnisock_result {
    guard("omnisock_hub_config_set_max_connections", || {
        with_config(cfg, |c| {
            c.max_connections = max;
            Ok(())
        })
    })
}

/// Sets the largest accepted incoming message in bytes (> 0); bigger closes with 1009. Messages
/// the host sends through the hub are held to it too (OMNISOCK_ERR_MESSAGE_TOO_BIG).
#[no_mangle]
pub extern "C" fn omnisock_hub_config_set_max_message_size(cfg: omnisock_hub_config, bytes: usize) -> omnisock_result {
    guard("omnisock_hub_config_set_max_message_size", || {
        if bytes == 0 {
            return Err(Error::invalid("max message size must be > 0"));
        }
        with_config(cfg, |c| {
            c.max_message_size = bytes;
            Ok(())
        })
    })
}

/// Adds an allowed Origin (once any is added, handshakes from other origins get HTTP 403).
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_config_add_origin(cfg: omnisock_hub_config, origin: *const c_char) -> omnisock_result {
    guard("omnisock_hub_config_add_origin", || {
        let origin = str_arg(origin, "origin")?;
        with_config(cfg, |c| {
            c.origins.push(origin.to_string());
            Ok(())
        })
    })
}

/// Requires `?token=...` or `Authorization: Bearer ...` on every handshake (NULL = no check).
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_config_set_token(cfg: omnisock_hub_config, token: *const c_char) -> omnisock_result {
    guard("omnisock_hub_config_set_token", || {
        let token = opt_str_arg(token, "token")?;
        with_config(cfg, |c| {
            c.token = token.map(str::to_string);
            Ok(())
        })
    })
}

/// Serves files from `dir` for plain GET requests (NULL = none).
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_config_set_static_dir(cfg: omnisock_hub_config, dir: *const c_char) -> omnisock_result {
    guard("omnisock_hub_config_set_static_dir", || {
        let dir = opt_str_arg(dir, "dir")?;
        with_config(cfg, |c| {
            c.static_dir = dir.map(Into::into);
            Ok(())
        })
    })
}

/// Serves wss:// (and https://) with a PEM certificate chain and private key.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_config_set_tls_files(cfg: omnisock_hub_config, cert_path: *const c_char, key_path: *const c_char) -> omnisock_result {
    guard("omnisock_hub_config_set_tls_files", || {
        let (cert, key) = (str_arg(cert_path, "cert_path")?, str_arg(key_path, "key_path")?);
        with_config(cfg, |c| {
            c.tls = Some(HubTls { cert: cert.into(), key: key.into() });
            Ok(())
        })
    })
}

/// Binds and starts a hub with a copy of `cfg` (which stays owned by the caller).
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_start(cfg: omnisock_hub_config, out: *mut omnisock_hub) -> omnisock_result {
    guard("omnisock_hub_start", || {
        need_out(out, "out")?;
        let config = CONFIGS.get(cfg)?.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let hub = Hub::start(config)?;
        write_out(out, HUBS.insert(HubObj { hub, borrowed: Mutex::new(Borrowed::default()) }), "out")
    })
}

/// Writes the port the hub listens on.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_local_port(h: omnisock_hub, out: *mut u16) -> omnisock_result {
    guard("omnisock_hub_local_port", || write_out(out, hub(h)?.hub.local_addr().port(), "out"))
}

/// Queues a text message (`len` bytes, UTF-8 checked) to connection `conn`.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_send_text(h: omnisock_hub, conn: u64, text: *const c_char, len: usize) -> omnisock_result {
    guard("omnisock_hub_send_text", || {
        let p = payload(h, text as *const u8, len, true)?;
        hub(h)?.hub.send(conn, p)
    })
}

/// Queues a binary message (`len` bytes, copied) to connection `conn`.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_send_binary(h: omnisock_hub, conn: u64, data: *const u8, len: usize) -> omnisock_result {
    guard("omnisock_hub_send_binary", || {
        let p = payload(h, data, len, false)?;
        hub(h)?.hub.send(conn, p)
    })
}

/// Queues one message (`len` bytes, copied once and shared; text when `text` is true, checked
/// as UTF-8) to each of the `n` connections in `conns`, and writes how many took it to
/// `out_count`. Connections that are gone, closing, or whose queue dropped it are skipped.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_send_many(
    h: omnisock_hub,
    conns: *const u64,
    n: usize,
    data: *const u8,
    len: usize,
    text: bool,
    out_count: *mut usize,
) -> omnisock_result {
    guard("omnisock_hub_send_many", || {
        need_out(out_count, "out_count")?;
        if conns.is_null() && n > 0 {
            return Err(Error::invalid("conns is NULL but n > 0"));
        }
        if n > isize::MAX as usize / std::mem::size_of::<u64>() {
            return Err(Error::invalid(format!("conns: length {n} is too large")));
        }
        let ids: &[u64] = if n == 0 { &[] } else { std::slice::from_raw_parts(conns, n) };
        let p = Payload::from_bytes(Bytes::copy_from_slice(bytes_arg(data, len, "data")?), text)?;
        write_out(out_count, hub(h)?.hub.send_many(ids, &p), "out_count")
    })
}

/// Closes connection `conn` with `code` and `reason` (may be NULL) after its queued messages.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_close_connection(h: omnisock_hub, conn: u64, code: u16, reason: *const c_char) -> omnisock_result {
    guard("omnisock_hub_close_connection", || {
        let reason = opt_str_arg(reason, "reason")?.unwrap_or("");
        hub(h)?.hub.close(conn, code, reason)
    })
}

/// Accepts the handshake `conn` reported by a HANDSHAKE event, with a subprotocol the client
/// offered (or NULL for the route's choice).
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_accept(h: omnisock_hub, conn: u64, protocol: *const c_char) -> omnisock_result {
    guard("omnisock_hub_accept", || {
        let protocol = opt_str_arg(protocol, "protocol")?;
        hub(h)?.hub.accept(conn, protocol)
    })
}

/// One HTTP header: a name and a value, both NUL-terminated UTF-8.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy)]
pub struct omnisock_header {
    /// The header name (a token, e.g. `Set-Cookie`).
    pub name: *const c_char,
    /// The header value (no CR, LF or NUL).
    pub value: *const c_char,
}

/// Largest number of headers one call takes (a bound checked before reading the array).
const MAX_HEADERS: usize = 256;

/// Reads `count` headers from `headers` (NULL only with `count` 0).
///
/// # Safety
/// `headers` must be NULL or point to `count` readable `omnisock_header`s whose strings are
/// NUL-terminated and valid for the call.
unsafe fn headers_arg(headers: *const omnisock_header, count: usize) -> Result<Vec<(String, String)>, Error> {
    if count > MAX_HEADERS {
        return Err(Error::invalid(format!("headers: {count} headers, at most {MAX_HEADERS}")));
    }
    if headers.is_null() {
        if count == 0 {
            return Ok(Vec::new());
        }
        return Err(Error::invalid(format!("headers is NULL but count is {count}")));
    }
    std::slice::from_raw_parts(headers, count)
        .iter()
        .enumerate()
        .map(|(i, h)| Ok((str_arg(h.name, &format!("headers[{i}].name"))?.to_string(), str_arg(h.value, &format!("headers[{i}].value"))?.to_string())))
        .collect()
}

/// Accepts the handshake `conn` like `omnisock_hub_accept` and adds `count` headers from
/// `headers` (NULL only with `count` 0; at most 256) to the `101` response: a `Server`
/// header, `Set-Cookie`, ... The handshake's own headers (`Upgrade`, `Connection`,
/// `Sec-WebSocket-Accept`, `Sec-WebSocket-Protocol`) cannot be replaced; an invalid name or
/// value fails with OMNISOCK_ERR_INVALID_ARGUMENT and leaves the handshake waiting.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_accept_with_headers(
    h: omnisock_hub,
    conn: u64,
    protocol: *const c_char,
    headers: *const omnisock_header,
    count: usize,
) -> omnisock_result {
    guard("omnisock_hub_accept_with_headers", || {
        let protocol = opt_str_arg(protocol, "protocol")?;
        let headers = headers_arg(headers, count)?;
        hub(h)?.hub.accept_with_headers(conn, protocol, &headers)
    })
}

/// Answers the request `conn` reported by a HANDSHAKE event with any HTTP response instead
/// of upgrading: `status` 200-599, `count` extra headers (`headers` NULL only with `count` 0,
/// at most 256) and a body of `len` bytes (`body` NULL only with `len` 0, at most 16 MiB).
/// On a route with host_accepts, plain GET/HEAD requests (no `Upgrade` header) arrive as
/// HANDSHAKE events too, so a host can serve pages this way. `Content-Length` is always the
/// body's length; a HEAD request gets the headers only.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_respond(
    h: omnisock_hub,
    conn: u64,
    status: u16,
    headers: *const omnisock_header,
    count: usize,
    body: *const u8,
    len: usize,
) -> omnisock_result {
    guard("omnisock_hub_respond", || {
        let headers = headers_arg(headers, count)?;
        let body = bytes_arg(body, len, "body")?;
        hub(h)?.hub.respond(conn, status, "", &headers, body)
    })
}

/// Rejects the handshake `conn` with an HTTP status (400-599) and a body (may be NULL).
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_reject(h: omnisock_hub, conn: u64, status: u16, body: *const c_char) -> omnisock_result {
    guard("omnisock_hub_reject", || {
        let body = opt_str_arg(body, "body")?.unwrap_or("");
        hub(h)?.hub.reject(conn, status, body)
    })
}

/// Queues a ping to `conn` (payload at most 125 bytes; non-empty payloads come back as PONG).
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_ping(h: omnisock_hub, conn: u64, data: *const u8, len: usize) -> omnisock_result {
    guard("omnisock_hub_ping", || {
        let bytes = bytes_arg(data, len, "data")?;
        hub(h)?.hub.ping(conn, bytes)
    })
}

/// Stops (`paused` = true) or resumes reading from `conn`: back-pressure for hosts that
/// cannot take more messages from it yet.
#[no_mangle]
pub extern "C" fn omnisock_hub_set_reading_paused(h: omnisock_hub, conn: u64, paused: bool) -> omnisock_result {
    guard("omnisock_hub_set_reading_paused", || {
        let hub = hub(h)?;
        if paused {
            hub.hub.pause_reading(conn)
        } else {
            hub.hub.resume_reading(conn)
        }
    })
}

/// Caps a subscriber of a live route (`[route.live]`) at `rate` messages per second per key;
/// the newest value of each key is sent at that rate. `rate` = 0 lifts the cap. A negative or
/// non-finite rate is `INVALID_ARGUMENT`; a connection on a route without `live` too.
#[no_mangle]
pub extern "C" fn omnisock_hub_set_max_rate(h: omnisock_hub, conn: u64, rate: f64) -> omnisock_result {
    guard("omnisock_hub_set_max_rate", || {
        let rate = if rate == 0.0 { None } else { Some(rate) };
        hub(h)?.hub.set_max_rate(conn, rate)
    })
}

/// Adds connection `conn` to `group` (idempotent).
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_join(h: omnisock_hub, conn: u64, group: *const c_char) -> omnisock_result {
    guard("omnisock_hub_join", || {
        let group = str_arg(group, "group")?;
        hub(h)?.hub.join(conn, group)
    })
}

/// Removes connection `conn` from `group`.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_leave(h: omnisock_hub, conn: u64, group: *const c_char) -> omnisock_result {
    guard("omnisock_hub_leave", || {
        let group = str_arg(group, "group")?;
        hub(h)?.hub.leave(conn, group).map(|_| ())
    })
}

unsafe fn publish(h: omnisock_hub, group: *const c_char, except_conn: u64, payload: Payload, out: *mut usize) -> Result<(), Error> {
    let group = str_arg(group, "group")?;
    let n = hub(h)?.hub.publish(group, payload, except(except_conn))?;
    if !out.is_null() {
        out.write(n);
    }
    Ok(())
}

/// Publishes text to every member of `group` except `except_conn` (0 = nobody). The message
/// is encoded once and shared. `out_recipients` (may be NULL) gets the number of recipients.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_publish_text(h: omnisock_hub, group: *const c_char, except_conn: u64, text: *const c_char, len: usize, out_recipients: *mut usize) -> omnisock_result {
    guard("omnisock_hub_publish_text", || {
        let p = payload(h, text as *const u8, len, true)?;
        publish(h, group, except_conn, p, out_recipients)
    })
}

/// Publishes binary data to every member of `group` except `except_conn` (0 = nobody).
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_publish_binary(h: omnisock_hub, group: *const c_char, except_conn: u64, data: *const u8, len: usize, out_recipients: *mut usize) -> omnisock_result {
    guard("omnisock_hub_publish_binary", || {
        let p = payload(h, data, len, false)?;
        publish(h, group, except_conn, p, out_recipients)
    })
}

unsafe fn broadcast(h: omnisock_hub, path: *const c_char, except_conn: u64, payload: Payload, out: *mut usize) -> Result<(), Error> {
    let path = str_arg(path, "path")?;
    let n = hub(h)?.hub.broadcast(path, payload, except(except_conn))?;
    if !out.is_null() {
        out.write(n);
    }
    Ok(())
}

/// Sends text to everyone on the route at `path` except `except_conn` (0 = nobody).
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_broadcast_text(h: omnisock_hub, path: *const c_char, except_conn: u64, text: *const c_char, len: usize, out_recipients: *mut usize) -> omnisock_result {
    guard("omnisock_hub_broadcast_text", || {
        let p = payload(h, text as *const u8, len, true)?;
        broadcast(h, path, except_conn, p, out_recipients)
    })
}

/// Sends binary data to everyone on the route at `path` except `except_conn` (0 = nobody).
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_broadcast_binary(h: omnisock_hub, path: *const c_char, except_conn: u64, data: *const u8, len: usize, out_recipients: *mut usize) -> omnisock_result {
    guard("omnisock_hub_broadcast_binary", || {
        let p = payload(h, data, len, false)?;
        broadcast(h, path, except_conn, p, out_recipients)
    })
}

/// Writes the number of members of `group` on this hub.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_group_size(h: omnisock_hub, group: *const c_char, out: *mut usize) -> omnisock_result {
    guard("omnisock_hub_group_size", || {
        let group = str_arg(group, "group")?;
        if group.is_empty() {
            return Err(Error::invalid("group name must not be empty"));
        }
        write_out(out, hub(h)?.hub.group_size(group), "out")
    })
}

/// Writes the number of open WebSocket connections.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_connection_count(h: omnisock_hub, out: *mut usize) -> omnisock_result {
    guard("omnisock_hub_connection_count", || write_out(out, hub(h)?.hub.connection_count(), "out"))
}

/// Writes the number of bytes waiting in connection `conn`'s outbound queue.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_queued_bytes(h: omnisock_hub, conn: u64, out: *mut usize) -> omnisock_result {
    guard("omnisock_hub_queued_bytes", || {
        need_out(out, "out")?;
        write_out(out, hub(h)?.hub.queued_bytes(conn)?, "out")
    })
}

/// Copies the status JSON (as served at /_omnisock/status) into `buf` with a NUL. Writes the
/// length without the NUL to `out_len`; when `buf_len` is too small, fails with
/// OMNISOCK_ERR_BUFFER_TOO_SMALL and `out_len` tells the length needed (plus 1 for the NUL).
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_status_json(h: omnisock_hub, buf: *mut c_char, buf_len: usize, out_len: *mut usize) -> omnisock_result {
    guard("omnisock_hub_status_json", || copy_text(&hub(h)?.hub.status_json(), "status JSON", buf, buf_len, out_len))
}

/// Copies the metrics in the Prometheus text format (as served at /metrics) into `buf`, like
/// `omnisock_hub_status_json` does for the status.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_metrics_text(h: omnisock_hub, buf: *mut c_char, buf_len: usize, out_len: *mut usize) -> omnisock_result {
    guard("omnisock_hub_metrics_text", || copy_text(&hub(h)?.hub.metrics_text(), "metrics text", buf, buf_len, out_len))
}

/// Writes `text.len()` to `out_len` and copies `text` with a NUL into `buf` when it fits.
unsafe fn copy_text(text: &str, what: &str, buf: *mut c_char, buf_len: usize, out_len: *mut usize) -> Result<(), Error> {
    need_out(out_len, "out_len")?;
    out_len.write(text.len());
    if buf.is_null() || buf_len < text.len() + 1 {
        return Err(Error::new(ErrorCode::BufferTooSmall, format!("{what} needs {} bytes, buffer has {buf_len}", text.len() + 1)));
    }
    std::ptr::copy_nonoverlapping(text.as_ptr(), buf as *mut u8, text.len());
    *buf.add(text.len()) = 0;
    Ok(())
}

/// Moves up to `capacity` events of `host` routes into `events`; see `omnisock_client_poll`
/// for how long their pointers stay valid.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_poll(h: omnisock_hub, events: *mut omnisock_event, capacity: usize, out_count: *mut usize) -> omnisock_result {
    guard("omnisock_hub_poll", || event::poll_c(|| Ok(hub(h)? as Arc<dyn EventSource>), events, capacity, out_count))
}

/// Blocks up to `timeout_ms` until a hub event is queued; writes whether one is.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_wait(h: omnisock_hub, timeout_ms: u32, out_ready: *mut bool) -> omnisock_result {
    guard("omnisock_hub_wait", || event::wait_c(|| Ok(hub(h)? as Arc<dyn EventSource>), timeout_ms, out_ready))
}

/// Writes a file descriptor readable while hub events are queued (do not read or close it).
/// Unix only, as `omnisock_client_wake_fd`.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_wake_fd(h: omnisock_hub, out_fd: *mut c_int) -> omnisock_result {
    guard("omnisock_hub_wake_fd", || write_out(out_fd, crate::event::wake_fd(hub(h)?.hub.events())?, "out_fd"))
}

/// Sets (or, with NULL, clears) the wake callback of the hub's event queue.
#[no_mangle]
pub unsafe extern "C" fn omnisock_hub_set_wake_callback(h: omnisock_hub, callback: omnisock_wake_callback, user_data: *mut c_void) -> omnisock_result {
    guard("omnisock_hub_set_wake_callback", || {
        let obj: Arc<dyn EventSource> = hub(h)?;
        event::set_callback(&obj, h, callback, user_data);
        Ok(())
    })
}

/// Graceful shutdown: stops accepting, sends close 1001 to everyone after their queued
/// messages, waits for them (at most 5 s), then drops the rest. Blocks. The handle stays
/// valid (calls then fail with OMNISOCK_ERR_SHUTDOWN or _NOT_FOUND) until freed.
#[no_mangle]
pub extern "C" fn omnisock_hub_shutdown(h: omnisock_hub) -> omnisock_result {
    guard("omnisock_hub_shutdown", || {
        hub(h)?.hub.shutdown();
        Ok(())
    })
}

/// Shuts the hub down (if not yet) and frees it. A thread blocked in `omnisock_hub_wait` on it
/// returns at once with OMNISOCK_ERR_INVALID_HANDLE. 0 and already freed handles are ignored.
#[no_mangle]
pub extern "C" fn omnisock_hub_free(h: omnisock_hub) {
    guard("omnisock_hub_free", || {
        if let Some(obj) = HUBS.remove(h) {
            obj.hub.events().set_callback(None);
            // Threads blocked in omnisock_hub_wait return now, not after the shutdown.
            obj.hub.events().close();
            obj.hub.shutdown();
        }
        Ok(())
    });
}
