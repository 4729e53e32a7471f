//! omnisock's own WebSocket message loop over [`crate::frame`]: a cancel-safe message reader
//! and a zero-copy frame writer.
//!
//! Memory is the reason it exists (the hub's memory model, README "Memory"):
//! - The reader holds **no buffer while a connection is idle**: its read buffer is allocated
//!   when bytes arrive and freed as soon as the socket has nothing more. A message's payload is
//!   read into one buffer sized from the frame header *after* the declared length was checked
//!   against `max_message_size`; that buffer becomes the message and leaves with it, so nothing
//!   of a large message stays behind.
//! - The writer puts a ≤14-byte header in front of each payload and hands both to the socket in
//!   one vectored write: a payload shared by a fan-out's recipients (`Bytes`) is never copied
//!   per recipient in user space, and no write buffer grows.

use std::borrow::Borrow;
use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tungstenite::Message;

use crate::deflate::{CodecError, Inflater};
use crate::event::Utf8Bytes;
use crate::frame::{self, CloseError, Header, Utf8Check};

/// The RSV1 bit in a header's `rsv` field: a compressed message (permessage-deflate).
pub const RSV1: u8 = 0b100;

/// Read size while a connection is quiet (one small message fits).
const QUIET_READ: usize = 2 << 10;
/// Read size while data streams in (the last read filled the buffer).
const STREAMING_READ: usize = 64 << 10;
/// A frame payload with at least this much still to come is read straight into its buffer.
const DIRECT_READ: usize = 8 << 10;

/// A complete incoming message or control frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A text message (valid UTF-8).
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
    /// A ping: answer with a pong carrying the same payload.
    Ping(Bytes),
    /// A pong.
    Pong(Bytes),
    /// A close frame: code and reason, `None` when it had no payload (1005).
    Close(Option<(u16, String)>),
}

/// Why reading stopped.
#[derive(Debug)]
pub enum ReadError {
    /// The peer broke the protocol: close with 1002.
    Protocol(String),
    /// A message over the size limit: close with 1009.
    TooBig(String),
    /// Text that is not UTF-8: close with 1007.
    Utf8(String),
    /// The socket failed.
    Io(io::Error),
    /// The peer closed the TCP connection.
    Eof,
}

impl ReadError {
    /// The close code to send for this error, if one should be sent.
    pub fn close_code(&self) -> Option<u16> {
        match self {
            ReadError::Protocol(_) => Some(crate::ws::CLOSE_PROTOCOL),
            ReadError::TooBig(_) => Some(crate::ws::CLOSE_TOO_BIG),
            ReadError::Utf8(_) => Some(crate::ws::CLOSE_INVALID_DATA),
            ReadError::Io(_) | ReadError::Eof => None,
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Protocol(m) => write!(f, "protocol error from peer: {m}"),
            ReadError::TooBig(m) | ReadError::Utf8(m) => f.write_str(m),
            ReadError::Io(e) => write!(f, "connection lost: {e}"),
            ReadError::Eof => f.write_str("connection closed without a close frame"),
        }
    }
}

/// The frame being read.
struct Current {
    header: Header,
    /// Payload bytes of this frame received so far.
    got: usize,
}

/// A data message being assembled from one or more frames.
struct Partial {
    text: bool,
    /// RSV1 was set on the first frame: `data` is compressed (permessage-deflate).
    compressed: bool,
    data: Vec<u8>,
    /// Bytes of `data` filled (the rest of the current frame is zeros until read).
    filled: usize,
    utf8: Utf8Check,
}

/// Reads WebSocket messages from a byte stream. All state lives in the reader, so
/// [`poll_next`](Self::poll_next) (and [`next`](Self::next)) can be cancelled at any point
/// and resumed without losing a byte.
pub struct MessageReader<R> {
    io: R,
    /// Read buffer: empty (unallocated) while the connection is idle.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    streaming: bool,
    /// Frames must be masked (server side) or must not be (client side).
    masked: bool,
    max_message: usize,
    current: Option<Current>,
    message: Option<Partial>,
    control: [u8; frame::MAX_CONTROL_PAYLOAD],
    done: bool,
    /// permessage-deflate was negotiated: RSV1 marks compressed messages. Boxed: a reader
    /// without compression pays one pointer.
    inflater: Option<Box<Inflater>>,
}

