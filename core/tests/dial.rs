//! The client's way to a server: HTTP proxy (CONNECT), redirects, certificate pins, cookies,
//! credentials in the URL, Unix domain sockets (client and hub), and the path suffix after
//! HTTP 429 (MMDAgent-EX).

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use omnisock_core::{Client, ClientConfig, ErrorCode, Event, HubTls, Payload, ReconnectPolicy, RouteKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn text(e: &Event) -> Option<&str> {
    match e {
        Event::Message { data: Payload::Text(t), .. } => Some(t.as_str()),
        _ => None,
    }
}

/// Waits for Open, or panics with the error that came instead.
async fn open(c: &Client) -> omnisock_core::OpenInfo {
    match event_where(c.events(), |e| matches!(e, Event::Open(_) | Event::Close { .. })).await {
        Event::Open(info) => *info,
        other => panic!("expected open, got {other:?}: {:?}", c.events().poll(16)),
    }
}

/// The first Error event's message (the connection attempt failed).
async fn error_message(c: &Client) -> (ErrorCode, String) {
    match event_where(c.events(), |e| matches!(e, Event::Error { .. } | Event::Open(_))).await {
        Event::Error { code, message, .. } => (code, message),
        other => panic!("expected an error, got {other:?}"),
    }
}

async fn echo(c: &Client, s: &str) {
    c.send_text(s).unwrap();
    assert_eq!(text(&event_where(c.events(), |e| matches!(e, Event::Message { .. })).await), Some(s));
}

/// Reads an HTTP head (up to the blank line) byte by byte.
async fn read_head(s: &mut TcpStream) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        match s.read_u8().await {
            Ok(b) => head.push(b),
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// A tiny HTTP CONNECT proxy that requires `auth` (a `Proxy-Authorization` value) when given.
/// Returns its port and the request heads it saw.
async fn connect_proxy(auth: Option<&'static str>) -> (u16, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let head = read_head(&mut s).await;
                log.lock().unwrap().push(head.clone());
                let target = head.strip_prefix("CONNECT ").and_then(|r| r.split(' ').next()).unwrap_or("").to_string();
                if let Some(a) = auth {
                    if !head.lines().any(|l| l.eq_ignore_ascii_case(&format!("proxy-authorization: {a}"))) {
                        let _ = s.write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n").await;
                        return;
                    }
                }
                let Ok(mut up) = TcpStream::connect(target).await else {
                    let _ = s.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                    return;
                };
                s.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut s, &mut up).await;
            });
        }
    });
    (port, seen)
}

