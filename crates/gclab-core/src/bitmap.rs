//! Side bitmaps: one bit per granule of a heap, kept apart from the objects.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::region::VirtualRegion;
use crate::ConfigError;

/// A bitmap of `len` bits in reserved memory (pages are committed as bits are first set).
///
/// Bits are atomic words, so a concurrent marker may set them with [`SideBitmap::fetch_set`]
/// while other threads read them. Single-threaded users use the plain forms, which compile to
/// ordinary loads and stores.
#[derive(Debug)]
pub struct SideBitmap {
    memory: VirtualRegion,
    len: usize,
}

impl SideBitmap {
    /// A bitmap of `len` zero bits.
    pub fn new(len: usize) -> Result<Self, ConfigError> {
        let words = len.div_ceil(64);
        Ok(SideBitmap { memory: VirtualRegion::reserve_accessible(words * 8)?, len })
    }

    /// The number of bits.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the bitmap has no bits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Word `w` (bits `64w .. 64w + 64`).
    #[inline]
    pub fn word(&self, w: usize) -> &AtomicU64 {
        assert!(w < self.len.div_ceil(64), "bitmap word {w} out of range");
        // SAFETY: in range, checked just above.
        unsafe { self.word_unchecked(w) }
    }

    /// The word holding bit `i`, checking `i` (the form the compiler can prove in bounds when
    /// the caller has already compared `i` with `len`).
    #[inline]
    fn word_of(&self, i: usize) -> &AtomicU64 {
        assert!(i < self.len, "bitmap bit {i} out of range (length {})", self.len);
        // SAFETY: `i < len`, so word `i / 64` is below `len.div_ceil(64)`.
        unsafe { self.word_unchecked(i / 64) }
    }

    /// # Safety
    /// `w < self.len.div_ceil(64)`.
    #[inline]
    unsafe fn word_unchecked(&self, w: usize) -> &AtomicU64 {
        // SAFETY: the memory is reserved for `len` bits (rounded up to words), zero-initialised,
        // 8-aligned (page-aligned base), and only ever accessed atomically; `w` is in range.
        unsafe { &*self.memory.base().cast::<AtomicU64>().add(w) }
    }

    /// Bit `i`.
    #[inline]
    pub fn get(&self, i: usize) -> bool {
        self.word_of(i).load(Relaxed) & (1 << (i % 64)) != 0
    }

    /// Sets bit `i` (not atomic with respect to other writers of the same word).
    #[inline]
    pub fn set(&self, i: usize) {
        let w = self.word_of(i);
        w.store(w.load(Relaxed) | (1 << (i % 64)), Relaxed);
    }

    /// Sets bit `i` without checking it is in range (not atomic with respect to other writers
    /// of the same word).
    ///
    /// # Safety
    /// `i < self.len()`.
    #[inline]
    pub unsafe fn set_unchecked(&self, i: usize) {
        // SAFETY: `i < len` (the caller's contract), so word `i / 64` is in range.
        let w = unsafe { self.word_unchecked(i / 64) };
        w.store(w.load(Relaxed) | (1 << (i % 64)), Relaxed);
    }

    /// Clears bit `i` (not atomic with respect to other writers of the same word).
    #[inline]
    pub fn clear(&self, i: usize) {
        let w = self.word_of(i);
        w.store(w.load(Relaxed) & !(1 << (i % 64)), Relaxed);
    }

    /// Sets bit `i`; returns whether it was already set (not atomic: single-threaded marking).
    #[inline]
    pub fn test_and_set(&self, i: usize) -> bool {
        let w = self.word_of(i);
        let old = w.load(Relaxed);
        let bit = 1 << (i % 64);
        if old & bit != 0 {
            return true;
        }
        w.store(old | bit, Relaxed);
        false
    }

    /// [`SideBitmap::test_and_set`] without the bounds check: the marking loop's, whose
    /// caller checked once that the bitmap covers every granule it can be handed.
    ///
    /// # Safety
    /// `i < self.len()`.
    #[inline]
    pub unsafe fn test_and_set_unchecked(&self, i: usize) -> bool {
        // SAFETY: `i < len` (the caller's contract), so word `i / 64` is in range.
        let w = unsafe { self.word_unchecked(i / 64) };
        let old = w.load(Relaxed);
        let bit = 1 << (i % 64);
        if old & bit != 0 {
            return true;
        }
        w.store(old | bit, Relaxed);
        false
    }

