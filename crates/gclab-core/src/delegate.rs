//! The `Heap` methods that most backends implement the same way.

use crate::{AllocError, ObjRef, Tag};

/// A backend's allocation routine, trusted by [`plain_roots_and_memory!`](crate::plain_roots_and_memory)
/// to hand back a fresh object, so that moving root-stack entries into its slots needs no
/// check. Implementing it is a promise, hence `unsafe`.
///
/// # Safety
/// On `Ok(obj)`, `allocate_object(tag, slots, bytes, immutable, filled)` must return a
/// reference to an object it has just initialised in the heap's `memory` field (through
/// `ObjectMemory::init_object_filled`) with exactly `slots` slots and `bytes` data bytes, live
/// until the heap next collects, its slots from `filled` on null. The macro writes slots
/// `0..filled` (`filled = from_roots <= slots`) at once, without checks.
///
/// A backend using the macro without this promise does not compile:
///
/// ```compile_fail
/// use gclab_core::*;
/// struct Toy { memory: ObjectMemory, roots: Roots }
/// impl Toy {
///     unsafe fn allocate_object(&mut self, _: Tag, _: usize, _: usize, _: bool, _: usize) -> Result<ObjRef, AllocError> {
///         unimplemented!()
///     }
/// }
/// impl Heap for Toy {
///     const NAME: &'static str = "toy";
///     fn with_config(_: HeapConfig) -> Result<Self, ConfigError> { unimplemented!() }
///     fn allocate(&mut self, _: Tag, _: usize, _: usize) -> Result<ObjRef, AllocError> { unimplemented!() }
///     fn try_store(&mut self, _: ObjRef, _: usize, _: Option<ObjRef>) -> Result<(), RefError> { unimplemented!() }
///     plain_roots_and_memory!();
///     fn collect(&mut self, _: CollectionKind) {}
///     fn stats(&self) -> &Stats { unimplemented!() }
///     fn live_objects(&self) -> usize { 0 }
///     fn verify(&self) -> Result<(), VerifyError> { Ok(()) }
/// }
/// ```
pub unsafe trait AllocateObject {
    /// Allocates an object of `slots` slots and `bytes` zero data bytes, immutable if
    /// `immutable`, whose slots from `filled` on are null and whose first `filled` slots are
    /// left for the caller to write at once (the body of `allocate` with `filled = 0`, and of
    /// `allocate_from_roots` and `allocate_immutable`).
    ///
    /// # Safety
    /// `filled <= slots`, and on `Ok` the caller must write slots `0..filled` with null or live
    /// references of this heap before anything else reads the object or touches the heap:
    /// until then they hold whatever the cell held before (a collector tracing them would
    /// follow garbage). With `filled = 0` there is nothing to write.
    unsafe fn allocate_object(
        &mut self,
        tag: Tag,
        slots: usize,
        bytes: usize,
        immutable: bool,
        filled: usize,
    ) -> Result<ObjRef, AllocError>;
}

/// Expands, inside `impl Heap for … { }`, to the trait's `memory`, `try_data_mut` and
/// root-stack and handle methods for a heap whose fields `memory: ObjectMemory` and
/// `roots: Roots` hold them and which needs no bookkeeping when roots change (tracing
/// collectors find roots when they collect). The part of
/// [`plain_roots_and_memory!`](crate::plain_roots_and_memory) that a backend with a write
/// barrier (which writes `allocate_from_roots` itself) can still share.
#[macro_export]
macro_rules! roots_and_memory {
    () => {
        #[inline]
        fn memory(&self) -> &$crate::ObjectMemory {
            &self.memory
        }

        fn try_data_mut(&mut self, obj: $crate::ObjRef) -> Result<&mut [u8], $crate::RefError> {
            self.memory.data_mut(obj)
        }

        #[inline]
        fn try_push_root(&mut self, obj: Option<$crate::ObjRef>) -> Result<(), $crate::RefError> {
            self.roots.push(&self.memory, obj)
        }

        #[inline]
        fn try_pop_root(&mut self) -> Result<Option<$crate::ObjRef>, $crate::RefError> {
            self.roots.stack.pop()
        }

        #[inline]
        fn try_set_root(&mut self, index: usize, obj: Option<$crate::ObjRef>) -> Result<(), $crate::RefError> {
            self.roots.set(&self.memory, index, obj).map(|_| ())
        }

        #[inline]
        fn try_root_at(&self, index: usize) -> Result<Option<$crate::ObjRef>, $crate::RefError> {
            self.roots.stack.get(index)
        }

        fn root_depth(&self) -> usize {
            self.roots.stack.len()
        }

        fn truncate_roots(&mut self, depth: usize) {
            self.roots.stack.truncate_with(depth, |_| {});
        }

        #[track_caller]
        fn root(&mut self, obj: $crate::ObjRef) -> $crate::Root {
            self.roots.handle(&self.memory, obj)
        }
    };
}

