//! Every workload on the moving (generational) backend: objects move at nearly every
//! allocation, so a workload that kept a reference across an allocation without rooting it
//! would be caught (a stale reference is reported by name), and the output and checksum must
//! be the non-moving backends' exactly.

mod support;

use gclab_core::{CollectionKind, Heap, HeapConfig};
use gclab_generational::{GenerationalConfig, GenerationalHeap};
use gclab_nogc::NoGcHeap;
use gclab_workloads::WorkloadId;
use support::CollectEveryAlloc;

/// A size small enough to run with a collection before every allocation.
fn tiny(workload: WorkloadId) -> u32 {
    match workload {
        WorkloadId::BinaryTrees | WorkloadId::GcBench => 4,
        WorkloadId::Large => 1,
        WorkloadId::Churn => 300,
        WorkloadId::PyObjects => 150,
        _ => 30,
    }
}

fn run<H: Heap>(heap: &mut H, workload: WorkloadId, size: u32) -> (u64, String) {
    let mut out = Vec::new();
    let checksum = workload.run(heap, size, &mut out).unwrap_or_else(|e| panic!("{workload} on {}: {e}", H::NAME));
    assert_eq!(heap.root_depth(), 0, "{workload} on {}: the root stack is restored", H::NAME);
    heap.verify().unwrap_or_else(|e| panic!("{workload} on {}: {e}", H::NAME));
    (checksum, String::from_utf8(out).unwrap())
}

#[test]
fn every_workload_survives_a_full_collection_before_every_allocation() {
    for &workload in WorkloadId::ALL {
        let size = tiny(workload);
        let config = HeapConfig::default().heap_limit(256 << 20);
        let expected = run(&mut NoGcHeap::with_config(config.clone()).unwrap(), workload, size);
        let mut heap = CollectEveryAlloc(GenerationalHeap::with_config(config).unwrap());
        assert_eq!(run(&mut heap, workload, size), expected, "{workload}");
        heap.0.collect(CollectionKind::Full);
        assert_eq!(heap.0.live_objects(), 0, "{workload}: nothing stays reachable");
    }
}

#[test]
fn every_workload_runs_in_a_nursery_of_a_few_objects() {
    for &workload in WorkloadId::ALL {
        let size = tiny(workload) * 4;
        let expected = run(&mut NoGcHeap::with_config(HeapConfig::default()).unwrap(), workload, size);
        // 256 bytes of eden (8 nodes of binary-trees), 32-byte survivor spaces, tenuring at
        // age 1: minor collections copy and promote at nearly every allocation.
        let mut heap = GenerationalHeap::with_backend_config(GenerationalConfig {
            heap: HeapConfig::default().heap_limit(256 << 20),
            nursery_bytes: 256,
            tenuring_age: 1,
            ..GenerationalConfig::default()
        })
        .unwrap();
        assert_eq!(run(&mut heap, workload, size), expected, "{workload}");
        assert!(heap.stats().minor_collections > 0, "{workload}: eden filled");
    }
}