impl<R: AsyncRead + Unpin> MessageReader<R> {
    /// A reader over `io`. `leftover` are bytes already read past the handshake; `masked` is
    /// true on the server side; messages over `max_message` bytes fail with [`ReadError::TooBig`].
    pub fn new(io: R, leftover: Vec<u8>, masked: bool, max_message: usize) -> Self {
        let end = leftover.len();
        MessageReader {
            io,
            buf: leftover,
            start: 0,
            end,
            streaming: false,
            masked,
            max_message,
            current: None,
            message: None,
            control: [0; frame::MAX_CONTROL_PAYLOAD],
            done: false,
            inflater: None,
        }
    }

    /// permessage-deflate was negotiated: a data message whose first frame has RSV1 set is
    /// inflated with `inflater`, bounded by the max message size (compressed and inflated).
    /// Without it, RSV1 is a protocol error.
    pub fn with_inflater(mut self, inflater: Inflater) -> Self {
        self.inflater = Some(Box::new(inflater));
        self
    }

    /// The byte stream read from.
    pub fn io(&self) -> &R {
        &self.io
    }

    /// The byte stream read from, mutably (its state between reads is the caller's).
    pub fn io_mut(&mut self) -> &mut R {
        &mut self.io
    }

    /// Whether the reader holds zlib state now (permessage-deflate with context takeover
    /// keeps it between messages).
    pub fn inflater_allocated(&self) -> bool {
        self.inflater.as_ref().is_some_and(|i| i.is_allocated())
    }

    /// Bytes of buffers the reader holds now (read buffer plus a message being assembled).
    pub fn buffered_capacity(&self) -> usize {
        self.buf.capacity() + self.message.as_ref().map_or(0, |m| m.data.capacity())
    }

    /// The next message; cancel-safe.
    pub async fn next(&mut self) -> Result<Incoming, ReadError> {
        poll_fn(|cx| self.poll_next(cx)).await
    }

