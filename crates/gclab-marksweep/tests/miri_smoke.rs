//! A short program for Miri (`scripts/miri`) on the mark-sweep backend: allocation, stores, a
//! rooted and an unreachable cycle, a large object, a `Root` handle, `allocate_from_roots` and
//! `allocate_immutable`, forged references, minor and full collections, `verify`. The heap is
//! 2 MiB: a default (4 GiB) heap reserves more address space than Miri can allocate. It
//! runs natively under `cargo test` too.

use gclab_core::{CollectionKind, Heap, HeapConfig};
use gclab_marksweep::MarkSweepHeap;

#[path = "../../../tests/support/miri_smoke_program.rs"]
mod smoke;

#[test]
fn miri_smoke() {
    let config = HeapConfig::default().heap_limit(2 << 20).initial_trigger(32 << 10);
    let mut heap = MarkSweepHeap::with_config(config).unwrap();
    smoke::program(&mut heap, smoke::KEPT);
    let stats = heap.stats();
    assert!(stats.full_collections + stats.minor_collections >= 3, "the trigger fired");
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects(), 0);
    heap.verify().unwrap();
}
