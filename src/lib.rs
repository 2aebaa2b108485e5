//! gclab: pluggable garbage collectors behind one heap trait.
//!
//! Pick a backend with a cargo feature; [`DefaultHeap`] names the first enabled one in this
//! order: `marksweep`, `refcount`. Code written against [`Heap`] runs on any backend. The
//! `nogc` feature adds `NoGcHeap`, the no-collection baseline (bump allocation, never freed,
//! paying for fresh pages), which is never the default.
//!
//! ```
//! # #[cfg(any(feature = "marksweep", feature = "refcount"))] {
//! use gclab::{DefaultHeap, Heap, Tag};
//! let mut heap = DefaultHeap::new();
//! let list = heap.allocate(Tag(1), 3, 0).unwrap();
//! heap.push_root(Some(list));
//! let item = heap.allocate(Tag(2), 0, 4).unwrap();
//! heap.data_mut(item).copy_from_slice(b"gc!!");
//! heap.store(list, 0, Some(item));
//! heap.collect(gclab::CollectionKind::Full);
//! let item = heap.load(list, 0).unwrap();
//! assert_eq!(heap.data(item), b"gc!!");
//! assert_eq!(heap.live_objects(), 2);
//! # }
//! ```
//!
//! # Two surfaces
//!
//! Everything at this crate's root is what a **runtime author** uses: the [`Heap`] trait,
//! references ([`ObjRef`]) and tags, configuration, errors, read-only statistics and the
//! backends. Any sequence of calls to these, with any bits in an `ObjRef`, is memory-safe:
//! a mistake is answered with an error or a panic that names it.
//!
//! What a **backend author** needs — object memory, raw object views, bitmaps, side tables,
//! the spaces, the root tables, statistics recording — is in [`backend`]. It is public, and
//! its safe methods are safe too, but every method there whose misuse could break an
//! invariant that the collectors' `unsafe` code relies on is an `unsafe fn` with a
//! `# Safety` section (see docs/architecture.md, "The soundness contract").
//!
//! # Which backend `DefaultHeap` is
//!
//! Cargo unifies features across the whole dependency graph: if any crate in your build
//! (a dev-dependency too) enables `marksweep`, `DefaultHeap` is the mark-sweep heap even if
//! your own `Cargo.toml` asked for `refcount` only. A runtime that depends on a particular
//! collector should name its type (`gclab::RefcountHeap`) rather than `DefaultHeap`.

#![warn(missing_docs)]

pub use gclab_core::{
    AllocError, CollectionKind, ConfigError, Heap, HeapConfig, Live, ObjRef, Pause, RefError, Root, Stats, Tag,
    VerifyError, MAX_HEAP_LIMIT, MAX_SLOTS, MIN_HEAP_LIMIT,
};

/// What an `AllocError` says (`error.kind()`), and the figures of `RefError`'s boxed variants.
pub use gclab_core::{AllocErrorKind, DataOutOfBounds, RootOutOfBounds, SlotOutOfBounds};

/// What a backend author builds collectors from: object memory and its validated access,
/// raw object views, side bitmaps and tables, the root tables, statistics recording, the
/// trigger policy, and the spaces (memory policies) of `gclab-space`.
///
/// A runtime author does not need this module: [`Heap::memory`] returns
/// an [`ObjectMemory`](backend::ObjectMemory), but nothing reachable from it through safe
/// calls can corrupt a heap.
pub mod backend {
    pub use gclab_core::{
        check_from_roots, ensure, object_size, plain_roots_and_memory, AllocateObject, HeapId, Object, ObjectMemory,
        PauseTimer, RootStack, RootTable, Roots, SideBitmap, SideTable, Slot, Trigger, ValidBits, VirtualRegion,
        CARVE_ALIGN, GRANULE, HEADER_BYTES, MAX_RESERVE, PAGE_SIZE,
    };
    pub use gclab_space::{
        mark_transitive, BumpSpace, LargeObjectSpace, PoolConfig, PoolSpace, SizeClasses, MAX_CLASS_BYTES,
    };
}

/// The mark-sweep backend.
#[cfg(feature = "marksweep")]
pub use gclab_marksweep::{MarkSweepConfig, MarkSweepHeap};

/// The reference-counting backend with CPython's cycle detector.
#[cfg(feature = "refcount")]
pub use gclab_refcount::{GcInfo, GcPhase, GenerationStats, RefcountConfig, RefcountHeap};

/// The no-collection baseline: bump allocation that never frees. Never the [`DefaultHeap`]:
/// it shows what allocation costs with no collector at all (including the fresh pages it
/// keeps faulting in), not a lower bound on any collector's time.
#[cfg(feature = "nogc")]
pub use gclab_nogc::NoGcHeap;

/// The generational backend: a copying nursery over the mark-sweep old space.
#[cfg(feature = "generational")]
pub use gclab_generational::{GenerationalConfig, GenerationalHeap, GenerationalStats};

/// The concurrent backend: snapshot-at-the-beginning marking on collector threads while the
/// mutator runs, lazy sweeping.
#[cfg(feature = "concurrent")]
pub use gclab_concurrent::{ConcurrentConfig, ConcurrentHeap};

/// The first enabled backend, by priority: `marksweep`, `refcount`. See "Which backend
/// `DefaultHeap` is" in the crate documentation before relying on it.
#[cfg(feature = "marksweep")]
pub type DefaultHeap = gclab_marksweep::MarkSweepHeap;

/// The first enabled backend, by priority: `marksweep`, `refcount`. See "Which backend
/// `DefaultHeap` is" in the crate documentation before relying on it.
#[cfg(all(feature = "refcount", not(feature = "marksweep")))]
pub type DefaultHeap = gclab_refcount::RefcountHeap;

#[cfg(all(doctest, feature = "marksweep", feature = "refcount"))]
mod compile_fail;

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