    /// Polls for the next message.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Result<Incoming, ReadError>> {
        if self.done {
            return Poll::Ready(Err(ReadError::Eof));
        }
        let r = self.poll_inner(cx);
        if let Poll::Ready(Err(_)) = &r {
            self.done = true;
            self.buf = Vec::new();
            self.message = None;
        }
        r
    }

    fn poll_inner(&mut self, cx: &mut Context<'_>) -> Poll<Result<Incoming, ReadError>> {
        loop {
            if self.current.is_none() {
                let rsv = if self.inflater.is_some() { RSV1 } else { 0 };
                match frame::parse_header(&self.buf[self.start..self.end], self.masked, rsv) {
                    Err(e) => return Poll::Ready(Err(ReadError::Protocol(e.to_string()))),
                    Ok(Some((header, n))) => {
                        self.start += n;
                        self.begin_frame(header)?;
                        continue;
                    }
                    Ok(None) => {
                        if let Err(e) = std::task::ready!(self.fill(cx, None)) {
                            return Poll::Ready(Err(e));
                        }
                        continue;
                    }
                }
            }
            // Payload of the current frame.
            let (len, got, opcode, mask) = {
                let c = self.current.as_ref().expect("a frame is being read");
                (c.header.len as usize, c.got, c.header.opcode, c.header.mask)
            };
            if got < len {
                let avail = self.end - self.start;
                if avail > 0 {
                    let n = avail.min(len - got);
                    let src = &self.buf[self.start..self.start + n];
                    let dst = payload_slot(&mut self.control, &mut self.message, opcode, got, n);
                    dst.copy_from_slice(src);
                    if let Some(m) = mask {
                        frame::apply_mask(dst, m, got);
                    }
                    self.start += n;
                    self.advance(n);
                    continue;
                }
                if len - got >= DIRECT_READ && opcode & 0x8 == 0 {
                    // Large payload: read straight into the message buffer.
                    let r = {
                        let dst = payload_slot(&mut self.control, &mut self.message, opcode, got, len - got);
                        let mut rb = ReadBuf::new(dst);
                        match Pin::new(&mut self.io).poll_read(cx, &mut rb) {
                            Poll::Pending => None,
                            Poll::Ready(Err(e)) => Some(Err(e)),
                            Poll::Ready(Ok(())) => {
                                let n = rb.filled().len();
                                if let Some(m) = mask {
                                    frame::apply_mask(&mut dst[..n], m, got);
                                }
                                Some(Ok(n))
                            }
                        }
                    };
                    match r {
                        None => {
                            self.release_idle_buffer();
                            return Poll::Pending;
                        }
                        Some(Err(e)) => return Poll::Ready(Err(ReadError::Io(e))),
                        Some(Ok(0)) => return Poll::Ready(Err(ReadError::Eof)),
                        Some(Ok(n)) => {
                            self.advance(n);
                            continue;
                        }
                    }
                }
                if let Err(e) = std::task::ready!(self.fill(cx, Some(len - got))) {
                    return Poll::Ready(Err(e));
                }
                continue;
            }
            // The frame is complete.
            let header = self.current.take().expect("a frame is being read").header;
            if let Some(msg) = self.end_frame(header)? {
                if self.start == self.end && !self.streaming {
                    self.buf = Vec::new();
                    self.start = 0;
                    self.end = 0;
                }
                return Poll::Ready(Ok(msg));
            }
        }
    }

    /// Checks a new frame against the message in progress and the size limit.
    fn begin_frame(&mut self, header: Header) -> Result<(), ReadError> {
        let rsv1 = header.rsv & RSV1 != 0;
        if rsv1 && (header.is_control() || header.opcode == frame::OP_CONTINUATION) {
            return Err(ReadError::Protocol("RSV1 set on a control or continuation frame".into()));
        }
        if header.is_control() {
            self.current = Some(Current { header, got: 0 });
            return Ok(());
        }
        let so_far = self.message.as_ref().map_or(0, |m| m.filled);
        match (header.opcode, self.message.is_some()) {
            (frame::OP_CONTINUATION, false) => return Err(ReadError::Protocol("continuation frame without a message to continue".into())),
            (frame::OP_TEXT | frame::OP_BINARY, true) => return Err(ReadError::Protocol("new message before the previous one ended".into())),
            _ => {}
        }
        let total = (so_far as u64).saturating_add(header.len);
        if total > self.max_message as u64 {
            return Err(ReadError::TooBig(format!("incoming message of {total} bytes exceeds max message size {}", self.max_message)));
        }
        let len = header.len as usize;
        let m = self.message.get_or_insert_with(|| Partial {
            text: header.opcode == frame::OP_TEXT,
            compressed: rsv1,
            data: Vec::new(),
            filled: 0,
            utf8: Utf8Check::default(),
        });
        // Sized from a checked header; later frames of the message grow it exactly.
        m.data.resize(m.filled + len, 0);
        self.current = Some(Current { header, got: 0 });
        Ok(())
    }

    fn advance(&mut self, n: usize) {
        let c = self.current.as_mut().expect("a frame is being read");
        c.got += n;
        if !c.header.is_control() {
            if let Some(m) = self.message.as_mut() {
                m.filled += n;
            }
        }
    }

    /// Finishes a frame: a control frame or a complete message is returned.
    fn end_frame(&mut self, header: Header) -> Result<Option<Incoming>, ReadError> {
        let len = header.len as usize;
        match header.opcode {
            frame::OP_PING => return Ok(Some(Incoming::Ping(Bytes::copy_from_slice(&self.control[..len])))),
            frame::OP_PONG => return Ok(Some(Incoming::Pong(Bytes::copy_from_slice(&self.control[..len])))),
            frame::OP_CLOSE => {
                return match frame::parse_close(&self.control[..len]) {
                    Ok(c) => Ok(Some(Incoming::Close(c))),
                    Err(CloseError::Protocol(m)) => Err(ReadError::Protocol(m)),
                    Err(CloseError::Utf8) => Err(ReadError::Utf8("close reason is not valid UTF-8".into())),
                };
            }
            _ => {}
        }
        let m = self.message.as_mut().expect("a data frame has a message");
        if m.text && !m.compressed && !m.utf8.feed(&m.data[..m.filled]) {
            return Err(ReadError::Utf8("text message is not valid UTF-8".into()));
        }
        if !header.fin {
            return Ok(None);
        }
        let mut m = self.message.take().expect("checked above");
        if m.compressed {
            let inflater = self.inflater.as_mut().expect("RSV1 is accepted only with an inflater");
            m.data = inflater.decompress(&m.data, self.max_message).map_err(|e| match e {
                CodecError::TooBig { .. } => ReadError::TooBig(e.to_string()),
                CodecError::Corrupt(_) => ReadError::Protocol(e.to_string()),
            })?;
            if m.text {
                let s = String::from_utf8(m.data).map_err(|_| ReadError::Utf8("text message is not valid UTF-8".into()))?;
                return Ok(Some(Incoming::Text(Utf8Bytes::from(s))));
            }
            return Ok(Some(Incoming::Binary(Bytes::from(m.data))));
        }
        if m.text {
            if !m.utf8.complete(&m.data) {
                return Err(ReadError::Utf8("text message ends inside a UTF-8 sequence".into()));
            }
            let s = String::from_utf8(m.data).map_err(|_| ReadError::Utf8("text message is not valid UTF-8".into()))?;
            Ok(Some(Incoming::Text(Utf8Bytes::from(s))))
        } else {
            Ok(Some(Incoming::Binary(Bytes::from(m.data))))
        }
    }

    /// Reads more bytes into the read buffer (compacting it first). `want` is how much of the
    /// current frame is still missing, if known.
    fn fill(&mut self, cx: &mut Context<'_>, want: Option<usize>) -> Poll<Result<(), ReadError>> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let size = if self.streaming { STREAMING_READ } else { QUIET_READ };
        let size = size.max(self.end + want.unwrap_or(0).min(size)).max(self.end + frame::MAX_HEADER);
        if self.buf.len() < size {
            self.buf.resize(size, 0);
        }
        let mut rb = ReadBuf::new(&mut self.buf[self.end..]);
        match Pin::new(&mut self.io).poll_read(cx, &mut rb) {
            Poll::Pending => {
                self.release_idle_buffer();
                Poll::Pending
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(ReadError::Io(e))),
            Poll::Ready(Ok(())) => {
                let n = rb.filled().len();
                let room = rb.capacity();
                if n == 0 {
                    return Poll::Ready(Err(ReadError::Eof));
                }
                self.streaming = n == room;
                self.end += n;
                Poll::Ready(Ok(()))
            }
        }
    }

    /// Nothing to read: free the read buffer unless it holds part of a frame.
    fn release_idle_buffer(&mut self) {
        self.streaming = false;
        if self.message.is_none() {
            if let Some(i) = self.inflater.as_mut() {
                i.idle();
            }
        }
        if self.start == self.end {
            self.buf = Vec::new();
            self.start = 0;
            self.end = 0;
        } else if self.buf.len() > QUIET_READ && self.end - self.start <= QUIET_READ {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            self.buf.truncate(QUIET_READ.max(frame::MAX_HEADER));
            self.buf.shrink_to_fit();
        }
    }
}

