//! A short program for Miri (`scripts/miri`) on the generational backend: the shared smoke
//! program (allocation, stores, cycles, a large object, a `Root` handle, `allocate_from_roots`
//! and `allocate_immutable`, forged references, minor and full collections, `verify`) on a
//! 2 MiB heap with a 1 KiB eden, so objects are copied, aged, promoted and remembered by the
//! barrier many times over. It runs natively under `cargo test` too.

use gclab_core::{CollectionKind, Heap, HeapConfig};
use gclab_generational::{GenerationalConfig, GenerationalHeap};

#[path = "../../../tests/support/miri_smoke_program.rs"]
mod smoke;

#[test]
fn miri_smoke() {
    let config = GenerationalConfig {
        heap: HeapConfig::default().heap_limit(2 << 20).initial_trigger(32 << 10),
        nursery_bytes: 1 << 10,
        survivor_ratio: 2,
        tenuring_age: 2,
        adaptive_tenuring: false,
        ..GenerationalConfig::default()
    };
    let mut heap = GenerationalHeap::with_backend_config(config).unwrap();
    smoke::program(&mut heap, smoke::KEPT);
    let stats = heap.stats();
    assert!(stats.minor_collections >= 3, "the nursery filled and was evacuated");
    assert!(heap.generational_stats().bytes_promoted > 0, "objects were promoted");
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects(), 0);
    heap.verify().unwrap();
}
