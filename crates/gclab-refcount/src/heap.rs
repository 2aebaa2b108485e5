//! The heap: reference counting on every store and root change, frees at zero.

use gclab_core::{
    object_size, AllocError, CollectionKind, ConfigError, Heap, HeapConfig, ObjRef, ObjectMemory, RefError, Root,
    Roots, Stats, Tag, VerifyError,
};
use gclab_space::{LargeObjectSpace, PoolSpace};
use std::time::Duration;

use crate::cycles::GcState;
use crate::generations::{Generations, List};
use crate::RefcountConfig;

/// The header word holds the count in its low 31 bits and [`TRACKED`] in the top bit.
pub(crate) const COUNT_MASK: u32 = 0x7fff_ffff;

/// A count that has reached the maximum stays there: the object is immortal (as CPython 3.12
/// makes objects whose count would overflow).
pub(crate) const IMMORTAL: u32 = COUNT_MASK;

/// A cascade of frees is timed from this many frees on (see `free_doomed`): reading the clock
/// for every cascade would cost more than the one or two frees most of them make.
pub(crate) const BURST_UNTIMED_FREES: u64 = 64;

/// A cascade of frees that takes this long (from its timed part on) is logged as a
/// `FreeBurst` pause: long enough to matter to latency, short enough to catch the 1–3 ms
/// it takes to drop a list of 100,000 items.
pub(crate) const BURST_THRESHOLD: Duration = Duration::from_micros(50);

/// Frees by count accumulate in a plain field until this many, then go to the
/// `freed_by_refcount` counter (see `publish_freed`); collections publish them all.
pub(crate) const PUBLISH_FREED: u64 = 64;

/// Set in the header word of a container the cycle detector tracks. The mutator sets it (on
/// the first store of a reference into the container); collections never write it.
pub(crate) const TRACKED: u32 = 1 << 31;

/// A reference-counting heap with CPython's generational cycle detector. See the crate
/// documentation.
pub struct RefcountHeap {
    pub(crate) memory: ObjectMemory,
    pub(crate) pools: PoolSpace,
    pub(crate) large: LargeObjectSpace,
    pub(crate) gens: Generations,
    pub(crate) roots: Roots,
    /// References handed to the mutator by `pop_root`: still counted until the next
    /// allocation or collection, as a popped value is owned by the caller until then.
    pub(crate) deferred: Vec<ObjRef>,
    /// The newest object, if nothing has referred to it yet: freed at the next allocation or
    /// collection if its count is still zero (a zero-count table of one entry).
    pub(crate) newest: Option<ObjRef>,
    /// Objects whose count reached zero, waiting to be freed (keeps freeing iterative).
    pub(crate) doomed: Vec<u32>,
    pub(crate) gc: GcState,
    pub(crate) stats: Stats,
    /// Objects freed by count not yet added to the `freed_by_refcount` counter: counted here,
    /// in a plain field, and published by [`RefcountHeap::publish_freed`] (a string-keyed map
    /// update per cascade cost refcount's one-object-at-a-time frees a quarter of their time).
    pub(crate) freed_unpublished: u64,
    pub(crate) limit: usize,
}

impl std::fmt::Debug for RefcountHeap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefcountHeap")
            .field("heap_id", &self.memory.heap_id())
            .field("live_objects", &self.live_objects())
            .field("tracked", &self.gens.tracked())
            .finish_non_exhaustive()
    }
}

impl RefcountHeap {
    /// Allocates an object, immutable if `immutable` (the body of `allocate`,
    /// `allocate_from_roots` and `allocate_immutable`), its first `filled` slots left
    /// unwritten.
    ///
    /// # Safety
    /// As `AllocateObject::allocate_object`: `filled <= slots`, and the caller writes slots
    /// `0..filled` before anything else touches the heap.
    #[inline(always)]
    pub(crate) unsafe fn allocate_object(
        &mut self,
        tag: Tag,
        slots: usize,
        bytes: usize,
        immutable: bool,
        filled: usize,
    ) -> Result<ObjRef, AllocError> {
        self.safepoint();
        if self.gc.due() {
            self.collect_generations();
        }
        let Some(size) = object_size(slots, bytes) else {
            return Err(AllocError::too_large(slots, bytes, self.limit));
        };
        let (granule, fresh) = match self.pools.classes().class_of(size) {
            Some(class) => match self.pools.alloc_from_cache(&self.memory, class) {
                Some(granule) => (granule, false),
                // SAFETY: the pool space was carved from `self.memory`; `class_of` returns a
                // class of the space.
                None => match unsafe { self.pools.alloc_fast(&self.memory, class) } {
                    Some(granule) => (granule, false),
                    None => (self.alloc_small_slow(class)?, false),
                },
            },
            None => (self.alloc_large(slots, bytes, size)?, true),
        };
        self.stats.note_allocation(size);
        // SAFETY: the space just handed out `granule` for an object of `size` bytes; it holds
        // no live object. Large-space pages are fresh (zero); pool cells are cleared but for
        // the first `filled` slots, which the caller (`allocate_from_roots`) writes at once.
        let obj = unsafe {
            self.memory.init_object_filled(granule, tag, slots as u32, bytes as u32, fresh, immutable, filled)
        };
        self.newest = Some(obj);
        Ok(obj)
    }

