//! The large-object space: page-granular runs, each object alone on its pages.

use std::collections::{BTreeMap, BTreeSet};

use gclab_core::{ensure, ObjectMemory, SideBitmap, VerifyError, GRANULE, PAGE_SIZE};

/// Objects too big for the pool space, each on its own run of 4 KiB pages.
///
/// Free runs below the frontier are kept coalesced, indexed by address (to merge neighbours)
/// and by length (to find the **best fit**: the shortest run that holds the request, the
/// lowest such run on ties), which keeps long runs whole for long requests. Past them the
/// space grows at its frontier. A plan reserves the space several times its heap limit,
/// because address space is cheap and fragmentation of it must not refuse a request that
/// fits under the limit. A freed object's pages go back to the system at once and become
/// inaccessible; pages handed out are committed fresh, so always zero and never cleared.
/// Large objects are few, so the ordered maps here cost little; no per-object work happens
/// on the small-object paths.
#[derive(Debug)]
pub struct LargeObjectSpace {
    start: usize,
    /// [`ObjectMemory::identity`] of the memory the space was carved from.
    memory_identity: u64,
    max_pages: u32,
    frontier: u32,
    /// Free runs below the frontier: first page -> page count.
    free: BTreeMap<u32, u32>,
    /// The same runs as (page count, first page), for best fit.
    free_by_len: BTreeSet<(u32, u32)>,
    /// Allocated objects: first page -> page count.
    objects: BTreeMap<u32, u32>,
    /// Dead objects already invalidated (valid bit clear) whose pages are not yet released
    /// ([`LargeObjectSpace::invalidate_dead`], [`LargeObjectSpace::release_invalidated`]):
    /// first page -> page count. Counted in `committed_pages`, not in `live_bytes`.
    invalidated: BTreeMap<u32, u32>,
    committed_pages: usize,
    live_bytes: usize,
}

impl LargeObjectSpace {
    /// A space of up to `bytes` of address space (rounded up to pages), carved from `memory`.
    pub fn new(memory: &mut ObjectMemory, bytes: usize) -> Self {
        let bytes = bytes.next_multiple_of(PAGE_SIZE);
        let start = memory.carve(bytes);
        LargeObjectSpace {
            start,
            memory_identity: memory.identity(),
            max_pages: u32::try_from(bytes / PAGE_SIZE).expect("large space under 16 TiB"),
            frontier: 0,
            free: BTreeMap::new(),
            free_by_len: BTreeSet::new(),
            objects: BTreeMap::new(),
            invalidated: BTreeMap::new(),
            committed_pages: 0,
            live_bytes: 0,
        }
    }

    /// The address space a plan should reserve for this space under a heap limit of `limit`
    /// bytes, when its other spaces reserve `others` bytes: eight times the limit, or what
    /// a heap may still reserve. Address space is cheap and the large space never moves its
    /// objects, so room to place a run past a fragmented stretch is what keeps a request that
    /// fits under the limit from being refused (Robson's bound for an optimal non-moving
    /// allocator is the live size times log2 of the ratio of largest to smallest request:
    /// eight for a 1 MiB heap of page-sized and larger objects).
    pub fn reserve_for(limit: usize, others: usize) -> usize {
        let left = gclab_core::MAX_RESERVE.saturating_sub(others.next_multiple_of(gclab_core::CARVE_ALIGN));
        limit.saturating_mul(8).min(left.saturating_sub(gclab_core::CARVE_ALIGN)).max(limit).next_multiple_of(PAGE_SIZE)
    }

    /// The bytes an object of `size` bytes takes from the system here.
    #[inline]
    pub fn footprint(size: usize) -> usize {
        size.next_multiple_of(PAGE_SIZE)
    }

    /// Bytes held from the system.
    #[inline]
    pub fn committed_bytes(&self) -> usize {
        self.committed_pages * PAGE_SIZE
    }

    /// Objects allocated and not freed.
    #[inline]
    pub fn live_objects(&self) -> usize {
        self.objects.len()
    }

    /// Bytes in pages of allocated objects.
    #[inline]
    pub fn live_bytes(&self) -> usize {
        self.live_bytes
    }

    /// Whether `granule` lies in this space.
    #[inline]
    pub fn contains(&self, granule: usize) -> bool {
        let byte = granule * GRANULE;
        byte >= self.start && byte < self.start + self.max_pages as usize * PAGE_SIZE
    }

    #[track_caller]
    fn check_memory(&self, memory: &ObjectMemory) {
        memory.assert_identity(self.memory_identity, "large-object space");
    }

    fn insert_free(&mut self, first: u32, pages: u32) {
        self.free.insert(first, pages);
        self.free_by_len.insert((pages, first));
    }

    fn remove_free(&mut self, first: u32) -> Option<u32> {
        let pages = self.free.remove(&first)?;
        self.free_by_len.remove(&(pages, first));
        Some(pages)
    }