/// Where the next `n` payload bytes of the current frame go (`got` of it already read).
fn payload_slot<'a>(control: &'a mut [u8], message: &'a mut Option<Partial>, opcode: u8, got: usize, n: usize) -> &'a mut [u8] {
    if opcode & 0x8 != 0 {
        &mut control[got..got + n]
    } else {
        let m = message.as_mut().expect("a data frame has a message");
        &mut m.data[m.filled..m.filled + n]
    }
}

/// Something the writer sends as one whole frame: its opcode, RSV bits and payload.
pub trait AsFrame {
    /// `(opcode, rsv, payload)`, or `None` for nothing to send.
    fn as_frame(&self) -> Option<(u8, u8, &[u8])>;
}

impl AsFrame for Message {
    fn as_frame(&self) -> Option<(u8, u8, &[u8])> {
        match self {
            Message::Text(t) => Some((frame::OP_TEXT, 0, t.as_bytes())),
            Message::Binary(b) => Some((frame::OP_BINARY, 0, b)),
            Message::Ping(b) => Some((frame::OP_PING, 0, b)),
            Message::Pong(b) => Some((frame::OP_PONG, 0, b)),
            Message::Close(_) | Message::Frame(_) => None,
        }
    }
}

/// A data message compressed with permessage-deflate: sent in one frame with RSV1 set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deflated {
    /// [`frame::OP_TEXT`] or [`frame::OP_BINARY`].
    pub opcode: u8,
    /// The compressed payload (tail removed), shared by every recipient of a fan-out.
    pub payload: Bytes,
}

impl AsFrame for Deflated {
    fn as_frame(&self) -> Option<(u8, u8, &[u8])> {
        Some((self.opcode, RSV1, &self.payload))
    }
}

/// A message as it goes out: as it is, or compressed.
#[derive(Debug, Clone, PartialEq)]
pub enum Wire<M> {
    /// Sent as it is.
    Plain(M),
    /// Sent compressed.
    Deflated(Deflated),
}

impl<M: Borrow<Message>> AsFrame for Wire<M> {
    fn as_frame(&self) -> Option<(u8, u8, &[u8])> {
        match self {
            Wire::Plain(m) => m.borrow().as_frame(),
            Wire::Deflated(d) => d.as_frame(),
        }
    }
}

fn parts<M: AsFrame>(m: &M) -> Option<(u8, u8, &[u8])> {
    m.as_frame()
}

/// Most slices handed to one vectored write.
const MAX_SLICES: usize = 64;
/// A socket that cannot write vectored gets small messages coalesced up to this size.
const COALESCE: usize = 16 << 10;

