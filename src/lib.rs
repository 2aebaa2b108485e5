//! gclab: pluggable garbage collectors behind one heap trait.
//!
//! Pick a backend with a cargo feature; [`DefaultHeap`] names the first enabled one in this
//! order: `marksweep`, `refcount`. Code written against [`Heap`] runs on any backend. The
//! `nogc` feature adds `NoGcHeap`, the no-GC baseline (bump allocation, never freed), which is
//! never the default.
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

#![warn(missing_docs)]

pub use gclab_core::*;

/// The mark-sweep backend.
#[cfg(feature = "marksweep")]
pub use gclab_marksweep::{MarkSweepConfig, MarkSweepHeap};

/// The reference-counting backend with CPython's cycle detector.
#[cfg(feature = "refcount")]
pub use gclab_refcount::{GcInfo, GcPhase, GenerationStats, RefcountConfig, RefcountHeap};

/// The no-GC baseline: bump allocation that never frees. Never the [`DefaultHeap`]: it is
/// the lower bound collectors are measured against, not a collector.
#[cfg(feature = "nogc")]
pub use gclab_nogc::NoGcHeap;

/// The first enabled backend, by priority: `marksweep`, `refcount`.
#[cfg(feature = "marksweep")]
pub type DefaultHeap = gclab_marksweep::MarkSweepHeap;

/// The first enabled backend, by priority: `marksweep`, `refcount`.
#[cfg(all(feature = "refcount", not(feature = "marksweep")))]
pub type DefaultHeap = gclab_refcount::RefcountHeap;
