//! What each heap operation costs, in nanoseconds, on every backend: `allocate`,
//! `allocate_from_roots`, `load` (validated), `live_load` (`Live::load`, unvalidated),
//! `store` and a `push_root` + `pop_root` pair. One criterion group per operation, one bench
//! per backend, so a regression in one operation on one backend shows as one row.
//!
//! `cargo bench --bench per_op`; docs/performance.md ("Per-operation costs") holds a run.
//!
//! Every bench uses `iter_custom` with one criterion iteration = one operation: the operations
//! are run in timed batches of at most [`BATCH`], with any setup (pushing operands, making a
//! fresh `nogc` heap) between the batches and outside the timer, and the batch times summed.
//! Criterion's "time" is therefore the time of one operation. What each bench measures:
//!
//! - `allocate`: a 2-slot, 0-byte object, left unrooted, on one heap kept across the whole
//!   bench: the steady state, so the heap's reclamation is included — marksweep's
//!   collections (default trigger), refcount freeing each object at the next allocation (its
//!   count is 0), nogc's fresh pages (the nogc heap, limited to 512 MiB, is replaced by a
//!   fresh one outside the timer before it fills).
//! - `allocate_from_roots`: a 2-slot node whose slots take the top two root-stack entries, as
//!   binary-trees builds its nodes. The pairs (two leaves, pushed again and again) are pushed
//!   before each batch, outside the timer; the nodes are left unrooted, so reclamation is
//!   included as for `allocate` (under refcount, freeing a node decrements its leaves).
//! - `load`: `Heap::load(obj, 0)`, each reference validated (heap id, valid bit, bounds),
//!   following slot 0 around a rooted ring of [`RING`] 2-slot objects (hot in cache): a chain
//!   of dependent loads, so this is the latency of one step of a graph walk.
//! - `live_load`: the same walk with `Live::load(0)` after one `Heap::live` per batch: no
//!   validation, only the slot index's bounds check.
//! - `store`: `Heap::store(holder, 0, Some(v))` into a rooted object, `v` alternating between
//!   two rooted objects so each store changes the slot; under refcount this includes the
//!   increment of the new referent and the decrement of the old one.
//! - `push_pop_root`: `push_root(Some(obj))` then `pop_root()`. Under refcount the popped
//!   reference's decrement is deferred to the next safe point; each batch ends, inside the
//!   timer, with one allocation that settles them (amortised over the batch, on every
//!   backend alike).
//!
//! Built with the default features: `checked` (sequence numbers in references) is off.

use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{black_box, criterion_group, criterion_main, BenchmarkGroup, Criterion};
use gclab::{Heap, HeapConfig, MarkSweepHeap, NoGcHeap, ObjRef, RefcountHeap, Tag};

/// The most operations timed at once (one `Instant` pair per batch: its cost, about 25 ns, is
/// under 0.3% of a batch even of the cheapest operation).
const BATCH: u64 = 10_000;

/// Objects in the ring `load` and `live_load` walk (32 KiB of 2-slot objects).
const RING: usize = 1024;

/// How a bench makes a heap of each backend, and how long one heap may serve an allocation
/// bench.
trait Backend: Heap {
    /// A fresh heap.
    fn fresh() -> Self {
        Self::new()
    }

    /// Objects an allocation bench may make on one heap before it is replaced (outside the
    /// timer); unbounded for the backends that reclaim memory.
    const RENEW_AFTER: u64 = u64::MAX;
}

impl Backend for MarkSweepHeap {}

impl Backend for RefcountHeap {}

impl Backend for NoGcHeap {
    /// 512 MiB rather than the default 4 GiB, so the bench holds little memory on a shared machine.
    fn fresh() -> Self {
        NoGcHeap::with_config(HeapConfig::default().heap_limit(512 << 20)).expect("a valid configuration")
    }

    /// 8 Mi objects of 32 bytes: 256 MiB, half the limit.
    const RENEW_AFTER: u64 = 8 << 20;
}

/// A heap kept across an allocation bench, replaced when it has made
/// [`Backend::RENEW_AFTER`] objects.
struct Steady<H: Backend> {
    heap: H,
    made: u64,
}

impl<H: Backend> Steady<H> {
    fn new() -> Self {
        Steady { heap: H::fresh(), made: 0 }
    }

    /// The heap, with room for `objects` more; the old heap is dropped here, untimed.
    fn with_room(&mut self, objects: u64) -> &mut H {
        if self.made.saturating_add(objects) > H::RENEW_AFTER {
            self.heap = H::fresh();
            self.made = 0;
        }
        self.made += objects;
        &mut self.heap
    }
}

/// Runs `iters` operations in batches of at most [`BATCH`]; `batch(n)` runs `n` of them and
/// returns the time they took (it does its own untimed setup).
fn batched(iters: u64, mut batch: impl FnMut(u64) -> Duration) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(BATCH);
        total += batch(n);
        left -= n;
    }
    total
}

fn allocate<H: Backend>(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.bench_function(H::NAME, |b| {
        let mut steady = Steady::<H>::new();
        b.iter_custom(|iters| {
            batched(iters, |n| {
                let heap = steady.with_room(n);
                let start = Instant::now();
                for _ in 0..n {
                    black_box(heap.allocate(Tag(1), 2, 0).expect("allocation"));
                }
                start.elapsed()
            })
        });
    });
}

