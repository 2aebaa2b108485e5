//! binary-trees on a collecting heap: the exact Benchmarks Game output while collections run,
//! a heap left clean afterwards, and allocation failure reported without leaking roots.

use std::collections::HashSet;

mod support;

use gclab_core::{CollectionKind, Heap, HeapConfig, ObjRef};
use gclab_marksweep::MarkSweepHeap;
use gclab_workloads::binary_trees::{self, expected_checksum};
use gclab_workloads::{baseline, WorkloadError, WorkloadId};
use support::CollectEveryAlloc;

/// The Benchmarks Game's output for n = 10 (from gc-facts.md).
const OUTPUT_10: &str = "stretch tree of depth 11\t check: 4095\n\
                         1024\t trees of depth 4\t check: 31744\n\
                         256\t trees of depth 6\t check: 32512\n\
                         64\t trees of depth 8\t check: 32704\n\
                         16\t trees of depth 10\t check: 32752\n\
                         long lived tree of depth 10\t check: 2047\n";

fn small_heap() -> MarkSweepHeap {
    MarkSweepHeap::with_config(HeapConfig::default().initial_trigger(64 << 10)).expect("a valid configuration")
}

#[test]
fn n10_output_is_exact_while_collecting() {
    let mut heap = small_heap();
    let mut out = Vec::new();
    let checksum = WorkloadId::BinaryTrees.run(&mut heap, 10, &mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), OUTPUT_10);
    assert_eq!(checksum, expected_checksum(10));
    let stats = heap.stats();
    assert!(stats.full_collections + stats.minor_collections > 0, "a 64 KiB trigger must make binary-trees 10 collect");
    assert_eq!(heap.root_depth(), 0, "the workload leaves the root stack as it found it");
    heap.verify().unwrap();
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects(), 0, "nothing stays reachable after the run");
    heap.verify().unwrap();
}

#[test]
fn heap_and_box_baseline_agree() {
    for n in [1, 6, 7, 9] {
        let (mut heap_out, mut box_out) = (Vec::new(), Vec::new());
        let on_heap = binary_trees::binary_trees(&mut small_heap(), n, &mut heap_out).unwrap();
        let on_box = baseline::binary_trees(n, &mut box_out).unwrap();
        assert_eq!(heap_out, box_out, "n = {n}");
        assert_eq!(on_heap, on_box, "n = {n}");
    }
}

/// Walks the tree under `root`, failing on any node reached twice (a shared subtree or a
/// cycle: what reusing the cell of an unrooted child produces); returns the node count.
fn distinct_nodes<H: Heap>(heap: &H, root: ObjRef) -> u64 {
    let mut seen = HashSet::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        assert!(seen.insert(node), "{node:?} is reached twice: the tree is not a tree");
        stack.extend((0..2).filter_map(|slot| heap.load(node, slot)));
    }
    seen.len() as u64
}

#[test]
fn collecting_before_every_allocation_keeps_trees_intact() {
    let mut heap = CollectEveryAlloc::<MarkSweepHeap>::new();
    let tree = binary_trees::bottom_up_tree(&mut heap, 8).unwrap();
    assert_eq!(distinct_nodes(&heap, tree), binary_trees::tree_nodes(8));
    heap.push_root(Some(tree));
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects() as u64, binary_trees::tree_nodes(8));
    let tree = heap.pop_root().unwrap();
    assert_eq!(binary_trees::check_tree(&heap, tree), binary_trees::tree_nodes(8));

    let mut out = Vec::new();
    let checksum = binary_trees::binary_trees(&mut heap, 6, &mut out).unwrap();
    assert_eq!(checksum, expected_checksum(6));
    let mut box_out = Vec::new();
    baseline::binary_trees(6, &mut box_out).unwrap();
    assert_eq!(out, box_out);
    assert!(heap.stats().full_collections >= expected_checksum(6));
    heap.verify().unwrap();
}

#[test]
fn a_heap_too_small_reports_exhaustion_and_restores_the_roots() {
    let mut heap = MarkSweepHeap::with_config(HeapConfig::default().heap_limit(1 << 20)).unwrap();
    heap.push_root(None);
    let result = binary_trees::binary_trees(&mut heap, 16, &mut Vec::new());
    assert!(matches!(result, Err(WorkloadError::Alloc(_))), "{result:?}");
    assert_eq!(heap.root_depth(), 1);
    heap.verify().unwrap();
}

#[test]
fn binary_trees_nodes_are_immutable_and_refcount_never_tracks_them() {
    // The nodes are built as tuples (allocate_immutable); refcount untracks them as CPython
    // untracks tuples, so the program runs without a single cycle-detector collection.
    let mut heap = gclab_refcount::RefcountHeap::new();
    let checksum = binary_trees::binary_trees(&mut heap, 14, &mut Vec::new()).unwrap();
    assert_eq!(checksum, expected_checksum(14));
    assert!(heap.generation_stats().iter().all(|g| g.collections == 0), "{:?}", heap.generation_stats());
    assert_eq!(heap.generation_sizes(), [0, 0, 0]);
    // The last tree checked is still the newest object, freed at the next safe point.
    assert_eq!(heap.collect_generation(0), 0, "nothing to find in cycles");
    assert_eq!(heap.live_objects(), 0);
    // And a node is immutable on every backend.
    let mut heap = small_heap();
    let tree = binary_trees::bottom_up_tree(&mut heap, 2).unwrap();
    assert!(heap.memory().resolve(tree).unwrap().is_immutable());
    assert!(heap.try_store(tree, 0, None).is_err());
}
