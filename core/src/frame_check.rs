//! A watch over the incoming frame headers of a WebSocket byte stream, for the rules the frame
//! codec underneath does not enforce.
//!
//! RFC 6455 §5.5: a control frame (close, ping, pong) carries at most 125 bytes, so its length
//! must use the 7-bit form; a control frame that announces its length in the 16- or 64-bit
//! form is a protocol error and fails the connection (close 1002), whatever the length says.
//!
//! [`FrameCheck`] follows the frame boundaries byte by byte as the bytes are read (it keeps
//! no payload, only a header of at most 14 bytes), so it costs nothing per payload byte.

use std::fmt;

/// A rule of RFC 6455 broken by the peer; carried inside the `io::Error` of the failing read
/// and mapped to close code 1002 by [`crate::ws::classify_read_error`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameViolation(pub &'static str);

impl fmt::Display for FrameViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for FrameViolation {}

/// Where the scanner is in the stream.
#[derive(Debug, Clone)]
enum State {
    /// Collecting a frame header (`have` of its bytes so far).
    Header { buf: [u8; 14], have: usize },
    /// Skipping `left` payload bytes.
    Payload { left: u64 },
    /// A violation was found; every later read fails the same way.
    Failed(&'static str),
}

/// Follows frame headers across reads; see the module documentation.
#[derive(Debug, Clone)]
pub struct FrameCheck {
    state: State,
}

impl Default for FrameCheck {
    fn default() -> Self {
        FrameCheck { state: State::Header { buf: [0; 14], have: 0 } }
    }
}

/// The full header length implied by its first two bytes.
fn header_len(b1: u8) -> usize {
    let ext = match b1 & 0x7f {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    2 + ext + if b1 & 0x80 != 0 { 4 } else { 0 }
}

impl FrameCheck {
    /// Feeds bytes just read from the peer, in order.
    pub fn feed(&mut self, data: &[u8]) -> Result<(), FrameViolation> {
        self.feed_at(data).map_err(|(_, v)| v)
    }

    /// The violation found so far, if any.
    pub fn failed(&self) -> Result<(), FrameViolation> {
        match self.state {
            State::Failed(why) => Err(FrameViolation(why)),
            _ => Ok(()),
        }
    }

    /// Like [`feed`](Self::feed); a violation also tells where the offending frame starts in
    /// `data` (0 when it started in earlier bytes), so the valid frames before it can be kept.
    pub fn feed_at(&mut self, data: &[u8]) -> Result<(), (usize, FrameViolation)> {
        let mut pos = 0usize;
        let mut frame_start = 0usize;
        while pos < data.len() {
            match &mut self.state {
                State::Failed(why) => return Err((0, FrameViolation(why))),
                State::Payload { left } => {
                    let n = (*left).min((data.len() - pos) as u64);
                    *left -= n;
                    pos += n as usize;
                    if *left == 0 {
                        self.state = State::default_header();
                    }
                }
                State::Header { buf, have } => {
                    if *have == 0 {
                        frame_start = pos;
                    }
                    buf[*have] = data[pos];
                    *have += 1;
                    pos += 1;
                    if *have < 2 || *have < header_len(buf[1]) {
                        continue;
                    }
                    let (b0, b1) = (buf[0], buf[1]);
                    if b0 & 0x08 != 0 && b1 & 0x7f > 125 {
                        let why = "control frame with its length in the extended form (RFC 6455 §5.5: at most 125 bytes, 7-bit length)";
                        self.state = State::Failed(why);
                        return Err((frame_start, FrameViolation(why)));
                    }
                    let len = match b1 & 0x7f {
                        126 => u16::from_be_bytes([buf[2], buf[3]]) as u64,
                        127 => u64::from_be_bytes(buf[2..10].try_into().expect("8 bytes")),
                        n => n as u64,
                    };
                    self.state = if len == 0 { State::default_header() } else { State::Payload { left: len } };
                }
            }
        }
        Ok(())
    }
}

impl State {
    fn default_header() -> Self {
        State::Header { buf: [0; 14], have: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(opcode: u8, len_form: u8, len: usize, masked: bool) -> Vec<u8> {
        let mut f = vec![0x80 | opcode];
        let m = if masked { 0x80 } else { 0 };
        match len_form {
            7 => f.push(m | len as u8),
            16 => {
                f.push(m | 126);
                f.extend_from_slice(&(len as u16).to_be_bytes());
            }
            _ => {
                f.push(m | 127);
                f.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        if masked {
            f.extend_from_slice(&[1, 2, 3, 4]);
        }
        f.extend(std::iter::repeat_n(0x55, len));
        f
    }

    #[test]
    fn data_frames_of_every_length_form_pass_byte_by_byte_and_in_one_go() {
        let mut all = Vec::new();
        for (op, form, len, masked) in [(1, 7, 5, true), (2, 16, 300, true), (2, 64, 70_000, false), (9, 7, 125, true), (0xA, 7, 0, false), (1, 7, 0, true)] {
            all.extend(frame(op, form, len, masked));
        }
        assert!(FrameCheck::default().feed(&all).is_ok());
        let mut c = FrameCheck::default();
        for b in &all {
            assert!(c.feed(std::slice::from_ref(b)).is_ok());
        }
    }

    #[test]
    fn control_frames_with_an_extended_length_fail_and_stay_failed() {
        for (op, form) in [(9, 16), (0xA, 16), (8, 16), (9, 64)] {
            let mut c = FrameCheck::default();
            let mut bytes = frame(1, 7, 3, true);
            bytes.extend(frame(op, form, 5, true));
            assert!(c.feed(&bytes).is_err(), "opcode {op:#x} with a {form}-bit length");
            assert!(c.feed(b"x").is_err());
            assert!(c.failed().is_err());
            // The valid frame before the bad one is kept.
            let mut c = FrameCheck::default();
            assert_eq!(c.feed_at(&bytes).unwrap_err().0, frame(1, 7, 3, true).len());
        }
    }
}
