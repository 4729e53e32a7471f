//! WebSocket details shared by the client and the hub: configs, close codes, error mapping.

use tungstenite::error::{CapacityError, Error as WsError, ProtocolError};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame, WebSocketConfig};

use crate::error::{Error, ErrorCode, Result};

/// Close code: normal closure.
pub const CLOSE_NORMAL: u16 = 1000;
/// Close code: the endpoint is going away (hub shutdown).
pub const CLOSE_GOING_AWAY: u16 = 1001;
/// Close code: protocol error.
pub const CLOSE_PROTOCOL: u16 = 1002;
/// Close code: the close frame had no status code (never sent on the wire; a close
/// requested with it goes out with an empty payload).
pub const CLOSE_NO_STATUS: u16 = 1005;
/// Close code: no close frame was received (never sent on the wire).
pub const CLOSE_ABNORMAL: u16 = 1006;
/// Close code: invalid payload data (bad UTF-8 in a text message).
pub const CLOSE_INVALID_DATA: u16 = 1007;
/// Close code: policy violation (slow consumer).
pub const CLOSE_POLICY: u16 = 1008;
/// Close code: message too big.
pub const CLOSE_TOO_BIG: u16 = 1009;
/// Close code: internal error.
pub const CLOSE_INTERNAL: u16 = 1011;

/// Longest close reason that fits a control frame (125 - 2 bytes of code).
pub const MAX_CLOSE_REASON: usize = 123;

/// Builds a tungstenite config with our buffer sizes and limits.
pub fn config(read_buffer: usize, write_buffer: usize, max_message_size: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(read_buffer)
        .write_buffer_size(write_buffer)
        .max_write_buffer_size(write_buffer.saturating_add(max_message_size.max(1 << 20)).saturating_add(1 << 16))
        .max_message_size(Some(max_message_size))
        .max_frame_size(Some(max_message_size))
}

/// Checks that a host may send this close code and reason (RFC 6455 §7.4).
pub fn validate_close(code: u16, reason: &str) -> Result<()> {
    if !crate::frame::close_code_valid(code) {
        return Err(Error::invalid(format!(
            "close code {code} cannot be sent (use 1000-1003, 1007-1014 or 3000-4999)"
        )));
    }
    if reason.len() > MAX_CLOSE_REASON {
        return Err(Error::invalid(format!("close reason is {} bytes; at most {MAX_CLOSE_REASON} fit a close frame", reason.len())));
    }
    Ok(())
}

/// A close frame with `code` and `reason` (reason cut at a char boundary to fit).
pub fn close_frame(code: u16, reason: &str) -> CloseFrame {
    CloseFrame { code: CloseCode::from(code), reason: fit_reason(reason).to_string().into() }
}

/// `reason` cut at a char boundary to fit a close frame ([`MAX_CLOSE_REASON`] bytes).
pub fn fit_reason(reason: &str) -> &str {
    let mut end = reason.len().min(MAX_CLOSE_REASON);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

/// What a read error means: the close code to send (if any), the error kind and a message.
pub fn classify_read_error(e: &WsError) -> (Option<u16>, ErrorCode, String) {
    match e {
        WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => (
            Some(CLOSE_TOO_BIG),
            ErrorCode::MessageTooBig,
            format!("incoming message of {size} bytes exceeds max message size {max_size}"),
        ),
        WsError::Capacity(c) => (Some(CLOSE_TOO_BIG), ErrorCode::MessageTooBig, format!("incoming data too large: {c}")),
        WsError::Utf8(m) => (Some(CLOSE_INVALID_DATA), ErrorCode::InvalidUtf8, format!("text message is not valid UTF-8: {m}")),
        WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            (None, ErrorCode::Closed, "connection reset without closing handshake".into())
        }
        WsError::Protocol(p) => (Some(CLOSE_PROTOCOL), ErrorCode::Protocol, format!("protocol error from peer: {p}")),
        WsError::Io(io) => match io.get_ref().and_then(|e| e.downcast_ref::<crate::frame_check::FrameViolation>()) {
            Some(v) => (Some(CLOSE_PROTOCOL), ErrorCode::Protocol, format!("protocol error from peer: {v}")),
            None => (None, ErrorCode::Io, format!("connection lost: {io}")),
        },
        WsError::ConnectionClosed | WsError::AlreadyClosed => (None, ErrorCode::Closed, "connection closed".into()),
        other => (Some(CLOSE_PROTOCOL), ErrorCode::Protocol, format!("{other}")),
    }
}
