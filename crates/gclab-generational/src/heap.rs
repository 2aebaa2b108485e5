//! The generational plan: a nursery, an old pool space and large-object space, a write
//! barrier, and the minor and major collections that tie them together.

use gclab_core::{
    check_from_roots, mix64, object_size, AllocError, AllocateObject, Allocated, CollectionKind, ConfigError, Heap,
    HeapConfig, ObjRef, ObjectMemory, RefError, Roots, SideBitmap, Stats, Tag, Trigger, VerifyError, GRANULE,
};
use gclab_space::{LargeObjectSpace, PoolSpace};
use std::sync::atomic::Ordering::Relaxed;

use crate::config::GenerationalConfig;
use crate::evacuate::{Evacuated, Evacuation};
use crate::meta::{HASHED, HASH_MASK, HASH_SHIFT, MAX_AGE, UNLOGGED};
use crate::nursery::Nursery;
use crate::remembered::RememberedSet;

/// Statistics only a generational heap has, beside the shared [`Stats`].
#[derive(Clone, Debug, Default)]
pub struct GenerationalStats {
    /// Bytes copied into a survivor space, over all minor collections.
    pub bytes_copied: u64,
    /// Bytes promoted into the old space.
    pub bytes_promoted: u64,
    /// Objects promoted into the old space.
    pub objects_promoted: u64,
    /// Bytes of survivors by age (minor collections survived), summed over collections.
    pub survivor_ages: [u64; MAX_AGE as usize + 1],
    /// Stores that took the write barrier's slow path.
    pub barrier_slow_path: u64,
    /// Remembered-set entries (objects plus large-array chunks) at the start of each minor
    /// collection, in order: the first [`REMEMBERED_LOG`] collections (the counters
    /// `remembered_set_max` and `remembered_set_total` cover every one).
    pub remembered_at_minor: Vec<u32>,
    /// The tenuring threshold in force now.
    pub tenuring_threshold: u8,
}

/// A generational heap. See the crate documentation for the algorithm.
pub struct GenerationalHeap {
    memory: ObjectMemory,
    nursery: Nursery,
    pools: PoolSpace,
    large: LargeObjectSpace,
    marks: SideBitmap,
    remembered: RememberedSet,
    roots: Roots,
    /// The major-collection trigger, counting old-space bytes.
    trigger: Trigger,
    stats: Stats,
    generational: GenerationalStats,
    limit: usize,
    max_tenuring: u8,
    adaptive: bool,
    /// Objects larger than this are born old.
    max_young: usize,
    /// The most pool bytes a young byte can take when promoted, in units of
    /// `1 / FACTOR_ONE` (see [`GenerationalHeap::promotion_guaranteed`]).
    promotion_factor: u64,
    /// The mark stack, and the promoted objects awaiting a scan; kept to reuse the allocation.
    work: Vec<u32>,
}

impl std::fmt::Debug for GenerationalHeap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenerationalHeap")
            .field("heap_id", &self.memory.heap_id())
            .field("live_objects", &self.live_objects())
            .field("heap_bytes", &self.heap_bytes())
            .finish_non_exhaustive()
    }
}

/// How many minor collections' remembered-set sizes [`GenerationalStats`] keeps.
pub const REMEMBERED_LOG: usize = 1 << 16;

/// The unit of `promotion_factor`.
const FACTOR_ONE: u64 = 1024;

/// The worst ratio, over the size classes that objects of up to `max_young` bytes use, of the
/// pool bytes one cell takes (a pool's bytes over the cells it holds) to the smallest object
/// of that class (one granule more than the previous class's cell), in `1 / FACTOR_ONE`,
/// rounded up.
fn promotion_factor(pools: &PoolSpace, max_young: usize) -> u64 {
    let classes = pools.classes();
    let pool_bytes = pools.config().pool_bytes as u64;
    let mut worst = FACTOR_ONE;
    let mut smallest = GRANULE as u64;
    for class in 0..classes.len() {
        let cell = classes.size(class) as u64;
        if smallest > max_young as u64 {
            break;
        }
        let per_cell = pool_bytes.div_ceil(pools.cells_per_pool(class) as u64);
        worst = worst.max((per_cell * FACTOR_ONE).div_ceil(smallest));
        smallest = cell + GRANULE as u64;
    }
    worst
}

