//! The no-GC plan: one bump space, roots, statistics; no collector.

use gclab_core::AllocateObject;
use gclab_core::{
    ensure, object_size, AllocError, CollectionKind, ConfigError, Heap, HeapConfig, ObjRef, ObjectMemory, RefError,
    Roots, Stats, Tag, VerifyError, CARVE_ALIGN,
};
use gclab_space::BumpSpace;

/// A heap that allocates by bumping a cursor and never frees. See the crate documentation.
pub struct NoGcHeap {
    memory: ObjectMemory,
    space: BumpSpace,
    roots: Roots,
    stats: Stats,
    limit: usize,
}

impl std::fmt::Debug for NoGcHeap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NoGcHeap")
            .field("heap_id", &self.memory.heap_id())
            .field("objects", &self.space.objects())
            .field("used_bytes", &self.space.used_bytes())
            .finish_non_exhaustive()
    }
}

impl NoGcHeap {
    /// Bytes held from the system: the pages the cursor has reached.
    pub fn heap_bytes(&self) -> usize {
        self.space.committed_bytes()
    }

    /// The error for an object of `size` bytes that the space cannot hold.
    #[cold]
    fn out_of_room(&self, slots: usize, bytes: usize, size: usize) -> AllocError {
        if size > self.limit {
            AllocError::too_large(slots, bytes, self.limit)
        } else {
            AllocError::heap_exhausted(size, self.heap_bytes(), self.limit)
        }
    }
}

// SAFETY: `allocate_object` returns only objects it has just initialised in `self.memory`
// with `init_object`, with exactly the slots and bytes asked for.
unsafe impl AllocateObject for NoGcHeap {
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
        let Some(granule) = self.space.alloc(&self.memory, size) else {
            return Err(self.out_of_room(slots, bytes, size));
        };
        self.stats.note_allocation(size);
        let committed = self.space.committed_bytes();
        if committed != self.stats.heap_bytes {
            self.stats.set_heap_bytes(committed);
        }
        // SAFETY: the space just handed out `size` bytes at `granule`, never used before:
        // fresh pages of the reserved region, which read as zero.
        Ok(unsafe { self.memory.init_object_filled(granule, tag, slots as u32, bytes as u32, true, immutable, filled) })
    }
}

impl Heap for NoGcHeap {
    const NAME: &'static str = "nogc";

    fn with_config(config: HeapConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let limit = config.heap_limit;
        let mut memory = ObjectMemory::new(limit.next_multiple_of(CARVE_ALIGN))?;
        memory.set_huge_pages(config.huge_pages);
        // Whole pages only, rounded down: the kernel commits a page as the cursor first
        // touches it, so a space that ended inside a page would pass the limit.
        let space = BumpSpace::new(&mut memory, limit / gclab_core::PAGE_SIZE * gclab_core::PAGE_SIZE);
        Ok(NoGcHeap { memory, space, roots: Roots::new(false), stats: Stats::default(), limit })
    }

    #[inline]
    fn allocate(&mut self, tag: Tag, slots: usize, bytes: usize) -> Result<ObjRef, AllocError> {
        // SAFETY: `filled = 0`: no slot is left for us to write.
        unsafe { self.allocate_object(tag, slots, bytes, false, 0) }
    }

    #[inline]
    fn try_store(&mut self, obj: ObjRef, index: usize, value: Option<ObjRef>) -> Result<(), RefError> {
        // SAFETY: no write barrier is needed: this heap never traces.
        unsafe { self.memory.store_without_barrier(obj, index, value) }
    }

    gclab_core::plain_roots_and_memory!();

    /// Does nothing, and records nothing: the mutator never stops.
    fn collect(&mut self, _kind: CollectionKind) {}

    fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Every object allocated: none is ever freed.
    fn live_objects(&self) -> usize {
        self.space.objects()
    }

    fn verify(&self) -> Result<(), VerifyError> {
        self.space.verify(&self.memory)?;
        let mut problem = None;
        self.space.for_each_object(&self.memory, |granule| {
            if problem.is_some() {
                return;
            }
            // SAFETY: the space reports only granules whose valid bit is set.
            let object = unsafe { self.memory.object(granule) };
            object.for_each_ref(|target| {
                if problem.is_none() {
                    if let Err(e) = self.memory.resolve(target) {
                        problem = Some(format!("the object at granule {granule:#x} holds a bad reference: {e}"));
                    }
                }
            });
        });
        if let Some(problem) = problem {
            return Err(VerifyError(problem));
        }
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
