//! The full-heap mark rate: a rooted binary tree of about a million nodes, then a full
//! collection timed again and again (every object is live: all marking, nothing freed).
//!
//! `cargo bench --bench marking`; criterion reports objects marked per second.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gclab::{CollectionKind, Heap, MarkSweepHeap};
use gclab_workloads::binary_trees::{bottom_up_tree, tree_nodes};

/// A tree of depth 19: 1,048,575 nodes.
const DEPTH: u32 = 19;

fn marking(c: &mut Criterion) {
    let nodes = tree_nodes(DEPTH);
    let mut group = c.benchmark_group("marking");
    group.throughput(Throughput::Elements(nodes)).sample_size(20).measurement_time(Duration::from_secs(5));

    group.bench_function("marksweep/full-collection/tree", |b| {
        let mut heap = MarkSweepHeap::new();
        let tree = bottom_up_tree(&mut heap, DEPTH).expect("the tree fits");
        heap.push_root(Some(tree));
        heap.collect(CollectionKind::Full);
        assert_eq!(heap.live_objects() as u64, nodes);
        b.iter(|| heap.collect(CollectionKind::Full));
        assert_eq!(heap.live_objects() as u64, nodes);
    });
    group.finish();
}

criterion_group!(benches, marking);
criterion_main!(benches);