/// Names of the survivor-age counters, so `Stats::counters` carries the histogram.
const AGE_COUNTERS: [&str; MAX_AGE as usize + 1] = [
    "survivor_bytes_age_0",
    "survivor_bytes_age_1",
    "survivor_bytes_age_2",
    "survivor_bytes_age_3",
    "survivor_bytes_age_4",
    "survivor_bytes_age_5",
    "survivor_bytes_age_6",
    "survivor_bytes_age_7",
    "survivor_bytes_age_8",
    "survivor_bytes_age_9",
    "survivor_bytes_age_10",
    "survivor_bytes_age_11",
    "survivor_bytes_age_12",
    "survivor_bytes_age_13",
    "survivor_bytes_age_14",
    "survivor_bytes_age_15",
];

impl GenerationalHeap {
    /// Makes a heap with backend-specific settings.
    pub fn with_backend_config(config: GenerationalConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let limit = config.heap.heap_limit;
        let (eden, survivor) = config.layout();
        let nursery_reserve = eden + 2 * survivor + 2 * 1024;
        let pool_reserve = limit.next_multiple_of(config.pools.arena_bytes);
        let align = |bytes: usize| bytes.next_multiple_of(gclab_core::CARVE_ALIGN);
        // The large space's reservation leaves room for both other spaces' (so the whole
        // region stays within `MAX_RESERVE` for every accepted limit).
        let large_reserve = LargeObjectSpace::reserve_for(limit, align(nursery_reserve) + align(pool_reserve));
        let mut memory = ObjectMemory::new(align(nursery_reserve) + align(pool_reserve) + align(large_reserve))?;
        memory.set_huge_pages(config.heap.huge_pages);
        let nursery = Nursery::new(&mut memory, eden, survivor)?;
        let pools = PoolSpace::new(&mut memory, pool_reserve, config.pools.clone())?;
        let large = LargeObjectSpace::new(&mut memory, large_reserve);
        let granules = memory.valid_bits().len();
        let max_young = pools.classes().max_bytes().min(eden);
        let promotion_factor = promotion_factor(&pools, max_young);
        let mut stats = Stats::default();
        stats.set_heap_bytes(nursery.committed_bytes());
        Ok(GenerationalHeap {
            marks: SideBitmap::new(granules)?,
            remembered: RememberedSet::new(granules)?,
            memory,
            nursery,
            pools,
            large,
            roots: Roots::new(false),
            trigger: Trigger::new(&config.heap),
            stats,
            generational: GenerationalStats { tenuring_threshold: config.tenuring_age, ..Default::default() },
            limit,
            max_tenuring: config.tenuring_age,
            adaptive: config.adaptive_tenuring,
            max_young,
            promotion_factor,
            work: Vec::new(),
        })
    }

    /// Bytes held from the system: the nursery (all of it, always) and the old spaces.
    pub fn heap_bytes(&self) -> usize {
        self.nursery.committed_bytes() + self.pools.committed_bytes() + self.large.committed_bytes()
    }

    /// The generational statistics (the shared ones are [`Heap::stats`]).
    pub fn generational_stats(&self) -> &GenerationalStats {
        &self.generational
    }

    /// Stores that took the write barrier's slow path so far (the statistics' copy is
    /// updated at each collection).
    pub fn barrier_slow_path(&self) -> u64 {
        self.remembered.slow_path_hits
    }

    /// Eden's capacity in bytes, as laid out (the configured size clamped to the limit).
    pub fn eden_bytes(&self) -> usize {
        self.nursery.eden_bytes()
    }

    /// Whether `obj` is a live young object (in eden or a survivor space). Panics, naming the
    /// mistake, on a bad reference.
    #[track_caller]
    pub fn is_young(&self, obj: ObjRef) -> bool {
        self.try_check(obj).unwrap_or_else(|e| panic!("{e}"));
        self.nursery.is_young(obj.granule() as usize)
    }

    fn old_live_bytes(&self) -> usize {
        self.pools.live_bytes() + self.large.live_bytes()
    }

    fn live_bytes(&self) -> usize {
        self.old_live_bytes() + self.nursery.used_bytes()
    }

    fn exhausted(&self, requested: usize) -> AllocError {
        AllocError::heap_exhausted(requested, self.heap_bytes(), self.limit)
    }

