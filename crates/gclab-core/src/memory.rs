//! One heap's memory: a reserved region, the valid-object bitmap, and validated access.

use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::bitmap::{SideBitmap, ValidBits};
use crate::heap_id::HeapId;
use crate::object::{Object, Slot, GRANULE};
use crate::region::VirtualRegion;
use crate::{ConfigError, ObjRef, RefError, RootStack, Tag};

/// The most address space one heap may reserve: 2^32 granules of 16 bytes.
pub const MAX_RESERVE: usize = (1usize << 32) * GRANULE;

/// Alignment of the ranges handed to spaces by [`ObjectMemory::carve`].
pub const CARVE_ALIGN: usize = 1 << 20;

/// Identities of object memories, never reused (unlike heap ids, which are 16 bits).
static NEXT_IDENTITY: AtomicU64 = AtomicU64::new(1);

/// The memory of one heap: every space of the heap lives in one reserved region, and a side
/// bitmap (the *valid-object bitmap*, MMTk's "VO bits") has a bit set exactly at the granules
/// where an initialised object starts.
///
/// That bitmap is what makes the safe API safe: [`ObjectMemory::resolve`] accepts a reference
/// only if it was made by this heap, lies inside the region and lands on a set bit, so a
/// header read through it is always a real header. Under the `checked` feature it also
/// compares the reference's sequence number with the header's, which catches a reference to
/// a freed cell that was reused by a new object.
///
/// # What safe code can do with it
///
/// Everything reachable from `&ObjectMemory` through safe methods only reads: the bitmap is
/// handed out as a read-only [`ValidBits`], objects as [`Object`] views whose writers are
/// `unsafe`, and every method that writes headers or valid bits, or gives memory back to the
/// system, is an `unsafe fn` whose `# Safety` section says what the space calling it must
/// guarantee. The region starts inaccessible: spaces [commit](ObjectMemory::commit) what they
/// hand out, so a stray write elsewhere faults.
#[derive(Debug)]
pub struct ObjectMemory {
    region: VirtualRegion,
    valid: ValidBits,
    heap_id: HeapId,
    /// The heap-id bits of every reference this memory hands out, ready to be or-ed with a
    /// granule: packing a new object's reference is one `or`, with no zero check.
    heap_bits: NonZeroU64,
    identity: u64,
    /// The sequence number of the next object made (with `checked`; without it every object
    /// has sequence 0, a constant the allocation fast path folds into its header).
    #[cfg(feature = "checked")]
    next_seq: u16,
    carved: usize,
    huge_pages: bool,
}

impl ObjectMemory {
    /// Reserves `bytes` of address space (at most [`MAX_RESERVE`]) for a new heap. Fails,
    /// naming the field, if the system refuses the reservation or if 65,535 heaps are alive
    /// (every heap id is in use).
    pub fn new(bytes: usize) -> Result<Self, ConfigError> {
        if bytes > MAX_RESERVE {
            return Err(ConfigError {
                field: "heap_limit",
                reason: format!("needs {bytes} bytes of address space; a heap may reserve at most {MAX_RESERVE}"),
            });
        }
        let heap_id = HeapId::take()?;
        let region = VirtualRegion::reserve(bytes)?;
        let valid = ValidBits::new(region.len() / GRANULE)?;
        let identity = NEXT_IDENTITY.fetch_add(1, Relaxed);
        let heap_bits = ObjRef::heap_bits(heap_id.get());
        Ok(ObjectMemory {
            region,
            valid,
            heap_id,
            heap_bits,
            identity,
            #[cfg(feature = "checked")]
            next_seq: 0,
            carved: 0,
            huge_pages: false,
        })
    }

    /// Hands a space the next `bytes` of the region (aligned to [`CARVE_ALIGN`]); returns
    /// the range's offset. Panics if the region is too small: reservations are sized by the
    /// plan that carves them, so that is a bug of the plan.
    pub fn carve(&mut self, bytes: usize) -> usize {
        let start = self.carved.next_multiple_of(CARVE_ALIGN);
        let end = start + bytes.next_multiple_of(CARVE_ALIGN);
        assert!(end <= self.region.len(), "plan carved {end} bytes from a region of {}", self.region.len());
        self.carved = end;
        start
    }

    /// The reserved region.
    #[inline]
    pub fn region(&self) -> &VirtualRegion {
        &self.region
    }

    /// This heap's id, carried by every reference it makes.
    #[inline]
    pub fn heap_id(&self) -> u16 {
        self.heap_id.get()
    }