/// How a call to [`write_messages`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Every message was written.
    All,
    /// `stop` fired; writing ended at a frame boundary, so a close frame may follow.
    StoppedAtBoundary,
    /// `stop` fired on a socket that cannot tell its frame boundaries: send nothing more.
    StoppedMidFrame,
}

/// Writes `msgs` as single unmasked frames (the server side) without copying their payloads
/// (a [`Deflated`] message goes out with RSV1 set).
/// When `stop` resolves while the socket is slow, the frame being written is finished (within
/// `finish_within`) and the rest is left unwritten.
pub async fn write_messages<W, F, M>(io: &mut W, msgs: &[M], stop: F, finish_within: Duration) -> io::Result<Written>
where
    W: AsyncWrite + Unpin,
    F: Future<Output = ()>,
    M: AsFrame,
{
    let mut stop = std::pin::pin!(stop);
    if !io.is_write_vectored() {
        return write_coalesced(io, msgs, stop).await;
    }
    let mut headers = [[0u8; frame::MAX_HEADER]; MAX_SLICES / 2];
    for chunk in msgs.chunks(MAX_SLICES / 2) {
        // Slices: header, payload, header, payload… `first[i]` marks a frame's first slice.
        let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(chunk.len() * 2);
        let mut first: Vec<bool> = Vec::with_capacity(chunk.len() * 2);
        for (i, m) in chunk.iter().enumerate() {
            if let Some((op, rsv, p)) = parts(m) {
                frame::encode_header(&mut headers[i], true, rsv, op, p.len(), None);
            }
        }
        for (i, m) in chunk.iter().enumerate() {
            if let Some((_, _, p)) = parts(m) {
                let n = header_len(p.len());
                slices.push(IoSlice::new(&headers[i][..n]));
                first.push(true);
                if !p.is_empty() {
                    slices.push(IoSlice::new(p));
                    first.push(false);
                }
            }
        }
        let lens: Vec<usize> = slices.iter().map(|s| s.len()).collect();
        let total = slices.len();
        let mut bufs = &mut slices[..];
        while !bufs.is_empty() {
            let n = tokio::select! {
                biased;
                n = io.write_vectored(bufs) => n?,
                _ = stop.as_mut() => {
                    let at = total - bufs.len();
                    if first[at] && bufs[0].len() == lens[at] {
                        return Ok(Written::StoppedAtBoundary);
                    }
                    // Finish the frame under way, then stop.
                    let end = (at + 1..total).find(|&j| first[j]).unwrap_or(total);
                    let rest = &mut bufs[..end - at];
                    tokio::time::timeout(finish_within, write_all_vectored(io, rest))
                        .await
                        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "peer did not take the rest of a frame"))??;
                    return Ok(Written::StoppedAtBoundary);
                }
            };
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::WriteZero, "socket accepted no bytes"));
            }
            IoSlice::advance_slices(&mut bufs, n);
        }
    }
    io.flush().await?;
    Ok(Written::All)
}

fn header_len(payload: usize) -> usize {
    if payload < 126 {
        2
    } else if payload <= u16::MAX as usize {
        4
    } else {
        10
    }
}

/// For sockets without vectored writes (TLS): small frames are copied together so they go
/// out in few records; large payloads are written from their own buffers.
async fn write_coalesced<W, F, M>(io: &mut W, msgs: &[M], mut stop: Pin<&mut F>) -> io::Result<Written>
where
    W: AsyncWrite + Unpin,
    F: Future<Output = ()>,
    M: AsFrame,
{
    let mut scratch: Vec<u8> = Vec::new();
    for m in msgs {
        let Some((op, rsv, p)) = parts(m) else { continue };
        let mut h = [0u8; frame::MAX_HEADER];
        let n = frame::encode_header(&mut h, true, rsv, op, p.len(), None);
        scratch.extend_from_slice(&h[..n]);
        if p.len() < COALESCE {
            scratch.extend_from_slice(p);
            if scratch.len() < COALESCE {
                continue;
            }
            let buf = std::mem::take(&mut scratch);
            if !write_or_stop(io, &[&buf], stop.as_mut()).await? {
                return Ok(Written::StoppedMidFrame);
            }
        } else {
            let buf = std::mem::take(&mut scratch);
            if !write_or_stop(io, &[&buf, p], stop.as_mut()).await? {
                return Ok(Written::StoppedMidFrame);
            }
        }
    }
    if !scratch.is_empty() && !write_or_stop(io, &[&scratch], stop.as_mut()).await? {
        return Ok(Written::StoppedMidFrame);
    }
    io.flush().await?;
    Ok(Written::All)
}

