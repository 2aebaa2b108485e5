//! The size-class pool space, in the style of CPython's obmalloc.
//!
//! The space is carved into *arenas* (1 MiB by default), each split into *pools* (16 KiB).
//! A pool serves one size class and is cut into equal *cells*. Per class, the pools that
//! have a free cell form the *usable* list, so allocation is: take the first usable pool, pop
//! its free list or bump its never-used tail. When a pool fills it leaves the usable list;
//! when its last object is freed it goes back to its arena, free for any class.
//!
//! Arenas with free pools sit in buckets by free-pool count, and a new pool is taken from the
//! *fullest* arena (the lowest non-empty bucket, found with one `trailing_zeros`), so lightly
//! used arenas can drain and be returned to the system — obmalloc's policy, in O(1).
//!
//! Pool and arena descriptors live on the side (in vectors indexed by pool and arena number)
//! rather than in a header at the front of each pool: cells fill the whole pool, and a
//! collector walking descriptors touches no object memory. A free cell's first word links the
//! pool's free list; its valid-object bit is clear, so no reference can reach it.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use gclab_core::{ensure, ConfigError, ObjectMemory, SideBitmap, VerifyError, GRANULE, PAGE_SIZE};

use crate::size_class::{SizeClasses, MAX_CLASS_BYTES};

mod cache;
mod lazy;
mod run;

pub use lazy::{LazySweep, SweepProgress};
use run::{Run, CLOSED, MAX_CLASSES};

const NIL: u32 = u32::MAX;
const NO_CLASS: u8 = u8::MAX;

/// Geometry of a pool space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolConfig {
    /// Bytes per arena, the unit taken from and returned to the system (default 1 MiB).
    pub arena_bytes: usize,
    /// Bytes per pool, the unit given to one size class (default 16 KiB).
    pub pool_bytes: usize,
    /// The largest object served; larger ones belong in the large-object space
    /// (default 8192; CPython's obmalloc uses 512).
    pub max_object_bytes: usize,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig { arena_bytes: 1 << 20, pool_bytes: 16 << 10, max_object_bytes: MAX_CLASS_BYTES }
    }
}

impl PoolConfig {
    /// Checks the geometry, naming the field at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field, reason: &str| Err(ConfigError { field, reason: reason.to_string() });
        // Pools are returned to the system one by one, and the system works in pages.
        if !self.pool_bytes.is_power_of_two() || !(PAGE_SIZE..=1 << 20).contains(&self.pool_bytes) {
            return bad("pool_bytes", "must be a power of two from 4 KiB (a page) to 1 MiB");
        }
        if !self.arena_bytes.is_power_of_two() || self.arena_bytes > gclab_core::CARVE_ALIGN {
            return bad("arena_bytes", "must be a power of two of at most 1 MiB");
        }
        let pools = self.arena_bytes / self.pool_bytes;
        if !(1..=127).contains(&pools) {
            return bad("arena_bytes", "must hold between 1 and 127 pools");
        }
        if self.max_object_bytes % GRANULE != 0
            || self.max_object_bytes < GRANULE
            || self.max_object_bytes > MAX_CLASS_BYTES.min(self.pool_bytes)
        {
            return bad("max_object_bytes", "must be a multiple of 16 from 16 to min(8192, pool_bytes)");
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug)]
struct Pool {
    class: u8,
    cell: u32,
    /// Offset in the pool of the first free cell, or NIL.
    free_head: u32,
    /// Offset of the first never-used cell.
    bump: u32,
    live: u32,
    capacity: u32,
    /// Links in the class's usable list (or `next` in the arena's free-pool list).
    prev: u32,
    next: u32,
    /// A free pool whose pages were returned to the system (and made inaccessible) by
    /// `decommit_free_pools`. In an arena's free-pool list such pools come after every
    /// committed one: pools are decommitted all at once and freed pools join at the head.
    decommitted: bool,
    /// The lazy-sweep epochs (see `lazy.rs`) in which this pool's dead objects were last
    /// invalidated and last freed (or in which it was taken). Always current for spaces that
    /// never sweep lazily.
    invalidated: u32,
    swept: u32,
}

const FREE_POOL: Pool = Pool {
    class: NO_CLASS,
    cell: 0,
    free_head: NIL,
    bump: 0,
    live: 0,
    capacity: 0,
    prev: NIL,
    next: NIL,
    decommitted: false,
    invalidated: 0,
    swept: 0,
};

#[derive(Clone, Copy, Debug)]
struct Arena {
    committed: bool,
    free_pools: u32,
    free_head: u32,
    prev: u32,
    next: u32,
}