    /// Makes a heap with backend-specific settings.
    pub fn with_backend_config(config: RefcountConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let limit = config.heap.heap_limit;
        let pool_reserve = limit.next_multiple_of(gclab_core::CARVE_ALIGN);
        let large_reserve = LargeObjectSpace::reserve_for(limit, pool_reserve);
        let mut memory = ObjectMemory::new(pool_reserve + large_reserve.next_multiple_of(gclab_core::CARVE_ALIGN))?;
        memory.set_huge_pages(config.heap.huge_pages);
        let pools = PoolSpace::new(&mut memory, pool_reserve, config.pools)?;
        let large = LargeObjectSpace::new(&mut memory, large_reserve);
        let gens = Generations::new(memory.valid_bits().len())?;
        Ok(RefcountHeap {
            memory,
            pools,
            large,
            gens,
            roots: Roots::new(true),
            deferred: Vec::new(),
            newest: None,
            doomed: Vec::new(),
            gc: GcState::new(config.thresholds, config.enabled),
            stats: Stats::default(),
            freed_unpublished: 0,
            limit,
        })
    }

    /// The reference count of `obj` (what `sys.getrefcount` reports, less its own argument):
    /// references from slots, root-stack entries, handles, and values popped from the root
    /// stack since the last allocation. Panics, naming the mistake, on a bad reference.
    #[track_caller]
    pub fn refcount(&self, obj: ObjRef) -> usize {
        let object = self.memory.resolve(obj).unwrap_or_else(|e| panic!("{e}"));
        (object.meta() & COUNT_MASK) as usize
    }

    /// Bytes held from the system by the object spaces.
    pub fn heap_bytes(&self) -> usize {
        self.pools.committed_bytes() + self.large.committed_bytes()
    }

    pub(crate) fn live_bytes(&self) -> usize {
        self.pools.live_bytes() + self.large.live_bytes()
    }

    #[inline]
    pub(crate) fn inc(&self, granule: usize) {
        // SAFETY: callers pass granules of live objects (validated references, or slots and
        // roots, which only hold live objects).
        let object = unsafe { self.memory.object(granule) };
        let word = object.meta();
        if word & COUNT_MASK != IMMORTAL {
            // SAFETY: this backend owns the count; one more reference now exists.
            unsafe { object.set_meta(word + 1) };
        }
    }

    /// Decrements; an object whose count reaches zero joins `doomed` (call `free_doomed`).
    #[inline]
    pub(crate) fn dec(&mut self, granule: usize) {
        decrement(&self.memory, &mut self.doomed, granule);
    }

    /// Frees every doomed object, decrementing what each refers to; those that reach zero are
    /// freed in turn. A loop over an explicit list, so dropping the head of a list of ten
    /// million nodes frees it all in constant native stack.
    ///
    /// A long cascade is the mutator waiting on memory management as surely as a collection
    /// is, so it is logged as a pause of its own kind, [`CollectionKind::FreeBurst`], when it
    /// takes [`BURST_THRESHOLD`] or more. The clock is read only once a cascade has freed
    /// [`BURST_UNTIMED_FREES`] objects (most cascades free one or two), so the pause logged
    /// leaves out those first frees' time; its `bytes_before` is read before the first.
    pub(crate) fn free_doomed(&mut self) {
        self.free_cascade(BURST_UNTIMED_FREES);
    }

    /// [`free_doomed`](Self::free_doomed) inside a collection, whose own pause covers it: no
    /// burst is logged within it.
    pub(crate) fn free_doomed_in_pause(&mut self) {
        self.free_cascade(u64::MAX);
    }

