//! Heap limits, tried as a hostile user would: long random programs under tight limits, with
//! small and large objects and small pool geometries, checked after every step; and the
//! hand-made programs that found each limit bug of issue 8.
//!
//! # What is checked
//!
//! After **every** step of a program run by [`LimitRun`]:
//!
//! * the checks of the random-program suite: `verify()` passes, the graph seen from the roots
//!   is the model's, `live_objects()` is at least the reachable count and exactly that right
//!   after a full collection (for a backend that frees);
//! * `heap_bytes <= limit`, by the backend's own figure ([`Backend::heap_bytes`], e.g.
//!   `MarkSweepHeap::heap_bytes`) and by `stats().heap_bytes`, which must **equal** it;
//!   `stats().peak_heap_bytes <= limit` too, so a limit passed inside a step and left again
//!   before it ends is caught.
//!
//! And for every `AllocError::HeapExhausted { requested, heap_bytes, limit }` returned, that the
//! request really could not fit:
//!
//! 1. the error's own figures: `limit` is the configured one, `heap_bytes` is what the heap
//!    holds, `requested` is the request's footprint ([`Footprint::request`]), and
//!    `heap_bytes + requested > limit`;
//! 2. dropping nothing, a full collection is run: the live objects must be exactly the
//!    model's reachable ones (plus the garbage a half-done batch still holds), and what the heap
//!    then holds plus `requested` must still exceed the limit ("even after a full collection",
//!    as the error's message says);
//! 3. the model's bound: the most an **honest** heap can hold for that live set
//!    ([`Footprint::held_bound`]) plus the request must exceed the limit. For pools that bound
//!    is sound whatever the fragmentation: after a full collection that returns every free
//!    pool and arena, each live small object pins at most one pool, and each large object
//!    holds exactly its own pages. A backend that refuses a request the bound says fits is
//!    refusing for want of memory it could have returned, or for want of address space: the
//!    bugs of issue 8 (a 1.2 MB request refused with 20 KB in use under a 2 MiB limit; a
//!    12 KiB object refused with one 16-byte object live under 1 MiB).
//!
//! A small request is charged a whole pool: refused honestly, no pool of its class had a free
//! cell. The bound is loose when many small objects are live (each is charged a whole pool),
//! so the long programs ([`long_program`]) alternate phases that grow the live set mostly with
//! large objects and phases that drain it, and run on 4 KiB pools where the backend allows it;
//! [`LimitReport::sharp_refusals`] counts the refusals the bound could have refuted. Checks 1
//! and 2 hold for every refusal whatever the bound.
//!
//! # Running more
//!
//! [`LongPrograms::from_env`] reads `GCLAB_LONG_PROGRAMS` (programs per limit, default 1),
//! `GCLAB_LONG_STEPS` (ops per program) and `GCLAB_LONG_SEED` (the first seed, default 0).
//! Programs are made from their seed ([`long_program`]), so a failure names the seed that
//! replays it, and is shrunk (for at most `GCLAB_SHRINK_SECS` seconds, default 60) to a
//! shorter program that still fails.

use std::time::{Duration, Instant};

use gclab_core::{
    object_size, AllocError, AllocErrorKind, CollectionKind, ConfigError, Heap, HeapConfig, Root, PAGE_SIZE,
};
use proptest::prelude::*;
use proptest::strategy::{Union, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::runner::{apply, check_isomorphic, format_program, ApplyError};
use crate::{Model, Op, Step, LARGE_SLOTS};

/// How a backend holds memory from the system, as far as the limit checks need to know: what
/// one request takes, and the most an honest heap holds for a given live set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Footprint {
    /// A size-class pool space beside a page-granular large-object space (marksweep,
    /// refcount): objects of up to `max_small_bytes` bytes (header included) live in cells of
    /// pools of `pool_bytes` each; a larger object lives alone on its own 4 KiB pages.
    Pools {
        /// Bytes per pool (`PoolConfig::pool_bytes`).
        pool_bytes: usize,
        /// The largest object the pools serve (`PoolConfig::max_object_bytes`).
        max_small_bytes: usize,
    },
    /// One bump space that never frees (nogc): every object ever allocated is held, end to end.
    Bump,
    /// A nursery of `nursery_bytes` held for the heap's whole life, in front of a pool space
    /// and a large-object space as in [`Footprint::Pools`] (generational). A refused young
    /// allocation means the nursery's survivors could not be promoted: it is charged a pool,
    /// as a refused small object is.
    Nursery {
        /// Bytes the nursery holds from the system (`GenerationalHeap::heap_bytes` of a fresh heap).
        nursery_bytes: usize,
        /// Bytes per pool of the old space.
        pool_bytes: usize,
        /// The largest object the pools serve.
        max_small_bytes: usize,
    },
}

impl Footprint {
    /// The default pool geometry of marksweep and refcount: 16 KiB pools, objects up to 8 KiB.
    pub const DEFAULT_POOLS: Footprint = Footprint::Pools { pool_bytes: 16 << 10, max_small_bytes: 8 << 10 };

    /// Whether an object of `size` bytes goes to the large-object space.
    pub fn is_large(&self, size: usize) -> bool {
        match *self {
            Footprint::Pools { max_small_bytes, .. } | Footprint::Nursery { max_small_bytes, .. } => {
                size > max_small_bytes
            }
            Footprint::Bump => false,
        }
    }

