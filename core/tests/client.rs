//! The client runtime against a real hub and hostile peers: echo, close, line framing,
//! keepalive, reconnect, send queue limit, max message size, wss with a test CA.

mod common;

use std::time::Duration;

use common::*;
use omnisock_core::{Client, ClientConfig, ClientState, ErrorCode, Event, Hub, HubConfig, HubTls, Payload, ReconnectPolicy, RouteConfig, RouteKind};

fn text(e: &Event) -> Option<&str> {
    match e {
        Event::Message { data: Payload::Text(t), .. } => Some(t.as_str()),
        _ => None,
    }
}

async fn open(c: &Client) {
    let e = event_where(c.events(), |e| matches!(e, Event::Open(_) | Event::Close { .. })).await;
    assert!(matches!(e, Event::Open(_)), "expected open, got {e:?}");
    assert_eq!(c.state(), ClientState::Open);
}

async fn closed(c: &Client) -> (u16, String, bool) {
    match event_where(c.events(), |e| matches!(e, Event::Close { .. })).await {
        Event::Close { code, reason, clean, .. } => (code, reason, clean),
        _ => unreachable!(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_round_trip_and_clean_close() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    let mut cfg = ClientConfig::new(url(&hub, "/echo"));
    cfg.headers.push(("X-Test".into(), "1".into()));
    let c = Client::connect(cfg).unwrap();
    open(&c).await;
    c.send_text("ünïcode").unwrap();
    c.send_binary(vec![0u8, 1, 2, 255]).unwrap();
    assert_eq!(text(&next_event(c.events()).await), Some("ünïcode"));
    match next_event(c.events()).await {
        Event::Message { data: Payload::Binary(b), .. } => assert_eq!(&b[..], &[0u8, 1, 2, 255]),
        other => panic!("{other:?}"),
    }
    assert_eq!(c.send_text_bytes(&[0xff, 0xfe]).unwrap_err().code(), ErrorCode::InvalidUtf8);
    assert_eq!(c.close(999, "").unwrap_err().code(), ErrorCode::InvalidArgument);
    assert_eq!(c.close(1000, &"x".repeat(124)).unwrap_err().code(), ErrorCode::InvalidArgument);
    c.close(1000, "done").unwrap();
    assert_eq!(c.close(1000, "again").unwrap_err().code(), ErrorCode::Closed);
    assert_eq!(c.send_text("late").unwrap_err().code(), ErrorCode::Closed);
    let (code, reason, clean) = closed(&c).await;
    assert_eq!((code, reason.as_str(), clean), (1000, "done", true));
    assert_eq!(c.state(), ClientState::Closed);
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_the_hub_starts_is_answered_by_the_client() {
    // With compression negotiated the hub half-closes right after its close frame; the client's
    // answer must still reach it (the hub then reports a clean close).
    for compression in [false, true] {
        let hub = hub_with(&[("/h", RouteKind::Host)], |_| {});
        let mut cfg = ClientConfig::new(url(&hub, "/h"));
        cfg.compression = compression;
        let c = Client::connect(cfg).unwrap();
        open(&c).await;
        let Event::Open(info) = next_event(hub.events()).await else { panic!() };
        hub.close(info.conn, 4005, "kicked").unwrap();
        assert_eq!(closed(&c).await, (4005, "kicked".to_string(), true));
        let e = event_where(hub.events(), |e| matches!(e, Event::Close { .. })).await;
        assert!(
            matches!(e, Event::Close { conn, code: 4005, ref reason, clean: true } if conn == info.conn && reason == "kicked"),
            "compression {compression}: {e:?}"
        );
        hub.shutdown_async().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_code_and_reason_reach_the_host() {
    let hub = hub_with(&[("/h", RouteKind::Host)], |_| {});
    let c = Client::connect(ClientConfig::new(url(&hub, "/h"))).unwrap();
    open(&c).await;
    let Event::Open(info) = next_event(hub.events()).await else { panic!() };
    c.close(4000, "bye").unwrap();
    let e = event_where(hub.events(), |e| matches!(e, Event::Close { .. })).await;
    assert!(matches!(e, Event::Close { conn, code: 4000, ref reason, clean: true } if conn == info.conn && reason == "bye"), "{e:?}");
    assert_eq!(closed(&c).await.0, 4000);
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn line_framing_splits_received_lines_and_terminates_sent_ones() {
    let hub = hub_with(&[("/lines", RouteKind::Host)], |_| {});
    let port = hub.local_addr().port();
    let mdf = format!("Plugin_Remote_Websocket_Host=127.0.0.1\nPlugin_Remote_Websocket_Port={port}\nPlugin_Remote_Websocket_Directory=/lines\n");
    let c = Client::connect(ClientConfig::from_mdf(&mdf).unwrap()).unwrap();
    open(&c).await;
    let Event::Open(info) = next_event(hub.events()).await else { panic!() };
    hub.send(info.conn, Payload::Text("TEST_MESSAGE\nsecond\npart".into())).unwrap();
    hub.send(info.conn, Payload::Text("ial\n".into())).unwrap();
    assert_eq!(text(&next_event(c.events()).await), Some("TEST_MESSAGE"));
    assert_eq!(text(&next_event(c.events()).await), Some("second"));
    assert_eq!(text(&next_event(c.events()).await), Some("partial"));
    c.send_text("hello").unwrap();
    c.send_text("already\n").unwrap();
    let got: Vec<String> = {
        let mut v = Vec::new();
        while v.len() < 2 {
            if let Event::Message { data: Payload::Text(t), .. } = next_event(hub.events()).await {
                v.push(t.to_string());
            }
        }
        v
    };
    assert_eq!(got, vec!["hello\n".to_string(), "already\n".to_string()]);
    hub.shutdown_async().await;
}

/// A server that completes the handshake and then never reads again (a black hole).
async fn black_hole() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            if let Ok(ws) = tokio_tungstenite::accept_async(s).await {
                held.push(ws); // never polled again: no pongs, no reads
            }
        }
    });
    (format!("ws://{addr}/"), task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalive_detects_a_black_holed_peer() {
    let (url, server) = black_hole().await;
    let mut cfg = ClientConfig::new(url);
    cfg.ping_interval = Some(Duration::from_millis(100));
    cfg.pong_timeout = Duration::from_millis(300);
    let c = Client::connect(cfg).unwrap();
    open(&c).await;
    let (code, reason, clean) = closed(&c).await;
    assert_eq!(code, 1006);
    assert!(reason.contains("keepalive timeout"), "{reason}");
    assert!(!clean);
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_queue_limit_refuses_without_closing() {
    let (url, server) = black_hole().await;
    let mut cfg = ClientConfig::new(url);
    cfg.send_queue_limit = 256 << 10;
    let c = Client::connect(cfg).unwrap();
    open(&c).await;
    let chunk = vec![1u8; 16 << 10];
    let mut refused = None;
    // Bounded: kernel buffers absorb a few MiB at most before the queue fills.
    for _ in 0..20_000 {
        if let Err(e) = c.send_binary(chunk.clone()) {
            refused = Some(e);
            break;
        }
        if c.queued_bytes() > (128 << 10) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    let e = refused.expect("the queue fills against a peer that never reads");
    assert_eq!(e.code(), ErrorCode::QueueFull);
    assert!(e.message().contains("limit"), "{e}");
    assert!(c.queued_bytes() <= 256 << 10);
    assert_eq!(c.state(), ClientState::Open, "overflow never closes the socket");
    assert!(c.events().poll(16).iter().all(|e| !matches!(e, Event::Close { .. } | Event::Error { .. })));
    c.abort();
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incoming_message_over_the_limit_closes_with_1009() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    let mut cfg = ClientConfig::new(url(&hub, "/echo"));
    cfg.max_message_size = 1000;
    let c = Client::connect(cfg).unwrap();
    open(&c).await;
    c.send_binary(vec![0u8; 2000]).unwrap();
    let err = event_where(c.events(), |e| matches!(e, Event::Error { .. })).await;
    assert!(matches!(err, Event::Error { code: ErrorCode::MessageTooBig, .. }), "{err:?}");
    assert_eq!(closed(&c).await.0, 1009);
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connection_reports_error_then_close() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let c = Client::connect(ClientConfig::new(format!("ws://127.0.0.1:{port}/x"))).unwrap();
    let e = next_event(c.events()).await;
    assert!(matches!(e, Event::Error { code: ErrorCode::Connect, .. }), "{e:?}");
    assert_eq!(closed(&c).await.0, 1006);
    assert_eq!(Client::connect(ClientConfig::new("http://x")).unwrap_err().code(), ErrorCode::InvalidUrl);
    assert_eq!(Client::connect(ClientConfig::new("not a url")).unwrap_err().code(), ErrorCode::InvalidUrl);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_after_the_hub_restarts() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    let addr = hub.local_addr();
    let mut cfg = ClientConfig::new(url(&hub, "/echo"));
    cfg.reconnect = ReconnectPolicy { initial_delay: Duration::from_millis(20), max_delay: Duration::from_millis(100), ..ReconnectPolicy::backoff(200) };
    let c = Client::connect(cfg).unwrap();
    open(&c).await;
    hub.shutdown_async().await;
    let e = event_where(c.events(), |e| matches!(e, Event::Reconnecting { .. } | Event::Close { .. })).await;
    assert!(matches!(e, Event::Reconnecting { attempt: 1, .. }), "{e:?}");
    // The same port again.
    let mut hc = HubConfig::new(addr.to_string());
    hc.routes = vec![RouteConfig::new("/echo", RouteKind::Echo)];
    let hub2 = Hub::start(hc).unwrap();
    let e = event_where(c.events(), |e| matches!(e, Event::Open(_) | Event::Close { .. })).await;
    assert!(matches!(e, Event::Open(_)), "{e:?}");
    c.send_text("after restart").unwrap();
    let e = event_where(c.events(), |e| text(e).is_some()).await;
    assert_eq!(text(&e), Some("after restart"));
    c.close(1000, "").unwrap();
    closed(&c).await;
    hub2.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_gives_up_after_max_attempts() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cfg = ClientConfig::new(format!("ws://127.0.0.1:{port}/"));
    cfg.reconnect = ReconnectPolicy { initial_delay: Duration::from_millis(5), max_delay: Duration::from_millis(10), ..ReconnectPolicy::backoff(3) };
    let c = Client::connect(cfg).unwrap();
    let mut attempts = Vec::new();
    let (code, reason) = loop {
        match next_event(c.events()).await {
            Event::Reconnecting { attempt, .. } => attempts.push(attempt),
            Event::Close { code, reason, .. } => break (code, reason),
            _ => {}
        }
    };
    assert_eq!(attempts, vec![1, 2, 3]);
    assert_eq!(code, 1006);
    assert!(reason.contains("gave up reconnecting after 3 attempts"), "{reason}");
}

/// A CA and a server certificate for localhost/127.0.0.1 signed by it, as PEM files.
fn test_pki(dir: &std::path::Path) -> (HubTls, Vec<u8>) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "omnisock test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap().signed_by(&key, &ca).unwrap();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
    (HubTls { cert: dir.join("cert.pem"), key: dir.join("key.pem") }, ca.pem().into_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_with_a_test_ca_and_refusal_of_an_unknown_certificate() {
    let dir = std::env::temp_dir().join(format!("omnisock-pki-{}", std::process::id()));
    let (tls, ca_pem) = test_pki(&dir);
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |c| c.tls = Some(tls));
    let wss = format!("wss://localhost:{}/echo", hub.local_addr().port());

    let mut cfg = ClientConfig::new(&wss);
    cfg.tls.extra_ca_pem = ca_pem.clone();
    let c = Client::connect(cfg).unwrap();
    open(&c).await;
    c.send_text("over tls").unwrap();
    assert_eq!(text(&next_event(c.events()).await), Some("over tls"));
    c.close(1000, "").unwrap();
    closed(&c).await;

    // Same URL by IP address (the certificate names 127.0.0.1 too).
    let mut cfg = ClientConfig::new(format!("wss://127.0.0.1:{}/echo", hub.local_addr().port()));
    cfg.tls.extra_ca_pem = ca_pem.clone();
    let c = Client::connect(cfg).unwrap();
    open(&c).await;
    c.abort();

    // An explicit server name is the one checked: a name the certificate lacks is refused
    // although the URL's host matches.
    let mut cfg = ClientConfig::new(&wss);
    cfg.tls.extra_ca_pem = ca_pem.clone();
    cfg.tls.server_name = Some("elsewhere.test".into());
    let c = Client::connect(cfg).unwrap();
    match &next_event(c.events()).await {
        Event::Error { code: ErrorCode::Tls, message, .. } => assert!(message.contains("elsewhere.test"), "{message}"),
        other => panic!("expected a TLS error, got {other:?}"),
    }
    c.abort();
    let mut cfg = ClientConfig::new(format!("wss://127.0.0.1:{}/echo", hub.local_addr().port()));
    cfg.tls.extra_ca_pem = ca_pem.clone();
    cfg.tls.server_name = Some("localhost".into());
    let c = Client::connect(cfg).unwrap();
    open(&c).await;
    c.abort();

    // Without the CA the certificate is refused by default.
    let c = Client::connect(ClientConfig::new(&wss)).unwrap();
    let e = next_event(c.events()).await;
    match &e {
        Event::Error { code: ErrorCode::Tls, message, .. } => assert!(message.to_lowercase().contains("certificate"), "{message}"),
        other => panic!("expected a TLS error, got {other:?}"),
    }
    assert_eq!(closed(&c).await.0, 1006);

    // The loudly named opt-out accepts it.
    let mut cfg = ClientConfig::new(&wss);
    cfg.tls.danger_accept_invalid_certs = true;
    let c = Client::connect(cfg).unwrap();
    open(&c).await;
    c.abort();

    // Bad CA material fails at once.
    let mut cfg = ClientConfig::new(&wss);
    cfg.tls.extra_ca_pem = b"not pem".to_vec();
    assert_eq!(Client::connect(cfg).unwrap_err().code(), ErrorCode::Tls);
    hub.shutdown_async().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wake_fd_is_readable_while_events_are_queued() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    let c = Client::connect(ClientConfig::new(url(&hub, "/echo"))).unwrap();
    let fd = c.events().wake_fd();
    let readable = |fd: i32| {
        let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
        poll_fd(&mut p) > 0
    };
    eventually("event queued", || !c.events().is_empty()).await;
    assert!(readable(fd));
    while !c.events().poll(64).is_empty() {}
    assert!(!readable(fd), "drained queue leaves the fd unreadable");
    c.send_text("ping").unwrap();
    eventually("echo queued", || !c.events().is_empty()).await;
    assert!(readable(fd));
    c.abort();
    hub.shutdown_async().await;
}

fn poll_fd(p: &mut libc::pollfd) -> i32 {
    // SAFETY: one valid pollfd, zero timeout.
    unsafe { libc::poll(p, 1, 0) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_ping_with_payload_reports_the_pong() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    let c = Client::connect(ClientConfig::new(url(&hub, "/echo"))).unwrap();
    open(&c).await;
    c.ping(b"are you there").unwrap();
    assert_eq!(c.ping(&[0u8; 126]).unwrap_err().code(), ErrorCode::InvalidArgument);
    match event_where(c.events(), |e| matches!(e, Event::Pong { .. })).await {
        Event::Pong { payload, .. } => assert_eq!(&payload[..], b"are you there"),
        _ => unreachable!(),
    }
    c.abort();
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fallback_urls_are_tried_in_turn() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cfg = ClientConfig::new(format!("ws://127.0.0.1:{dead}/echo"));
    cfg.fallback_urls = vec![url(&hub, "/echo")];
    cfg.reconnect = ReconnectPolicy { initial_delay: Duration::from_millis(5), max_delay: Duration::from_millis(10), ..ReconnectPolicy::backoff(3) };
    assert_eq!(
        Client::connect(ClientConfig { fallback_urls: vec!["nope".into()], ..cfg.clone() }).unwrap_err().code(),
        ErrorCode::InvalidUrl,
        "every URL is checked up front"
    );
    let c = Client::connect(cfg).unwrap();
    assert!(matches!(next_event(c.events()).await, Event::Error { code: ErrorCode::Connect, .. }));
    assert!(matches!(next_event(c.events()).await, Event::Reconnecting { attempt: 1, .. }));
    open(&c).await;
    c.send_text("via fallback").unwrap();
    assert_eq!(text(&event_where(c.events(), |e| text(e).is_some()).await), Some("via fallback"));
    c.abort();
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_keep_status_and_body_and_no_subprotocol_is_accepted() {
    let hub = hub_with(&[("*", RouteKind::Host)], |c| c.routes[0].host_accepts = true);
    // Offered a subprotocol, the server picks none: still open (RFC 6455 §4.1).
    let mut cfg = ClientConfig::new(url(&hub, "/a"));
    cfg.subprotocols = vec!["chat.v9".into()];
    let c = Client::connect(cfg).unwrap();
    let Event::Handshake(info) = next_event(hub.events()).await else { panic!() };
    hub.accept(info.conn, None).unwrap();
    match event_where(c.events(), |e| matches!(e, Event::Open(_) | Event::Close { .. })).await {
        Event::Open(info) => {
            assert_eq!(info.protocol, None);
            assert!(info.local.starts_with("127.0.0.1:"), "{}", info.local);
        }
        other => panic!("expected open, got {other:?}"),
    }
    c.abort();

    // A refusal arrives with its status, headers and body, then the error and the close.
    let c = Client::connect(ClientConfig::new(url(&hub, "/b"))).unwrap();
    let Event::Handshake(info) = event_where(hub.events(), |e| matches!(e, Event::Handshake(_))).await else { unreachable!() };
    hub.reject(info.conn, 403, "no entry").unwrap();
    match next_event(c.events()).await {
        Event::Rejected(r) => {
            assert_eq!(r.status, 403);
            assert_eq!(r.body, b"no entry".to_vec());
            assert!(r.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")));
        }
        other => panic!("expected rejected, got {other:?}"),
    }
    assert!(matches!(next_event(c.events()).await, Event::Error { code: ErrorCode::HandshakeRejected, .. }));
    assert_eq!(closed(&c).await.0, 1006);
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_any_reports_the_queue_with_events() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    let a = Client::connect(ClientConfig::new(url(&hub, "/echo"))).unwrap();
    let b = Client::connect(ClientConfig::new(url(&hub, "/echo"))).unwrap();
    open(&a).await;
    open(&b).await;
    while !a.events().poll(64).is_empty() || !b.events().poll(64).is_empty() {}
    let (a2, b2) = (a.clone(), b.clone());
    let waiter = tokio::task::spawn_blocking(move || omnisock_core::event::wait_any(&[a2.events(), b2.events()], Duration::from_secs(10)));
    b.send_text("wake b").unwrap();
    assert_eq!(waiter.await.unwrap(), Some(1));
    let (a2, b2) = (a.clone(), b.clone());
    let none = tokio::task::spawn_blocking(move || {
        a2.events().poll(64);
        b2.events().poll(64);
        omnisock_core::event::wait_any(&[a2.events(), b2.events()], Duration::from_millis(50))
    });
    assert_eq!(none.await.unwrap(), None);
    a.abort();
    b.abort();
    hub.shutdown_async().await;
}
