//! The large-object space: page-granular runs, each object alone on its pages.

use std::collections::BTreeMap;

use gclab_core::{ensure, ObjectMemory, SideBitmap, VerifyError, GRANULE, PAGE_SIZE};

/// Objects too big for the pool space, each on its own run of 4 KiB pages.
///
/// Free runs are kept coalesced in address order and reused first-fit; past them the space
/// grows at its frontier. A freed object's pages go back to the system at once (`madvise`), so
/// memory handed out is always zero and needs no clearing. Large objects are few, so the
/// ordered maps here cost little; no per-object work happens on the small-object paths.
#[derive(Debug)]
pub struct LargeObjectSpace {
    start: usize,
    max_pages: u32,
    frontier: u32,
    /// Free runs below the frontier: first page -> page count.
    free: BTreeMap<u32, u32>,
    /// Allocated objects: first page -> page count.
    objects: BTreeMap<u32, u32>,
    committed_pages: usize,
    live_bytes: usize,
}

impl LargeObjectSpace {
    /// A space of up to `bytes` (rounded up to pages), carved from `memory`.
    pub fn new(memory: &mut ObjectMemory, bytes: usize) -> Self {
        let bytes = bytes.next_multiple_of(PAGE_SIZE);
        let start = memory.carve(bytes);
        LargeObjectSpace {
            start,
            max_pages: u32::try_from(bytes / PAGE_SIZE).expect("large space under 16 TiB"),
            frontier: 0,
            free: BTreeMap::new(),
            objects: BTreeMap::new(),
            committed_pages: 0,
            live_bytes: 0,
        }
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

    /// Finds zeroed pages for an object of `size` bytes and returns its granule, or `None`
    /// when the space has no run that long.
    pub fn alloc(&mut self, size: usize) -> Option<usize> {
        let pages = u32::try_from(Self::footprint(size) / PAGE_SIZE).ok()?;
        let fit = self.free.iter().find(|&(_, &len)| len >= pages).map(|(&first, &len)| (first, len));
        let first = match fit {
            Some((first, len)) => {
                self.free.remove(&first);
                if len > pages {
                    self.free.insert(first + pages, len - pages);
                }
                first
            }
            None if self.max_pages - self.frontier >= pages => {
                self.frontier += pages;
                self.frontier - pages
            }
            None => return None,
        };
        self.objects.insert(first, pages);
        self.committed_pages += pages as usize;
        self.live_bytes += pages as usize * PAGE_SIZE;
        Some(self.granule_of(first))
    }

    /// Finds pages for an object of `size` bytes only if the heap — this space and `pools` —
    /// then holds at most `limit` bytes from the system, returning the pool space's wholly
    /// empty arenas first if that makes room (they were kept for small objects, which can
    /// commit them again). `None` if it does not fit: the caller collects and tries again.
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
            pools.release_empty_arenas(memory, 0);
        }
        if held(self, pools) + footprint > limit {
            return None;
        }
        self.alloc(size)
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
    /// An object of this space must start at `granule`, and no slot or root may refer to it.
    pub unsafe fn free(&mut self, memory: &ObjectMemory, granule: usize) -> usize {
        let first = self.page_of(granule);
        let pages = self.objects.remove(&first).expect("free of an object not in the large space");
        // SAFETY: forwarded to the caller.
        unsafe { memory.free_object(granule) };
        memory.decommit(self.start + first as usize * PAGE_SIZE, pages as usize * PAGE_SIZE);
        self.committed_pages -= pages as usize;
        self.live_bytes -= pages as usize * PAGE_SIZE;
        let (mut first, mut pages) = (first, pages);
        if let Some((&before, &len)) = self.free.range(..first).next_back() {
            if before + len == first {
                self.free.remove(&before);
                first = before;
                pages += len;
            }
        }
        if let Some(len) = self.free.remove(&(first + pages)) {
            pages += len;
        }
        if first + pages == self.frontier {
            self.frontier = first;
        } else {
            self.free.insert(first, pages);
        }
        pages as usize * PAGE_SIZE
    }

    /// Frees every object whose bit in `marks` is clear and clears the bits of the others.
    /// Returns the objects and bytes freed.
    ///
    /// # Safety
    /// Every object whose mark is clear must be unreachable from every slot and root.
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

    /// Calls `f` with the granule of every allocated object, in address order.
    pub fn for_each_object(&self, mut f: impl FnMut(usize)) {
        self.objects.keys().for_each(|&page| f(self.granule_of(page)));
    }

    /// Checks that objects and free runs tile the space below the frontier without overlap,
    /// that free runs are coalesced, that every object has its valid bit, and the totals.
    pub fn verify(&self, memory: &ObjectMemory) -> Result<(), VerifyError> {
        let mut runs: Vec<(u32, u32, bool)> = self.objects.iter().map(|(&f, &n)| (f, n, true)).collect();
        runs.extend(self.free.iter().map(|(&f, &n)| (f, n, false)));
        runs.sort_unstable();
        let mut next = 0;
        let mut previous_free = false;
        for &(first, pages, is_object) in &runs {
            ensure!(pages > 0, "large space: empty run at page {first}");
            ensure!(first == next, "large space: gap or overlap at page {first} (expected {next})");
            ensure!(is_object || !previous_free, "large space: free runs at page {first} not coalesced");
            if is_object {
                ensure!(memory.is_object(self.granule_of(first)), "large object at page {first} has no valid bit");
            }
            previous_free = !is_object;
            next = first + pages;
        }
        ensure!(next == self.frontier, "large space: runs end at page {next}, frontier is {}", self.frontier);
        let pages: usize = self.objects.values().map(|&n| n as usize).sum();
        ensure!(
            pages == self.committed_pages,
            "large space: {pages} pages in objects, {} counted",
            self.committed_pages
        );
        ensure!(pages * PAGE_SIZE == self.live_bytes, "large space: live bytes disagree");
        Ok(())
    }
}
