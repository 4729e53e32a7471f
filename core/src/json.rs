//! JSON helpers shared by the hub's status and the backplanes' status.

use serde::{Serialize, Serializer};

/// `(name, help, value)` counters serialized as one JSON object `{name: value}`, in order.
pub(crate) struct Counters(pub(crate) Vec<(&'static str, &'static str, u64)>);

impl Serialize for Counters {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(name, _, value)| (name, value)))
    }
}
