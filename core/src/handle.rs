//! Opaque 64-bit handles: a type tag, a generation and a slot index, looked up in a registry.
//!
//! Every binding (C, JNI) hands hosts only these numbers. A zero, stale (freed), forged or
//! foreign (another type's) handle is rejected with [`ErrorCode::InvalidHandle`]; it is never
//! dereferenced.
//!
//! A handle value is never issued twice by a registry: a slot is reused with the next
//! generation, and a slot whose generation would wrap around is retired for good instead
//! (about 16 bytes per 16.7 million new/free cycles of one slot). A stale handle can therefore
//! never reach a newer object.

use std::sync::{Arc, Mutex};

use crate::error::{Error, ErrorCode};

/// Layout: bits 56..64 type tag, 32..56 generation (never 0), 0..32 slot index.
const TAG_SHIFT: u32 = 56;
const GEN_SHIFT: u32 = 32;
const GEN_MASK: u64 = (1 << 24) - 1;

struct Slot<T> {
    generation: u32,
    value: Option<Arc<T>>,
}

/// A registry of objects of one type.
pub struct Registry<T> {
    tag: u8,
    what: &'static str,
    slots: Mutex<(Vec<Slot<T>>, Vec<u32>)>,
}

impl<T> Registry<T> {
    /// An empty registry whose handles carry `tag` (one tag per object type, so a handle of
    /// another type is refused) and whose errors name the type as `what`.
    pub const fn new(tag: u8, what: &'static str) -> Self {
        Registry { tag, what, slots: Mutex::new((Vec::new(), Vec::new())) }
    }

    fn decode(&self, handle: u64) -> Option<(usize, u32)> {
        if (handle >> TAG_SHIFT) as u8 != self.tag {
            return None;
        }
        let generation = ((handle >> GEN_SHIFT) & GEN_MASK) as u32;
        Some(((handle & 0xffff_ffff) as usize, generation))
    }

    fn invalid(&self, handle: u64) -> Error {
        Error::new(
            ErrorCode::InvalidHandle,
            format!("{handle:#x} is not a live {} handle (it was closed or freed, or belongs to another type)", self.what),
        )
    }

    /// Stores a value and returns its new handle.
    pub fn insert(&self, value: T) -> u64 {
        let mut guard = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let (slots, free) = &mut *guard;
        let index = match free.pop() {
            Some(i) => i as usize,
            None => {
                // 2^32 slots, each good for 2^24 - 1 handles: never exhausted in practice.
                assert!(slots.len() <= u32::MAX as usize, "{} handle registry exhausted", self.what);
                slots.push(Slot { generation: 1, value: None });
                slots.len() - 1
            }
        };
        let slot = &mut slots[index];
        slot.value = Some(Arc::new(value));
        ((self.tag as u64) << TAG_SHIFT) | ((slot.generation as u64) << GEN_SHIFT) | index as u64
    }

    /// Looks a handle up.
    pub fn get(&self, handle: u64) -> Result<Arc<T>, Error> {
        let (index, generation) = self.decode(handle).ok_or_else(|| self.invalid(handle))?;
        let guard = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        match guard.0.get(index) {
            Some(Slot { generation: g, value: Some(v) }) if *g == generation => Ok(v.clone()),
            _ => Err(self.invalid(handle)),
        }
    }

    /// Removes a handle, returning its value; `None` for 0 or an already freed handle.
    pub fn remove(&self, handle: u64) -> Option<Arc<T>> {
        let (index, generation) = self.decode(handle)?;
        let mut guard = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let (slots, free) = &mut *guard;
        let slot = slots.get_mut(index)?;
        if slot.generation != generation || slot.value.is_none() {
            return None;
        }
        let value = slot.value.take();
        if slot.generation as u64 >= GEN_MASK {
            // Every generation of this slot has been issued: retire it rather than wrap around.
            return value;
        }
        slot.generation += 1;
        free.push(index as u32);
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_foreign_and_zero_handles_are_rejected() {
        let a: Registry<u32> = Registry::new(1, "a");
        let b: Registry<u32> = Registry::new(2, "b");
        let h = a.insert(7);
        assert_eq!(*a.get(h).unwrap(), 7);
        assert_eq!(b.get(h).unwrap_err().code(), ErrorCode::InvalidHandle);
        assert!(a.get(0).is_err());
        assert!(a.remove(h).is_some());
        assert!(a.get(h).is_err());
        assert!(a.remove(h).is_none());
        let h2 = a.insert(8);
        assert_ne!(h, h2, "a reused slot gets a new generation");
        assert!(a.get(h).is_err());
        assert_eq!(*a.get(h2).unwrap(), 8);
    }
}
