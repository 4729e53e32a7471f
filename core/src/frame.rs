//! The WebSocket frame codec (RFC 6455 §5): header parsing with every check the RFC makes of
//! a receiver, header encoding, masking and close-frame payloads.
//!
//! Pure functions over byte slices, so they are fuzzed directly. The hub's message loop
//! ([`crate::hub`]) runs on them: it reads payloads into buffers sized from a header only after
//! checking the declared length against its limit, and writes a payload shared by many
//! recipients straight from its `Bytes` behind a header of at most [`MAX_HEADER`] bytes.

/// Continuation frame.
pub const OP_CONTINUATION: u8 = 0x0;
/// Text frame.
pub const OP_TEXT: u8 = 0x1;
/// Binary frame.
pub const OP_BINARY: u8 = 0x2;
/// Close frame.
pub const OP_CLOSE: u8 = 0x8;
/// Ping frame.
pub const OP_PING: u8 = 0x9;
/// Pong frame.
pub const OP_PONG: u8 = 0xA;

/// Largest frame header: 2 bytes, 8 bytes of extended length, 4 bytes of mask.
pub const MAX_HEADER: usize = 14;
/// Largest payload of a control frame.
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// A parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Final fragment of a message.
    pub fin: bool,
    /// The three reserved bits (RSV1 is bit 2), non-zero only with a negotiated extension.
    pub rsv: u8,
    /// The opcode (low 4 bits).
    pub opcode: u8,
    /// Masking key, present on every frame a client sends.
    pub mask: Option<[u8; 4]>,
    /// Declared payload length.
    pub len: u64,
}

impl Header {
    /// Whether this is a control frame (close, ping, pong).
    pub fn is_control(&self) -> bool {
        self.opcode & 0x8 != 0
    }
}

/// Why a frame header was refused; every variant is a protocol error (close 1002).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// RSV bits set without an extension that defines them.
    ReservedBits(u8),
    /// Opcode 3-7 or 0xB-0xF.
    ReservedOpcode(u8),
    /// A control frame without FIN.
    FragmentedControl,
    /// A control frame longer than 125 bytes, or one whose length used the 16/64-bit form.
    ControlLength,
    /// A 64-bit length with the most significant bit set.
    LengthOverflow,
    /// A frame from a client without a mask (the hub requires one).
    Unmasked,
    /// A frame from a server with a mask (a client refuses it).
    Masked,
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::ReservedBits(b) => write!(f, "reserved bits {b:#05b} set without a negotiated extension"),
            FrameError::ReservedOpcode(o) => write!(f, "reserved opcode {o:#x}"),
            FrameError::FragmentedControl => f.write_str("fragmented control frame"),
            FrameError::ControlLength => f.write_str("control frame longer than 125 bytes or with an extended length"),
            FrameError::LengthOverflow => f.write_str("64-bit frame length with the most significant bit set"),
            FrameError::Unmasked => f.write_str("unmasked frame from a client"),
            FrameError::Masked => f.write_str("masked frame from a server"),
        }
    }
}

impl std::error::Error for FrameError {}

/// Parses the header at the front of `buf`. `Ok(None)`: more bytes are needed. On success,
/// returns the header and its length in bytes. `masked` says what the receiver requires:
/// `true` for a server (frames must be masked), `false` for a client (frames must not be).
/// `allowed_rsv` are the RSV bits an extension negotiated (0 without one).
pub fn parse_header(buf: &[u8], masked: bool, allowed_rsv: u8) -> Result<Option<(Header, usize)>, FrameError> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let (b0, b1) = (buf[0], buf[1]);
    let fin = b0 & 0x80 != 0;
    let rsv = (b0 >> 4) & 0x7;
    let opcode = b0 & 0x0F;
    if rsv & !allowed_rsv != 0 {
        return Err(FrameError::ReservedBits(rsv));
    }
    if !matches!(opcode, OP_CONTINUATION | OP_TEXT | OP_BINARY | OP_CLOSE | OP_PING | OP_PONG) {
        return Err(FrameError::ReservedOpcode(opcode));
    }
    let control = opcode & 0x8 != 0;
    if control && !fin {
        return Err(FrameError::FragmentedControl);
    }
    let has_mask = b1 & 0x80 != 0;
    if has_mask != masked {
        return Err(if masked { FrameError::Unmasked } else { FrameError::Masked });
    }
    let short = b1 & 0x7F;
    if control && short > MAX_CONTROL_PAYLOAD as u8 {
        return Err(FrameError::ControlLength);
    }
    let (len, mut at) = match short {
        126 => {
            if buf.len() < 4 {
                return Ok(None);
            }
            (u16::from_be_bytes([buf[2], buf[3]]) as u64, 4)
        }
        127 => {
            if buf.len() < 10 {
                return Ok(None);
            }
            let mut b = [0u8; 8];
            b.copy_from_slice(&buf[2..10]);
            let len = u64::from_be_bytes(b);
            if len >> 63 != 0 {
                return Err(FrameError::LengthOverflow);
            }
            (len, 10)
        }
        n => (n as u64, 2),
    };
    let mask = if has_mask {
        if buf.len() < at + 4 {
            return Ok(None);
        }
        let m = [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]];
        at += 4;
        Some(m)
    } else {
        None
    };
    Ok(Some((Header { fin, rsv, opcode, mask, len }, at)))
}

