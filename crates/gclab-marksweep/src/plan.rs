//! The mark-sweep plan: a pool space, a large-object space, a mark bitmap and a tracer.

use gclab_core::AllocateObject;
use gclab_core::{
    ensure, object_size, AllocError, Allocated, CollectionKind, ConfigError, Heap, HeapConfig, ObjRef, ObjectMemory,
    RefError, Roots, SideBitmap, Stats, Tag, Trigger, VerifyError,
};
use gclab_space::{LargeObjectSpace, PoolConfig, PoolSpace, EXACT_CLASS_BYTES};

/// Configuration of a [`MarkSweepHeap`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MarkSweepConfig {
    /// Limit, trigger and growth (shared by every backend).
    pub heap: HeapConfig,
    /// Arena, pool and largest-small-object sizes.
    pub pools: PoolConfig,
}

/// A mark-sweep heap. See the crate documentation for the algorithm.
pub struct MarkSweepHeap {
    memory: ObjectMemory,
    pools: PoolSpace,
    large: LargeObjectSpace,
    marks: SideBitmap,
    roots: Roots,
    trigger: Trigger,
    stats: Stats,
    /// Allocations counted one by one: objects above [`EXACT_CLASS_BYTES`] and every object of
    /// the large-object space. The others are counted per run by the pool space
    /// ([`PoolSpace::cells_handed_out`]), so the fast path touches no counter;
    /// [`Heap::allocated`] adds the two.
    counted: Allocated,
    limit: usize,
    /// The mark stack, kept between collections to reuse its allocation.
    work: Vec<u32>,
}

impl std::fmt::Debug for MarkSweepHeap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MarkSweepHeap")
            .field("heap_id", &self.memory.heap_id())
            .field("live_objects", &self.live_objects())
            .field("heap_bytes", &self.heap_bytes())
            .finish_non_exhaustive()
    }
}

impl MarkSweepHeap {
    /// Makes a heap with backend-specific settings.
    pub fn with_backend_config(config: MarkSweepConfig) -> Result<Self, ConfigError> {
        config.heap.validate()?;
        config.pools.validate()?;
        let limit = config.heap.heap_limit;
        let pool_reserve = limit.next_multiple_of(config.pools.arena_bytes);
        let large_reserve = LargeObjectSpace::reserve_for(limit, pool_reserve);
        let mut memory = ObjectMemory::new(
            pool_reserve.next_multiple_of(gclab_core::CARVE_ALIGN)
                + large_reserve.next_multiple_of(gclab_core::CARVE_ALIGN),
        )?;
        memory.set_huge_pages(config.heap.huge_pages);
        let pools = PoolSpace::new(&mut memory, pool_reserve, config.pools)?;
        let large = LargeObjectSpace::new(&mut memory, large_reserve);
        let marks = SideBitmap::new(memory.valid_bits().len())?;
        Ok(MarkSweepHeap {
            memory,
            pools,
            large,
            marks,
            roots: Roots::new(false),
            trigger: Trigger::new(&config.heap),
            stats: Stats::default(),
            counted: Allocated::default(),
            limit,
            work: Vec::new(),
        })
    }

    /// Bytes held from the system by the object spaces.
    pub fn heap_bytes(&self) -> usize {
        self.pools.committed_bytes() + self.large.committed_bytes()
    }

    fn live_bytes(&self) -> usize {
        self.pools.live_bytes() + self.large.live_bytes()
    }

    /// Counts an allocation that no run counts (see `counted`).
    #[inline]
    fn count_one(&mut self, size: usize) {
        self.counted.objects += 1;
        self.counted.bytes += size as u64;
    }

    fn exhausted(&self, requested: usize) -> AllocError {
        AllocError::heap_exhausted(requested, self.heap_bytes(), self.limit)
    }

