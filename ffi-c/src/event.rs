//! Events as C structs, and the poll / wait / wake-fd / callback functions shared by clients
//! and hubs.

use std::ffi::{c_char, c_void, CString};
use std::ptr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use omnisock_core::{Event, EventQueue};

use crate::result::omnisock_result;
pub use crate::vocab::{omnisock_event_kind, OMNISOCK_EVENT_FLAG_CLEAN};

/// One event. Every pointer in it is borrowed: it stays valid until the next
/// `omnisock_*_poll` or `omnisock_*_free` on the same handle, and must not be freed.
/// String fields other than `data` are NUL-terminated as well as sized.
///
/// What each kind fills:
/// - OPEN / HANDSHAKE: `conn` (hub), `path`, `query`, `remote`, `headers`; `data` is the
///   negotiated (OPEN) or proposed (HANDSHAKE) subprotocol, may be empty. A HANDSHAKE waits for
///   `omnisock_hub_accept` or `omnisock_hub_reject`.
/// - TEXT / BINARY: `data`/`data_len` (text is valid UTF-8 and NOT NUL-terminated).
/// - CLOSE: `code` is the close code (1006 = no close frame), `data` the reason,
///   `flags & OMNISOCK_EVENT_FLAG_CLEAN` whether the closing handshake completed.
/// - ERROR: `code` is an `omnisock_result`, `data` the message.
/// - RECONNECTING: `code` is the attempt (1-based), `delay_ms` the wait before it, `data` why
///   the previous connection ended.
/// - PONG: `data` is the payload.
/// - REJECTED: `code` is the HTTP status, `headers` the response headers, `data` the body.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct omnisock_event {
    /// What happened.
    pub kind: omnisock_event_kind,
    /// Close code, error code, or reconnect attempt (see the kind).
    pub code: u32,
    /// `OMNISOCK_EVENT_FLAG_*` bits.
    pub flags: u32,
    /// Hub: the connection id (never 0, never reused). Client: 0.
    pub conn: u64,
    /// RECONNECTING: milliseconds until the attempt.
    pub delay_ms: u64,
    /// Message payload, close reason, error message, or subprotocol (see the kind).
    pub data: *const u8,
    /// Length of `data` in bytes.
    pub data_len: usize,
    /// OPEN: request path (hub) or URL path (client).
    pub path: *const c_char,
    /// Length of `path`.
    pub path_len: usize,
    /// OPEN: query string without '?'.
    pub query: *const c_char,
    /// Length of `query`.
    pub query_len: usize,
    /// OPEN: peer address "ip:port".
    pub remote: *const c_char,
    /// Length of `remote`.
    pub remote_len: usize,
    /// OPEN: headers as "Name: value\r\n" lines (request headers for a hub, response headers
    /// for a client).
    pub headers: *const c_char,
    /// Length of `headers`.
    pub headers_len: usize,
}

/// Called on an omnisock thread when a handle's event queue goes from empty to non-empty.
/// It must not block and must not call omnisock functions for the same handle; it should only
/// wake the host's thread, which then polls. Managed hosts (Mono/Unity, .NET, the JVM) should
/// prefer `*_wait`, `omnisock_wait_any` or the wake fd: a callback on a foreign thread attaches
/// that thread to the managed runtime, which can hang its shutdown.
#[allow(non_camel_case_types)]
pub type omnisock_wake_callback = Option<extern "C" fn(user_data: *mut c_void, handle: u64)>;

/// Storage keeping the last polled batch alive for the host.
#[derive(Default)]
pub(crate) struct Borrowed {
    events: Vec<Event>,
    strings: Vec<CString>,
}

/// An object with an event queue (client or hub) plus the storage of its last batch.
pub(crate) trait EventSource: Send + Sync {
    fn queue(&self) -> &EventQueue;
    fn borrowed(&self) -> &Mutex<Borrowed>;
}

fn cstring(s: &str, keep: &mut Vec<CString>) -> (*const c_char, usize) {
    // Interior NULs cannot appear in paths/addresses; header values are lossy-decoded, so
    // replace any NUL to keep the string intact for C.
    let c = CString::new(s.replace('\0', "\u{FFFD}")).unwrap_or_default();
    let out = (c.as_ptr(), c.as_bytes().len());
    keep.push(c);
    out
}

fn empty() -> omnisock_event {
    omnisock_event {
        kind: omnisock_event_kind::OMNISOCK_EVENT_ERROR,
        code: 0,
        flags: 0,
        conn: 0,
        delay_ms: 0,
        data: ptr::null(),
        data_len: 0,
        path: ptr::null(),
        path_len: 0,
        query: ptr::null(),
        query_len: 0,
        remote: ptr::null(),
        remote_len: 0,
        headers: ptr::null(),
        headers_len: 0,
    }
}