    /// The old space's room for promotion: bytes it may still take from the system, plus the
    /// free pools it holds committed (`expensive` adds those; a scan of the arenas).
    fn old_room(&self, expensive: bool) -> usize {
        let room = self.limit.saturating_sub(self.heap_bytes());
        if expensive {
            room + self.pools.committed_free_pool_bytes()
        } else {
            room
        }
    }

    /// Whether the old space can surely take `young_bytes` of young objects if every one
    /// of them is promoted, by a quick bound: their pool footprint is at most
    /// `young_bytes × promotion_factor` (the worst ratio of pool bytes per cell to the
    /// smallest object of a class, over the classes young objects use; about 1.6 with the
    /// default pools, where two 5,136-byte objects fill a 16 KiB pool), plus one partly used
    /// pool per size class. HotSpot's young collector makes the same kind of check before it
    /// starts (`promotion_attempt_is_safe`); see [`GenerationalHeap::promotion_fits`] for the
    /// exact one.
    fn promotion_guaranteed(&self, young_bytes: usize) -> bool {
        let scaled = (young_bytes as u128 * self.promotion_factor as u128).div_ceil(FACTOR_ONE as u128);
        let need = scaled as usize + self.pools.classes().len() * self.pools.config().pool_bytes;
        self.old_room(false) >= need
    }

    /// Whether the old space can take every young object now in the nursery if all of them
    /// are promoted, counted exactly: per size class, the cells they need beyond the free
    /// cells the class has, in whole pools, against the room under the limit and the free
    /// pools. Walks the young objects' headers; used only when the quick bound fails (a heap
    /// near its limit), so that promotion never fails midway and exhaustion is never claimed
    /// while the survivors would fit.
    fn promotion_fits(&self) -> bool {
        self.promotion_need() <= self.old_room(true)
    }

    /// Bytes of new pools the old space needs to take every young object now in the nursery
    /// (see [`GenerationalHeap::promotion_fits`]).
    fn promotion_need(&self) -> usize {
        let mut counts = [0usize; 64];
        let classes = self.pools.classes();
        let from = self.nursery.from();
        for (start, end) in
            [(self.nursery.eden.start, self.nursery.eden.used_words_end()), (from.start, from.used_words_end())]
        {
            self.memory.valid_bits().for_each_set(start, end, |granule| {
                // SAFETY: the valid bit is set: an object starts here.
                let size = unsafe { self.memory.object(granule) }.size();
                counts[classes.class_of(size).expect("young objects fit a size class")] += 1;
            });
        }
        let mut pools = 0;
        for (class, &count) in counts.iter().enumerate().take(classes.len()) {
            if count > 0 {
                let missing = count.saturating_sub(self.pools.free_cells(class));
                pools += missing.div_ceil(self.pools.cells_per_pool(class));
            }
        }
        pools * self.pools.config().pool_bytes
    }

    /// Counts eden's objects and bytes into the allocation statistics: the fast path counts
    /// nothing, so the nursery's share is settled here, at each collection.
    fn settle_allocation_stats(&mut self) {
        let (objects, bytes) = self.nursery.settle(&self.memory);
        self.stats.allocated_objects += objects as u64;
        self.stats.allocated_bytes += bytes as u64;
    }

    /// The allocation slow path of eden: collects (minor, or full when promotion cannot be
    /// guaranteed or the old space is due), then bumps again.
    #[cold]
    #[inline(never)]
    fn alloc_young_slow(&mut self, granules: usize) -> Result<usize, AllocError> {
        self.collect_young();
        // Refused only when eden could not be emptied: promoting its survivors needed more
        // pools of the old space than the limit allows. The error names those pools.
        self.nursery
            .bump(granules)
            .ok_or_else(|| self.exhausted(self.promotion_need().max(self.pools.config().pool_bytes)))
    }

    /// A minor collection if promotion is guaranteed, else a full one; then a full one if the
    /// old space's trigger is due.
    fn collect_young(&mut self) {
        if self.promotion_guaranteed(self.nursery.used_bytes()) || self.promotion_fits() {
            self.collect_minor();
            if self.trigger.due() {
                self.collect_full();
            }
        } else {
            self.collect_full();
        }
    }

