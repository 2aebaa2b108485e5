//! Parallel marking: the full-heap mark rate of the concurrent backend with 1 and 2 marker
//! threads, on a rooted binary tree of 1,048,575 objects (every object live).
//!
//! Two groups:
//!
//! - `parallel-marking`: each iteration runs a full collection (`collect(Full)`: a whole
//!   cycle with the mutator waiting) and counts only its marking, from the end of the initial
//!   handshake to termination (`ConcurrentHeap::last_mark_time`). The mutator *helps* mark in
//!   a full collection, so "1 marker" is two threads marking and "2 markers" three.
//! - `markers-alone`: each iteration starts a cycle, then the mutator waits for the markers
//!   without marking (`ConcurrentHeap::wait_for_markers`) and finishes the sweep; only the
//!   marking is counted, as above. "1 marker" is one thread marking, "2 markers" two: the
//!   speed-up of parallel marking itself.
//!
//! `cargo bench -p gclab-concurrent --bench parallel_marking`; criterion reports objects
//! marked per second.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gclab_concurrent::{ConcurrentConfig, ConcurrentHeap};
use gclab_core::{CollectionKind, Heap, ObjRef, Tag};

/// A tree of depth 19: 1,048,575 nodes.
const DEPTH: u32 = 19;

/// A complete binary tree of `depth` levels below its root (the builder recurses on the
/// mutator's side only; the collector never does).
fn tree(heap: &mut ConcurrentHeap, depth: u32) -> ObjRef {
    if depth == 0 {
        return heap.allocate(Tag(1), 2, 0).expect("the tree fits");
    }
    let left = tree(heap, depth - 1);
    heap.push_root(Some(left));
    let right = tree(heap, depth - 1);
    heap.push_root(Some(right));
    heap.allocate_from_roots(Tag(1), 2, 0, 2).expect("the tree fits")
}

/// A heap with `markers` marker threads holding the rooted tree, collected once.
fn tree_heap(markers: usize) -> ConcurrentHeap {
    let mut heap = ConcurrentHeap::with_backend_config(ConcurrentConfig { markers, ..ConcurrentConfig::default() })
        .expect("a valid configuration");
    let root = tree(&mut heap, DEPTH);
    heap.push_root(Some(root));
    heap.collect(CollectionKind::Full);
    heap
}

fn report(heap: &ConcurrentHeap, markers: usize, nodes: u64) {
    assert_eq!(heap.live_objects() as u64, nodes);
    let counters = &heap.stats().counters;
    eprintln!(
        "{markers} markers: {} objects marked by markers, {} by the mutator, {} stolen from another marker, {} µs of \
         marker CPU",
        counters["objects_marked"],
        counters["objects_marked_by_mutator"],
        counters["marker_steals"],
        counters["marker_cpu_us"]
    );
}

fn marking(c: &mut Criterion) {
    let nodes = (1u64 << (DEPTH + 1)) - 1;
    let mut group = c.benchmark_group("parallel-marking");
    group.throughput(Throughput::Elements(nodes)).sample_size(20).measurement_time(Duration::from_secs(5));
    for markers in [1, 2] {
        group.bench_function(format!("concurrent/{markers}-markers/tree"), |b| {
            let mut heap = tree_heap(markers);
            b.iter_custom(|iterations| {
                let mut marking = Duration::ZERO;
                for _ in 0..iterations {
                    heap.collect(CollectionKind::Full);
                    marking += heap.last_mark_time();
                }
                marking
            });
            report(&heap, markers, nodes);
        });
    }
    group.finish();

    let mut group = c.benchmark_group("markers-alone");
    group.throughput(Throughput::Elements(nodes)).sample_size(20).measurement_time(Duration::from_secs(5));
    for markers in [1, 2] {
        group.bench_function(format!("concurrent/{markers}-markers/tree"), |b| {
            let mut heap = tree_heap(markers);
            b.iter_custom(|iterations| (0..iterations).map(|_| heap.mark_with_markers_alone()).sum());
            report(&heap, markers, nodes);
        });
    }
    group.finish();
}

criterion_group!(benches, marking);
criterion_main!(benches);
