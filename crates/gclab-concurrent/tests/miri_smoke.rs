//! A short program for Miri (`scripts/miri`) on the concurrent backend: the shared smoke
//! program (allocation, stores, cycles, a large object, a `Root`, `allocate_from_roots`,
//! `allocate_immutable`, forged references, collections, `verify`) with one marker thread,
//! once normally and once in stress mode with the checkmark oracle, so that marking runs
//! under the mutator's stores and allocations. The heap is 2 MiB: a default (4 GiB) heap
//! reserves more address space than Miri can allocate. It runs natively under `cargo test`
//! too.

use gclab_concurrent::{ConcurrentConfig, ConcurrentHeap};
use gclab_core::{CollectionKind, Heap, HeapConfig};

#[path = "../../../tests/support/miri_smoke_program.rs"]
mod smoke;

fn heap(stress: bool) -> ConcurrentHeap {
    let config = ConcurrentConfig {
        heap: HeapConfig::default().heap_limit(2 << 20).initial_trigger(32 << 10),
        markers: 1,
        stress,
        checkmark: stress,
        ..ConcurrentConfig::default()
    };
    ConcurrentHeap::with_backend_config(config).unwrap()
}

#[test]
fn miri_smoke() {
    let mut heap = heap(false);
    smoke::program(&mut heap, smoke::KEPT);
    let stats = heap.stats();
    assert!(stats.full_collections + stats.minor_collections >= 3, "the program's collections ran");
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects(), 0);
    heap.verify().unwrap();
}

#[test]
fn miri_smoke_under_stress() {
    let mut heap = heap(true);
    smoke::program(&mut heap, smoke::KEPT);
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects(), 0);
    heap.verify().unwrap();
    assert!(heap.stats().counters["cycles"] >= 3, "{:?}", heap.stats().counters);
}
