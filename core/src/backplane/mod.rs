//! How a hub fans messages out to topics (routes and groups).
//!
//! The hub never delivers a route broadcast or a group publish itself: it hands the message to
//! its [`Backplane`]. The [`LocalBackplane`] (the default) delivers to the members on this node.
//! A multi-node backplane (Redis) delivers locally as well and forwards to the other nodes.

mod local;

pub use local::LocalBackplane;

use crate::event::{ConnId, Payload};

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
}

/// The fan-out path of a hub.
pub trait Backplane: Send + Sync + 'static {
    /// Publishes `payload` to every member of `topic` (on every node) except `except`.
    /// Returns the number of local recipients.
    fn publish(&self, topic: &Topic, payload: &Payload, except: Option<ConnId>) -> usize;
    /// A short name for status output (`local`, `redis`).
    fn name(&self) -> &'static str;
}
