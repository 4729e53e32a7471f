//! Hardening: each test here reproduces one finding of the security review (bad ports, public
//! status, stale handles, oversized sends, static files, CA certificates, silent sockets,
//! RFC 6455 strictness) and holds the fix to it.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use futures_util::StreamExt;
use omnisock_core::handle::Registry;
use omnisock_core::{Client, ClientConfig, ErrorCode, Event, HubTls, Payload, RouteKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use rustls_pki_types::pem::PemObject;
use tungstenite::Message;

/// Sends raw request bytes to the hub and reads the answer (the head only for a 101, the
/// whole answer otherwise); returns (status, head, body).
async fn raw_http(addr: std::net::SocketAddr, request: &str) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(SOON, s.read(&mut byte)).await.expect("answer in time").unwrap();
        assert!(n == 1, "connection closed after {:?}", String::from_utf8_lossy(&buf));
        buf.push(byte[0]);
    }
    if !buf.starts_with(b"HTTP/1.1 101") {
        tokio::time::timeout(SOON, s.read_to_end(&mut buf)).await.expect("answer in time").unwrap();
    }
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete response head");
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let status = head[9..12].parse().unwrap();
    (status, head, buf[split + 4..].to_vec())
}

fn get(path: &str, extra: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n")
}

fn upgrade_request(path: &str, version: &str, connection: Option<&str>, key: Option<&str>, extra: &str) -> String {
    let mut r = format!("GET {path} {version}\r\nHost: x\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n");
    if let Some(c) = connection {
        r.push_str(&format!("Connection: {c}\r\n"));
    }
    if let Some(k) = key {
        r.push_str(&format!("Sec-WebSocket-Key: {k}\r\n"));
    }
    r.push_str(extra);
    r.push_str("\r\n");
    r
}

