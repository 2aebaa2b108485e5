//! The nursery: eden and two survivor spaces, one contiguous range of the heap.

use gclab_core::{ConfigError, ObjectMemory, GRANULE, PAGE_SIZE};

/// A range of granules `[start, end)` filled from `start` up to `top`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Semispace {
    pub start: usize,
    pub end: usize,
    pub top: usize,
}

impl Semispace {
    #[inline]
    pub fn contains(&self, granule: usize) -> bool {
        granule.wrapping_sub(self.start) < self.end - self.start
    }

    #[inline]
    pub fn used_bytes(&self) -> usize {
        (self.top - self.start) * GRANULE
    }

    /// The used part's end rounded up to a bitmap word (spaces start on one, and no other
    /// space starts before the next word): the range a bitmap pass over the used part covers.
    #[inline]
    pub fn used_words_end(&self) -> usize {
        self.start + (self.top - self.start).next_multiple_of(64)
    }
}

/// Eden, then survivor space 0, then survivor space 1, laid end to end so that "is this
/// reference young" is one subtraction and one compare. Every page is committed when the
/// heap is made and kept for its whole life: a minor collection empties the nursery by
/// moving cursors back and clearing valid bits, and the next cycle reuses the same pages
/// (no page faults after the first cycle, no system calls).
#[derive(Debug)]
pub(crate) struct Nursery {
    /// First granule of the nursery (eden's start).
    young_lo: usize,
    /// Granules of the whole nursery.
    young_len: usize,
    /// Eden: `top` is the allocation cursor.
    pub eden: Semispace,
    /// The two survivor spaces; `survivors[self.to]` is empty outside a minor collection.
    pub survivors: [Semispace; 2],
    /// Which survivor space is empty (the next collection's to-space).
    pub to: usize,
    /// Bytes committed for the nursery.
    committed: usize,
    /// Eden's allocations below this granule are counted in the statistics already.
    pub settled: usize,
}

impl Nursery {
    /// Carves and commits a nursery of `eden` bytes of eden and two survivor spaces of
    /// `survivor` bytes from `memory`.
    pub fn new(memory: &mut ObjectMemory, eden: usize, survivor: usize) -> Result<Self, ConfigError> {
        // Each space starts on a bitmap word (64 granules, 1 KiB), so that bitmap passes over
        // one space never touch another's bits.
        let (e, s) = (eden / GRANULE, survivor / GRANULE);
        let s0 = e.next_multiple_of(64);
        let s1 = (s0 + s).next_multiple_of(64);
        let total = (s1 + s) * GRANULE;
        let start = memory.carve(total);
        let committed = total.next_multiple_of(PAGE_SIZE);
        if !memory.commit(start, committed) {
            return Err(ConfigError {
                field: "nursery_bytes",
                reason: format!("the system refused to commit a nursery of {committed} bytes"),
            });
        }
        let lo = start / GRANULE;
        let space = |start: usize, len: usize| Semispace { start, end: start + len, top: start };
        Ok(Nursery {
            young_lo: lo,
            young_len: s1 + s,
            eden: space(lo, e),
            survivors: [space(lo + s0, s), space(lo + s1, s)],
            to: 1,
            committed,
            settled: lo,
        })
    }

    /// The objects and bytes allocated in eden since the last call: the fast path counts
    /// nothing, so they are counted here, at each collection.
    pub fn settle(&mut self, memory: &ObjectMemory) -> (usize, usize) {
        let counted = self.unsettled(memory);
        self.settled = self.eden.top;
        counted
    }

    /// The objects and bytes allocated in eden since the last [`Nursery::settle`].
    pub fn unsettled(&self, memory: &ObjectMemory) -> (usize, usize) {
        let bits = memory.valid_bits();
        let objects = if self.settled == self.eden.start {
            bits.count_range(self.eden.start, self.eden.used_words_end())
        } else {
            let mut n = 0;
            let settled = self.settled;
            bits.for_each_set(settled / 64 * 64, self.eden.used_words_end(), |g| n += (g >= settled) as usize);
            n
        };
        let bytes = (self.eden.top - self.settled) * GRANULE;
        (objects, bytes)
    }

    /// Bumps eden's cursor by `granules`; the first granule, or `None` when eden is full.
    #[inline(always)]
    pub fn bump(&mut self, granules: usize) -> Option<usize> {
        let top = self.eden.top;
        if granules <= self.eden.end - top {
            self.eden.top = top + granules;
            Some(top)
        } else {
            None
        }
    }

    /// Whether `granule` lies in the nursery (eden or either survivor space).
    #[inline(always)]
    pub fn is_young(&self, granule: usize) -> bool {
        granule.wrapping_sub(self.young_lo) < self.young_len
    }

    /// The survivor space holding the survivors of the last minor collection.
    #[inline]
    pub fn from(&self) -> &Semispace {
        &self.survivors[1 - self.to]
    }

    /// Bytes of young objects (and holes) in eden and the from-space.
    pub fn used_bytes(&self) -> usize {
        self.eden.used_bytes() + self.from().used_bytes()
    }

    /// Bytes held from the system.
    pub fn committed_bytes(&self) -> usize {
        self.committed
    }

    /// Bytes one survivor space holds.
    pub fn survivor_bytes(&self) -> usize {
        (self.survivors[0].end - self.survivors[0].start) * GRANULE
    }

    /// Bytes eden holds.
    pub fn eden_bytes(&self) -> usize {
        (self.eden.end - self.eden.start) * GRANULE
    }

    /// Live young objects: the valid bits of eden and the from-space.
    pub fn objects(&self, memory: &ObjectMemory) -> usize {
        let bits = memory.valid_bits();
        let from = self.from();
        bits.count_range(self.eden.start, self.eden.used_words_end())
            + bits.count_range(from.start, from.used_words_end())
    }
}