/// A server answering each request with the next of `answers` (the last one repeats) and
/// recording the request heads.
async fn answering_server(answers: Vec<String>) -> (u16, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        let mut i = 0;
        while let Ok((mut s, _)) = l.accept().await {
            let head = read_head(&mut s).await;
            log.lock().unwrap().push(head);
            let answer = answers[i.min(answers.len() - 1)].clone();
            i += 1;
            let _ = s.write_all(answer.as_bytes()).await;
            let _ = s.shutdown().await;
        }
    });
    (port, seen)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_an_http_connect_proxy_with_basic_credentials() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    // "user:p@ss" in base64, as the proxy must see it.
    let (pport, seen) = connect_proxy(Some("Basic dXNlcjpwQHNz")).await;
    let mut cfg = ClientConfig::new(url(&hub, "/echo"));
    cfg.proxy = Some(format!("http://user:p%40ss@127.0.0.1:{pport}"));
    let c = Client::connect(cfg).unwrap();
    let info = open(&c).await;
    assert_eq!(info.remote, format!("127.0.0.1:{pport}"), "the socket goes to the proxy");
    echo(&c, "via proxy").await;
    let head = seen.lock().unwrap()[0].clone();
    assert!(head.starts_with(&format!("CONNECT {} HTTP/1.1\r\n", hub.local_addr())), "{head}");
    c.close(1000, "").unwrap();

    // Wrong credentials: a clear error that never shows the password.
    let mut cfg = ClientConfig::new(url(&hub, "/echo"));
    cfg.proxy = Some(format!("http://user:wrong-secret@127.0.0.1:{pport}"));
    let c = Client::connect(cfg).unwrap();
    let (code, msg) = error_message(&c).await;
    assert_eq!(code, ErrorCode::Connect);
    assert!(msg.contains("407") && !msg.contains("wrong-secret"), "{msg}");
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_followed_up_to_the_limit_and_named_when_not() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    let target = url(&hub, "/echo").replace("ws://", "http://");
    let (port, seen) = answering_server(vec![format!("HTTP/1.1 302 Found\r\nLocation: {target}\r\nContent-Length: 0\r\n\r\n")]).await;
    let start = format!("ws://127.0.0.1:{port}/old");

    let c = Client::connect(ClientConfig::new(&start)).unwrap();
    let (_, msg) = error_message(&c).await;
    assert!(msg.contains(&target) && msg.contains("max_redirects"), "default 0: the error names the Location: {msg}");

    let mut cfg = ClientConfig::new(&start);
    cfg.max_redirects = 3;
    let c = Client::connect(cfg).unwrap();
    let info = open(&c).await;
    assert_eq!(info.path, "/echo");
    echo(&c, "redirected").await;
    c.close(1000, "").unwrap();

    // A relative Location that loops: the limit stops it.
    let (port, seen2) = answering_server(vec!["HTTP/1.1 307 Temporary Redirect\r\nLocation: /again\r\n\r\n".into()]).await;
    let mut cfg = ClientConfig::new(format!("ws://127.0.0.1:{port}/a"));
    cfg.max_redirects = 2;
    let c = Client::connect(cfg).unwrap();
    let (_, msg) = error_message(&c).await;
    assert!(msg.contains("max_redirects = 2"), "{msg}");
    assert_eq!(seen2.lock().unwrap().len(), 3, "the first request and two redirects");
    assert!(seen.lock().unwrap().len() >= 2);
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_and_url_credentials_are_sent_and_kept_for_redirects_and_reconnects() {
    let hub = hub_with(&[("/h", RouteKind::Host)], |_| {});
    let target = url(&hub, "/h");
    let (port, seen) = answering_server(vec![format!(
        "HTTP/1.1 302 Found\r\nSet-Cookie: sid=abc; Path=/\r\nSet-Cookie: gone=1; Max-Age=0\r\nLocation: {target}\r\n\r\n"
    )])
    .await;
    let mut cfg = ClientConfig::new(format!("ws://al%20ice:s3cret@127.0.0.1:{port}/start"));
    cfg.max_redirects = 1;
    cfg.cookies = vec![("lang".into(), "ja".into())];
    cfg.reconnect = ReconnectPolicy { max_attempts: 2, initial_delay: std::time::Duration::from_millis(10), max_delay: std::time::Duration::from_millis(10), multiplier: 1.0, jitter: 0.0 };
    let c = Client::connect(cfg).unwrap();
    open(&c).await;
    let first = seen.lock().unwrap()[0].clone();
    assert_eq!(header(&first, "authorization"), Some("Basic YWwgaWNlOnMzY3JldA=="), "{first}");
    assert_eq!(header(&first, "cookie"), Some("lang=ja"));
    assert_eq!(header(&first, "host"), Some(format!("127.0.0.1:{port}").as_str()), "no credentials in Host");
    let Event::Open(info) = event_where(hub.events(), |e| matches!(e, Event::Open(_))).await else { unreachable!() };
    let cookie = info.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("cookie")).map(|(_, v)| v.as_str());
    assert_eq!(cookie, Some("lang=ja; sid=abc"), "the redirect target gets the cookie set on the way");

    // The hub drops the connection: the reconnect starts over at the first URL, with the cookie.
    hub.close(info.conn, 1001, "bye").unwrap();
    eventually("the reconnect reaches the redirecting server again", || seen.lock().unwrap().len() >= 2).await;
    let second = seen.lock().unwrap()[1].clone();
    assert_eq!(header(&second, "cookie"), Some("lang=ja; sid=abc"), "{second}");
    let debug = format!("{:?} {c:?}", c.events().poll(64));
    assert!(!debug.contains("s3cret"), "credentials never appear in events or the client's Debug: {debug}");
    hub.shutdown_async().await;
}