const GOOD_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("omnisock-hardening-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------------------------------------------------------------- 3: ports out of range

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_out_of_range_is_an_invalid_url_never_the_default_port() {
    for url in ["ws://127.0.0.1:99999/path", "wss://example.com:65536/", "ws://user@localhost:123456/", "ws://[::1]:70000/x", "ws://127.0.0.1:0/"] {
        let e = Client::connect(ClientConfig::new(url)).expect_err(url);
        assert_eq!(e.code(), ErrorCode::InvalidUrl, "{url}: {e}");
        assert!(e.message().contains("port"), "{url}: the error names the port: {e}");
    }
    // A bad fallback URL is refused as well.
    let mut cfg = ClientConfig::new("ws://127.0.0.1:9/");
    cfg.fallback_urls.push("ws://127.0.0.1:65537/".into());
    assert_eq!(Client::connect(cfg).unwrap_err().code(), ErrorCode::InvalidUrl);
    // Valid forms still connect (to a live hub, by port and by IPv6-free default forms).
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    let c = Client::connect(ClientConfig::new(format!("ws://127.0.0.1:{}/echo", hub.local_addr().port()))).unwrap();
    assert!(matches!(event_where(c.events(), |e| matches!(e, Event::Open(_) | Event::Close { .. })).await, Event::Open(_)));
    c.abort();
    hub.shutdown_async().await;
}

// ---------------------------------------------------------------- 4: static files

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_files_stay_inside_the_directory_and_only_regular_files_are_served() {
    let base = temp_dir("static");
    let root = base.join("www");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("my file.txt"), b"spaced").unwrap();
    std::fs::write(root.join("sub/inner.txt"), b"inner").unwrap();
    std::fs::write(base.join("secret.txt"), b"outside").unwrap();
    std::os::unix::fs::symlink(base.join("secret.txt"), root.join("escape.txt")).unwrap();
    std::os::unix::fs::symlink(&base, root.join("up")).unwrap();
    std::os::unix::fs::symlink("/dev/null", root.join("null.txt")).unwrap();
    std::os::unix::fs::symlink(root.join("sub/inner.txt"), root.join("alias.txt")).unwrap();
    let fifo = root.join("pipe.txt");
    let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o644) }, 0);

    let hub = hub_with(&[("/ws", RouteKind::Echo)], |c| c.static_dir = Some(root.clone()));
    let addr = hub.local_addr();
    // Percent-encoded names are decoded.
    let (status, _, body) = raw_http(addr, &get("/my%20file.txt", "")).await;
    assert_eq!((status, body.as_slice()), (200, &b"spaced"[..]));
    assert_eq!(raw_http(addr, &get("/sub/inner.txt", "")).await.2, b"inner");
    // A symlink that stays inside is fine; one that leaves is not.
    assert_eq!(raw_http(addr, &get("/alias.txt", "")).await.2, b"inner");
    for path in ["/escape.txt", "/up/secret.txt", "/null.txt", "/pipe.txt", "/%2e%2e/secret.txt", "/sub%2f..%2f..%2fsecret.txt", "/sub/..%2F..%2Fsecret.txt", "/my%00file.txt", "/%zz", "/sub"] {
        let (status, _, body) = raw_http(addr, &get(path, "")).await;
        assert!(status == 404 || status == 400 || status == 403, "{path}: got {status}");
        assert!(!String::from_utf8_lossy(&body).contains("outside"), "{path} leaked a file outside static_dir");
    }
    hub.shutdown_async().await;
    let _ = std::fs::remove_dir_all(base);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_static_file_is_streamed_not_read_into_memory() {
    let root = temp_dir("huge");
    // A sparse 1 TiB file: reading it whole is impossible, streaming it starts at once.
    let size: u64 = 1 << 40;
    std::fs::File::create(root.join("huge.bin")).unwrap().set_len(size).unwrap();
    let hub = hub_with(&[("/ws", RouteKind::Echo)], |c| c.static_dir = Some(root.clone()));
    let mut s = TcpStream::connect(hub.local_addr()).await.unwrap();
    s.write_all(get("/huge.bin", "").as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 << 10];
    while buf.len() < (1 << 20) {
        let n = tokio::time::timeout(SOON, s.read(&mut chunk)).await.expect("bytes in time").unwrap();
        assert!(n > 0, "the hub closed after {} bytes: {}", buf.len(), String::from_utf8_lossy(&buf[..buf.len().min(300)]));
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf[..buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap()]).to_string();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.to_ascii_lowercase().contains(&format!("content-length: {size}")), "{head}");
    drop(s);
    hub.shutdown_async().await;
    let _ = std::fs::remove_dir_all(root);
}

// ---------------------------------------------------------------- 5: status needs the token

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_metrics_require_the_token_when_one_is_set() {
    let hub = hub_with(&[("/chat", RouteKind::Broadcast)], |c| c.token = Some("s3cret".into()));
    let addr = hub.local_addr();
    for path in ["/_omnisock/status", "/metrics"] {
        let (status, _, body) = raw_http(addr, &get(path, "")).await;
        assert_eq!(status, 401, "{path} without the token");
        assert!(!String::from_utf8_lossy(&body).contains("/chat"), "{path}: a refusal lists no routes");
        assert_eq!(raw_http(addr, &get(&format!("{path}?token=wrong"), "")).await.0, 401, "{path} with a wrong token");
        assert_eq!(raw_http(addr, &get(path, "Authorization: Bearer nope\r\n")).await.0, 401);
        let (status, _, body) = raw_http(addr, &get(&format!("{path}?token=s3cret"), "")).await;
        assert_eq!(status, 200, "{path} with ?token");
        assert!(String::from_utf8_lossy(&body).contains("chat"), "{path} lists the routes");
        assert_eq!(raw_http(addr, &get(path, "Authorization: Bearer s3cret\r\n")).await.0, 200, "{path} with a bearer token");
    }
    hub.shutdown_async().await;
    // Without a token they stay public.
    let hub = hub_with(&[("/chat", RouteKind::Broadcast)], |_| {});
    assert_eq!(raw_http(hub.local_addr(), &get("/_omnisock/status", "")).await.0, 200);
    hub.shutdown_async().await;
}

// ---------------------------------------------------------------- 6: CA certificates