/// Writes `parts` in order; false when `stop` fired first (the stream is then mid-frame).
async fn write_or_stop<W, F>(io: &mut W, parts: &[&[u8]], mut stop: Pin<&mut F>) -> io::Result<bool>
where
    W: AsyncWrite + Unpin,
    F: Future<Output = ()>,
{
    for part in parts {
        let mut rest: &[u8] = part;
        while !rest.is_empty() {
            let n = tokio::select! {
                biased;
                n = io.write(rest) => n?,
                _ = stop.as_mut() => return Ok(false),
            };
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::WriteZero, "socket accepted no bytes"));
            }
            rest = &rest[n..];
        }
    }
    Ok(true)
}

/// Writes a close frame.
pub async fn write_close<W: AsyncWrite + Unpin>(io: &mut W, code: u16, reason: &str) -> io::Result<()> {
    let payload = if code == crate::ws::CLOSE_NO_STATUS { Vec::new() } else { frame::close_payload(code, reason) };
    let mut h = [0u8; frame::MAX_HEADER];
    let n = frame::encode_header(&mut h, true, 0, frame::OP_CLOSE, payload.len(), None);
    let mut v = h[..n].to_vec();
    v.extend_from_slice(&payload);
    io.write_all(&v).await?;
    io.flush().await
}

