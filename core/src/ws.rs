//! WebSocket details shared by the client and the hub: close codes and their checks.

use crate::error::{Error, Result};

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

/// `reason` cut at a char boundary to fit a close frame ([`MAX_CLOSE_REASON`] bytes).
pub fn fit_reason(reason: &str) -> &str {
    let mut end = reason.len().min(MAX_CLOSE_REASON);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}
