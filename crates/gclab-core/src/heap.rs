//! The one trait every backend implements.

use crate::{
    AllocError, Allocated, CollectionKind, ConfigError, HeapConfig, Live, ObjRef, ObjectMemory, RefError, Root, Stats,
    Tag, VerifyError,
};

/// A garbage-collected heap of objects, each with a [`Tag`], `N` reference slots and `M` bytes
/// of plain data, `N` and `M` chosen at allocation.
///
/// Every reference write goes through [`Heap::store`], so a backend can run its write barrier
/// or adjust reference counts; there is no other way to write a reference. Every reference
/// read goes through [`Heap::load`].
///
/// Roots are the root stack (`push_root`, `pop_root`, `set_root`, …) and RAII handles from
/// [`Heap::root`]. A reference in a Rust local is not a root: any allocation may collect, so
/// keep references that must survive one on the root stack or in a [`Root`].
///
/// Every method that takes an [`ObjRef`] validates it, and panics with a message naming the
/// mistake (stale, foreign, index out of bounds); the `try_` forms return the [`RefError`].
///
/// ```
/// use gclab_core::{Heap, Tag};
/// fn make_pair<H: Heap>(heap: &mut H) -> gclab_core::ObjRef {
///     let first = heap.allocate(Tag(1), 0, 8).unwrap();
///     heap.data_mut(first).copy_from_slice(&42u64.to_le_bytes());
///     heap.push_root(Some(first)); // `first` must survive the next allocation
///     let pair = heap.allocate(Tag(2), 2, 0).unwrap();
///     let first = heap.pop_root();
///     heap.store(pair, 0, first);
///     pair
/// }
/// ```
pub trait Heap: Sized {
    /// The backend's name, as the command line spells it (`"marksweep"`).
    const NAME: &'static str;

    /// Makes a heap; `Err` names the configuration field at fault.
    fn with_config(config: HeapConfig) -> Result<Self, ConfigError>;

    /// Makes a heap with the default configuration.
    fn new() -> Self {
        Self::with_config(HeapConfig::default()).expect("the default configuration is valid")
    }

    /// Allocates an object with `slots` null reference slots and `bytes` zeroed data bytes.
    /// May collect first: references not rooted may be invalid afterwards.
    fn allocate(&mut self, tag: Tag, slots: usize, bytes: usize) -> Result<ObjRef, AllocError>;

    /// Allocates an object of `slots` reference slots and `bytes` zeroed data bytes whose
    /// first `from_roots` slots take the top `from_roots` root-stack entries, which are
    /// popped: slot 0 takes the deepest of them, slot `from_roots - 1` the top; the other
    /// slots are null. The references *move* from the stack into the object, as a bytecode
    /// VM's `BUILD_TUPLE` takes its operands off the value stack, so the operands stay rooted
    /// during the allocation and a backend need not validate, count or barrier them again.
    ///
    /// Panics, naming the mistake, if `from_roots` exceeds `slots` or the root stack's depth.
    /// On `Err` the root stack is left as it was.
    ///
    /// ```
    /// use gclab_core::{Heap, Tag};
    /// fn cons<H: Heap>(heap: &mut H, head: gclab_core::ObjRef, tail: Option<gclab_core::ObjRef>) -> gclab_core::ObjRef {
    ///     heap.push_root(Some(head));
    ///     heap.push_root(tail);
    ///     heap.allocate_from_roots(Tag(1), 2, 0, 2).unwrap() // slot 0 = head, slot 1 = tail
    /// }
    /// ```
    #[track_caller]
    fn allocate_from_roots(
        &mut self,
        tag: Tag,
        slots: usize,
        bytes: usize,
        from_roots: usize,
    ) -> Result<ObjRef, AllocError> {
        check_from_roots(slots, from_roots, self.root_depth());
        let obj = self.allocate(tag, slots, bytes)?;
        let base = self.root_depth() - from_roots;
        for i in 0..from_roots {
            let value = self.root_at(base + i);
            self.store(obj, i, value);
        }
        self.truncate_roots(base);
        Ok(obj)
    }

