//! The `Heap` methods that most backends implement the same way.

/// Expands, inside `impl Heap for … { }`, to the trait's `memory`, `try_data_mut`,
/// `allocate_from_roots`, `allocate_immutable` and root-stack and handle methods for a heap whose fields
/// `memory: ObjectMemory` and `roots: Roots` hold them, which needs no bookkeeping when roots
/// change (tracing collectors find roots when they collect) and no write barrier, and which has
/// an inherent `allocate_object(tag, slots, bytes, immutable)` (its `allocate`). A backend
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
        #[inline]
        fn memory(&self) -> &$crate::ObjectMemory {
            &self.memory
        }

        fn try_data_mut(&mut self, obj: $crate::ObjRef) -> Result<&mut [u8], $crate::RefError> {
            self.memory.data_mut(obj)
        }

        #[track_caller]
        #[inline]
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
        #[inline]
        fn allocate_immutable(
            &mut self,
            tag: $crate::Tag,
            slots: usize,
            bytes: usize,
            from_roots: usize,
        ) -> Result<$crate::ObjRef, $crate::AllocError> {
            $crate::plain_roots_and_memory!(@move self, tag, slots, bytes, from_roots, true)
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
    // The body of `allocate_from_roots` and `allocate_immutable`.
    (@move $heap:ident, $tag:ident, $slots:ident, $bytes:ident, $from_roots:ident, $immutable:expr) => {{
        $crate::check_from_roots($slots, $from_roots, $heap.roots.stack.len());
        // The operands stay rooted through the allocation.
        let obj = $heap.allocate_object($tag, $slots, $bytes, $immutable)?;
        // SAFETY: the stack was filled through `Roots`, which validates every entry against
        // this heap's memory, and roots keep their objects alive; this heap needs no barrier.
        // (`move_roots_into` itself checks that `obj` is live with `from_roots` slots, since
        // `allocate_object` is the macro user's safe method and is not trusted.)
        unsafe { $heap.memory.move_roots_into(&mut $heap.roots.stack, obj, $from_roots) };
        Ok(obj)
    }};
}
