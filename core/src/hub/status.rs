//! The status JSON, the Prometheus text and the demo page.

use std::fmt::Write;

use serde::Serialize;

use crate::json::Counters;

use super::HubInner;

/// The page served at `/` by the default config: a chat on `/chat` and the live status.
pub(crate) const DEMO_PAGE: &str = include_str!("page.html");

/// Most groups listed by name in the status document.
const STATUS_GROUPS: usize = 1000;

/// The status document (`/_omnisock/status`, `Hub::status_json`).
#[derive(Serialize)]
struct Status<'a> {
    name: &'static str,
    version: &'static str,
    listen: String,
    uptime_s: f64,
    backplane: &'static str,
    connections: usize,
    max_connections: usize,
    routes: Vec<RouteStatus<'a>>,
    groups_total: usize,
    groups: Vec<GroupStatus<'a>>,
    /// Outbound bytes held now (each distinct message once) and the budget.
    buffered_bytes: usize,
    max_buffered: usize,
    backplane_state: serde_json::Value,
    counters: Counters,
}

/// One route in the status document.
#[derive(Serialize)]
struct RouteStatus<'a> {
    path: &'a str,
    kind: &'static str,
    connections: usize,
    queue_limit: usize,
    on_overflow: &'static str,
    /// Live routes only: what conflation, rate caps, max_age and snapshots did.
    #[serde(skip_serializing_if = "Option::is_none")]
    live: Option<LiveStatus>,
}

/// The live-stream counters of a route.
#[derive(Serialize)]
struct LiveStatus {
    replaced: u64,
    rate_limited: u64,
    expired: u64,
    snapshot_sent: u64,
    snapshot_evicted: u64,
}

/// One group in the status document.
#[derive(Serialize)]
struct GroupStatus<'a> {
    name: &'a str,
    members: usize,
}

pub(crate) fn status_json(inner: &HubInner) -> String {
    let backplane_state = serde_json::from_str(&inner.backplane.status_json()).unwrap_or(serde_json::Value::Null);
    let mut routes: Vec<_> = inner.routes.values().collect();
    routes.sort_by(|a, b| a.config.path.cmp(&b.config.path));
    let groups = inner.groups.read().unwrap_or_else(|e| e.into_inner());
    let mut names: Vec<_> = groups.iter().map(|(k, v)| GroupStatus { name: k.as_str(), members: v.len() }).collect();
    names.sort_by(|a, b| a.name.cmp(b.name));
    names.truncate(STATUS_GROUPS);
    let status = Status {
        name: "omnisock",
        version: crate::VERSION,
        listen: inner.local_addr.to_string(),
        uptime_s: (inner.started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        backplane: inner.backplane.name(),
        connections: inner.conns.read().unwrap_or_else(|e| e.into_inner()).len(),
        max_connections: inner.config.max_connections,
        routes: routes
            .iter()
            .map(|r| RouteStatus {
                path: &r.config.path,
                kind: r.config.kind.name(),
                connections: r.members.read().unwrap_or_else(|e| e.into_inner()).len(),
                queue_limit: r.config.queue_limit,
                on_overflow: r.config.on_overflow.name(),
                live: r.live_stats.as_ref().map(|st| {
                    let [replaced, rate_limited, expired, snapshot_sent, snapshot_evicted] = st.snapshot().map(|(_, v)| v);
                    LiveStatus { replaced, rate_limited, expired, snapshot_sent, snapshot_evicted }
                }),
            })
            .collect(),
        groups_total: groups.len(),
        groups: names,
        buffered_bytes: inner.budget.used(),
        max_buffered: inner.budget.limit(),
        backplane_state,
        counters: Counters(inner.counters.snapshot()),
    };
    serde_json::to_string(&status).unwrap_or_default()
}

pub(crate) fn metrics_text(inner: &HubInner) -> String {
    let mut s = String::with_capacity(2048);
    let conns = inner.conns.read().unwrap_or_else(|e| e.into_inner()).len();
    let _ = writeln!(s, "# HELP omnisock_connections Open WebSocket connections.\n# TYPE omnisock_connections gauge\nomnisock_connections {conns}");
    let _ = writeln!(s, "# HELP omnisock_route_connections Open connections per route.\n# TYPE omnisock_route_connections gauge");
    let mut routes: Vec<_> = inner.routes.values().collect();
    routes.sort_by(|a, b| a.config.path.cmp(&b.config.path));
    for r in routes {
        let n = r.members.read().unwrap_or_else(|e| e.into_inner()).len();
        let path = r.config.path.replace('\\', "\\\\").replace('"', "\\\"");
        let _ = writeln!(s, "omnisock_route_connections{{path=\"{path}\",kind=\"{}\"}} {n}", r.config.kind.name());
    }
    let _ = writeln!(
        s,
        "# HELP omnisock_buffered_bytes Outbound bytes held for all connections (queued or being written).\n# TYPE omnisock_buffered_bytes gauge\nomnisock_buffered_bytes {}",
        inner.budget.used()
    );
    let _ = writeln!(s, "# HELP omnisock_max_buffered_bytes The hub-wide outbound budget (max_buffered).\n# TYPE omnisock_max_buffered_bytes gauge\nomnisock_max_buffered_bytes {}", inner.budget.limit());
    let mut live_routes: Vec<_> = inner.routes.values().filter(|r| r.live_stats.is_some()).collect();
    live_routes.sort_by(|a, b| a.config.path.cmp(&b.config.path));
    if !live_routes.is_empty() {
        let _ = writeln!(s, "# HELP omnisock_live_total Live-route handling per route: replaced, rate_limited, expired, snapshot_sent, snapshot_evicted.\n# TYPE omnisock_live_total counter");
        for r in live_routes {
            let path = r.config.path.replace('\\', "\\\\").replace('"', "\\\"");
            for (name, v) in r.live_stats.as_ref().map(|st| st.snapshot()).unwrap_or_default() {
                let _ = writeln!(s, "omnisock_live_total{{path=\"{path}\",what=\"{name}\"}} {v}");
            }
        }
    }
    let groups = inner.groups.read().unwrap_or_else(|e| e.into_inner()).len();
    let _ = writeln!(s, "# HELP omnisock_groups Groups with members on this node.\n# TYPE omnisock_groups gauge\nomnisock_groups {groups}");
    for (name, help, value) in inner.counters.snapshot() {
        let _ = writeln!(s, "# HELP omnisock_{name} {help}\n# TYPE omnisock_{name} counter\nomnisock_{name} {value}");
    }
    for (name, help, value) in inner.backplane.counters() {
        let _ = writeln!(s, "# HELP omnisock_backplane_{name} {help}\n# TYPE omnisock_backplane_{name} counter\nomnisock_backplane_{name} {value}");
    }
    s
}
