//! The object layout, shared by every backend.
//!
//! ```text
//!  offset 0        8          12         16            16 + 8N
//!  +---------------+----------+----------+-------------+-----------------+
//!  | tag|seq|slots | data len | meta     | N slots     | M data bytes    |
//!  | u16 u16 u32   | u32      | u32      | 8 bytes each| (padded to 16)  |
//!  +---------------+----------+----------+-------------+-----------------+
//! ```
//!
//! Objects start on a 16-byte granule. `meta` belongs to the backend (a reference count, an
//! age, a forwarding flag). Slots are atomic words so that a concurrent marker may read them
//! while the mutator writes; every other header field is written once, at allocation, except
//! the top bit of the slot count, which marks the object immutable (its slots can no longer be
//! stored into) and is set once, right after allocation, by `allocate_immutable`.

use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

use crate::{ObjRef, Tag};

/// The allocation unit and alignment of objects, in bytes.
pub const GRANULE: usize = 16;

/// Bytes of header before the slots.
pub const HEADER_BYTES: usize = 16;

/// The most slots an object can have (the slot-count field's top bit is the immutable flag).
pub const MAX_SLOTS: usize = (1 << 31) - 1;

/// The immutable flag in header word 0 (the top bit of the slot count).
const IMMUTABLE: u64 = 1 << 63;

/// The forwarding flag: the top bit of meta (see [`Object::forward_to`]).
const FORWARDED: u32 = 1 << 31;

/// The bytes an object of `slots` slots and `bytes` data bytes occupies, a multiple of
/// [`GRANULE`]; `None` when it cannot be represented (more than [`MAX_SLOTS`] slots or
/// `u32::MAX` bytes).
#[inline]
pub fn object_size(slots: usize, bytes: usize) -> Option<usize> {
    if slots > MAX_SLOTS || bytes > u32::MAX as usize {
        return None;
    }
    let raw = HEADER_BYTES + slots * 8 + bytes;
    Some(raw.next_multiple_of(GRANULE))
}

/// A view of one initialised object, valid for the lifetime `'a` of the memory it lives in.
///
/// Obtained from `ObjectMemory::resolve` (validated) or, by collectors that know an address
/// holds an object, from the unsafe [`Object::from_addr`].
#[derive(Clone, Copy, Debug)]
pub struct Object<'a> {
    addr: NonNull<u8>,
    _memory: PhantomData<&'a ()>,
}

impl<'a> Object<'a> {
    /// A view of the object at `addr`.
    ///
    /// # Safety
    /// `addr` must be the start of an initialised object (its header written by
    /// [`Object::init`]) that stays allocated for `'a`.
    #[inline]
    pub unsafe fn from_addr(addr: *mut u8) -> Self {
        // SAFETY: the caller guarantees `addr` is an object start, hence non-null.
        Object { addr: unsafe { NonNull::new_unchecked(addr) }, _memory: PhantomData }
    }

    /// Writes the header of a new object at `addr`, immutable if `immutable`, and, when `zero`,
    /// clears its slots and data.
    ///
    /// # Safety
    /// `addr` must be 16-aligned, with `object_size(slots, bytes)` writable bytes that no live
    /// object or reference uses.
    #[inline]
    pub unsafe fn init(addr: *mut u8, tag: Tag, seq: u16, slots: u32, bytes: u32, zero: bool, immutable: bool) -> Self {
        // SAFETY: forwarded to the caller.
        unsafe { Object::init_filled(addr, tag, seq, slots, bytes, zero, immutable, 0) }
    }