    /// What a request for an object of `size` bytes (as laid out, header included) needs
    /// from the system when the heap holds no free room for it — what `HeapExhausted` reports
    /// as `requested`: a new pool for a small object, its pages for a large one, the object
    /// itself in a bump space.
    pub fn request(&self, size: usize) -> usize {
        match *self {
            Footprint::Pools { pool_bytes, max_small_bytes }
            | Footprint::Nursery { pool_bytes, max_small_bytes, .. }
                if size <= max_small_bytes =>
            {
                pool_bytes
            }
            Footprint::Pools { .. } | Footprint::Nursery { .. } => size.next_multiple_of(PAGE_SIZE),
            Footprint::Bump => size,
        }
    }

    /// The most an honest heap holds from the system, after a full collection that returns
    /// every free pool and arena, when the objects of sizes `live` are live and `allocated`
    /// bytes were allocated in all: a pool per live small object (the worst fragmentation:
    /// each alone in its pool) and the pages of each large one; for a bump space, everything
    /// ever allocated.
    pub fn held_bound(&self, live: impl IntoIterator<Item = usize>, allocated: usize) -> usize {
        match *self {
            Footprint::Pools { .. } => live.into_iter().map(|size| self.request(size)).sum(),
            Footprint::Nursery { nursery_bytes, .. } => {
                nursery_bytes + live.into_iter().map(|size| self.request(size)).sum::<usize>()
            }
            Footprint::Bump => allocated,
        }
    }

    fn frees(&self) -> bool {
        !matches!(self, Footprint::Bump)
    }

    /// The most an honest heap can hold under `limit`: the limit itself for pools, whose
    /// unit divides pages; whole pages below it for a bump space, whose pages the kernel
    /// commits as the cursor first touches them (a space ending inside a page would pass the
    /// limit).
    pub fn usable_limit(&self, limit: usize) -> usize {
        match *self {
            Footprint::Pools { .. } | Footprint::Nursery { .. } => limit,
            Footprint::Bump => limit / PAGE_SIZE * PAGE_SIZE,
        }
    }
}

/// A backend as the limit checks drive it: how to make a heap of a given limit (with the
/// backend's own settings, say a small pool geometry), the backend's own figure of bytes held
/// from the system, and how it holds memory.
pub struct Backend<H> {
    /// Names the backend and its settings in failure messages.
    pub label: &'static str,
    /// Makes a heap from the limit and trigger the checks choose.
    pub make: fn(HeapConfig) -> Result<H, ConfigError>,
    /// The backend's own figure of bytes held from the system (`MarkSweepHeap::heap_bytes`,
    /// `RefcountHeap::heap_bytes`, `NoGcHeap::heap_bytes`): `stats().heap_bytes` must equal it.
    pub heap_bytes: fn(&H) -> usize,
    /// How the backend holds memory.
    pub footprint: Footprint,
}

impl<H: Heap> Backend<H> {
    /// A backend made by `H::with_config`, with its default settings.
    pub fn new(label: &'static str, heap_bytes: fn(&H) -> usize, footprint: Footprint) -> Self {
        Backend { label, make: H::with_config, heap_bytes, footprint }
    }

    /// The same backend made by `make` (backend-specific settings, e.g. a pool geometry that
    /// `footprint` must describe).
    pub fn made_by(self, make: fn(HeapConfig) -> Result<H, ConfigError>) -> Self {
        Backend { make, ..self }
    }
}

impl<H> Clone for Backend<H> {
    fn clone(&self) -> Self {
        Backend { label: self.label, make: self.make, heap_bytes: self.heap_bytes, footprint: self.footprint }
    }
}

/// What a run did, as [`LimitRun::report`] returns it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LimitReport {
    /// Ops that applied (the others were no-ops in the state they met).
    pub steps: u64,
    /// Objects allocated (garbage included).
    pub allocations: u64,
    /// Of which large (over the pools' largest object).
    pub large_allocations: u64,
    /// `HeapExhausted` errors returned, each checked.
    pub refusals: u64,
    /// Of which for large objects.
    pub large_refusals: u64,
    /// Refusals the model's bound could have caught: those where the live set's bound was
    /// under the limit, so that only the request's size made it not fit (where the bound is
    /// over the limit, check 3 of the module documentation holds whatever the heap does).
    pub sharp_refusals: u64,
    /// The most bytes the heap held (`stats().peak_heap_bytes`).
    pub peak_heap_bytes: usize,
    /// Collections run, explicit and automatic (the statistics' count).
    pub collections: u64,
}

impl LimitReport {
    /// Adds another report's counts to this one (the peak is the larger).
    pub fn add(&mut self, other: LimitReport) {
        self.steps += other.steps;
        self.allocations += other.allocations;
        self.large_allocations += other.large_allocations;
        self.refusals += other.refusals;
        self.large_refusals += other.large_refusals;
        self.sharp_refusals += other.sharp_refusals;
        self.peak_heap_bytes = self.peak_heap_bytes.max(other.peak_heap_bytes);
        self.collections += other.collections;
    }
}

/// What one op did in a [`LimitRun`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The op did not apply in the state it met (see [`Model::resolve`]).
    Skipped,
    /// The step applied.
    Applied(Step),
    /// The heap returned this `HeapExhausted`, and the checks found it honest; the model did
    /// not change.
    Refused(Step, AllocError),
}

