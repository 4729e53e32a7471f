//! How a hub fans messages out to topics (routes and groups) and reaches connections on other
//! nodes.
//!
//! The hub never delivers a route broadcast or a group publish itself: it hands the message to
//! its [`Backplane`]. The [`LocalBackplane`] (the default) delivers to the members on this node.
//! A multi-node backplane delivers locally as well and forwards to the other nodes, which call
//! [`LocalDelivery`] on their own hub. The hub tells the backplane which topics have local
//! members ([`Backplane::subscribe`] / [`Backplane::unsubscribe`]) so a node only listens to
//! what it can deliver.

mod local;
pub mod redis;

pub use local::LocalBackplane;
pub use self::redis::RedisBackplane;

use std::sync::{Arc, Weak};

use crate::config::HubConfig;
use crate::error::{Error, ErrorCode, Result};
use crate::event::{ConnId, Payload};

/// Bits of a connection id below the node id: ids are `node << NODE_SHIFT | counter`.
pub const NODE_SHIFT: u32 = 40;

/// The node part of a connection id (0 for a single-node hub).
pub fn node_of(conn: ConnId) -> u32 {
    (conn >> NODE_SHIFT) as u32
}

/// Something messages can be published to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Everyone connected to a route (by path).
    Route(String),
    /// Everyone who joined a group (by name).
    Group(String),
}

/// Delivery to the members on this node; implemented by the hub.
pub trait LocalDelivery: Send + Sync + 'static {
    /// Queues `payload` for every local member of `topic` except `except`; returns how many.
    fn deliver(&self, topic: &Topic, payload: &Payload, except: Option<ConnId>) -> usize;
    /// Queues `payload` for one local connection; false if it is not here (or closing).
    fn deliver_to(&self, conn: ConnId, payload: &Payload) -> bool;
    /// Whether `topic` has members on this node now (subscribe/unsubscribe calls are hints
    /// that may race; a backplane reconciles with this).
    fn has_members(&self, topic: &Topic) -> bool;
    /// Members of `topic` on this node now.
    fn member_count(&self, topic: &Topic) -> usize {
        usize::from(self.has_members(topic))
    }
}

/// The fan-out path of a hub.
pub trait Backplane: Send + Sync + 'static {
    /// Connects the backplane to its hub's local delivery (called once, before any other call).
    fn attach(&self, local: Weak<dyn LocalDelivery>);
    /// Publishes `payload` to every member of `topic` (on every node) except `except`.
    /// Returns the number of local recipients.
    fn publish(&self, topic: &Topic, payload: &Payload, except: Option<ConnId>) -> usize;
    /// Sends to a connection on another node.
    fn send_remote(&self, conn: ConnId, _payload: &Payload) -> Result<()> {
        Err(Error::new(ErrorCode::NotFound, format!("no open connection with id {conn}")))
    }
    /// `topic` gained its first local member.
    fn subscribe(&self, _topic: &Topic) {}
    /// `topic` lost its last local member.
    fn unsubscribe(&self, _topic: &Topic) {}
    /// A member joined or left `topic` on this node (called for every join and leave, after
    /// `subscribe` / `unsubscribe` when those apply). A hint like those: the number is
    /// [`LocalDelivery::member_count`].
    fn members_changed(&self, _topic: &Topic) {}
    /// Members of a group on every node, when the backplane knows (None: use the local count).
    fn group_size(&self, _group: &str) -> Option<usize> {
        None
    }
    /// The id of this node (put in the high bits of connection ids; 0 = single node).
    fn node_id(&self) -> u32 {
        0
    }
    /// A short name for status output (`local`, `redis`).
    fn name(&self) -> &'static str;
    /// A JSON object describing the backplane's state, for `/_omnisock/status`.
    fn status_json(&self) -> String {
        format!("{{\"kind\":\"{}\"}}", self.name())
    }
    /// Counters for `/metrics`: `(name, help, value)`; names get an `omnisock_backplane_` prefix.
    fn counters(&self) -> Vec<(&'static str, &'static str, u64)> {
        Vec::new()
    }
    /// Stops background work (called once when the hub shuts down).
    fn shutdown(&self) {}
}

/// The backplane a hub configuration asks for: `local` unless `config.backplane` names one.
pub fn from_config(config: &HubConfig) -> Result<Arc<dyn Backplane>> {
    match config.backplane.as_deref() {
        None | Some("") | Some("local") => Ok(Arc::new(LocalBackplane::default())),
        Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => {
            let ca = match &config.backplane_ca {
                Some(path) => std::fs::read(path)
                    .map_err(|e| Error::config(format!("backplane_ca: cannot read {}: {e}", path.display())))?,
                None => Vec::new(),
            };
            Ok(Arc::new(RedisBackplane::connect(url, &config.backplane_prefix, &ca)?))
        }
        Some(url) => Err(Error::config(format!(
            "unsupported backplane {url:?} (expected \"local\", \"redis://host:port/\" or \"rediss://host:port/\")"
        ))),
    }
}
