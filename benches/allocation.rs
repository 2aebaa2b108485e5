//! Small-object allocation throughput: a million objects of 2 slots, left unrooted so each
//! collection frees them, on the mark-sweep heap beside `Box` allocations of the same shape.
//!
//! `cargo bench --bench allocation`; criterion reports objects per second.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gclab::{Heap, MarkSweepHeap, Tag};
use gclab_workloads::baseline::Node;

/// Objects allocated per iteration.
const OBJECTS: u64 = 1_000_000;

fn allocation(c: &mut Criterion) {
    let mut group = c.benchmark_group("allocation");
    group.throughput(Throughput::Elements(OBJECTS)).sample_size(20).measurement_time(Duration::from_secs(5));

    // One heap for every iteration: the steady state of allocation and collection, with the
    // heap's default trigger (8 MiB).
    group.bench_function("marksweep/2-slots", |b| {
        let mut heap = MarkSweepHeap::new();
        b.iter(|| {
            for _ in 0..OBJECTS {
                black_box(heap.allocate(Tag(1), 2, 0).expect("allocation"));
            }
        });
    });

    // malloc and free at once: the allocator's fast path, hot in cache.
    group.bench_function("box/2-slots", |b| {
        b.iter(|| {
            for _ in 0..OBJECTS {
                black_box(Box::new(Node::default()));
            }
        });
    });

    // Every object kept until the end of the iteration, then all freed, as a collector frees
    // them in batches.
    group.bench_function("box-batch/2-slots", |b| {
        let mut kept: Vec<Box<Node>> = Vec::with_capacity(OBJECTS as usize);
        b.iter(|| {
            for _ in 0..OBJECTS {
                kept.push(black_box(Box::default()));
            }
            kept.clear();
        });
    });
    group.finish();
}

criterion_group!(benches, allocation);
criterion_main!(benches);