/// One heap under a limit, driven op by op beside the model, with every check of the module
/// documentation after every op.
pub struct LimitRun<'b, H: Heap> {
    backend: &'b Backend<H>,
    limit: usize,
    heap: H,
    handles: Vec<Root>,
    model: Model,
    /// Bytes allocated in all (object sizes as laid out), garbage included.
    allocated: usize,
    report: LimitReport,
}

impl<'b, H: Heap> LimitRun<'b, H> {
    /// A fresh heap of `backend` made with `config`.
    pub fn new(backend: &'b Backend<H>, config: HeapConfig) -> Result<Self, String> {
        let limit = config.heap_limit;
        let heap = (backend.make)(config).map_err(|e| format!("{}: making the heap: {e}", backend.label))?;
        let run = LimitRun {
            backend,
            limit,
            heap,
            handles: Vec::new(),
            model: Model::new(),
            allocated: 0,
            report: LimitReport::default(),
        };
        run.check_figures()?;
        Ok(run)
    }

    /// The heap.
    pub fn heap(&self) -> &H {
        &self.heap
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The backend's own figure of bytes held from the system.
    pub fn heap_bytes(&self) -> usize {
        (self.backend.heap_bytes)(&self.heap)
    }

    /// The configured limit.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// What the run did so far.
    pub fn report(&self) -> LimitReport {
        let stats = self.heap.stats();
        LimitReport {
            peak_heap_bytes: stats.peak_heap_bytes,
            collections: stats.full_collections + stats.minor_collections,
            ..self.report
        }
    }

    /// Applies `op` to the heap and the model and checks everything; `Err` describes the first
    /// problem.
    pub fn step(&mut self, op: &Op) -> Result<Outcome, String> {
        let Some(step) = self.model.resolve(op) else {
            return Ok(Outcome::Skipped);
        };
        let outcome = match apply(&mut self.heap, &mut self.handles, &step) {
            Ok(()) => {
                self.count_allocations(&step);
                self.model.apply(&step);
                Outcome::Applied(step.clone())
            }
            Err(ApplyError::Alloc { error, slots, bytes, done, scratch }) => {
                let size = object_size(slots, bytes).expect("generated shapes are representable");
                self.count(size, done);
                // A half-done garbage batch: the scratch root holds the newest object, which
                // holds the older ones through slot 1 when the objects have two slots.
                let held = if slots > 1 { done } else { done.min(1) };
                self.check_refusal(&error, size, &vec![size; held])?;
                if scratch {
                    self.heap.try_pop_root().map_err(|e| format!("popping the scratch root: {e}"))?;
                }
                self.report.refusals += 1;
                self.report.large_refusals += u64::from(self.backend.footprint.is_large(size));
                Outcome::Refused(step.clone(), error)
            }
            Err(ApplyError::Other(message)) => return Err(message),
        };
        self.check(&step)?;
        self.report.steps += 1;
        if self.report.steps % 64 == 0 {
            self.model.forget_unreachable();
        }
        Ok(outcome)
    }

    /// Counts `count` objects of `size` bytes allocated.
    fn count(&mut self, size: usize, count: usize) {
        self.allocated += size * count;
        self.report.allocations += count as u64;
        if self.backend.footprint.is_large(size) {
            self.report.large_allocations += count as u64;
        }
    }

    fn count_allocations(&mut self, step: &Step) {
        let (slots, bytes, count) = match *step {
            Step::Alloc { slots, bytes, .. }
            | Step::AllocFromRoots { slots, bytes, .. }
            | Step::AllocImmutable { slots, bytes, .. }
            | Step::AllocInto { slots, bytes, .. } => (slots, bytes, 1),
            Step::AllocGarbage { count, slots, bytes, .. } => (slots, bytes, count),
            _ => return,
        };
        self.count(object_size(slots, bytes).expect("generated shapes are representable"), count);
    }

    /// `stats().heap_bytes` equals the backend's own figure, which is within the limit, and
    /// the peak never passed it.
    fn check_figures(&self) -> Result<(), String> {
        let own = self.heap_bytes();
        let stats = self.heap.stats();
        if stats.heap_bytes != own {
            return Err(format!(
                "stats().heap_bytes is {} but the backend's own figure is {own} (limit {})",
                stats.heap_bytes, self.limit
            ));
        }
        if own > self.limit {
            return Err(format!("the heap holds {own} bytes, over its limit of {}", self.limit));
        }
        if stats.peak_heap_bytes > self.limit {
            return Err(format!(
                "stats().peak_heap_bytes is {}: the heap held more than its limit of {} at some point",
                stats.peak_heap_bytes, self.limit
            ));
        }
        Ok(())
    }

    /// The checks after every step.
    fn check(&self, step: &Step) -> Result<(), String> {
        self.heap.verify().map_err(|e| format!("verify(): {e}"))?;
        self.check_figures()?;
        let reachable = check_isomorphic(&self.heap, &self.handles, &self.model)?;
        let live = self.heap.live_objects();
        if self.backend.footprint.frees() {
            if live < reachable {
                return Err(format!("live_objects() is {live}, but {reachable} objects are reachable"));
            }
            if *step == Step::CollectFull && live != reachable {
                return Err(format!(
                    "live_objects() is {live} right after a full collection, but {reachable} objects are reachable"
                ));
            }
        } else if live as u64 != self.report.allocations {
            return Err(format!(
                "live_objects() is {live}, but {} objects were allocated and none is ever freed",
                self.report.allocations
            ));
        }
        Ok(())
    }

    /// Checks that a refused request for an object of `size` bytes really could not fit (see
    /// the module documentation); `in_flight` are the sizes of objects live on top of the
    /// model's (a half-done garbage batch). Runs a full collection.
    fn check_refusal(&mut self, error: &AllocError, size: usize, in_flight: &[usize]) -> Result<(), String> {
        let footprint = self.backend.footprint;
        let mut request = footprint.request(size);
        let what = format!(
            "a {size}-byte {} object ({request} bytes from the system) was refused",
            if footprint.is_large(size) { "large" } else { "small" }
        );
        let &AllocErrorKind::HeapExhausted { requested, heap_bytes, limit } = error.kind() else {
            return Err(format!("{what} with {error}: only HeapExhausted is expected under a limit"));
        };
        if limit != self.limit {
            return Err(format!("{what}: the error names limit {limit}, the heap's is {}", self.limit));
        }
        // A nursery refuses a young object when its survivors cannot all be promoted: the
        // error then names the pools the promotion needed, whole pools of at least one.
        let nursery_refusal = matches!(footprint, Footprint::Nursery { .. })
            && !footprint.is_large(size)
            && requested >= request
            && requested % request == 0;
        if nursery_refusal {
            request = requested;
        }
        if requested != request {
            return Err(format!("{what}: the error says the request needed {requested} bytes"));
        }
        let usable = footprint.usable_limit(limit);
        if heap_bytes + requested <= usable {
            return Err(format!(
                "{what}, but by the error's own figures it fits: {heap_bytes} held + {requested} <= limit {limit}"
            ));
        }
        if heap_bytes != self.heap_bytes() {
            return Err(format!(
                "{what}: the error says the heap holds {heap_bytes} bytes, it holds {}",
                self.heap_bytes()
            ));
        }
        self.check_figures().map_err(|e| format!("{what}; then {e}"))?;
        // Drop nothing and collect: the request must still not fit.
        self.heap.collect(CollectionKind::Full);
        self.heap.verify().map_err(|e| format!("{what}; after a full collection, verify(): {e}"))?;
        self.check_figures().map_err(|e| format!("{what}; after a full collection, {e}"))?;
        let after = self.heap_bytes();
        if after + request <= usable {
            return Err(format!(
                "{what}, yet right after it, with nothing dropped, a full collection leaves {after} bytes held: \
                 {after} + {request} <= limit {limit}"
            ));
        }
        let reachable = self.model.reachable();
        let live_sizes: Vec<usize> = self
            .model
            .objects
            .iter()
            .zip(&reachable)
            .filter(|&(_, &r)| r)
            .map(|(o, _)| object_size(o.slots.len(), o.data.len()).expect("representable"))
            .chain(in_flight.iter().copied())
            .collect();
        if footprint.frees() {
            let live = self.heap.live_objects();
            if live != live_sizes.len() {
                return Err(format!(
                    "{what}; after a full collection live_objects() is {live}, but {} objects are live",
                    live_sizes.len()
                ));
            }
        }
        let bound = footprint.held_bound(live_sizes.iter().copied(), self.allocated);
        self.report.sharp_refusals += u64::from(bound < usable);
        if bound + request <= usable {
            let small = live_sizes.iter().filter(|&&s| !footprint.is_large(s)).count();
            let large: usize =
                live_sizes.iter().filter(|&&s| footprint.is_large(s)).map(|&s| footprint.request(s)).sum();
            return Err(format!(
                "{what} although it fits: the live set ({small} small objects, {large} bytes of large ones; \
                 {} bytes allocated in all) needs at most {bound} bytes from an honest heap ({footprint:?}), and \
                 {bound} + {request} <= limit {limit} (the heap held {heap_bytes} when it refused, {after} after \
                 a full collection)",
                self.allocated
            ));
        }
        Ok(())
    }
}

/// Runs `program` on a fresh heap of `backend` made with `config`, checking after every op;
/// `Err((n, message))` names the first op that failed a check.
pub fn run_limited_program<H: Heap>(
    backend: &Backend<H>,
    config: HeapConfig,
    program: &[Op],
) -> Result<LimitReport, (usize, String)> {
    let mut run = LimitRun::new(backend, config).map_err(|e| (0, e))?;
    for (n, op) in program.iter().enumerate() {
        run.step(op).map_err(|e| (n, format!("op {n} ({op:?}): {e}")))?;
    }
    Ok(run.report())
}

/// Object shapes `(slots, bytes)` for a heap of `limit` bytes: mostly small (many size
/// classes), some medium (up to 8 KiB, over 4 KiB pools' largest cell), and large ones from
/// 8 KiB up to half the limit, smaller ones likelier (log-uniform).
pub fn limited_shape(limit: usize) -> impl Strategy<Value = (usize, usize)> {
    prop_oneof![
        30 => (0usize..8, 0usize..48),
        8 => (0usize..4, 48usize..700),
        4 => (0usize..2, 700usize..8_200),
        3 => (0usize..3, large_bytes(limit / 2)),
        1 => (Just(LARGE_SLOTS), 0usize..64),
    ]
}

/// Data bytes from 8,200 (over 8 KiB with the header) to `max`, log-uniform.
fn large_bytes(max: usize) -> impl Strategy<Value = usize> {
    let (low, high) = (8_200f64, (max.max(8_200)) as f64);
    (0u32..=1_000).prop_map(move |k| (low * (high / low).powf(f64::from(k) / 1_000.0)) as usize)
}

/// A stretch of a long program, which sets the odds of its ops: the live set grows, churns
/// or drains, so a program meets its limit again and again and lets go of it again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Everything in proportion: allocation, garbage, stores and loads, pops and truncations.
    Churn,
    /// Allocation, mostly of large objects, and hardly any pop: the limit is reached, with
    /// few small objects live, where the model's bound is sharp.
    Grow,
    /// Pops, truncations, cleared entries and dropped handles: the live set shrinks.
    Drain,
}

