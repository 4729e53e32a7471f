//! The per-message codec (RFC 7692 §7.2): raw DEFLATE with a sync flush per message, the
//! `00 00 ff ff` tail stripped on the way out and appended on the way in.

use zlib_rs::{DeflateConfig, DeflateFlush, InflateFlush, Status};

/// The tail a sync flush ends with; removed from sent messages, appended to received ones.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Why a message could not be compressed or inflated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecError {
    /// The inflated message would exceed the limit (close 1009).
    TooBig {
        /// The limit in bytes.
        limit: usize,
    },
    /// The compressed data is not valid DEFLATE, or zlib failed (close 1002, as `websockets`).
    Corrupt(String),
}

impl CodecError {
    /// The close code to send for this error.
    pub fn close_code(&self) -> u16 {
        match self {
            CodecError::TooBig { .. } => crate::ws::CLOSE_TOO_BIG,
            CodecError::Corrupt(_) => crate::ws::CLOSE_PROTOCOL,
        }
    }
}

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodecError::TooBig { limit } => write!(f, "compressed message inflates past max message size {limit}"),
            CodecError::Corrupt(m) => write!(f, "invalid compressed message: {m}"),
        }
    }
}

impl std::error::Error for CodecError {}

/// Compresses the messages one side sends. The zlib state is created on first use.
pub struct Deflater {
    state: Option<zlib_rs::Deflate>,
    window_bits: u8,
    level: u8,
    mem_level: u8,
    no_context_takeover: bool,
}

impl std::fmt::Debug for Deflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflater")
            .field("window_bits", &self.window_bits)
            .field("level", &self.level)
            .field("mem_level", &self.mem_level)
            .field("no_context_takeover", &self.no_context_takeover)
            .field("allocated", &self.state.is_some())
            .finish()
    }
}

impl Deflater {
    /// A compressor with `window_bits` 9-15, zlib `level` 0-9 and `mem_level` 1-9 (values
    /// outside are clamped). `no_context_takeover`: every message is compressed on its own.
    pub fn new(window_bits: u8, level: u8, mem_level: u8, no_context_takeover: bool) -> Self {
        Deflater {
            state: None,
            window_bits: window_bits.clamp(super::MIN_COMPRESS_WINDOW, 15),
            level: level.min(9),
            mem_level: mem_level.clamp(1, 9),
            no_context_takeover,
        }
    }

    /// Whether each message is compressed independently of the previous ones.
    pub fn no_context_takeover(&self) -> bool {
        self.no_context_takeover
    }

    /// Whether zlib state is allocated now.
    pub fn is_allocated(&self) -> bool {
        self.state.is_some()
    }

    /// Nothing to send for a while: frees the zlib state when no context is kept between
    /// messages (with context takeover the window must survive).
    pub fn idle(&mut self) {
        if self.no_context_takeover {
            self.state = None;
        }
    }

    /// Compresses one whole message: the payload to send with RSV1 set.
    pub fn compress(&mut self, data: &[u8]) -> Result<Vec<u8>, CodecError> {
        let config = DeflateConfig {
            level: i32::from(self.level),
            window_bits: -i32::from(self.window_bits),
            mem_level: i32::from(self.mem_level),
            ..DeflateConfig::default()
        };
        let z = self.state.get_or_insert_with(|| zlib_rs::Deflate::new_with_config(config));
        let mut out = vec![0u8; data.len() / 2 + 64];
        let (mut consumed, mut written) = (0usize, 0usize);
        let result = loop {
            if written == out.len() {
                out.resize(out.len() * 2, 0);
            }
            let (in0, out0) = (z.total_in(), z.total_out());
            let r = z.compress(&data[consumed..], &mut out[written..], DeflateFlush::SyncFlush);
            consumed += (z.total_in() - in0) as usize;
            written += (z.total_out() - out0) as usize;
            match r {
                // Room left after consuming everything: the flush is complete.
                Ok(_) if consumed == data.len() && written < out.len() => break Ok(()),
                Ok(_) => {}
                Err(e) => break Err(CodecError::Corrupt(format!("deflate failed: {}", e.as_str()))),
            }
        };
        if let Err(e) = result {
            self.state = None;
            return Err(e);
        }
        if self.no_context_takeover {
            z.reset();
        }
        out.truncate(written);
        if out.ends_with(&TAIL) {
            out.truncate(written - TAIL.len());
        } else {
            self.state = None;
            return Err(CodecError::Corrupt("sync flush did not end with 00 00 ff ff".into()));
        }
        if out.capacity() - out.len() > out.len() / 4 + 64 {
            out.shrink_to_fit();
        }
        Ok(out)
    }
}