/// Expands, inside `impl Heap for … { }`, to the trait's `memory`, `try_data_mut`,
/// `allocate_from_roots`, `allocate_immutable`, `allocate_immutable_onto_roots` and root-stack
/// and handle methods for a heap whose fields `memory: ObjectMemory` and `roots: Roots` hold them, which needs no bookkeeping when roots
/// change (tracing collectors find roots when they collect) and no write barrier, and which
/// implements [`AllocateObject`] (an `unsafe impl`: the macro trusts it). A backend
/// that must see root changes or reference writes (reference counting, generations) writes
/// these methods itself.
///
/// ```ignore
/// impl Heap for MyHeap {
///     gclab_core::plain_roots_and_memory!();
///     // allocate, try_store, collect, stats, live_objects, verify …
/// }
/// ```
#[macro_export]
macro_rules! plain_roots_and_memory {
    () => {
        $crate::roots_and_memory!();

        #[track_caller]
        #[inline(always)]
        fn allocate_from_roots(
            &mut self,
            tag: $crate::Tag,
            slots: usize,
            bytes: usize,
            from_roots: usize,
        ) -> Result<$crate::ObjRef, $crate::AllocError> {
            $crate::plain_roots_and_memory!(@move self, tag, slots, bytes, from_roots, false)
        }

        #[track_caller]
        #[inline(always)]
        fn allocate_immutable(
            &mut self,
            tag: $crate::Tag,
            slots: usize,
            bytes: usize,
            from_roots: usize,
        ) -> Result<$crate::ObjRef, $crate::AllocError> {
            $crate::plain_roots_and_memory!(@move self, tag, slots, bytes, from_roots, true)
        }

        #[track_caller]
        #[inline(always)]
        fn allocate_immutable_onto_roots(
            &mut self,
            tag: $crate::Tag,
            slots: usize,
            bytes: usize,
            from_roots: usize,
        ) -> Result<(), $crate::AllocError> {
            $crate::check_from_roots(slots, from_roots, self.roots.stack.len());
            // SAFETY: as in `allocate_immutable` (`from_roots <= slots`, checked just above;
            // the moved slots are written right below).
            let obj = unsafe { $crate::AllocateObject::allocate_object(self, tag, slots, bytes, true, from_roots) }?;
            // SAFETY: as in `allocate_immutable`; moreover `AllocateObject` promises that `obj`
            // is an object this heap made just now in its memory, live until the next
            // collection, and on the root stack it stays live.
            unsafe {
                self.memory.move_roots_into_replacing(&mut self.roots.stack, obj, obj.granule() as usize, from_roots)
            };
            Ok(())
        }
    };
    // The body of `allocate_from_roots` and `allocate_immutable`.
    (@move $heap:ident, $tag:ident, $slots:ident, $bytes:ident, $from_roots:ident, $immutable:expr) => {{
        $crate::check_from_roots($slots, $from_roots, $heap.roots.stack.len());
        // The operands stay rooted through the allocation.
        // SAFETY: `from_roots <= slots` (checked just above), and slots `0..from_roots` are
        // written right below, before anything else touches the heap.
        let obj = unsafe {
            $crate::AllocateObject::allocate_object($heap, $tag, $slots, $bytes, $immutable, $from_roots)
        }?;
        // SAFETY: `AllocateObject` promises a fresh object of `slots >= from_roots` slots
        // (checked by `check_from_roots`) in this memory, its first `from_roots` slots to be
        // written here at once; the stack was filled through `Roots`,
        // which validates every entry, and roots keep their objects alive; this heap needs no
        // barrier, and the immutable flag binds the mutator only.
        unsafe { $heap.memory.move_roots_into(&mut $heap.roots.stack, obj.granule() as usize, $from_roots) };
        Ok(obj)
    }};
}