    /// Finds pages for an object of `size` bytes, commits them (zero) and returns its
    /// granule, or `None` when the space has no run that long (or the system refused to
    /// commit the pages).
    pub fn alloc(&mut self, memory: &ObjectMemory, size: usize) -> Option<usize> {
        self.check_memory(memory);
        let pages = u32::try_from(Self::footprint(size) / PAGE_SIZE).ok()?;
        let fit = self.free_by_len.range((pages, 0)..).next().copied();
        let first = match fit {
            Some((len, first)) => {
                self.remove_free(first);
                if len > pages {
                    self.insert_free(first + pages, len - pages);
                }
                first
            }
            None if self.max_pages - self.frontier >= pages => {
                self.frontier += pages;
                self.frontier - pages
            }
            None => return None,
        };
        if !memory.commit(self.start + first as usize * PAGE_SIZE, pages as usize * PAGE_SIZE) {
            self.free_run(first, pages);
            return None;
        }
        self.objects.insert(first, pages);
        self.committed_pages += pages as usize;
        self.live_bytes += pages as usize * PAGE_SIZE;
        Some(self.granule_of(first))
    }

    /// Finds pages for an object of `size` bytes only if the heap — this space and `pools` —
    /// then holds at most `limit` bytes from the system. If it would not, the pool space
    /// first returns what it holds without using: its open allocation runs, wholly empty
    /// arenas, then the free pools of partly used ones (small objects can commit them again). `None` if it still does not
    /// fit: the caller collects and tries again.
    pub fn alloc_within(
        &mut self,
        pools: &mut crate::PoolSpace,
        memory: &ObjectMemory,
        size: usize,
        limit: usize,
    ) -> Option<usize> {
        let footprint = Self::footprint(size);
        let held = |large: &Self, pools: &crate::PoolSpace| large.committed_bytes() + pools.committed_bytes();
        if held(self, pools) + footprint > limit {
            // Open allocation runs pin their pools: close them, so emptied pools go back.
            pools.close_runs(memory);
            pools.release_empty_arenas(memory, 0);
        }
        if held(self, pools) + footprint > limit {
            pools.decommit_free_pools(memory);
        }
        if held(self, pools) + footprint > limit {
            return None;
        }
        self.alloc(memory, size)
    }

    #[inline]
    fn granule_of(&self, page: u32) -> usize {
        (self.start + page as usize * PAGE_SIZE) / GRANULE
    }

    #[inline]
    fn page_of(&self, granule: usize) -> u32 {
        ((granule * GRANULE - self.start) / PAGE_SIZE) as u32
    }

    /// Frees the object at `granule`, returning its pages to the system. Returns the bytes
    /// released.
    ///
    /// # Safety
    /// `memory` must be the one this space was carved from, an object of this space must start
    /// at `granule`, and no slot or root may refer to it.
    pub unsafe fn free(&mut self, memory: &ObjectMemory, granule: usize) -> usize {
        let first = self.page_of(granule);
        let pages = self.objects.remove(&first).expect("free of an object not in the large space");
        // SAFETY: forwarded to the caller.
        unsafe { memory.free_object(granule) };
        // SAFETY: the object's pages hold nothing else, and nothing refers to it (the
        // caller's contract); the run is committed again before it is handed out.
        unsafe { memory.release(self.start + first as usize * PAGE_SIZE, pages as usize * PAGE_SIZE) };
        self.committed_pages -= pages as usize;
        self.live_bytes -= pages as usize * PAGE_SIZE;
        self.free_run(first, pages);
        pages as usize * PAGE_SIZE
    }

    /// Adds `first..first + pages` to the free runs, merged with its neighbours, or moves the
    /// frontier back if the run ends there.
    fn free_run(&mut self, first: u32, pages: u32) {
        let (mut first, mut pages) = (first, pages);
        if let Some((&before, &len)) = self.free.range(..first).next_back() {
            if before + len == first {
                self.remove_free(before);
                first = before;
                pages += len;
            }
        }
        if let Some(len) = self.remove_free(first + pages) {
            pages += len;
        }
        if first + pages == self.frontier {
            self.frontier = first;
        } else {
            self.insert_free(first, pages);
        }
    }

    /// Frees every object whose bit in `marks` is clear and clears the bits of the others.
    /// Returns the objects and bytes freed.
    ///
    /// # Safety
    /// `memory` must be the one this space was carved from, and every object whose mark is
    /// clear must be unreachable from every slot and root.
    pub unsafe fn sweep(&mut self, memory: &ObjectMemory, marks: &SideBitmap) -> (usize, usize) {
        let dead: Vec<usize> = self
            .objects
            .keys()
            .map(|&page| self.granule_of(page))
            .filter(|&granule| {
                let live = marks.get(granule);
                marks.clear(granule);
                !live
            })
            .collect();
        let mut bytes = 0;
        for &granule in &dead {
            // SAFETY: the caller says unmarked objects are unreachable.
            bytes += unsafe { self.free(memory, granule) };
        }
        (dead.len(), bytes)
    }

