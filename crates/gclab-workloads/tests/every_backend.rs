//! Every workload on every backend at small sizes: the same checksum and output everywhere,
//! the documented checksums where they can be worked out, nothing left reachable afterwards,
//! rooting that survives a collection before every allocation, and exhaustion reported
//! without leaking roots.

mod support;

use gclab_concurrent::{ConcurrentConfig, ConcurrentHeap};
use gclab_core::{CollectionKind, Heap, HeapConfig};
use gclab_marksweep::MarkSweepHeap;
use gclab_nogc::NoGcHeap;
use gclab_refcount::RefcountHeap;
use gclab_workloads::{binary_trees, cycles, gcbench, lists, WorkloadError, WorkloadId};
use support::CollectEveryAlloc;

/// A size at which each workload runs in well under a second in a test build, yet collects.
fn small(workload: WorkloadId) -> u32 {
    match workload {
        WorkloadId::BinaryTrees => 10,
        WorkloadId::GcBench => 10,
        WorkloadId::Cycles => 2_000,
        WorkloadId::Lists => 2_000,
        WorkloadId::PyObjects => 3_000,
        WorkloadId::Large => 12,
        WorkloadId::Churn => 20_000,
    }
}

/// A size small enough to run with a collection before every allocation.
fn tiny(workload: WorkloadId) -> u32 {
    match workload {
        WorkloadId::BinaryTrees => 4,
        WorkloadId::GcBench => 4,
        WorkloadId::Cycles => 30,
        WorkloadId::Lists => 30,
        WorkloadId::PyObjects => 150,
        WorkloadId::Large => 1,
        WorkloadId::Churn => 300,
    }
}

/// The checksum worked out without running, where the workload has a formula.
fn expected(workload: WorkloadId, size: u32) -> Option<u64> {
    match workload {
        WorkloadId::BinaryTrees => Some(binary_trees::expected_checksum(size)),
        WorkloadId::GcBench => Some(gcbench::expected_checksum(size)),
        WorkloadId::Cycles => Some(cycles::expected_checksum(size)),
        WorkloadId::Lists => Some(lists::expected_checksum(size)),
        _ => None,
    }
}

/// A trigger low enough that the small sizes collect several times.
fn collecting() -> HeapConfig {
    HeapConfig::default().heap_limit(512 << 20).initial_trigger(256 << 10)
}

/// Runs `workload` on a fresh heap; checks the root stack and the heap afterwards; returns the
/// checksum and the output.
fn run<H: Heap>(workload: WorkloadId, size: u32, config: HeapConfig, reclaims: bool) -> (u64, String) {
    let mut heap = H::with_config(config).unwrap();
    let mut out = Vec::new();
    let checksum =
        workload.run(&mut heap, size, &mut out).unwrap_or_else(|e| panic!("{workload} at {size} on {}: {e}", H::NAME));
    assert_eq!(heap.root_depth(), 0, "{workload} on {}: the root stack is restored", H::NAME);
    heap.verify().unwrap_or_else(|e| panic!("{workload} on {}: {e}", H::NAME));
    if reclaims {
        heap.collect(CollectionKind::Full);
        assert_eq!(heap.live_objects(), 0, "{workload} on {}: nothing stays reachable", H::NAME);
        heap.verify().unwrap();
    }
    (checksum, String::from_utf8(out).unwrap())
}

#[test]
fn every_workload_agrees_on_every_backend() {
    for &workload in WorkloadId::ALL {
        let size = small(workload);
        let marksweep = run::<MarkSweepHeap>(workload, size, collecting(), true);
        let refcount = run::<RefcountHeap>(workload, size, collecting(), true);
        let nogc = run::<NoGcHeap>(workload, size, HeapConfig::default().heap_limit(1 << 30), false);
        let concurrent = run::<ConcurrentHeap>(workload, size, collecting(), true);
        assert_eq!(marksweep, refcount, "{workload}: marksweep and refcount disagree");
        assert_eq!(marksweep, concurrent, "{workload}: marksweep and concurrent disagree");
        assert_eq!(marksweep, nogc, "{workload}: marksweep and nogc disagree");
        if let Some(expected) = expected(workload, size) {
            assert_eq!(marksweep.0, expected, "{workload}: the documented checksum");
        }
    }
}

/// The concurrent backend in stress mode (a cycle nearly always in progress, handshakes at
/// random allocations and stores) with the checkmark oracle at every final handshake: every
/// workload gives mark-sweep's checksum and output, and cycles completed while it ran.
#[test]
fn every_workload_agrees_on_concurrent_in_stress_mode() {
    for &workload in WorkloadId::ALL {
        let size = small(workload);
        let config =
            ConcurrentConfig { heap: collecting(), stress: true, checkmark: true, ..ConcurrentConfig::default() };
        let mut heap = ConcurrentHeap::with_backend_config(config).unwrap();
        let mut out = Vec::new();
        let checksum = workload.run(&mut heap, size, &mut out).unwrap_or_else(|e| panic!("{workload}: {e}"));
        heap.verify().unwrap_or_else(|e| panic!("{workload} on concurrent under stress: {e}"));
        assert!(heap.stats().counters["cycles"] > 0, "{workload}: no cycle completed under stress");
        heap.collect(CollectionKind::Full);
        assert_eq!(heap.live_objects(), 0, "{workload} on concurrent under stress: nothing stays reachable");
        let marksweep = run::<MarkSweepHeap>(workload, size, collecting(), true);
        assert_eq!((checksum, String::from_utf8(out).unwrap()), marksweep, "{workload}: concurrent under stress");
    }
}