/// One op of a long program under a limit of `limit` bytes, with the odds of `phase`:
/// allocations of [`limited_shape`]s, garbage batches (small ones that fill pools of many
/// classes, large ones up to a quarter of the limit), stores and loads, pops and
/// truncations to a shallow depth.
pub fn limited_op(limit: usize, phase: Phase) -> Union<BoxedStrategy<Op>> {
    // Weights per phase: (churn, grow, drain).
    let w = |churn: u32, grow: u32, drain: u32| match phase {
        Phase::Churn => churn,
        Phase::Grow => grow,
        Phase::Drain => drain,
    };
    let index = || 0usize..64;
    let alloc = (0u16..1_000, limited_shape(limit)).prop_map(|(tag, (slots, bytes))| Op::Alloc { tag, slots, bytes });
    let alloc_large = (0u16..1_000, 0usize..3, large_bytes(limit / 2)).prop_map(|(tag, slots, bytes)| Op::Alloc {
        tag,
        slots,
        bytes,
    });
    let alloc_into = (index(), index(), 0u16..1_000, limited_shape(limit))
        .prop_map(|(root, slot, tag, (slots, bytes))| Op::AllocInto { root, slot, tag, slots, bytes });
    let alloc_from_roots = (0u16..1_000, limited_shape(limit), 0usize..4)
        .prop_map(|(tag, (slots, bytes), take)| Op::AllocFromRoots { tag, slots, bytes, take });
    let alloc_immutable = (0u16..1_000, limited_shape(limit), 0usize..4)
        .prop_map(|(tag, (slots, bytes), take)| Op::AllocImmutable { tag, slots, bytes, take });
    let garbage = prop_oneof![
        6 => (0usize..300, 0usize..4, 0usize..100),
        1 => (0usize..40, 0usize..3, 100usize..4_000),
        1 => (0usize..6, 0usize..3, large_bytes(limit / 4)),
    ];
    let ops: Vec<(u32, BoxedStrategy<Op>)> = vec![
        (w(20, 4, 6), alloc.boxed()),
        (w(1, 12, 0), alloc_large.boxed()),
        (w(6, 2, 2), alloc_into.boxed()),
        (w(4, 1, 2), alloc_from_roots.boxed()),
        (w(3, 1, 1), alloc_immutable.boxed()),
        (
            w(4, 3, 4),
            (garbage, index())
                .prop_map(|((count, slots, bytes), link)| Op::AllocGarbage { count, slots, bytes, link })
                .boxed(),
        ),
        (
            w(10, 8, 6),
            (index(), index(), index()).prop_map(|(root, slot, value)| Op::Store { root, slot, value }).boxed(),
        ),
        (2, (index(), index()).prop_map(|(root, slot)| Op::StoreSelf { root, slot }).boxed()),
        (w(3, 1, 6), (index(), index()).prop_map(|(root, slot)| Op::StoreNull { root, slot }).boxed()),
        (w(8, 3, 4), (index(), index()).prop_map(|(root, slot)| Op::Load { root, slot }).boxed()),
        (w(2, 2, 1), index().prop_map(|root| Op::Dup { root }).boxed()),
        (1, Just(Op::PushNull).boxed()),
        (w(8, 1, 20), Just(Op::Pop).boxed()),
        (w(3, 1, 4), (index(), index()).prop_map(|(index, from)| Op::SetRoot { index, from }).boxed()),
        (w(3, 1, 8), index().prop_map(|index| Op::ClearRoot { index }).boxed()),
        (w(3, 0, 6), (0usize..24).prop_map(|depth| Op::Truncate { depth }).boxed()),
        (
            4,
            (index(), 0usize..1 << 20, any::<u8>())
                .prop_map(|(root, offset, value)| Op::WriteData { root, offset, value })
                .boxed(),
        ),
        (w(2, 2, 0), index().prop_map(|root| Op::CreateHandle { root }).boxed()),
        (w(3, 1, 6), index().prop_map(|handle| Op::DropHandle { handle }).boxed()),
        (1, index().prop_map(|handle| Op::LoadHandle { handle }).boxed()),
        (w(2, 1, 3), Just(Op::CollectFull).boxed()),
        (1, Just(Op::CollectMinor).boxed()),
    ];
    Union::new_weighted(ops.into_iter().filter(|&(weight, _)| weight > 0).collect())
}

