//! An in-memory stream for the fuzz targets: reads come from a byte buffer (then EOF), writes
//! are discarded, so a peer's answers (pongs, close frames, refusals) never block.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Reads `input`, then EOF; swallows writes.
pub struct MemIo {
    input: Vec<u8>,
    pos: usize,
}

impl MemIo {
    /// A stream whose peer sent exactly `input` and then closed.
    pub fn new(input: &[u8]) -> Self {
        MemIo { input: input.to_vec(), pos: 0 }
    }
}

impl AsyncRead for MemIo {
    fn poll_read(mut self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let n = (self.input.len() - self.pos).min(buf.remaining());
        let start = self.pos;
        buf.put_slice(&self.input[start..start + n]);
        self.pos += n;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for MemIo {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Reads every message of a WebSocket byte stream with omnisock's read path (the client's when
/// `server` is false: frames must be unmasked; small limits) until it ends or fails; returns how
/// many messages were read.
pub async fn read_frames(input: &[u8], server: bool) -> usize {
    let mut reader = crate::frame_io::MessageReader::new(MemIo::new(input), Vec::new(), server, 1 << 16);
    let mut n = 0;
    while let Ok(_m) = reader.next().await {
        n += 1;
    }
    n
}
