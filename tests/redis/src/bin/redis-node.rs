//! A hub node with a `host` route driven by its clients, for the multi-node scenarios.
//!
//! `redis-node CONFIG.toml` starts a hub from the TOML file (its `backplane` is the Redis URL)
//! and prints `redis-node listening on ws://ADDR`. On every `host` route, a client's text
//! message is a JSON command; replies are JSON objects with an `"r"` key:
//!
//! | command | effect | reply |
//! | --- | --- | --- |
//! | `{"op":"id"}` | | `{"r":"id","id":CONN}` |
//! | `{"op":"join","group":G}` / `leave` | join or leave a group | `{"r":"join"}` / `{"r":"leave"}` |
//! | `{"op":"pub","group":G,"data":S}` | publish S to G, except the sender | none |
//! | `{"op":"send","to":CONN,"data":S}` | send S to one connection on any node | only on error: `{"r":"err","e":MSG}` |
//! | `{"op":"size","group":G}` | | `{"r":"size","n":MEMBERS_ON_EVERY_NODE}` |
//!
//! The node shuts down when its standard input closes (so it never outlives the driver).

use std::io::Read;
use std::time::Duration;

use omnisock_core::{Event, Hub, HubConfig, Payload};
use serde_json::{json, Value};

fn main() {
    let path = std::env::args().nth(1).expect("usage: redis-node CONFIG.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let config = HubConfig::from_toml(&text).unwrap_or_else(|e| {
        eprintln!("redis-node: {e}");
        std::process::exit(2)
    });
    let hub = Hub::start(config).unwrap_or_else(|e| {
        eprintln!("redis-node: {e}");
        std::process::exit(1)
    });
    println!("redis-node listening on ws://{}", hub.local_addr());
    let watcher = hub.clone();
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
        watcher.shutdown();
        std::process::exit(0);
    });
    loop {
        if !hub.events().wait(Duration::from_secs(1)) {
            continue;
        }
        for ev in hub.events().poll(256) {
            if let Event::Message { conn, data: Payload::Text(t) } = ev {
                let Ok(cmd) = serde_json::from_str::<Value>(t.as_str()) else { continue };
                let s = |k: &str| cmd.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
                let reply = match s("op").as_str() {
                    "id" => Some(json!({"r": "id", "id": conn})),
                    "join" => Some(match hub.join(conn, &s("group")) {
                        Ok(()) => json!({"r": "join"}),
                        Err(e) => json!({"r": "err", "e": e.to_string()}),
                    }),
                    "leave" => Some(match hub.leave(conn, &s("group")) {
                        Ok(_) => json!({"r": "leave"}),
                        Err(e) => json!({"r": "err", "e": e.to_string()}),
                    }),
                    "pub" => hub.publish(&s("group"), Payload::Text(s("data").into()), Some(conn)).err().map(|e| json!({"r": "err", "e": e.to_string()})),
                    "send" => {
                        let to = cmd.get("to").and_then(Value::as_u64).unwrap_or(0);
                        hub.send(to, Payload::Text(s("data").into())).err().map(|e| json!({"r": "err", "e": e.to_string()}))
                    }
                    "size" => Some(json!({"r": "size", "n": hub.group_size_global(&s("group"))})),
                    _ => Some(json!({"r": "err", "e": "unknown op"})),
                };
                if let Some(r) = reply {
                    let _ = hub.send(conn, Payload::Text(r.to_string().into()));
                }
            }
        }
    }
}