    /// [`Object::init`], except that the first `filled` slots are left as they are (stale)
    /// even when `zero`: the caller is about to write them (`allocate_from_roots`), so
    /// clearing them first would be wasted stores.
    ///
    /// # Safety
    /// As [`Object::init`]; moreover `filled <= slots`, and slots `0..filled` must be written
    /// (with null or live references) before anything reads the object.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn init_filled(
        addr: *mut u8,
        tag: Tag,
        seq: u16,
        slots: u32,
        bytes: u32,
        zero: bool,
        immutable: bool,
        filled: usize,
    ) -> Self {
        debug_assert!(slots as usize <= MAX_SLOTS && filled <= slots as usize);
        let word0 = tag.0 as u64 | (seq as u64) << 16 | (slots as u64) << 32 | if immutable { IMMUTABLE } else { 0 };
        // A moving space reuses memory with another layout: a header's 4-byte words may land
        // where an 8-byte slot was. On every target the atomic and plain stores are the same
        // instructions, and the caller has the memory to itself, but Miri's weak-memory model
        // rejects atomic accesses of mixed sizes to one location; a plain write first (which
        // orders after every earlier atomic access, as this thread owns the memory) tells it
        // that the old atomic history is over.
        #[cfg(miri)]
        // SAFETY: the caller hands us exclusive, large-enough memory; `filled` slots are
        // written by the caller right after, so clearing them changes nothing observable.
        unsafe {
            std::ptr::write_bytes(addr, 0, object_size(slots as usize, bytes as usize).unwrap_or(HEADER_BYTES));
        }
        // SAFETY: the caller hands us exclusive, aligned, large-enough memory.
        unsafe {
            (*addr.cast::<AtomicU64>()).store(word0, Relaxed);
            (*addr.add(8).cast::<AtomicU32>()).store(bytes, Relaxed);
            (*addr.add(12).cast::<AtomicU32>()).store(0, Relaxed);
            if zero {
                let start = HEADER_BYTES + filled * 8;
                let end = object_size(slots as usize, bytes as usize).unwrap_or(start);
                if end > start {
                    std::ptr::write_bytes(addr.add(start), 0, end - start);
                }
            }
            Object::from_addr(addr)
        }
    }

    /// The object's address.
    #[inline]
    pub fn addr(self) -> *mut u8 {
        self.addr.as_ptr()
    }

    #[inline]
    fn word0(self) -> u64 {
        // SAFETY: an object's first 8 bytes are its header word, accessed atomically only.
        unsafe { (*self.addr.as_ptr().cast::<AtomicU64>()).load(Relaxed) }
    }

    /// The user's tag.
    #[inline]
    pub fn tag(self) -> Tag {
        Tag(self.word0() as u16)
    }

    /// The allocation sequence number (matches the `ObjRef`'s unless the cell was reused).
    #[inline]
    pub fn seq(self) -> u16 {
        (self.word0() >> 16) as u16
    }

    /// The number of reference slots.
    #[inline]
    pub fn slot_count(self) -> usize {
        ((self.word0() & !IMMUTABLE) >> 32) as usize
    }

    /// Whether the object's slots are immutable (see [`Object::make_immutable`]).
    #[inline]
    pub fn is_immutable(self) -> bool {
        self.word0() & IMMUTABLE != 0
    }

    /// Makes the object's slots immutable: every later store into it is refused with
    /// `RefError::Immutable`. Data bytes stay writable. Only the mutator writes headers, and
    /// a concurrent reader sees the same slot count either way.
    ///
    /// # Safety
    /// Only the backend that owns the object may call this, on an object it has just made
    /// (`allocate_immutable`): a backend may rely on an immutable object's slots never
    /// changing after it decided something about them (refcount decides at creation whether
    /// the object can ever be in a cycle).
    #[inline]
    pub unsafe fn make_immutable(self) {
        // SAFETY: an object's first 8 bytes are its header word, accessed atomically only.
        let word0 = unsafe { &*self.addr.as_ptr().cast::<AtomicU64>() };
        word0.store(word0.load(Relaxed) | IMMUTABLE, Relaxed);
    }

    /// The number of data bytes.
    #[inline]
    pub fn data_len(self) -> usize {
        // SAFETY: bytes 8..12 of an object are its data length, accessed atomically only.
        unsafe { (*self.addr.as_ptr().add(8).cast::<AtomicU32>()).load(Relaxed) as usize }
    }

    /// The backend's header word (a reference count, an age, a forwarding flag), read.
    #[inline]
    pub fn meta(self) -> u32 {
        self.meta_word().load(Relaxed)
    }

    /// Overwrites the backend's header word.
    ///
    /// # Safety
    /// Only the backend that owns the object may write its word, keeping whatever invariant
    /// the backend's `unsafe` code relies on (a reference count equal to the references that
    /// exist: a wrong count frees a live object).
    #[inline]
    pub unsafe fn set_meta(self, value: u32) {
        self.meta_word().store(value, Relaxed)
    }

    /// The backend's header word, for backends whose collector threads update it atomically
    /// (marking with a read-modify-write).
    ///
    /// # Safety
    /// As [`Object::set_meta`] for every write made through the returned reference.
    #[inline]
    pub unsafe fn meta_atomic(self) -> &'a AtomicU32 {
        self.meta_word()
    }

    #[inline]
    fn meta_word(self) -> &'a AtomicU32 {
        // SAFETY: bytes 12..16 of an object are the backend's word, accessed atomically only.
        unsafe { &*self.addr.as_ptr().add(12).cast::<AtomicU32>() }
    }

    /// Records that the object was copied to `to`: header word 1 (data length and meta)
    /// becomes the *forwarding word*, `to` in the data length and bit 31 set in meta, until the
    /// space the old copy
    /// lives in is emptied. Only header word 0 (tag, sequence number, slot count) stays
    /// readable; the data length and meta are gone, so nothing may read the old copy but
    /// [`Object::forwarded_to`].
    ///
    /// # Safety
    /// Only a moving collector that owns the object may call this, during a collection, after
    /// copying the object to `to`; its backend must keep meta bit 31 clear on every object
    /// that is not forwarded (so [`Object::forwarded_to`] is never fooled), and must empty the
    /// old copy's space (clearing its valid bits) before the mutator runs again.
    #[inline]
    pub unsafe fn forward_to(self, to: u32) {
        // Two 32-bit stores, the width every other access to these words has (mixed-size
        // atomic accesses to one location are outside the memory model Miri checks).
        // SAFETY: bytes 8..12 of an object are its data length, accessed atomically only; the
        // collector has the heap to itself (the caller's contract).
        unsafe { (*self.addr.as_ptr().add(8).cast::<AtomicU32>()).store(to, Relaxed) };
        self.meta_word().store(FORWARDED, Relaxed);
    }

    /// Where a moving collector copied the object ([`Object::forward_to`]), or `None` if it
    /// was not moved. Meaningful only for backends that keep meta bit 31 clear on objects
    /// that were not forwarded.
    #[inline]
    pub fn forwarded_to(self) -> Option<u32> {
        if self.meta_word().load(Relaxed) & FORWARDED == 0 {
            return None;
        }
        // SAFETY: bytes 8..12 of an object are its data length (here, the new granule),
        // accessed atomically only.
        Some(unsafe { (*self.addr.as_ptr().add(8).cast::<AtomicU32>()).load(Relaxed) })
    }

    /// The bytes the object occupies (header, slots, data, padding).
    #[inline]
    pub fn size(self) -> usize {
        object_size(self.slot_count(), self.data_len()).expect("a live object's size is representable")
    }

    /// Slot `index`, or `None` past the slot count.
    #[inline]
    pub fn slot(self, index: usize) -> Option<Slot<'a>> {
        if index < self.slot_count() {
            // SAFETY: in bounds, checked just above.
            Some(unsafe { self.slot_unchecked(index) })
        } else {
            None
        }
    }

    /// Slot `index` without a bounds check.
    ///
    /// # Safety
    /// `index < self.slot_count()`.
    #[inline]
    pub unsafe fn slot_unchecked(self, index: usize) -> Slot<'a> {
        // SAFETY: slots start right after the header, are 8-aligned, and `index` is in bounds.
        Slot(unsafe { &*self.addr.as_ptr().add(HEADER_BYTES + index * 8).cast::<AtomicU64>() })
    }

    /// Calls `f` with every non-null reference in the object's slots, in order.
    #[inline]
    pub fn for_each_ref(self, mut f: impl FnMut(ObjRef)) {
        for i in 0..self.slot_count() {
            // SAFETY: `i` is below the slot count.
            if let Some(r) = unsafe { self.slot_unchecked(i) }.get() {
                f(r);
            }
        }
    }

    /// The data bytes.
    #[inline]
    pub fn data(self) -> &'a [u8] {
        // SAFETY: the data follows the slots and is `data_len` bytes long; data bytes are only
        // written through `&mut ObjectMemory`, which cannot coexist with this `'a` borrow.
        unsafe { std::slice::from_raw_parts(self.data_ptr(), self.data_len()) }
    }

    #[inline]
    pub(crate) fn data_ptr(self) -> *mut u8 {
        // SAFETY: stays inside the object (data starts right after the slots).
        unsafe { self.addr.as_ptr().add(HEADER_BYTES + self.slot_count() * 8) }
    }
}