    /// Allocates an old object of `size` bytes directly (pretenuring): in a pool when it
    /// fits a size class, else in the large-object space.
    #[cold]
    #[inline(never)]
    fn alloc_old(&mut self, slots: usize, bytes: usize, size: usize) -> Result<(usize, bool), AllocError> {
        if size > self.limit {
            return Err(AllocError::too_large(slots, bytes, self.limit));
        }
        let class = self.pools.classes().class_of(size);
        let take = |heap: &mut Self| {
            let got = match class {
                Some(class) => {
                    // SAFETY: the pool space was carved from `heap.memory`; `class` is one of its.
                    match unsafe { heap.pools.alloc_fast(&heap.memory, class) } {
                        Some(cell) => Some((cell, false)),
                        None => {
                            let room = heap.limit.saturating_sub(heap.heap_bytes());
                            heap.pools.refill(&heap.memory, class, room).map(|bytes| {
                                heap.trigger.note_allocated(bytes);
                                // SAFETY: as above.
                                let cell = unsafe { heap.pools.alloc_fast(&heap.memory, class) };
                                (cell.expect("a new run has a free cell"), false)
                            })
                        }
                    }
                }
                None => {
                    // The old spaces share what the nursery leaves of the limit.
                    let old_limit = heap.limit - heap.nursery.committed_bytes();
                    let granule = heap.large.alloc_within(&mut heap.pools, &heap.memory, size, old_limit);
                    granule.map(|g| {
                        heap.trigger.note_allocated(LargeObjectSpace::footprint(size));
                        (g, true)
                    })
                }
            };
            heap.stats.set_heap_bytes(heap.heap_bytes());
            got
        };
        let collect = |heap: &mut Self| {
            heap.collect_full();
        };
        let got = gclab_space::allocate_collecting_once(self, self.trigger.due(), take, collect);
        let Some(got) = got else {
            // What the refused request needed from the system: a pool, or its pages.
            let requested = match class {
                Some(_) => self.pools.config().pool_bytes,
                None => LargeObjectSpace::footprint(size),
            };
            return Err(self.exhausted(requested));
        };
        self.stats.note_allocation(size);
        Ok(got)
    }

    /// A minor collection: evacuates the nursery's survivors into the to-space or the old
    /// space. The caller has checked [`GenerationalHeap::promotion_guaranteed`].
    fn collect_minor(&mut self) {
        let timer = self.stats.begin_pause(self.live_bytes());
        self.settle_allocation_stats();
        let remembered = self.remembered.len() as u32;
        if self.generational.remembered_at_minor.len() < REMEMBERED_LOG {
            self.generational.remembered_at_minor.push(remembered);
        }
        let done = self.evacuate();
        self.finish_evacuation(&done);
        self.publish_counters(Some(remembered));
        let live = self.live_bytes();
        self.stats.end_pause(timer, CollectionKind::Minor, live);
    }

    /// Moves every young object the roots and the remembered set reach out of eden and the
    /// from-space, then empties both.
    fn evacuate(&mut self) -> Evacuated {
        let room = self.limit.saturating_sub(self.nursery.committed_bytes() + self.large.committed_bytes());
        let mut promoted = std::mem::take(&mut self.work);
        promoted.clear();
        let objects = std::mem::take(&mut self.remembered.objects);
        let cards = std::mem::take(&mut self.remembered.cards);
        let mut evacuation = Evacuation {
            memory: &self.memory,
            nursery: &mut self.nursery,
            pools: &mut self.pools,
            remembered: &mut self.remembered,
            promoted: &mut promoted,
            threshold: self.generational.tenuring_threshold,
            room,
            done: Evacuated::default(),
        };
        // SAFETY: the root stack holds validated references to live objects; this collector
        // rewrites each to its object's new copy.
        for root in unsafe { self.roots.stack.iter_mut() } {
            // SAFETY: a root refers to a live object.
            *root = unsafe { evacuation.forward(*root) };
        }
        // SAFETY: as above: a handle refers to a live object, rewritten to its new copy.
        unsafe { self.roots.table.update(|root| evacuation.forward(root)) };
        // SAFETY: the remembered set lists live old objects (dead ones are dropped by the
        // full collection that frees them).
        unsafe { evacuation.scan_remembered(objects, cards) };
        evacuation.drain();
        let done = std::mem::take(&mut evacuation.done);
        self.work = promoted;
        self.empty_from_spaces();
        done
    }