    /// Frees the doomed objects, timing the cascade from its `untimed`-th free.
    fn free_cascade(&mut self, untimed: u64) {
        let bytes_before = self.live_bytes();
        let mut burst = None;
        let mut freed = 0u64;
        let mut untracked = 0u32;
        while let Some(first) = self.doomed.pop() {
            // One referent that dies is freed next, without a trip through `doomed`.
            let mut granule = first as usize;
            loop {
                // SAFETY: a doomed object is live until freed below, and only once doomed
                // (its count went from 1 to 0 exactly once).
                let object = unsafe { self.memory.object(granule) };
                let tracked = object.meta() & TRACKED != 0;
                let mut next = None;
                // The last slot's referent first: a structure built bottom up (children
                // tracked before their parent) is then freed in the reverse of the order it
                // was tracked, and each container leaves the end of its generation list.
                for i in (0..object.slot_count()).rev() {
                    // SAFETY: `i` is below the slot count.
                    let bits = unsafe { object.slot_unchecked(i) }.bits();
                    if bits != 0 && release(&self.memory, bits as u32 as usize) {
                        if next.is_none() {
                            next = Some(bits as u32 as usize);
                        } else {
                            self.doomed.push(bits as u32);
                        }
                    }
                }
                if tracked {
                    self.gens.untrack(granule);
                    untracked += 1;
                }
                // SAFETY: its count is zero, so no slot or root refers to it.
                unsafe { self.free_object(granule, true) };
                freed += 1;
                if freed == untimed {
                    burst = Some(self.stats.begin_pause(bytes_before));
                }
                match next {
                    Some(n) => granule = n,
                    None => break,
                }
            }
        }
        if freed > 0 {
            self.gc.note_untracked(untracked);
            self.freed_unpublished += freed;
            if self.freed_unpublished >= PUBLISH_FREED {
                self.publish_freed();
            }
            self.release_spare_arenas();
        }
        if let Some(timer) = burst {
            // The pause's own clock decides, so a logged burst is never under the threshold.
            if timer.elapsed() >= BURST_THRESHOLD {
                self.stats.end_pause(timer, CollectionKind::FreeBurst, self.live_bytes());
            }
        }
    }

    /// Adds the objects freed by count since the last call to the `freed_by_refcount` counter
    /// of [`Stats::counters`]. Called once [`PUBLISH_FREED`] of them have accumulated (so a
    /// cascade of that many or more publishes at its end) and at the end of every collection,
    /// so the counter is exact after a collection and lags by fewer than [`PUBLISH_FREED`]
    /// frees otherwise.
    #[cold]
    pub(crate) fn publish_freed(&mut self) {
        if self.freed_unpublished > 0 {
            self.stats.bump("freed_by_refcount", self.freed_unpublished);
            self.freed_unpublished = 0;
        }
    }

    /// Frees the cell of a dead object, into the cell cache if `cache` (the mutator frees
    /// one object at a time and soon allocates again) or straight back to its pool (the
    /// cycle detector frees garbage in bulk, which would only overflow the cache).
    ///
    /// # Safety
    /// An object must start at `granule`, and nothing may refer to it.
    #[inline]
    pub(crate) unsafe fn free_object(&mut self, granule: usize, cache: bool) {
        if self.pools.contains(granule) {
            if cache {
                // SAFETY: forwarded to the caller.
                unsafe { self.pools.free_to_cache(&self.memory, granule) };
            } else {
                // SAFETY: forwarded to the caller.
                unsafe { self.pools.free(&self.memory, granule) };
            }
        } else {
            // SAFETY: forwarded to the caller.
            unsafe { self.large.free(&self.memory, granule) };
            self.stats.set_heap_bytes(self.heap_bytes());
        }
    }

    /// Bounds the cell cache, then returns wholly free arenas to the system.
    ///
    /// Freed cells go to the pool space's cell cache, where the next allocation of their
    /// size takes them back without touching pool descriptors; but a cached cell keeps its
    /// pool, and so its arena, in use. The cache is flushed back to the pools when it holds
    /// more than half of the committed pool memory (plus one arena), before a new pool
    /// is taken, and at full collections.
    ///
    /// Wholly free arenas go back to the system beyond a reserve of a quarter of the arenas
    /// in use (at least one) against churn: obmalloc returns every free arena at once, and a
    /// program that frees and rebuilds a large structure then pays a page fault per 4 KiB to
    /// take the memory back.
    pub(crate) fn release_spare_arenas(&mut self) {
        if self.pools.cached_bytes() > self.pools.committed_bytes() / 2 + self.pools.arena_bytes() {
            self.flush_cell_cache();
        }
        let empty = self.pools.empty_arenas();
        let in_use = self.pools.committed_arenas() - empty;
        let keep = (in_use / 4).max(1);
        if empty > keep {
            let released = self.pools.release_empty_arenas(&self.memory, keep);
            self.stats.bump("arenas_released", released as u64);
            self.stats.set_heap_bytes(self.heap_bytes());
        }
    }

