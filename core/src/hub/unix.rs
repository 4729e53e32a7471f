//! The hub's listening sockets: TCP and, on Unix-like systems, a Unix domain socket (beside
//! the TCP address or instead of it), accepted by one loop.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use tokio::net::{TcpListener, TcpStream};

#[cfg(unix)]
use crate::error::ErrorCode;
use crate::error::{Error, Result};

#[cfg(unix)]
pub(crate) use tokio::net::{UnixListener, UnixStream};

/// Stand-ins where Unix sockets do not exist: no value of them can be made.
#[cfg(not(unix))]
pub(crate) enum UnixListener {}
#[cfg(not(unix))]
pub(crate) enum UnixStream {}

/// An accepted socket.
pub(crate) enum Socket {
    /// Over TCP, with the peer's address.
    Tcp(TcpStream, SocketAddr),
    /// Over the Unix socket.
    #[cfg_attr(not(unix), allow(dead_code))]
    Unix(UnixStream),
}

/// The hub's listeners.
pub(crate) struct Listeners {
    pub(crate) tcp: Option<TcpListener>,
    pub(crate) unix: Option<(UnixListener, PathBuf)>,
}

impl Listeners {
    /// The next accepted socket of either listener.
    pub(crate) async fn accept(&self) -> io::Result<Socket> {
        tokio::select! {
            r = accept_tcp(self.tcp.as_ref()) => r.map(|(s, a)| Socket::Tcp(s, a)),
            r = accept_unix(self.unix.as_ref().map(|(l, _)| l)) => r.map(Socket::Unix),
        }
    }
}

impl Drop for Listeners {
    /// Removes the socket file the hub created.
    fn drop(&mut self) {
        if let Some((_, path)) = self.unix.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

async fn accept_tcp(l: Option<&TcpListener>) -> io::Result<(TcpStream, SocketAddr)> {
    match l {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

#[cfg(unix)]
async fn accept_unix(l: Option<&UnixListener>) -> io::Result<UnixStream> {
    match l {
        Some(l) => l.accept().await.map(|(s, _)| s),
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn accept_unix(l: Option<&UnixListener>) -> io::Result<UnixStream> {
    match l {
        Some(l) => match *l {},
        None => std::future::pending().await,
    }
}

/// Binds the Unix socket at `path` (inside the runtime). A stale socket file left by a
/// process that is gone is removed first; a socket something still answers on, or a file
/// that is not a socket, is an error (nothing else is ever deleted). The socket gets the
/// process's umask permissions: restrict who may connect with the directory's permissions.
#[cfg(unix)]
pub(crate) fn bind(path: &Path) -> Result<UnixListener> {
    use std::os::unix::fs::FileTypeExt;
    let err = |what: String| Error::new(ErrorCode::Io, format!("cannot listen on the Unix socket {}: {what}", path.display()));
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_socket() {
            return Err(err("a file that is not a socket is in the way".into()));
        }
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(err("another process is listening on it".into()));
        }
        std::fs::remove_file(path).map_err(|e| err(format!("cannot remove the stale socket file: {e}")))?;
    }
    UnixListener::bind(path).map_err(|e| err(e.to_string()))
}

#[cfg(not(unix))]
pub(crate) fn bind(path: &Path) -> Result<UnixListener> {
    Err(Error::invalid(format!("unix = {}: Unix domain sockets are not available on this platform", path.display())))
}