/// A self-signed CA:TRUE certificate for localhost (what `openssl req -x509` makes).
fn self_signed_ca_cert(dir: &Path) -> (HubTls, Vec<u8>) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
    (HubTls { cert: dir.join("cert.pem"), key: dir.join("key.pem") }, cert.pem().into_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ca_certificate_as_server_certificate_is_a_clear_error_at_start_and_at_connect() {
    let dir = temp_dir("ca-as-leaf");
    let (tls, pem) = self_signed_ca_cert(&dir);
    // At hub start.
    let mut cfg = omnisock_core::HubConfig::new("127.0.0.1:0");
    cfg.routes.push(omnisock_core::RouteConfig::new("/echo", RouteKind::Echo));
    cfg.tls = Some(tls.clone());
    let e = omnisock_core::Hub::start(cfg).expect_err("a CA certificate is refused as the server certificate");
    assert_eq!(e.code(), ErrorCode::Tls);
    assert!(e.message().contains("CA"), "names the cause: {e}");
    assert!(e.message().contains("omnisock cert"), "names the fix: {e}");

    // At connect, against a server that presents one anyway.
    let server_config = {
        let certs = omnisock_core::tls::certs_from_pem(&pem).unwrap();
        let key = rustls_pki_types::PrivateKeyDer::from_pem_file(&tls.key).unwrap();
        std::sync::Arc::new(
            rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(certs, key)
                .unwrap(),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let acceptor = tokio_rustls::TlsAcceptor::from(server_config);
        while let Ok((tcp, _)) = listener.accept().await {
            let _ = acceptor.accept(tcp).await;
        }
    });
    let mut cfg = ClientConfig::new(format!("wss://localhost:{port}/echo"));
    cfg.tls.extra_ca_pem = pem;
    let c = Client::connect(cfg).unwrap();
    match event_where(c.events(), |e| matches!(e, Event::Error { .. })).await {
        Event::Error { code: ErrorCode::Tls, message, .. } => {
            assert!(message.contains("CA"), "names the cause: {message}");
            assert!(message.contains("omnisock cert"), "names the fix: {message}");
        }
        other => panic!("expected a TLS error, got {other:?}"),
    }
    server.abort();
    let _ = std::fs::remove_dir_all(dir);
}

// ---------------------------------------------------------------- 7: handle generations

#[test]
fn a_stale_handle_never_reaches_a_new_object_after_the_generation_space_is_used_up() {
    let registry: Registry<u32> = Registry::new(0x7e, "thing");
    let stale = registry.insert(0);
    assert!(registry.remove(stale).is_some());
    // Enough new/free cycles for a 24-bit generation to wrap around (the slot is reused each time).
    for i in 1..=(1u32 << 24) + 1 {
        let h = registry.insert(i);
        assert_ne!(h, stale, "cycle {i}: a freed handle value was issued again");
        registry.remove(h);
    }
    let fresh = registry.insert(42);
    assert_ne!(fresh, stale);
    assert_eq!(registry.get(stale).unwrap_err().code(), ErrorCode::InvalidHandle);
    assert_eq!(*registry.get(fresh).unwrap(), 42);
}

// ---------------------------------------------------------------- 8: oversized sends

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_larger_than_the_send_queue_limit_is_refused_even_when_the_queue_is_empty() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    let mut cfg = ClientConfig::new(url(&hub, "/echo"));
    cfg.send_queue_limit = 1024;
    let c = Client::connect(cfg).unwrap();
    assert!(matches!(event_where(c.events(), |e| matches!(e, Event::Open(_) | Event::Close { .. })).await, Event::Open(_)));
    assert_eq!(c.queued_bytes(), 0);
    let e = c.send_binary(vec![0u8; 1025]).unwrap_err();
    assert_eq!(e.code(), ErrorCode::MessageTooBig, "{e}");
    assert!(e.message().contains("1024"), "the error names the limit: {e}");
    assert_eq!(c.send_text(&"x".repeat(2000)).unwrap_err().code(), ErrorCode::MessageTooBig);
    assert_eq!(c.check_send_len(usize::MAX >> 1).unwrap_err().code(), ErrorCode::MessageTooBig);
    // Exactly the limit still goes.
    c.send_binary(vec![7u8; 1024]).unwrap();
    let got = event_where(c.events(), |e| matches!(e, Event::Message { .. })).await;
    assert!(matches!(got, Event::Message { data: Payload::Binary(b), .. } if b.len() == 1024));
    c.abort();
    hub.shutdown_async().await;
}

