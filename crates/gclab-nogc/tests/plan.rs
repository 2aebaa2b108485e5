//! The no-GC heap on its own: allocation never frees, collections do nothing, the limit holds.
//! (The mutator-mistake checks that do not depend on reclamation run in the facade's
//! `tests/safety.rs`.)

use gclab_core::{AllocErrorKind, CollectionKind, Heap, HeapConfig, Tag, PAGE_SIZE};
use gclab_nogc::NoGcHeap;

fn small() -> NoGcHeap {
    NoGcHeap::with_config(HeapConfig::default().heap_limit(4 << 20)).unwrap()
}

#[test]
fn nothing_is_ever_freed_and_collections_record_nothing() {
    let mut heap = small();
    for i in 0..1000u64 {
        let obj = heap.allocate(Tag(1), 1, 8).unwrap();
        heap.data_mut(obj).copy_from_slice(&i.to_le_bytes());
    }
    heap.collect(CollectionKind::Full);
    heap.collect(CollectionKind::Minor);
    assert_eq!(heap.live_objects(), 1000);
    let stats = heap.stats();
    assert_eq!((stats.full_collections, stats.minor_collections, stats.pauses.len()), (0, 0, 0));
    assert_eq!(stats.allocated_objects, 1000);
    assert_eq!(stats.allocated_bytes, 1000 * 32);
    assert_eq!(stats.peak_heap_bytes, (1000 * 32usize).next_multiple_of(PAGE_SIZE));
    heap.verify().unwrap();
}

#[test]
fn objects_keep_their_contents_and_references() {
    let mut heap = small();
    let a = heap.allocate(Tag(7), 2, 3).unwrap();
    heap.push_root(Some(a));
    let big = heap.allocate(Tag(8), 20_000, 0).unwrap(); // large: bumped like the rest
    heap.store(a, 0, Some(big));
    heap.store(big, 19_999, Some(a));
    heap.data_mut(a).copy_from_slice(b"xyz");
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.tag(a), Tag(7));
    assert_eq!(heap.load(a, 0), Some(big));
    assert_eq!(heap.load(big, 19_999), Some(a));
    assert_eq!(heap.data(a), b"xyz");
    assert_eq!(heap.load(big, 5), None, "fresh memory is zero");
    heap.verify().unwrap();
}

#[test]
fn allocation_past_the_limit_is_heap_exhausted() {
    let mut heap = small();
    let mut n = 0usize;
    let err = loop {
        match heap.allocate(Tag(1), 0, 1008) {
            Ok(_) => n += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(n, 4 * 1024, "4 MiB holds 4096 objects of 1 KiB");
    assert!(matches!(err.kind(), AllocErrorKind::HeapExhausted { limit, .. } if *limit == 4 << 20), "{err:?}");
    assert!(matches!(heap.allocate(Tag(1), 0, 8 << 20), Err(e) if e.is_too_large()));
    assert!(matches!(heap.allocate(Tag(1), u32::MAX as usize + 1, 0), Err(e) if e.is_too_large()));
    heap.verify().unwrap();
}

#[test]
fn bad_references_are_named() {
    let mut heap = small();
    let other = small();
    let a = heap.allocate(Tag(1), 1, 0).unwrap();
    let forged = a.with_granule(a.granule() + 1);
    assert!(heap.try_load(forged, 0).is_err());
    assert!(heap.try_store(a, 1, None).is_err());
    assert!(other.try_load(a, 0).is_err());
}
