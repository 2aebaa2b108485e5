//! Evacuation of the nursery: a Cheney scan that copies what the roots and the remembered set
//! reach into the to-space, ageing it, or promotes it into the old space.

use gclab_core::{ObjRef, ObjectMemory, GRANULE};
use gclab_space::PoolSpace;

use crate::meta::{AGE, KEPT_ON_PROMOTION, MAX_AGE, UNLOGGED};
use crate::nursery::Nursery;
use crate::remembered::{RememberedSet, CARD_SLOTS};

/// What one evacuation did.
#[derive(Debug, Default)]
pub(crate) struct Evacuated {
    /// Bytes copied into the to-space (set when the evacuation ends, from its cursor).
    pub copied_bytes: u64,
    pub promoted_objects: u64,
    pub promoted_bytes: u64,
    /// Bytes of old-space runs opened for promotion (they count towards the major trigger).
    pub run_bytes: usize,
    /// Bytes that survived into the to-space, by their new age.
    pub ages: [u64; MAX_AGE as usize + 1],
}

/// One evacuation in progress. Borrows what it moves objects between.
pub(crate) struct Evacuation<'a> {
    pub memory: &'a ObjectMemory,
    pub nursery: &'a mut Nursery,
    pub pools: &'a mut PoolSpace,
    pub remembered: &'a mut RememberedSet,
    /// Promoted objects whose slots are not scanned yet.
    pub promoted: &'a mut Vec<u32>,
    /// Objects of this age or older are promoted.
    pub threshold: u8,
    /// Bytes the pool space may take from the system for promotion: the heap limit less what
    /// the other spaces hold, less what the pool space held when the evacuation began.
    pub room: usize,
    pub done: Evacuated,
}