    /// Opens a new allocation run for `class` (its bytes count towards the trigger at once,
    /// as a TLAB's do), collecting first if the trigger says so or if no pool fits under the
    /// limit, and returns its first cell.
    #[cold]
    #[inline(never)]
    fn alloc_small_slow(&mut self, class: usize) -> Result<usize, AllocError> {
        let refill = |heap: &mut Self| {
            let room = heap.limit.saturating_sub(heap.heap_bytes());
            let bytes = heap.pools.refill(&heap.memory, class, room)?;
            heap.trigger.note_allocated(bytes);
            heap.stats.set_heap_bytes(heap.heap_bytes());
            // SAFETY: as in `allocate_object`.
            Some(unsafe { heap.pools.alloc_fast(&heap.memory, class) }.expect("a new run has a free cell"))
        };
        // Refused after a full collection, no free pool is left committed (it would have been
        // taken), so what the heap holds is live cells and large objects: a new pool truly
        // does not fit under the limit.
        gclab_space::allocate_collecting_once(self, self.trigger.due(), refill, Self::collect_full)
            .ok_or_else(|| self.exhausted(self.pools.config().pool_bytes))
    }

    #[cold]
    fn alloc_large(&mut self, slots: usize, bytes: usize, size: usize) -> Result<usize, AllocError> {
        if size > self.limit {
            return Err(AllocError::too_large(slots, bytes, self.limit));
        }
        let footprint = LargeObjectSpace::footprint(size);
        let take = |heap: &mut Self| {
            let granule = heap.large.alloc_within(&mut heap.pools, &heap.memory, size, heap.limit);
            // Set even on a refusal: `alloc_within` may have returned arenas and pools first.
            heap.stats.set_heap_bytes(heap.heap_bytes());
            if granule.is_some() {
                heap.trigger.note_allocated(footprint);
            }
            granule
        };
        gclab_space::allocate_collecting_once(self, self.trigger.due(), take, Self::collect_full)
            .ok_or_else(|| self.exhausted(footprint))
    }

    /// Marks everything reachable from the roots; returns the number of objects marked.
    fn mark(&mut self) -> usize {
        let mut work = std::mem::take(&mut self.work);
        let marks = &self.marks;
        self.roots.for_each(|root| {
            let granule = root.granule();
            if !marks.test_and_set(granule as usize) {
                work.push(granule);
            }
        });
        // SAFETY: roots hold validated references to allocated objects, and slots of
        // allocated objects hold only such references (every store is validated, and a
        // collection frees only what marking did not reach).
        let marked = unsafe { gclab_space::mark_transitive(&self.memory, marks, &mut work) };
        self.work = work;
        marked
    }

    fn collect_full(&mut self) {
        let timer = self.stats.begin_pause(self.live_bytes());
        let marked = self.mark();
        // SAFETY: `mark` just marked every object reachable from the roots; the rest is
        // unreachable, so nothing can refer to what the sweeps free.
        let (small_objects, small_bytes) = unsafe { self.pools.sweep(&self.memory, &self.marks) };
        // SAFETY: as above.
        let (large_objects, large_bytes) = unsafe { self.large.sweep(&self.memory, &self.marks) };
        let live_bytes = self.live_bytes();
        self.trigger.collected(live_bytes);
        // Keep what the allocation before the next collection will fill; return the rest.
        let headroom = self.trigger.next().saturating_sub(live_bytes);
        let (released, decommitted) = self.pools.trim_after_collection(&self.memory, headroom);
        if decommitted > 0 {
            self.stats.bump("pools_decommitted", decommitted as u64);
        }
        let allocated = self.allocated();
        let stats = &mut self.stats;
        stats.allocated_objects = allocated.objects;
        stats.allocated_bytes = allocated.bytes;
        stats.live_objects_after_gc = (self.pools.live_objects() + self.large.live_objects()) as u64;
        stats.live_bytes_after_gc = live_bytes as u64;
        stats.set_heap_bytes(self.pools.committed_bytes() + self.large.committed_bytes());
        stats.bump("objects_marked", marked as u64);
        stats.bump("objects_freed", (small_objects + large_objects) as u64);
        stats.bump("bytes_freed", (small_bytes + large_bytes) as u64);
        stats.bump("arenas_released", released as u64);
        stats.end_pause(timer, CollectionKind::Full, live_bytes);
    }
}