/// The long program of `steps` ops that `seed` makes for a heap of `limit` bytes (the same
/// every time: a failure's seed replays it): phases of 50 to 800 ops, half of them
/// [`Phase::Churn`], a third [`Phase::Grow`], the rest [`Phase::Drain`].
pub fn long_program(limit: usize, steps: usize, seed: u64) -> Vec<Op> {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&(limit as u64).to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &key);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let phases = [Phase::Churn, Phase::Grow, Phase::Drain].map(|phase| limited_op(limit, phase).boxed());
    let phase_of = prop_oneof![3 => Just(0usize), 2 => Just(1usize), 1 => Just(2usize)];
    let draw = |runner: &mut TestRunner, strategy: &BoxedStrategy<Op>| {
        strategy.new_tree(runner).expect("op strategies never reject").current()
    };
    let mut program = Vec::with_capacity(steps);
    while program.len() < steps {
        let phase = phase_of.new_tree(&mut runner).expect("never rejects").current();
        let len = (50usize..800).new_tree(&mut runner).expect("never rejects").current();
        for _ in 0..len.min(steps - program.len()) {
            program.push(draw(&mut runner, &phases[phase]));
        }
    }
    program
}

/// The trigger a long program runs with, chosen by its seed: a first collection after 4 KiB
/// (collections now and then, so the backends' heuristics return free pools), the default
/// 64 MiB (no collection but those the limit forces), or collection stress (a collection at
/// every slow path).
pub fn long_program_config(limit: usize, seed: u64) -> HeapConfig {
    let config = HeapConfig::default().heap_limit(limit);
    match seed % 3 {
        0 => config.initial_trigger(4 << 10),
        1 => config,
        _ => crate::stress_config(config),
    }
}