// ---------------------------------------------------------------- 10: silent sockets

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_sockets_beyond_the_pending_handshake_cap_are_evicted_oldest_first() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |c| {
        c.max_pending_handshakes = 4;
        c.handshake_timeout = Duration::from_secs(600);
    });
    let mut silent = Vec::new();
    for _ in 0..12 {
        silent.push(TcpStream::connect(hub.local_addr()).await.unwrap());
    }
    // A legitimate client still gets in at once...
    let mut ws = peer(&url(&hub, "/echo")).await;
    send_text(&mut ws, "hello").await;
    assert_eq!(recv_text(&mut ws).await, "hello");
    // ...and the oldest silent sockets were closed by the hub to make room.
    let mut first = silent.remove(0);
    let mut byte = [0u8; 1];
    let r = tokio::time::timeout(SOON, first.read(&mut byte)).await.expect("the oldest silent socket is closed");
    assert!(matches!(r, Ok(0) | Err(_)), "{r:?}");
    eventually("evictions are counted", || hub.counters().handshakes_evicted.get() >= 8).await;
    assert!(hub.metrics_text().contains("omnisock_handshakes_evicted "), "exported in /metrics");
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_socket_is_closed_after_the_handshake_timeout() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |c| c.handshake_timeout = Duration::from_millis(200));
    let mut s = TcpStream::connect(hub.local_addr()).await.unwrap();
    let mut byte = [0u8; 1];
    let r = tokio::time::timeout(SOON, s.read(&mut byte)).await.expect("closed by the hub");
    assert!(matches!(r, Ok(0) | Err(_)), "{r:?}");
    eventually("the timeout is counted", || hub.counters().handshake_timeouts.get() == 1).await;
    hub.shutdown_async().await;
}

#[test]
fn handshake_limits_have_defaults_and_are_read_from_toml() {
    let cfg = omnisock_core::HubConfig::new("127.0.0.1:0");
    assert!(cfg.max_pending_handshakes > 0 && cfg.handshake_timeout > Duration::ZERO);
    let cfg = omnisock_core::HubConfig::from_toml("max_pending_handshakes = 7\nhandshake_timeout = 2.5\n").unwrap();
    assert_eq!(cfg.max_pending_handshakes, 7);
    assert_eq!(cfg.handshake_timeout, Duration::from_millis(2500));
    assert!(omnisock_core::HubConfig::from_toml("max_pending_handshakes = 0").is_err());
    assert!(omnisock_core::HubConfig::from_toml("handshake_timeout = 0").is_err());
}