    /// [`Heap::allocate_from_roots`], then makes the object's slots immutable: every later
    /// store into it is refused ([`RefError::Immutable`](crate::RefError::Immutable), or a
    /// panic naming the mistake). Data bytes stay writable. This is a runtime's tuple: an
    /// object whose references are fixed at creation. A counting backend uses it as CPython
    /// untracks tuples: an immutable object that refers only to objects without slots or to
    /// other such objects can never be part of a cycle, so the cycle detector never scans it.
    ///
    /// ```
    /// use gclab_core::{Heap, Tag};
    /// fn pair<H: Heap>(heap: &mut H, a: gclab_core::ObjRef, b: gclab_core::ObjRef) -> gclab_core::ObjRef {
    ///     heap.push_root(Some(a));
    ///     heap.push_root(Some(b));
    ///     let pair = heap.allocate_immutable(Tag(1), 2, 0, 2).unwrap();
    ///     assert!(heap.try_store(pair, 0, None).is_err()); // its slots are fixed
    ///     pair
    /// }
    /// ```
    #[track_caller]
    fn allocate_immutable(
        &mut self,
        tag: Tag,
        slots: usize,
        bytes: usize,
        from_roots: usize,
    ) -> Result<ObjRef, AllocError> {
        let obj = self.allocate_from_roots(tag, slots, bytes, from_roots)?;
        let object = self.memory().resolve(obj).expect("a newly allocated object is live");
        // SAFETY: the object was made just now, by this heap, for this call.
        unsafe { object.make_immutable() };
        Ok(obj)
    }

    /// [`Heap::allocate_immutable`], and the new object goes onto the root stack in place of
    /// its operands, as an interpreter's `BUILD_TUPLE` pushes the tuple it builds: the top
    /// `from_roots` entries move into its slots and it is pushed. The heap made the object
    /// just now, so it need not validate it as [`Heap::push_root`] would. A structure built
    /// bottom up this way never holds an unrooted reference (binary-trees builds its trees so).
    ///
    /// Panics as [`Heap::allocate_from_roots`] does; on `Err` the root stack is left as it was.
    ///
    /// ```
    /// use gclab_core::{Heap, Tag};
    /// fn pair<H: Heap>(heap: &mut H) {
    ///     heap.allocate_immutable_onto_roots(Tag(1), 0, 0, 0).unwrap(); // a leaf, pushed
    ///     heap.allocate_immutable_onto_roots(Tag(1), 0, 0, 0).unwrap(); // another
    ///     heap.allocate_immutable_onto_roots(Tag(2), 2, 0, 2).unwrap(); // both into a pair
    ///     let pair = heap.pop_root().unwrap();
    ///     assert_eq!(heap.slot_count(pair), 2);
    /// }
    /// ```
    #[track_caller]
    #[inline(always)]
    fn allocate_immutable_onto_roots(
        &mut self,
        tag: Tag,
        slots: usize,
        bytes: usize,
        from_roots: usize,
    ) -> Result<(), AllocError> {
        let obj = self.allocate_immutable(tag, slots, bytes, from_roots)?;
        self.push_root(Some(obj));
        Ok(())
    }

    /// The heap's memory: objects, validated access, the valid-object bitmap.
    fn memory(&self) -> &ObjectMemory;

    /// Checks that `obj` is a live object of this heap.
    #[inline]
    fn try_check(&self, obj: ObjRef) -> Result<(), RefError> {
        self.memory().resolve(obj).map(|_| ())
    }

