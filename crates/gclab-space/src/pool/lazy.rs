//! Lazy sweeping, for a collector that marks while the mutator runs (`gclab-concurrent`).
//!
//! A stop-the-world collector sweeps every pool at once ([`PoolSpace::sweep`]). A concurrent
//! one ends marking at a short handshake and must not then spend time proportional to the
//! heap: [`PoolSpace::begin_lazy_sweep`] starts a new **sweep epoch** (Go's span sweep
//! generation) in O(1), and the pools in use are then swept in bounded increments
//! ([`PoolSpace::sweep_some`]), in two stages:
//!
//! 1. **Invalidate.** Per pool, `dead = valid & !mark` is moved into the mark bits and
//!    `valid &= mark`: a dead object stops being a valid reference, but no cell is freed, so
//!    every object any other dead object refers to stays intact. Allocation goes on meanwhile
//!    from the cells that were already free; an object made in a pool not yet invalidated is
//!    marked by the caller ([`PoolSpace::needs_black`]) so that this stage keeps it.
//! 2. **Free**, once every pool has been invalidated (the open runs are closed then, in
//!    O(size classes)): per pool, the cells of the dead set (now in the mark bits) go on the
//!    free list and the mark bits are cleared. A pool is freed before it is allocated from
//!    ([`PoolSpace::refill_lazy`] frees the head of the class's usable list until it is a
//!    freed pool), and a pool taken fresh is stamped with the current epoch.
//!
//! Why two stages: a dead object may refer to another dead object. If the second were freed
//! (its cell reused, its pool handed to another size class or returned to the system) while
//! the first was still a valid reference, a walk of the graph from the first through the
//! unchecked read path (`Live::load`) would read whatever now lies there. Invalidating every
//! dead object before freeing any keeps every valid object's referents allocated.
//!
//! When the free stage ends, every mark bit of the space is clear again and the next marking
//! may start. The mutator does all of this (the space is `&mut`): collector threads never
//! free, re-class or hand out a cell.

use std::sync::atomic::Ordering::Relaxed;

use gclab_core::{ObjectMemory, SideBitmap, GRANULE};

use super::{PoolSpace, NIL, NO_CLASS};

/// The stage of a pool space's lazy sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LazySweep {
    /// No lazy sweep in progress: every pool is swept, every mark bit of the space clear.
    Done,
    /// Dead objects are being invalidated (valid bits cleared, dead set kept in the marks).
    Invalidating,
    /// Dead cells are being freed (the dead set in the marks goes on free lists).
    Freeing,
}

/// What one [`PoolSpace::sweep_some`] call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepProgress {
    /// Objects freed.
    pub objects: usize,
    /// Bytes of cells freed.
    pub bytes: usize,
    /// Whether the invalidate stage ended during this call (every dead object of the space
    /// is now invalid, none freed yet).
    pub invalidated_all: bool,
}

impl PoolSpace {
    /// Starts a sweep epoch after a marking: O(1). Until [`PoolSpace::lazy_sweep`] is
    /// `Done` again, `marks` holds the space's sweep state (see the module documentation)
    /// and must be handed unchanged to every call below.
    pub fn begin_lazy_sweep(&mut self) {
        assert_eq!(self.sweep_stage, LazySweep::Done, "a lazy sweep is already in progress");
        self.sweep_epoch = self.sweep_epoch.wrapping_add(1);
        self.sweep_stage = LazySweep::Invalidating;
        self.sweep_cursor = 0;
        self.sweep_end = self.pools.len();
    }

    /// The stage of the lazy sweep.
    #[inline]
    pub fn lazy_sweep(&self) -> LazySweep {
        self.sweep_stage
    }

    #[inline]
    fn pool_of(&self, granule: usize) -> usize {
        (granule * GRANULE - self.start) >> self.pool_shift
    }

    /// Whether an object made now at `granule` (a cell of this space) must be marked for
    /// the lazy sweep to keep it: during the invalidate stage, in a pool not yet invalidated.
    #[inline]
    pub fn needs_black(&self, granule: usize) -> bool {
        self.sweep_stage == LazySweep::Invalidating && self.pools[self.pool_of(granule)].invalidated != self.sweep_epoch
    }