/// A size-class free-list space (see the module documentation).
#[derive(Debug)]
pub struct PoolSpace {
    config: PoolConfig,
    /// [`ObjectMemory::identity`] of the memory the space was carved from: every method that
    /// touches memory checks that it is handed that one.
    memory_identity: u64,
    classes: SizeClasses,
    /// The open allocation run of each size class (see `run.rs`).
    runs: [Run; MAX_CLASSES],
    /// Bit `c` set iff class `c` has an open run: the totals subtract what open runs hold
    /// by visiting only those (usually one or two), not every class.
    open_runs: u64,
    /// Per class, the cells runs have handed out since the space was made, counting an open
    /// run's cells in full (see [`PoolSpace::cells_handed_out`]): allocation counted per run.
    handed: [u64; MAX_CLASSES],
    /// Byte offset of the space in the heap's region.
    start: usize,
    max_arenas: usize,
    pools_per_arena: u32,
    /// `log2(pool_bytes)`: pool sizes are powers of two, and `free` must not divide.
    pool_shift: u32,
    pools: Vec<Pool>,
    arenas: Vec<Arena>,
    usable: Vec<u32>,
    /// Arenas by free-pool count (index 0 unused); `bucket_mask` bit k is set iff bucket k
    /// is non-empty.
    buckets: Vec<u32>,
    bucket_mask: u128,
    released: Vec<u32>,
    committed_arenas: usize,
    /// Committed arenas with every pool free.
    empty_arenas: usize,
    /// Free pools of committed arenas whose pages were returned to the system.
    decommitted_pools: usize,
    /// Cells handed out by pools (cached cells included: they are still in use for their
    /// pools), and their bytes.
    live_objects: usize,
    live_bytes: usize,
    /// Per class, the head of the cell cache (see [`PoolSpace::free_to_cache`]): freed cells
    /// linked through their first word, most recent first; `NIL` when empty.
    cache: Vec<u32>,
    cached_cells: usize,
    cached_bytes: usize,
    /// The lazy sweep (see `lazy.rs`): the current epoch, its stage, and the cursor walking
    /// pools `sweep_cursor..sweep_end` that the stage may still have to visit.
    sweep_epoch: u32,
    sweep_stage: lazy::LazySweep,
    sweep_cursor: usize,
    sweep_end: usize,
}

impl PoolSpace {
    /// A space of up to `bytes` (rounded up to whole arenas), carved from `memory`.
    pub fn new(memory: &mut ObjectMemory, bytes: usize, config: PoolConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let bytes = bytes.next_multiple_of(config.arena_bytes);
        let start = memory.carve(bytes);
        let pools_per_arena = (config.arena_bytes / config.pool_bytes) as u32;
        let classes = SizeClasses::new(config.max_object_bytes);
        assert!(classes.len() <= MAX_CLASSES, "{} size classes, at most {MAX_CLASSES}", classes.len());
        Ok(PoolSpace {
            runs: [CLOSED; MAX_CLASSES],
            open_runs: 0,
            handed: [0; MAX_CLASSES],
            memory_identity: memory.identity(),
            usable: vec![NIL; classes.len()],
            cache: vec![NIL; classes.len()],
            classes,
            start,
            max_arenas: bytes / config.arena_bytes,
            pools_per_arena,
            pool_shift: config.pool_bytes.trailing_zeros(),
            pools: Vec::new(),
            arenas: Vec::new(),
            buckets: vec![NIL; pools_per_arena as usize + 1],
            bucket_mask: 0,
            released: Vec::new(),
            committed_arenas: 0,
            empty_arenas: 0,
            decommitted_pools: 0,
            live_objects: 0,
            live_bytes: 0,
            cached_cells: 0,
            cached_bytes: 0,
            sweep_epoch: 0,
            sweep_stage: lazy::LazySweep::Done,
            sweep_cursor: 0,
            sweep_end: 0,
            config,
        })
    }

    /// The size classes served.
    #[inline]
    pub fn classes(&self) -> &SizeClasses {
        &self.classes
    }

    /// The geometry.
    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// Bytes held from the system (committed arenas).
    #[inline]
    pub fn committed_bytes(&self) -> usize {
        self.committed_arenas * self.config.arena_bytes - self.decommitted_pools * self.config.pool_bytes
    }

    /// Arenas taken from the system (some of their free pools may have been returned).
    #[inline]
    pub fn committed_arenas(&self) -> usize {
        self.committed_arenas
    }

    /// Bytes one more arena would add.
    #[inline]
    pub fn arena_bytes(&self) -> usize {
        self.config.arena_bytes
    }

    /// Objects allocated and not freed.
    #[inline]
    pub fn live_objects(&self) -> usize {
        self.live_objects - self.cached_cells - self.unused_in_runs().0
    }

    /// Bytes in cells of allocated objects.
    #[inline]
    pub fn live_bytes(&self) -> usize {
        self.live_bytes - self.cached_bytes - self.unused_in_runs().1
    }

    /// Arenas wholly free but still committed.
    #[inline]
    pub fn empty_arenas(&self) -> usize {
        self.empty_arenas
    }

    /// Whether `granule` lies in this space.
    #[inline]
    pub fn contains(&self, granule: usize) -> bool {
        let byte = granule * GRANULE;
        byte >= self.start && byte < self.start + self.max_arenas * self.config.arena_bytes
    }

    #[inline]
    fn granule_of(&self, pool: u32, offset: u32) -> usize {
        (self.start + pool as usize * self.config.pool_bytes + offset as usize) / GRANULE
    }

