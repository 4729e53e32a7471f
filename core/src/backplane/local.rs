//! The in-process backplane: delivers to the members on this node only.

use std::sync::{OnceLock, Weak};

use super::{Backplane, LocalDelivery, Topic};
use crate::event::{ConnId, Payload};

/// Fan-out within one hub process.
#[derive(Default)]
pub struct LocalBackplane {
    local: OnceLock<Weak<dyn LocalDelivery>>,
}

impl Backplane for LocalBackplane {
    fn attach(&self, local: Weak<dyn LocalDelivery>) {
        let _ = self.local.set(local);
    }
    fn publish(&self, topic: &Topic, payload: &Payload, except: Option<ConnId>) -> usize {
        self.local.get().and_then(Weak::upgrade).map_or(0, |l| l.deliver(topic, payload, except))
    }
    fn name(&self) -> &'static str {
        "local"
    }
}
