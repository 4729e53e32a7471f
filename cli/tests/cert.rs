//! `omnisock cert` writes a private CA and a server certificate; a hub serving that certificate
//! is reachable over wss:// by a client that trusts only the CA, and a second run reuses the CA.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use omnisock_core::{Client, ClientConfig, Event, Hub, HubConfig, HubTls, Payload, RouteConfig, RouteKind};

fn omnisock_cert(dir: &Path, hosts: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_omnisock")).arg("cert").arg("--dir").arg(dir).args(hosts).output().unwrap();
    assert!(out.status.success(), "omnisock cert failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The next event of `c` that is not a Pong, waiting at most 20 s.
fn next_event(c: &Client) -> Event {
    for _ in 0..2000 {
        if let Some(e) = c.events().poll(1).pop() {
            return e;
        }
        c.events().wait(Duration::from_millis(10));
    }
    panic!("no event within 20 s");
}

fn wss_echo(hub: &Hub, host: &str, ca_pem: Vec<u8>) -> Event {
    let mut cfg = ClientConfig::new(format!("wss://{host}:{}/echo", hub.local_addr().port()));
    cfg.tls.extra_ca_pem = ca_pem;
    let c = Client::connect(cfg).unwrap();
    let first = next_event(&c);
    if !matches!(first, Event::Open(_)) {
        return first;
    }
    c.send_text("over wss").unwrap();
    let e = next_event(&c);
    c.abort();
    e
}

fn hub_with_cert(dir: &Path) -> Hub {
    let mut cfg = HubConfig::new("127.0.0.1:0");
    cfg.routes.push(RouteConfig::new("/echo", RouteKind::Echo));
    cfg.tls = Some(HubTls { cert: dir.join("cert.pem"), key: dir.join("key.pem") });
    cfg.shutdown_timeout = Duration::from_millis(200);
    Hub::start(cfg).expect("the hub accepts the generated certificate")
}

#[test]
fn a_hub_with_the_generated_certificate_is_reachable_by_a_client_trusting_the_ca() {
    let dir = std::env::temp_dir().join(format!("omnisock-cert-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = omnisock_cert(&dir, &["localhost", "::1"]);
    assert!(out.contains("created CA"), "{out}");
    for f in ["ca.pem", "ca-key.pem", "cert.pem", "key.pem"] {
        assert!(dir.join(f).is_file(), "{f} written");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(dir.join("key.pem")).unwrap().permissions().mode() & 0o077, 0, "private key is private");
    }
    let ca = std::fs::read(dir.join("ca.pem")).unwrap();
    let hub = hub_with_cert(&dir);
    match wss_echo(&hub, "localhost", ca.clone()) {
        Event::Message { data: Payload::Text(t), .. } => assert_eq!(t.as_str(), "over wss"),
        other => panic!("expected the echo, got {other:?}"),
    }
    // An address the certificate does not cover is refused.
    match wss_echo(&hub, "127.0.0.1", ca.clone()) {
        Event::Error { message, .. } => assert!(message.contains("certificate"), "{message}"),
        other => panic!("expected a certificate error, got {other:?}"),
    }
    hub.shutdown();

    // A second run for another name reuses the CA: the client's trust still holds.
    let out = omnisock_cert(&dir, &["127.0.0.1"]);
    assert!(out.contains("reused CA"), "{out}");
    assert_eq!(std::fs::read(dir.join("ca.pem")).unwrap(), ca, "ca.pem unchanged");
    let hub = hub_with_cert(&dir);
    match wss_echo(&hub, "127.0.0.1", ca) {
        Event::Message { data: Payload::Text(t), .. } => assert_eq!(t.as_str(), "over wss"),
        other => panic!("new certificate, same CA: expected the echo, got {other:?}"),
    }
    hub.shutdown();
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_arguments_are_clear_errors() {
    let out = Command::new(env!("CARGO_BIN_EXE_omnisock")).arg("cert").output().unwrap();
    assert!(!out.status.success(), "host names are required");
    let dir = std::env::temp_dir().join(format!("omnisock-cert-bad-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_omnisock")).args(["cert", "--days", "0", "--dir"]).arg(&dir).arg("localhost").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--days"), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(dir);
}
