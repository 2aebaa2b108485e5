//! CPython's memory management, rebuilt: reference counts, a generational cycle detector, and
//! obmalloc-style pools.
//!
//! # Algorithm
//!
//! **Counting.** Every strong reference is counted in the object's header word: reference
//! slots (on `store` the new referent is incremented before the old one is decremented),
//! root-stack entries and RAII handles. A count that reaches zero frees the object at once —
//! deterministic, as CPython's `del` — and decrements what it referred to, through an explicit
//! list rather than recursion, so dropping the head of a ten-million-node list frees it all in
//! constant native stack (CPython needs its "trashcan" for that).
//!
//! Two references are settled at the next allocation or collection rather than at once,
//! because the mutator holds them in Rust locals: a value popped from the root stack is owned
//! by the caller until then (CPython's stack pop transfers ownership the same way), and a new
//! object that nothing refers to yet is freed then if still unreferenced. Dropped `Root`
//! handles are released then too (a handle's `Drop` cannot reach the heap).
//! [`Heap::allocate_from_roots`](gclab_core::Heap::allocate_from_roots) moves root-stack
//! entries into a new object's slots with their counts, as CPython's `BUILD_TUPLE` steals its
//! operands: no count changes at all.
//!
//! **Cycles.** Containers (objects with at least one slot) are tracked in three generations,
//! from their first reference; an immutable object (`Heap::allocate_immutable`, a runtime's
//! tuple) only if a referent may be tracked — CPython's tuple untracking, decided at creation.
//! Generation 0 collects when its count (tracked allocations minus deallocations) passes its
//! threshold; generation `g + 1` when generation `g` has been collected more than its
//! threshold times; the full collection only when more than 25% of the long-lived containers
//! are new since the last one. Defaults `(2000, 10, 10)`, as CPython 3.13. A collection is
//! trial deletion — see [`RefcountHeap::collect_generation`]: the side entry of each member
//! counts the references to it from other members; a member with more references than that
//! is held from outside and reachable, with everything it reaches; the rest is garbage.
//!
//! **Memory.** A [`gclab_space::PoolSpace`] with obmalloc's geometry: 1 MiB arenas, 16 KiB
//! pools of one 16-byte size class up to 512 bytes, allocation from the fullest arena, emptied
//! pools reusable by any class, wholly free arenas returned to the system beyond a reserve.
//! Freed cells first go to the space's per-class cell cache (a LIFO list, as glibc's tcache),
//! where the next allocation of their size takes them back without touching pool descriptors;
//! the cache is flushed to the pools when it exceeds half the committed pool memory, before
//! a new pool is taken, and at full collections. Objects up to 8 KiB use coarser medium
//! classes instead of `malloc`; larger ones the large-object space.
//!
//! # Differences from CPython
//!
//! - Collector bookkeeping is on the side: generation membership and a collection's scratch
//!   counts in one side-table entry per container. A collection writes no object header, so
//!   scanning old objects does not dirty their pages (CPython writes every header it scans).
//! - Untracking is one side-table write: the container's list entry goes stale and is
//!   dropped when the list is next compacted or collected.
//! - The long-lived counts that gate full collections are exact: each list keeps the count of
//!   containers really on it, and a container freed by its count leaves that count (CPython's
//!   gh-122569 never subtracted those).
//! - There are no finalizers or weak references yet, so no object is ever uncollectable.
//!
//! # Invariants
//!
//! - Each object's count equals the references to it from slots, the root stack, live handles
//!   and unsettled pops; only the newest object may have a zero count.
//! - Exactly the mutable containers that have held a reference, and the immutable objects with
//!   a referent that may be tracked, are tracked, each at the list position its side entry
//!   names; each list's count is the number of such containers on it.
//!
//! # Costs
//!
//! - Store: validation, one increment, one decrement; freeing is proportional to what is freed.
//! - Allocation: a cell from the cache or a pool; a container is pushed on generation 0 at its
//!   first reference.
//! - Freeing: one decrement per referent, one side-table write if tracked, a cache push.
//! - Collection of a generation: linear in its containers and their slots.
//!
//! ```
//! use gclab_core::{Heap, Tag};
//! use gclab_refcount::RefcountHeap;
//!
//! let mut heap = RefcountHeap::new();
//! let a = heap.allocate(Tag(1), 1, 0).unwrap();
//! heap.push_root(Some(a));
//! let b = heap.allocate(Tag(1), 1, 0).unwrap();
//! heap.store(a, 0, Some(b));
//! heap.store(b, 0, Some(a)); // a cycle
//! assert_eq!(heap.refcount(a), 2);
//! heap.truncate_roots(0); // drop the root: the cycle is garbage, but counts stay at 1
//! assert_eq!(heap.live_objects(), 2);
//! assert_eq!(heap.collect_generation(2), 2); // the detector finds it
//! assert_eq!(heap.live_objects(), 0);
//! ```

#![warn(missing_docs)]

mod config;
mod cycles;
mod generations;
mod heap;
mod verify;

pub use config::{RefcountConfig, DEFAULT_THRESHOLDS};
pub use cycles::{GcInfo, GcPhase, GenerationStats};
pub use heap::RefcountHeap;