    /// A number that identifies this memory among every memory the process ever made (heap
    /// ids are recycled; this is not). Spaces record it when they carve their range and
    /// check it whenever they are handed a memory to touch, so a space can never be used
    /// with another heap's memory.
    #[inline]
    pub fn identity(&self) -> u64 {
        self.identity
    }

    /// Panics unless this memory's identity is `identity`: what a space calls, with the
    /// identity it recorded when it was carved, before it touches memory through `self`, so a
    /// space can never be used with another heap's memory. `space` names it in the panic.
    #[inline]
    #[track_caller]
    pub fn assert_identity(&self, identity: u64, space: &str) {
        if self.identity != identity {
            foreign_memory(space, self.heap_id());
        }
    }

    /// The valid-object bitmap, indexed by granule, read-only.
    #[inline]
    pub fn valid_bits(&self) -> &ValidBits {
        &self.valid
    }

    /// The valid-object bitmap, writable: for a space that frees many objects at once by
    /// rewriting whole words (a sweep).
    ///
    /// # Safety
    /// A bit may be set only where an initialised object of this memory starts, and cleared
    /// only for an object no slot or root refers to any more (and whose cell its space then
    /// takes back): the same contract as [`ObjectMemory::init_object`] and
    /// [`ObjectMemory::free_object`].
    #[inline]
    pub unsafe fn valid_bits_writer(&self) -> &SideBitmap {
        self.valid.writer()
    }

    /// The address of `granule`. Panics if the granule lies outside the region.
    #[inline]
    #[track_caller]
    pub fn addr_of(&self, granule: usize) -> *mut u8 {
        assert!(granule < self.valid.len(), "granule {granule:#x} lies outside the heap's region");
        // SAFETY: in range, checked just above.
        unsafe { self.addr_of_unchecked(granule) }
    }

    /// The address of `granule`, unchecked.
    ///
    /// # Safety
    /// `granule` must lie inside the region (`granule < self.valid_bits().len()`).
    #[inline]
    pub unsafe fn addr_of_unchecked(&self, granule: usize) -> *mut u8 {
        debug_assert!(granule < self.valid.len());
        // SAFETY: the caller keeps `granule` inside the region, so the offset stays inside
        // the mapping.
        unsafe { self.region.base().add(granule * GRANULE) }
    }

    /// The granule of `addr`, an address inside the region.
    #[inline]
    pub fn granule_of(&self, addr: *const u8) -> usize {
        (addr as usize - self.region.base() as usize) / GRANULE
    }

    /// Whether an object starts at `granule`.
    #[inline]
    pub fn is_object(&self, granule: usize) -> bool {
        granule < self.valid.len() && self.valid.get(granule)
    }

    /// Hints the processor to start loading the first cache line at `granule` (an object's
    /// header), for a scan that will read it soon. Never faults; a no-op off x86-64.
    #[inline]
    pub fn prefetch(&self, granule: usize) {
        // `wrapping_add`: the granule may lie past the region (a scan prefetching ahead), and
        // computing such an address with `add` would itself be undefined behaviour.
        prefetch_read(self.region.base().wrapping_add(granule.wrapping_mul(GRANULE)));
    }

