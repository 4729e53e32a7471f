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

/// Largest body a host may answer a plain request with.
pub(crate) const MAX_ANSWER_BODY: usize = 16 << 20;

/// A complete HTTP response the host gives instead of an upgrade.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    /// Reason phrase; empty for the standard one.
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// Checks a host's response: status 200-599, header names are HTTP tokens, no CR, LF or
    /// NUL in values or the reason, a body within [`MAX_ANSWER_BODY`].
    pub(crate) fn new(status: u16, reason: &str, headers: &[(String, String)], body: &[u8]) -> crate::Result<Answer> {
        use crate::Error;
        if !(200..=599).contains(&status) {
            return Err(Error::invalid(format!("response status must be 200-599, got {status}")));
        }
        if bad_text(reason) {
            return Err(Error::invalid("response reason phrase must not contain CR, LF or NUL"));
        }
        check_headers(headers)?;
        if body.len() > MAX_ANSWER_BODY {
            return Err(Error::invalid(format!("response body is {} bytes; at most {MAX_ANSWER_BODY} are sent", body.len())));
        }
        Ok(Answer { status, reason: reason.to_string(), headers: headers.to_vec(), body: body.to_vec() })
    }
}

fn bad_text(s: &str) -> bool {
    s.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0)
}

/// Checks headers a host adds to a response: names are HTTP tokens, values have no CR, LF or NUL.
pub(crate) fn check_headers(headers: &[(String, String)]) -> crate::Result<()> {
    for (k, v) in headers {
        let token = !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !token {
            return Err(crate::Error::invalid(format!("response header name {k:?} is not an HTTP token")));
        }
        if bad_text(v) {
            return Err(crate::Error::invalid(format!("response header {k} must not contain CR, LF or NUL")));
        }
    }
    Ok(())
}

/// Writes a host's response and closes the write side. `Content-Length` is the body's length
/// (a host's own `Content-Length` or `Transfer-Encoding` is replaced); `Connection: close` is
/// added unless the host set `Connection`.
pub(crate) async fn write_answer(io: &mut BoxedIo, a: &Answer, head_only: bool) {
    let phrase = if a.reason.is_empty() { reason(a.status) } else { a.reason.as_str() };
    let mut head = format!("HTTP/1.1 {} {phrase}\r\n", a.status);
    let mut has_connection = false;
    for (k, v) in &a.headers {
        if k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("transfer-encoding") {
            continue;
        }
        has_connection |= k.eq_ignore_ascii_case("connection");
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !has_connection {
        head.push_str("Connection: close\r\n");
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", a.body.len()));
    let _ = io.write_all(head.as_bytes()).await;
    if !head_only {
        let _ = io.write_all(&a.body).await;
    }
    let _ = io.flush().await;
    let _ = io.shutdown().await;
}

fn reason(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        408 => "Request Timeout",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// The `101 Switching Protocols` response for a key, with the negotiated extensions and the
/// host's extra headers (checked by [`check_headers`]; the handshake's own headers cannot be replaced).
pub(crate) fn upgrade_response(key: &str, protocol: Option<&str>, extensions: Option<&str>, extra: &[(String, String)]) -> String {
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
    const OWN: [&str; 5] = ["upgrade", "connection", "sec-websocket-accept", "sec-websocket-protocol", "sec-websocket-extensions"];
    for (k, v) in extra.iter().filter(|(k, _)| !OWN.iter().any(|o| k.eq_ignore_ascii_case(o))) {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    s.push_str("\r\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_answers_are_checked() {
        let h = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
        assert!(Answer::new(200, "", &h("Content-Type", "text/plain"), b"ok").is_ok());
        assert!(Answer::new(302, "Found", &h("Location", "/elsewhere"), b"").is_ok());
        assert!(Answer::new(101, "", &[], b"").is_err());
        assert!(Answer::new(600, "", &[], b"").is_err());
        assert!(Answer::new(200, "O\r\nK", &[], b"").is_err());
        assert!(Answer::new(200, "", &h("Bad Name", "x"), b"").is_err());
        assert!(Answer::new(200, "", &h("X-Split", "a\r\nInjected: 1"), b"").is_err());
        assert!(Answer::new(200, "", &[], &vec![0; MAX_ANSWER_BODY + 1]).is_err());
    }

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
        assert!(upgrade_response("dGhlIHNhbXBsZSBub25jZQ==", None, None, &[]).contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        let extra = vec![("Server".to_string(), "test".to_string()), ("Upgrade".to_string(), "other".to_string())];
        let r = upgrade_response("dGhlIHNhbXBsZSBub25jZQ==", None, None, &extra);
        assert!(r.contains("\r\nServer: test\r\n") && !r.contains("other"), "{r}");
    }
}