/// Inflates the messages one side receives, each bounded by a limit. The zlib state is
/// created on first use.
pub struct Inflater {
    state: Option<zlib_rs::Inflate>,
    window_bits: u8,
    no_context_takeover: bool,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater")
            .field("window_bits", &self.window_bits)
            .field("no_context_takeover", &self.no_context_takeover)
            .field("allocated", &self.state.is_some())
            .finish()
    }
}

/// Output grows in steps from this size (doubling, capped by the limit).
const FIRST_OUTPUT: usize = 1024;

impl Inflater {
    /// A decompressor for a peer compressing with at most `window_bits` (clamped to 9-15).
    /// `no_context_takeover`: the peer compresses every message on its own.
    pub fn new(window_bits: u8, no_context_takeover: bool) -> Self {
        Inflater { state: None, window_bits: window_bits.clamp(super::MIN_COMPRESS_WINDOW, 15), no_context_takeover }
    }

    /// Whether zlib state is allocated now.
    pub fn is_allocated(&self) -> bool {
        self.state.is_some()
    }

    /// Nothing to receive for a while: frees the zlib state when the peer keeps no context
    /// between messages.
    pub fn idle(&mut self) {
        if self.no_context_takeover {
            self.state = None;
        }
    }

    /// Inflates one whole message (the payload of its frames, RSV1 set on the first). Fails
    /// with [`CodecError::TooBig`] as soon as the output would exceed `limit` bytes; never
    /// holds more than `limit + 1` bytes of output.
    pub fn decompress(&mut self, data: &[u8], limit: usize) -> Result<Vec<u8>, CodecError> {
        let r = self.run(data, limit);
        if r.is_err() {
            // The stream is unusable after an error: a new message gets a fresh state.
            self.state = None;
        }
        r
    }

