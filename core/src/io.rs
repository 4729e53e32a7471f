//! The byte stream under a WebSocket: plain TCP or TLS over TCP, with adaptive read-ahead.
//!
//! A reader that asks for a few bytes at a time (the HTTP handshake, a quiet connection's
//! message reader) would turn a 1 MiB message into thousands of small `read` syscalls.
//! [`Stream`] therefore switches to a 64 KiB read-ahead buffer while data streams in (a read
//! filled the caller's buffer), serves small reads from memory, and frees the buffer as soon as the socket runs dry: idle connections hold
//! no read-ahead memory at all.

use std::io::{self, Read};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Any stream a WebSocket can run over.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// Size of the read-ahead buffer used while data streams in.
const READ_AHEAD: usize = 64 << 10;

/// The transport under a [`Stream`].
enum Transport {
    /// Plain TCP, inline (no allocation).
    Tcp(TcpStream),
    /// TLS (client or server side) over TCP, or any other boxed stream.
    Boxed(Box<dyn Io>),
}

fn poll_transport_read(io: &mut Transport, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
    match io {
        Transport::Tcp(s) => Pin::new(s).poll_read(cx, buf),
        Transport::Boxed(s) => Pin::new(s).poll_read(cx, buf),
    }
}

/// The stream type used by clients and hubs.
pub struct Stream {
    io: Transport,
    /// Read-ahead bytes (empty, unallocated, unless data is streaming in).
    ahead: Vec<u8>,
    start: usize,
    end: usize,
    /// The last read filled its buffer: more data is probably waiting.
    streaming: bool,
}

/// The stream type used by clients and hubs (kept as an alias for the older name).
pub type BoxedIo = Stream;

impl Stream {
    /// A plain TCP stream.
    pub fn tcp(s: TcpStream) -> Self {
        Stream::new(Transport::Tcp(s))
    }

    /// A TLS stream (or any other stream).
    pub fn boxed(s: impl Io) -> Self {
        Stream::new(Transport::Boxed(Box::new(s)))
    }

    fn new(io: Transport) -> Self {
        Stream { io, ahead: Vec::new(), start: 0, end: 0, streaming: false }
    }

    /// Copies buffered bytes into `buf`; frees the buffer when it is drained after a short fill.
    fn serve_ahead(&mut self, buf: &mut ReadBuf<'_>) {
        let n = (self.end - self.start).min(buf.remaining());
        buf.put_slice(&self.ahead[self.start..self.start + n]);
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            if !self.streaming {
                self.ahead = Vec::new();
            }
        }
    }
}

/// The read half of a split [`Stream`].
pub enum ReadHalf {
    /// Plain TCP (no lock between the halves).
    Tcp(tokio::net::tcp::OwnedReadHalf),
    /// TLS or another boxed stream.
    Boxed(tokio::io::ReadHalf<Box<dyn Io>>),
}

/// A read half for [`crate::frame_io::MessageReader`]: read through tokio (readiness, wakers)
/// or, in raw mode, with a plain non-blocking `recv` that touches neither (a client's waiting
/// host thread reads that way, `client::host_read`; plain TCP only, a raw read of anything
/// else is `Pending`). The hub and the client share the type, so the reader's code exists once.
pub struct ReadIo {
    half: ReadHalf,
    raw: bool,
}

impl ReadIo {
    /// Wraps a read half (tokio mode).
    pub fn new(half: ReadHalf) -> Self {
        ReadIo { half, raw: false }
    }

    /// Plain TCP: raw reads are possible.
    pub(crate) fn raw_readable(&self) -> bool {
        matches!(self.half, ReadHalf::Tcp(_))
    }

    /// Raw mode on or off (the reading thread's choice for its own reads).
    pub(crate) fn set_raw(&mut self, raw: bool) {
        self.raw = raw;
    }
}