/// How many long programs to run, how long, under which limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LongPrograms {
    /// Heap limits, in bytes; every limit gets `programs` programs.
    pub limits: Vec<usize>,
    /// Programs per limit.
    pub programs: u32,
    /// Ops per program.
    pub steps: usize,
    /// The first program's seed; the others follow.
    pub first_seed: u64,
}

/// The environment variable that sets [`LongPrograms::programs`].
pub const LONG_PROGRAMS_VAR: &str = "GCLAB_LONG_PROGRAMS";
/// The environment variable that sets [`LongPrograms::steps`].
pub const LONG_STEPS_VAR: &str = "GCLAB_LONG_STEPS";
/// The environment variable that sets [`LongPrograms::first_seed`].
pub const LONG_SEED_VAR: &str = "GCLAB_LONG_SEED";
/// The environment variable that bounds shrinking, in seconds.
pub const SHRINK_SECS_VAR: &str = "GCLAB_SHRINK_SECS";

fn env_number(var: &str) -> Option<u64> {
    let value = std::env::var(var).ok()?;
    Some(value.trim().parse().unwrap_or_else(|_| panic!("{var}={value:?} is not a number")))
}

impl LongPrograms {
    /// `limits`, with one program of `steps` ops each from seed 0, unless the environment says
    /// otherwise (`GCLAB_LONG_PROGRAMS`, `GCLAB_LONG_STEPS`, `GCLAB_LONG_SEED`).
    pub fn from_env(limits: &[usize], steps: usize) -> Self {
        LongPrograms {
            limits: limits.to_vec(),
            programs: env_number(LONG_PROGRAMS_VAR).map_or(1, |n| n as u32),
            steps: env_number(LONG_STEPS_VAR).map_or(steps, |n| n as usize),
            first_seed: env_number(LONG_SEED_VAR).unwrap_or(0),
        }
    }
}

/// Runs the long programs `plan` describes on `backend`; on a failure, shrinks the program
/// and panics with the seed, the failure and the shrunk program. Returns the summed report
/// (also printed to stderr).
pub fn check_long_programs<H: Heap>(backend: &Backend<H>, plan: &LongPrograms) -> LimitReport {
    let mut total = LimitReport::default();
    for &limit in &plan.limits {
        for seed in plan.first_seed..plan.first_seed + u64::from(plan.programs) {
            let program = long_program(limit, plan.steps, seed);
            let config = long_program_config(limit, seed);
            match run_limited_program(backend, config.clone(), &program) {
                Ok(report) => total.add(report),
                Err((n, failure)) => {
                    let shrunk = shrink(backend, &config, program[..=n].to_vec());
                    let listing = if shrunk.len() <= 400 {
                        format_program(&shrunk)
                    } else {
                        format!("({} ops: too long to print; regenerate the program from its seed)", shrunk.len())
                    };
                    let again = run_limited_program(backend, config.clone(), &shrunk).err().map(|(_, e)| e);
                    panic!(
                        "{label}: a long program under a {limit}-byte limit failed.\nfailure: {failure}\n\
                         replay: gclab_conformance::limits::long_program({limit}, {steps}, {seed}) with \
                         long_program_config({limit}, {seed}) = {config:?}\nshrunk to {len} ops, failing with: \
                         {again}\n{listing}",
                        label = backend.label,
                        steps = plan.steps,
                        len = shrunk.len(),
                        again = again.unwrap_or_else(|| "(nothing: the shrunk program passes)".into()),
                    );
                }
            }
        }
    }
    eprintln!(
        "{}: {} long programs ({} ops each) under limits {:?}: {total:?}",
        backend.label,
        plan.programs as usize * plan.limits.len(),
        plan.steps,
        plan.limits
    );
    total
}