#[test]
fn the_small_sizes_collect() {
    for &workload in WorkloadId::ALL {
        let mut heap = MarkSweepHeap::with_config(collecting()).unwrap();
        workload.run(&mut heap, small(workload), &mut Vec::new()).unwrap();
        assert!(heap.stats().full_collections > 0, "{workload} at {} never collected", small(workload));
    }
}

/// Churn collects tens of times at its default size with the default trigger (64 MiB first,
/// growth 2): its temporaries make allocation many times its live graph. Checked here at a
/// twentieth of the default size with a twentieth of the first trigger (the live graph, and so
/// every later goal, scales with the size), on marksweep and concurrent.
#[test]
fn churn_collects_tens_of_times() {
    let size = WorkloadId::Churn.info().default_size / 20;
    let config = HeapConfig::default().initial_trigger(HeapConfig::default().initial_trigger / 20);
    let mut marksweep = MarkSweepHeap::with_config(config.clone()).unwrap();
    WorkloadId::Churn.run(&mut marksweep, size, &mut Vec::new()).unwrap();
    let collections = marksweep.stats().full_collections;
    assert!(collections >= 20, "churn at {size} on marksweep: {collections} collections");
    let mut concurrent = ConcurrentHeap::with_config(config).unwrap();
    WorkloadId::Churn.run(&mut concurrent, size, &mut Vec::new()).unwrap();
    let cycles = concurrent.stats().full_collections;
    assert!(cycles >= 20, "churn at {size} on concurrent: {cycles} cycles");
    let stats = marksweep.stats();
    assert!(
        stats.allocated_bytes >= 10 * stats.live_bytes_after_gc,
        "churn allocates {} bytes for a live graph of {}",
        stats.allocated_bytes,
        stats.live_bytes_after_gc
    );
}

#[test]
fn rooting_survives_a_collection_before_every_allocation() {
    for &workload in WorkloadId::ALL {
        let size = tiny(workload);
        let config = HeapConfig::default().heap_limit(256 << 20);
        let marksweep = run::<CollectEveryAlloc<MarkSweepHeap>>(workload, size, config.clone(), true);
        let refcount = run::<CollectEveryAlloc<RefcountHeap>>(workload, size, config.clone(), true);
        let concurrent = run::<CollectEveryAlloc<ConcurrentHeap>>(workload, size, config.clone(), true);
        let nogc = run::<NoGcHeap>(workload, size, config, false);
        assert_eq!(marksweep, nogc, "{workload}");
        assert_eq!(concurrent, nogc, "{workload}");
        assert_eq!(refcount, nogc, "{workload}");
    }
}

#[test]
fn exhaustion_is_an_error_and_restores_the_roots() {
    for &workload in WorkloadId::ALL {
        let mut heap = NoGcHeap::with_config(HeapConfig::default().heap_limit(1 << 20)).unwrap();
        heap.push_root(None);
        let size = workload.info().quick_size;
        let result = workload.run(&mut heap, size, &mut Vec::new());
        assert!(matches!(result, Err(WorkloadError::Alloc(_))), "{workload}: {result:?}");
        assert_eq!(heap.root_depth(), 1, "{workload}: the root stack is restored");
        heap.verify().unwrap();
    }
}

#[test]
fn sizes_out_of_range_are_refused() {
    for &workload in WorkloadId::ALL {
        let info = workload.info();
        let mut heap = NoGcHeap::with_config(HeapConfig::default().heap_limit(1 << 20)).unwrap();
        for size in [info.min_size - 1, info.max_size + 1] {
            let result = workload.run(&mut heap, size, &mut Vec::new());
            assert!(matches!(result, Err(WorkloadError::BadSize(_))), "{workload} at {size}: {result:?}");
        }
        assert!(info.min_size <= info.quick_size && info.quick_size <= info.default_size);
        assert!(info.default_size <= info.max_size);
    }
}

#[test]
fn gcbench_prints_gcbenchs_lines() {
    let mut out = Vec::new();
    gcbench::gcbench(&mut MarkSweepHeap::with_config(collecting()).unwrap(), 8, &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "Garbage Collector Test\n \
         Stretching memory with a binary tree of depth 10\n \
         Creating a long-lived binary tree of depth 8\n \
         Creating a long-lived array of 4000 doubles\n\
         Creating 132 trees of depth 4\n\
         Creating 32 trees of depth 6\n\
         Creating 8 trees of depth 8\n"
    );
}

#[test]
fn cycles_leaves_only_cyclic_garbage_for_refcount() {
    // Reference counting alone frees nothing of `cycles`: the cycle detector does it all.
    let mut heap = RefcountHeap::with_config(HeapConfig::default()).unwrap();
    let mut out = Vec::new();
    cycles::cycles(&mut heap, 500, &mut out).unwrap();
    assert_eq!(heap.live_objects(), 0);
    assert_eq!(heap.stats().counters.get("freed_by_refcount").copied().unwrap_or(0), 0);
    assert_eq!(heap.stats().counters["cycles_found"], 500 * 21);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("500 rings of 21 nodes built and dropped\t check: {}\n", cycles::expected_checksum(500))
    );
}
