//! The client's opening handshake, done here rather than in tungstenite so that a refusal
//! keeps its status, headers and body, and a server that picks no subprotocol is accepted
//! (RFC 6455 §4.1 allows it; `websockets` and browsers accept it too).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tungstenite::handshake::client::{generate_key, Request};
use tungstenite::handshake::derive_accept_key;

use crate::error::{Error, ErrorCode, Refusal, Result};
use crate::io::BoxedIo;

/// Largest response head accepted.
const MAX_HEAD: usize = 16 << 10;
/// Largest refusal body kept.
const MAX_BODY: usize = 64 << 10;
/// Time allowed for a refusal's body after its head.
const BODY_TIMEOUT: Duration = Duration::from_secs(2);

/// A successful handshake.
pub(super) struct Accepted {
    /// The subprotocol the server chose, if any.
    pub protocol: Option<String>,
    /// Response headers in order.
    pub headers: Vec<(String, String)>,
    /// Bytes read after the response head (the first frames, if the server sent any).
    pub rest: Vec<u8>,
}

/// The request bytes for `request` with a fresh key; returns them and the key.
fn request_bytes(request: &Request) -> (Vec<u8>, String) {
    let key = generate_key();
    let target = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut out = format!("GET {target} HTTP/1.1\r\n");
    for (name, value) in request.headers() {
        if name.as_str() == "sec-websocket-key" {
            continue;
        }
        out.push_str(name.as_str());
        out.push_str(": ");
        out.push_str(&String::from_utf8_lossy(value.as_bytes()));
        out.push_str("\r\n");
    }
    out.push_str("Sec-WebSocket-Key: ");
    out.push_str(&key);
    out.push_str("\r\n\r\n");
    (out.into_bytes(), key)
}

/// Sends the upgrade request and checks the answer.
pub(super) async fn handshake(io: &mut BoxedIo, request: &Request, offered: &[String], url: &str) -> Result<Accepted> {
    let (bytes, key) = request_bytes(request);
    let fail = |m: String| Error::new(ErrorCode::Connect, format!("WebSocket handshake with {url} failed: {m}"));
    io.write_all(&bytes).await.map_err(|e| fail(e.to_string()))?;
    io.flush().await.map_err(|e| fail(e.to_string()))?;

    let mut buf = Vec::with_capacity(1024);
    let (status, reason, headers, head_len) = loop {
        if buf.len() >= MAX_HEAD {
            return Err(fail(format!("response head larger than {MAX_HEAD} bytes")));
        }
        let n = io.read_buf(&mut buf).await.map_err(|e| fail(e.to_string()))?;
        if n == 0 {
            return Err(fail("connection closed during the handshake".into()));
        }
        let mut slots = [httparse::EMPTY_HEADER; 64];
        let mut resp = httparse::Response::new(&mut slots);
        match resp.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let headers: Vec<(String, String)> = resp
                    .headers
                    .iter()
                    .map(|h| (h.name.to_string(), String::from_utf8_lossy(h.value).into_owned()))
                    .collect();
                break (resp.code.unwrap_or(0), resp.reason.unwrap_or("").to_string(), headers, len);
            }
            Ok(httparse::Status::Partial) => continue,
            Err(e) => return Err(fail(format!("malformed HTTP response: {e}"))),
        }
    };
    let header = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let mut rest = buf.split_off(head_len);

    if status != 101 {
        let want = header("content-length").and_then(|v| v.trim().parse::<usize>().ok()).unwrap_or(0).min(MAX_BODY);
        let _ = tokio::time::timeout(BODY_TIMEOUT, async {
            while rest.len() < want {
                match io.read_buf(&mut rest).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        })
        .await;
        rest.truncate(want.max(rest.len().min(MAX_BODY)));
        let message = format!("WebSocket handshake with {url} refused: server answered HTTP {status} {reason}");
        return Err(Error::refused(message, Refusal { status, headers, body: rest }));
    }
    if !header("upgrade").is_some_and(|v| v.trim().eq_ignore_ascii_case("websocket")) {
        return Err(fail("the 101 response lacks \"Upgrade: websocket\"".into()));
    }
    if !header("connection").is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("upgrade"))) {
        return Err(fail("the 101 response lacks \"Connection: upgrade\"".into()));
    }
    if header("sec-websocket-accept").map(str::trim) != Some(derive_accept_key(key.as_bytes()).as_str()) {
        return Err(fail("wrong Sec-WebSocket-Accept in the response".into()));
    }
    let protocol = header("sec-websocket-protocol").map(|p| p.trim().to_string());
    if let Some(p) = &protocol {
        if !offered.contains(p) {
            return Err(fail(format!("the server chose subprotocol {p:?}, which was not offered")));
        }
    }
    Ok(Accepted { protocol, headers, rest })
}