    /// Panics unless `memory` is the one this space was carved from. Every safe method that
    /// touches memory calls it (only where it touches memory, to keep it off the bump path):
    /// the space's bookkeeping describes that memory and no other.
    #[inline]
    #[track_caller]
    fn check_memory(&self, memory: &ObjectMemory) {
        memory.assert_identity(self.memory_identity, "pool space");
    }

    /// The first word of the free cell at `granule`, which links its list.
    ///
    /// # Safety
    /// `memory` must be this space's (see [`PoolSpace::check_memory`]) and `granule` a cell of
    /// a pool in use by this space (so committed), holding no live object.
    #[inline]
    unsafe fn link_word(memory: &ObjectMemory, granule: usize) -> &AtomicU64 {
        // SAFETY: the cell lies inside the region, in a committed arena, 16-aligned, and
        // holds no live object (it is free): its first word is ours to use as a link,
        // accessed atomically only.
        unsafe { &*memory.addr_of_unchecked(granule).cast::<AtomicU64>() }
    }

    /// Gives `class` a fresh pool, taking memory from the system only within `room` bytes
    /// (the caller's headroom under its heap limit). In order: a committed free pool of the
    /// fullest arena that has one (obmalloc's policy: lightly used arenas drain); else a free
    /// pool whose pages were returned (`pool_bytes` of room); else a new arena, committed
    /// whole when `room` allows and otherwise one pool of it (so a heap limit is never
    /// refused for want of a whole arena when a pool fits). Returns whether a pool was added; on `true`, [`PoolSpace::committed_bytes`]
    /// may have grown (by at most `room`).
    pub fn take_pool(&mut self, memory: &ObjectMemory, class: usize, room: usize) -> bool {
        self.check_memory(memory);
        let pool_bytes = self.config.pool_bytes;
        let index = match self.free_pool(false) {
            Some(index) => index,
            None => match self.free_pool(true) {
                Some(index) if room >= pool_bytes => {
                    if !memory.commit(self.start + index as usize * pool_bytes, pool_bytes) {
                        return false;
                    }
                    self.pools[index as usize].decommitted = false;
                    self.decommitted_pools -= 1;
                    index
                }
                _ if room >= pool_bytes => match self.commit_arena(memory, room) {
                    Some(arena) => self.arenas[arena as usize].free_head,
                    None => return false,
                },
                _ => return false,
            },
        };
        self.unlink_free_pool(index);
        let cell = self.classes.size(class) as u32;
        self.pools[index as usize] = Pool {
            class: class as u8,
            cell,
            free_head: NIL,
            bump: 0,
            live: 0,
            capacity: self.config.pool_bytes as u32 / cell,
            prev: NIL,
            next: NIL,
            decommitted: false,
            invalidated: self.sweep_epoch,
            swept: self.sweep_epoch,
        };
        self.link_usable(index);
        true
    }

    /// A free pool of the fullest arena that has one: committed unless `decommitted`. The
    /// common case is one look at the lowest non-empty bucket; a decommitted head sends the
    /// search through the other arenas (rare: only after `decommit_free_pools`).
    fn free_pool(&self, decommitted: bool) -> Option<u32> {
        let mut mask = self.bucket_mask;
        while mask != 0 {
            let mut arena = self.buckets[mask.trailing_zeros() as usize];
            while arena != NIL {
                let head = self.arenas[arena as usize].free_head;
                // Committed free pools come first in an arena's list, so the head tells
                // whether it has any; a decommitted pool is found at the head or not at all
                // when the arena has none committed, else anywhere after: walk for it.
                let mut p = head;
                while p != NIL {
                    if self.pools[p as usize].decommitted == decommitted {
                        return Some(p);
                    }
                    if !decommitted {
                        break;
                    }
                    p = self.pools[p as usize].next;
                }
                arena = self.arenas[arena as usize].next;
            }
            mask &= mask - 1;
        }
        None
    }

    /// Takes free pool `index` off its arena's free-pool list.
    fn unlink_free_pool(&mut self, index: u32) {
        let arena = index / self.pools_per_arena;
        let mut p = self.arenas[arena as usize].free_head;
        let next = self.pools[index as usize].next;
        if p == index {
            self.arenas[arena as usize].free_head = next;
        } else {
            while self.pools[p as usize].next != index {
                p = self.pools[p as usize].next;
                debug_assert!(p != NIL, "free pool {index} is on its arena's list");
            }
            self.pools[p as usize].next = next;
        }
        self.set_free_pools(arena, self.arenas[arena as usize].free_pools - 1);
    }