async fn write_all_vectored<W: AsyncWrite + Unpin>(io: &mut W, slices: &mut [IoSlice<'_>]) -> io::Result<()> {
    let mut bufs = slices;
    while !bufs.is_empty() {
        let n = io.write_vectored(bufs).await?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::WriteZero, "socket accepted no bytes"));
        }
        IoSlice::advance_slices(&mut bufs, n);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    fn client_frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [0x12, 0x34, 0x56, 0x78];
        let mut h = [0u8; frame::MAX_HEADER];
        let n = frame::encode_header(&mut h, fin, 0, opcode, payload.len(), Some(mask));
        let mut v = h[..n].to_vec();
        let mut p = payload.to_vec();
        frame::apply_mask(&mut p, mask, 0);
        v.extend_from_slice(&p);
        v
    }

    #[tokio::test]
    async fn fragmented_text_with_interleaved_ping_arrives_whole() {
        let (mut a, b) = tokio::io::duplex(1 << 16);
        let mut wire = client_frame(false, frame::OP_TEXT, "hel".as_bytes());
        wire.extend(client_frame(true, frame::OP_PING, b"p"));
        wire.extend(client_frame(true, frame::OP_CONTINUATION, "lo κ".as_bytes()));
        a.write_all(&wire).await.unwrap();
        let mut r = MessageReader::new(b, Vec::new(), true, 1 << 20);
        assert_eq!(r.next().await.unwrap(), Incoming::Ping(Bytes::from_static(b"p")));
        assert_eq!(r.next().await.unwrap(), Incoming::Text("hello κ".into()));
    }

    #[tokio::test]
    async fn large_message_leaves_no_buffer_behind() {
        let (mut a, b) = tokio::io::duplex(1 << 20);
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
        let wire = client_frame(true, frame::OP_BINARY, &data);
        let writer = tokio::spawn(async move {
            a.write_all(&wire).await.unwrap();
            a
        });
        let mut r = MessageReader::new(b, Vec::new(), true, 4 << 20);
        let got = r.next().await.unwrap();
        assert_eq!(got, Incoming::Binary(Bytes::from(data)));
        let _a = writer.await.unwrap();
        // Idle again: a pending read frees everything.
        let pending = tokio::time::timeout(std::time::Duration::from_millis(20), r.next()).await;
        assert!(pending.is_err());
        assert_eq!(r.buffered_capacity(), 0, "an idle reader holds no buffer after a 3 MB message");
    }

    #[tokio::test]
    async fn declared_length_over_the_limit_fails_before_any_allocation() {
        let (mut a, b) = tokio::io::duplex(1 << 10);
        // 2^62 bytes declared, nothing sent.
        let mut hdr = vec![0x82, 0x80 | 127];
        hdr.extend_from_slice(&(1u64 << 62).to_be_bytes());
        hdr.extend_from_slice(&[1, 2, 3, 4]);
        a.write_all(&hdr).await.unwrap();
        let mut r = MessageReader::new(b, Vec::new(), true, 1 << 20);
        match r.next().await {
            Err(e @ ReadError::TooBig(_)) => assert_eq!(e.close_code(), Some(1009)),
            other => panic!("expected TooBig, got {other:?}"),
        }
        // Fragments count together.
        let (mut a, b) = tokio::io::duplex(1 << 16);
        let mut wire = client_frame(false, frame::OP_BINARY, &[0; 600]);
        wire.extend(client_frame(true, frame::OP_CONTINUATION, &[0; 600]));
        a.write_all(&wire).await.unwrap();
        let mut r = MessageReader::new(b, Vec::new(), true, 1000);
        assert!(matches!(r.next().await, Err(ReadError::TooBig(_))));
    }

    #[tokio::test]
    async fn protocol_violations_are_named() {
        for (wire, code) in [
            (client_frame(true, frame::OP_CONTINUATION, b"x"), 1002),
            ([client_frame(false, frame::OP_TEXT, b"a"), client_frame(true, frame::OP_TEXT, b"b")].concat(), 1002),
            (client_frame(true, frame::OP_TEXT, &[0xFF]), 1007),
            (client_frame(true, frame::OP_CLOSE, &[0x03]), 1002),
            (vec![0x89, 0x80 | 126, 0, 1, 0, 0, 0, 0, 0], 1002),
        ] {
            let (mut a, b) = tokio::io::duplex(1 << 16);
            a.write_all(&wire).await.unwrap();
            let mut r = MessageReader::new(b, Vec::new(), true, 1 << 20);
            let e = r.next().await.unwrap_err();
            assert_eq!(e.close_code(), Some(code), "{wire:?}: {e}");
        }
    }

    #[tokio::test]
    async fn writer_frames_shared_payloads_and_a_reader_reads_them_back() {
        let shared = Bytes::from(vec![7u8; 100_000]);
        let msgs = vec![Message::Text("hi".into()), Message::Binary(shared.clone()), Message::Binary(shared), Message::Pong(Bytes::new())];
        let (mut a, b) = tokio::io::duplex(1 << 20);
        assert_eq!(write_messages(&mut a, &msgs, std::future::pending(), Duration::from_secs(1)).await.unwrap(), Written::All);
        write_close(&mut a, 1000, "bye").await.unwrap();
        let mut r = MessageReader::new(b, Vec::new(), false, 1 << 20);
        assert_eq!(r.next().await.unwrap(), Incoming::Text("hi".into()));
        assert_eq!(r.next().await.unwrap(), Incoming::Binary(Bytes::from(vec![7u8; 100_000])));
        assert_eq!(r.next().await.unwrap(), Incoming::Binary(Bytes::from(vec![7u8; 100_000])));
        assert_eq!(r.next().await.unwrap(), Incoming::Pong(Bytes::new()));
        assert_eq!(r.next().await.unwrap(), Incoming::Close(Some((1000, "bye".into()))));
    }

    fn client_frame_rsv(fin: bool, rsv: u8, opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut v = client_frame(fin, opcode, payload);
        v[0] |= rsv << 4;
        v
    }

    fn deflate_reader(wire: Vec<u8>, max: usize) -> MessageReader<tokio::io::DuplexStream> {
        let (mut a, b) = tokio::io::duplex(1 << 20);
        tokio::spawn(async move {
            a.write_all(&wire).await.unwrap();
            // Keep the peer open until the reader is done.
            tokio::time::sleep(Duration::from_secs(5)).await;
            drop(a);
        });
        MessageReader::new(b, Vec::new(), true, max).with_inflater(crate::deflate::Inflater::new(15, false))
    }

    #[tokio::test]
    async fn compressed_messages_whole_and_fragmented_with_context_takeover() {
        let mut d = crate::deflate::Deflater::new(15, 6, 8, false);
        let text = "κόσμε ".repeat(500);
        let c1 = d.compress(text.as_bytes()).unwrap();
        let c2 = d.compress(text.as_bytes()).unwrap();
        let bin = vec![5u8; 70_000];
        let c3 = d.compress(&bin).unwrap();
        let (h1, t1) = c2.split_at(c2.len() / 2);
        let mut wire = client_frame_rsv(true, 4, frame::OP_TEXT, &c1);
        // Fragmented: RSV1 on the first frame only, a ping in between.
        wire.extend(client_frame_rsv(false, 4, frame::OP_TEXT, h1));
        wire.extend(client_frame(true, frame::OP_PING, b"p"));
        wire.extend(client_frame(true, frame::OP_CONTINUATION, t1));
        wire.extend(client_frame_rsv(true, 4, frame::OP_BINARY, &c3));
        // Uncompressed messages still pass on a compressed connection.
        wire.extend(client_frame(true, frame::OP_TEXT, b"plain"));
        let mut r = deflate_reader(wire, 1 << 20);
        assert_eq!(r.next().await.unwrap(), Incoming::Text(text.as_str().into()));
        assert_eq!(r.next().await.unwrap(), Incoming::Ping(Bytes::from_static(b"p")));
        assert_eq!(r.next().await.unwrap(), Incoming::Text(text.as_str().into()));
        assert_eq!(r.next().await.unwrap(), Incoming::Binary(Bytes::from(bin)));
        assert_eq!(r.next().await.unwrap(), Incoming::Text("plain".into()));
        assert!(r.inflater_allocated(), "context takeover keeps the window");
    }

    #[tokio::test]
    async fn rsv1_rules_and_bounded_inflation() {
        let c = crate::deflate::Deflater::new(15, 6, 8, true).compress(&vec![0u8; 4 << 20]).unwrap();
        let bad_utf8 = crate::deflate::Deflater::new(15, 6, 8, true).compress(&[b'a', 0xff]).unwrap();
        for (wire, code) in [
            // A zip bomb: small on the wire, over the limit inflated.
            (client_frame_rsv(true, 4, frame::OP_BINARY, &c), 1009),
            (client_frame_rsv(true, 4, frame::OP_PING, b""), 1002),
            ([client_frame(false, frame::OP_TEXT, b"a"), client_frame_rsv(true, 4, frame::OP_CONTINUATION, b"b")].concat(), 1002),
            (client_frame_rsv(true, 2, frame::OP_TEXT, b"a"), 1002),
            (client_frame_rsv(true, 4, frame::OP_TEXT, &bad_utf8), 1007),
            (client_frame_rsv(true, 4, frame::OP_BINARY, &[0xff, 0xff, 0xff]), 1002),
        ] {
            let mut r = deflate_reader(wire, 1 << 20);
            let e = r.next().await.unwrap_err();
            assert_eq!(e.close_code(), Some(code), "{e}");
        }
        // Without negotiation RSV1 stays a protocol error.
        let (mut a, b) = tokio::io::duplex(1 << 16);
        a.write_all(&client_frame_rsv(true, 4, frame::OP_TEXT, b"x")).await.unwrap();
        let mut r = MessageReader::new(b, Vec::new(), true, 1 << 20);
        assert_eq!(r.next().await.unwrap_err().close_code(), Some(1002));
    }

    #[tokio::test]
    async fn writer_sends_deflated_frames_with_rsv1() {
        let mut d = crate::deflate::Deflater::new(12, 6, 5, true);
        let text = "{\"k\":\"v\"}".repeat(200);
        let payload = Bytes::from(d.compress(text.as_bytes()).unwrap());
        let msgs: Vec<Wire<Message>> = vec![
            Wire::Deflated(Deflated { opcode: frame::OP_TEXT, payload: payload.clone() }),
            Wire::Plain(Message::Binary(Bytes::from_static(b"raw"))),
            Wire::Deflated(Deflated { opcode: frame::OP_TEXT, payload }),
        ];
        let (mut a, b) = tokio::io::duplex(1 << 20);
        assert_eq!(write_messages(&mut a, &msgs, std::future::pending(), Duration::from_secs(1)).await.unwrap(), Written::All);
        let mut r = MessageReader::new(b, Vec::new(), false, 1 << 20).with_inflater(crate::deflate::Inflater::new(12, true));
        assert_eq!(r.next().await.unwrap(), Incoming::Text(text.as_str().into()));
        assert_eq!(r.next().await.unwrap(), Incoming::Binary(Bytes::from_static(b"raw")));
        assert_eq!(r.next().await.unwrap(), Incoming::Text(text.as_str().into()));
    }

    #[tokio::test]
    async fn an_idle_reader_frees_its_inflater_without_client_context_takeover() {
        let c = crate::deflate::Deflater::new(12, 6, 5, true).compress(&vec![b'x'; 5000]).unwrap();
        let (mut a, b) = tokio::io::duplex(1 << 16);
        a.write_all(&client_frame_rsv(true, 4, frame::OP_BINARY, &c)).await.unwrap();
        let mut r = MessageReader::new(b, Vec::new(), true, 1 << 20).with_inflater(crate::deflate::Inflater::new(12, true));
        assert_eq!(r.next().await.unwrap(), Incoming::Binary(Bytes::from(vec![b'x'; 5000])));
        assert!(r.inflater_allocated());
        assert!(tokio::time::timeout(Duration::from_millis(20), r.next()).await.is_err());
        assert!(!r.inflater_allocated(), "the zlib state goes when the socket is quiet");
        assert_eq!(r.buffered_capacity(), 0);
    }
}
