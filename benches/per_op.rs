//! What each heap operation costs, in nanoseconds, on every backend: `allocate`,
//! `allocate_from_roots`, `load` (validated), `live_load` (`Live::load`, unvalidated),
//! `store` and a `push_root` + `pop_root` pair. One criterion group per operation, one bench
//! per backend, so a regression in one operation on one backend shows as one row.
//!
//! `cargo bench --bench per_op`; docs/performance.md ("Per-operation costs") holds a run.
//!
//! The kernels are `gclab_workloads::ops` (the same ones `gclab compare`'s per-operation table
//! times). Every bench uses `iter_custom` with one criterion iteration = one operation: the
//! operations are run in timed batches of at most `ops::BATCH` (`OpRunner::batch`), with any
//! setup (pushing operands, making a fresh `nogc` heap) between the batches and outside the
//! timer, and the batch times summed. Criterion's "time" is therefore the time of one
//! operation. What each bench measures:
//!
//! - `allocate`: a 2-slot, 0-byte object, left unrooted, on one heap kept across the whole
//!   bench: the steady state, so the heap's reclamation is included — marksweep's
//!   collections (default trigger), refcount freeing each object at the next allocation (its
//!   count is 0), nogc's fresh pages (the nogc heap, limited to 512 MiB, is replaced by a
//!   fresh one outside the timer when it fills; the batch that found it full runs again).
//! - `allocate_from_roots`: a 2-slot node whose slots take the top two root-stack entries, as
//!   binary-trees builds its nodes. The pairs (two leaves, pushed again and again) are pushed
//!   before each batch, outside the timer; the nodes are left unrooted, so reclamation is
//!   included as for `allocate` (under refcount, freeing a node decrements its leaves).
//! - `load`: `Heap::load(obj, 0)`, each reference validated (heap id, valid bit, bounds),
//!   following slot 0 around a rooted ring of `ops::RING` (1,024) 2-slot objects (hot in cache): a chain
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

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use gclab::{Heap, HeapConfig, MarkSweepHeap, NoGcHeap, RefcountHeap};
use gclab_workloads::ops::{Op, OpRunner, BATCH};

/// The configuration a bench gives each backend: the default, except nogc's limit of 512 MiB
/// rather than 4 GiB, so that the bench holds little memory on a shared machine (its heap is
/// replaced, untimed, when it fills).
fn config<H: Heap>() -> HeapConfig {
    if H::NAME == "nogc" {
        HeapConfig::default().heap_limit(512 << 20)
    } else {
        HeapConfig::default()
    }
}

/// `op` on backend `H`: criterion's `iters` operations run in batches of at most [`BATCH`],
/// their times summed.
fn bench<H: Heap>(op: Op, group: &mut BenchmarkGroup<'_, WallTime>) {
    group.bench_function(H::NAME, |b| {
        let mut runner = OpRunner::<H>::new(op, &config::<H>()).expect("a heap set up for the operation");
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let n = left.min(BATCH);
                total += runner.batch(n).expect("a batch fits a fresh heap");
                left -= n;
            }
            total
        });
    });
}

/// One group per operation, one bench per backend in it.
fn per_op(c: &mut Criterion) {
    for op in Op::ALL {
        let mut group = c.benchmark_group(op.name());
        group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(2));
        bench::<MarkSweepHeap>(op, &mut group);
        bench::<RefcountHeap>(op, &mut group);
        bench::<NoGcHeap>(op, &mut group);
        group.finish();
    }
}

criterion_group!(benches, per_op);
criterion_main!(benches);
