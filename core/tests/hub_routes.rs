//! Hub route kinds, host events and actions, groups, status and metrics.

mod common;

use common::*;
use futures_util::SinkExt;
use omnisock_core::{ErrorCode, Event, Payload, RouteKind};
use std::time::Duration;
use tungstenite::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_returns_text_and_binary_unchanged() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    let mut a = peer(&url(&hub, "/echo")).await;
    send_text(&mut a, "héllo").await;
    assert_eq!(recv_text(&mut a).await, "héllo");
    let bin: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    a.send(Message::binary(bin.clone())).await.unwrap();
    assert_eq!(recv(&mut a).await, Message::binary(bin));
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_reaches_everyone_including_sender_and_relay_skips_sender() {
    let hub = hub_with(&[("/chat", RouteKind::Broadcast), ("/relay", RouteKind::Relay)], |_| {});
    let mut a = peer(&url(&hub, "/chat")).await;
    let mut b = peer(&url(&hub, "/chat")).await;
    eventually("2 on chat", || hub.connection_count() == 2).await;
    send_text(&mut a, "to all").await;
    assert_eq!(recv_text(&mut a).await, "to all");
    assert_eq!(recv_text(&mut b).await, "to all");

    let mut r1 = peer(&url(&hub, "/relay")).await;
    let mut r2 = peer(&url(&hub, "/relay")).await;
    let mut r3 = peer(&url(&hub, "/relay")).await;
    eventually("5 connections", || hub.connection_count() == 5).await;
    send_text(&mut r1, "from r1").await;
    assert_eq!(recv_text(&mut r2).await, "from r1");
    assert_eq!(recv_text(&mut r3).await, "from r1");
    // r1 must not get its own message: r2 sends a marker, r1's next message is that marker.
    send_text(&mut r2, "marker").await;
    assert_eq!(recv_text(&mut r1).await, "marker");
    // And the chat route never saw relay traffic.
    send_text(&mut b, "chat-marker").await;
    assert_eq!(recv_text(&mut a).await, "chat-marker");
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_route_reports_events_and_host_actions_work() {
    let hub = hub_with(&[("/host", RouteKind::Host)], |_| {});
    let req = tungstenite::client::IntoClientRequest::into_client_request(format!("{}?room=7", url(&hub, "/host"))).unwrap();
    let mut req = req;
    req.headers_mut().insert("x-app", "seed-001".parse().unwrap());
    let (mut a, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let open = next_event(hub.events()).await;
    let Event::Open(info) = open else { panic!("expected open, got {open:?}") };
    assert_eq!(info.path, "/host");
    assert_eq!(info.query, "room=7");
    assert!(info.remote.starts_with("127.0.0.1:"));
    assert!(info.headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("x-app") && v == "seed-001"));
    let id_a = info.conn;
    assert_ne!(id_a, 0);

    let mut b = peer(&url(&hub, "/host")).await;
    let Event::Open(info_b) = next_event(hub.events()).await else { panic!() };
    let id_b = info_b.conn;
    assert_ne!(id_a, id_b);

    // Seed 001: "client1/hello" goes only to client1 — the host reads and addresses.
    send_text(&mut a, "hello from a").await;
    match next_event(hub.events()).await {
        Event::Message { conn, data: Payload::Text(t) } => {
            assert_eq!(conn, id_a);
            assert_eq!(t.as_str(), "hello from a");
        }
        other => panic!("expected message, got {other:?}"),
    }
    hub.send(id_b, Payload::Text(format!("Your ID is: {id_b}").into())).unwrap();
    assert_eq!(recv_text(&mut b).await, format!("Your ID is: {id_b}"));

    // Groups: join, publish except, leave.
    hub.join(id_a, "room").unwrap();
    hub.join(id_b, "room").unwrap();
    hub.join(id_b, "room").unwrap(); // idempotent
    assert_eq!(hub.group_size("room"), 2);
    assert_eq!(hub.publish("room", Payload::Text("all".into()), None).unwrap(), 2);
    assert_eq!(recv_text(&mut a).await, "all");
    assert_eq!(recv_text(&mut b).await, "all");
    assert_eq!(hub.publish("room", Payload::Text("not a".into()), Some(id_a)).unwrap(), 1);
    assert_eq!(recv_text(&mut b).await, "not a");
    assert!(hub.leave(id_b, "room").unwrap());
    assert_eq!(hub.group_size("room"), 1);
    assert_eq!(hub.publish("room", Payload::Binary(vec![1, 2, 3].into()), None).unwrap(), 1);
    assert_eq!(recv(&mut a).await, Message::binary(vec![1u8, 2, 3]));
    // b got neither of the last two: the next thing b sees is a direct send.
    hub.send(id_b, Payload::Text("direct".into())).unwrap();
    assert_eq!(recv_text(&mut b).await, "direct");

    // Route broadcast from the host.
    assert_eq!(hub.broadcast("/host", Payload::Text("everyone".into()), Some(id_b)).unwrap(), 1);
    assert_eq!(recv_text(&mut a).await, "everyone");
    assert_eq!(hub.broadcast("/nope", Payload::Text("x".into()), None).unwrap_err().code(), ErrorCode::NotFound);

    // Host closes a; a sees the code, the host sees the close event with it.
    hub.close(id_a, 4002, "bye").unwrap();
    match recv(&mut a).await {
        Message::Close(Some(f)) => {
            assert_eq!(u16::from(f.code), 4002);
            assert_eq!(f.reason.as_str(), "bye");
        }
        other => panic!("expected close, got {other:?}"),
    }
    // Let the peer finish the closing handshake.
    while let Ok(Some(_)) = tokio::time::timeout(SOON, futures_util::StreamExt::next(&mut a)).await {}
    let close = event_where(hub.events(), |e| matches!(e, Event::Close { .. })).await;
    assert!(matches!(close, Event::Close { conn, code: 4002, clean: true, .. } if conn == id_a), "{close:?}");
    assert_eq!(hub.group_size("room"), 0, "a closed connection leaves its groups");
    assert_eq!(hub.send(id_a, Payload::Text("late".into())).unwrap_err().code(), ErrorCode::NotFound);

    // Client-initiated close with code and reason reaches the host.
    b.close(Some(tungstenite::protocol::CloseFrame { code: 4001.into(), reason: "done".into() })).await.unwrap();
    let close = event_where(hub.events(), |e| matches!(e, Event::Close { .. })).await;
    match close {
        Event::Close { conn, code, reason, clean } => {
            assert_eq!((conn, code, reason.as_str(), clean), (id_b, 4001, "done", true));
        }
        _ => unreachable!(),
    }
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_ids_are_never_reused() {
    let hub = hub_with(&[("/h", RouteKind::Host)], |_| {});
    let mut seen = std::collections::HashSet::new();
    for _ in 0..20 {
        let ws = peer(&url(&hub, "/h")).await;
        let Event::Open(info) = event_where(hub.events(), |e| matches!(e, Event::Open(_))).await else { unreachable!() };
        assert!(seen.insert(info.conn), "id {} reused", info.conn);
        drop(ws);
    }
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_metrics_on_the_same_port() {
    let hub = hub_with(&[("/chat", RouteKind::Broadcast)], |_| {});
    let mut a = peer(&url(&hub, "/chat")).await;
    send_text(&mut a, "x").await;
    recv_text(&mut a).await;
    let (code, body) = http_get(&hub, "/_omnisock/status").await;
    assert_eq!(code, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["connections"], 1);
    assert_eq!(v["routes"][0]["path"], "/chat");
    assert_eq!(v["routes"][0]["connections"], 1);
    assert_eq!(v["counters"]["messages_in"], 1);
    let (code, body) = http_get(&hub, "/metrics").await;
    assert_eq!(code, 200);
    assert!(body.contains("omnisock_connections 1"), "{body}");
    assert!(body.contains("# TYPE omnisock_messages_in counter"));
    assert_eq!(http_get(&hub, "/nothing").await.0, 404);
    // A WebSocket handshake to an unknown path is refused with 404.
    let err = tokio_tungstenite::connect_async(url(&hub, "/nope")).await.unwrap_err();
    assert!(matches!(err, tungstenite::Error::Http(ref r) if r.status() == 404), "{err:?}");
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_files_are_served_and_cannot_escape_the_root() {
    let dir = std::env::temp_dir().join(format!("omnisock-static-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<h1>hi</h1>").unwrap();
    let d = dir.clone();
    let hub = hub_with(&[("/echo", RouteKind::Echo)], move |c| c.static_dir = Some(d));
    assert_eq!(http_get(&hub, "/").await, (200, "<h1>hi</h1>".to_string()));
    assert_eq!(http_get(&hub, "/../../etc/passwd").await.0, 404);
    hub.shutdown_async().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_sends_1001() {
    let hub = hub_with(&[("/chat", RouteKind::Broadcast)], |_| {});
    let mut a = peer(&url(&hub, "/chat")).await;
    eventually("connected", || hub.connection_count() == 1).await;
    let h2 = hub.clone();
    let stopper = tokio::spawn(async move { h2.shutdown_async().await });
    match recv(&mut a).await {
        Message::Close(Some(f)) => assert_eq!(u16::from(f.code), 1001),
        other => panic!("expected close 1001, got {other:?}"),
    }
    drop(a);
    tokio::time::timeout(SOON, stopper).await.unwrap().unwrap();
    assert_eq!(hub.connection_count(), 0);
    assert!(tokio_tungstenite::connect_async(url(&hub, "/chat")).await.is_err(), "no new connections after shutdown");
    assert_eq!(hub.publish("g", Payload::Text("x".into()), None).unwrap_err().code(), ErrorCode::Shutdown);
    let _ = Duration::ZERO;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fallback_route_subprotocols_and_host_accepts() {
    let hub = hub_with(&[("/echo", RouteKind::Echo), ("*", RouteKind::Host)], |c| {
        c.routes[1].subprotocols = vec!["chat.v2".into(), "chat.v1".into()];
        c.routes[1].host_accepts = true;
    });
    // Any path lands on the fallback; the host sees the handshake and accepts it.
    let mut req = tungstenite::client::IntoClientRequest::into_client_request(url(&hub, "/any/path?x=1")).unwrap();
    req.headers_mut().insert("sec-websocket-protocol", "chat.v1, chat.v2".parse().unwrap());
    let connecting = tokio::spawn(tokio_tungstenite::connect_async(req));
    let Event::Handshake(info) = next_event(hub.events()).await else { panic!("expected handshake") };
    assert_eq!((info.path.as_str(), info.query.as_str()), ("/any/path", "x=1"));
    assert_eq!(info.protocol.as_deref(), Some("chat.v1"), "first offered protocol the route speaks");
    hub.accept(info.conn, None).unwrap();
    let (mut ws, resp) = connecting.await.unwrap().unwrap();
    assert_eq!(resp.headers().get("sec-websocket-protocol").unwrap(), "chat.v1");
    let Event::Open(open) = next_event(hub.events()).await else { panic!("expected open") };
    assert_eq!(open.conn, info.conn);
    assert_eq!(open.protocol.as_deref(), Some("chat.v1"));
    send_text(&mut ws, "hi").await;
    assert!(matches!(next_event(hub.events()).await, Event::Message { .. }));
    // /echo still has its own route.
    let mut e = peer(&url(&hub, "/echo")).await;
    send_text(&mut e, "e").await;
    assert_eq!(recv_text(&mut e).await, "e");

    // A rejected handshake gets the host's status; a second answer is refused.
    let connecting = tokio::spawn(tokio_tungstenite::connect_async(url(&hub, "/private")));
    let Event::Handshake(info) = next_event(hub.events()).await else { panic!() };
    hub.reject(info.conn, 403, "no entry").unwrap();
    let err = connecting.await.unwrap().unwrap_err();
    assert!(matches!(err, tungstenite::Error::Http(ref r) if r.status() == 403), "{err:?}");
    assert_eq!(hub.accept(info.conn, None).unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(hub.reject(1, 200, "").unwrap_err().code(), ErrorCode::InvalidArgument);
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_ping_pong_and_paused_reading() {
    let hub = hub_with(&[("/h", RouteKind::Host)], |_| {});
    let mut ws = peer(&url(&hub, "/h")).await;
    let Event::Open(info) = next_event(hub.events()).await else { panic!() };
    hub.ping(info.conn, b"p1").unwrap();
    assert_eq!(hub.ping(info.conn, &[0u8; 126]).unwrap_err().code(), ErrorCode::InvalidArgument);
    // The peer answers pings while it reads; send something so it polls.
    let reader = tokio::spawn(async move {
        while let Some(Ok(_)) = futures_util::StreamExt::next(&mut ws).await {}
    });
    match next_event(hub.events()).await {
        Event::Pong { conn, payload } => {
            assert_eq!(conn, info.conn);
            assert_eq!(&payload[..], b"p1");
        }
        other => panic!("expected pong, got {other:?}"),
    }
    reader.abort();

    let mut ws = peer(&url(&hub, "/h")).await;
    let Event::Open(info) = event_where(hub.events(), |e| matches!(e, Event::Open(_))).await else { unreachable!() };
    hub.pause_reading(info.conn).unwrap();
    send_text(&mut ws, "held").await;
    // While paused, nothing is read from the connection.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let during = hub.events().poll(64);
    assert!(!during.iter().any(|e| matches!(e, Event::Message { .. })), "a paused connection was read: {during:?}");
    hub.resume_reading(info.conn).unwrap();
    match event_where(hub.events(), |e| matches!(e, Event::Message { .. })).await {
        Event::Message { data, .. } => assert_eq!(data.as_bytes(), b"held"),
        _ => unreachable!(),
    }
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_keepalive_closes_a_silent_connection_with_1011() {
    let hub = hub_with(&[("/h", RouteKind::Host)], |c| {
        c.ping_interval = Some(Duration::from_millis(100));
        c.pong_timeout = Duration::from_millis(200);
    });
    // A peer that never reads never answers pings.
    let _stalled = stalled_peer(&hub, "/h").await;
    let close = event_where(hub.events(), |e| matches!(e, Event::Close { .. })).await;
    match close {
        Event::Close { code, reason, .. } => {
            assert_eq!(code, 1011);
            assert!(reason.contains("keepalive"), "{reason}");
        }
        _ => unreachable!(),
    }
    // A peer that reads (and so answers pings) stays connected across several intervals.
    let mut ws = peer(&url(&hub, "/h")).await;
    let reader = tokio::spawn(async move { while let Some(Ok(_)) = futures_util::StreamExt::next(&mut ws).await {} });
    let Event::Open(info) = event_where(hub.events(), |e| matches!(e, Event::Open(_))).await else { unreachable!() };
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(hub.send(info.conn, Payload::Text("still here".into())).is_ok());
    reader.abort();
    hub.shutdown_async().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_requests_reach_a_host_accepts_route() {
    let hub = hub_with(&[("/plain", RouteKind::Host), ("*", RouteKind::Host)], |c| {
        c.routes[1].host_accepts = true;
    });
    // A health check: the host answers 200 with its own header and body.
    let getting = tokio::spawn({
        let addr = hub.local_addr();
        async move { raw_get(addr, "/healthz?probe=1").await }
    });
    let Event::Handshake(info) = next_event(hub.events()).await else { panic!("expected the plain request as a handshake") };
    assert_eq!((info.path.as_str(), info.query.as_str()), ("/healthz", "probe=1"));
    let headers = vec![("X-Check".to_string(), "fine".to_string()), ("Content-Length".to_string(), "999".to_string())];
    hub.respond(info.conn, 200, "", &headers, b"OK\n").unwrap();
    let answer = getting.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.contains("X-Check: fine\r\n"), "{answer}");
    assert!(answer.contains("Content-Length: 3\r\n") && !answer.contains("999"), "the body's own length: {answer}");
    assert!(answer.ends_with("\r\n\r\nOK\n"), "{answer}");

    // A redirect with a custom reason phrase.
    let getting = tokio::spawn({
        let addr = hub.local_addr();
        async move { raw_get(addr, "/old").await }
    });
    let Event::Handshake(info) = next_event(hub.events()).await else { panic!() };
    hub.respond(info.conn, 302, "Moved Along", &[("Location".into(), "/new".into())], b"").unwrap();
    let answer = getting.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 302 Moved Along\r\n") && answer.contains("Location: /new\r\n"), "{answer}");

    // Accepting a plain request answers as a WebSocket endpoint does.
    let getting = tokio::spawn({
        let addr = hub.local_addr();
        async move { raw_get(addr, "/ws").await }
    });
    let Event::Handshake(info) = next_event(hub.events()).await else { panic!() };
    assert_eq!(hub.respond(info.conn, 200, "", &[("Bad Name".into(), "x".into())], b"").unwrap_err().code(), ErrorCode::InvalidArgument);
    assert_eq!(hub.respond(info.conn, 101, "", &[], b"").unwrap_err().code(), ErrorCode::InvalidArgument);
    hub.accept(info.conn, None).unwrap();
    assert!(getting.await.unwrap().starts_with("HTTP/1.1 426 "));

    // Routes without host_accepts and the hub's own pages keep the hub's answers.
    assert_eq!(http_get(&hub, "/plain").await.0, 426);
    assert_eq!(http_get(&hub, "/_omnisock/status").await.0, 200);
    hub.shutdown_async().await;
}

/// A GET over a raw socket; the whole answer as text.
async fn raw_get(addr: std::net::SocketAddr, target: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await.unwrap().unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_shutdown_stops_accepting_without_waiting() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    let mut a = peer(&url(&hub, "/echo")).await;
    hub.start_shutdown();
    assert!(hub.is_shut_down());
    match recv(&mut a).await {
        Message::Close(Some(f)) => assert_eq!(u16::from(f.code), 1001),
        other => panic!("expected close 1001, got {other:?}"),
    }
    let addr = hub.local_addr();
    eventually("the listener to close", || std::net::TcpStream::connect(addr).is_err()).await;
    drop(a);
    hub.shutdown_async().await;
    eventually("no connection left", || hub.connection_count() == 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_accepting_closes_the_listener_and_keeps_open_connections() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    let addr = hub.local_addr();
    let mut a = peer(&url(&hub, "/echo")).await;
    hub.stop_accepting();
    eventually("listener closed", || std::net::TcpStream::connect(addr).is_err()).await;
    send_text(&mut a, "still open").await;
    assert_eq!(recv_text(&mut a).await, "still open");
    assert_eq!(hub.connection_count(), 1);
    hub.shutdown_async().await;
}