    /// Takes a new arena from the system (a released one first): all of it if `room` holds
    /// an arena, else only its first pool, the others left decommitted (inaccessible, not
    /// counted) for `take_pool` to commit one by one.
    fn commit_arena(&mut self, memory: &ObjectMemory, room: usize) -> Option<u32> {
        let arena = match self.released.last() {
            Some(&a) => a,
            None if self.arenas.len() < self.max_arenas => self.arenas.len() as u32,
            None => return None,
        };
        let (arena_bytes, pool_bytes) = (self.config.arena_bytes, self.config.pool_bytes);
        let whole = room >= arena_bytes;
        if !memory.commit(self.start + arena as usize * arena_bytes, if whole { arena_bytes } else { pool_bytes }) {
            return None;
        }
        if self.released.pop().is_none() {
            self.arenas.push(Arena { committed: false, free_pools: 0, free_head: NIL, prev: NIL, next: NIL });
            self.pools.extend(std::iter::repeat_n(FREE_POOL, self.pools_per_arena as usize));
        }
        let first = arena * self.pools_per_arena;
        // Thread the free-pool list so the lowest pool comes first (and, when only the first
        // is committed, the committed pool before the decommitted ones).
        for p in first..first + self.pools_per_arena {
            let next = if p + 1 < first + self.pools_per_arena { p + 1 } else { NIL };
            self.pools[p as usize] = Pool { next, decommitted: !whole && p != first, ..FREE_POOL };
        }
        if !whole {
            self.decommitted_pools += self.pools_per_arena as usize - 1;
        }
        self.arenas[arena as usize] = Arena { committed: true, free_pools: 0, free_head: first, prev: NIL, next: NIL };
        self.set_free_pools(arena, self.pools_per_arena);
        self.committed_arenas += 1;
        Some(arena)
    }

    /// Frees the object at `granule`: clears its valid bit and returns its cell to its pool.
    /// Returns the cell's size.
    ///
    /// # Safety
    /// `memory` must be the one this space was carved from, an object of this space must start
    /// at `granule`, and no slot or root may refer to it.
    pub unsafe fn free(&mut self, memory: &ObjectMemory, granule: usize) -> usize {
        // SAFETY: forwarded to the caller.
        unsafe { memory.free_object(granule) };
        let cell = self.return_cell(memory, granule);
        self.live_objects -= 1;
        self.live_bytes -= cell;
        cell
    }

    /// Puts the free cell at `granule` (valid bit clear) back on its pool's free list,
    /// moving the pool between lists as it stops being full or becomes empty. Returns the
    /// cell's size.
    #[inline]
    fn return_cell(&mut self, memory: &ObjectMemory, granule: usize) -> usize {
        let byte = granule * GRANULE - self.start;
        let index = (byte >> self.pool_shift) as u32;
        let offset = (byte & (self.config.pool_bytes - 1)) as u32;
        let pool = &mut self.pools[index as usize];
        debug_assert!(pool.class != NO_CLASS && offset % pool.cell == 0, "free of a non-cell");
        // SAFETY: callers pass this space's memory and a cell of a pool in use that holds no
        // live object (its object was just freed).
        unsafe { Self::link_word(memory, granule) }.store(pool.free_head as u64, Relaxed);
        pool.free_head = offset;
        let was_full = pool.live == pool.capacity;
        pool.live -= 1;
        let (live, cell, class) = (pool.live, pool.cell as usize, pool.class as usize);
        if live == 0 {
            if !was_full {
                self.unlink_usable(index);
            }
            // A run still open on the pool has handed out all its cells (they count in
            // `live`): detach it before the pool goes.
            if self.runs[class].pool == index {
                self.runs[class] = CLOSED;
                self.open_runs &= !(1 << class);
            }
            self.return_pool(index);
        } else if was_full {
            self.link_usable(index);
        }
        cell
    }

    fn return_pool(&mut self, index: u32) {
        let arena = index / self.pools_per_arena;
        self.pools[index as usize] = Pool { next: self.arenas[arena as usize].free_head, ..FREE_POOL };
        self.arenas[arena as usize].free_head = index;
        self.set_free_pools(arena, self.arenas[arena as usize].free_pools + 1);
    }