    /// Returns the cached cells to their pools, and closes the open allocation runs (which
    /// pin their pools too), so pools whose objects all died go back to their arenas.
    #[cold]
    pub(crate) fn flush_cell_cache(&mut self) {
        let flushed = self.pools.flush_cache(&self.memory);
        self.pools.close_runs(&self.memory);
        self.stats.bump("cached_cells_flushed", flushed as u64);
    }

    /// Settles what was left for a safe point: the newest object if still unreferenced,
    /// references popped from the root stack, and dropped root handles.
    #[inline]
    pub(crate) fn safepoint(&mut self) {
        if let Some(newest) = self.newest.take() {
            let granule = newest.granule() as usize;
            // The newest object may have been freed already (counted, then released); its
            // cell cannot have been reused, since reuse happens only after this point.
            if self.memory.is_object(granule) {
                // SAFETY: the valid bit is set, so an object starts here (the newest one).
                let object = unsafe { self.memory.object(granule) };
                if object.meta() & COUNT_MASK == 0 {
                    self.doomed.push(granule as u32);
                }
            }
        }
        if !self.deferred.is_empty() || self.roots.table.has_released() {
            self.settle_deferred();
        }
        if !self.doomed.is_empty() {
            self.free_doomed();
        }
    }

    /// Releases the references popped from the root stack since the last safe point, and
    /// those of dropped handles.
    #[cold]
    fn settle_deferred(&mut self) {
        for r in self.deferred.drain(..) {
            decrement(&self.memory, &mut self.doomed, r.granule() as usize);
        }
        if self.roots.table.has_released() {
            self.drain_released();
        }
    }

    #[cold]
    fn drain_released(&mut self) {
        let table = self.roots.table.clone();
        table.drain_released(|r| self.dec(r.granule() as usize));
    }

    /// The body of `allocate_from_roots` and `allocate_immutable`: allocates, moves the top
    /// `from_roots` root-stack entries into the first slots (their counts with them: no count
    /// changes), and tracks the new container if it may be part of a cycle — a mutable one
    /// holding any reference, an immutable one only if a referent may be tracked (CPython's
    /// tuple untracking, decided once since the slots never change).
    #[track_caller]
    #[inline(always)]
    fn allocate_moving(
        &mut self,
        tag: Tag,
        slots: usize,
        bytes: usize,
        from_roots: usize,
        immutable: bool,
    ) -> Result<ObjRef, AllocError> {
        gclab_core::check_from_roots(slots, from_roots, self.roots.stack.len());
        // The operands stay on the stack, counted, through the allocation's safepoint.
        // SAFETY: `from_roots <= slots` (checked above); the slots are written just below.
        let obj = unsafe { self.allocate_object(tag, slots, bytes, immutable, from_roots) }?;
        let granule = obj.granule() as usize;
        let depth = self.roots.stack.len();
        let mut track = false;
        for i in depth - from_roots..depth {
            if let Ok(Some(r)) = self.roots.stack.get(i) {
                track |= !immutable || self.may_be_tracked(r.granule() as usize);
            }
        }
        // SAFETY: `obj` was just allocated by this heap with `slots >= from_roots` null slots
        // (checked above); the stack holds only references validated when pushed and kept
        // alive by their counts, which move into the slots with them (no count changes); the
        // immutable flag binds the mutator only.
        unsafe { self.memory.move_roots_into(&mut self.roots.stack, granule, from_roots) };
        if track {
            self.track(granule);
        }
        Ok(obj)
    }

    /// Whether the object at `granule` is, or may some day be, tracked: a container that is
    /// mutable (a store may give it a reference at any time) or tracked already. Objects
    /// without slots and untracked immutable ones are out of every cycle for good (CPython's
    /// `_PyObject_GC_MAY_BE_TRACKED`, with our immutable objects as its tuples).
    #[inline]
    fn may_be_tracked(&self, granule: usize) -> bool {
        // SAFETY: callers pass granules of live objects (referents of a live object).
        let object = unsafe { self.memory.object(granule) };
        object.slot_count() != 0 && (!object.is_immutable() || object.meta() & TRACKED != 0)
    }