    /// Validates `obj` and returns a view of it; the error names the mistake.
    #[inline]
    pub fn resolve(&self, obj: ObjRef) -> Result<Object<'_>, RefError> {
        if obj.heap_id() != self.heap_id.get() {
            return Err(RefError::Foreign { obj, heap_id: self.heap_id.get() });
        }
        let granule = obj.granule() as usize;
        if !self.is_object(granule) {
            return Err(RefError::Stale { obj });
        }
        // SAFETY: the valid bit is set, so an initialised object starts here, and it stays
        // allocated while `self` is borrowed (freeing needs the collector, which needs `&mut`
        // access to the heap that owns this memory).
        let object = unsafe { self.object(granule) };
        #[cfg(feature = "checked")]
        if object.seq() != obj.seq() {
            return Err(RefError::Reused { obj, found_seq: object.seq() });
        }
        Ok(object)
    }

    /// Validates an optional reference (null is always valid).
    #[inline]
    pub fn check_value(&self, value: Option<ObjRef>) -> Result<(), RefError> {
        match value {
            Some(obj) => self.resolve(obj).map(|_| ()),
            None => Ok(()),
        }
    }

    /// The object at `granule`, unvalidated.
    ///
    /// # Safety
    /// An initialised object must start at `granule` and stay allocated for the borrow.
    #[inline]
    pub unsafe fn object(&self, granule: usize) -> Object<'_> {
        // SAFETY: forwarded to the caller (an object start lies inside the region).
        unsafe { Object::from_addr(self.addr_of_unchecked(granule)) }
    }

    /// Validates `obj` and `index`, returning the slot.
    #[inline]
    pub fn slot(&self, obj: ObjRef, index: usize) -> Result<Slot<'_>, RefError> {
        let object = self.resolve(obj)?;
        object.slot(index).ok_or_else(|| RefError::slot_out_of_bounds(obj, index, object.slot_count()))
    }

    /// Reads slot `index` of `obj`.
    #[inline]
    pub fn load(&self, obj: ObjRef, index: usize) -> Result<Option<ObjRef>, RefError> {
        Ok(self.slot(obj, index)?.get())
    }

    /// Validates `obj`, `index` and `value`, then writes the slot with no barrier: the whole
    /// `try_store` of a backend that needs none.
    ///
    /// # Safety
    /// The calling backend must need no bookkeeping on reference writes (it stops the world
    /// to trace and never moves objects, or never traces at all).
    #[inline]
    pub unsafe fn store_without_barrier(
        &self,
        obj: ObjRef,
        index: usize,
        value: Option<ObjRef>,
    ) -> Result<(), RefError> {
        self.check_value(value)?;
        let (_, slot) = self.writable_slot(obj, index)?;
        // SAFETY: `value` was validated; the caller needs no barrier.
        unsafe { slot.set(value) };
        Ok(())
    }

    /// Validates `obj` and `index` for a store: the object must be live, the slot in
    /// bounds, and the object not immutable. Returns the object and the slot.
    #[inline]
    pub fn writable_slot(&self, obj: ObjRef, index: usize) -> Result<(Object<'_>, Slot<'_>), RefError> {
        let object = self.resolve(obj)?;
        let slot = object.slot(index).ok_or_else(|| RefError::slot_out_of_bounds(obj, index, object.slot_count()))?;
        if object.is_immutable() {
            // In bounds, so below the largest slot count (2^31).
            return Err(RefError::Immutable { obj, index: index as u32 });
        }
        Ok((object, slot))
    }

    /// Copies the `size`-byte object at `from` to `to` (header, slots and data, so its tag,
    /// sequence number, immutability, slots and data are the same), sets the valid bit at
    /// `to`, and returns the copy. The original stays as it was: the collector forwards it.
    ///
    /// # Safety
    /// An object of exactly `size` bytes must start at `from`; `to..to + size` must be
    /// committed memory of a space of this heap that holds no live object and does not
    /// overlap the original; only a collector (with the heap to itself) may call this.
    #[inline]
    pub unsafe fn copy_object(&self, from: usize, to: usize, size: usize) -> Object<'_> {
        // SAFETY: both ranges lie in the region and do not overlap (the caller's contract);
        // nobody else accesses either while the collector runs.
        unsafe {
            let (src, dst) = (self.addr_of_unchecked(from), self.addr_of_unchecked(to));
            std::ptr::copy_nonoverlapping(src, dst, size);
            self.valid.writer().set_unchecked(to);
            self.object(to)
        }
    }

    /// Moves the top `n` entries of `stack` into slots `0..n` of the object at `granule`,
    /// deepest entry first, and pops them; returns whether any was non-null. Neither the
    /// object nor the entries are validated: this is the allocation fast path of
    /// `allocate_from_roots`, right after the backend made the object.
    ///
    /// # Safety
    /// An object of this memory with at least `n` slots must start at `granule`, `n` must not
    /// exceed the stack's depth, every entry of `stack` must be null or a live object of this
    /// memory (a stack filled through [`crate::Roots`], which validates), and the caller must
    /// do what the backend's barrier would for these writes (a counting backend: nothing, the
    /// stack's counts become the slots').
    #[inline]
    pub unsafe fn move_roots_into(&self, stack: &mut RootStack, granule: usize, n: usize) -> bool {
        // SAFETY: forwarded to the caller.
        let object = unsafe { self.object(granule) };
        let mut any = false;
        stack.take_top(n, |i, value| {
            any |= value.is_some();
            // SAFETY: `i < n <= slot_count`; `value` is a live reference (see above), and
            // the barrier is the caller's.
            unsafe { object.slot_unchecked(i).set(value) };
        });
        any
    }

    /// [`ObjectMemory::move_roots_into`] for the object `obj` at `granule`, which then takes
    /// the moved entries' place on the stack: the top `n` entries become one. (Popping `n`
    /// and pushing one would check the stack's capacity for nothing.) Returns whether any
    /// moved entry was non-null, as `move_roots_into` does.
    ///
    /// # Safety
    /// As [`ObjectMemory::move_roots_into`]; moreover `obj` must be the reference of the
    /// object at `granule`, which stays live while it is on the stack (the contract of
    /// [`RootStack::push`]).
    #[inline]
    pub unsafe fn move_roots_into_replacing(
        &self,
        stack: &mut RootStack,
        obj: ObjRef,
        granule: usize,
        n: usize,
    ) -> bool {
        // SAFETY: forwarded to the caller.
        let object = unsafe { self.object(granule) };
        let mut any = false;
        let fill = |i, value: Option<ObjRef>| {
            any |= value.is_some();
            // SAFETY: `i < n <= slot_count`; `value` is a live reference (see
            // `move_roots_into`), and the barrier is the caller's.
            unsafe { object.slot_unchecked(i).set(value) };
        };
        // SAFETY: `obj` is the live object just filled (the caller's contract).
        unsafe { stack.replace_top(n, fill, Some(obj)) };
        any
    }

    /// The data bytes of `obj`.
    #[inline]
    pub fn data(&self, obj: ObjRef) -> Result<&[u8], RefError> {
        Ok(self.resolve(obj)?.data())
    }

    /// The data bytes of `obj`, writable.
    #[inline]
    pub fn data_mut(&mut self, obj: ObjRef) -> Result<&mut [u8], RefError> {
        let object = self.resolve(obj)?;
        let (ptr, len) = (object.data_ptr(), object.data_len());
        // SAFETY: the data bytes belong to a live object; `&mut self` guarantees no other
        // borrow of any object's data exists, and slots (the only part others may touch
        // concurrently) are disjoint from data.
        Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
    }

    /// Makes an object at `granule`: writes its header (with the immutable flag if
    /// `immutable`: see [`Object::make_immutable`]), zeroes its body unless `fresh` says the
    /// memory is already zero, sets its valid bit, and returns its reference.
    ///
    /// # Safety
    /// The object's bytes (`object_size(slots, bytes)` from `granule`) must lie in a committed
    /// range of the region, belong to the calling space, and hold no live object; with
    /// `fresh`, they must read as zero (never used since committed, or decommitted since).
    #[inline]
    pub unsafe fn init_object(
        &mut self,
        granule: usize,
        tag: Tag,
        slots: u32,
        bytes: u32,
        fresh: bool,
        immutable: bool,
    ) -> ObjRef {
        // SAFETY: forwarded to the caller; no slot is left unwritten.
        unsafe { self.init_object_filled(granule, tag, slots, bytes, fresh, immutable, 0) }
    }

    /// [`ObjectMemory::init_object`], leaving slots `0..filled` unwritten (stale) for the
    /// caller to fill at once: the allocation path of `allocate_from_roots`.
    ///
    /// The sequence number is maintained only under the `checked` feature, the only place it
    /// is compared; without it every object's is 0.
    ///
    /// # Safety
    /// As [`ObjectMemory::init_object`]; moreover `filled <= slots`, and slots `0..filled`
    /// must be written with null or live references of this memory before anything else
    /// reads the object or the heap collects.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn init_object_filled(
        &mut self,
        granule: usize,
        tag: Tag,
        slots: u32,
        bytes: u32,
        fresh: bool,
        immutable: bool,
        filled: usize,
    ) -> ObjRef {
        #[cfg(feature = "checked")]
        let seq = {
            let seq = self.next_seq;
            self.next_seq = seq.wrapping_add(1);
            seq
        };
        #[cfg(not(feature = "checked"))]
        let seq = 0;
        // SAFETY: forwarded to the caller; granules are 16-aligned from a page-aligned base.
        unsafe {
            Object::init_filled(self.addr_of_unchecked(granule), tag, seq, slots, bytes, !fresh, immutable, filled)
        };
        // SAFETY: the object lies in the region, so its granule is below the bitmap's length.
        unsafe { self.valid.writer().set_unchecked(granule) };
        ObjRef::from_heap_bits(self.heap_bits, seq, granule as u32)
    }

    /// Marks the object at `granule` freed: references to it are rejected from now on.
    ///
    /// # Safety
    /// An object must start at `granule`, and no reference to it may remain in any slot or
    /// root (or the heap would trace freed memory), nor any [`crate::Live`] view or `Object`
    /// view of it be in use (they exist only while the heap is borrowed immutably, so a
    /// backend frees only inside its `&mut self` methods).
    #[inline]
    pub unsafe fn free_object(&self, granule: usize) {
        debug_assert!(self.valid.get(granule), "double free at granule {granule}");
        self.valid.writer().clear(granule);
    }

    /// Makes `offset..offset + len` of the region (page-aligned) accessible, for a space
    /// about to hand it out; `false` if the system refused. See [`VirtualRegion::commit`], and
    /// [`VirtualRegion::commit_huge`] when [`ObjectMemory::set_huge_pages`] is on.
    #[track_caller]
    pub fn commit(&self, offset: usize, len: usize) -> bool {
        if self.huge_pages {
            self.region.commit_huge(offset, len)
        } else {
            self.region.commit(offset, len)
        }
    }

    /// Asks for transparent huge pages for the memory spaces commit from now on
    /// (`HeapConfig::huge_pages`).
    pub fn set_huge_pages(&mut self, on: bool) {
        self.huge_pages = on;
    }

    /// Returns `offset..offset + len` of the region (page-aligned) to the system; it stays
    /// accessible and reads as zero. See [`VirtualRegion::decommit`].
    ///
    /// # Safety
    /// The range must be committed and hold no live object (no valid bit set in it), and no
    /// reference into it may be used afterwards.
    #[track_caller]
    pub unsafe fn decommit(&self, offset: usize, len: usize) {
        // SAFETY: forwarded to the caller.
        unsafe { self.region.decommit(offset, len) }
    }

    /// Returns `offset..offset + len` of the region (page-aligned) to the system and makes it
    /// inaccessible until committed again. See [`VirtualRegion::release`].
    ///
    /// # Safety
    /// As [`ObjectMemory::decommit`], and nothing may touch the range until it is committed.
    #[track_caller]
    pub unsafe fn release(&self, offset: usize, len: usize) {
        // SAFETY: forwarded to the caller.
        unsafe { self.region.release(offset, len) }
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn foreign_memory(space: &str, heap_id: u16) -> ! {
    panic!("a {space} was handed the memory of another heap (heap {heap_id})")
}

/// Hints the processor to start loading the cache line at `addr` into its caches, for a read
/// soon. Never faults and changes nothing observable, whatever the address (even one outside
/// any allocation): safe to call with any pointer. A no-op off x86-64 and under Miri.
#[inline(always)]
pub fn prefetch_read(addr: *const u8) {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    // SAFETY: a prefetch is only a hint: it reads nothing architecturally and never faults.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(addr.cast::<i8>());
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    let _ = addr;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory() -> ObjectMemory {
        let mut m = ObjectMemory::new(4 << 20).unwrap();
        let start = m.carve(4 << 20);
        assert!(m.commit(start, 4 << 20));
        m
    }

    #[test]
    fn resolve_accepts_live_rejects_others() {
        let mut m = memory();
        // SAFETY: granule 4 is inside the carved space and unused.
        let a = unsafe { m.init_object(4, Tag(1), 2, 3, true, false) };
        assert_eq!(m.resolve(a).unwrap().slot_count(), 2);
        assert_eq!(m.load(a, 1), Ok(None));
        assert!(matches!(m.load(a, 2), Err(RefError::SlotOutOfBounds(e)) if e.index == 2 && e.slots == 2));
        m.data_mut(a).unwrap().copy_from_slice(b"abc");
        assert_eq!(m.data(a).unwrap(), b"abc");

        let other = memory();
        assert!(matches!(other.resolve(a), Err(RefError::Foreign { .. })));
        let interior = a.with_granule(5);
        assert!(matches!(m.resolve(interior), Err(RefError::Stale { .. })));
        let outside = a.with_granule(u32::MAX);
        assert!(matches!(m.resolve(outside), Err(RefError::Stale { .. })));

        // SAFETY: `a` is an object and nothing refers to it.
        unsafe { m.free_object(4) };
        assert!(matches!(m.resolve(a), Err(RefError::Stale { .. })));
    }

    #[cfg(feature = "checked")]
    #[test]
    fn reuse_is_caught_by_sequence_numbers() {
        let mut m = memory();
        // SAFETY: granule 4 is inside the carved space; freed before reuse.
        let a = unsafe { m.init_object(4, Tag(1), 0, 0, true, false) };
        // SAFETY: as above.
        unsafe { m.free_object(4) };
        // SAFETY: as above.
        let b = unsafe { m.init_object(4, Tag(1), 0, 0, true, false) };
        assert!(m.resolve(b).is_ok());
        assert!(matches!(m.resolve(a), Err(RefError::Reused { .. })));
    }
}