impl AsyncRead for ReadIo {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        if !me.raw {
            return Pin::new(&mut me.half).poll_read(cx, buf);
        }
        let ReadHalf::Tcp(tcp) = &me.half else {
            return Poll::Pending;
        };
        let sock = socket2::SockRef::from(tcp.as_ref());
        match (&*sock).read(buf.initialize_unfilled()) {
            Ok(n) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::Interrupted => Poll::Pending,
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}

/// The write half of a split [`Stream`].
pub enum WriteHalf {
    /// Plain TCP (no lock between the halves).
    Tcp(tokio::net::tcp::OwnedWriteHalf),
    /// TLS or another boxed stream.
    Boxed(tokio::io::WriteHalf<Box<dyn Io>>),
}

impl Stream {
    /// Splits the stream for a reader task and a writer task; also returns the bytes read
    /// ahead and not yet consumed.
    pub fn into_split(self) -> (ReadHalf, WriteHalf, Vec<u8>) {
        let leftover = self.ahead[self.start..self.end].to_vec();
        match self.io {
            Transport::Tcp(s) => {
                let (r, w) = s.into_split();
                (ReadHalf::Tcp(r), WriteHalf::Tcp(w), leftover)
            }
            Transport::Boxed(s) => {
                let (r, w) = tokio::io::split(s);
                (ReadHalf::Boxed(r), WriteHalf::Boxed(w), leftover)
            }
        }
    }
}

impl AsyncRead for ReadHalf {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ReadHalf::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            ReadHalf::Boxed(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for WriteHalf {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            WriteHalf::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            WriteHalf::Boxed(s) => Pin::new(s).poll_write(cx, buf),
        }
    }
    fn poll_write_vectored(self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            WriteHalf::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            WriteHalf::Boxed(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }
    fn is_write_vectored(&self) -> bool {
        match self {
            WriteHalf::Tcp(s) => s.is_write_vectored(),
            WriteHalf::Boxed(s) => s.is_write_vectored(),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            WriteHalf::Tcp(s) => Pin::new(s).poll_flush(cx),
            WriteHalf::Boxed(s) => Pin::new(s).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            WriteHalf::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            WriteHalf::Boxed(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_read_unchecked(cx, buf)
    }
}

impl Stream {
    fn poll_read_unchecked(&mut self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self;
        if this.start < this.end {
            this.serve_ahead(buf);
            return Poll::Ready(Ok(()));
        }
        if !this.streaming || buf.remaining() >= READ_AHEAD / 2 {
            // Quiet connection (or a big caller buffer): read straight into the caller's buffer.
            let before = buf.filled().len();
            ready!(poll_transport_read(&mut this.io, cx, buf))?;
            let n = buf.filled().len() - before;
            this.streaming = n > 0 && buf.remaining() == 0 && buf.capacity() < READ_AHEAD / 2;
            return Poll::Ready(Ok(()));
        }
        if this.ahead.is_empty() {
            this.ahead = vec![0; READ_AHEAD];
        }
        let mut rb = ReadBuf::new(&mut this.ahead[..]);
        match poll_transport_read(&mut this.io, cx, &mut rb) {
            Poll::Pending => {
                // Nothing waiting: hold no memory while the connection is idle.
                this.ahead = Vec::new();
                Poll::Pending
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Ready(Ok(())) => {
                let n = rb.filled().len();
                this.streaming = n >= READ_AHEAD / 2;
                if n == 0 {
                    this.ahead = Vec::new();
                    return Poll::Ready(Ok(()));
                }
                this.start = 0;
                this.end = n;
                this.serve_ahead(buf);
                Poll::Ready(Ok(()))
            }
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            Transport::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Transport::Boxed(s) => Pin::new(s).poll_write(cx, buf),
        }
    }
    fn poll_write_vectored(self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            Transport::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Transport::Boxed(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }
    fn is_write_vectored(&self) -> bool {
        match &self.io {
            Transport::Tcp(s) => s.is_write_vectored(),
            Transport::Boxed(s) => s.is_write_vectored(),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Transport::Tcp(s) => Pin::new(s).poll_flush(cx),
            Transport::Boxed(s) => Pin::new(s).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Transport::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Transport::Boxed(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// A connected socket under TLS: TCP or a Unix domain socket. TLS always runs over this one
/// type, so the TLS code is compiled once for both transports (and for the Redis backplane).
pub enum NetStream {
    /// TCP.
    Tcp(TcpStream),
    /// A Unix domain socket.
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
}

macro_rules! net_dispatch {
    ($self:expr, $s:ident => $e:expr) => {
        match $self.get_mut() {
            NetStream::Tcp($s) => $e,
            #[cfg(unix)]
            NetStream::Unix($s) => $e,
        }
    };
}

impl AsyncRead for NetStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        net_dispatch!(self, s => Pin::new(s).poll_read(cx, buf))
    }
}

impl AsyncWrite for NetStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        net_dispatch!(self, s => Pin::new(s).poll_write(cx, buf))
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        net_dispatch!(self, s => Pin::new(s).poll_flush(cx))
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        net_dispatch!(self, s => Pin::new(s).poll_shutdown(cx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn small_reads_of_a_large_stream_arrive_intact_and_idle_holds_no_buffer() {
        let (a, mut b) = tokio::io::duplex(1 << 20);
        let mut s = Stream::boxed(a);
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        b.write_all(&data).await.unwrap();
        let mut got = Vec::new();
        let mut chunk = [0u8; 256];
        while got.len() < data.len() {
            let n = s.read(&mut chunk).await.unwrap();
            assert!(n > 0);
            got.extend_from_slice(&chunk[..n]);
        }
        assert_eq!(got, data);
        assert!(s.streaming || s.ahead.is_empty());
        // Idle: a pending read holds no read-ahead buffer.
        let pending = tokio::time::timeout(std::time::Duration::from_millis(20), s.read(&mut chunk)).await;
        assert!(pending.is_err());
        assert_eq!(s.ahead.capacity(), 0, "an idle stream keeps no read-ahead memory");
        b.write_all(b"tail").await.unwrap();
        drop(b);
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"tail");
    }
}
