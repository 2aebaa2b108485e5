//! Allocation runs: the fast path in front of the pools, one per size class.
//!
//! HotSpot gives each thread a TLAB and allocates by bumping a pointer in it; Go gives each
//! size class a span cached per processor. Here each size class has one open **run**: a pool
//! taken off the usable list whole — its untouched tail handed out by bumping a cursor, then
//! its free list popped — so allocating a cell touches only the run (two words compared, one
//! added) and never the pool descriptor, the usable list or the space's counters. Those are
//! settled once per run: when it opens, every cell it holds is counted as in use (the
//! backend counts the run's bytes towards its collection trigger at the same moment), and
//! when it closes (exhausted and refilled, or before a sweep) the cells it did not hand out
//! are given back. Reads of the totals (`live_objects`, `live_bytes`, `verify`) subtract what
//! open runs still hold, so they stay exact.
//!
//! A cell freed while its pool has an open run goes on the pool's own free list, which the run
//! does not use; closing the run joins the two lists.

use std::sync::atomic::Ordering::Relaxed;

use gclab_core::{ObjectMemory, GRANULE};

use super::{PoolSpace, NIL};

/// The most size classes a pool space has (48 with the default classes up to 8 KiB): the
/// runs are an array indexed by class, so the fast path needs no bounds check.
pub(super) const MAX_CLASSES: usize = 64;

/// The open run of one size class (see the module documentation). `cursor == end` and
/// `free == NIL` when it has nothing left; `pool == NIL` when none is open.
#[derive(Clone, Copy, Debug)]
pub(super) struct Run {
    /// Next untouched cell, as a granule.
    cursor: usize,
    /// End of the untouched cells, as a granule.
    end: usize,
    /// Granules per cell.
    step: usize,
    /// Granule of the run's pool's first cell: free-list links are offsets from it.
    base: usize,
    /// Head of the run's free list (a byte offset in the pool), or NIL.
    free: u32,
    /// Cells left on the run's free list.
    free_count: u32,
    /// The pool, or NIL.
    pub(super) pool: u32,
}

pub(super) const CLOSED: Run = Run { cursor: 0, end: 0, step: 1, base: 0, free: NIL, free_count: 0, pool: NIL };

impl Run {
    /// Cells the run holds and has not handed out.
    #[inline]
    fn unused(&self) -> usize {
        (self.end - self.cursor) / self.step + self.free_count as usize
    }
}

impl PoolSpace {
    /// Takes a cell of `class` from its open run, returning its granule; `None` when the run
    /// is exhausted (then [`PoolSpace::refill`]). The cell's contents are stale: the caller
    /// initialises it. This is the allocation fast path: inlined, no counters touched.
    ///
    /// # Safety
    /// `memory` must be the one this space was carved from, and `class` below
    /// `self.classes().len()`.
    #[inline(always)]
    pub unsafe fn alloc_fast(&mut self, memory: &ObjectMemory, class: usize) -> Option<usize> {
        let run = &mut self.runs[class % MAX_CLASSES];
        if run.cursor < run.end {
            let granule = run.cursor;
            run.cursor += run.step;
            return Some(granule);
        }
        if run.free != NIL {
            let granule = run.base + run.free as usize / GRANULE;
            // SAFETY: the memory is this space's (the caller's contract), and the head of the
            // run's free list is a free cell of the run's pool, which is in use (committed).
            run.free = unsafe { Self::link_word(memory, granule) }.load(Relaxed) as u32;
            run.free_count -= 1;
            return Some(granule);
        }
        None
    }

    /// Takes a cell of `class` from its open run: [`PoolSpace::alloc_fast`] with its
    /// preconditions checked (the memory's identity, the class). `None` when the run is
    /// exhausted: call [`PoolSpace::refill`].
    #[inline]
    pub fn alloc(&mut self, memory: &ObjectMemory, class: usize) -> Option<usize> {
        self.check_memory(memory);
        assert!(class < self.classes.len(), "size class {class} out of range ({} classes)", self.classes.len());
        // SAFETY: both preconditions checked just above.
        unsafe { self.alloc_fast(memory, class) }
    }

    /// Cells of `class` that can be handed out without taking a new pool: what its open run
    /// has left plus the free cells of its usable pools. What a moving collector checks
    /// before it promotes objects of that class. Walks the class's usable list.
    pub fn free_cells(&self, class: usize) -> usize {
        assert!(class < self.classes.len(), "size class {class} out of range ({} classes)", self.classes.len());
        let run = &self.runs[class];
        let mut cells = if run.pool == NIL { 0 } else { run.unused() };
        let mut p = self.usable[class];
        while p != NIL {
            let pool = &self.pools[p as usize];
            cells += (pool.capacity - pool.live) as usize;
            p = pool.next;
        }
        cells
    }

    /// Cells of `class` in one pool.
    pub fn cells_per_pool(&self, class: usize) -> usize {
        assert!(class < self.classes.len(), "size class {class} out of range ({} classes)", self.classes.len());
        self.config.pool_bytes / self.classes.size(class)
    }

    /// Closes `class`'s run and opens a new one on a usable pool of the class, or on a fresh
    /// pool taken within `room` bytes of new memory (see [`PoolSpace::take_pool`]). Returns
    /// the bytes of the cells the new run holds (what a backend counts towards its collection
    /// trigger), or `None` when no pool can be had within `room`.
    pub fn refill(&mut self, memory: &ObjectMemory, class: usize, room: usize) -> Option<usize> {
        self.check_memory(memory);
        assert!(class < self.classes.len(), "size class {class} out of range ({} classes)", self.classes.len());
        self.close_run(memory, class);
        if self.usable[class] == NIL && !self.take_pool(memory, class, room) {
            return None;
        }
        Some(self.open_run(class, self.usable[class]))
    }

