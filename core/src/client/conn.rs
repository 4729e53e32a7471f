//! One open client connection: omnisock's own message loop over [`crate::frame_io`] in the
//! client role (frames from the server arrive unmasked; every frame sent is masked with a fresh
//! random key), with keepalive, the closing handshake and the send queue.
//!
//! A reader loop (this task) turns frames into events; a writer task drains the send queue,
//! coalescing many queued messages into one socket write and one flush. With permessage-deflate
//! negotiated, messages from `compression_threshold` bytes go out compressed (RSV1) and
//! compressed messages are inflated, bounded by `max_message_size` (1009 beyond it).

use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, Mutex as AsyncMutex};
use tokio::time::{sleep_until, timeout, Instant};
use tungstenite::Message;

use super::session::End;
use super::{Command, LineSplitter, Shared};
use crate::error::ErrorCode;
use crate::event::{Event, Payload};
use crate::frame;
use crate::deflate::{Deflater, Params, Role};
use crate::frame_io::{Incoming, MessageReader, ReadError, RSV1};
use crate::io::{ReadIo, Stream, WriteHalf};
use super::host_read::SharedReader;
use crate::ws;

/// Most bytes written between two flushes when coalescing queued messages.
const COALESCE_BYTES: usize = 256 << 10;
/// Bytes of masked frames collected before they are handed to the socket; a larger payload is
/// masked and written in pieces of this size, so sending never copies a whole large message.
const OUT_CHUNK: usize = 64 << 10;
/// A write buffer larger than this after a flush is freed (an idle client keeps none large).
const KEEP_OUT_BUFFER: usize = 16 << 10;
/// Time the writer gets to put a close frame on the wire after a protocol error.
const ERROR_CLOSE_GRACE: Duration = Duration::from_millis(500);

/// Control messages from the reader to the writer.
enum Ctl {
    /// A keepalive ping (empty payload).
    Ping,
    /// Answer a ping of the server.
    Pong(bytes::Bytes),
    /// Send a close frame and stop writing.
    Close(u16, String),
}

/// Hands a control frame to the writer, counted in the direct path's `pending`: a message the
/// host sends after this point (an echo of a message that arrived after a ping) must not
/// overtake the pong.
fn control(shared: &Shared, ctl_tx: &mpsc::UnboundedSender<Ctl>, c: Ctl) {
    let mut d = shared.direct();
    if ctl_tx.send(c).is_ok() {
        d.pending += 1;
    }
}

/// Builds masked client frames into a buffer and writes them to the socket.
struct FrameWriter {
    /// The write half while this writer holds it; over plain TCP it is parked in
    /// `Shared::direct` between batches (the direct send path uses it then).
    io: Option<WriteHalf>,
    /// The write half is parked between batches (plain TCP).
    parks: bool,
    buf: Vec<u8>,
    /// permessage-deflate was negotiated: data messages of at least `threshold` bytes go out
    /// compressed.
    deflater: Option<Deflater>,
    threshold: usize,
}