// ---------------------------------------------------------------- 11: RFC 6455 §4.2.1

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_upgrade_requests_get_400() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    let addr = hub.local_addr();
    let cases = [
        ("empty key", upgrade_request("/echo", "HTTP/1.1", Some("Upgrade"), Some(""), "")),
        ("short key", upgrade_request("/echo", "HTTP/1.1", Some("Upgrade"), Some("abc"), "")),
        ("key of 15 bytes", upgrade_request("/echo", "HTTP/1.1", Some("Upgrade"), Some("AAAAAAAAAAAAAAAAAAAA"), "")),
        ("key not base64", upgrade_request("/echo", "HTTP/1.1", Some("Upgrade"), Some("!!!!!!!!!!!!!!!!!!!!!!=="), "")),
        ("HTTP/1.0", upgrade_request("/echo", "HTTP/1.0", Some("Upgrade"), Some(GOOD_KEY), "")),
        ("no Connection", upgrade_request("/echo", "HTTP/1.1", None, Some(GOOD_KEY), "")),
        ("Connection without upgrade", upgrade_request("/echo", "HTTP/1.1", Some("keep-alive"), Some(GOOD_KEY), "")),
    ];
    for (what, req) in cases {
        let (status, _, _) = raw_http(addr, &req).await;
        assert_eq!(status, 400, "{what}");
    }
    // The well-formed request, with a multi-token Connection header, still upgrades.
    let (status, _, _) = raw_http(addr, &upgrade_request("/echo", "HTTP/1.1", Some("keep-alive, Upgrade"), Some(GOOD_KEY), "")).await;
    assert_eq!(status, 101);
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_scheme_is_case_insensitive_and_query_tokens_are_percent_decoded() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |c| c.token = Some("a+b/c=".into()));
    let addr = hub.local_addr();
    let ok = |extra: &str, path: &str| upgrade_request(path, "HTTP/1.1", Some("Upgrade"), Some(GOOD_KEY), extra);
    assert_eq!(raw_http(addr, &ok("Authorization: bearer a+b/c=\r\n", "/echo")).await.0, 101);
    assert_eq!(raw_http(addr, &ok("Authorization: BEARER   a+b/c=\r\n", "/echo")).await.0, 101);
    assert_eq!(raw_http(addr, &ok("", "/echo?token=a%2Bb%2Fc%3D")).await.0, 101);
    assert_eq!(raw_http(addr, &ok("", "/echo?x=1&token=a%2bb/c%3d")).await.0, 101);
    assert_eq!(raw_http(addr, &ok("", "/echo?token=a%2Bb%2Fc")).await.0, 401);
    assert_eq!(raw_http(addr, &ok("Authorization: Basic a+b/c=\r\n", "/echo")).await.0, 401);
    assert_eq!(raw_http(addr, &ok("", "/echo?token=a b/c=")).await.0, 400, "a space in the request line is malformed");
    hub.shutdown_async().await;
}

/// A masked ping whose 5-byte payload length uses the 16-bit form (126 + 0x0005).
fn ping_with_16_bit_length(masked: bool) -> Vec<u8> {
    let payload = b"hello";
    let mut f = vec![0x89, if masked { 0x80 | 126 } else { 126 }, 0x00, 0x05];
    let mask = [1u8, 2, 3, 4];
    if masked {
        f.extend_from_slice(&mask);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    } else {
        f.extend_from_slice(payload);
    }
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_fails_a_control_frame_with_a_16_bit_length_with_1002() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    let mut s = stalled_peer(&hub, "/echo").await;
    s.write_all(&ping_with_16_bit_length(true)).await.unwrap();
    // The hub answers with a close frame 1002, not a pong.
    let mut head = [0u8; 2];
    tokio::time::timeout(SOON, s.read_exact(&mut head)).await.expect("an answer").unwrap();
    assert_eq!(head[0] & 0x0f, 0x8, "expected a close frame, got opcode {:#x}", head[0] & 0x0f);
    let mut body = vec![0u8; (head[1] & 0x7f) as usize];
    s.read_exact(&mut body).await.unwrap();
    assert_eq!(u16::from_be_bytes([body[0], body[1]]), 1002);
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_fails_a_control_frame_with_a_16_bit_length_with_1002() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        ws.get_mut().write_all(&ping_with_16_bit_length(false)).await.unwrap();
        // Whatever comes back first: a pong means the frame was accepted.
        loop {
            match tokio::time::timeout(SOON, ws.next()).await {
                Ok(Some(Ok(Message::Close(f)))) => return f.map(|f| u16::from(f.code)),
                Ok(Some(Ok(Message::Pong(_)))) => return Some(0),
                Ok(Some(Ok(_))) => continue,
                _ => return None,
            }
        }
    });
    let c = Client::connect(ClientConfig::new(format!("ws://127.0.0.1:{port}/"))).unwrap();
    match event_where(c.events(), |e| matches!(e, Event::Error { .. } | Event::Close { .. })).await {
        Event::Error { code, .. } => assert_eq!(code, ErrorCode::Protocol),
        other => panic!("expected a protocol error, got {other:?}"),
    }
    assert_eq!(server.await.unwrap(), Some(1002), "the client closes with 1002");
}