fn allocate_from_roots<H: Backend>(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.bench_function(H::NAME, |b| {
        let mut steady = Steady::<H>::new();
        b.iter_custom(|iters| {
            batched(iters, |n| {
                let heap = steady.with_room(n + 2);
                let depth = heap.root_depth();
                // Two leaves, rooted below the pairs for the batch.
                let left = heap.allocate(Tag(1), 0, 0).expect("allocation");
                heap.push_root(Some(left));
                let right = heap.allocate(Tag(1), 0, 0).expect("allocation");
                heap.push_root(Some(right));
                for _ in 0..n {
                    heap.push_root(Some(left));
                    heap.push_root(Some(right));
                }
                let start = Instant::now();
                for _ in 0..n {
                    black_box(heap.allocate_from_roots(Tag(2), 2, 0, 2).expect("allocation"));
                }
                let elapsed = start.elapsed();
                heap.truncate_roots(depth);
                elapsed
            })
        });
    });
}

/// A fresh heap holding a rooted ring of [`RING`] 2-slot objects, each one's slot 0 referring
/// to the next; returns the heap and one object of the ring.
fn ring<H: Backend>() -> (H, ObjRef) {
    let mut heap = H::fresh();
    let first = heap.allocate(Tag(1), 2, 0).expect("allocation");
    heap.push_root(Some(first));
    let mut last = first;
    for _ in 1..RING {
        // `last` is reachable from the root through the ring's slots, and no backend here moves
        // objects, so it stays valid across the allocation.
        let next = heap.allocate(Tag(1), 2, 0).expect("allocation");
        heap.store(last, 0, Some(next));
        last = next;
    }
    heap.store(last, 0, Some(first));
    (heap, first)
}

fn load<H: Backend>(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.bench_function(H::NAME, |b| {
        let (heap, first) = ring::<H>();
        b.iter_custom(|iters| {
            batched(iters, |n| {
                let mut obj = black_box(first);
                let start = Instant::now();
                for _ in 0..n {
                    obj = heap.load(obj, 0).expect("a ring");
                }
                let elapsed = start.elapsed();
                black_box(obj);
                elapsed
            })
        });
    });
}

fn live_load<H: Backend>(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.bench_function(H::NAME, |b| {
        let (heap, first) = ring::<H>();
        b.iter_custom(|iters| {
            batched(iters, |n| {
                let mut obj = heap.live(black_box(first));
                let start = Instant::now();
                for _ in 0..n {
                    obj = obj.load(0).expect("a ring");
                }
                let elapsed = start.elapsed();
                black_box(obj);
                elapsed
            })
        });
    });
}

fn store<H: Backend>(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.bench_function(H::NAME, |b| {
        let mut heap = H::fresh();
        let mut rooted = || {
            let obj = heap.allocate(Tag(1), 2, 0).expect("allocation");
            heap.push_root(Some(obj));
            obj
        };
        let (holder, values) = (rooted(), [rooted(), rooted()]);
        b.iter_custom(|iters| {
            batched(iters, |n| {
                let start = Instant::now();
                for i in 0..n {
                    heap.store(black_box(holder), 0, Some(values[(i & 1) as usize]));
                }
                start.elapsed()
            })
        });
    });
}

fn push_pop_root<H: Backend>(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.bench_function(H::NAME, |b| {
        let mut heap = H::fresh();
        let obj = heap.allocate(Tag(1), 2, 0).expect("allocation");
        heap.push_root(Some(obj));
        b.iter_custom(|iters| {
            batched(iters, |n| {
                let start = Instant::now();
                for _ in 0..n {
                    heap.push_root(Some(black_box(obj)));
                    black_box(heap.pop_root());
                }
                // A safe point: refcount settles the deferred decrements of the pops here.
                black_box(heap.allocate(Tag(1), 0, 0).expect("allocation"));
                start.elapsed()
            })
        });
    });
}

/// One group per operation, one bench per backend in it.
fn per_op(c: &mut Criterion) {
    type Bench = fn(&mut BenchmarkGroup<'_, WallTime>);
    let operations: [(&str, [Bench; 3]); 6] = [
        ("allocate", [allocate::<MarkSweepHeap>, allocate::<RefcountHeap>, allocate::<NoGcHeap>]),
        (
            "allocate_from_roots",
            [
                allocate_from_roots::<MarkSweepHeap>,
                allocate_from_roots::<RefcountHeap>,
                allocate_from_roots::<NoGcHeap>,
            ],
        ),
        ("load", [load::<MarkSweepHeap>, load::<RefcountHeap>, load::<NoGcHeap>]),
        ("live_load", [live_load::<MarkSweepHeap>, live_load::<RefcountHeap>, live_load::<NoGcHeap>]),
        ("store", [store::<MarkSweepHeap>, store::<RefcountHeap>, store::<NoGcHeap>]),
        ("push_pop_root", [push_pop_root::<MarkSweepHeap>, push_pop_root::<RefcountHeap>, push_pop_root::<NoGcHeap>]),
    ];
    for (name, benches) in operations {
        let mut group = c.benchmark_group(name);
        group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(2));
        for bench in benches {
            bench(&mut group);
        }
        group.finish();
    }
}

criterion_group!(benches, per_op);
criterion_main!(benches);
