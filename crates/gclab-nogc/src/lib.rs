//! The no-GC baseline: bump allocation that never frees.
//!
//! Every object, small or large, is laid after the previous one in a single
//! [`BumpSpace`](gclab_space::BumpSpace) as large as the heap limit, and stays there until the
//! heap is dropped. Collections do nothing and record nothing (no pause, no collection count):
//! the mutator never stops. Its run time is therefore the lower bound a collector is compared
//! against — the cost of the mutator and of allocation alone — for every workload whose total
//! allocation fits under the heap limit; a workload that allocates more fails with
//! `AllocErrorKind::HeapExhausted`, as Epsilon GC (JEP 318) fails with an `OutOfMemoryError`.
//!
//! # Choices
//!
//! - **Large objects are bumped too**, not placed in a `LargeObjectSpace`: nothing is ever
//!   freed, so page-granular runs would only add rounding and a map insertion per object.
//!   Memory fresh from the system is zero, so no object is cleared.
//! - **`live_objects()` is every object allocated**: nothing is ever reclaimed, so the
//!   conformance suite's exact live-count check cannot hold; only its safety checks that do
//!   not depend on reclamation apply.
//! - **Stores have no barrier**: the heap never traces, so a store validates both references
//!   and writes the slot.
//! - `heap_bytes` is the pages the cursor has reached, so the peak heap equals the bytes
//!   allocated rounded up to a page.
//!
//! ```
//! use gclab_core::{CollectionKind, Heap, Tag};
//! use gclab_nogc::NoGcHeap;
//!
//! let mut heap = NoGcHeap::new();
//! let a = heap.allocate(Tag(1), 1, 0).unwrap();
//! heap.store(a, 0, Some(a));
//! heap.collect(CollectionKind::Full); // does nothing
//! assert_eq!(heap.live_objects(), 1);
//! assert_eq!(heap.stats().full_collections, 0);
//! ```

mod plan;

pub use plan::NoGcHeap;

#[doc(no_inline)]
pub use gclab_core::{Heap, HeapConfig};
