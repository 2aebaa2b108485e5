//! The cell cache: freed cells kept per size class for the next allocation of their size.
//!
//! A backend that frees objects one at a time (reference counting) frees a cell and soon
//! allocates one of the same size, often many in a row (a structure dropped, then rebuilt).
//! Returning each cell to its pool and taking it back costs descriptor updates and list moves
//! both ways; the cache instead keeps freed cells on a per-class LIFO list linked through
//! their first word, as glibc's tcache does, so freeing and reallocating touch only the cell
//! and one list head — and the cell reused is the one freed last, still in cache.
//!
//! A cached cell is free for the mutator (its valid-object bit is clear, so references to it
//! are rejected as stale, and it is not counted live) but still in use for its pool, so a
//! pool with cached cells cannot empty and its arena cannot be returned. The backend decides
//! when to [`PoolSpace::flush_cache`]: when the cache grows past a bound, before taking new
//! pools, and at full collections.

use std::collections::HashMap;
use std::sync::atomic::Ordering::Relaxed;

use gclab_core::{ensure, ObjectMemory, VerifyError, GRANULE};

use super::{PoolSpace, NIL, NO_CLASS};

impl PoolSpace {
    /// Frees the object at `granule` into the cell cache: clears its valid bit and pushes its
    /// cell on its class's cache list. Returns the cell's size.
    ///
    /// # Safety
    /// `memory` must be the one this space was carved from, an object of this space must start
    /// at `granule`, and no slot or root may refer to it.
    #[inline]
    pub unsafe fn free_to_cache(&mut self, memory: &ObjectMemory, granule: usize) -> usize {
        // SAFETY: forwarded to the caller.
        unsafe { memory.free_object(granule) };
        let pool = &self.pools[(granule * GRANULE - self.start) >> self.pool_shift];
        debug_assert!(pool.class != NO_CLASS, "free of a cell in a free pool");
        let (class, cell) = (pool.class as usize, pool.cell as usize);
        // SAFETY: the caller passes this space's memory and an object of it, freed just now.
        unsafe { Self::link_word(memory, granule) }.store(u64::from(self.cache[class]), Relaxed);
        self.cache[class] = granule as u32;
        // Still in use for its pool: only the cache's totals change (`live_objects()` is the
        // pools' count less the cached cells).
        self.cached_cells += 1;
        self.cached_bytes += cell;
        cell
    }

    /// Takes the most recently cached cell of `class`, returning its granule; `None` when the
    /// class has none cached. The cell's contents are stale, as with [`PoolSpace::alloc`].
    #[inline]
    pub fn alloc_from_cache(&mut self, memory: &ObjectMemory, class: usize) -> Option<usize> {
        let head = self.cache[class];
        if head == NIL {
            return None;
        }
        self.check_memory(memory);
        // SAFETY: this space's memory (checked); a cached cell is a free cell of a pool in use.
        self.cache[class] = unsafe { Self::link_word(memory, head as usize) }.load(Relaxed) as u32;
        let cell = self.classes.size(class);
        self.cached_cells -= 1;
        self.cached_bytes -= cell;
        Some(head as usize)
    }

    /// Returns every cached cell to its pool (pools may empty and go back to their arenas).
    /// Returns how many cells were returned.
    pub fn flush_cache(&mut self, memory: &ObjectMemory) -> usize {
        self.check_memory(memory);
        let flushed = self.cached_cells;
        for class in 0..self.cache.len() {
            let mut granule = std::mem::replace(&mut self.cache[class], NIL);
            while granule != NIL {
                // SAFETY: this space's memory (checked); a cached cell.
                let next = unsafe { Self::link_word(memory, granule as usize) }.load(Relaxed) as u32;
                self.return_cell(memory, granule as usize);
                granule = next;
            }
        }
        self.live_objects -= self.cached_cells;
        self.live_bytes -= self.cached_bytes;
        self.cached_cells = 0;
        self.cached_bytes = 0;
        flushed
    }

    /// Bytes in cached cells.
    #[inline]
    pub fn cached_bytes(&self) -> usize {
        self.cached_bytes
    }

    /// Checks the cache lists (each cell in a pool of its class, valid bit clear, listed
    /// once) and returns the cells cached, and the cached cells' offsets by pool.
    pub(super) fn verify_cache(&self, memory: &ObjectMemory) -> Result<(usize, HashMap<u32, Vec<u32>>), VerifyError> {
        let mut by_pool: HashMap<u32, Vec<u32>> = HashMap::new();
        let (mut cells, mut bytes) = (0, 0);
        for (class, &head) in self.cache.iter().enumerate() {
            let mut granule = head;
            while granule != NIL {
                ensure!(self.contains(granule as usize), "cached cell {granule:#x} lies outside the pool space");
                let byte = granule as usize * GRANULE - self.start;
                let index = (byte >> self.pool_shift) as u32;
                let pool = &self.pools[index as usize];
                ensure!(
                    pool.class as usize == class,
                    "cached cell {granule:#x} of class {class} is in a pool of class {}",
                    pool.class
                );
                ensure!(!memory.is_object(granule as usize), "cached cell {granule:#x} has its valid bit set");
                by_pool.entry(index).or_default().push((byte & (self.config.pool_bytes - 1)) as u32);
                cells += 1;
                bytes += pool.cell as usize;
                ensure!(cells <= self.cached_cells, "the cell cache holds more cells than counted, or loops");
                // SAFETY: this space's memory (checked by the caller, `verify`); a cached cell.
                granule = unsafe { Self::link_word(memory, granule as usize) }.load(Relaxed) as u32;
            }
        }
        ensure!(bytes == self.cached_bytes, "{bytes} bytes cached, {} counted", self.cached_bytes);
        for offsets in by_pool.values_mut() {
            offsets.sort_unstable();
            ensure!(offsets.windows(2).all(|w| w[0] != w[1]), "a cell is cached twice");
        }
        Ok((cells, by_pool))
    }
}
