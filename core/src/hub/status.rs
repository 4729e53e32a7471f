//! The status JSON, the Prometheus text and the demo page.

use std::fmt::Write;

use super::metrics::json_str;
use super::HubInner;

/// The page served at `/` by the default config: a chat on `/chat` and the live status.
pub(crate) const DEMO_PAGE: &str = include_str!("page.html");

/// Most groups listed by name in the status document.
const STATUS_GROUPS: usize = 1000;

pub(crate) fn status_json(inner: &HubInner) -> String {
    let mut s = String::with_capacity(1024);
    let conns = inner.conns.read().unwrap_or_else(|e| e.into_inner()).len();
    let _ = write!(
        s,
        "{{\"name\":\"omnisock\",\"version\":{},\"listen\":{},\"uptime_s\":{:.1},\"backplane\":{},\"connections\":{conns},\"max_connections\":{},\"routes\":[",
        json_str(crate::VERSION),
        json_str(&inner.local_addr.to_string()),
        inner.started.elapsed().as_secs_f64(),
        json_str(inner.backplane.name()),
        inner.config.max_connections,
    );
    let mut routes: Vec<_> = inner.routes.values().collect();
    routes.sort_by(|a, b| a.config.path.cmp(&b.config.path));
    for (i, r) in routes.iter().enumerate() {
        let n = r.members.read().unwrap_or_else(|e| e.into_inner()).len();
        let _ = write!(
            s,
            "{}{{\"path\":{},\"kind\":\"{}\",\"connections\":{n},\"queue_limit\":{},\"on_overflow\":\"{}\"",
            if i > 0 { "," } else { "" },
            json_str(&r.config.path),
            r.config.kind.name(),
            r.config.queue_limit,
            r.config.on_overflow.name()
        );
        if let Some(stats) = &r.live_stats {
            s.push_str(",\"live\":{");
            for (j, (name, v)) in stats.snapshot().iter().enumerate() {
                let _ = write!(s, "{}\"{name}\":{v}", if j > 0 { "," } else { "" });
            }
            s.push('}');
        }
        s.push('}');
    }
    let groups = inner.groups.read().unwrap_or_else(|e| e.into_inner());
    let _ = write!(s, "],\"groups_total\":{},\"groups\":[", groups.len());
    let mut names: Vec<_> = groups.iter().map(|(k, v)| (k.as_str(), v.len())).collect();
    names.sort();
    for (i, (name, n)) in names.iter().take(STATUS_GROUPS).enumerate() {
        let _ = write!(s, "{}{{\"name\":{},\"members\":{n}}}", if i > 0 { "," } else { "" }, json_str(name));
    }
    drop(groups);
    let _ = write!(
        s,
        "],\"buffered_bytes\":{},\"max_buffered\":{},\"backplane_state\":{}",
        inner.budget.used(),
        inner.budget.limit(),
        inner.backplane.status_json()
    );
    s.push_str(",\"counters\":{");
    for (i, (name, _, value)) in inner.counters.snapshot().iter().enumerate() {
        let _ = write!(s, "{}\"{name}\":{value}", if i > 0 { "," } else { "" });
    }
    s.push_str("}}");
    s
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
