//! A client whose host thread waits right after sending: the wait spins and reads the socket
//! itself (client/host_read.rs). Order, control frames, back-pressure and the close must be
//! exactly as when the connection task reads.

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures_util::{SinkExt, StreamExt};
use omnisock_core::{Client, ClientConfig, Event, Payload, QueueLimits, RouteKind};
use tokio::net::TcpListener;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::CloseFrame;
use tungstenite::Message;

/// Waits (blocking, as a host does) for the next event.
fn wait_event(c: &Client, buf: &mut std::collections::VecDeque<Event>) -> Event {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(e) = buf.pop_front() {
            return e;
        }
        assert!(Instant::now() < deadline, "no event within 20 s");
        c.events().wait(Duration::from_millis(500));
        buf.extend(c.events().poll(64));
    }
}

fn text_of(e: &Event) -> String {
    match e {
        Event::Message { data: Payload::Text(t), .. } => t.as_str().to_owned(),
        other => panic!("expected a text message, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_arrives_in_order_with_pings_and_pongs_between_and_the_close_is_the_tasks() {
    const ROUNDS: usize = 300;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // The server answers each request "k" with "k-1", a ping, an unsolicited pong and "k-2",
    // counts the client's pongs, and ends with a close of its own.
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        let (mut pongs, mut requests) = (0usize, 0usize);
        while requests < ROUNDS {
            match ws.next().await.expect("client stayed").unwrap() {
                Message::Text(k) => {
                    requests += 1;
                    ws.feed(Message::text(format!("{k}-1"))).await.unwrap();
                    ws.feed(Message::Ping(format!("p{k}").into_bytes().into())).await.unwrap();
                    ws.feed(Message::Pong(b"unasked".to_vec().into())).await.unwrap();
                    ws.feed(Message::text(format!("{k}-2"))).await.unwrap();
                    ws.flush().await.unwrap();
                }
                Message::Pong(p) => {
                    assert!(p.starts_with(b"p"), "the pong echoes the ping's payload");
                    pongs += 1;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        // Pongs of the last pings still come in before the close.
        while pongs < ROUNDS {
            match tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("pongs").unwrap().unwrap() {
                Message::Pong(_) => pongs += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        ws.close(Some(CloseFrame { code: CloseCode::from(4000), reason: "done".into() })).await.unwrap();
        while let Some(Ok(_)) = ws.next().await {}
        pongs
    });
    let c = Client::connect(ClientConfig::new(format!("ws://{addr}/"))).unwrap();
    let host = tokio::task::spawn_blocking(move || {
        let mut buf = Default::default();
        assert!(matches!(wait_event(&c, &mut buf), Event::Open(_)));
        for k in 0..ROUNDS {
            c.send_text(&k.to_string()).unwrap();
            assert_eq!(text_of(&wait_event(&c, &mut buf)), format!("{k}-1"));
            match wait_event(&c, &mut buf) {
                Event::Pong { payload, .. } => assert_eq!(&payload[..], b"unasked", "the pong between the two messages"),
                other => panic!("expected the pong between {k}-1 and {k}-2, got {other:?}"),
            }
            assert_eq!(text_of(&wait_event(&c, &mut buf)), format!("{k}-2"));
        }
        match wait_event(&c, &mut buf) {
            Event::Close { code, reason, clean, .. } => {
                assert_eq!((code, reason.as_str(), clean), (4000, "done", true));
            }
            other => panic!("expected the server's close, got {other:?}"),
        }
        c.messages_read_by_host()
    });
    let by_host = host.await.unwrap();
    assert_eq!(server.await.unwrap(), ROUNDS, "every ping was answered");
    eprintln!("{by_host} of {} messages read by the host", 2 * ROUNDS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_event_queue_holds_the_socket_and_loses_nothing() {
    burst_to_a_waiting_host(Some(QueueLimits { max_bytes: 1 << 20, max_events: 4 }), 200).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_larger_than_one_host_read_is_delivered_whole() {
    // More messages than one host read takes: the rest waits in the reader's buffer with no
    // socket event to come, and the task must take it (the Java executor test hung here).
    burst_to_a_waiting_host(None, 1000).await;
}

async fn burst_to_a_waiting_host(limits: Option<QueueLimits>, burst: usize) {
    let burst_n = burst;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        // One request, a burst of answers much larger than the client's event queue.
        let _ = ws.next().await;
        for i in 0..burst_n {
            ws.feed(Message::text(format!("m{i}"))).await.unwrap();
        }
        ws.flush().await.unwrap();
        let _ = ws.next().await;
    });
    let mut cfg = ClientConfig::new(format!("ws://{addr}/"));
    if let Some(l) = limits {
        cfg.event_limits = l;
    }
    let c = Client::connect(cfg).unwrap();
    let host = tokio::task::spawn_blocking(move || {
        let mut buf = Default::default();
        assert!(matches!(wait_event(&c, &mut buf), Event::Open(_)));
        c.send_text("go").unwrap();
        for i in 0..burst {
            assert_eq!(text_of(&wait_event(&c, &mut buf)), format!("m{i}"));
            if i % 16 == 0 {
                // A slow host: the queue fills meanwhile.
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        c.close(1000, "").unwrap();
    });
    host.await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), server).await.expect("server ended").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_and_large_round_trips_through_a_waiting_host() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    let mut cfg = ClientConfig::new(url(&hub, "/echo"));
    cfg.compression = true;
    cfg.compression_threshold = 64;
    let c = Client::connect(cfg).unwrap();
    let host = tokio::task::spawn_blocking(move || {
        let mut buf = Default::default();
        assert!(matches!(wait_event(&c, &mut buf), Event::Open(_)));
        for round in 0..200usize {
            // Small (sent directly), compressed, and over the direct path's 16 KiB.
            let len = [10, 700, 20_000, 300_000][round % 4];
            let msg: String = (0..len).map(|i| (b'a' + ((i * 7 + round) % 26) as u8) as char).collect();
            c.send_text(&msg).unwrap();
            assert_eq!(text_of(&wait_event(&c, &mut buf)), msg, "round {round}");
        }
        c.close(1000, "").unwrap();
        loop {
            if let Event::Close { clean, .. } = wait_event(&c, &mut buf) {
                assert!(clean);
                break;
            }
        }
    });
    host.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_waiting_for_answers_reads_them_itself() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    let c = Client::connect(ClientConfig::new(url(&hub, "/echo"))).unwrap();
    let host = tokio::task::spawn_blocking(move || {
        let mut buf = Default::default();
        assert!(matches!(wait_event(&c, &mut buf), Event::Open(_)));
        // Round trips until the host has read 50 answers itself (bounded in count): whichever
        // thread reads, every answer is the right one.
        let mut rounds = 0;
        while c.messages_read_by_host() < 50 && rounds < 50_000 {
            let msg = format!("m{rounds}");
            c.send_text(&msg).unwrap();
            assert_eq!(text_of(&wait_event(&c, &mut buf)), msg);
            rounds += 1;
        }
        assert!(c.messages_read_by_host() >= 50, "the host read {} of {rounds} answers", c.messages_read_by_host());
        c.close(1000, "").unwrap();
        rounds
    });
    let rounds = host.await.unwrap();
    eprintln!("50 answers read by the host within {rounds} round trips");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aborted_client_lets_go_of_its_socket_while_its_handle_lives() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        // Echo until the connection goes away.
        while let Some(Ok(m)) = ws.next().await {
            if m.is_text() {
                ws.send(m).await.unwrap();
            }
        }
    });
    let c = Client::connect(ClientConfig::new(format!("ws://{addr}/"))).unwrap();
    let c2 = c.clone();
    tokio::task::spawn_blocking(move || {
        let mut buf = Default::default();
        assert!(matches!(wait_event(&c2, &mut buf), Event::Open(_)));
        for k in 0..20 {
            // Sent directly and awaited by a spinning wait: both host paths hold the socket.
            c2.send_text(&k.to_string()).unwrap();
            assert_eq!(text_of(&wait_event(&c2, &mut buf)), k.to_string());
        }
    })
    .await
    .unwrap();
    c.abort();
    // The server sees the connection end while `c` is still alive.
    tokio::time::timeout(Duration::from_secs(10), server).await.expect("the socket was closed after abort").unwrap();
    assert!(matches!(event_where(c.events(), |e| matches!(e, Event::Close { .. })).await, Event::Close { code: 1006, .. }));
    drop(c);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_sends_get_every_echo_through_a_waiting_host() {
    let hub = hub_with(&[("/echo", RouteKind::Echo)], |_| {});
    let c = Client::connect(ClientConfig::new(url(&hub, "/echo"))).unwrap();
    tokio::task::spawn_blocking(move || {
        let mut buf = Default::default();
        assert!(matches!(wait_event(&c, &mut buf), Event::Open(_)));
        // Bursts of sends, then every echo: a host read may stop with messages left in the
        // reader's buffer and nothing more on the socket; the task must take them.
        for round in 0..20 {
            for i in 0..300 {
                c.send_text(&format!("{round}-{i}")).unwrap();
            }
            for i in 0..300 {
                assert_eq!(text_of(&wait_event(&c, &mut buf)), format!("{round}-{i}"));
            }
        }
        c.close(1000, "").unwrap();
    })
    .await
    .unwrap();
}