    /// Clears the valid bits of eden and the from-space (so references into them are
    /// stale), moves their cursors back, and swaps the survivor spaces.
    fn empty_from_spaces(&mut self) {
        let nursery = &mut self.nursery;
        let to = nursery.to;
        let from = 1 - to;
        // SAFETY: every live object of eden and the from-space was evacuated and every
        // reference to it rewritten; what remains there is garbage or forwarded copies.
        let valid = unsafe { self.memory.valid_bits_writer() };
        valid.clear_range(nursery.eden.start, nursery.eden.used_words_end());
        valid.clear_range(nursery.survivors[from].start, nursery.survivors[from].used_words_end());
        nursery.eden.top = nursery.eden.start;
        nursery.settled = nursery.eden.start;
        nursery.survivors[from].top = nursery.survivors[from].start;
        nursery.to = from;
    }

    /// Books an evacuation's results and adapts the tenuring threshold.
    fn finish_evacuation(&mut self, done: &Evacuated) {
        self.trigger.note_allocated(done.run_bytes);
        let g = &mut self.generational;
        g.bytes_copied += done.copied_bytes;
        g.bytes_promoted += done.promoted_bytes;
        g.objects_promoted += done.promoted_objects;
        for (total, &bytes) in g.survivor_ages.iter_mut().zip(&done.ages) {
            *total += bytes;
        }
        if self.adaptive {
            // HotSpot's rule: the lowest age at which the survivors of that age or younger
            // fill more than half a survivor space.
            let desired = self.nursery.survivor_bytes() as u64 / 2;
            let mut total = 0;
            let mut age = 1;
            while age < MAX_AGE as usize {
                total += done.ages[age];
                if total > desired {
                    break;
                }
                age += 1;
            }
            g.tenuring_threshold = (age as u8).min(self.max_tenuring);
        }
        self.stats.set_heap_bytes(self.heap_bytes());
    }

    /// Copies the generational counters into the shared statistics' named counters.
    fn publish_counters(&mut self, remembered: Option<u32>) {
        let g = &mut self.generational;
        g.barrier_slow_path = self.remembered.slow_path_hits;
        let counters = &mut self.stats.counters;
        counters.insert("bytes_copied", g.bytes_copied);
        counters.insert("bytes_promoted", g.bytes_promoted);
        counters.insert("objects_promoted", g.objects_promoted);
        counters.insert("barrier_slow_path", g.barrier_slow_path);
        counters.insert("tenuring_threshold", g.tenuring_threshold as u64);
        if let Some(remembered) = remembered {
            let max = counters.entry("remembered_set_max").or_insert(0);
            *max = (*max).max(remembered as u64);
            *counters.entry("remembered_set_total").or_insert(0) += remembered as u64;
        }
        for (age, &bytes) in g.survivor_ages.iter().enumerate().skip(1) {
            if bytes > 0 {
                counters.insert(AGE_COUNTERS[age], bytes);
            }
        }
    }

    /// Marks everything reachable from the roots, young and old; returns the objects marked.
    fn mark(&mut self) -> usize {
        let mut work = std::mem::take(&mut self.work);
        work.clear();
        let marks = &self.marks;
        self.roots.for_each(|root| {
            if !marks.test_and_set(root.granule() as usize) {
                work.push(root.granule());
            }
        });
        // SAFETY: roots hold validated references to allocated objects, and slots of
        // allocated objects hold only such references.
        let marked = unsafe { gclab_space::mark_transitive(&self.memory, marks, &mut work) };
        self.work = work;
        marked
    }