    /// Frees every object of the space whose bit in `marks` is clear, and clears `marks` over
    /// the space. Returns the objects and bytes freed.
    ///
    /// Works a pool at a time, a bitmap word (64 granules) at a step: `valid & mark` is what
    /// survives and becomes the new valid bits. A pool with no survivor goes straight back to
    /// its arena without touching its cells (the common case when most objects die young);
    /// otherwise only its dead cells are threaded onto its free list. The cost is the pools in
    /// use plus the dead cells of pools that keep a survivor.
    ///
    /// # Safety
    /// Every object whose mark is clear must be unreachable from every slot and root.
    pub unsafe fn sweep(&mut self, memory: &ObjectMemory, marks: &SideBitmap) -> (usize, usize) {
        // Cached cells have their valid bits clear but count as in use: return them first,
        // and the cells of open runs too.
        self.flush_cache(memory);
        self.close_runs(memory);
        // SAFETY: the sweep clears valid bits only of unmarked objects, which the caller
        // guarantees are unreachable, and their cells go back on their pools' free lists.
        let valid_bits = unsafe { memory.valid_bits_writer() };
        let (mut objects, mut bytes) = (0, 0);
        let words_per_pool = self.config.pool_bytes / GRANULE / 64;
        for index in 0..self.pools.len() {
            if self.pools[index].class == NO_CLASS {
                continue;
            }
            let first_word = self.granule_of(index as u32, 0) / 64;
            let words = first_word..first_word + words_per_pool;
            let survivors: u32 = words
                .clone()
                .map(|w| (valid_bits.word(w).load(Relaxed) & marks.word(w).load(Relaxed)).count_ones())
                .sum();
            let pool = self.pools[index];
            let dead = pool.live - survivors;
            objects += dead as usize;
            bytes += (dead * pool.cell) as usize;
            self.live_objects -= dead as usize;
            self.live_bytes -= (dead * pool.cell) as usize;
            if dead == 0 {
                words.for_each(|w| marks.word(w).store(0, Relaxed));
                continue;
            }
            if survivors == 0 {
                words.for_each(|w| {
                    valid_bits.word(w).store(0, Relaxed);
                    marks.word(w).store(0, Relaxed);
                });
                if pool.live < pool.capacity {
                    self.unlink_usable(index as u32);
                }
                self.return_pool(index as u32);
                continue;
            }
            let mut free_head = pool.free_head;
            for w in words {
                let valid = valid_bits.word(w).load(Relaxed);
                let mark = marks.word(w).load(Relaxed);
                valid_bits.word(w).store(valid & mark, Relaxed);
                marks.word(w).store(0, Relaxed);
                let mut dead = valid & !mark;
                while dead != 0 {
                    let granule = w * 64 + dead.trailing_zeros() as usize;
                    dead &= dead - 1;
                    // SAFETY: a dead cell of a pool in use, in this space's memory (checked
                    // by `flush_cache` above).
                    unsafe { Self::link_word(memory, granule) }.store(free_head as u64, Relaxed);
                    free_head = ((granule * GRANULE - self.start) & (self.config.pool_bytes - 1)) as u32;
                }
            }
            let was_full = pool.live == pool.capacity;
            self.pools[index].free_head = free_head;
            self.pools[index].live = survivors;
            if was_full {
                self.link_usable(index as u32);
            }
        }
        (objects, bytes)
    }

    /// Returns the pages of every free pool in a partly used arena to the system, and returns
    /// how many pools that was.
    ///
    /// CPython keeps an arena's memory while a single object in it lives, so a heap that
    /// keeps one object in a thousand stays at its peak size. Pools are the unit that empties
    /// first: returning free pools of arenas that cannot be returned whole gives that memory
    /// back. A decommitted pool is inaccessible until [`PoolSpace::take_pool`] commits it
    /// again (within the room it is given), zero. Wholly free arenas are left to
    /// [`PoolSpace::release_empty_arenas`].
    pub fn decommit_free_pools(&mut self, memory: &ObjectMemory) -> usize {
        self.decommit_free_pools_over(memory, 0)
    }

    /// [`PoolSpace::decommit_free_pools`], stopping once the free pools of partly used
    /// arenas that stay committed hold at most `keep` bytes (give or take one arena's): only
    /// the excess goes back. Whole arenas' free pools go at once, those with the most free
    /// pools first: allocation takes pools from the fullest arenas, so theirs are the likeliest
    /// to be used again. Returns how many pools were decommitted.
    pub fn decommit_free_pools_over(&mut self, memory: &ObjectMemory, keep: usize) -> usize {
        self.check_memory(memory);
        let mut excess = self.free_pool_bytes().saturating_sub(keep);
        if excess == 0 {
            return 0;
        }
        let ppa = self.pools_per_arena;
        let mut arenas: Vec<u32> = (0..self.arenas.len() as u32)
            .filter(|&a| {
                let arena = &self.arenas[a as usize];
                arena.committed && arena.free_pools != 0 && arena.free_pools != ppa
            })
            .collect();
        arenas.sort_by_key(|&a| std::cmp::Reverse(self.arenas[a as usize].free_pools));
        let mut decommitted = 0;
        for a in arenas {
            if excess == 0 {
                break;
            }
            // The arena's committed free pools all go, so that its free-pool list stays
            // committed pools first, decommitted ones after (all of them, here).
            let mut p = self.arenas[a as usize].free_head;
            while p != NIL {
                let pool = &mut self.pools[p as usize];
                if !pool.decommitted {
                    pool.decommitted = true;
                    // SAFETY: a free pool of this space's memory (checked) holds no object and
                    // no free cell: nothing refers into it, and nothing touches it until
                    // `take_pool` commits it again.
                    unsafe { memory.release(self.start + p as usize * self.config.pool_bytes, self.config.pool_bytes) };
                    decommitted += 1;
                    excess = excess.saturating_sub(self.config.pool_bytes);
                }
                p = pool.next;
            }
        }
        self.decommitted_pools += decommitted;
        decommitted
    }