    /// The first half of [`LargeObjectSpace::sweep`], for a collector that must not spend
    /// time proportional to the dead objects in one step: every object whose bit in `marks`
    /// is clear is invalidated (its valid bit cleared: references to it are rejected from
    /// now on, and it no longer counts as live), the bits of the others are cleared, and
    /// nothing is released yet. [`LargeObjectSpace::release_invalidated`] then returns their
    /// pages a few objects at a time. Returns the objects and bytes invalidated. Costs a
    /// bitmap test per object and a bit clear per dead one; no system call.
    ///
    /// # Safety
    /// As [`LargeObjectSpace::sweep`].
    pub unsafe fn invalidate_dead(&mut self, memory: &ObjectMemory, marks: &SideBitmap) -> (usize, usize) {
        self.check_memory(memory);
        let (mut objects, mut bytes) = (0, 0);
        let start = self.start;
        let granule_of = |page: u32| (start + page as usize * PAGE_SIZE) / GRANULE;
        let invalidated = &mut self.invalidated;
        self.objects.retain(|&first, &mut pages| {
            let granule = granule_of(first);
            if marks.get(granule) {
                marks.clear(granule);
                return true;
            }
            // SAFETY: the caller says unmarked objects are unreachable; the pages stay
            // committed and untouched until `release_invalidated`.
            unsafe { memory.free_object(granule) };
            invalidated.insert(first, pages);
            objects += 1;
            bytes += pages as usize * PAGE_SIZE;
            false
        });
        self.live_bytes -= bytes;
        (objects, bytes)
    }

    /// Returns the pages of up to `max_objects` objects invalidated by
    /// [`LargeObjectSpace::invalidate_dead`] to the system (one system call each). Returns
    /// the bytes released.
    pub fn release_invalidated(&mut self, memory: &ObjectMemory, max_objects: usize) -> usize {
        self.check_memory(memory);
        let mut bytes = 0;
        for _ in 0..max_objects {
            let Some((first, pages)) = self.invalidated.pop_first() else { break };
            // SAFETY: the object was invalidated (no reference to it is accepted, none remains
            // in a slot or root) and its pages hold nothing else; the run is committed again
            // before it is handed out.
            unsafe { memory.release(self.start + first as usize * PAGE_SIZE, pages as usize * PAGE_SIZE) };
            self.committed_pages -= pages as usize;
            self.free_run(first, pages);
            bytes += pages as usize * PAGE_SIZE;
        }
        bytes
    }

    /// Objects invalidated whose pages are not yet released.
    pub fn invalidated_objects(&self) -> usize {
        self.invalidated.len()
    }

    /// Calls `f` with the granule of every allocated object, in address order.
    pub fn for_each_object(&self, mut f: impl FnMut(usize)) {
        self.objects.keys().for_each(|&page| f(self.granule_of(page)));
    }

    /// Checks that objects and free runs tile the space below the frontier without overlap,
    /// that free runs are coalesced and indexed by length, that every object has its valid
    /// bit, and the totals.
    pub fn verify(&self, memory: &ObjectMemory) -> Result<(), VerifyError> {
        self.check_memory(memory);
        let mut runs: Vec<(u32, u32, bool)> = self.objects.iter().map(|(&f, &n)| (f, n, true)).collect();
        runs.extend(self.free.iter().map(|(&f, &n)| (f, n, false)));
        // Invalidated objects tile like objects, without a valid bit.
        for (&first, &pages) in &self.invalidated {
            ensure!(!memory.is_object(self.granule_of(first)), "invalidated large object at page {first} is valid");
            runs.push((first, pages, true));
        }
        runs.sort_unstable();
        let mut next = 0;
        let mut previous_free = false;
        for &(first, pages, is_object) in &runs {
            ensure!(pages > 0, "large space: empty run at page {first}");
            ensure!(first == next, "large space: gap or overlap at page {first} (expected {next})");
            ensure!(is_object || !previous_free, "large space: free runs at page {first} not coalesced");
            if is_object {
                ensure!(
                    self.invalidated.contains_key(&first) || memory.is_object(self.granule_of(first)),
                    "large object at page {first} has no valid bit"
                );
            } else {
                ensure!(
                    self.free_by_len.contains(&(pages, first)),
                    "large space: free run at page {first} not indexed"
                );
            }
            previous_free = !is_object;
            next = first + pages;
        }
        ensure!(self.free_by_len.len() == self.free.len(), "large space: the length index disagrees with the runs");
        ensure!(next == self.frontier, "large space: runs end at page {next}, frontier is {}", self.frontier);
        let pages: usize = self.objects.values().map(|&n| n as usize).sum();
        let invalidated: usize = self.invalidated.values().map(|&n| n as usize).sum();
        ensure!(
            pages + invalidated == self.committed_pages,
            "large space: {pages} pages in objects and {invalidated} invalidated, {} counted",
            self.committed_pages
        );
        ensure!(pages * PAGE_SIZE == self.live_bytes, "large space: live bytes disagree");
        Ok(())
    }
}
