//! Side tables: one 32-bit word per granule of a heap, kept apart from the objects.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use crate::region::VirtualRegion;
use crate::ConfigError;

/// A table of `len` 32-bit entries in reserved memory, all zero at first; pages are committed
/// only where entries are written (MMTk's "side metadata").
///
/// Collectors keep per-object bookkeeping here instead of in object headers, so that scanning
/// bookkeeping never writes the objects themselves (a forked child keeps sharing their pages).
#[derive(Debug)]
pub struct SideTable {
    memory: VirtualRegion,
    len: usize,
}

impl SideTable {
    /// A table of `len` zero entries.
    pub fn new(len: usize) -> Result<Self, ConfigError> {
        Ok(SideTable { memory: VirtualRegion::reserve_accessible(len * 4)?, len })
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table has no entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    fn entry(&self, i: usize) -> &AtomicU32 {
        assert!(i < self.len, "side table index {i} out of range (length {})", self.len);
        // SAFETY: in range (checked above); the memory is reserved for `len` entries, zeroed,
        // 4-aligned, and only ever accessed atomically.
        unsafe { &*self.memory.base().cast::<AtomicU32>().add(i) }
    }

    /// Entry `i`.
    #[inline]
    pub fn get(&self, i: usize) -> u32 {
        self.entry(i).load(Relaxed)
    }

    /// Sets entry `i`.
    #[inline]
    pub fn set(&self, i: usize, value: u32) {
        self.entry(i).store(value, Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_start_zero_and_hold_values() {
        let t = SideTable::new(1 << 24).unwrap();
        assert_eq!(t.get(12345), 0);
        t.set(12345, 7);
        assert_eq!(t.get(12345), 7);
        assert_eq!(t.len(), 1 << 24);
    }
}
