//! The C ABI's numbered enums. Generated from omnisock-core's vocabulary (core/src/vocab.rs) by scripts/gen-vocab.sh. Do not edit.

use omnisock_core::{ClientState, ErrorCode, EventKind};

/// The result of every fallible omnisock function. `OMNISOCK_OK` (0) is success; numbers are
/// never reused. `omnisock_last_error` gives the message of the last failure on this thread.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum omnisock_result {
    /// Success.
    OMNISOCK_OK = 0,
    /// An argument was invalid (null pointer, bad URL, bad option value, ...).
    OMNISOCK_ERR_INVALID_ARGUMENT = 1,
    /// The handle is zero, stale, freed, or belongs to another object type.
    OMNISOCK_ERR_INVALID_HANDLE = 2,
    /// Text was not valid UTF-8.
    OMNISOCK_ERR_INVALID_UTF8 = 3,
    /// The operation needs an open connection, and it is closed (or closing).
    OMNISOCK_ERR_CLOSED = 4,
    /// The bounded send queue has no room for this message; nothing was queued.
    OMNISOCK_ERR_QUEUE_FULL = 5,
    /// The message is larger than the configured maximum.
    OMNISOCK_ERR_MESSAGE_TOO_BIG = 6,
    /// Connecting or the opening handshake failed.
    OMNISOCK_ERR_CONNECT = 7,
    /// TLS configuration or certificate verification failed.
    OMNISOCK_ERR_TLS = 8,
    /// An operation did not finish in time.
    OMNISOCK_ERR_TIMEOUT = 9,
    /// Binding the listen address or another I/O step failed.
    OMNISOCK_ERR_IO = 10,
    /// Configuration text (TOML, .mdf) could not be parsed.
    OMNISOCK_ERR_CONFIG = 11,
    /// The connection id, group or route is not known.
    OMNISOCK_ERR_NOT_FOUND = 12,
    /// The runtime or hub has been shut down.
    OMNISOCK_ERR_SHUTDOWN = 13,
    /// A panic was caught at the FFI boundary (a bug in omnisock; the process keeps running).
    OMNISOCK_ERR_PANIC = 14,
    /// An output buffer was too small; the required size was reported.
    OMNISOCK_ERR_BUFFER_TOO_SMALL = 15,
    /// The WebSocket peer violated the protocol.
    OMNISOCK_ERR_PROTOCOL = 16,
    /// The server answered the WebSocket handshake with an HTTP status other than 101
    /// (the refusal, with status, headers and body, is reported as well).
    OMNISOCK_ERR_HANDSHAKE_REJECTED = 17,
    /// A URL is malformed or not ws:// / wss://.
    OMNISOCK_ERR_INVALID_URL = 18,
}

impl From<ErrorCode> for omnisock_result {
    fn from(v: ErrorCode) -> Self {
        match v {
            ErrorCode::InvalidArgument => omnisock_result::OMNISOCK_ERR_INVALID_ARGUMENT,
            ErrorCode::InvalidHandle => omnisock_result::OMNISOCK_ERR_INVALID_HANDLE,
            ErrorCode::InvalidUtf8 => omnisock_result::OMNISOCK_ERR_INVALID_UTF8,
            ErrorCode::Closed => omnisock_result::OMNISOCK_ERR_CLOSED,
            ErrorCode::QueueFull => omnisock_result::OMNISOCK_ERR_QUEUE_FULL,
            ErrorCode::MessageTooBig => omnisock_result::OMNISOCK_ERR_MESSAGE_TOO_BIG,
            ErrorCode::Connect => omnisock_result::OMNISOCK_ERR_CONNECT,
            ErrorCode::Tls => omnisock_result::OMNISOCK_ERR_TLS,
            ErrorCode::Timeout => omnisock_result::OMNISOCK_ERR_TIMEOUT,
            ErrorCode::Io => omnisock_result::OMNISOCK_ERR_IO,
            ErrorCode::Config => omnisock_result::OMNISOCK_ERR_CONFIG,
            ErrorCode::NotFound => omnisock_result::OMNISOCK_ERR_NOT_FOUND,
            ErrorCode::Shutdown => omnisock_result::OMNISOCK_ERR_SHUTDOWN,
            ErrorCode::Panic => omnisock_result::OMNISOCK_ERR_PANIC,
            ErrorCode::BufferTooSmall => omnisock_result::OMNISOCK_ERR_BUFFER_TOO_SMALL,
            ErrorCode::Protocol => omnisock_result::OMNISOCK_ERR_PROTOCOL,
            ErrorCode::HandshakeRejected => omnisock_result::OMNISOCK_ERR_HANDSHAKE_REJECTED,
            ErrorCode::InvalidUrl => omnisock_result::OMNISOCK_ERR_INVALID_URL,
        }
    }
}

