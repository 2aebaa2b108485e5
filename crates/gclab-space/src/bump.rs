//! The bump space: one contiguous range, objects laid end to end, nothing freed one by one.

use gclab_core::{ensure, ObjectMemory, VerifyError, GRANULE, PAGE_SIZE};

/// A range of the heap handed out by advancing a cursor: allocation is a bounds check and an
/// add, and objects lie in allocation order with no gaps. Nothing is freed object by object;
/// [`BumpSpace::reset`] empties the whole space at once (what a copying nursery does after
/// evacuating it), and a no-GC heap never empties it at all.
///
/// The range is made accessible a megabyte ahead of the cursor (the allocation's slow path),
/// and the kernel commits each 4 KiB page as the cursor first touches it, so
/// [`BumpSpace::committed_bytes`] is the cursor rounded up to a page; past the accessible end
/// the reservation faults. Fresh pages read as zero, so objects need no clearing; `reset`
/// returns the pages to the system, which makes them zero (and inaccessible) again.
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
    /// Bytes from `start` made accessible (a multiple of the page size, at least `cursor`).
    accessible: usize,
    /// [`ObjectMemory::identity`] of the memory the space was carved from.
    memory_identity: u64,
}

/// How far ahead of the cursor the space makes memory accessible: one system call per
/// megabyte allocated.
const COMMIT_AHEAD: usize = 1 << 20;

impl BumpSpace {
    /// A space of up to `bytes` (rounded up to pages), carved from `memory`.
    pub fn new(memory: &mut ObjectMemory, bytes: usize) -> Self {
        let capacity = bytes.next_multiple_of(PAGE_SIZE);
        let start = memory.carve(capacity);
        BumpSpace { start, capacity, cursor: 0, objects: 0, accessible: 0, memory_identity: memory.identity() }
    }

    /// Hands out `size` bytes (a multiple of [`GRANULE`]) and returns the first granule, or
    /// `None` when the space has fewer than `size` bytes left (or the system refused to make
    /// more of it accessible). The memory is zero, never used since the space was made or
    /// last reset.
    #[inline]
    pub fn alloc(&mut self, memory: &ObjectMemory, size: usize) -> Option<usize> {
        debug_assert!(size % GRANULE == 0 && size > 0, "bump allocation of {size} bytes");
        if size > self.accessible - self.cursor && !self.make_accessible(memory, size) {
            return None;
        }
        let offset = self.start + self.cursor;
        self.cursor += size;
        self.objects += 1;
        Some(offset / GRANULE)
    }

    /// Makes at least `size` bytes past the cursor accessible (and up to [`COMMIT_AHEAD`]
    /// more), if the space has them; returns whether it did.
    #[cold]
    fn make_accessible(&mut self, memory: &ObjectMemory, size: usize) -> bool {
        memory.assert_identity(self.memory_identity, "bump space");
        if size > self.capacity - self.cursor {
            return false;
        }
        let end =
            (self.cursor + size).max(self.accessible + COMMIT_AHEAD).next_multiple_of(PAGE_SIZE).min(self.capacity);
        if !memory.commit(self.start + self.accessible, end - self.accessible) {
            return false;
        }
        self.accessible = end;
        true
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
    /// `memory` must be the one this space was carved from, and no slot or root outside the
    /// space may refer to an object in it (a copying collector calls this after evacuating the
    /// survivors and updating every reference).
    pub unsafe fn reset(&mut self, memory: &ObjectMemory) {
        let first = self.start / GRANULE;
        // SAFETY: every object of the space dies here, and nothing refers to them (the
        // caller's contract).
        unsafe { memory.valid_bits_writer() }.clear_range(first, first + self.used_granules_rounded());
        // SAFETY: as above: nothing refers into the space, and it is committed again before
        // anything is handed out.
        unsafe { memory.release(self.start, self.accessible) };
        self.cursor = 0;
        self.objects = 0;
        self.accessible = 0;
    }

    /// Checks that the objects handed out tile `start..start + cursor` exactly: each object's
    /// valid bit is set where the previous one ends, their count matches, and no valid bit lies
    /// past the cursor.
    pub fn verify(&self, memory: &ObjectMemory) -> Result<(), VerifyError> {
        ensure!(memory.identity() == self.memory_identity, "bump space: verified against another heap's memory");
        ensure!(
            self.cursor <= self.accessible && self.accessible <= self.capacity,
            "bump space: cursor {} past the accessible end {} or capacity {}",
            self.cursor,
            self.accessible,
            self.capacity
        );
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