    /// Starts tracking a container that just received its first reference.
    #[cold]
    fn track(&mut self, granule: usize) {
        // SAFETY: `granule` is a validated live object.
        let object = unsafe { self.memory.object(granule) };
        // SAFETY: this backend owns the tracked bit; the object joins a generation list just below.
        unsafe { object.set_meta(object.meta() | TRACKED) };
        self.gens.push(granule as u32, List::Young);
        self.gc.note_tracked();
    }

    /// Opens a new allocation run for `class` and returns its first cell: on a usable pool
    /// or a committed free pool first; then, rather than commit memory, after returning the
    /// cached cells of every class to their pools (which may free some); then within the
    /// room under the limit; then after a full collection.
    #[cold]
    #[inline(never)]
    fn alloc_small_slow(&mut self, class: usize) -> Result<usize, AllocError> {
        let mut collected = false;
        loop {
            let refilled = match self.pools.refill(&self.memory, class, 0) {
                Some(bytes) => Some(bytes),
                None if self.pools.cached_bytes() > 0 => {
                    self.flush_cell_cache();
                    continue;
                }
                None => {
                    let room = self.limit.saturating_sub(self.heap_bytes());
                    self.pools.refill(&self.memory, class, room)
                }
            };
            if refilled.is_some() {
                self.stats.set_heap_bytes(self.heap_bytes());
                // SAFETY: as in `allocate_object`.
                return Ok(unsafe { self.pools.alloc_fast(&self.memory, class) }.expect("a new run has a free cell"));
            }
            if collected {
                return Err(AllocError::heap_exhausted(self.pools.config().pool_bytes, self.heap_bytes(), self.limit));
            }
            self.collect_generation(2);
            collected = true;
        }
    }

    #[cold]
    fn alloc_large(&mut self, slots: usize, bytes: usize, size: usize) -> Result<usize, AllocError> {
        if size > self.limit {
            return Err(AllocError::too_large(slots, bytes, self.limit));
        }
        let footprint = LargeObjectSpace::footprint(size);
        let mut collected = false;
        loop {
            let granule = self.large.alloc_within(&mut self.pools, &self.memory, size, self.limit);
            // Set even on a refusal: `alloc_within` may have returned arenas and pools first.
            self.stats.set_heap_bytes(self.heap_bytes());
            if let Some(granule) = granule {
                return Ok(granule);
            }
            if collected {
                return Err(AllocError::heap_exhausted(footprint, self.heap_bytes(), self.limit));
            }
            self.collect_generation(2);
            collected = true;
        }
    }
}

/// Decrements the count of the object at `granule`; one that reaches zero joins `doomed`.
/// A free function over the two fields it needs, so callers may hold a view of another object.
#[inline]
pub(crate) fn decrement(memory: &ObjectMemory, doomed: &mut Vec<u32>, granule: usize) {
    if release(memory, granule) {
        doomed.push(granule as u32);
    }
}

/// Decrements the count of the object at `granule`; returns whether it reached zero (the
/// caller must then free it).
#[inline]
pub(crate) fn release(memory: &ObjectMemory, granule: usize) -> bool {
    // SAFETY: every counted reference is to a live object (validated when counted, and an
    // object is freed only when its count is zero).
    let object = unsafe { memory.object(granule) };
    let word = object.meta();
    debug_assert!(word & COUNT_MASK > 0, "reference count underflow at granule {granule:#x}");
    match word & COUNT_MASK {
        IMMORTAL => false,
        count => {
            // SAFETY: this backend owns the count; one reference to the object went away.
            unsafe { object.set_meta(word - 1) };
            count == 1
        }
    }
}

impl Heap for RefcountHeap {
    const NAME: &'static str = "refcount";

    fn with_config(config: HeapConfig) -> Result<Self, ConfigError> {
        Self::with_backend_config(RefcountConfig { heap: config, ..RefcountConfig::default() })
    }

    #[inline]
    fn allocate(&mut self, tag: Tag, slots: usize, bytes: usize) -> Result<ObjRef, AllocError> {
        // SAFETY: `filled = 0`: no slot is left for us to write.
        unsafe { self.allocate_object(tag, slots, bytes, false, 0) }
    }