impl FrameWriter {
    /// Takes the parked write half before writing.
    fn acquire(&mut self, shared: &Shared) -> io::Result<()> {
        if self.io.is_none() {
            let tcp = shared.direct().io.take().ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "the socket is gone"))?;
            self.io = Some(WriteHalf::Tcp(tcp));
        }
        Ok(())
    }

    /// Parks the write half again after a batch, with `done` queued commands fully written.
    fn release(&mut self, shared: &Shared, done: usize) {
        let mut d = shared.direct();
        d.pending = d.pending.saturating_sub(done);
        if self.parks {
            if let Some(WriteHalf::Tcp(tcp)) = self.io.take() {
                d.io = Some(tcp);
            }
        }
    }

    fn io(&mut self) -> io::Result<&mut WriteHalf> {
        self.io.as_mut().ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "the socket is gone"))
    }

    /// Appends a frame header with a fresh random mask; returns the mask.
    fn header(&mut self, rsv: u8, opcode: u8, len: usize) -> [u8; 4] {
        let mask: [u8; 4] = rand::random();
        let mut h = [0u8; frame::MAX_HEADER];
        let n = frame::encode_header(&mut h, true, rsv, opcode, len, Some(mask));
        self.buf.extend_from_slice(&h[..n]);
        mask
    }

    /// Appends `payload` masked; `offset` is where it starts in its frame's payload.
    fn put_masked(&mut self, payload: &[u8], mask: [u8; 4], offset: usize) {
        let start = self.buf.len();
        self.buf.extend_from_slice(payload);
        frame::apply_mask(&mut self.buf[start..], mask, offset);
    }

    /// Appends a control frame (payload at most 125 bytes, checked by the callers).
    fn control(&mut self, opcode: u8, payload: &[u8]) {
        super::direct::encode_frame(&mut self.buf, 0, opcode, payload);
    }

    /// Appends a close frame; 1005 goes out with an empty payload.
    fn close(&mut self, code: u16, reason: &str) {
        let payload = if code == ws::CLOSE_NO_STATUS { Vec::new() } else { frame::close_payload(code, reason) };
        self.control(frame::OP_CLOSE, &payload);
    }

    /// Appends a data message as one frame, writing to the socket whenever a chunk is full.
    async fn message(&mut self, msg: &Message) -> io::Result<()> {
        let (opcode, payload): (u8, &[u8]) = match msg {
            Message::Text(t) => (frame::OP_TEXT, t.as_bytes()),
            Message::Binary(b) => (frame::OP_BINARY, b),
            Message::Ping(p) => {
                self.control(frame::OP_PING, p);
                return Ok(());
            }
            Message::Pong(p) => {
                self.control(frame::OP_PONG, p);
                return Ok(());
            }
            Message::Close(_) | Message::Frame(_) => return Ok(()),
        };
        let compressed = match self.deflater.as_mut() {
            Some(d) if payload.len() >= self.threshold => Some(d.compress(payload).map_err(io::Error::other)?),
            _ => None,
        };
        let (rsv, payload) = match &compressed {
            Some(c) => (RSV1, c.as_slice()),
            None => (0, payload),
        };
        let mask = self.header(rsv, opcode, payload.len());
        let mut offset = 0;
        for chunk in payload.chunks(OUT_CHUNK) {
            self.put_masked(chunk, mask, offset);
            offset += chunk.len();
            if self.buf.len() >= OUT_CHUNK {
                self.write_out().await?;
            }
        }
        Ok(())
    }

    async fn write_out(&mut self) -> io::Result<()> {
        let buf = std::mem::take(&mut self.buf);
        let r = self.io()?.write_all(&buf).await;
        self.buf = buf;
        self.buf.clear();
        r
    }

    /// Writes what is buffered and flushes the socket (TLS records included).
    async fn flush(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.write_out().await?;
        }
        self.io()?.flush().await?;
        if self.buf.capacity() > KEEP_OUT_BUFFER {
            self.buf = Vec::new();
        }
        if let Some(d) = self.deflater.as_mut() {
            // Without context takeover the compressor's memory goes between batches.
            d.idle();
        }
        Ok(())
    }
}