    fn run(&mut self, data: &[u8], limit: usize) -> Result<Vec<u8>, CodecError> {
        let window_bits = self.window_bits;
        let z = self.state.get_or_insert_with(|| zlib_rs::Inflate::new(false, window_bits));
        let cap = limit.saturating_add(1);
        let mut out = vec![0u8; data.len().saturating_mul(2).clamp(FIRST_OUTPUT, FIRST_OUTPUT.max(64 << 10)).min(cap)];
        let mut written = 0usize;
        let mut ended = false;
        'pieces: for piece in [data, &TAIL[..]] {
            let mut consumed = 0usize;
            loop {
                if written == out.len() {
                    if out.len() >= cap {
                        return Err(CodecError::TooBig { limit });
                    }
                    out.resize(out.len().saturating_mul(2).min(cap), 0);
                }
                let (in0, out0) = (z.total_in(), z.total_out());
                let r = z.decompress(&piece[consumed..], &mut out[written..], InflateFlush::SyncFlush);
                consumed += (z.total_in() - in0) as usize;
                written += (z.total_out() - out0) as usize;
                match r {
                    Ok(Status::StreamEnd) => {
                        // The peer ended the DEFLATE stream (BFINAL): the next message starts
                        // a new one; what follows in this message is ignored.
                        ended = true;
                        break 'pieces;
                    }
                    Ok(_) if consumed == piece.len() && written < out.len() => break,
                    Ok(Status::BufError) if written < out.len() => {
                        return Err(CodecError::Corrupt("inflate made no progress".into()));
                    }
                    Ok(_) => {}
                    Err(e) => return Err(CodecError::Corrupt(e.as_str().to_string())),
                }
            }
        }
        if written > limit {
            return Err(CodecError::TooBig { limit });
        }
        if ended {
            self.state = None;
        }
        out.truncate(written);
        if out.capacity() - out.len() > out.len() / 4 + 64 {
            out.shrink_to_fit();
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{server_negotiate, Params, Role, Settings};
    use super::*;

    fn json(n: usize) -> Vec<u8> {
        let mut s = String::from("[");
        for i in 0..n {
            s.push_str(&format!("{{\"id\":{i},\"name\":\"sensor-{}\",\"x\":{}.5,\"ok\":true}},", i % 7, i * 3));
        }
        s.push(']');
        s.into_bytes()
    }

    #[test]
    fn round_trips_with_and_without_context_takeover_for_every_window() {
        for window in 9..=15u8 {
            for nct in [false, true] {
                let mut d = Deflater::new(window, 6, 5, nct);
                let mut i = Inflater::new(window, nct);
                for n in [0usize, 1, 10, 500, 20_000] {
                    let m = json(n);
                    let c = d.compress(&m).unwrap();
                    assert!(!c.ends_with(&TAIL) || c.is_empty());
                    assert_eq!(i.decompress(&c, 1 << 24).unwrap(), m, "window {window} nct {nct} n {n}");
                }
            }
        }
    }

    #[test]
    fn context_takeover_shrinks_repeated_messages_and_no_takeover_is_independent() {
        let m = json(20);
        let mut d = Deflater::new(15, 6, 8, false);
        let first = d.compress(&m).unwrap();
        let second = d.compress(&m).unwrap();
        assert!(second.len() * 4 < first.len(), "the second copy refers back to the first: {} vs {}", second.len(), first.len());
        let mut d = Deflater::new(15, 6, 8, true);
        let a = d.compress(&m).unwrap();
        let b = d.compress(&m).unwrap();
        assert_eq!(a, b, "without context takeover every message compresses alone");
        // A fresh inflater reads the second one alone.
        assert_eq!(Inflater::new(15, true).decompress(&b, 1 << 20).unwrap(), m);
    }

    #[test]
    fn zip_bomb_is_too_big_without_a_big_allocation() {
        let bomb = Deflater::new(15, 9, 9, true).compress(&vec![0u8; 64 << 20]).unwrap();
        assert!(bomb.len() < 100_000, "64 MiB of zeros compress to {} bytes", bomb.len());
        let mut i = Inflater::new(15, false);
        let e = i.decompress(&bomb, 1 << 20).unwrap_err();
        assert_eq!(e, CodecError::TooBig { limit: 1 << 20 });
        assert_eq!(e.close_code(), 1009);
        // Exactly at the limit is fine; one more byte is not.
        let m = vec![b'a'; 5000];
        let c = Deflater::new(15, 6, 8, true).compress(&m).unwrap();
        assert_eq!(Inflater::new(15, true).decompress(&c, 5000).unwrap(), m);
        assert!(matches!(Inflater::new(15, true).decompress(&c, 4999), Err(CodecError::TooBig { .. })));
    }

    #[test]
    fn corrupt_input_is_an_error_and_the_inflater_recovers() {
        let mut i = Inflater::new(15, false);
        let e = i.decompress(&[0xff, 0xff, 0xff, 0x00, 0x12], 1 << 20).unwrap_err();
        assert!(matches!(e, CodecError::Corrupt(_)), "{e:?}");
        assert_eq!(e.close_code(), 1002);
        let c = Deflater::new(15, 6, 8, false).compress(b"hello").unwrap();
        assert_eq!(i.decompress(&c, 100).unwrap(), b"hello");
    }

    #[test]
    fn rfc_examples_inflate() {
        // RFC 7692 §7.2.3.1: "Hello", tail stripped.
        let hello = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
        assert_eq!(Inflater::new(15, false).decompress(&hello, 100).unwrap(), b"Hello");
        // §7.2.3.2: the second "Hello" refers back into the first message's window.
        let mut i = Inflater::new(15, false);
        assert_eq!(i.decompress(&hello, 100).unwrap(), b"Hello");
        assert_eq!(i.decompress(&[0xf2, 0x00, 0x11, 0x00, 0x00], 100).unwrap(), b"Hello");
        // §7.2.3.3: a stored block.
        assert_eq!(Inflater::new(15, false).decompress(&[0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00], 100).unwrap(), b"Hello");
        // §7.2.3.4: a block with BFINAL set ends the stream; the next message starts a new one.
        let final_block = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
        let mut i = Inflater::new(15, false);
        assert_eq!(i.decompress(&final_block, 100).unwrap(), b"Hello");
        assert!(!i.is_allocated());
        assert_eq!(i.decompress(&hello, 100).unwrap(), b"Hello");
    }

    #[test]
    fn state_is_lazy_and_freed_when_idle_without_context_takeover() {
        let mut d = Deflater::new(12, 6, 5, true);
        let mut i = Inflater::new(12, true);
        assert!(!d.is_allocated() && !i.is_allocated());
        let c = d.compress(&json(10)).unwrap();
        i.decompress(&c, 1 << 20).unwrap();
        assert!(d.is_allocated() && i.is_allocated());
        d.idle();
        i.idle();
        assert!(!d.is_allocated() && !i.is_allocated());
        let mut d = Deflater::new(12, 6, 5, false);
        d.compress(b"x").unwrap();
        d.idle();
        assert!(d.is_allocated(), "with context takeover the window survives");
    }

    #[test]
    fn negotiated_params_build_matching_codecs_in_both_roles() {
        let p: Params = server_negotiate(&Settings::server(), ["permessage-deflate; client_max_window_bits; server_max_window_bits=10"]).unwrap();
        assert_eq!((p.server_max_window_bits, p.client_max_window_bits), (Some(10), Some(12)));
        let s = Settings::default();
        let mut server_out = p.deflater(Role::Server, &Settings::server());
        let mut client_in = p.inflater(Role::Client);
        let mut client_out = p.deflater(Role::Client, &s);
        let mut server_in = p.inflater(Role::Server);
        for n in [3usize, 300, 3000] {
            let m = json(n);
            assert_eq!(client_in.decompress(&server_out.compress(&m).unwrap(), 1 << 24).unwrap(), m);
            assert_eq!(server_in.decompress(&client_out.compress(&m).unwrap(), 1 << 24).unwrap(), m);
        }
    }
}
