//! Tests of the mark-sweep plan's own behaviour: trigger, limits, spaces, arena release.

use gclab_core::{AllocErrorKind, CollectionKind, Heap, HeapConfig, Tag};
use gclab_marksweep::MarkSweepHeap;

fn small_heap(limit: usize) -> MarkSweepHeap {
    MarkSweepHeap::with_config(HeapConfig::default().heap_limit(limit).initial_trigger(256 << 10)).unwrap()
}

#[test]
fn unrooted_objects_are_reclaimed_rooted_kept() {
    let mut heap = small_heap(64 << 20);
    let keep = heap.allocate(Tag(1), 2, 8).unwrap();
    heap.push_root(Some(keep));
    for _ in 0..1000 {
        heap.allocate(Tag(2), 1, 0).unwrap();
    }
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects(), 1);
    assert_eq!(heap.stats().live_objects_after_gc, 1);
    heap.verify().unwrap();
}

#[test]
fn automatic_collections_keep_the_heap_bounded() {
    let mut heap = small_heap(8 << 20);
    for _ in 0..1_000_000 {
        heap.allocate(Tag(0), 2, 0).unwrap();
    }
    assert!(heap.stats().full_collections > 0);
    assert!(heap.stats().peak_heap_bytes <= 8 << 20);
    heap.verify().unwrap();
}

#[test]
fn exhaustion_is_an_error_not_an_abort() {
    let mut heap = small_heap(2 << 20);
    let list = heap.allocate(Tag(0), 1, 0).unwrap();
    heap.push_root(Some(list));
    let err = loop {
        match heap.allocate(Tag(0), 1, 100) {
            Ok(node) => {
                let head = heap.root_at(0);
                heap.store(node, 0, head);
                heap.set_root(0, Some(node));
            }
            Err(e) => break e,
        }
    };
    assert!(matches!(err.kind(), AllocErrorKind::HeapExhausted { limit, .. } if *limit == 2 << 20), "{err}");
    assert!(err.to_string().contains("heap exhausted"));
    heap.verify().unwrap();
    // Dropping the list makes room again.
    heap.set_root(0, None);
    heap.allocate(Tag(0), 1, 100).unwrap();
    let big = heap.allocate(Tag(0), 0, 3 << 20);
    assert!(matches!(big, Err(ref e) if e.is_too_large()), "{big:?}");
}

#[test]
fn large_objects_live_and_die_with_their_pages() {
    let mut heap = small_heap(64 << 20);
    let big = heap.allocate(Tag(7), 10_000, 100).unwrap();
    heap.push_root(Some(big));
    let small = heap.allocate(Tag(1), 0, 0).unwrap();
    heap.store(big, 9_999, Some(small));
    heap.data_mut(big)[99] = 5;
    let before = heap.stats().heap_bytes;
    heap.allocate(Tag(8), 0, 1 << 20).unwrap(); // garbage large object
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects(), 2);
    // The garbage object's megabyte went back (and maybe the small object's arena's free pools).
    assert!(heap.stats().heap_bytes <= before, "{} > {before}", heap.stats().heap_bytes);
    assert!(heap.stats().peak_heap_bytes >= before + (1 << 20));
    assert_eq!(heap.load(big, 9_999), Some(small));
    assert_eq!(heap.data(big)[99], 5);
    heap.verify().unwrap();
    heap.pop_root();
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects(), 0);
    heap.verify().unwrap();
}

#[test]
fn empty_arenas_go_back_to_the_system() {
    let mut heap = MarkSweepHeap::with_config(HeapConfig::default().initial_trigger(1 << 20)).unwrap();
    heap.push_root(None);
    for i in 0..200_000 {
        let node = heap.allocate(Tag(0), 1, 48).unwrap();
        let head = heap.root_at(0);
        heap.store(node, 0, head);
        if i % 2 == 0 {
            heap.set_root(0, Some(node));
        }
    }
    let peak = heap.stats().heap_bytes;
    heap.set_root(0, None);
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects(), 0);
    assert!(heap.stats().heap_bytes < peak / 4, "{} of {peak} bytes kept", heap.stats().heap_bytes);
    assert!(heap.stats().counters["arenas_released"] > 0);
    heap.verify().unwrap();
}

#[test]
fn ten_million_node_list_does_not_overflow_the_stack() {
    let mut heap = MarkSweepHeap::new();
    heap.push_root(None);
    for _ in 0..10_000_000 {
        let node = heap.allocate(Tag(0), 1, 0).unwrap();
        let head = heap.root_at(0);
        heap.store(node, 0, head);
        heap.set_root(0, Some(node));
    }
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects(), 10_000_000);
    heap.set_root(0, None);
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects(), 0);
}