    /// Validates `obj` once and returns a [`Live`] view of it: walking the graph from it
    /// (`Live::load`) needs no further validation for as long as the heap is borrowed.
    #[inline]
    fn try_live(&self, obj: ObjRef) -> Result<Live<'_>, RefError> {
        self.memory().live(obj)
    }

    /// [`Heap::try_live`], panicking with the mistake's name on a bad reference.
    #[track_caller]
    #[inline]
    fn live(&self, obj: ObjRef) -> Live<'_> {
        self.try_live(obj).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A hash of the object's identity that stays the same for the object's whole life,
    /// even when a moving collector copies it (an `ObjRef`'s bits change when its object
    /// moves, so hashing or ordering `ObjRef`s across a collection is wrong on a moving
    /// backend). Two live objects may share a hash; equal objects always do. Panics, naming
    /// the mistake, on a bad reference. What a runtime's `id()`/`hashCode()` is built on.
    ///
    /// Non-moving backends hash the reference; a moving one keeps the hash in the header.
    #[track_caller]
    fn identity_hash(&self, obj: ObjRef) -> u64 {
        self.try_check(obj).unwrap_or_else(|e| panic!("{e}"));
        crate::mix64(obj.bits())
    }

    /// Reads slot `index` of `obj`.
    #[inline]
    fn try_load(&self, obj: ObjRef, index: usize) -> Result<Option<ObjRef>, RefError> {
        self.memory().load(obj, index)
    }

    /// Writes slot `index` of `obj`, running the backend's write barrier.
    fn try_store(&mut self, obj: ObjRef, index: usize, value: Option<ObjRef>) -> Result<(), RefError>;

    /// The object's tag.
    #[inline]
    fn try_tag(&self, obj: ObjRef) -> Result<Tag, RefError> {
        Ok(self.memory().resolve(obj)?.tag())
    }

    /// The object's slot count.
    #[inline]
    fn try_slot_count(&self, obj: ObjRef) -> Result<usize, RefError> {
        Ok(self.memory().resolve(obj)?.slot_count())
    }

    /// The object's data bytes.
    #[inline]
    fn try_data(&self, obj: ObjRef) -> Result<&[u8], RefError> {
        self.memory().data(obj)
    }

    /// The object's data bytes, writable.
    fn try_data_mut(&mut self, obj: ObjRef) -> Result<&mut [u8], RefError>;

    /// Reads slot `index` of `obj`. Panics, naming the mistake, on a bad reference or index.
    #[track_caller]
    #[inline]
    fn load(&self, obj: ObjRef, index: usize) -> Option<ObjRef> {
        self.try_load(obj, index).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Writes slot `index` of `obj`. Panics, naming the mistake, on a bad reference or index.
    #[track_caller]
    #[inline]
    fn store(&mut self, obj: ObjRef, index: usize, value: Option<ObjRef>) {
        self.try_store(obj, index, value).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The object's tag. Panics on a bad reference.
    #[track_caller]
    fn tag(&self, obj: ObjRef) -> Tag {
        self.try_tag(obj).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The object's slot count. Panics on a bad reference.
    #[track_caller]
    fn slot_count(&self, obj: ObjRef) -> usize {
        self.try_slot_count(obj).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The object's data length in bytes. Panics on a bad reference.
    #[track_caller]
    fn data_len(&self, obj: ObjRef) -> usize {
        self.data(obj).len()
    }

    /// The object's data bytes. Panics on a bad reference.
    #[track_caller]
    fn data(&self, obj: ObjRef) -> &[u8] {
        self.try_data(obj).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The object's data bytes, writable. Panics on a bad reference.
    #[track_caller]
    fn data_mut(&mut self, obj: ObjRef) -> &mut [u8] {
        self.try_data_mut(obj).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Pushes an entry on the root stack. Panics on a bad reference.
    fn try_push_root(&mut self, obj: Option<ObjRef>) -> Result<(), RefError>;

    /// Pops the top of the root stack; `Err` when it is empty.
    fn try_pop_root(&mut self) -> Result<Option<ObjRef>, RefError>;

    /// Overwrites root-stack entry `index` (0 is the bottom).
    fn try_set_root(&mut self, index: usize, obj: Option<ObjRef>) -> Result<(), RefError>;

    /// Reads root-stack entry `index` (0 is the bottom).
    fn try_root_at(&self, index: usize) -> Result<Option<ObjRef>, RefError>;

    /// The root stack's depth.
    fn root_depth(&self) -> usize;

    /// Pops entries until the root stack's depth is `depth`. Panics, naming the mistake, if
    /// the stack is shallower than `depth`.
    fn truncate_roots(&mut self, depth: usize);

    /// Pushes an entry on the root stack. Panics, naming the mistake, on a bad reference.
    #[track_caller]
    #[inline]
    fn push_root(&mut self, obj: Option<ObjRef>) {
        self.try_push_root(obj).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Pops the top of the root stack. Panics on an empty stack.
    #[track_caller]
    #[inline]
    fn pop_root(&mut self) -> Option<ObjRef> {
        self.try_pop_root().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Overwrites root-stack entry `index`. Panics on a bad reference or index.
    #[track_caller]
    #[inline]
    fn set_root(&mut self, index: usize, obj: Option<ObjRef>) {
        self.try_set_root(index, obj).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Reads root-stack entry `index`. Panics on a bad index.
    #[track_caller]
    #[inline]
    fn root_at(&self, index: usize) -> Option<ObjRef> {
        self.try_root_at(index).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Roots `obj` until the returned handle is dropped. Panics on a bad reference.
    fn root(&mut self, obj: ObjRef) -> Root;

    /// Runs a collection of `kind` now. Backends without generations run a full one for
    /// [`CollectionKind::Minor`].
    fn collect(&mut self, kind: CollectionKind);

    /// A safepoint: a place where the mutator holds no reference outside the roots and may
    /// stop briefly for the collector. A concurrent collector runs its handshakes here (and
    /// at allocation and stores, which poll the same flag); every other backend does
    /// nothing. A long-running loop that neither allocates nor stores should call it now and
    /// then, or a concurrent cycle that has finished marking waits for it to end.
    #[inline]
    fn safepoint(&mut self) {}

    /// Statistics so far.
    fn stats(&self) -> &Stats;

    /// Objects and bytes allocated since the heap was made, exact now. [`Stats`]'s
    /// `allocated_objects` and `allocated_bytes` may lag on a backend that counts allocation
    /// in bulk rather than per object (marksweep counts per allocation run, the generational
    /// nursery per fill, and both settle at each collection); this adds what is not counted
    /// yet. The default reads [`Heap::stats`].
    fn allocated(&self) -> Allocated {
        let stats = self.stats();
        Allocated { objects: stats.allocated_objects, bytes: stats.allocated_bytes }
    }

    /// Objects allocated and not yet freed. Right after a full collection this is exactly the
    /// number of objects reachable from the roots, plus any object a backend was told to
    /// keep outside collection and everything they reach (refcount's `freeze()`, CPython's
    /// `gc.freeze()`: frozen objects are never scanned, so a frozen cycle that becomes garbage
    /// stays allocated until `unfreeze()`, with every object it refers to, even ones made
    /// after the freeze). A heap that was never frozen counts exactly the reachable objects.
    fn live_objects(&self) -> usize;

    /// Checks the backend's internal invariants (free lists, bitmaps, counts, slot contents).
    /// Linear in the heap: cheap enough to call after every step of a small test.
    fn verify(&self) -> Result<(), VerifyError>;
}

/// Panics, naming the mistake, if [`Heap::allocate_from_roots`] cannot take `from_roots`
/// entries of a root stack of `depth` into an object of `slots` slots.
#[track_caller]
#[inline(always)]
pub fn check_from_roots(slots: usize, from_roots: usize, depth: usize) {
    if from_roots > slots || from_roots > depth {
        from_roots_mistake(slots, from_roots, depth);
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn from_roots_mistake(slots: usize, from_roots: usize, depth: usize) -> ! {
    // Named for all the methods that come here (`allocate_from_roots`, `allocate_immutable`,
    // `allocate_immutable_onto_roots`): the caller's line is in the panic's location.
    assert!(
        from_roots <= slots,
        "allocating from the root stack: {from_roots} root-stack entries do not fit in an object of {slots} slots"
    );
    panic!(
        "root stack underflow: allocating from the root stack takes {from_roots} entries from a root stack of depth \
         {depth}"
    )
}
