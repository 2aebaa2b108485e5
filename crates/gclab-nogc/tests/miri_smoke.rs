//! A short program for Miri (`scripts/miri`) on the nogc backend: allocation, stores, a
//! rooted and an unreachable cycle, a large object, a `Root` handle, `allocate_from_roots` and
//! `allocate_immutable`, forged references, minor and full collections (no-ops here),
//! `verify`. The heap is 2 MiB: a default (4 GiB) heap reserves more address space than Miri
//! can allocate. It runs natively under `cargo test` too.

use gclab_core::{Heap, HeapConfig};
use gclab_nogc::NoGcHeap;

#[path = "../../../tests/support/miri_smoke_program.rs"]
mod smoke;

#[test]
fn miri_smoke() {
    let mut heap = NoGcHeap::with_config(HeapConfig::default().heap_limit(2 << 20)).unwrap();
    // Nothing is freed: the unreachable cycle, the dropped tree and the garbage stay.
    smoke::program(&mut heap, smoke::KEPT + 2 + smoke::TREE + smoke::GARBAGE);
    assert_eq!(heap.stats().full_collections + heap.stats().minor_collections, 0);
    heap.verify().unwrap();
}
