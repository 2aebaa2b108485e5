//! The read path without per-access validation: references validated once, for the length of
//! an immutable borrow of the heap.

use std::fmt;

use crate::object::Object;
use crate::{ObjRef, ObjectMemory, RefError, Tag};

/// A reference to a live object, validated once, usable while the heap is borrowed
/// immutably — the fast, still safe, way to walk a graph.
///
/// [`Heap::load`](crate::Heap::load) validates every reference it is handed (heap id, valid
/// bit, bounds), because a reference held in a Rust local may have been freed or moved by a
/// collection since it was read. A `Live<'h>` cannot outlive the `&'h` borrow of the heap it
/// came from, and nothing frees, moves or overwrites objects while a heap is borrowed
/// immutably (collections, stores and allocation all take `&mut self`). Slots of live objects
/// hold only null or live references of the same heap. So following a slot from a `Live`
/// needs no check at all: one load of the slot and the address arithmetic — what a compiled
/// runtime's field read costs. Only the slot index is bounds-checked.
///
/// ```
/// # use gclab_core::{Heap, Tag};
/// fn count<H: Heap>(heap: &H, root: gclab_core::ObjRef) -> usize {
///     let mut stack = vec![heap.live(root)]; // validated here, once
///     let mut nodes = 0;
///     while let Some(node) = stack.pop() {
///         nodes += 1;
///         stack.extend((0..node.slot_count()).filter_map(|i| node.load(i))); // no validation
///     }
///     nodes
/// }
/// ```
///
/// A `Live` cannot be kept across a mutation, which is what makes it safe:
///
/// ```compile_fail
/// # use gclab_core::{CollectionKind, Heap, Tag};
/// fn keep<H: Heap>(heap: &mut H, obj: gclab_core::ObjRef) {
///     let live = heap.live(obj);
///     heap.collect(CollectionKind::Full); // error: `heap` is borrowed by `live`
///     live.load(0);
/// }
/// ```
#[derive(Clone, Copy)]
pub struct Live<'h> {
    memory: &'h ObjectMemory,
    object: Object<'h>,
}

impl<'h> Live<'h> {
    /// Validates `obj` against `memory` (see [`ObjectMemory::resolve`]).
    #[inline]
    pub(crate) fn new(memory: &'h ObjectMemory, obj: ObjRef) -> Result<Live<'h>, RefError> {
        Ok(Live { memory, object: memory.resolve(obj)? })
    }

    /// Slot `index`, or [`RefError::SlotOutOfBounds`].
    #[inline]
    pub fn try_load(self, index: usize) -> Result<Option<Live<'h>>, RefError> {
        match self.object.slot(index) {
            Some(slot) => Ok(self.follow(slot.bits())),
            None => Err(RefError::slot_out_of_bounds(self.obj_ref(), index, self.object.slot_count())),
        }
    }

    /// Slot `index`. Panics, naming the mistake, if the object has no such slot.
    #[inline]
    #[track_caller]
    pub fn load(self, index: usize) -> Option<Live<'h>> {
        match self.object.slot(index) {
            Some(slot) => self.follow(slot.bits()),
            None => self.out_of_bounds(index),
        }
    }

    #[cold]
    #[inline(never)]
    #[track_caller]
    fn out_of_bounds(self, index: usize) -> ! {
        panic!("{}", RefError::slot_out_of_bounds(self.obj_ref(), index, self.object.slot_count()))
    }

    #[inline(always)]
    fn follow(self, bits: u64) -> Option<Live<'h>> {
        if bits == 0 {
            return None;
        }
        // SAFETY: a slot of a live object holds null or a live object of the same memory (every
        // store validates its value, and a collection frees only what nothing refers to), and
        // nothing frees or moves objects while the heap is borrowed for `'h`. The low 32 bits
        // of a reference are its granule.
        let object = unsafe { self.memory.object(bits as u32 as usize) };
        Some(Live { memory: self.memory, object })
    }

    /// The object's tag.
    #[inline]
    pub fn tag(self) -> Tag {
        self.object.tag()
    }

    /// The number of reference slots.
    #[inline]
    pub fn slot_count(self) -> usize {
        self.object.slot_count()
    }

    /// Whether the object's slots are immutable.
    #[inline]
    pub fn is_immutable(self) -> bool {
        self.object.is_immutable()
    }

    /// The data bytes, borrowed for as long as the heap is.
    #[inline]
    pub fn data(self) -> &'h [u8] {
        self.object.data()
    }

    /// The object's reference, to keep beyond the borrow (root it if it must survive an
    /// allocation) or to pass to the heap's mutating methods.
    #[inline]
    pub fn obj_ref(self) -> ObjRef {
        let granule = self.memory.granule_of(self.object.addr());
        ObjRef::from_parts(self.memory.heap_id(), self.object.seq(), granule as u32)
    }
}

impl fmt::Debug for Live<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Live({:?})", self.obj_ref())
    }
}

impl PartialEq for Live<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.object.addr() == other.object.addr()
    }
}

impl Eq for Live<'_> {}

impl ObjectMemory {
    /// Validates `obj` once and returns a [`Live`] view of it, valid for the borrow.
    #[inline]
    pub fn live(&self, obj: ObjRef) -> Result<Live<'_>, RefError> {
        Live::new(self, obj)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chain built directly in object memory, walked with `Live` (also run under Miri by
    /// scripts/miri, which checks the unchecked slot-following).
    #[test]
    fn live_views_follow_slots_and_check_indices() {
        let mut memory = ObjectMemory::new(4 << 20).unwrap();
        let start = memory.carve(4 << 20);
        assert!(memory.commit(start, 4 << 20));
        let base = start / crate::GRANULE;
        // SAFETY: granules are inside the committed range, each object's 32 bytes unused.
        let objs: Vec<ObjRef> =
            (0..4).map(|i| unsafe { memory.init_object(base + 2 * i, Tag(i as u16), 1, 0, true, false) }).collect();
        for pair in objs.windows(2) {
            // SAFETY: the value is a live object of this memory; no barrier is needed here.
            unsafe { memory.store_without_barrier(pair[0], 0, Some(pair[1])) }.unwrap();
        }
        let mut node = memory.live(objs[0]).unwrap();
        let mut tags = vec![node.tag()];
        while let Some(next) = node.load(0) {
            tags.push(next.tag());
            node = next;
        }
        assert_eq!(tags, [Tag(0), Tag(1), Tag(2), Tag(3)]);
        assert_eq!(node.obj_ref(), objs[3]);
        assert!(matches!(node.try_load(1), Err(RefError::SlotOutOfBounds(e)) if e.index == 1 && e.slots == 1));
        assert!(memory.live(objs[0].with_granule(base as u32 + 1)).is_err(), "an interior reference is stale");
    }
}
