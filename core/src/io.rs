//! The byte stream under a WebSocket: plain TCP or TLS, boxed behind one type.

use tokio::io::{AsyncRead, AsyncWrite};

/// Any stream a WebSocket can run over.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

/// A boxed [`Io`] stream (TCP or TLS over TCP).
pub type BoxedIo = Box<dyn Io>;
