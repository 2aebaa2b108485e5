//! The bump space: one contiguous range, objects laid end to end, nothing freed one by one.

use gclab_core::{ensure, ObjectMemory, VerifyError, GRANULE, PAGE_SIZE};

/// A range of the heap handed out by advancing a cursor: allocation is a bounds check and an
/// add, and objects lie in allocation order with no gaps. Nothing is freed object by object;
/// [`BumpSpace::reset`] empties the whole space at once (what a copying nursery does after
/// evacuating it), and a no-GC heap never empties it at all.
///
/// Memory is taken from the system as the cursor passes each 4 KiB page (the region is
/// reserved, and the kernel commits pages on first touch), so [`BumpSpace::committed_bytes`] is
/// the cursor rounded up to a page. Fresh pages read as zero, so objects need no clearing;
/// `reset` returns the pages to the system, which makes them zero again.
#[derive(Debug)]
pub struct BumpSpace {
    /// Byte offset of the space in the heap's region.
    start: usize,
    /// Bytes the space may hand out.
    capacity: usize,
    /// Bytes handed out so far (a multiple of [`GRANULE`]).
    cursor: usize,
    /// Objects handed out since the last reset.
    objects: usize,
}

impl BumpSpace {
    /// A space of up to `bytes` (rounded up to pages), carved from `memory`.
    pub fn new(memory: &mut ObjectMemory, bytes: usize) -> Self {
        let capacity = bytes.next_multiple_of(PAGE_SIZE);
        let start = memory.carve(capacity);
        BumpSpace { start, capacity, cursor: 0, objects: 0 }
    }

    /// Hands out `size` bytes (a multiple of [`GRANULE`]) and returns the first granule, or
    /// `None` when the space has fewer than `size` bytes left. The memory is zero, never used
    /// since the space was made or last reset.
    #[inline]
    pub fn alloc(&mut self, size: usize) -> Option<usize> {
        debug_assert!(size % GRANULE == 0 && size > 0, "bump allocation of {size} bytes");
        if size > self.capacity - self.cursor {
            return None;
        }
        let offset = self.start + self.cursor;
        self.cursor += size;
        self.objects += 1;
        Some(offset / GRANULE)
    }

    /// Bytes handed out since the last reset.
    #[inline]
    pub fn used_bytes(&self) -> usize {
        self.cursor
    }

    /// Bytes still free.
    #[inline]
    pub fn free_bytes(&self) -> usize {
        self.capacity - self.cursor
    }

    /// The most bytes the space can hand out.
    #[inline]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes held from the system: every page the cursor has reached.
    #[inline]
    pub fn committed_bytes(&self) -> usize {
        self.cursor.next_multiple_of(PAGE_SIZE)
    }

    /// Objects handed out since the last reset.
    #[inline]
    pub fn objects(&self) -> usize {
        self.objects
    }

    /// Whether `granule` lies in this space.
    #[inline]
    pub fn contains(&self, granule: usize) -> bool {
        let byte = granule * GRANULE;
        byte >= self.start && byte < self.start + self.capacity
    }

    /// Whether `granule` lies in the part of the space handed out so far.
    #[inline]
    pub fn contains_allocated(&self, granule: usize) -> bool {
        let byte = granule * GRANULE;
        byte >= self.start && byte < self.start + self.cursor
    }

    /// Calls `f` with the granule of every object handed out, in address (= allocation) order.
    pub fn for_each_object(&self, memory: &ObjectMemory, f: impl FnMut(usize)) {
        let first = self.start / GRANULE;
        memory.valid_bits().for_each_set(first, first + self.used_granules_rounded(), f);
    }

    /// Granules handed out, rounded up to a bitmap word (64 granules): the bitmap's range
    /// operations take whole words, and no valid bit lies past the cursor.
    #[inline]
    fn used_granules_rounded(&self) -> usize {
        (self.cursor / GRANULE).next_multiple_of(64)
    }

    /// Empties the space: clears the valid bit of every object in it (so references to them
    /// are reported stale), returns its pages to the system (so they read as zero again) and
    /// moves the cursor back to the start.
    ///
    /// # Safety
    /// No slot or root outside the space may refer to an object in it (a copying collector
    /// calls this after evacuating the survivors and updating every reference).
    pub unsafe fn reset(&mut self, memory: &ObjectMemory) {
        let first = self.start / GRANULE;
        memory.valid_bits().clear_range(first, first + self.used_granules_rounded());
        memory.decommit(self.start, self.committed_bytes());
        self.cursor = 0;
        self.objects = 0;
    }

    /// Checks that the objects handed out tile `start..start + cursor` exactly: each object's
    /// valid bit is set where the previous one ends, their count matches, and no valid bit lies
    /// past the cursor.
    pub fn verify(&self, memory: &ObjectMemory) -> Result<(), VerifyError> {
        ensure!(self.cursor % GRANULE == 0, "bump space: cursor {} is not granule-aligned", self.cursor);
        ensure!(self.cursor <= self.capacity, "bump space: cursor {} past capacity {}", self.cursor, self.capacity);
        let first = self.start / GRANULE;
        let end = first + self.cursor / GRANULE;
        let (mut expected, mut objects, mut problem) = (first, 0, None);
        let scanned = first + self.used_granules_rounded();
        memory.valid_bits().for_each_set(first, scanned, |granule| {
            if problem.is_none() && granule != expected {
                problem = Some(format!("bump space: object at granule {granule:#x}, expected one at {expected:#x}"));
            }
            // SAFETY: the valid bit is set, so an initialised object starts here.
            let size = unsafe { memory.object(granule) }.size();
            expected = granule + size / GRANULE;
            objects += 1;
        });
        if let Some(problem) = problem {
            return Err(VerifyError(problem));
        }
        ensure!(
            self.cursor == 0 || expected == end,
            "bump space: objects end at granule {expected:#x}, cursor at {end:#x}"
        );
        ensure!(objects == self.objects, "bump space: {objects} objects found, {} counted", self.objects);
        let beyond = memory.valid_bits().count_range(scanned, first + self.capacity / GRANULE);
        ensure!(beyond == 0, "bump space: {beyond} valid bits past the cursor");
        Ok(())
    }
}
