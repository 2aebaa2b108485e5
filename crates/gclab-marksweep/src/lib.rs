//! A non-moving, stop-the-world mark-sweep collector.
//!
//! # Algorithm
//!
//! Objects up to 8 KiB live in a [`PoolSpace`]: 1 MiB arenas taken from the system, cut into
//! 16 KiB pools of one size class each (16-byte steps to 512 bytes as CPython's obmalloc, then
//! quarter-power-of-two steps to 8 KiB), with a free list and a bump pointer per pool.
//! Larger objects get their own pages in a [`LargeObjectSpace`].
//!
//! A collection stops the mutator (it runs inside `allocate` or `collect`, which hold
//! `&mut self`), then:
//!
//! 1. **Mark**: every root is marked in a side bitmap (one bit per 16-byte granule) and pushed
//!    on an explicit work stack; popping an object marks and pushes each unmarked referent.
//!    No recursion, so a list of ten million nodes needs no more native stack than one node.
//! 2. **Sweep**: the pool space walks its pools in use a bitmap word (64 granules) at a time;
//!    `valid & !mark` names the dead cells, which return to their pool's free list. A pool that
//!    empties goes back to its arena, free for any size class; wholly empty arenas beyond what
//!    the next cycle's allocation will need are returned to the system. Dead large objects
//!    release their pages at once. Mark bits are cleared as the sweep passes, so no separate
//!    clearing pass is needed.
//!
//! # Invariants
//!
//! - A valid-object bit is set exactly where an allocated object starts; references in slots
//!   and roots always point at such objects (every store and root push is validated, and a
//!   collection frees only unmarked objects, which nothing marked refers to).
//! - Outside a collection, every mark bit is clear.
//! - Pool, arena and large-space bookkeeping satisfy the checks of [`Heap::verify`].
//!
//! # Costs
//!
//! - Allocation: a bump or a free-list pop in the size class's open *run* (a pool taken whole,
//!   TLAB-style), inlined into the caller; the pool descriptors, counters, allocation
//!   statistics and the collection trigger are settled once per run, not per object (objects
//!   above 512 bytes are counted one by one). No system call per object (arenas are 1 MiB,
//!   committed as needed).
//! - Store: validation of both references; no barrier (the collector stops the world and does
//!   not move objects).
//! - Collection: marking is linear in the live objects and their slots; sweeping is linear in
//!   the pools in use (a few words of bitmap per 16 KiB) plus the dead objects.
//! - Space: a 16-byte header per object, up to 15 bytes of rounding below 512 bytes and 25%
//!   above, two bits of side metadata per 16 bytes (valid and mark bitmaps).
//!
//! # Trigger policy
//!
//! A full collection runs when the bytes allocated since the last collection plus the bytes
//! that survived it exceed `max(initial_trigger, live × growth_factor)` (see
//! [`HeapConfig`]), or when taking more memory from the system would pass `heap_limit`. If a
//! full collection cannot make room under the limit, allocation returns
//! `AllocErrorKind::HeapExhausted`.
//!
//! ```
//! use gclab_marksweep::MarkSweepHeap;
//! use gclab_core::{CollectionKind, Heap, Tag};
//!
//! let mut heap = MarkSweepHeap::new();
//! let node = heap.allocate(Tag(1), 1, 0).unwrap();
//! heap.store(node, 0, Some(node)); // a self-cycle
//! heap.collect(CollectionKind::Full);
//! assert_eq!(heap.live_objects(), 0); // unrooted, so reclaimed
//! ```

#![warn(missing_docs)]

mod plan;

pub use plan::{MarkSweepConfig, MarkSweepHeap};

#[doc(no_inline)]
pub use gclab_core::{Heap, HeapConfig};
#[doc(no_inline)]
pub use gclab_space::{LargeObjectSpace, PoolSpace};