fn fill(e: &Event, keep: &mut Vec<CString>) -> omnisock_event {
    let mut out = empty();
    out.kind = e.kind().into();
    let text = |s: &str, out: &mut omnisock_event, keep: &mut Vec<CString>| {
        let (p, n) = cstring(s, keep);
        out.data = p as *const u8;
        out.data_len = n;
    };
    match e {
        Event::Open(info) | Event::Handshake(info) => {
            out.conn = info.conn;
            text(info.protocol.as_deref().unwrap_or(""), &mut out, keep);
            (out.path, out.path_len) = cstring(&info.path, keep);
            (out.query, out.query_len) = cstring(&info.query, keep);
            (out.remote, out.remote_len) = cstring(&info.remote, keep);
            let headers: String = info.headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
            (out.headers, out.headers_len) = cstring(&headers, keep);
        }
        Event::Message { conn, data } => {
            out.conn = *conn;
            let bytes = data.as_bytes();
            out.data = if bytes.is_empty() { b"".as_ptr() } else { bytes.as_ptr() };
            out.data_len = bytes.len();
        }
        Event::Close { conn, code, reason, clean } => {
            out.conn = *conn;
            out.code = *code as u32;
            out.flags = if *clean { OMNISOCK_EVENT_FLAG_CLEAN } else { 0 };
            text(reason, &mut out, keep);
        }
        Event::Error { conn, code, message } => {
            out.conn = *conn;
            out.code = omnisock_result::from(*code) as u32;
            text(message, &mut out, keep);
        }
        Event::Pong { conn, payload } => {
            out.conn = *conn;
            out.data = payload.as_ptr();
            out.data_len = payload.len();
        }
        Event::Rejected(r) => {
            out.code = r.status as u32;
            out.data = if r.body.is_empty() { b"".as_ptr() } else { r.body.as_ptr() };
            out.data_len = r.body.len();
            let headers: String = r.headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
            (out.headers, out.headers_len) = cstring(&headers, keep);
        }
        Event::Reconnecting { attempt, delay, reason } => {
            out.code = *attempt;
            out.delay_ms = delay.as_millis() as u64;
            text(reason, &mut out, keep);
        }
    }
    out
}

/// Drains up to `out.len()` events into `out`, replacing the previous borrowed batch.
pub(crate) fn poll(src: &dyn EventSource, out: &mut [omnisock_event]) -> usize {
    let mut b = src.borrowed().lock().unwrap_or_else(|e| e.into_inner());
    let Borrowed { events, strings } = &mut *b;
    events.clear();
    strings.clear();
    let n = src.queue().poll_into(events, out.len());
    for (slot, e) in out.iter_mut().zip(events.iter()) {
        *slot = fill(e, strings);
    }
    n
}

/// The body of `omnisock_*_poll`: checks the C arguments, looks the handle up, polls.
///
/// # Safety
/// `events` must be NULL or valid for `capacity` writes; `out_count` NULL or writable.
pub(crate) unsafe fn poll_c(
    lookup: impl FnOnce() -> Result<Arc<dyn EventSource>, omnisock_core::Error>,
    events: *mut omnisock_event,
    capacity: usize,
    out_count: *mut usize,
) -> Result<(), omnisock_core::Error> {
    crate::args::need_out(out_count, "out_count")?;
    if events.is_null() && capacity > 0 {
        return Err(omnisock_core::Error::invalid("events is NULL but capacity > 0"));
    }
    let src = lookup()?;
    let slice: &mut [omnisock_event] = if capacity == 0 { &mut [] } else { std::slice::from_raw_parts_mut(events, capacity) };
    crate::args::write_out(out_count, poll(&*src, slice), "out_count")
}

/// The body of `omnisock_*_wait`: blocks up to `timeout_ms` for an event.
///
/// # Safety
/// `out_ready` must be NULL or writable.
pub(crate) unsafe fn wait_c(
    lookup: impl FnOnce() -> Result<Arc<dyn EventSource>, omnisock_core::Error>,
    timeout_ms: u32,
    out_ready: *mut bool,
) -> Result<(), omnisock_core::Error> {
    crate::args::need_out(out_ready, "out_ready")?;
    let src = lookup()?;
    let ready = src.queue().wait(Duration::from_millis(timeout_ms as u64));
    if src.queue().is_closed() {
        return Err(omnisock_core::Error::new(
            omnisock_core::ErrorCode::InvalidHandle,
            "the handle was freed while this thread waited on it",
        ));
    }
    crate::args::write_out(out_ready, ready, "out_ready")
}

/// A raw pointer the host gave us, passed back to its callback untouched.
struct UserData(*mut c_void);
// SAFETY: omnisock never dereferences the pointer; the host promised (in the header) that its
// callback may be called from another thread with it.
unsafe impl Send for UserData {}
unsafe impl Sync for UserData {}

/// Sets or clears the wake callback of `src`.
pub(crate) fn set_callback(src: &Arc<dyn EventSource>, handle: u64, cb: omnisock_wake_callback, user_data: *mut c_void) {
    match cb {
        None => src.queue().set_callback(None),
        Some(f) => {
            let data = UserData(user_data);
            src.queue().set_callback(Some(Arc::new(move || {
                let data = &data;
                // A panicking or unwinding callback must not take the runtime down.
                let _ = std::panic::catch_unwind(|| f(data.0, handle));
            })));
        }
    }
}

/// The wake fd of a queue (unix), or a clear error elsewhere.
pub(crate) fn wake_fd(q: &EventQueue) -> Result<std::ffi::c_int, omnisock_core::Error> {
    #[cfg(unix)]
    {
        Ok(q.wake_fd())
    }
    #[cfg(not(unix))]
    {
        let _ = q;
        Err(omnisock_core::Error::invalid("wake fds exist on unix only; use omnisock_wait_any or the *_wait functions"))
    }
}
