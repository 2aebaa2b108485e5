//! References to heap objects and object type tags.

use std::fmt;
use std::num::NonZeroU64;

/// A reference to an object in one heap: a `Copy` handle of 8 bytes.
///
/// `Option<ObjRef>` is also 8 bytes (the null reference is `None`).
///
/// An `ObjRef` is not an address. It packs three fields:
///
/// | bits   | field     | why                                                           |
/// |--------|-----------|---------------------------------------------------------------|
/// | 0..32  | granule   | where the object starts, in 16-byte granules from the heap's base |
/// | 32..48 | sequence  | which allocation of that cell this is, to catch reuse        |
/// | 48..64 | heap id   | which heap made it, to catch references from another heap    |
///
/// Every use of an `ObjRef` through the safe API is validated by the heap, so a forged,
/// stale or foreign reference yields a clear panic, never undefined behaviour. That is why
/// [`ObjRef::from_bits`] may be a safe function.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(transparent)]
pub struct ObjRef(NonZeroU64);

const GRANULE_BITS: u32 = 32;
const SEQ_SHIFT: u32 = 32;
const HEAP_SHIFT: u32 = 48;

impl ObjRef {
    /// Packs a reference. `heap_id` must be non-zero (heap ids always are).
    ///
    /// ```
    /// use gclab_core::ObjRef;
    /// let r = ObjRef::new(7, 3, 42);
    /// assert_eq!((r.heap_id(), r.seq(), r.granule()), (7, 3, 42));
    /// ```
    #[inline]
    pub fn new(heap_id: u16, seq: u16, granule: u32) -> ObjRef {
        assert!(heap_id != 0, "heap id 0 is reserved for the null reference");
        let bits = ((heap_id as u64) << HEAP_SHIFT) | ((seq as u64) << SEQ_SHIFT) | granule as u64;
        // The heap id occupies the top bits and is non-zero, so `bits` is non-zero.
        ObjRef(NonZeroU64::new(bits).expect("non-zero heap id"))
    }

    /// Packs a reference whose heap id is known to be non-zero (one from a live heap's
    /// `HeapId`), without [`ObjRef::new`]'s check: the allocation fast path.
    #[inline(always)]
    pub(crate) fn from_parts(heap_id: u16, seq: u16, granule: u32) -> ObjRef {
        debug_assert!(heap_id != 0);
        let bits = ((heap_id as u64) << HEAP_SHIFT) | ((seq as u64) << SEQ_SHIFT) | granule as u64;
        // Callers pass a live heap's id, never zero, so `bits` is non-zero.
        match NonZeroU64::new(bits) {
            Some(bits) => ObjRef(bits),
            None => unreachable!("heap ids are never zero"),
        }
    }

    /// The heap-id part of every reference of heap `heap_id` (non-zero: heap ids are), for
    /// [`ObjRef::from_heap_bits`].
    pub(crate) fn heap_bits(heap_id: u16) -> NonZeroU64 {
        NonZeroU64::new((heap_id as u64) << HEAP_SHIFT).expect("heap ids are never zero")
    }

    /// Packs a reference from [`ObjRef::heap_bits`]: two `or`s (one when `seq` is the
    /// constant 0), and no zero check, since the heap bits are non-zero by type.
    #[inline(always)]
    pub(crate) fn from_heap_bits(heap_bits: NonZeroU64, seq: u16, granule: u32) -> ObjRef {
        ObjRef(heap_bits | ((seq as u64) << SEQ_SHIFT | granule as u64))
    }

    /// Rebuilds a reference from [`ObjRef::bits`]; `None` for 0 (the null reference).
    /// Any other value is accepted: heaps validate references on every use.
    #[inline]
    pub fn from_bits(bits: u64) -> Option<ObjRef> {
        NonZeroU64::new(bits).map(ObjRef)
    }

    /// The packed 64-bit representation, as stored in reference slots.
    #[inline]
    pub fn bits(self) -> u64 {
        self.0.get()
    }

    /// The object's start, in 16-byte granules from its heap's base.
    #[inline]
    pub fn granule(self) -> u32 {
        (self.0.get() & ((1u64 << GRANULE_BITS) - 1)) as u32
    }

    /// The allocation sequence number of the cell this reference was made for.
    #[inline]
    pub fn seq(self) -> u16 {
        (self.0.get() >> SEQ_SHIFT) as u16
    }

    /// The id of the heap that allocated the object.
    #[inline]
    pub fn heap_id(self) -> u16 {
        (self.0.get() >> HEAP_SHIFT) as u16
    }

    /// The same object at another granule: what a moving collector hands out after a copy.
    #[inline]
    pub fn with_granule(self, granule: u32) -> ObjRef {
        // Only the granule's bits change: a collector's hot path, so no repacking.
        let bits = (self.0.get() & !((1u64 << GRANULE_BITS) - 1)) | granule as u64;
        ObjRef::from_bits(bits).expect("heap id 0 is reserved for the null reference")
    }
}

/// A 64-bit finaliser (SplitMix64's): spreads every input bit over the output, so hashes
/// of nearby references or counters land far apart. Used for identity hashes.
#[inline]
pub fn mix64(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl fmt::Debug for ObjRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjRef(heap {}, granule {:#x}, seq {})", self.heap_id(), self.granule(), self.seq())
    }
}

impl fmt::Display for ObjRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A small type tag chosen by the user for each object (what a runtime's class pointer or
/// type byte would be). The collector stores it and never interprets it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct Tag(pub u16);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_objref_is_one_word() {
        assert_eq!(std::mem::size_of::<ObjRef>(), 8);
        assert_eq!(std::mem::size_of::<Option<ObjRef>>(), 8);
    }

    #[test]
    fn fields_round_trip() {
        let r = ObjRef::new(0xffff, 0xabcd, 0xdead_beef);
        assert_eq!(r.heap_id(), 0xffff);
        assert_eq!(r.seq(), 0xabcd);
        assert_eq!(r.granule(), 0xdead_beef);
        assert_eq!(ObjRef::from_bits(r.bits()), Some(r));
        assert_eq!(ObjRef::from_bits(0), None);
        let moved = r.with_granule(5);
        assert_eq!((moved.heap_id(), moved.seq(), moved.granule()), (0xffff, 0xabcd, 5));
    }
}