    /// A full collection: marks the whole heap, sweeps the old space, drops dead young
    /// objects, then evacuates the live young ones if the old space can take them all
    /// (it can unless the heap is nearly full; then they stay where they are, and the
    /// allocation that needed the nursery reports the heap exhausted). Returns whether the
    /// nursery was emptied.
    fn collect_full(&mut self) -> bool {
        let timer = self.stats.begin_pause(self.live_bytes());
        self.settle_allocation_stats();
        let marked = self.mark();
        // Dead old objects leave the remembered set before their cells are freed.
        let marks = &self.marks;
        self.remembered.objects.retain(|&g| marks.get(g as usize));
        let card_bits = &self.remembered.card_bits;
        self.remembered.cards.retain(|&(g, chunk)| {
            let live = marks.get(g as usize);
            if !live {
                card_bits.clear(RememberedSet::card_bit(g, chunk));
            }
            live
        });
        self.kill_dead_young();
        // SAFETY: `mark` marked every object reachable from the roots; the rest is
        // unreachable, so nothing can refer to what the sweeps free.
        let (small_objects, small_bytes) = unsafe { self.pools.sweep(&self.memory, &self.marks) };
        // SAFETY: as above.
        let (large_objects, large_bytes) = unsafe { self.large.sweep(&self.memory, &self.marks) };
        let old_live = self.old_live_bytes();
        self.trigger.collected(old_live);
        let emptied = self.promotion_fits();
        if emptied {
            let done = self.evacuate();
            self.finish_evacuation(&done);
        }
        let headroom = self.trigger.next().saturating_sub(self.old_live_bytes());
        let (released, decommitted) = self.pools.trim_after_collection(&self.memory, headroom);
        if decommitted > 0 {
            self.stats.bump("pools_decommitted", decommitted as u64);
        }
        let live_bytes = self.live_bytes();
        let live_objects = self.live_objects() as u64;
        let stats = &mut self.stats;
        stats.live_objects_after_gc = live_objects;
        stats.live_bytes_after_gc = live_bytes as u64;
        stats.bump("objects_marked", marked as u64);
        stats.bump("objects_freed", (small_objects + large_objects) as u64);
        stats.bump("bytes_freed", (small_bytes + large_bytes) as u64);
        stats.bump("arenas_released", released as u64);
        if !emptied {
            stats.bump("full_without_evacuation", 1);
        }
        self.stats.set_heap_bytes(self.heap_bytes());
        self.publish_counters(None);
        self.stats.end_pause(timer, CollectionKind::Full, live_bytes);
        emptied
    }

    /// After marking: clears the valid bit of every unmarked young object (garbage, which
    /// nothing live refers to) and the young mark bits.
    fn kill_dead_young(&mut self) {
        let nursery = &self.nursery;
        let from = nursery.from();
        for (start, end) in [(nursery.eden.start, nursery.eden.used_words_end()), (from.start, from.used_words_end())] {
            for w in start / 64..end / 64 {
                let marked = self.marks.word(w).swap(0, Relaxed);
                // SAFETY: unmarked young objects are unreachable from every root and every
                // live object's slots; clearing their valid bits frees them (the nursery's
                // cells are reclaimed when it is emptied).
                let valid = unsafe { self.memory.valid_bits_writer() }.word(w);
                valid.store(valid.load(Relaxed) & marked, Relaxed);
            }
        }
    }

    /// The barrier for the slots `0..filled` of a fresh object (allocated old, pretenured),
    /// filled from the root stack without [`Heap::try_store`].
    #[cold]
    fn remember_fresh_old(&mut self, granule: usize, filled: usize) {
        // SAFETY: the object was just allocated at `granule` with at least `filled` slots.
        let object = unsafe { self.memory.object(granule) };
        for i in 0..filled {
            // SAFETY: `i < filled <= slot_count`.
            if let Some(r) = unsafe { object.slot_unchecked(i) }.get() {
                // Large arrays keep `UNLOGGED` and are remembered by chunk, once each.
                if self.nursery.is_young(r.granule() as usize) && object.meta() & UNLOGGED != 0 {
                    self.remembered.remember(object, granule as u32, i);
                }
            }
        }
    }
}

