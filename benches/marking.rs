//! The full-heap mark rate on two graphs of about a million objects, every object live (all
//! marking, nothing freed):
//!
//! - `tree`: a binary tree of 1,048,575 nodes allocated bottom-up, so a depth-first mark
//!   walks memory nearly in address order (the hardware prefetcher follows it);
//! - `random-graph`: churn's initial graph of 1,000,000 nodes (4 edges each to random earlier
//!   nodes, held in a table of 1,000 chunks), so every object scanned is a cache miss, as in a
//!   heap that has been mutated for a while.
//!
//! Rows: marksweep's full collection (marking and sweeping, the mutator stopped), and the
//! concurrent backend's marking by its marker threads alone, with 1 and 2 markers (from its
//! initial handshake to termination; the mutator waits without marking).
//!
//! `cargo bench --bench marking`; criterion reports objects per second.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gclab::{CollectionKind, ConcurrentConfig, ConcurrentHeap, Heap, MarkSweepHeap};
use gclab_workloads::binary_trees::{bottom_up_tree, tree_nodes};
use gclab_workloads::churn;

/// A tree of depth 19: 1,048,575 nodes.
const DEPTH: u32 = 19;

/// Nodes of the random graph.
const GRAPH_NODES: u32 = 1_000_000;

#[derive(Clone, Copy)]
enum Graph {
    Tree,
    Random,
}

impl Graph {
    fn name(self) -> &'static str {
        match self {
            Graph::Tree => "tree",
            Graph::Random => "random-graph",
        }
    }

    /// Builds the graph, rooted, on `heap`; returns the objects it holds.
    fn build<H: Heap>(self, heap: &mut H) -> u64 {
        match self {
            Graph::Tree => {
                let tree = bottom_up_tree(heap, DEPTH).expect("the tree fits");
                heap.push_root(Some(tree));
                tree_nodes(DEPTH)
            }
            Graph::Random => {
                churn::build_graph(heap, GRAPH_NODES).expect("the graph fits");
                // The nodes, the chunks and the spine.
                u64::from(GRAPH_NODES) + u64::from(GRAPH_NODES).div_ceil(churn::CHUNK as u64) + 1
            }
        }
    }
}

fn marking(c: &mut Criterion) {
    for graph in [Graph::Tree, Graph::Random] {
        let mut group = c.benchmark_group("marking");
        group.sample_size(20).measurement_time(Duration::from_secs(5));

        let mut heap = MarkSweepHeap::new();
        let objects = graph.build(&mut heap);
        group.throughput(Throughput::Elements(objects));
        group.bench_function(format!("marksweep/full-collection/{}", graph.name()), |b| {
            heap.collect(CollectionKind::Full);
            assert_eq!(heap.live_objects() as u64, objects);
            b.iter(|| heap.collect(CollectionKind::Full));
            assert_eq!(heap.live_objects() as u64, objects);
        });
        drop(heap);

        for markers in [1, 2] {
            let config = ConcurrentConfig { markers, ..ConcurrentConfig::default() };
            let mut heap = ConcurrentHeap::with_backend_config(config).expect("a valid configuration");
            graph.build(&mut heap);
            heap.collect(CollectionKind::Full);
            assert_eq!(heap.live_objects() as u64, objects);
            group.bench_function(format!("concurrent/{markers}-markers-alone/{}", graph.name()), |b| {
                b.iter_custom(|iterations| (0..iterations).map(|_| heap.mark_with_markers_alone()).sum());
            });
            assert_eq!(heap.live_objects() as u64, objects);
        }
        group.finish();
    }
}

criterion_group!(benches, marking);
criterion_main!(benches);
