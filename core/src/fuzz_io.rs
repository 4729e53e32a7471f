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

/// Reads every message of a WebSocket byte stream with the client's read path (tungstenite
/// with the frame checks on, small limits) until it ends or fails; returns how many messages
/// were read.
pub async fn read_frames(input: &[u8], server: bool) -> usize {
    use futures_util::StreamExt;
    let mut io = crate::io::Stream::boxed(MemIo::new(input));
    io.check_frames(&mut Vec::new());
    let role = if server { tungstenite::protocol::Role::Server } else { tungstenite::protocol::Role::Client };
    let mut ws = tokio_tungstenite::WebSocketStream::from_raw_socket(io, role, Some(crate::ws::config(256, 16 << 10, 1 << 16))).await;
    let mut n = 0;
    while let Some(m) = ws.next().await {
        match m {
            Ok(_) => n += 1,
            Err(e) => {
                let _ = crate::ws::classify_read_error(&e);
                break;
            }
        }
    }
    n
}