/// One reference slot. Reading is safe; writing bypasses the backend's barrier, so it is
/// `unsafe` and reserved to collectors.
#[derive(Clone, Copy, Debug)]
pub struct Slot<'a>(&'a AtomicU64);

impl Slot<'_> {
    /// The reference in the slot.
    #[inline]
    pub fn get(self) -> Option<ObjRef> {
        ObjRef::from_bits(self.0.load(Relaxed))
    }

    /// The raw bits in the slot (0 for null).
    #[inline]
    pub fn bits(self) -> u64 {
        self.0.load(Relaxed)
    }

    /// Writes the slot with no barrier.
    ///
    /// # Safety
    /// `value` must be null or a live object of the same heap, and the caller must do
    /// whatever the backend's barrier would (or be the collector itself). A mutator store
    /// must not target an immutable object (`ObjectMemory::writable_slot` checks all of this
    /// but the barrier).
    #[inline]
    pub unsafe fn set(self, value: Option<ObjRef>) {
        self.0.store(value.map_or(0, ObjRef::bits), Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_round_to_granules() {
        assert_eq!(object_size(0, 0), Some(16));
        assert_eq!(object_size(2, 0), Some(32));
        assert_eq!(object_size(1, 1), Some(32));
        assert_eq!(object_size(0, 17), Some(48));
        assert_eq!(object_size(u32::MAX as usize + 1, 0), None);
        assert_eq!(object_size(MAX_SLOTS + 1, 0), None, "the slot count's top bit is the immutable flag");
    }

    #[test]
    fn header_round_trips() {
        let mut buf = vec![0xffu128; 8];
        // SAFETY: the buffer is 16-aligned, 128 bytes, owned here; object_size(3, 20) = 64.
        let o = unsafe { Object::init(buf.as_mut_ptr().cast(), Tag(9), 77, 3, 20, true, false) };
        assert_eq!((o.tag(), o.seq(), o.slot_count(), o.data_len(), o.size()), (Tag(9), 77, 3, 20, 64));
        assert!(o.data().iter().all(|&b| b == 0));
        assert!(o.slot(2).unwrap().get().is_none());
        assert!(o.slot(3).is_none());
        assert!(!o.is_immutable());
        // SAFETY: the object is this test's own.
        unsafe { o.make_immutable() };
        assert!(o.is_immutable());
        assert_eq!((o.tag(), o.seq(), o.slot_count(), o.size()), (Tag(9), 77, 3, 64), "the flag hides in the header");
        // SAFETY: as above.
        let o = unsafe { Object::init(buf.as_mut_ptr().cast(), Tag(9), 78, 3, 20, true, true) };
        assert!(o.is_immutable());
        assert_eq!(o.slot_count(), 3);
    }
}
