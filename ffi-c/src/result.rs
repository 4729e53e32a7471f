//! Result codes, the thread-local last error, and the panic boundary.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};

use omnisock_core::{Error, ErrorCode};

/// The result of every fallible omnisock function. `OMNISOCK_OK` (0) is success; numbers are
/// never reused. `omnisock_last_error` gives the message of the last failure on this thread.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum omnisock_result {
    /// Success.
    OMNISOCK_OK = 0,
    /// An argument was invalid: a NULL pointer, a bad URL, an out-of-range value.
    OMNISOCK_ERR_INVALID_ARGUMENT = 1,
    /// The handle is 0, stale, freed, or of another type.
    OMNISOCK_ERR_INVALID_HANDLE = 2,
    /// Text was not valid UTF-8.
    OMNISOCK_ERR_INVALID_UTF8 = 3,
    /// The connection is closed or closing.
    OMNISOCK_ERR_CLOSED = 4,
    /// The send queue is full; nothing was queued.
    OMNISOCK_ERR_QUEUE_FULL = 5,
    /// A message is larger than the configured maximum.
    OMNISOCK_ERR_MESSAGE_TOO_BIG = 6,
    /// Connecting or the opening handshake failed.
    OMNISOCK_ERR_CONNECT = 7,
    /// TLS configuration or certificate verification failed.
    OMNISOCK_ERR_TLS = 8,
    /// An operation timed out.
    OMNISOCK_ERR_TIMEOUT = 9,
    /// An I/O operation (such as binding the listen address) failed.
    OMNISOCK_ERR_IO = 10,
    /// Configuration text could not be parsed.
    OMNISOCK_ERR_CONFIG = 11,
    /// Unknown connection id, group or route.
    OMNISOCK_ERR_NOT_FOUND = 12,
    /// The runtime or hub has been shut down.
    OMNISOCK_ERR_SHUTDOWN = 13,
    /// A panic was caught inside omnisock (a bug); the process keeps running.
    OMNISOCK_ERR_PANIC = 14,
    /// An output buffer is too small; the needed size was written to the size out-param.
    OMNISOCK_ERR_BUFFER_TOO_SMALL = 15,
    /// The peer violated the WebSocket protocol.
    OMNISOCK_ERR_PROTOCOL = 16,
    /// The server refused the WebSocket handshake with an HTTP status (a REJECTED event
    /// carries its status, headers and body).
    OMNISOCK_ERR_HANDSHAKE_REJECTED = 17,
    /// A URL is malformed or not ws:// / wss://.
    OMNISOCK_ERR_INVALID_URL = 18,
}

impl From<ErrorCode> for omnisock_result {
    fn from(c: ErrorCode) -> Self {
        use omnisock_result::*;
        match c {
            ErrorCode::InvalidArgument => OMNISOCK_ERR_INVALID_ARGUMENT,
            ErrorCode::InvalidHandle => OMNISOCK_ERR_INVALID_HANDLE,
            ErrorCode::InvalidUtf8 => OMNISOCK_ERR_INVALID_UTF8,
            ErrorCode::Closed => OMNISOCK_ERR_CLOSED,
            ErrorCode::QueueFull => OMNISOCK_ERR_QUEUE_FULL,
            ErrorCode::MessageTooBig => OMNISOCK_ERR_MESSAGE_TOO_BIG,
            ErrorCode::Connect => OMNISOCK_ERR_CONNECT,
            ErrorCode::Tls => OMNISOCK_ERR_TLS,
            ErrorCode::Timeout => OMNISOCK_ERR_TIMEOUT,
            ErrorCode::Io => OMNISOCK_ERR_IO,
            ErrorCode::Config => OMNISOCK_ERR_CONFIG,
            ErrorCode::NotFound => OMNISOCK_ERR_NOT_FOUND,
            ErrorCode::Shutdown => OMNISOCK_ERR_SHUTDOWN,
            ErrorCode::Panic => OMNISOCK_ERR_PANIC,
            ErrorCode::BufferTooSmall => OMNISOCK_ERR_BUFFER_TOO_SMALL,
            ErrorCode::Protocol => OMNISOCK_ERR_PROTOCOL,
            ErrorCode::HandshakeRejected => OMNISOCK_ERR_HANDSHAKE_REJECTED,
            ErrorCode::InvalidUrl => OMNISOCK_ERR_INVALID_URL,
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Records `e` as this thread's last error and returns its code.
pub(crate) fn fail(e: Error) -> omnisock_result {
    LAST_ERROR.with(|l| *l.borrow_mut() = e.to_string());
    e.code().into()
}

/// Copies this thread's last error message into `buf`.
pub(crate) fn last_error_into(buf: &mut [u8]) -> usize {
    LAST_ERROR.with(|l| {
        let msg = l.borrow();
        if !buf.is_empty() {
            let n = msg.len().min(buf.len() - 1);
            // Cut at a character boundary so the copy stays valid UTF-8.
            let mut n2 = n;
            while !msg.is_char_boundary(n2) {
                n2 -= 1;
            }
            buf[..n2].copy_from_slice(&msg.as_bytes()[..n2]);
            buf[n2] = 0;
        }
        msg.len()
    })
}

/// Runs an exported function body: errors set the last error, panics become
/// `OMNISOCK_ERR_PANIC` and never unwind into the host.
pub(crate) fn guard(name: &str, f: impl FnOnce() -> Result<(), Error>) -> omnisock_result {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => omnisock_result::OMNISOCK_OK,
        Ok(Err(e)) => fail(e),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            fail(Error::new(ErrorCode::Panic, format!("{name}: internal panic: {what}")))
        }
    }
}