    /// Opens `class`'s run on usable pool `index`: every cell of the pool not in use is handed
    /// to the run and counted in use. Returns their bytes.
    pub(super) fn open_run(&mut self, class: usize, index: u32) -> usize {
        self.unlink_usable(index);
        let base = self.granule_of(index, 0);
        let pool = &mut self.pools[index as usize];
        let cell = pool.cell as usize;
        let handed = (pool.capacity - pool.live) as usize;
        let untouched = (pool.capacity * pool.cell - pool.bump) as usize / cell;
        self.runs[class] = Run {
            cursor: base + pool.bump as usize / GRANULE,
            end: base + (pool.capacity * pool.cell) as usize / GRANULE,
            step: cell / GRANULE,
            base,
            free: pool.free_head,
            free_count: (handed - untouched) as u32,
            pool: index,
        };
        pool.live = pool.capacity;
        pool.bump = pool.capacity * pool.cell;
        pool.free_head = NIL;
        self.open_runs |= 1 << class;
        self.handed[class % MAX_CLASSES] += handed as u64;
        self.live_objects += handed;
        self.live_bytes += handed * cell;
        handed * cell
    }

    /// Closes `class`'s run: the cells it did not hand out go back to its pool (the untouched
    /// ones to the pool's tail, the free ones to its free list), and the pool rejoins the
    /// usable list, or its arena if it is empty.
    pub(super) fn close_run(&mut self, memory: &ObjectMemory, class: usize) {
        let run = std::mem::replace(&mut self.runs[class], CLOSED);
        self.open_runs &= !(1 << class);
        if run.pool == NIL {
            return;
        }
        let index = run.pool;
        let cell = self.pools[index as usize].cell;
        let unused = run.unused();
        self.handed[class % MAX_CLASSES] -= unused as u64;
        let was_usable = self.pools[index as usize].live < self.pools[index as usize].capacity;
        // Join the run's free list in front of the cells freed into the pool meanwhile.
        if run.free != NIL {
            let mut tail = run.free;
            loop {
                // SAFETY: the caller passes this space's memory (checked by every public
                // entry); cells on the run's list are free cells of its pool, which is in use.
                let link = unsafe { Self::link_word(memory, run.base + tail as usize / GRANULE) };
                let next = link.load(Relaxed) as u32;
                if next == NIL {
                    link.store(u64::from(self.pools[index as usize].free_head), Relaxed);
                    break;
                }
                tail = next;
            }
            self.pools[index as usize].free_head = run.free;
        }
        let pool = &mut self.pools[index as usize];
        pool.bump -= ((run.end - run.cursor) * GRANULE) as u32;
        pool.live -= unused as u32;
        let (live, capacity) = (pool.live, pool.capacity);
        self.live_objects -= unused;
        self.live_bytes -= unused * cell as usize;
        if live == 0 {
            if was_usable {
                self.unlink_usable(index);
            }
            self.return_pool(index);
        } else if !was_usable && live < capacity {
            self.link_usable(index);
        }
    }

    /// Closes every open run (before a sweep, which works on pool descriptors).
    pub fn close_runs(&mut self, memory: &ObjectMemory) {
        self.check_memory(memory);
        for class in 0..self.classes.len() {
            self.close_run(memory, class);
        }
    }

    /// The cells of `class` handed out by its runs since the space was made
    /// ([`PoolSpace::alloc`], [`PoolSpace::alloc_fast`] after [`PoolSpace::refill`]), freed or
    /// not; cells reused through the cell cache are not counted here (a backend that uses the
    /// cache counts its allocations itself). The fast path counts nothing; runs are counted when they open
    /// and close, and an open run's unused cells are subtracted here. (A backend counts its
    /// allocations from this: see [`EXACT_CLASS_BYTES`](crate::EXACT_CLASS_BYTES) for when
    /// the cells' bytes are the objects' bytes.)
    pub fn cells_handed_out(&self, class: usize) -> u64 {
        assert!(class < self.classes.len(), "size class {class} out of range ({} classes)", self.classes.len());
        let run = &self.runs[class];
        let unused = if run.pool == NIL { 0 } else { run.unused() };
        self.handed[class] - unused as u64
    }

    /// Cells held by open runs and not handed out, and their bytes: counted in use by the
    /// space's totals until the runs close.
    #[inline]
    pub(super) fn unused_in_runs(&self) -> (usize, usize) {
        let (mut cells, mut bytes) = (0, 0);
        let mut open = self.open_runs;
        while open != 0 {
            let run = &self.runs[open.trailing_zeros() as usize % MAX_CLASSES];
            open &= open - 1;
            cells += run.unused();
            bytes += run.unused() * run.step * GRANULE;
        }
        (cells, bytes)
    }

    /// The open run on pool `index`, if any: its untouched range (granules) and its free
    /// cells' offsets, for `verify`.
    pub(super) fn run_on(&self, index: u32, memory: &ObjectMemory) -> Option<(usize, usize, Vec<u32>)> {
        let run = self.runs[..self.classes.len()].iter().find(|run| run.pool == index)?;
        let mut free = Vec::new();
        let mut offset = run.free;
        while offset != NIL && free.len() <= run.free_count as usize {
            free.push(offset);
            // SAFETY: `verify` checked the memory; the run's free cells are free cells of an
            // in-use pool.
            offset = unsafe { Self::link_word(memory, run.base + offset as usize / GRANULE) }.load(Relaxed) as u32;
        }
        Some((run.cursor, run.end, free))
    }
}
