//! Errors shared by every binding.
//!
//! Each [`Error`] maps to a stable [`ErrorCode`]; the C ABI returns these numbers, the Java and
//! Python layers map them to typed exceptions. Numbers are never reused.

use std::fmt;

crate::vocab::numbered! {
    /// Stable, numbered error kinds. `0` is success and is not a variant here.
    pub enum ErrorCode : i32 {
        /// An argument was invalid (null pointer, bad URL, bad option value, ...).
        InvalidArgument = 1 => "INVALID_ARGUMENT",
        /// The handle is zero, stale, freed, or belongs to another object type.
        InvalidHandle = 2 => "INVALID_HANDLE",
        /// Text was not valid UTF-8.
        InvalidUtf8 = 3 => "INVALID_UTF8",
        /// The operation needs an open connection, and it is closed (or closing).
        Closed = 4 => "CLOSED",
        /// The bounded send queue has no room for this message; nothing was queued.
        QueueFull = 5 => "QUEUE_FULL",
        /// The message is larger than the configured maximum.
        MessageTooBig = 6 => "MESSAGE_TOO_BIG",
        /// Connecting or the opening handshake failed.
        Connect = 7 => "CONNECT",
        /// TLS configuration or certificate verification failed.
        Tls = 8 => "TLS",
        /// An operation did not finish in time.
        Timeout = 9 => "TIMEOUT",
        /// Binding the listen address or another I/O step failed.
        Io = 10 => "IO",
        /// Configuration text (TOML, .mdf) could not be parsed.
        Config = 11 => "CONFIG",
        /// The connection id, group or route is not known.
        NotFound = 12 => "NOT_FOUND",
        /// The runtime or hub has been shut down.
        Shutdown = 13 => "SHUTDOWN",
        /// A panic was caught at the FFI boundary (a bug in omnisock; the process keeps running).
        Panic = 14 => "PANIC",
        /// An output buffer was too small; the required size was reported.
        BufferTooSmall = 15 => "BUFFER_TOO_SMALL",
        /// The WebSocket peer violated the protocol.
        Protocol = 16 => "PROTOCOL",
        /// The server answered the WebSocket handshake with an HTTP status other than 101
        /// (the refusal, with status, headers and body, is reported as well).
        HandshakeRejected = 17 => "HANDSHAKE_REJECTED",
        /// A URL is malformed or not ws:// / wss://.
        InvalidUrl = 18 => "INVALID_URL",
    }
}

impl ErrorCode {
    /// Short lowercase name of the code, as used in logs and error messages.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "invalid argument",
            ErrorCode::InvalidHandle => "invalid handle",
            ErrorCode::InvalidUtf8 => "invalid UTF-8",
            ErrorCode::Closed => "connection closed",
            ErrorCode::QueueFull => "send queue full",
            ErrorCode::MessageTooBig => "message too big",
            ErrorCode::Connect => "connect failed",
            ErrorCode::Tls => "TLS error",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Io => "I/O error",
            ErrorCode::Config => "configuration error",
            ErrorCode::NotFound => "not found",
            ErrorCode::Shutdown => "shut down",
            ErrorCode::Panic => "internal panic",
            ErrorCode::BufferTooSmall => "buffer too small",
            ErrorCode::Protocol => "protocol error",
            ErrorCode::HandshakeRejected => "handshake rejected",
            ErrorCode::InvalidUrl => "invalid URL",
        }
    }
}

/// What a server answered when it refused a WebSocket handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status (not 101).
    pub status: u16,
    /// Response headers in order.
    pub headers: Vec<(String, String)>,
    /// The response body (at most 64 KiB).
    pub body: Vec<u8>,
}

/// An error with a stable code and a human-readable message that says what failed and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    message: String,
    refusal: Option<Box<Refusal>>,
}

impl Error {
    /// Creates an error from a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error { code, message: message.into(), refusal: None }
    }
    /// A refused handshake ([`ErrorCode::HandshakeRejected`]) with the server's answer.
    pub fn refused(message: impl Into<String>, refusal: Refusal) -> Self {
        Error { code: ErrorCode::HandshakeRejected, message: message.into(), refusal: Some(Box::new(refusal)) }
    }
    /// The server's answer, for [`ErrorCode::HandshakeRejected`].
    pub fn refusal(&self) -> Option<&Refusal> {
        self.refusal.as_deref()
    }
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        self.code
    }
    /// The message, without the code name.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// Shorthand for [`ErrorCode::InvalidArgument`].
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::InvalidArgument, message)
    }
    /// Shorthand for [`ErrorCode::Config`].
    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Config, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.name(), self.message)
    }
}

impl std::error::Error for Error {}

/// Result alias used across the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
