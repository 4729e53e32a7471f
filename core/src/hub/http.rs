//! The HTTP side of the hub port: reading a request head, WebSocket upgrade checks, and the
//! plain responses (status, metrics, demo page, static files, errors).

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::io::BoxedIo;

/// Largest request head accepted.
const MAX_HEAD: usize = 16 << 10;

/// A parsed request head.
#[derive(Debug)]
pub(crate) struct Request {
    pub method: String,
    /// HTTP minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub version: u8,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    /// Bytes read after the head (the start of the WebSocket stream, normally empty).
    pub rest: Vec<u8>,
}

impl Request {
    /// First value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    /// Whether a comma-separated header contains `token` (case-insensitive).
    pub fn header_has(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .any(|(_, v)| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    }
    /// Whether this asks for a WebSocket upgrade.
    pub fn is_upgrade(&self) -> bool {
        self.header_has("upgrade", "websocket")
    }
}

/// Whether a `Sec-WebSocket-Key` is what RFC 6455 §4.1 asks for: 16 bytes in base64 (24
/// characters, the last two `==`).
pub(crate) fn valid_ws_key(key: &str) -> bool {
    let k = key.trim().as_bytes();
    k.len() == 24 && k.ends_with(b"==") && k[..22].iter().all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
}

/// Decodes the `%XX` escapes of a URL path or query value (RFC 3986: `+` stays `+`).
/// `None` when an escape is malformed (`%` not followed by two hex digits).
pub(crate) fn percent_decode(s: &str) -> Option<Vec<u8>> {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let (hi, lo) = (hex(*b.get(i + 1)?)?, hex(*b.get(i + 2)?)?);
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Why a request head could not be read.
#[derive(Debug)]
pub(crate) enum HeadError {
    /// The peer closed or the socket failed before a full head.
    Io,
    /// Not HTTP, or too large.
    Bad(String),
}

/// Reads and parses one request head.
pub(crate) async fn read_request(io: &mut BoxedIo) -> Result<Request, HeadError> {
    // Read straight into the heap buffer: a stack array here would sit in every connection's
    // task for its whole life (a future is as large as its largest await point).
    let mut buf = Vec::with_capacity(1024);
    loop {
        if buf.len() == buf.capacity() {
            buf.reserve(1024);
        }
        let n = io.read_buf(&mut buf).await.map_err(|_| HeadError::Io)?;
        if n == 0 {
            return Err(HeadError::Io);
        }
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let target = req.path.unwrap_or("/");
                let (path, query) = target.split_once('?').unwrap_or((target, ""));
                let headers = req
                    .headers
                    .iter()
                    .map(|h| (h.name.to_string(), String::from_utf8_lossy(h.value).into_owned()))
                    .collect();
                return Ok(Request {
                    method: req.method.unwrap_or("").to_string(),
                    version: req.version.unwrap_or(0),
                    path: path.to_string(),
                    query: query.to_string(),
                    headers,
                    rest: buf[len..].to_vec(),
                });
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => continue,
            Ok(httparse::Status::Partial) => return Err(HeadError::Bad(format!("request head larger than {MAX_HEAD} bytes"))),
            Err(e) => return Err(HeadError::Bad(format!("malformed HTTP request: {e}"))),
        }
    }
}

/// Writes a complete response and closes the write side.
pub(crate) async fn respond(io: &mut BoxedIo, status: u16, content_type: &str, extra: &[(&str, &str)], body: &[u8], head_only: bool) {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n",
        reason(status),
        body.len()
    );
    for (k, v) in extra {
        head.push_str(k);
        head.push_str(": ");
        head.push_str(v);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let _ = io.write_all(head.as_bytes()).await;
    if !head_only {
        let _ = io.write_all(body).await;
    }
    let _ = io.flush().await;
    let _ = io.shutdown().await;
}

/// The head of a `200 OK` response whose body of `len` bytes follows.
pub(crate) fn ok_head(content_type: &str, len: u64) -> String {
    format!("HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n")
}

/// Writes a plain-text error response.
pub(crate) async fn respond_error(io: &mut BoxedIo, status: u16, message: &str) {
    let body = format!("{status} {}: {message}\n", reason(status));
    respond(io, status, "text/plain; charset=utf-8", &[], body.as_bytes(), false).await;
}

fn reason(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        408 => "Request Timeout",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        426 => "Upgrade Required",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// The `101 Switching Protocols` response for a key.
pub(crate) fn upgrade_response(key: &str, protocol: Option<&str>, extensions: Option<&str>) -> String {
    let accept = tungstenite::handshake::derive_accept_key(key.trim().as_bytes());
    let mut s = format!("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n");
    if let Some(p) = protocol {
        s.push_str("Sec-WebSocket-Protocol: ");
        s.push_str(p);
        s.push_str("\r\n");
    }
    if let Some(e) = extensions {
        s.push_str("Sec-WebSocket-Extensions: ");
        s.push_str(e);
        s.push_str("\r\n");
    }
    s.push_str("\r\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websocket_keys_must_be_16_bytes_of_base64() {
        assert!(valid_ws_key("dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(valid_ws_key(" x3JJHMbDL1EzLkh9GBhXDw== "));
        for bad in ["", "abc", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ!=", "AAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
            assert!(!valid_ws_key(bad), "{bad:?}");
        }
    }

    #[test]
    fn accept_key_matches_rfc_example() {
        assert!(upgrade_response("dGhlIHNhbXBsZSBub25jZQ==", None, None).contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    }
}