// SAFETY: `allocate_object` returns only objects it has just initialised in `self.memory` with
// `init_object_filled`, with exactly the slots and bytes asked for.
unsafe impl AllocateObject for GenerationalHeap {
    #[inline(always)]
    unsafe fn allocate_object(
        &mut self,
        tag: Tag,
        slots: usize,
        bytes: usize,
        immutable: bool,
        filled: usize,
    ) -> Result<ObjRef, AllocError> {
        let Some(size) = object_size(slots, bytes) else {
            return Err(AllocError::too_large(slots, bytes, self.limit));
        };
        if size <= self.max_young {
            let granules = size / GRANULE;
            let granule = match self.nursery.bump(granules) {
                Some(granule) => granule,
                None => self.alloc_young_slow(granules)?,
            };
            // SAFETY: eden just handed out `granule` for `size` bytes: committed, holding no
            // live object (its valid bits were cleared when eden was last emptied), reused
            // memory, so cleared here but for the `filled` slots the caller writes at once.
            return Ok(unsafe {
                self.memory.init_object_filled(granule, tag, slots as u32, bytes as u32, false, immutable, filled)
            });
        }
        let (granule, fresh) = self.alloc_old(slots, bytes, size)?;
        // SAFETY: the old space just handed out `granule` for `size` bytes; large-space pages
        // are fresh (zero), pool cells are cleared but for the `filled` slots.
        let obj = unsafe {
            self.memory.init_object_filled(granule, tag, slots as u32, bytes as u32, fresh, immutable, filled)
        };
        // SAFETY: the object was made just now; an old object starts unlogged.
        unsafe { self.memory.object(granule).set_meta(UNLOGGED) };
        Ok(obj)
    }
}

impl GenerationalHeap {
    /// `allocate_from_roots` and `allocate_immutable`: moves the operands from the root stack
    /// into the new object; an object born old gets the barrier for them.
    #[inline(always)]
    fn allocate_moving_roots(
        &mut self,
        tag: Tag,
        slots: usize,
        bytes: usize,
        from_roots: usize,
        immutable: bool,
    ) -> Result<ObjRef, AllocError> {
        check_from_roots(slots, from_roots, self.roots.stack.len());
        // SAFETY: `from_roots <= slots` (checked just above); slots `0..from_roots` are
        // written right below.
        let obj = unsafe { self.allocate_object(tag, slots, bytes, immutable, from_roots) }?;
        let granule = obj.granule() as usize;
        // SAFETY: a fresh object of at least `from_roots` slots; the stack was filled through
        // `Roots` (validated, and its entries rewritten by every evacuation); the barrier's
        // work, for an object born old, follows.
        let any = unsafe { self.memory.move_roots_into(&mut self.roots.stack, granule, from_roots) };
        if any && !self.nursery.is_young(granule) {
            self.remember_fresh_old(granule, from_roots);
        }
        Ok(obj)
    }
}

impl Heap for GenerationalHeap {
    const NAME: &'static str = "generational";

    /// The default settings, but for eden's size, which the environment variable
    /// `GCLAB_NURSERY_BYTES` may set (bytes, or with a `k`/`m` suffix for KiB/MiB), as `GOGC`
    /// sets Go's pacing: how `gclab run` and `gclab compare` try other sizes.
    fn with_config(config: HeapConfig) -> Result<Self, ConfigError> {
        let mut generational = GenerationalConfig { heap: config, ..GenerationalConfig::default() };
        if let Some(value) = std::env::var_os(crate::config::NURSERY_VAR) {
            let value = value.to_string_lossy();
            generational.nursery_bytes = crate::config::parse_bytes(&value).ok_or_else(|| ConfigError {
                field: "nursery_bytes",
                reason: format!(
                    "{}={value:?} is not a size (bytes, or a number with k or m)",
                    crate::config::NURSERY_VAR
                ),
            })?;
        }
        Self::with_backend_config(generational)
    }

    #[inline]
    fn allocate(&mut self, tag: Tag, slots: usize, bytes: usize) -> Result<ObjRef, AllocError> {
        // SAFETY: `filled = 0`: no slot is left for us to write.
        unsafe { self.allocate_object(tag, slots, bytes, false, 0) }
    }

    #[track_caller]
    #[inline(always)]
    fn allocate_from_roots(
        &mut self,
        tag: Tag,
        slots: usize,
        bytes: usize,
        from_roots: usize,
    ) -> Result<ObjRef, AllocError> {
        self.allocate_moving_roots(tag, slots, bytes, from_roots, false)
    }

    #[track_caller]
    #[inline(always)]
    fn allocate_immutable(
        &mut self,
        tag: Tag,
        slots: usize,
        bytes: usize,
        from_roots: usize,
    ) -> Result<ObjRef, AllocError> {
        self.allocate_moving_roots(tag, slots, bytes, from_roots, true)
    }