    /// Bytes in free pools of partly used arenas that are still committed: what
    /// [`PoolSpace::decommit_free_pools`] would return.
    pub fn free_pool_bytes(&self) -> usize {
        let ppa = self.pools_per_arena as usize;
        let free: usize = (0..self.arenas.len())
            .filter(|&a| self.arenas[a].committed && self.arenas[a].free_pools as usize != ppa)
            .map(|a| {
                self.pools[a * ppa..(a + 1) * ppa].iter().filter(|p| p.class == NO_CLASS && !p.decommitted).count()
            })
            .sum();
        free * self.config.pool_bytes
    }

    /// What a tracing collector returns to the system after a collection, given `headroom`:
    /// the bytes the mutator may allocate before the next one (next trigger less live bytes).
    /// Free memory that the headroom will fill stays committed, so the next cycle's
    /// allocation does not fault pages in again; the rest goes back. First wholly empty
    /// arenas: as many as the headroom fills are kept, the others released. Then the free
    /// pools pinned in partly used arenas: as many as the rest of the headroom fills (and at
    /// least a quarter of what the space holds, so that a small surplus is not returned and
    /// faulted back every cycle) are kept, the excess decommitted. Returns the arenas
    /// released and the pools decommitted. The policy marksweep, generational and concurrent
    /// share.
    pub fn trim_after_collection(&mut self, memory: &ObjectMemory, headroom: usize) -> (usize, usize) {
        let released = self.release_empty_arenas(memory, headroom / self.config.arena_bytes);
        let in_empty_arenas = self.empty_arenas * self.config.arena_bytes;
        let keep = headroom.saturating_sub(in_empty_arenas).max(self.committed_bytes() / 4);
        let decommitted = self.decommit_free_pools_over(memory, keep);
        (released, decommitted)
    }

    /// Bytes in every free pool that is still committed, in partly used and wholly free arenas
    /// alike: what [`PoolSpace::take_pool`] can hand out without taking memory from the system.
    pub fn committed_free_pool_bytes(&self) -> usize {
        let ppa = self.pools_per_arena as usize;
        let free: usize = (0..self.arenas.len())
            .filter(|&a| self.arenas[a].committed)
            .map(|a| {
                self.pools[a * ppa..(a + 1) * ppa].iter().filter(|p| p.class == NO_CLASS && !p.decommitted).count()
            })
            .sum();
        free * self.config.pool_bytes
    }

    /// Returns wholly free arenas to the system, keeping `keep` of them committed for the
    /// allocations to come. Returns how many were released.
    pub fn release_empty_arenas(&mut self, memory: &ObjectMemory, keep: usize) -> usize {
        self.check_memory(memory);
        let full = self.pools_per_arena as usize;
        let mut kept = 0;
        let mut released = 0;
        let mut arena = self.buckets[full];
        while arena != NIL {
            let next = self.arenas[arena as usize].next;
            if kept < keep {
                kept += 1;
            } else {
                let first = (arena * self.pools_per_arena) as usize;
                let pools = &mut self.pools[first..first + self.pools_per_arena as usize];
                self.decommitted_pools -= pools.iter().filter(|p| p.decommitted).count();
                pools.iter_mut().for_each(|p| p.decommitted = false);
                self.unlink_bucket(arena);
                self.arenas[arena as usize] =
                    Arena { committed: false, free_pools: 0, free_head: NIL, prev: NIL, next: NIL };
                // SAFETY: every pool of this arena is free, in this space's memory (checked):
                // nothing refers into it, and nothing touches it until `commit_arena`.
                unsafe {
                    memory.release(self.start + arena as usize * self.config.arena_bytes, self.config.arena_bytes)
                };
                self.released.push(arena);
                self.committed_arenas -= 1;
                released += 1;
            }
            arena = next;
        }
        released
    }

    /// Calls `f` with the granule of every allocated object, in address order.
    pub fn for_each_object(&self, memory: &ObjectMemory, mut f: impl FnMut(usize)) {
        for (index, pool) in self.pools.iter().enumerate() {
            if pool.class != NO_CLASS {
                let g = self.granule_of(index as u32, 0);
                memory.valid_bits().for_each_set(g, g + self.config.pool_bytes / GRANULE, &mut f);
            }
        }
    }

    fn set_free_pools(&mut self, arena: u32, count: u32) {
        if self.arenas[arena as usize].free_pools > 0 {
            self.unlink_bucket(arena);
        }
        self.arenas[arena as usize].free_pools = count;
        if count == self.pools_per_arena {
            self.empty_arenas += 1;
        }
        if count > 0 {
            let head = self.buckets[count as usize];
            self.arenas[arena as usize].prev = NIL;
            self.arenas[arena as usize].next = head;
            if head != NIL {
                self.arenas[head as usize].prev = arena;
            }
            self.buckets[count as usize] = arena;
            self.bucket_mask |= 1 << count;
        }
    }

    fn unlink_bucket(&mut self, arena: u32) {
        let Arena { prev, next, free_pools, .. } = self.arenas[arena as usize];
        if free_pools == self.pools_per_arena {
            self.empty_arenas -= 1;
        }
        if prev != NIL {
            self.arenas[prev as usize].next = next;
        } else {
            self.buckets[free_pools as usize] = next;
            if next == NIL {
                self.bucket_mask &= !(1 << free_pools);
            }
        }
        if next != NIL {
            self.arenas[next as usize].prev = prev;
        }
    }