/// A CA and a server certificate for localhost signed by it; also returns both DER forms.
fn test_pki(dir: &std::path::Path) -> (HubTls, Vec<u8>, Vec<u8>, Vec<u8>) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "omnisock pin test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string()]).unwrap().signed_by(&key, &ca).unwrap();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
    (HubTls { cert: dir.join("cert.pem"), key: dir.join("key.pem") }, ca.pem().into_bytes(), cert.der().to_vec(), ca.der().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_pins_pass_on_a_chain_key_and_fail_listing_the_chain() {
    use omnisock_core::tls::pins::certificate_pin;
    let dir = std::env::temp_dir().join(format!("omnisock-pins-{}", std::process::id()));
    let (tls, ca_pem, leaf_der, ca_der) = test_pki(&dir);
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |c| c.tls = Some(tls));
    let wss = format!("wss://localhost:{}/echo", hub.local_addr().port());
    let (leaf_pin, ca_pin) = (certificate_pin(&leaf_der).unwrap(), certificate_pin(&ca_der).unwrap());
    let wrong = format!("sha256/{}", "A".repeat(43) + "=");

    for (pattern, pin) in [("localhost", &leaf_pin), ("**.localhost", &ca_pin), ("other.example", &wrong)] {
        let mut cfg = ClientConfig::new(&wss);
        cfg.tls.extra_ca_pem = ca_pem.clone();
        cfg.certificate_pins = vec![(pattern.into(), wrong.clone()), (pattern.into(), pin.clone())];
        let c = Client::connect(cfg).unwrap();
        open(&c).await;
        echo(&c, "pinned").await;
        c.close(1000, "").unwrap();
    }

    let mut cfg = ClientConfig::new(&wss);
    cfg.tls.extra_ca_pem = ca_pem.clone();
    cfg.certificate_pins = vec![("localhost".into(), wrong.clone())];
    let c = Client::connect(cfg).unwrap();
    let (code, msg) = error_message(&c).await;
    assert_eq!(code, ErrorCode::Tls);
    assert!(msg.contains("Certificate pinning failure"), "{msg}");
    assert!(msg.contains(&leaf_pin) && msg.contains(&ca_pin) && msg.contains(&wrong), "the chain's pins and the configured ones are listed: {msg}");

    // Pins never replace verification: a right pin on an unknown CA, or on a host name the
    // certificate does not cover, still fails.
    for (url, ca, pattern) in [(wss.clone(), None, "localhost"), (wss.replace("localhost", "127.0.0.1"), Some(ca_pem.clone()), "127.0.0.1")] {
        let mut cfg = ClientConfig::new(&url);
        cfg.tls.extra_ca_pem = ca.unwrap_or_default();
        cfg.certificate_pins = vec![(pattern.into(), leaf_pin.clone())];
        let c = Client::connect(cfg).unwrap();
        let (code, msg) = error_message(&c).await;
        assert_eq!(code, ErrorCode::Tls);
        assert!(msg.contains("UnknownIssuer") || msg.contains("NotValidForName"), "{msg}");
    }

    // wss through an HTTP CONNECT proxy, pinned.
    let (pport, seen) = connect_proxy(None).await;
    let mut cfg = ClientConfig::new(&wss);
    cfg.tls.extra_ca_pem = ca_pem.clone();
    cfg.certificate_pins = vec![("localhost".into(), leaf_pin.clone())];
    cfg.proxy = Some(format!("http://127.0.0.1:{pport}"));
    let c = Client::connect(cfg).unwrap();
    open(&c).await;
    echo(&c, "tls through the tunnel").await;
    assert!(seen.lock().unwrap()[0].starts_with(&format!("CONNECT localhost:{} ", hub.local_addr().port())));
    c.close(1000, "").unwrap();

    let bad = ClientConfig { certificate_pins: vec![("localhost".into(), "sha1/xyz".into())], ..ClientConfig::new(&wss) };
    assert!(Client::connect(bad).unwrap_err().to_string().contains("sha256/"));
    hub.shutdown_async().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unix_sockets_for_the_hub_and_the_client_ws_and_wss() {
    let dir = std::env::temp_dir().join(format!("omnisock-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("hub.sock");
    // A stale socket file (its listener is gone) is replaced.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let toml = format!("unix = {:?}\n[[route]]\npath = \"/echo\"\nkind = \"echo\"\n", path.display().to_string());
    let hub = omnisock_core::Hub::start(omnisock_core::HubConfig::from_toml(&toml).unwrap()).unwrap();
    assert_eq!(hub.local_addr().port(), 0, "no TCP listener when only a Unix socket is configured");

    let mut cfg = ClientConfig::new("ws://localhost/echo");
    cfg.unix_socket = Some(path.clone());
    let c = Client::connect(cfg).unwrap();
    let info = open(&c).await;
    assert_eq!(info.remote, path.display().to_string());
    echo(&c, "over a unix socket").await;
    c.close(1000, "").unwrap();

    // A second hub on a socket in use is refused, and nothing is deleted.
    let mut again = omnisock_core::HubConfig::new("");
    again.unix = Some(path.clone());
    assert!(omnisock_core::Hub::start(again).unwrap_err().to_string().contains("another process"));
    hub.shutdown_async().await;
    assert!(!path.exists(), "the hub removes its socket file");

    // wss over a Unix socket, next to a TCP listener.
    let (tls, ca_pem, _, _) = test_pki(&dir.join("pki"));
    let tls_path = dir.join("tls.sock");
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |c| {
        c.tls = Some(tls);
        c.unix = Some(tls_path.clone());
    });
    let mut cfg = ClientConfig::new("wss://localhost/echo");
    cfg.unix_socket = Some(tls_path.clone());
    cfg.tls.extra_ca_pem = ca_pem;
    let c = Client::connect(cfg).unwrap();
    open(&c).await;
    echo(&c, "tls over a unix socket").await;
    c.close(1000, "").unwrap();
    hub.shutdown_async().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_429_retries_with_a_numbered_path_when_asked() {
    let (port, seen) = answering_server(vec!["HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n".into()]).await;
    let mut cfg = ClientConfig::new(format!("ws://127.0.0.1:{port}/chat?k=v"));
    cfg.too_many_requests_path_suffix = true;
    cfg.reconnect = ReconnectPolicy { max_attempts: 3, initial_delay: std::time::Duration::from_millis(5), max_delay: std::time::Duration::from_millis(5), multiplier: 1.0, jitter: 0.0 };
    let c = Client::connect(cfg).unwrap();
    event_where(c.events(), |e| matches!(e, Event::Close { .. })).await;
    let paths: Vec<String> = seen.lock().unwrap().iter().map(|h| h.split(' ').nth(1).unwrap_or("").to_string()).collect();
    assert_eq!(paths, ["/chat?k=v", "/chat-1?k=v", "/chat-2?k=v", "/chat-3?k=v"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_from_the_environment_with_no_proxy() {
    // Only this test sets these variables, and only clients with proxy_from_env read them.
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    let (pport, seen) = connect_proxy(None).await;
    std::env::set_var("HTTP_PROXY", format!("http://127.0.0.1:{pport}"));
    std::env::remove_var("http_proxy");
    std::env::remove_var("no_proxy");
    std::env::remove_var("NO_PROXY");
    let c = Client::connect(ClientConfig::new(url(&hub, "/echo"))).unwrap();
    open(&c).await;
    assert!(seen.lock().unwrap().is_empty(), "proxy_from_env is off by default");
    c.close(1000, "").unwrap();

    let cfg = ClientConfig { proxy_from_env: true, ..ClientConfig::new(url(&hub, "/echo")) };
    let c = Client::connect(cfg.clone()).unwrap();
    assert_eq!(open(&c).await.remote, format!("127.0.0.1:{pport}"));
    assert_eq!(seen.lock().unwrap().len(), 1);
    c.close(1000, "").unwrap();

    std::env::set_var("no_proxy", "example.com, 127.0.0.1");
    let c = Client::connect(cfg).unwrap();
    assert_eq!(open(&c).await.remote, hub.local_addr().to_string(), "no_proxy lists the host: direct");
    assert_eq!(seen.lock().unwrap().len(), 1);
    c.close(1000, "").unwrap();
    std::env::remove_var("HTTP_PROXY");
    std::env::remove_var("no_proxy");
    hub.shutdown_async().await;
}