// SAFETY: `allocate_object` returns only objects it has just initialised in `self.memory`
// with `init_object`, with exactly the slots and bytes asked for.
unsafe impl AllocateObject for MarkSweepHeap {
    /// Allocates an object, immutable if `immutable` (the body of `allocate`,
    /// `allocate_from_roots` and `allocate_immutable`).
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
        let (granule, fresh) = match self.pools.classes().class_of(size) {
            Some(class) => {
                // SAFETY: the pool space was carved from `self.memory`; `class_of` returns a
                // class of the space. (The trigger counts whole runs, in the slow path.)
                let granule = match unsafe { self.pools.alloc_fast(&self.memory, class) } {
                    Some(granule) => granule,
                    None => self.alloc_small_slow(class)?,
                };
                if size > EXACT_CLASS_BYTES {
                    // Smaller objects are counted by their run (a constant test for the usual
                    // fixed-size objects).
                    self.count_one(size);
                }
                (granule, false)
            }
            None => {
                // Counted one by one, whatever the size: with pools configured to end below
                // 512 bytes, small objects come here too.
                let granule = self.alloc_large(slots, bytes, size)?;
                self.count_one(size);
                (granule, true)
            }
        };
        // SAFETY: the space just handed out `granule` for an object of `size` bytes; it holds
        // no live object. Large-space pages are fresh (zero); pool cells are cleared but for
        // the first `filled` slots, which the caller (`allocate_from_roots`) writes at once.
        Ok(unsafe {
            self.memory.init_object_filled(granule, tag, slots as u32, bytes as u32, fresh, immutable, filled)
        })
    }
}

impl Heap for MarkSweepHeap {
    const NAME: &'static str = "marksweep";

    fn with_config(config: HeapConfig) -> Result<Self, ConfigError> {
        Self::with_backend_config(MarkSweepConfig { heap: config, ..MarkSweepConfig::default() })
    }

    #[inline]
    fn allocate(&mut self, tag: Tag, slots: usize, bytes: usize) -> Result<ObjRef, AllocError> {
        // SAFETY: `filled = 0`: no slot is left for us to write.
        unsafe { self.allocate_object(tag, slots, bytes, false, 0) }
    }

    #[inline]
    fn try_store(&mut self, obj: ObjRef, index: usize, value: Option<ObjRef>) -> Result<(), RefError> {
        // SAFETY: no write barrier is needed: this collector stops the world and never moves objects.
        unsafe { self.memory.store_without_barrier(obj, index, value) }
    }

    gclab_core::plain_roots_and_memory!();

    fn collect(&mut self, _kind: CollectionKind) {
        // No generations: a minor collection is a full one.
        self.collect_full();
    }

    /// Settled into [`Stats`] at each collection: allocation is counted per run, not per
    /// object (see [`Heap::allocated`]).
    fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The pool space's cells handed out in its exact classes (each cell one object of the
    /// class's size), plus the objects counted one by one.
    fn allocated(&self) -> Allocated {
        let classes = self.pools.classes();
        let mut allocated = self.counted;
        for class in (0..classes.len()).take_while(|&class| classes.size(class) <= EXACT_CLASS_BYTES) {
            let cells = self.pools.cells_handed_out(class);
            allocated.objects += cells;
            allocated.bytes += cells * classes.size(class) as u64;
        }
        allocated
    }

    fn live_objects(&self) -> usize {
        self.pools.live_objects() + self.large.live_objects()
    }

    fn verify(&self) -> Result<(), VerifyError> {
        self.pools.verify(&self.memory)?;
        self.large.verify(&self.memory)?;
        let mut objects = 0;
        let mut problem = None;
        let mut check = |granule: usize| {
            objects += 1;
            if problem.is_some() {
                return;
            }
            if self.marks.get(granule) {
                problem = Some(format!("object at granule {granule:#x} is marked outside a collection"));
            }
            // SAFETY: the spaces report only granules whose valid bit is set.
            let object = unsafe { self.memory.object(granule) };
            for i in 0..object.slot_count() {
                // SAFETY: `i` is below the slot count.
                if let Some(target) = unsafe { object.slot_unchecked(i) }.get() {
                    if let Err(e) = self.memory.resolve(target) {
                        problem =
                            Some(format!("slot {i} of the object at granule {granule:#x} holds a bad reference: {e}"));
                        return;
                    }
                }
            }
        };
        self.pools.for_each_object(&self.memory, &mut check);
        self.large.for_each_object(&mut check);
        if let Some(problem) = problem {
            return Err(VerifyError(problem));
        }
        ensure!(objects == self.live_objects(), "{objects} objects found, {} counted", self.live_objects());
        self.roots.verify(&self.memory)?;
        ensure!(
            self.heap_bytes() <= self.limit,
            "heap holds {} bytes over its limit {}",
            self.heap_bytes(),
            self.limit
        );
        Ok(())
    }
}
