use gclab_concurrent::{ConcurrentConfig, ConcurrentHeap};
use gclab_core::{CollectionKind, Heap, HeapConfig, Tag};

#[test]
fn smoke() {
    let mut heap =
        ConcurrentHeap::with_config(HeapConfig::default().heap_limit(64 << 20).initial_trigger(64 << 10)).unwrap();
    let list = heap.allocate(Tag(1), 1, 0).unwrap();
    heap.push_root(Some(list));
    for i in 0..200_000u32 {
        let n = heap.allocate(Tag(2), 2, 8).unwrap();
        let head = heap.root_at(0).unwrap();
        let old = heap.load(head, 0);
        heap.store(n, 0, old);
        if i % 3 == 0 {
            heap.store(head, 0, Some(n));
        }
        if i % 1000 == 0 {
            heap.verify().unwrap();
        }
    }
    heap.collect(CollectionKind::Full);
    heap.verify().unwrap();
    eprintln!("{:?}", heap.stats().counters);
    assert!(heap.stats().counters["cycles"] > 0);
}

/// The checkmark oracle must be able to fail: with the barrier switched off (a test hook
/// accepted only with checkmark on), an object moved from a slot to the root stack after
/// the snapshot stays white, and the final handshake panics with its path.
#[test]
#[should_panic(expected = "checkmark: concurrent marking left a reachable object white")]
fn checkmark_catches_a_missing_barrier() {
    hidden_move(true);
}

/// The same program with the barrier on survives, and the moved object too.
#[test]
fn barrier_keeps_an_object_moved_after_the_snapshot() {
    hidden_move(false);
}

fn hidden_move(no_barrier: bool) {
    let config = ConcurrentConfig {
        heap: HeapConfig::default().heap_limit(16 << 20),
        checkmark: true,
        unsound_no_barrier: no_barrier,
        markers: 1,
        ..ConcurrentConfig::default()
    };
    let mut heap = ConcurrentHeap::with_backend_config(config).unwrap();
    let a = heap.allocate(Tag(1), 1, 0).unwrap();
    heap.push_root(Some(a));
    let b = heap.allocate(Tag(2), 0, 3).unwrap();
    heap.data_mut(b).copy_from_slice(b"bbb");
    heap.store(a, 0, Some(b));
    heap.hold_markers(true);
    heap.start_cycle(); // snapshot: root a -> b; the markers are held
    assert!(heap.is_marking());
    heap.push_root(Some(b)); // b moves to the roots...
    heap.store(a, 0, None); // ...and leaves the heap: only the deletion barrier saves it
    heap.collect(CollectionKind::Full); // releases the markers, ends the cycle
    heap.verify().unwrap();
    assert_eq!(heap.data(heap.root_at(1).unwrap()), b"bbb");
    assert_eq!(heap.live_objects(), 2);
}
