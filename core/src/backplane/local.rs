//! The in-process backplane: delivers to the members on this node only.

use std::sync::Weak;

use super::{Backplane, LocalDelivery, Topic};
use crate::event::{ConnId, Payload};

/// Fan-out within one hub process.
pub struct LocalBackplane {
    local: Weak<dyn LocalDelivery>,
}

impl LocalBackplane {
    /// A backplane delivering through `local` (held weakly: the hub owns its backplane).
    pub fn new(local: Weak<dyn LocalDelivery>) -> Self {
        LocalBackplane { local }
    }
}

impl Backplane for LocalBackplane {
    fn publish(&self, topic: &Topic, payload: &Payload, except: Option<ConnId>) -> usize {
        self.local.upgrade().map_or(0, |l| l.deliver(topic, payload, except))
    }
    fn name(&self) -> &'static str {
        "local"
    }
}