    #[track_caller]
    #[inline]
    fn allocate_from_roots(
        &mut self,
        tag: Tag,
        slots: usize,
        bytes: usize,
        from_roots: usize,
    ) -> Result<ObjRef, AllocError> {
        self.allocate_moving(tag, slots, bytes, from_roots, false)
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
        self.allocate_moving(tag, slots, bytes, from_roots, true)
    }

    #[track_caller]
    #[inline(always)]
    fn allocate_immutable_onto_roots(
        &mut self,
        tag: Tag,
        slots: usize,
        bytes: usize,
        from_roots: usize,
    ) -> Result<(), AllocError> {
        let obj = self.allocate_moving(tag, slots, bytes, from_roots, true)?;
        // The root it becomes is counted, as `push_root` counts it.
        self.inc(obj.granule() as usize);
        // SAFETY: `obj` was made just now by this heap, and its count (the root) keeps it live.
        unsafe { self.roots.stack.push(Some(obj)) };
        Ok(())
    }

    #[inline]
    fn memory(&self) -> &ObjectMemory {
        &self.memory
    }

    #[inline]
    fn try_store(&mut self, obj: ObjRef, index: usize, value: Option<ObjRef>) -> Result<(), RefError> {
        self.memory.check_value(value)?;
        let (object, slot) = self.memory.writable_slot(obj, index)?;
        let old = slot.get();
        let untracked = object.meta() & TRACKED == 0;
        // The new referent is counted before the old one is released, so storing a slot's
        // own value, or a value only the old referent keeps alive, is safe.
        if let Some(value) = value {
            self.inc(value.granule() as usize);
        }
        // SAFETY: `value` was validated and is now counted; the old value is released below.
        unsafe { slot.set(value) };
        if value.is_some() && untracked {
            self.track(obj.granule() as usize);
        }
        if let Some(old) = old {
            self.dec(old.granule() as usize);
            if !self.doomed.is_empty() {
                self.free_doomed();
            }
        }
        Ok(())
    }

    fn try_data_mut(&mut self, obj: ObjRef) -> Result<&mut [u8], RefError> {
        self.memory.data_mut(obj)
    }

    #[inline]
    fn try_push_root(&mut self, obj: Option<ObjRef>) -> Result<(), RefError> {
        self.roots.push(&self.memory, obj)?;
        if let Some(obj) = obj {
            self.inc(obj.granule() as usize);
        }
        Ok(())
    }

    #[inline]
    fn try_pop_root(&mut self) -> Result<Option<ObjRef>, RefError> {
        let popped = self.roots.stack.pop()?;
        if let Some(obj) = popped {
            // The caller owns the popped reference until the next allocation or collection.
            self.deferred.push(obj);
        }
        Ok(popped)
    }

    fn try_set_root(&mut self, index: usize, obj: Option<ObjRef>) -> Result<(), RefError> {
        self.roots.stack.get(index)?;
        if let Some(obj) = obj {
            self.memory.resolve(obj)?;
            self.inc(obj.granule() as usize);
        }
        // SAFETY: `obj` was validated just above (and is now counted).
        let old = unsafe { self.roots.stack.set(index, obj) }?;
        if let Some(old) = old {
            self.dec(old.granule() as usize);
            self.free_doomed();
        }
        Ok(())
    }

    #[inline]
    fn try_root_at(&self, index: usize) -> Result<Option<ObjRef>, RefError> {
        self.roots.stack.get(index)
    }

    fn root_depth(&self) -> usize {
        self.roots.stack.len()
    }

    fn truncate_roots(&mut self, depth: usize) {
        let mut popped = Vec::new();
        self.roots.stack.truncate_with(depth, |r| popped.push(r));
        for r in popped {
            self.dec(r.granule() as usize);
        }
        self.free_doomed();
    }

    #[track_caller]
    fn root(&mut self, obj: ObjRef) -> Root {
        let root = self.roots.handle(&self.memory, obj);
        self.inc(obj.granule() as usize);
        root
    }

    fn collect(&mut self, kind: CollectionKind) {
        let generation = match kind {
            CollectionKind::Full => 2,
            _ => 0,
        };
        self.collect_generation(generation);
    }

    fn stats(&self) -> &Stats {
        &self.stats
    }

    fn live_objects(&self) -> usize {
        self.pools.live_objects() + self.large.live_objects()
    }

    fn verify(&self) -> Result<(), VerifyError> {
        crate::verify::verify(self)
    }
}