/// Runs one open connection (`io` after a successful handshake, `rest` the bytes read past the
/// response head) until it ends.
/// `deflate`: the negotiated permessage-deflate parameters, if any.
pub(super) async fn run(
    shared: &Arc<Shared>,
    io: Stream,
    rest: Vec<u8>,
    deflate: Option<Params>,
    rx: &Arc<AsyncMutex<mpsc::UnboundedReceiver<Command>>>,
) -> End {
    let (read_half, write_half, ahead) = io.into_split();
    let mut leftover = rest;
    leftover.extend_from_slice(&ahead);
    let cfg = &shared.config;
    let mut reader = MessageReader::new(ReadIo::new(read_half), leftover, false, cfg.max_message_size);
    if let Some(p) = &deflate {
        reader = reader.with_inflater(p.inflater(Role::Client));
    }
    // Shared with the host's spinning wait, which reads data messages itself (host_read).
    let reader = SharedReader::new(shared, reader, !cfg.line_framing);
    shared.events.set_host_drive(Some(reader.clone()));
    let _host_access = HostAccess { shared, reader: reader.clone() };
    let (ctl_tx, ctl_rx) = mpsc::unbounded_channel();
    let deflater = deflate.map(|p| p.deflater(Role::Client, &cfg.compression_options.settings()));
    let queue = rx.clone().lock_owned().await;
    let (io, parks) = {
        // Open the direct send path (plain TCP): what is queued already stays ahead of it.
        let mut d = shared.direct();
        d.pending = queue.len();
        d.compress_from = if deflater.is_some() { cfg.compression_threshold } else { usize::MAX };
        match write_half {
            WriteHalf::Tcp(tcp) => {
                d.io = Some(tcp);
                (None, true)
            }
            other => (Some(other), false),
        }
    };
    let out = FrameWriter { io, parks, buf: Vec::new(), deflater, threshold: cfg.compression_threshold };
    let mut writer = tokio::spawn(writer(shared.clone(), out, queue, ctl_rx));
    // The write half of a writer that stopped after its close frame, kept open until the
    // connection ends: dropping it would half-close the TCP connection before the server's
    // close frame arrives.
    let mut _stopped_writer: Option<FrameWriter> = None;
    let mut writer_done = false;
    // Our close frame is on the wire (sent by the writer, which then stopped).
    let mut close_sent = false;
    let mut lines = cfg.line_framing.then(LineSplitter::default);
    let mut last_rx = Instant::now();
    let mut ping_sent: Option<Instant> = None;
    let mut close_deadline: Option<Instant> = None;
    let mut peer_close: Option<(u16, String)> = None;
    let far = Instant::now() + Duration::from_secs(86400 * 365);
    // One timer for keepalive and the close deadline, re-armed when it fires or a close starts
    // (never per message).
    let timer = sleep_until(cfg.ping_interval.map_or(far, |i| last_rx + i));
    tokio::pin!(timer);
    let end = loop {
        tokio::select! {
            msg = reader.next() => {
                last_rx = Instant::now();
                if matches!(msg, Ok(Incoming::Text(_) | Incoming::Binary(_))) {
                    shared.answered.set();
                }
                match msg {
                    // After the server's close frame nothing more is delivered (RFC 6455 §5.5.1).
                    Ok(Incoming::Text(_) | Incoming::Binary(_) | Incoming::Ping(_) | Incoming::Pong(_)) if peer_close.is_some() => {}
                    Ok(Incoming::Text(t)) => match lines.as_mut() {
                        Some(splitter) => {
                            for line in splitter.feed(&t) {
                                shared.events.push(Event::Message { conn: 0, data: Payload::Text(line.into()) }).await;
                            }
                        }
                        None => shared.events.push(Event::Message { conn: 0, data: Payload::Text(t) }).await,
                    },
                    Ok(Incoming::Binary(b)) => shared.events.push(Event::Message { conn: 0, data: Payload::Binary(b) }).await,
                    Ok(Incoming::Ping(p)) => {
                        control(shared, &ctl_tx, Ctl::Pong(p));
                    }
                    Ok(Incoming::Pong(p)) => {
                        if !p.is_empty() {
                            shared.events.push_now(Event::Pong { conn: 0, payload: p });
                        }
                    }
                    Ok(Incoming::Close(c)) => {
                        reader.stop_host_reads();
                        if peer_close.is_none() {
                            let (code, reason) = c.unwrap_or((ws::CLOSE_NO_STATUS, String::new()));
                            if !close_sent {
                                // Echo the server's code and reason (RFC 6455 §5.5.1); the writer
                                // stops after it.
                                control(shared, &ctl_tx, Ctl::Close(code, reason.clone()));
                            }
                            peer_close = Some((code, reason));
                            let d = *close_deadline.get_or_insert(Instant::now() + cfg.close_timeout);
                            timer.as_mut().reset(d);
                        }
                    }
                    Err(ReadError::Eof) | Err(ReadError::Io(_)) if peer_close.is_some() => {
                        if !writer_done {
                            // The server half-closed right after its close frame: the answer
                            // (queued for the writer) still goes out before the connection ends.
                            let _ = timeout(ERROR_CLOSE_GRACE, &mut writer).await;
                            writer_done = true;
                        }
                        let (c, r) = peer_close.take().expect("checked");
                        break End { code: c, reason: r, clean: true };
                    }
                    Err(e) => {
                        let message = e.to_string();
                        let kind = match &e {
                            ReadError::Protocol(_) => ErrorCode::Protocol,
                            ReadError::TooBig(_) => ErrorCode::MessageTooBig,
                            ReadError::Utf8(_) => ErrorCode::InvalidUtf8,
                            ReadError::Io(_) | ReadError::Eof => ErrorCode::Io,
                        };
                        if let Some(code) = e.close_code() {
                            shared.events.push_now(Event::Error { conn: 0, code: kind, message: message.clone() });
                            if !writer_done && !close_sent {
                                control(shared, &ctl_tx, Ctl::Close(code, message.clone()));
                                // Give the writer a moment to put the close frame on the wire.
                                let _ = timeout(ERROR_CLOSE_GRACE, &mut writer).await;
                                writer_done = true;
                            }
                            break End { code, reason: message, clean: false };
                        }
                        break End { code: ws::CLOSE_ABNORMAL, reason: message, clean: false };
                    }
                }
            }
            w = &mut writer, if !writer_done => {
                writer_done = true;
                match w {
                    Ok((out, Ok(()))) => {
                        _stopped_writer = Some(out);
                        close_sent = true;
                        let d = *close_deadline.get_or_insert(Instant::now() + cfg.close_timeout);
                        timer.as_mut().reset(d);
                    }
                    Ok((_, Err(msg))) => {
                        break match peer_close.take() {
                            Some((c, r)) => End { code: c, reason: r, clean: true },
                            None => End { code: ws::CLOSE_ABNORMAL, reason: msg, clean: false },
                        };
                    }
                    Err(_) => break End { code: ws::CLOSE_ABNORMAL, reason: "writer stopped".into(), clean: false },
                }
            }
            _ = &mut timer => {
                let now = Instant::now();
                if let Some(at) = reader.host_rx_at() {
                    last_rx = last_rx.max(at);
                }
                if close_deadline.is_some_and(|d| now >= d) {
                    // Both close frames went out: the handshake is complete even if the server
                    // keeps the TCP connection open.
                    let clean = close_sent && peer_close.is_some();
                    let (code, reason) = peer_close.take().unwrap_or((ws::CLOSE_ABNORMAL, format!("no close frame from the peer within {:?}", cfg.close_timeout)));
                    break End { code, reason, clean };
                }
                let mut next = close_deadline.unwrap_or(far);
                if let Some(interval) = cfg.ping_interval {
                    if ping_sent.is_some_and(|sent| last_rx >= sent) {
                        ping_sent = None;
                    }
                    match ping_sent {
                        Some(sent) if now >= sent + cfg.pong_timeout => {
                            let reason = format!("keepalive timeout: no pong within {:?}", cfg.pong_timeout);
                            shared.events.push_now(Event::Error { conn: 0, code: ErrorCode::Timeout, message: reason.clone() });
                            break End { code: ws::CLOSE_ABNORMAL, reason, clean: false };
                        }
                        Some(sent) => next = next.min(sent + cfg.pong_timeout),
                        None if now >= last_rx + interval => {
                            control(shared, &ctl_tx, Ctl::Ping);
                            ping_sent = Some(now);
                            next = next.min(now + cfg.pong_timeout);
                        }
                        None => next = next.min(last_rx + interval),
                    }
                }
                timer.as_mut().reset(next);
            }
        }
    };
    if let Some(splitter) = lines.as_mut() {
        if let Some(tail) = splitter.finish() {
            shared.events.push_now(Event::Message { conn: 0, data: Payload::Text(tail.into()) });
        }
    }
    if !writer_done {
        writer.abort();
    }
    end
}

