//! A concurrent tri-color collector: marking runs on collector threads while the mutator
//! allocates and stores; sweeping is lazy and done by the mutator in bounded increments.
//! Non-moving, over the same size-class pools and large-object space as `gclab-marksweep`.
//!
//! # Algorithm
//!
//! A **cycle** has three phases (docs/concurrent.md has the proof sketch and the figures):
//!
//! 1. **Initial handshake** (a pause, logged as `CollectionKind::InitialMark`): every root
//!    (root-stack entry and `Root` handle) is marked and queued grey for the markers. Time
//!    proportional to the roots, not to the heap. The markers were woken ahead of it, at an
//!    allocation slow path, and linger polling for work, so the handshake makes no system
//!    call (a wake-up from inside a pause cost the mutator up to milliseconds on a 2-core
//!    VM); only markers that have slept for a long while are woken here.
//! 2. **Concurrent marking** on `markers` threads (default: available cores minus one, at
//!    least one). Each marker pops a grey object from its own crossbeam LIFO deque (stealing
//!    from the global injector and the other markers when it runs dry), reads its slots with
//!    acquire loads and marks each white referent with an atomic `fetch_or` on the mark
//!    bitmap, pushing the ones it marked. Meanwhile the mutator runs:
//!    - **allocate white**: a small object made while marking is left white. Unless the
//!      mutator publishes it — stores it in a slot or on the roots, where the barrier shades
//!      it — it dies with this cycle (most objects: on churn, the temporaries). Its slots
//!      only ever hold marked objects (values stored are shaded, references moved in from
//!      the roots are marked), so marking it without a scan is always sound; the final
//!      handshake does that for the newest one, which the mutator may still hold unrooted
//!      when the handshake runs at a store or a safepoint. Large objects are allocated
//!      black;
//!    - **write barrier** (snapshot-at-the-beginning): a store while marking shades the
//!      overwritten referent (Yuasa's deletion barrier) *and* the value written; a reference
//!      pushed on the root stack or into a handle is shaded too. Shading sets the mark bit
//!      and, unless every referent of the object (of at most 16 slots) is marked already —
//!      then it is black at once, as every object allocated while marking is when it is
//!      published — appends the granule to the mutator's buffer, handed to the markers in batches
//!      of 256 and at every handshake (plain pushes: a marker out of work lingers, polling,
//!      for 20 ms before it sleeps, and only a sleeping one needs a wake-up);
//!    - slot stores use release ordering while a cycle runs.
//! 3. **Final handshake** (a pause, `CollectionKind::FinalMark`), run at the first
//!    allocation, store or [`Heap::safepoint`] after the markers went idle: the barrier
//!    buffer is flushed; if the injector is then empty and no marker is busy, marking is
//!    complete; otherwise the mutator goes on and tries again later. Then the **lazy
//!    sweep** begins: in O(1), a new sweep epoch of the pool space.
//!
//! The lazy sweep is done by the mutator, a few pools (`sweep_budget`, default 32) at every
//! allocation slow path (a new 16 KiB run) and safepoint, in two stages (see
//! `gclab_space`'s `PoolSpace::begin_lazy_sweep`): first every dead small object is
//! *invalidated* (its valid bit cleared; nothing freed), then dead large objects are
//! invalidated too (at one step, no system call), then dead small cells are *freed* onto
//! their pools' free lists, a pool before a run is opened on it, while the dead large
//! objects' pages are released one object per increment. The next cycle starts only after
//! the sweep is done.
//!
//! # Invariants
//!
//! - *Snapshot*: every object reachable at the initial handshake, every object written into
//!   a slot or root since, and the newest object allocated, is marked when marking
//!   terminates. (Weak tri-color invariant: every white object reachable at the snapshot is
//!   reachable from a grey object through white objects, or was shaded by the barrier.) An
//!   object allocated while marking and never published is reachable from nothing; the
//!   contract already lets an allocation invalidate unrooted references, so only the newest
//!   one must outlive a handshake that is not at an allocation.
//! - *Closure*: outside a sweep, every slot of every valid object refers to a valid
//!   object; during the sweep, every slot of every live (marked, or allocated since marking
//!   ended) object
//!   refers to a live object, and stores and root writes refuse dead objects not yet swept
//!   (`RefError::Stale`), as a stop-the-world collector would have freed them.
//! - *No freeing while marking*: only the mutator frees, decommits, re-classes or hands out
//!   memory, and never while markers run; collector threads read headers and slots of marked
//!   objects and write only the mark bitmap and their own deques. So a `&[u8]` from
//!   `data()` can never change underneath its reader.
//! - *Invalidate before free*: during the sweep, no dead cell is freed before every dead
//!   object is invalid, so the unchecked read path (`Live::load`) can never walk from a
//!   still-valid dead object into a freed cell.
//! - Outside a cycle, every mark bit is clear.
//!
//! # Termination
//!
//! Markers push only to their own deques; only the mutator pushes to the injector. A marker
//! counts itself busy before it takes work and idle only when it holds none. At the final
//! handshake the mutator has flushed its buffer; if it then sees the injector empty and no
//! marker busy (sequentially consistent loads), no grey object exists. Roots are not
//! rescanned (snapshot-at-the-beginning), and every object the mutator can still reach from
//! a root is marked or shaded, so no new grey object can appear: marking is complete. (The
//! newest object, which it may hold unrooted, is marked by the handshake without a scan: its
//! slots hold marked objects only.)
//!
//! # Memory model
//!
//! Slots are atomic words. The mutator's slot stores while a cycle runs use `Release`; the
//! markers' slot loads use `Acquire`. Whatever the mutator did before publishing an object
//! in a slot — writing its header and slots, non-atomically, when it allocated it white — is
//! therefore visible to a marker that reads the slot and then scans the object (the loom
//! model reports the data race on the new object's body when that store is `Relaxed`).
//! An object published through the barrier buffer reaches a marker through the injector,
//! which synchronises the same way. Mark bits
//! shared by a marker and the mutator are set only with atomic read-modify-writes. Work
//! handed through the injector and the wake-up mutex synchronises the mutator's earlier
//! writes with the marker that takes it. On x86-64 all of these are plain moves except the
//! `fetch_or`s.
//!
//! # Costs
//!
//! - Outside a cycle, a store and an allocation each test one well-predicted flag.
//! - During a cycle: a store loads the old value and tests two mark bits (a `fetch_or` and
//!   a buffer push for each one that was white); an allocation records itself as the newest
//!   object while marking, and sets its mark bit during the sweep in pools not yet swept.
//! - Marking: each object popped passes through a 16-entry prefetch window
//!   ([`gclab_space::PrefetchWindow`]) before it is scanned, so on a heap in random order
//!   its cache miss overlaps the scans of the objects ahead of it.
//! - The initial handshake is proportional to the roots; the final one to the barrier buffer
//!   (at most 256 entries) plus a check of the queues (and, in checkmark mode only, a full
//!   re-mark). Dead large objects are invalidated at one sweep step (a mark test per large
//!   object, no system call) and their pages released one object per later step.
//! - A mutator assist (while marking is behind the pacer's schedule) is at most 50 µs and
//!   4096 objects of at most 4096 slots each, and stops when its stack holds 256 grey objects
//!   (handed to the injector inside the pause); logged as a pause.
//! - Time to safepoint: the mutator runs a handshake at its next allocation, store or
//!   `safepoint()` call after the markers went quiet; a loop that does none of these delays
//!   the end of marking (it never blocks the markers, and nothing waits for it).
//!
//! # Pacing
//!
//! The trigger's goal is `max(initial_trigger, traced × growth_factor)` bytes, `traced` being
//! what the last marking found live: the objects it scanned, at the live objects' mean size
//! (objects published while marking are marked without a scan and mostly die soon; objects
//! allocated during the sweep are kept by it whether
//! or not they are still reachable: they do not raise the goal, and the next cycle's budget
//! does not pay for them; those allocated during marking die with the cycle unless
//! published, so the bytes in use peak at about the goal). Marking starts when the bytes counted since reach `goal − headroom`, the
//! headroom being what the mutator, at its allocation rate over the last cycle, allocates while
//! the markers alone, at their rate in the last marking, redo the last marking's work, plus
//! a quarter (clamped to between 1/16 of the goal and `goal − traced`); the markers are woken
//! when about 5 ms of allocation (at that rate) is left before it. While marking, every
//! allocation slow path (a new 16 KiB run, a large object) compares the share of the
//! expected work done with the share of the allocation budget (`goal` less the bytes in use
//! when marking started) spent, allowing the markers a lag of 1/16 of the work (they publish
//! progress every 32 objects, and a marker takes a moment to start); both rates are averaged
//! over cycles, as one cycle's figures made the start oscillate. When marking is behind (or
//! the goal is passed), the mutator
//! **assists**: it marks a bounded increment itself (at most 50 µs and 4096 objects, starting
//! with its barrier buffer; what it leaves grey goes back to the injector), logged as a pause
//! (`CollectionKind::Assist`). No allocation waits for the whole of marking. Past the goal
//! while sweeping, each sweep increment is eight times larger. When the heap limit refuses
//! memory, the mutator runs a full collection (`Full`) before reporting `HeapExhausted`.
//!
//! ```
//! use gclab_concurrent::ConcurrentHeap;
//! use gclab_core::{CollectionKind, Heap, Tag};
//!
//! let mut heap = ConcurrentHeap::new();
//! let node = heap.allocate(Tag(1), 1, 0).unwrap();
//! heap.store(node, 0, Some(node)); // a self-cycle
//! heap.collect(CollectionKind::Full);
//! assert_eq!(heap.live_objects(), 0); // unrooted, so reclaimed
//! ```

#![warn(missing_docs)]

mod marker;
mod plan;

pub use plan::{ConcurrentConfig, ConcurrentHeap};

#[doc(no_inline)]
pub use gclab_core::{Heap, HeapConfig};