    /// Whether the valid object at `granule` (in this space) is dead but not yet invalidated:
    /// during the invalidate stage, an object of a pool not yet invalidated whose mark is
    /// clear. Such an object is still a valid reference, but must not be stored anywhere.
    #[inline]
    pub fn is_dead(&self, granule: usize, marks: &SideBitmap) -> bool {
        self.needs_black(granule) && !marks.get(granule)
    }

    /// Whether the pool of `granule` (in this space) is free or has been freed in the
    /// current epoch (so its mark bits are clear); for `verify`.
    pub fn is_swept(&self, granule: usize) -> bool {
        let pool = &self.pools[self.pool_of(granule)];
        pool.class == NO_CLASS || pool.swept == self.sweep_epoch
    }

    /// Advances the lazy sweep by up to `budget` pools (a pool with nothing to do costs a
    /// descriptor look). Moving from the invalidate stage to the free stage closes the open
    /// runs (`memory` is needed for that). When the free stage ends, the sweep is `Done`.
    ///
    /// # Safety
    /// `marks` must be the bitmap of the marking that preceded [`PoolSpace::begin_lazy_sweep`]
    /// (every object whose mark was clear then unreachable from every root and from the
    /// slots of every marked object), updated only by these calls and by the caller marking
    /// the objects [`PoolSpace::needs_black`] names; no other thread may touch it meanwhile.
    pub unsafe fn sweep_some(&mut self, memory: &ObjectMemory, marks: &SideBitmap, budget: usize) -> SweepProgress {
        self.check_memory(memory);
        let mut progress = SweepProgress::default();
        let mut visited = 0;
        while visited < budget && self.sweep_stage != LazySweep::Done {
            if self.sweep_cursor == self.sweep_end {
                self.next_stage(memory);
                progress.invalidated_all |= self.sweep_stage == LazySweep::Freeing;
                continue;
            }
            let index = self.sweep_cursor;
            self.sweep_cursor += 1;
            visited += 1;
            if self.pools[index].class == NO_CLASS {
                continue;
            }
            match self.sweep_stage {
                LazySweep::Invalidating if self.pools[index].invalidated != self.sweep_epoch => {
                    // SAFETY: forwarded to the caller; the memory was checked above.
                    unsafe { self.invalidate_pool(memory, marks, index) }
                }
                LazySweep::Freeing if self.pools[index].swept != self.sweep_epoch => {
                    // SAFETY: forwarded to the caller; the memory was checked above.
                    let (objects, bytes) = unsafe { self.free_pool_cells(memory, marks, index) };
                    progress.objects += objects;
                    progress.bytes += bytes;
                }
                _ => {}
            }
        }
        progress
    }

    /// Dead cells of pool `index` awaiting the free stage (invalidated, not yet freed): they
    /// still count in use, with their valid bits clear; for `verify`.
    pub(super) fn pending_dead(&self, index: usize, marks: Option<&SideBitmap>) -> u32 {
        let pool = &self.pools[index];
        match marks {
            Some(marks) if pool.invalidated == self.sweep_epoch && pool.swept != self.sweep_epoch => {
                let first_word = self.granule_of(index as u32, 0) / 64;
                (first_word..first_word + self.config.pool_bytes / GRANULE / 64)
                    .map(|w| marks.word(w).load(Relaxed).count_ones())
                    .sum()
            }
            _ => 0,
        }
    }

    fn next_stage(&mut self, memory: &ObjectMemory) {
        self.sweep_cursor = 0;
        self.sweep_end = self.pools.len();
        self.sweep_stage = match self.sweep_stage {
            LazySweep::Invalidating => {
                // Open runs hold cells counted in use; the free stage works on descriptors.
                self.flush_cache(memory);
                self.close_runs(memory);
                LazySweep::Freeing
            }
            _ => LazySweep::Done,
        };
    }