/// Removes ops from a failing program while it still fails (any failure), chunks first, for
/// at most `GCLAB_SHRINK_SECS` seconds (default 60).
fn shrink<H: Heap>(backend: &Backend<H>, config: &HeapConfig, mut program: Vec<Op>) -> Vec<Op> {
    let budget = Duration::from_secs(env_number(SHRINK_SECS_VAR).unwrap_or(60));
    let started = Instant::now();
    let mut chunk = program.len().div_ceil(2);
    while chunk > 0 && started.elapsed() < budget {
        let mut start = 0;
        while start < program.len() && started.elapsed() < budget {
            let end = (start + chunk).min(program.len());
            let candidate: Vec<Op> = program[..start].iter().chain(&program[end..]).cloned().collect();
            match run_limited_program(backend, config.clone(), &candidate) {
                Err((n, _)) => {
                    program = candidate;
                    program.truncate(n + 1);
                }
                Ok(_) => start += chunk,
            }
        }
        chunk /= 2;
    }
    program
}

// ---------------------------------------------------------------------------------------------
// The hand-made programs of issue 8 ("The heap limit, tried as a hostile user would"), each
// run by a `LimitRun`, so every check above applies after every op. Each needs a pool
// backend (`Footprint::Pools`).

fn pool_geometry<H>(backend: &Backend<H>) -> (usize, usize) {
    match backend.footprint {
        Footprint::Pools { pool_bytes, max_small_bytes } | Footprint::Nursery { pool_bytes, max_small_bytes, .. } => {
            (pool_bytes, max_small_bytes)
        }
        Footprint::Bump => panic!("{}: this check needs a pool backend", backend.label),
    }
}

fn start<H: Heap>(backend: &Backend<H>, config: HeapConfig) -> LimitRun<'_, H> {
    LimitRun::new(backend, config).unwrap_or_else(|e| panic!("{e}"))
}

#[track_caller]
fn run_op<H: Heap>(run: &mut LimitRun<'_, H>, op: Op) -> Outcome {
    let label = run.backend.label;
    run.step(&op).unwrap_or_else(|e| panic!("{label}: {op:?}: {e}"))
}

#[track_caller]
fn expect_applied<H: Heap>(run: &mut LimitRun<'_, H>, op: Op) {
    let label = run.backend.label;
    match run_op(run, op.clone()) {
        Outcome::Applied(_) => {}
        other => panic!("{label}: {op:?} was expected to apply: {other:?}"),
    }
}

/// An object of exactly `size` bytes (a multiple of 16, at least 16) with no slots.
fn alloc_of_size(size: usize) -> Op {
    Op::Alloc { tag: 8, slots: 0, bytes: size - gclab_core::HEADER_BYTES }
}

/// Issue 8, limit item 1: **`heap_bytes` passed `heap_limit`** when a full collection had
/// returned a partly used arena's free pools, a large object had taken that room, and then
/// new size classes took the returned pools back without a limit check (a 1 MiB heap reached
/// 1,478,656 bytes).
///
/// Under a 1 MiB limit: eight half-pool objects, the first and last kept; a full collection
/// (which returns the free pools, as both backends' heuristics do with a 4 KiB trigger); a
/// large object exactly as big as the room left; then objects of eight size classes never
/// used before, each of which must be refused — the heap is at its limit and no pool of those
/// classes has a free cell — and honestly so. Once the large object is dropped, they fit.
pub fn new_classes_after_decommit_and_a_large_object<H: Heap>(backend: &Backend<H>) -> LimitReport {
    let (pool_bytes, max_small) = pool_geometry(backend);
    let limit = 1 << 20;
    let mut run = start(backend, HeapConfig::default().heap_limit(limit).initial_trigger(4 << 10));
    let half_pool = (pool_bytes / 2).min(max_small);
    for _ in 0..8 {
        expect_applied(&mut run, alloc_of_size(half_pool));
    }
    for index in 1..7 {
        expect_applied(&mut run, Op::ClearRoot { index });
    }
    expect_applied(&mut run, Op::CollectFull);
    let room = limit - run.heap_bytes();
    assert!(
        room > max_small,
        "{}: after a full collection with two small objects live the heap still holds {} bytes",
        backend.label,
        run.heap_bytes()
    );
    expect_applied(&mut run, alloc_of_size(room));
    assert_eq!(run.heap_bytes(), limit, "{}: the large object takes the heap to its limit", backend.label);
    let new_classes: Vec<Op> = (1..=8).map(|k| alloc_of_size(16 + 16 * k)).collect();
    for op in &new_classes {
        match run_op(&mut run, op.clone()) {
            Outcome::Refused(..) => {}
            other => panic!("{}: {op:?} at the limit, with no pool of its class: {other:?}", backend.label),
        }
    }
    let large = run.model().roots.len() - 1;
    expect_applied(&mut run, Op::ClearRoot { index: large });
    for op in new_classes {
        expect_applied(&mut run, op);
    }
    expect_applied(&mut run, Op::CollectFull);
    run.report()
}