impl Evacuation<'_> {
    /// Where the object `r` refers to lives after the evacuation: copied or promoted now if
    /// it is a young object not yet moved, its forwarding address if it was moved, itself if
    /// it is old (or already in the to-space).
    ///
    /// # Safety
    /// `r` must refer to a live object of `memory` (a root, or a slot of a live object).
    #[inline]
    pub unsafe fn forward(&mut self, r: ObjRef) -> ObjRef {
        let granule = r.granule() as usize;
        if !self.nursery.is_young(granule) || self.nursery.survivors[self.nursery.to].contains(granule) {
            return r;
        }
        // SAFETY: `r` refers to a live object (the caller's contract).
        let object = unsafe { self.memory.object(granule) };
        if let Some(to) = object.forwarded_to() {
            return r.with_granule(to);
        }
        let size = object.size();
        let meta = object.meta();
        let age = (meta & AGE) as u8;
        let to = self.nursery.to;
        let to_space = &mut self.nursery.survivors[to];
        let granules = size / GRANULE;
        let (dest, promoted) = if age < self.threshold && granules <= to_space.end - to_space.top {
            let dest = to_space.top;
            to_space.top += granules;
            (dest, false)
        } else {
            (self.promotion_cell(size), true)
        };
        // SAFETY: `dest` is a free cell of at least `size` bytes (a fresh part of the
        // to-space, or a cell the pool space just handed out), committed, apart from the
        // original; the collector has the heap to itself.
        let copy = unsafe { self.memory.copy_object(granule, dest, size) };
        let new_meta = if promoted {
            self.done.promoted_objects += 1;
            self.done.promoted_bytes += size as u64;
            self.promoted.push(dest as u32);
            (meta & KEPT_ON_PROMOTION) | UNLOGGED
        } else {
            let new_age = (age + 1).min(MAX_AGE);
            self.done.ages[new_age as usize] += size as u64;
            (meta & !AGE) | new_age as u32
        };
        // SAFETY: this backend owns the copy's meta word; bit 31 stays clear.
        unsafe { copy.set_meta(new_meta) };
        // SAFETY: the object was copied to `dest` just now; its space is emptied before the
        // mutator runs again, and meta bit 31 is never set otherwise by this backend.
        unsafe { object.forward_to(dest as u32) };
        r.with_granule(dest as u32)
    }

    /// A cell of the old space for a promoted object of `size` bytes.
    fn promotion_cell(&mut self, size: usize) -> usize {
        let class = self.pools.classes().class_of(size).expect("young objects fit a size class");
        // SAFETY: the pool space was carved from `memory`; `class_of` returns one of its classes.
        if let Some(cell) = unsafe { self.pools.alloc_fast(self.memory, class) } {
            return cell;
        }
        let room = self.room.saturating_sub(self.pools.committed_bytes());
        match self.pools.refill(self.memory, class, room) {
            Some(bytes) => {
                self.done.run_bytes += bytes;
                // SAFETY: as above.
                unsafe { self.pools.alloc_fast(self.memory, class) }.expect("a new run has a free cell")
            }
            // The caller checked, before starting, that the old space could take every young
            // object (`GenerationalHeap::promotion_guaranteed`), so this is a bug, not a
            // full heap. Unwinding from here would leave forwarded objects with valid bits
            // set and forwarding words where their lengths were, which safe code could then
            // read through `data()` if it caught the panic: abort instead.
            None => {
                eprintln!("gclab-generational bug: promotion failed although the old space had room reserved");
                std::process::abort()
            }
        }
    }

    /// Forwards every young reference in slots `from..to` of the object at `granule`; returns
    /// whether any slot still refers to a young object afterwards.
    ///
    /// # Safety
    /// A live object of `memory` with at least `to` slots must start at `granule`.
    #[inline]
    pub unsafe fn scan_slots(&mut self, granule: usize, from: usize, to: usize) -> bool {
        // SAFETY: forwarded to the caller.
        let object = unsafe { self.memory.object(granule) };
        let mut young = false;
        for i in from..to {
            // SAFETY: `i < to <= slot_count`.
            let slot = unsafe { object.slot_unchecked(i) };
            if let Some(r) = slot.get() {
                if self.nursery.is_young(r.granule() as usize) {
                    // SAFETY: slots of live objects hold live references.
                    let moved = unsafe { self.forward(r) };
                    // SAFETY: the collector rewrites a reference to the object's new copy.
                    unsafe { slot.set(Some(moved)) };
                    young |= self.nursery.is_young(moved.granule() as usize);
                }
            }
        }
        young
    }

    /// Scans the remembered set taken from the barrier (`objects`, `cards`), forwarding the
    /// young references of its objects, and keeps remembered only what still refers to a
    /// young object; the others are marked unlogged again.
    ///
    /// # Safety
    /// Every entry must be a live old object of `memory` (a card's, one with that chunk).
    pub unsafe fn scan_remembered(&mut self, objects: Vec<u32>, cards: Vec<(u32, u32)>) {
        for granule in objects {
            // SAFETY: a live old object (the caller's contract).
            let object = unsafe { self.memory.object(granule as usize) };
            // SAFETY: as above.
            if unsafe { self.scan_slots(granule as usize, 0, object.slot_count()) } {
                self.remembered.objects.push(granule);
            } else {
                // SAFETY: the object holds no young reference any more, so it may leave the
                // remembered set.
                unsafe { object.set_meta(object.meta() | UNLOGGED) };
            }
        }
        for (granule, chunk) in cards {
            let bit = RememberedSet::card_bit(granule, chunk);
            // SAFETY: a live old object with that chunk (the caller's contract).
            let slots = unsafe { self.memory.object(granule as usize) }.slot_count();
            let from = chunk as usize * CARD_SLOTS;
            // SAFETY: as above; the range is clamped to the slot count.
            if unsafe { self.scan_slots(granule as usize, from, (from + CARD_SLOTS).min(slots)) } {
                self.remembered.cards.push((granule, chunk));
            } else {
                self.remembered.card_bits.clear(bit);
            }
        }
    }

    /// The Cheney loop: scans the to-space from its start and the promoted objects until
    /// neither has unscanned objects. No recursion: the to-space itself is the queue, and
    /// promoted objects wait on a work list.
    pub fn drain(&mut self) {
        self.drain_queues();
        self.done.copied_bytes = self.nursery.survivors[self.nursery.to].used_bytes() as u64;
    }

    fn drain_queues(&mut self) {
        let mut scan = self.nursery.survivors[self.nursery.to].start;
        loop {
            while scan < self.nursery.survivors[self.nursery.to].top {
                // SAFETY: the to-space holds the copies made by this evacuation, laid end to end.
                let object = unsafe { self.memory.object(scan) };
                let (slots, size) = (object.slot_count(), object.size());
                // SAFETY: as above.
                unsafe { self.scan_slots(scan, 0, slots) };
                scan += size / GRANULE;
            }
            let Some(granule) = self.promoted.pop() else { break };
            // SAFETY: promoted objects are live copies in the old space.
            let object = unsafe { self.memory.object(granule as usize) };
            // SAFETY: as above.
            if unsafe { self.scan_slots(granule as usize, 0, object.slot_count()) } {
                // A promoted object that still refers to a young one is remembered.
                // SAFETY: the backend owns the meta word; the object joins the remembered set.
                unsafe { object.set_meta(object.meta() & !UNLOGGED) };
                self.remembered.objects.push(granule);
            }
        }
    }
}
