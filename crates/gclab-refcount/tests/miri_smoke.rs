//! A short program for Miri (`scripts/miri`) on the refcount backend: allocation, stores, a
//! rooted and an unreachable cycle, a large object, a `Root` handle, `allocate_from_roots` and
//! `allocate_immutable`, forged references, minor and full collections, `verify`. The heap is
//! 2 MiB: a default (4 GiB) heap reserves more address space than Miri can allocate. It
//! runs natively under `cargo test` too.

use gclab_core::{CollectionKind, Heap, HeapConfig};
use gclab_refcount::RefcountHeap;

#[path = "../../../tests/support/miri_smoke_program.rs"]
mod smoke;

#[test]
fn miri_smoke() {
    let mut heap = RefcountHeap::with_config(HeapConfig::default().heap_limit(2 << 20)).unwrap();
    smoke::program(&mut heap, smoke::KEPT);
    assert!(heap.stats().minor_collections + heap.stats().full_collections >= 2);
    // Counts free everything but the rooted cycle, which the detector finds (in the oldest
    // generation by now).
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects(), 0);
    heap.verify().unwrap();
}