    /// `allocate_immutable` pushing the new object onto the root stack without validating it
    /// again: a root needs no barrier here (roots are scanned at every collection).
    #[track_caller]
    #[inline(always)]
    fn allocate_immutable_onto_roots(
        &mut self,
        tag: Tag,
        slots: usize,
        bytes: usize,
        from_roots: usize,
    ) -> Result<(), AllocError> {
        check_from_roots(slots, from_roots, self.roots.stack.len());
        // SAFETY: `from_roots <= slots` (checked just above); slots `0..from_roots` are
        // written right below.
        let obj = unsafe { self.allocate_object(tag, slots, bytes, true, from_roots) }?;
        let granule = obj.granule() as usize;
        // SAFETY: as in `allocate_moving_roots`; moreover `obj` is the object this heap made
        // just now at `granule`, live until the next collection, which rewrites root-stack
        // entries when it moves objects.
        let any = unsafe { self.memory.move_roots_into_replacing(&mut self.roots.stack, obj, granule, from_roots) };
        if any && !self.nursery.is_young(granule) {
            self.remember_fresh_old(granule, from_roots);
        }
        Ok(())
    }

    /// The store with the write barrier: one range test on the value (is it young?) and one
    /// bit test on the target's header (is it an unlogged old object?) before the write.
    #[inline]
    fn try_store(&mut self, obj: ObjRef, index: usize, value: Option<ObjRef>) -> Result<(), RefError> {
        self.memory.check_value(value)?;
        let (object, slot) = self.memory.writable_slot(obj, index)?;
        if let Some(value) = value {
            if self.nursery.is_young(value.granule() as usize) && object.meta() & UNLOGGED != 0 {
                self.remembered.remember(object, obj.granule(), index);
            }
        }
        // SAFETY: `value` was validated, and the barrier ran.
        unsafe { slot.set(value) };
        Ok(())
    }

    gclab_core::roots_and_memory!();

    /// The identity hash lives in the header (23 bits, set on first request), so it survives
    /// every copy.
    #[track_caller]
    fn identity_hash(&self, obj: ObjRef) -> u64 {
        let object = self.memory.resolve(obj).unwrap_or_else(|e| panic!("{e}"));
        let meta = object.meta();
        let hash = if meta & HASHED != 0 {
            (meta >> HASH_SHIFT) & HASH_MASK
        } else {
            let hash = mix64(obj.bits()) as u32 & HASH_MASK;
            // SAFETY: this backend owns the meta word; setting the hash bits changes neither
            // the age, the log bit nor bit 31.
            unsafe { object.meta_atomic() }.fetch_or(HASHED | hash << HASH_SHIFT, Relaxed);
            hash
        };
        mix64(hash as u64 | (obj.heap_id() as u64) << 32)
    }

    fn collect(&mut self, kind: CollectionKind) {
        match kind {
            CollectionKind::Full => {
                self.collect_full();
            }
            _ => self.collect_young(),
        }
    }

    fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The counts settled at the last collection, plus eden's objects since (counted from
    /// its valid bits: a walk of eden's bitmap, not a fast-path counter).
    fn allocated(&self) -> Allocated {
        let (objects, bytes) = self.nursery.unsettled(&self.memory);
        Allocated {
            objects: self.stats.allocated_objects + objects as u64,
            bytes: self.stats.allocated_bytes + bytes as u64,
        }
    }

    fn live_objects(&self) -> usize {
        self.pools.live_objects() + self.large.live_objects() + self.nursery.objects(&self.memory)
    }

    fn verify(&self) -> Result<(), VerifyError> {
        crate::verify::verify(self)
    }
}

/// What `verify` reads.
pub(crate) struct Parts<'a> {
    pub memory: &'a ObjectMemory,
    pub nursery: &'a Nursery,
    pub pools: &'a PoolSpace,
    pub large: &'a LargeObjectSpace,
    pub marks: &'a SideBitmap,
    pub remembered: &'a RememberedSet,
    pub roots: &'a Roots,
    pub live_objects: usize,
    pub heap_bytes: usize,
    pub limit: usize,
}

impl GenerationalHeap {
    pub(crate) fn parts(&self) -> Parts<'_> {
        Parts {
            memory: &self.memory,
            nursery: &self.nursery,
            pools: &self.pools,
            large: &self.large,
            marks: &self.marks,
            remembered: &self.remembered,
            roots: &self.roots,
            live_objects: self.live_objects(),
            heap_bytes: self.heap_bytes(),
            limit: self.limit,
        }
    }
}