/// The NUL-terminated name of a result number (`OMNISOCK_ERR_UNKNOWN` for unknown numbers).
pub(crate) fn result_name(n: i32) -> &'static str {
    match n {
        0 => "OMNISOCK_OK\0",
        1 => "OMNISOCK_ERR_INVALID_ARGUMENT\0",
        2 => "OMNISOCK_ERR_INVALID_HANDLE\0",
        3 => "OMNISOCK_ERR_INVALID_UTF8\0",
        4 => "OMNISOCK_ERR_CLOSED\0",
        5 => "OMNISOCK_ERR_QUEUE_FULL\0",
        6 => "OMNISOCK_ERR_MESSAGE_TOO_BIG\0",
        7 => "OMNISOCK_ERR_CONNECT\0",
        8 => "OMNISOCK_ERR_TLS\0",
        9 => "OMNISOCK_ERR_TIMEOUT\0",
        10 => "OMNISOCK_ERR_IO\0",
        11 => "OMNISOCK_ERR_CONFIG\0",
        12 => "OMNISOCK_ERR_NOT_FOUND\0",
        13 => "OMNISOCK_ERR_SHUTDOWN\0",
        14 => "OMNISOCK_ERR_PANIC\0",
        15 => "OMNISOCK_ERR_BUFFER_TOO_SMALL\0",
        16 => "OMNISOCK_ERR_PROTOCOL\0",
        17 => "OMNISOCK_ERR_HANDSHAKE_REJECTED\0",
        18 => "OMNISOCK_ERR_INVALID_URL\0",
        _ => "OMNISOCK_ERR_UNKNOWN\0",
    }
}

/// What an event is (see `omnisock_event` for the fields each kind fills).
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum omnisock_event_kind {
    /// The connection opened (a client also after each reconnect); carries the request or
    /// response line details and the negotiated subprotocol.
    OMNISOCK_EVENT_OPEN = 1,
    /// A text message (UTF-8, validated once in the core).
    OMNISOCK_EVENT_TEXT = 2,
    /// A binary message.
    OMNISOCK_EVENT_BINARY = 3,
    /// The connection closed: close code, reason, and whether the closing handshake
    /// completed. For a client this is the last event unless reconnecting follows.
    OMNISOCK_EVENT_CLOSE = 4,
    /// Something failed: an error code and a message.
    OMNISOCK_EVENT_ERROR = 5,
    /// A client lost its connection and retries: attempt (1-based), delay, and why the
    /// previous connection ended.
    OMNISOCK_EVENT_RECONNECTING = 6,
    /// A pong with a non-empty payload (the answer to a ping the host sent).
    OMNISOCK_EVENT_PONG = 7,
    /// Hub, routes with host_accepts: a handshake waits for accept or reject (within 10 s,
    /// else HTTP 503); carries what an open carries.
    OMNISOCK_EVENT_HANDSHAKE = 8,
    /// A client's handshake was refused: HTTP status, response headers and body (at most
    /// 64 KiB). An error with HANDSHAKE_REJECTED follows.
    OMNISOCK_EVENT_REJECTED = 9,
}

impl From<EventKind> for omnisock_event_kind {
    fn from(v: EventKind) -> Self {
        match v {
            EventKind::Open => omnisock_event_kind::OMNISOCK_EVENT_OPEN,
            EventKind::Text => omnisock_event_kind::OMNISOCK_EVENT_TEXT,
            EventKind::Binary => omnisock_event_kind::OMNISOCK_EVENT_BINARY,
            EventKind::Close => omnisock_event_kind::OMNISOCK_EVENT_CLOSE,
            EventKind::Error => omnisock_event_kind::OMNISOCK_EVENT_ERROR,
            EventKind::Reconnecting => omnisock_event_kind::OMNISOCK_EVENT_RECONNECTING,
            EventKind::Pong => omnisock_event_kind::OMNISOCK_EVENT_PONG,
            EventKind::Handshake => omnisock_event_kind::OMNISOCK_EVENT_HANDSHAKE,
            EventKind::Rejected => omnisock_event_kind::OMNISOCK_EVENT_REJECTED,
        }
    }
}

/// `flags` bit of a CLOSE event: the closing handshake completed.
pub const OMNISOCK_EVENT_FLAG_CLEAN: u32 = 1;

/// The state of a client (its WebSocket readyState), written by `omnisock_client_state`.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum omnisock_ready_state {
    /// Connecting, or waiting to reconnect.
    OMNISOCK_CLIENT_CONNECTING = 0,
    /// Open: messages flow.
    OMNISOCK_CLIENT_OPEN = 1,
    /// `close` was called; the closing handshake is under way.
    OMNISOCK_CLIENT_CLOSING = 2,
    /// Closed for good.
    OMNISOCK_CLIENT_CLOSED = 3,
}

impl From<ClientState> for omnisock_ready_state {
    fn from(v: ClientState) -> Self {
        match v {
            ClientState::Connecting => omnisock_ready_state::OMNISOCK_CLIENT_CONNECTING,
            ClientState::Open => omnisock_ready_state::OMNISOCK_CLIENT_OPEN,
            ClientState::Closing => omnisock_ready_state::OMNISOCK_CLIENT_CLOSING,
            ClientState::Closed => omnisock_ready_state::OMNISOCK_CLIENT_CLOSED,
        }
    }
}