    fn link_usable(&mut self, index: u32) {
        let class = self.pools[index as usize].class as usize;
        let head = self.usable[class];
        self.pools[index as usize].prev = NIL;
        self.pools[index as usize].next = head;
        if head != NIL {
            self.pools[head as usize].prev = index;
        }
        self.usable[class] = index;
    }

    fn unlink_usable(&mut self, index: u32) {
        let Pool { prev, next, class, .. } = self.pools[index as usize];
        if prev != NIL {
            self.pools[prev as usize].next = next;
        } else {
            self.usable[class as usize] = next;
        }
        if next != NIL {
            self.pools[next as usize].prev = prev;
        }
        self.pools[index as usize].prev = NIL;
        self.pools[index as usize].next = NIL;
    }

    /// Checks every invariant of the space: descriptor fields, free lists (in bounds,
    /// cell-aligned, no duplicates, valid bits clear), valid bits only at allocated cells,
    /// usable lists, arena buckets and the totals.
    pub fn verify(&self, memory: &ObjectMemory) -> Result<(), VerifyError> {
        self.verify_lazy(memory, None)
    }

    /// [`PoolSpace::verify`] during a lazy sweep (see `lazy.rs`): `marks` is the bitmap handed
    /// to [`PoolSpace::sweep_some`], whose dead sets count the cells that are invalidated but
    /// not yet freed.
    pub fn verify_lazy(&self, memory: &ObjectMemory, marks: Option<&SideBitmap>) -> Result<(), VerifyError> {
        self.check_memory(memory);
        let pool_granules = self.config.pool_bytes / GRANULE;
        let (cached, cached_cells) = self.verify_cache(memory)?;
        let mut in_usable = vec![false; self.pools.len()];
        for (class, &head) in self.usable.iter().enumerate() {
            let (mut p, mut prev, mut steps) = (head, NIL, 0);
            while p != NIL {
                let pool = &self.pools[p as usize];
                ensure!(
                    pool.class as usize == class,
                    "pool {p} in usable list of class {class} has class {}",
                    pool.class
                );
                ensure!(pool.prev == prev, "pool {p}: broken usable back-link");
                ensure!(!in_usable[p as usize], "pool {p} twice in usable lists");
                in_usable[p as usize] = true;
                steps += 1;
                ensure!(steps <= self.pools.len(), "usable list of class {class} loops");
                prev = p;
                p = pool.next;
            }
        }
        let (mut live_objects, mut live_bytes, mut committed) = (0, 0, 0);
        for (a, arena) in self.arenas.iter().enumerate() {
            let first = a * self.pools_per_arena as usize;
            let pools = first..first + self.pools_per_arena as usize;
            if !arena.committed {
                let g = self.granule_of(first as u32, 0);
                let valid = memory.valid_bits().count_range(g, g + self.config.arena_bytes / GRANULE);
                ensure!(valid == 0, "released arena {a} holds {valid} valid bits");
                ensure!(self.released.contains(&(a as u32)), "uncommitted arena {a} is not on the released list");
                continue;
            }
            committed += 1;
            let free_pools = self.pools[pools.clone()].iter().filter(|p| p.class == NO_CLASS).count();
            ensure!(
                free_pools == arena.free_pools as usize,
                "arena {a} counts {} free pools, has {free_pools}",
                arena.free_pools
            );
            let (mut p, mut steps) = (arena.free_head, 0);
            let mut seen_decommitted = false;
            while p != NIL {
                ensure!(pools.contains(&(p as usize)), "arena {a}'s free-pool list leaves the arena");
                ensure!(self.pools[p as usize].class == NO_CLASS, "pool {p} on a free-pool list is in use");
                let decommitted = self.pools[p as usize].decommitted;
                ensure!(
                    decommitted || !seen_decommitted,
                    "arena {a}'s free-pool list has committed pool {p} after a decommitted one"
                );
                seen_decommitted |= decommitted;
                steps += 1;
                ensure!(steps <= free_pools, "arena {a}'s free-pool list is longer than its free pools");
                p = self.pools[p as usize].next;
            }
            ensure!(steps == free_pools, "arena {a}'s free-pool list has {steps} of {free_pools} free pools");
            for index in pools {
                let pool = &self.pools[index];
                let g = self.granule_of(index as u32, 0);
                if pool.class == NO_CLASS {
                    let valid = memory.valid_bits().count_range(g, g + pool_granules);
                    ensure!(valid == 0, "free pool {index} holds {valid} valid bits");
                    continue;
                }
                let cell = self.classes.size(pool.class as usize) as u32;
                ensure!(
                    pool.cell == cell && pool.capacity == self.config.pool_bytes as u32 / cell,
                    "pool {index}: bad geometry"
                );
                ensure!(pool.bump % cell == 0 && pool.bump <= pool.capacity * cell, "pool {index}: bad bump offset");
                ensure!(pool.live > 0, "pool {index} is in use with no live object");
                ensure!(
                    in_usable[index] == (pool.live < pool.capacity),
                    "pool {index}: usable-list membership disagrees with fullness"
                );
                // An open run holds cells counted in use but not handed out: its untouched
                // range (no valid bit may lie there) and its free list.
                let (run_untouched, run_free) = match self.run_on(index as u32, memory) {
                    Some((cursor, end, free)) => (cursor..end, free),
                    None => (0..0, Vec::new()),
                };
                let mut valid = 0;
                let mut misplaced = None;
                memory.valid_bits().for_each_set(g, g + pool_granules, |v| {
                    let offset = ((v - g) * GRANULE) as u32;
                    if offset % cell != 0 || offset >= pool.bump || run_untouched.contains(&v) {
                        misplaced = Some(offset);
                    }
                    valid += 1;
                });
                ensure!(misplaced.is_none(), "pool {index}: valid bit at offset {misplaced:?}, not an allocated cell");
                let in_cache = cached_cells.get(&(index as u32)).map_or(&[][..], Vec::as_slice);
                let run_unused = (run_untouched.len() * GRANULE / cell as usize + run_free.len()) as u32;
                let pending = self.pending_dead(index, marks);
                ensure!(
                    valid + in_cache.len() as u32 + run_unused + pending == pool.live,
                    "pool {index}: {valid} valid bits, {} cached cells and {run_unused} cells of an open run but {} \
                     cells in use",
                    in_cache.len(),
                    pool.live
                );
                // Every cell that is not an object (on the run's free list, cached, or on the
                // pool's free list) lies at a cell boundary below the bump offset, holds no
                // valid bit, and is listed once across all three.
                let mut seen = vec![false; pool.capacity as usize];
                let mut free_cell = |offset: u32, what: &str| -> Result<(), VerifyError> {
                    ensure!(offset < pool.bump && offset % cell == 0, "pool {index}: {what} at bad offset {offset}");
                    ensure!(!seen[(offset / cell) as usize], "pool {index}: {what} {offset} listed twice");
                    seen[(offset / cell) as usize] = true;
                    let granule = self.granule_of(index as u32, offset);
                    ensure!(!memory.is_object(granule), "pool {index}: {what} {offset} has its valid bit set");
                    Ok(())
                };
                for &offset in &run_free {
                    free_cell(offset, "run's free cell")?;
                }
                for &offset in in_cache {
                    free_cell(offset, "cached cell")?;
                }
                let (mut offset, mut free) = (pool.free_head, 0);
                while offset != NIL {
                    free_cell(offset, "free cell")?;
                    free += 1;
                    let granule = self.granule_of(index as u32, offset);
                    // SAFETY: this space's memory (checked); a free cell of a pool in use.
                    offset = unsafe { Self::link_word(memory, granule) }.load(Relaxed) as u32;
                }
                ensure!(
                    pool.live + free + (pool.capacity - pool.bump / cell) == pool.capacity,
                    "pool {index}: {} live + {free} free + untouched cells do not make {}",
                    pool.live,
                    pool.capacity
                );
                live_objects += pool.live as usize;
                live_bytes += (pool.live * cell) as usize;
            }
        }
        let empty = self.arenas.iter().filter(|a| a.committed && a.free_pools == self.pools_per_arena).count();
        let decommitted = self.pools.iter().filter(|p| p.decommitted).count();
        ensure!(
            decommitted == self.decommitted_pools,
            "{decommitted} pools decommitted, {} counted",
            self.decommitted_pools
        );
        ensure!(
            self.pools.iter().all(|p| !p.decommitted || p.class == NO_CLASS),
            "a pool in use is marked decommitted"
        );
        ensure!(empty == self.empty_arenas, "{empty} empty arenas, {} counted", self.empty_arenas);
        ensure!(committed == self.committed_arenas, "{committed} arenas committed, {} counted", self.committed_arenas);
        ensure!(cached == self.cached_cells, "{cached} cells cached, {} counted", self.cached_cells);
        for (class, run) in self.runs.iter().enumerate() {
            ensure!(
                (self.open_runs >> class & 1 == 1) == (run.pool != NIL),
                "class {class}: the open-run mask disagrees with its run"
            );
        }
        ensure!(live_objects == self.live_objects, "{live_objects} cells in use, {} counted", self.live_objects);
        ensure!(live_bytes == self.live_bytes, "{live_bytes} bytes of cells in use, {} counted", self.live_bytes);
        for (k, &head) in self.buckets.iter().enumerate().skip(1) {
            ensure!((head != NIL) == (self.bucket_mask & (1 << k) != 0), "bucket {k}: mask disagrees");
            let (mut a, mut steps) = (head, 0);
            while a != NIL {
                ensure!(self.arenas[a as usize].free_pools as usize == k, "arena {a} in bucket {k} has other count");
                steps += 1;
                ensure!(steps <= self.arenas.len(), "bucket {k} loops");
                a = self.arenas[a as usize].next;
            }
        }
        Ok(())
    }
}