/// The host's ways into the socket (the direct send path's write half, the host read), taken
/// away when the connection ends however it ends: also when the task is aborted or the runtime
/// stops, so the socket is closed then and not kept until the client handle is freed. Sends
/// then queue up for the next connection, if any.
struct HostAccess<'a> {
    shared: &'a Shared,
    reader: Arc<SharedReader>,
}

impl Drop for HostAccess<'_> {
    fn drop(&mut self) {
        self.reader.stop_host_reads();
        self.shared.events.set_host_drive(None);
        self.shared.direct().io = None;
    }
}

/// Runs [`write_queue`] and hands the socket's write half back with its result.
async fn writer(
    shared: Arc<Shared>,
    mut out: FrameWriter,
    rx: tokio::sync::OwnedMutexGuard<mpsc::UnboundedReceiver<Command>>,
    ctl: mpsc::UnboundedReceiver<Ctl>,
) -> (FrameWriter, std::result::Result<(), String>) {
    let r = write_queue(&shared, &mut out, rx, ctl).await;
    (out, r)
}

/// Writes queued messages, coalescing many into one flush. Returns Ok after sending a close
/// frame, Err(reason) when writing failed.
async fn write_queue(
    shared: &Shared,
    out: &mut FrameWriter,
    mut rx: tokio::sync::OwnedMutexGuard<mpsc::UnboundedReceiver<Command>>,
    mut ctl: mpsc::UnboundedReceiver<Ctl>,
) -> std::result::Result<(), String> {
    let io_err = |e: io::Error| format!("send failed: {e}");
    loop {
        let first = tokio::select! {
            biased;
            c = ctl.recv() => match c {
                Some(Ctl::Ping) => {
                    out.acquire(shared).map_err(io_err)?;
                    out.control(frame::OP_PING, &[]);
                    out.flush().await.map_err(io_err)?;
                    out.release(shared, 1);
                    continue;
                }
                Some(Ctl::Pong(p)) => {
                    out.acquire(shared).map_err(io_err)?;
                    out.control(frame::OP_PONG, &p);
                    out.flush().await.map_err(io_err)?;
                    out.release(shared, 1);
                    continue;
                }
                Some(Ctl::Close(code, reason)) => {
                    out.acquire(shared).map_err(io_err)?;
                    out.close(code, &reason);
                    let _ = out.flush().await;
                    return Ok(());
                }
                None => return Ok(()),
            },
            c = rx.recv() => match c {
                Some(c) => c,
                None => return Ok(()),
            },
        };
        out.acquire(shared).map_err(io_err)?;
        let mut next = Some(first);
        let mut written = 0usize;
        let mut done = 0usize;
        while let Some(cmd) = next.take() {
            done += 1;
            match cmd {
                Command::Send(msg, len) => {
                    shared.queued_bytes.fetch_sub(len, Ordering::AcqRel);
                    out.message(&msg).await.map_err(io_err)?;
                    written += len;
                }
                Command::Raw(bytes, len) => {
                    shared.queued_bytes.fetch_sub(len, Ordering::AcqRel);
                    out.buf.extend_from_slice(&bytes);
                    written += len;
                }
                Command::Ping(payload) => out.control(frame::OP_PING, &payload),
                Command::Close(code, reason) => {
                    out.close(code, &reason);
                    out.flush().await.map_err(io_err)?;
                    return Ok(());
                }
            }
            if written < COALESCE_BYTES {
                next = rx.try_recv().ok();
            }
        }
        out.flush().await.map_err(io_err)?;
        out.release(shared, done);
    }
}