    /// Tests bit `i`, then, if it was clear, sets it atomically; returns whether it was
    /// already set (by anyone). Without a bounds check: the concurrent markers' scan, whose
    /// bitmap was checked once to cover every granule they can be handed. The plain test
    /// first spares the `lock`ed read-modify-write, which orders the marker's loads, for the
    /// referents already marked (most of them, in a graph with several edges per object).
    ///
    /// # Safety
    /// `i < self.len()`.
    #[inline]
    pub unsafe fn test_and_fetch_set_unchecked(&self, i: usize) -> bool {
        // SAFETY: `i < len` (the caller's contract), so word `i / 64` is in range.
        let w = unsafe { self.word_unchecked(i / 64) };
        let bit = 1 << (i % 64);
        w.load(Relaxed) & bit != 0 || w.fetch_or(bit, Relaxed) & bit != 0
    }

    /// Atomically sets bit `i`; returns whether it was already set (parallel marking).
    #[inline]
    pub fn fetch_set(&self, i: usize) -> bool {
        let bit = 1 << (i % 64);
        self.word_of(i).fetch_or(bit, Relaxed) & bit != 0
    }

    /// Clears bits `start..end`; both must be multiples of 64.
    pub fn clear_range(&self, start: usize, end: usize) {
        assert!(start % 64 == 0 && end % 64 == 0, "clear_range needs word-aligned bounds");
        for w in start / 64..end / 64 {
            self.word(w).store(0, Relaxed);
        }
    }

    /// Counts the set bits in `start..end`; both must be multiples of 64.
    pub fn count_range(&self, start: usize, end: usize) -> usize {
        assert!(start % 64 == 0 && end % 64 == 0, "count_range needs word-aligned bounds");
        (start / 64..end / 64).map(|w| self.word(w).load(Relaxed).count_ones() as usize).sum()
    }

    /// Calls `f` with the index of every set bit in `start..end` (multiples of 64), in order.
    pub fn for_each_set(&self, start: usize, end: usize, mut f: impl FnMut(usize)) {
        assert!(start % 64 == 0 && end % 64 == 0, "for_each_set needs word-aligned bounds");
        for w in start / 64..end / 64 {
            let mut bits = self.word(w).load(Relaxed);
            while bits != 0 {
                f(w * 64 + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
        }
    }
}

/// A read-only view of a [`SideBitmap`]: what [`ObjectMemory::valid_bits`] hands out.
///
/// The valid-object bitmap is what the safe API trusts: a set bit promises an initialised
/// object header at that granule. Safe code may read it, never write it; the spaces that
/// allocate and free objects write it through `unsafe` methods of [`ObjectMemory`].
///
/// ```compile_fail
/// # use gclab_core::ObjectMemory;
/// let memory = ObjectMemory::new(1 << 20).unwrap();
/// memory.valid_bits().set(4); // no `set`: forging an object start does not compile
/// ```
///
/// [`ObjectMemory::valid_bits`]: crate::ObjectMemory::valid_bits
/// [`ObjectMemory`]: crate::ObjectMemory
#[derive(Debug)]
#[repr(transparent)]
pub struct ValidBits(SideBitmap);

impl ValidBits {
    /// An all-clear bitmap of `len` bits.
    pub(crate) fn new(len: usize) -> Result<Self, ConfigError> {
        SideBitmap::new(len).map(ValidBits)
    }

    /// The bitmap itself, writable.
    pub(crate) fn writer(&self) -> &SideBitmap {
        &self.0
    }

    /// The number of bits.
    #[inline]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the bitmap has no bits.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Bit `i` (panics past the end).
    #[inline]
    pub fn get(&self, i: usize) -> bool {
        self.0.get(i)
    }

    /// The 64 bits of word `w` (bits `64w .. 64w + 64`).
    #[inline]
    pub fn word_bits(&self, w: usize) -> u64 {
        self.0.word(w).load(Relaxed)
    }

    /// Counts the set bits in `start..end`; both must be multiples of 64.
    pub fn count_range(&self, start: usize, end: usize) -> usize {
        self.0.count_range(start, end)
    }

    /// Calls `f` with the index of every set bit in `start..end` (multiples of 64), in order.
    pub fn for_each_set(&self, start: usize, end: usize, f: impl FnMut(usize)) {
        self.0.for_each_set(start, end, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_clear_iterate() {
        let b = SideBitmap::new(1 << 20).unwrap();
        assert!(!b.test_and_set(5));
        assert!(b.test_and_set(5));
        assert!(!b.fetch_set(130));
        assert!(b.fetch_set(130));
        b.set(64);
        assert!(b.get(64));
        b.clear(64);
        assert!(!b.get(64));
        let mut seen = vec![];
        b.for_each_set(0, 256, |i| seen.push(i));
        assert_eq!(seen, vec![5, 130]);
        assert_eq!(b.count_range(0, 192), 2);
        b.clear_range(0, 192);
        assert_eq!(b.count_range(0, 1 << 20), 0);
    }
}
