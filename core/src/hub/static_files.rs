//! Files from `static_dir` for plain GET and HEAD requests.
//!
//! The URL path is percent-decoded one segment at a time (an encoded `/`, `\`, NUL or `..`
//! is refused, not interpreted), the result is canonicalized (symlinks resolved) and must
//! still lie inside the canonical `static_dir`; only regular files are served (no devices,
//! FIFOs or sockets), and they are streamed with their size as `Content-Length`, never read
//! whole into memory.

use std::path::{Path, PathBuf};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::http::{self, percent_decode};
use crate::io::BoxedIo;

/// Why a static request was not served.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The path is malformed or tries to leave the directory (404 too: nothing is there).
    BadPath,
    /// Nothing servable there (404).
    NotFound,
}

/// The relative path a URL path names, decoded segment by segment; `None` when a segment is
/// malformed or would change the path's structure once decoded.
pub(crate) fn decode_path(url_path: &str) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for raw in url_path.split('/') {
        let seg = String::from_utf8(percent_decode(raw)?).ok()?;
        match seg.as_str() {
            "" | "." => continue,
            ".." => return None,
            s if s.contains(['/', '\\', '\0']) => return None,
            s => out.push(s),
        }
    }
    Some(out)
}

/// The canonical path of the regular file `url_path` names inside `root`, with its size.
pub(crate) async fn resolve(root: &Path, url_path: &str) -> Result<(PathBuf, u64), Refused> {
    let rel = decode_path(url_path).ok_or(Refused::BadPath)?;
    let root = tokio::fs::canonicalize(root).await.map_err(|_| Refused::NotFound)?;
    let mut path = tokio::fs::canonicalize(root.join(&rel)).await.map_err(|_| Refused::NotFound)?;
    if !path.starts_with(&root) {
        return Err(Refused::NotFound);
    }
    let mut meta = tokio::fs::metadata(&path).await.map_err(|_| Refused::NotFound)?;
    if meta.is_dir() {
        path = tokio::fs::canonicalize(path.join("index.html")).await.map_err(|_| Refused::NotFound)?;
        if !path.starts_with(&root) {
            return Err(Refused::NotFound);
        }
        meta = tokio::fs::metadata(&path).await.map_err(|_| Refused::NotFound)?;
    }
    if !meta.is_file() {
        return Err(Refused::NotFound);
    }
    Ok((path, meta.len()))
}

/// Serves `url_path` from `root`; returns why not when it could not.
pub(crate) async fn serve(io: &mut BoxedIo, root: &Path, url_path: &str, head_only: bool) -> Result<(), Refused> {
    let (path, len) = resolve(root, url_path).await?;
    let file = tokio::fs::File::open(&path).await.map_err(|_| Refused::NotFound)?;
    // Checked again on the open file: the path could have been swapped since.
    match file.metadata().await {
        Ok(m) if m.is_file() => {}
        _ => return Err(Refused::NotFound),
    }
    if io.write_all(http::ok_head(content_type(&path), len).as_bytes()).await.is_err() {
        return Ok(());
    }
    if !head_only {
        // At most the announced length, in small chunks (a file that grows meanwhile does not
        // break the response, one that shrinks ends it early).
        let _ = tokio::io::copy(&mut file.take(len), io).await;
    }
    let _ = io.flush().await;
    let _ = io.shutdown().await;
    Ok(())
}

/// A content type from a file extension.
pub(crate) fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "wasm" => "application/wasm",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_decoded_per_segment_and_never_leave_the_root() {
        assert_eq!(decode_path("/a/b.txt"), Some(PathBuf::from("a/b.txt")));
        assert_eq!(decode_path("/my%20file.txt"), Some(PathBuf::from("my file.txt")));
        assert_eq!(decode_path("/./a//b"), Some(PathBuf::from("a/b")));
        for bad in ["/../etc/passwd", "/a/../../x", "/%2e%2e/x", "/a%2fb", "/a%5cb", "/a%00b", "/%zz", "/%", "/%c3%28"] {
            assert_eq!(decode_path(bad), None, "{bad}");
        }
    }
}
