//! A generational collector: a bump-allocated copying nursery with survivor ageing, over the
//! mark-sweep old space, with an object-remembering write barrier.
//!
//! # Algorithm
//!
//! Most objects die young, so the heap is split by age. Every object of up to 8 KiB is born
//! in **eden**, a contiguous range where allocation is a compare and an add (the cursor
//! against the limit), inlined into the caller. Larger objects, and objects larger than
//! eden, are born old (*pretenured*).
//!
//! When eden is full, a **minor collection** evacuates the young objects that are still
//! reachable, never looking at the old space as a whole:
//!
//! 1. The roots (root stack, handles) and the **remembered set** (old objects that may refer
//!    to young ones) are scanned; each young object they reach is copied, header and all
//!    (same tag, sequence number, immutability, slots and data), into the empty survivor
//!    space (*to-space*) and its age incremented, or, once it has survived `threshold` minor
//!    collections (or the to-space is full), promoted into the old space's pools. The old
//!    copy's header word 1 becomes a forwarding word (`Object::forward_to`: bit 31 of meta
//!    set, the new granule in the data-length word), so every later reference to it is
//!    rewritten to the same copy.
//! 2. A **Cheney scan** then walks the to-space from its start, and a work list of the
//!    promoted objects, forwarding what their slots reach, until both are exhausted. No
//!    recursion: the to-space is its own queue.
//! 3. Eden and the from-space are emptied by clearing their valid bits (so a reference kept
//!    in a Rust local across the collection is reported as a stale reference) and moving the
//!    cursors back. Their pages stay committed and are reused by the next cycle: no page
//!    faults, no system calls.
//!
//! The tenuring threshold adapts after every minor collection as HotSpot's DefNew does: the
//! lowest age at which the survivors of that age or younger fill half a survivor space,
//! capped by [`GenerationalConfig::tenuring_age`].
//!
//! The **old space** is the foundation's pool and large-object spaces, collected by the same
//! mark-sweep machinery as the `marksweep` backend (`gclab_space::mark_transitive`, the
//! spaces' sweeps). A **major (full) collection** marks the whole heap from the roots, young
//! objects included, sweeps the old space, drops dead young objects, and then evacuates the
//! live young ones as a minor collection would. It runs when the old space's bytes in use pass
//! `max(initial_trigger, live after the last major × growth_factor)`, or when a minor
//! collection could not be guaranteed to fit its promotions under the heap limit.
//!
//! # The write barrier, and why this one
//!
//! Every reference store goes through `try_store`, which runs an *object-remembering* barrier
//! with a log bit, as mmtk-core's `ObjectBarrier`: if the value is young (one subtraction and
//! compare against the nursery's range, which is contiguous) and the target object's
//! `UNLOGGED` header bit is set (one bit test in the header word the store reads anyway to
//! check bounds and immutability), the slow path clears the bit and appends the object to the
//! remembered set. An old object is thus logged at most once between minor collections,
//! however many stores it takes, and the minor collection scans exactly the logged objects.
//! Young objects are born with the bit clear, so stores into them never take the slow path.
//!
//! A card table would cost a store on every reference write and a scan of dirty cards
//! across the whole old space; the object log costs a well-predicted branch and scans only
//! what was written. Its weakness is the large array, logged whole for one store: objects of
//! more than 1,024 slots are therefore remembered by *card* (a 128-slot chunk), and a minor
//! collection scans only the chunks written since the last one.
//!
//! `allocate_from_roots` and `allocate_immutable` into an object born old run the barrier
//! for the slots they fill.
//!
//! # Invariants
//!
//! - Valid bits are set exactly at allocated objects; none in the to-space, none in eden or
//!   the from-space past their cursors.
//! - Outside a collection no object is forwarded and no mark bit is set.
//! - Every old object that refers to a young one is in the remembered set (its `UNLOGGED`
//!   bit clear), or, for a large array, the chunk holding that slot is; every other old
//!   object has `UNLOGGED` set; young objects never do.
//! - Promotion never fails midway: a minor collection starts only when the old space can
//!   take every young object (at the worst packing of its size class, plus a pool per class) under the
//!   heap limit; otherwise a full collection runs, and if even after it the young survivors
//!   cannot all be promoted, they stay where they are and the allocation reports
//!   [`AllocErrorKind::HeapExhausted`](gclab_core::AllocErrorKind).
//!
//! # Costs
//!
//! - Allocation: a bump of eden's cursor, inlined; the header written and the unfilled part
//!   cleared (eden is reused, so not zero). No per-object statistics: eden's allocations are
//!   counted at each collection.
//! - Store: validation of both references, the barrier's compare and bit test; the slow path
//!   once per old object per minor cycle (counted: `barrier_slow_path`).
//! - Minor collection: proportional to the survivors' bytes plus the remembered set, plus a
//!   clear of eden's valid bits (a bit per 16 bytes).
//! - Major collection: as mark-sweep over the whole heap, plus a minor collection.
//! - Space: the nursery (eden plus two survivor spaces of `eden / survivor_ratio`) is held
//!   for the heap's whole life; the old space as in `marksweep`; three bits of side
//!   metadata per 16 bytes (valid, mark, card).
//!
//! ```
//! use gclab_generational::GenerationalHeap;
//! use gclab_core::{CollectionKind, Heap, Tag};
//!
//! let mut heap = GenerationalHeap::new();
//! let node = heap.allocate(Tag(1), 1, 8).unwrap();
//! heap.data_mut(node).copy_from_slice(&7u64.to_le_bytes());
//! let hash = heap.identity_hash(node);
//! let root = heap.root(node);
//! heap.collect(CollectionKind::Minor); // the node moves to a survivor space
//! let moved = root.get();
//! assert_ne!(moved, node, "a copying collector moves the object");
//! assert_eq!(heap.data(moved), &7u64.to_le_bytes());
//! assert_eq!(heap.identity_hash(moved), hash, "the identity hash survives the move");
//! assert!(heap.try_check(node).is_err(), "the old reference is stale");
//! ```

#![warn(missing_docs)]

mod config;
mod evacuate;
mod heap;
mod meta;
mod nursery;
mod remembered;
mod verify;

pub use config::{GenerationalConfig, DEFAULT_NURSERY_BYTES, MIN_NURSERY_BYTES, NURSERY_VAR};
pub use heap::{GenerationalHeap, GenerationalStats, REMEMBERED_LOG};
pub use remembered::{CARDED_SLOTS, CARD_SLOTS};

#[doc(no_inline)]
pub use gclab_core::{Heap, HeapConfig};