/// Issue 8, limit item 2: **`HeapExhausted` while the heap was nearly empty**: the
/// large-object space reserved exactly the limit of address space and placed first-fit, so one
/// small survivor in the middle left no run long enough (a 1.2 MB request refused with 20 KB
/// in use under a 2 MiB limit).
///
/// Under a 2 MiB limit: a 0.45-limit object, then a 20 KiB one; the first is dropped and
/// collected; a 0.6-limit request must then be granted.
pub fn large_request_in_a_nearly_empty_heap<H: Heap>(backend: &Backend<H>) -> LimitReport {
    pool_geometry(backend);
    let limit = 2 << 20;
    let mut run = start(backend, HeapConfig::default().heap_limit(limit));
    expect_applied(&mut run, Op::Alloc { tag: 1, slots: 0, bytes: limit * 45 / 100 });
    expect_applied(&mut run, Op::Alloc { tag: 2, slots: 0, bytes: 20 << 10 });
    expect_applied(&mut run, Op::ClearRoot { index: 0 });
    expect_applied(&mut run, Op::CollectFull);
    expect_applied(&mut run, Op::Alloc { tag: 3, slots: 0, bytes: limit * 6 / 10 });
    run.report()
}

/// Issue 8, limit item 3: **marksweep refused while free pools could be returned**: its
/// exhaustion path never gave back the free pools of partly used arenas (with a 1 MiB limit and
/// one 16-byte live object, a 12 KiB object was refused; with 64 MiB and 49 KiB live, a 24 MiB
/// one).
///
/// With the default trigger (so no collection returns anything on its own): under 1 MiB, one
/// 16-byte object then a 12 KiB one; under 4 MiB, three quarters of the limit in objects of
/// a pool's largest cell, one in `n / 8` kept (so the arenas stay partly used), a full
/// collection, then a request for half the limit. Both must be granted.
pub fn free_pools_returned_before_refusing<H: Heap>(backend: &Backend<H>) -> LimitReport {
    let (pool_bytes, max_small) = pool_geometry(backend);
    let mut report = LimitReport::default();
    let mut run = start(backend, HeapConfig::default().heap_limit(1 << 20));
    expect_applied(&mut run, alloc_of_size(16));
    expect_applied(&mut run, Op::Alloc { tag: 2, slots: 0, bytes: 12 << 10 });
    report.add(run.report());

    let limit = 4 << 20;
    let mut run = start(backend, HeapConfig::default().heap_limit(limit));
    let cell = pool_bytes.min(max_small);
    let mut n = 0usize;
    while run.heap_bytes() < limit * 3 / 4 {
        expect_applied(&mut run, alloc_of_size(cell));
        n += 1;
    }
    let keep_every = n.div_ceil(8);
    for index in (0..n).filter(|i| i % keep_every != 0) {
        expect_applied(&mut run, Op::ClearRoot { index });
    }
    expect_applied(&mut run, Op::CollectFull);
    expect_applied(&mut run, Op::Alloc { tag: 3, slots: 0, bytes: limit / 2 });
    report.add(run.report());
    report
}

/// Issue 8, limit item 5: **refcount's `stats().heap_bytes` went stale** after a new size
/// class took a free pool whose pages had been returned (three operations showed it): one
/// object, a full collection (which returns the arena's free pools), one object of another
/// class. The statistics must equal the backend's figure after each, and after a few more
/// new classes.
pub fn stats_follow_a_new_class_into_a_free_pool<H: Heap>(backend: &Backend<H>) -> LimitReport {
    pool_geometry(backend);
    let mut run = start(backend, HeapConfig::default().heap_limit(64 << 20).initial_trigger(4 << 10));
    expect_applied(&mut run, alloc_of_size(16));
    expect_applied(&mut run, Op::CollectFull);
    for k in 1..=8 {
        expect_applied(&mut run, alloc_of_size(16 + 16 * k));
    }
    run.report()
}

/// Found by the long programs (marksweep, default pools, seed 0 under 3 MiB): **a refused
/// large request left `stats().heap_bytes` stale**. The exhaustion path returns empty arenas
/// and free pools to make room (`alloc_within`), collects, returns what the collection
/// emptied, and refuses; nothing recorded what the last return gave back, so the statistics
/// kept the figure from the collection (16 KiB to a few arenas too high).
///
/// A live object of half the limit; objects in self-cycles spanning a quarter of the limit,
/// all dropped (garbage until a collection, even under reference counting); then a request
/// for half the limit and a page, which must be refused — with the statistics equal to what
/// the heap then holds.
pub fn stats_after_a_refused_large_request<H: Heap>(backend: &Backend<H>) -> LimitReport {
    let (pool_bytes, max_small) = pool_geometry(backend);
    let limit = 4 << 20;
    let mut run = start(backend, HeapConfig::default().heap_limit(limit));
    expect_applied(&mut run, Op::Alloc { tag: 1, slots: 0, bytes: limit / 2 - gclab_core::HEADER_BYTES });
    let cell = (pool_bytes / 4).min(max_small);
    for index in 1..=(limit / 4 / cell) {
        expect_applied(&mut run, Op::Alloc { tag: 2, slots: 1, bytes: cell - gclab_core::HEADER_BYTES - 8 });
        expect_applied(&mut run, Op::StoreSelf { root: index, slot: 0 });
    }
    expect_applied(&mut run, Op::Truncate { depth: 1 });
    match run_op(&mut run, Op::Alloc { tag: 3, slots: 0, bytes: limit / 2 + PAGE_SIZE }) {
        Outcome::Refused(..) => {}
        other => panic!("{}: half the limit and a page, with half the limit live: {other:?}", backend.label),
    }
    run.report()
}