    /// [`PoolSpace::refill`] for a space being swept lazily: in the free stage, frees the
    /// dead cells of the class's usable pools from the head until the head is a freed pool
    /// (or the list is empty) before opening the new run as `refill` does. Returns the bytes
    /// of the new run's cells (`None`, with nothing opened, when no pool can be had within
    /// `room`), and the objects and bytes freed.
    ///
    /// # Safety
    /// As [`PoolSpace::sweep_some`].
    pub unsafe fn refill_lazy(
        &mut self,
        memory: &ObjectMemory,
        marks: &SideBitmap,
        class: usize,
        room: usize,
    ) -> (Option<usize>, usize, usize) {
        self.check_memory(memory);
        assert!(class < self.classes.len(), "size class {class} out of range ({} classes)", self.classes.len());
        self.close_run(memory, class);
        let (mut objects, mut bytes) = (0, 0);
        while self.sweep_stage == LazySweep::Freeing {
            let head = self.usable[class];
            if head == NIL || self.pools[head as usize].swept == self.sweep_epoch {
                break;
            }
            // SAFETY: forwarded to the caller; the memory was checked above.
            let (o, b) = unsafe { self.free_pool_cells(memory, marks, head as usize) };
            objects += o;
            bytes += b;
        }
        if self.usable[class] == NIL && !self.take_pool(memory, class, room) {
            return (None, objects, bytes);
        }
        (Some(self.open_run(class, self.usable[class])), objects, bytes)
    }

    /// The invalidate stage on pool `index`: `dead = valid & !mark` into the mark bits,
    /// `valid &= mark`. Frees nothing.
    ///
    /// # Safety
    /// As [`PoolSpace::sweep_some`].
    unsafe fn invalidate_pool(&mut self, memory: &ObjectMemory, marks: &SideBitmap, index: usize) {
        // SAFETY: valid bits are cleared only for unmarked objects, which the caller
        // guarantees are unreachable from roots and live objects; their cells are freed
        // (and the pool's counts settled) in the free stage.
        let valid_bits = unsafe { memory.valid_bits_writer() };
        self.pools[index].invalidated = self.sweep_epoch;
        let first_word = self.granule_of(index as u32, 0) / 64;
        for w in first_word..first_word + self.config.pool_bytes / GRANULE / 64 {
            let valid = valid_bits.word(w).load(Relaxed);
            let mark = marks.word(w).load(Relaxed);
            valid_bits.word(w).store(valid & mark, Relaxed);
            marks.word(w).store(valid & !mark, Relaxed);
        }
    }

    /// The free stage on pool `index` (in use, not freed in this epoch, no open run): its
    /// dead cells (the dead set in `marks`) go on its free list, its mark bits are cleared,
    /// and it moves between lists as it stops being full or becomes empty. Returns the
    /// objects and bytes freed.
    ///
    /// # Safety
    /// As [`PoolSpace::sweep_some`].
    unsafe fn free_pool_cells(&mut self, memory: &ObjectMemory, marks: &SideBitmap, index: usize) -> (usize, usize) {
        debug_assert!(self.pools[index].class != NO_CLASS && self.pools[index].invalidated == self.sweep_epoch);
        debug_assert!(self.runs[self.pools[index].class as usize].pool != index as u32, "no open run while freeing");
        self.pools[index].swept = self.sweep_epoch;
        let first_word = self.granule_of(index as u32, 0) / 64;
        let words = first_word..first_word + self.config.pool_bytes / GRANULE / 64;
        let dead: u32 = words.clone().map(|w| marks.word(w).load(Relaxed).count_ones()).sum();
        if dead == 0 {
            return (0, 0);
        }
        let pool = self.pools[index];
        let dead_bytes = (dead * pool.cell) as usize;
        self.live_objects -= dead as usize;
        self.live_bytes -= dead_bytes;
        if dead == pool.live {
            words.for_each(|w| marks.word(w).store(0, Relaxed));
            if pool.live < pool.capacity {
                self.unlink_usable(index as u32);
            }
            self.return_pool(index as u32);
            return (dead as usize, dead_bytes);
        }
        let mut free_head = pool.free_head;
        for w in words {
            let mut bits = marks.word(w).load(Relaxed);
            marks.word(w).store(0, Relaxed);
            while bits != 0 {
                let granule = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                // SAFETY: a dead cell (invalidated, valid bit clear) of a pool in use, in this
                // space's memory; no valid object refers to it any more.
                unsafe { Self::link_word(memory, granule) }.store(free_head as u64, Relaxed);
                free_head = ((granule * GRANULE - self.start) & (self.config.pool_bytes - 1)) as u32;
            }
        }
        let was_full = pool.live == pool.capacity;
        self.pools[index].free_head = free_head;
        self.pools[index].live = pool.live - dead;
        if was_full {
            self.link_usable(index as u32);
        }
        (dead as usize, dead_bytes)
    }
}
