//! Minimal client-side WebSocket framing for the hot paths.
//!
//! The echo and fan-out scenarios would otherwise spend as much CPU in the load
//! generator as the server spends serving it (both share this machine's cores), so
//! after a plain HTTP/1.1 upgrade they write pre-encoded frames straight to the
//! socket and parse incoming frames in place from one buffer, without a copy or an
//! allocation per message. Frames are masked as RFC 6455 requires of clients; a
//! benchmark on loopback reuses one masking key, which no server can tell apart.

use std::io;
use std::ops::Range;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const OP_TEXT: u8 = 0x1;
pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;
pub const OP_PONG: u8 = 0xA;

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Encodes one final, masked client frame.
pub fn encode(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(payload.len() + 14);
    f.push(0x80 | opcode);
    let n = payload.len();
    if n < 126 {
        f.push(0x80 | n as u8);
    } else if n <= u16::MAX as usize {
        f.push(0x80 | 126);
        f.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        f.push(0x80 | 127);
        f.extend_from_slice(&(n as u64).to_be_bytes());
    }
    f.extend_from_slice(&MASK);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i & 3]));
    f
}

/// One parsed server frame; the payload is a range of [`Reader::buf`].
pub struct Frame {
    pub opcode: u8,
    pub fin: bool,
    pub payload: Range<usize>,
}

/// A growable read buffer that yields whole frames in place.
pub struct Reader {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    max_frame: usize,
}

impl Reader {
    /// `capacity` is the initial buffer size; frames up to `max_frame` bytes are accepted.
    pub fn new(capacity: usize, max_frame: usize) -> Self {
        Reader { buf: vec![0; capacity.max(1024)], start: 0, end: 0, max_frame }
    }

    /// The buffer that [`Frame::payload`] indexes.
    pub fn buf(&self) -> &[u8] {
        &self.buf
    }

    /// Reads more bytes from `stream`; returns 0 at end of stream.
    pub async fn fill(&mut self, stream: &mut (impl AsyncReadExt + Unpin)) -> io::Result<usize> {
        if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                let n = self.buf.len() * 2;
                self.buf.resize(n, 0);
            }
        }
        let n = stream.read(&mut self.buf[self.end..]).await?;
        self.end += n;
        Ok(n)
    }

    /// The next complete frame in the buffer, if any.
    pub fn next_frame(&mut self) -> io::Result<Option<Frame>> {
        let avail = &self.buf[self.start..self.end];
        if avail.len() < 2 {
            return Ok(None);
        }
        let (b0, b1) = (avail[0], avail[1]);
        if b1 & 0x80 != 0 {
            return Err(bad("server sent a masked frame"));
        }
        let (len, head) = match b1 & 0x7f {
            126 if avail.len() >= 4 => (u16::from_be_bytes([avail[2], avail[3]]) as usize, 4),
            127 if avail.len() >= 10 => (u64::from_be_bytes(avail[2..10].try_into().unwrap()) as usize, 10),
            126 | 127 => return Ok(None),
            n => (n as usize, 2),
        };
        if len > self.max_frame {
            return Err(bad("frame larger than expected"));
        }
        if avail.len() < head + len {
            // Make sure the whole frame will fit once read.
            let need = head + len;
            if self.buf.len() - self.start < need {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
                if self.buf.len() < need {
                    self.buf.resize(need.next_power_of_two(), 0);
                }
            }
            return Ok(None);
        }
        let p = self.start + head;
        self.start = p + len;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        Ok(Some(Frame { opcode: b0 & 0x0f, fin: b0 & 0x80 != 0, payload: p..p + len }))
    }

    /// Takes the HTTP response head off the buffer; the bytes after it stay for framing.
    fn take_response_head(&mut self) -> Option<String> {
        let avail = &self.buf[self.start..self.end];
        let pos = avail.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&avail[..pos]).into_owned();
        self.start += pos + 4;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        Some(head)
    }
}

/// "closed by server" with the close code and reason of a close frame's payload.
pub fn closed_by_server(payload: &[u8]) -> String {
    match payload {
        [a, b, reason @ ..] => {
            let code = u16::from_be_bytes([*a, *b]);
            format!("closed by server: {code} {}", String::from_utf8_lossy(reason)).trim_end().to_string()
        }
        _ => "closed by server".to_string(),
    }
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// Performs the HTTP/1.1 upgrade on `stream`; any bytes past the response stay in `reader`.
pub async fn handshake(stream: &mut TcpStream, host: &str, path: &str, reader: &mut Reader) -> io::Result<()> {
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(req.as_bytes()).await?;
    loop {
        if let Some(head) = reader.take_response_head() {
            let status = head.lines().next().unwrap_or_default();
            if status.split_whitespace().nth(1) != Some("101") {
                return Err(bad(&format!("upgrade refused: {status}")));
            }
            return Ok(());
        }
        if reader.end - reader.start > 16 * 1024 {
            return Err(bad("oversized upgrade response"));
        }
        if reader.fill(stream).await? == 0 {
            return Err(bad("connection closed during upgrade"));
        }
    }
}