/// Writes a header into `out` and returns its length. `mask` is set by clients only.
pub fn encode_header(out: &mut [u8; MAX_HEADER], fin: bool, rsv: u8, opcode: u8, len: usize, mask: Option<[u8; 4]>) -> usize {
    out[0] = (u8::from(fin) << 7) | ((rsv & 0x7) << 4) | (opcode & 0x0F);
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    let mut at = if len < 126 {
        out[1] = mask_bit | len as u8;
        2
    } else if len <= u16::MAX as usize {
        out[1] = mask_bit | 126;
        out[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        4
    } else {
        out[1] = mask_bit | 127;
        out[2..10].copy_from_slice(&(len as u64).to_be_bytes());
        10
    };
    if let Some(m) = mask {
        out[at..at + 4].copy_from_slice(&m);
        at += 4;
    }
    at
}

/// XORs `buf` with `mask`, where `buf` starts `offset` bytes into the frame's payload (a
/// payload can arrive in several reads).
pub fn apply_mask(buf: &mut [u8], mask: [u8; 4], offset: usize) {
    let rot = offset % 4;
    let m = [mask[rot % 4], mask[(rot + 1) % 4], mask[(rot + 2) % 4], mask[(rot + 3) % 4]];
    let word = u64::from_ne_bytes([m[0], m[1], m[2], m[3], m[0], m[1], m[2], m[3]]);
    let mut chunks = buf.chunks_exact_mut(8);
    for c in &mut chunks {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        c.copy_from_slice(&(u64::from_ne_bytes(b) ^ word).to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= m[i % 4];
    }
}

/// Whether an endpoint may send this close code, ours or a peer's (RFC 6455 §7.4; 1012-1014
/// from the IANA registry).
pub fn close_code_valid(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Why a close frame's payload was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseError {
    /// One byte, or a code no endpoint may send (close 1002).
    Protocol(String),
    /// The reason is not UTF-8 (close 1007).
    Utf8,
}

/// Parses a close payload: `None` for an empty one (no status code, reported as 1005).
pub fn parse_close(payload: &[u8]) -> Result<Option<(u16, String)>, CloseError> {
    match payload.len() {
        0 => Ok(None),
        1 => Err(CloseError::Protocol("close frame with a one-byte payload".into())),
        _ => {
            let code = u16::from_be_bytes([payload[0], payload[1]]);
            if !close_code_valid(code) {
                return Err(CloseError::Protocol(format!("close code {code} may not be sent by an endpoint")));
            }
            match std::str::from_utf8(&payload[2..]) {
                Ok(reason) => Ok(Some((code, reason.to_string()))),
                Err(_) => Err(CloseError::Utf8),
            }
        }
    }
}

/// A close payload: the code and the reason cut at a char boundary to fit a control frame.
pub fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let reason = crate::ws::fit_reason(reason);
    let mut v = Vec::with_capacity(2 + reason.len());
    v.extend_from_slice(&code.to_be_bytes());
    v.extend_from_slice(reason.as_bytes());
    v
}

/// Incremental UTF-8 check for a text message that arrives in pieces: fails as soon as the
/// bytes seen so far cannot start valid UTF-8, and at the end if a sequence is left open.
#[derive(Debug, Default, Clone, Copy)]
pub struct Utf8Check {
    /// Bytes of the message known to be complete, valid UTF-8.
    valid: usize,
}

impl Utf8Check {
    /// Checks the bytes of `msg` after the valid prefix; false when they are invalid.
    pub fn feed(&mut self, msg: &[u8]) -> bool {
        match std::str::from_utf8(&msg[self.valid..]) {
            Ok(_) => {
                self.valid = msg.len();
                true
            }
            Err(e) => {
                self.valid += e.valid_up_to();
                // `error_len() == None`: the input ends inside a sequence that may complete.
                e.error_len().is_none()
            }
        }
    }

    /// True once the whole message (all of `msg`) is valid.
    pub fn complete(&self, msg: &[u8]) -> bool {
        self.valid == msg.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked_frame(fin: bool, opcode: u8, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
        let mut h = [0u8; MAX_HEADER];
        let n = encode_header(&mut h, fin, 0, opcode, payload.len(), Some(mask));
        let mut v = h[..n].to_vec();
        let mut p = payload.to_vec();
        apply_mask(&mut p, mask, 0);
        v.extend_from_slice(&p);
        v
    }

    #[test]
    fn headers_round_trip_for_every_length_form() {
        for len in [0usize, 1, 125, 126, 65535, 65536, 10 << 20] {
            let mut h = [0u8; MAX_HEADER];
            let n = encode_header(&mut h, true, 0, OP_BINARY, len, Some([1, 2, 3, 4]));
            let (hd, at) = parse_header(&h[..n], true, 0).unwrap().unwrap();
            assert_eq!((hd.len, at, hd.opcode, hd.fin, hd.mask), (len as u64, n, OP_BINARY, true, Some([1, 2, 3, 4])));
            // Every prefix is "need more", never an error or a wrong header.
            for cut in 0..n {
                assert_eq!(parse_header(&h[..cut], true, 0), Ok(None), "len {len} cut {cut}");
            }
        }
    }

    #[test]
    fn receiver_checks_refuse_what_the_rfc_forbids() {
        let bad = |b: &[u8], masked| parse_header(b, masked, 0).unwrap_err();
        assert_eq!(bad(&[0x81 | 0x40, 0x80], true), FrameError::ReservedBits(4));
        assert_eq!(bad(&[0x83, 0x80], true), FrameError::ReservedOpcode(3));
        assert_eq!(bad(&[0x8B, 0x80], true), FrameError::ReservedOpcode(0xB));
        assert_eq!(bad(&[0x09, 0x80], true), FrameError::FragmentedControl);
        assert_eq!(bad(&[0x89, 0x80 | 126, 0, 5], true), FrameError::ControlLength, "16-bit form on a control frame");
        assert_eq!(bad(&[0x89, 0x80 | 126], true), FrameError::ControlLength);
        assert_eq!(bad(&[0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0], false), FrameError::LengthOverflow);
        assert_eq!(bad(&[0x81, 0x05], true), FrameError::Unmasked);
        assert_eq!(bad(&[0x81, 0x85], false), FrameError::Masked);
        // RSV1 passes once an extension allows it.
        assert!(parse_header(&[0xC1, 0x80, 0, 0, 0, 0], true, 4).unwrap().is_some());
    }

    #[test]
    fn masking_continues_across_split_reads() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let frame = masked_frame(true, OP_BINARY, &data, [9, 8, 7, 6]);
        let mut payload = frame[8..].to_vec(); // 2 + 2 bytes of length + 4 of mask
        let (a, b) = payload.split_at_mut(333);
        apply_mask(a, [9, 8, 7, 6], 0);
        apply_mask(b, [9, 8, 7, 6], 333);
        assert_eq!(payload, data);
    }

    #[test]
    fn close_payloads_are_validated() {
        assert_eq!(parse_close(&[]), Ok(None));
        assert!(matches!(parse_close(&[3]), Err(CloseError::Protocol(_))));
        assert_eq!(parse_close(&close_payload(1000, "bye")), Ok(Some((1000, "bye".into()))));
        for bad in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
            assert!(matches!(parse_close(&bad.to_be_bytes()), Err(CloseError::Protocol(_))), "{bad}");
        }
        assert_eq!(parse_close(&[0x03, 0xE8, 0xFF]), Err(CloseError::Utf8));
        // A long reason is cut at a char boundary to fit.
        let p = close_payload(1000, &"é".repeat(100));
        assert!(p.len() <= MAX_CONTROL_PAYLOAD);
        assert!(parse_close(&p).is_ok());
    }

    #[test]
    fn utf8_check_fails_fast_and_waits_for_split_sequences() {
        let text = "κόσμε".as_bytes();
        let mut c = Utf8Check::default();
        assert!(c.feed(&text[..3]), "a sequence cut in two is not an error yet");
        assert!(!c.complete(&text[..3]));
        assert!(c.feed(text));
        assert!(c.complete(text));
        let mut c = Utf8Check::default();
        assert!(!c.feed(&[b'a', 0xFF]), "0xFF can never start valid UTF-8");
        let mut c = Utf8Check::default();
        assert!(!c.feed(&[0xED, 0xA0, 0x80]), "a surrogate is invalid at once");
    }
}
