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

/// Allocation that outruns marking is met by bounded mutator assists, each logged as an
/// `Assist` pause, never by one long allocation stall: with the markers held, the mutator's
/// assists alone must mark a 20,000-node list (the checkmark oracle checks the result at
/// the final handshake), each assist scanning a bounded number of objects.
#[test]
fn assists_alone_finish_marking_when_the_markers_are_held() {
    const NODES: u64 = 20_000;
    let config = ConcurrentConfig {
        heap: HeapConfig::default().heap_limit(64 << 20).initial_trigger(256 << 10),
        checkmark: true,
        markers: 1,
        ..ConcurrentConfig::default()
    };
    let mut heap = ConcurrentHeap::with_backend_config(config).unwrap();
    heap.push_root(None);
    for _ in 0..NODES {
        let node = heap.allocate_from_roots(Tag(1), 1, 8, 1).unwrap();
        heap.push_root(Some(node));
    }
    heap.collect(CollectionKind::Full);
    let before = heap.stats().counters["objects_marked_by_mutator"];
    heap.hold_markers(true);
    heap.start_cycle();
    assert!(heap.is_marking());
    let mut allocations = 0u64;
    while heap.is_marking() {
        heap.allocate(Tag(2), 0, 48).unwrap();
        allocations += 1;
        assert!(allocations < 10_000_000, "marking never ended: assists do not progress");
    }
    // Then the lazy sweep, at the end of which the cycle's counters are published. (Not
    // "until no cycle is in progress": with the markers held, the pacer measures them slow
    // and starts the next cycle at once, at the first slow path after the sweep, so the
    // loop would never see the heap idle.)
    let cycles = heap.stats().full_collections;
    while heap.stats().full_collections == cycles {
        heap.allocate(Tag(2), 0, 48).unwrap();
    }
    heap.hold_markers(false);
    let stats = heap.stats();
    let assists = stats.collections(CollectionKind::Assist);
    let by_mutator = stats.counters["objects_marked_by_mutator"] - before;
    assert_eq!(stats.collections(CollectionKind::AllocationStall), 0, "no stall: assists only");
    assert!(by_mutator >= NODES, "the held markers marked nothing, so the mutator marked the list ({by_mutator})");
    // A list is a chain: each assist scans at most ASSIST_OBJECTS (4096) of it.
    assert!(assists >= NODES / 4096, "{assists} assists for {by_mutator} objects");
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects() as u64, NODES);
    heap.verify().unwrap();
}

/// An assist never scans an object of more than 4096 slots (one of a million slots would
/// take a millisecond): it hands such an object back to the markers. With the markers held,
/// a rooted 10,000-slot array is therefore never scanned by assists, and marking cannot end
/// until the markers are let go; then it ends, and the checkmark oracle finds nothing white.
#[test]
fn assists_leave_huge_objects_to_the_markers() {
    let config = ConcurrentConfig {
        heap: HeapConfig::default().heap_limit(64 << 20).initial_trigger(256 << 10),
        checkmark: true,
        markers: 1,
        ..ConcurrentConfig::default()
    };
    let mut heap = ConcurrentHeap::with_backend_config(config).unwrap();
    let array = heap.allocate(Tag(1), 10_000, 0).unwrap();
    heap.push_root(Some(array));
    for i in 0..10_000 {
        let element = heap.allocate(Tag(2), 0, 8).unwrap();
        let array = heap.root_at(0).unwrap();
        heap.store(array, i, Some(element));
    }
    heap.collect(CollectionKind::Full);
    heap.hold_markers(true);
    heap.start_cycle();
    for _ in 0..200_000 {
        heap.allocate(Tag(3), 0, 48).unwrap();
    }
    assert!(heap.stats().collections(CollectionKind::Assist) > 0, "the mutator assisted");
    assert!(heap.is_marking(), "assists scanned the 10,000-slot array");
    heap.hold_markers(false);
    let mut allocations = 0;
    while heap.is_marking() {
        heap.allocate(Tag(3), 0, 48).unwrap();
        allocations += 1;
        assert!(allocations < 10_000_000, "marking never ended");
    }
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects(), 10_001);
    heap.verify().unwrap();
}

/// Dead large objects are invalidated at once when the sweep reaches them and their pages
/// released one object per sweep increment: `verify()` holds at every step in between, and
/// the large space's memory comes back.
#[test]
fn dead_large_objects_are_released_in_steps() {
    let mut heap =
        ConcurrentHeap::with_config(HeapConfig::default().heap_limit(256 << 20).initial_trigger(4 << 20)).unwrap();
    let keep = heap.allocate(Tag(1), 20_000, 0).unwrap();
    heap.push_root(Some(keep));
    for i in 0..3_000u32 {
        heap.allocate(Tag(2), 10_000 + (i as usize % 7) * 1000, 0).unwrap(); // dead at once
        for _ in 0..20 {
            heap.allocate(Tag(3), 1, 8).unwrap();
        }
        if i % 10 == 0 {
            heap.verify().unwrap_or_else(|e| panic!("after {i} large objects: {e}"));
        }
    }
    heap.collect(CollectionKind::Full);
    heap.verify().unwrap();
    assert_eq!(heap.live_objects(), 1);
    let counters = &heap.stats().counters;
    assert!(counters["cycles"] >= 10, "{counters:?}");
    assert!(counters["large_freed_max"] > 1, "several dead large objects per cycle: {counters:?}");
    assert!(heap.heap_bytes() < 16 << 20, "released: {} bytes held", heap.heap_bytes());
}

/// A heap with one marker and a rooted object of `slots` slots.
fn rooted_heap(slots: usize) -> (ConcurrentHeap, gclab_core::ObjRef) {
    let config = ConcurrentConfig {
        heap: HeapConfig::default().heap_limit(64 << 20),
        markers: 1,
        ..ConcurrentConfig::default()
    };
    let mut heap = ConcurrentHeap::with_backend_config(config).unwrap();
    let root = heap.allocate(Tag(1), slots, 0).unwrap();
    heap.push_root(Some(root));
    (heap, root)
}

/// Runs safepoints until the cycle in progress (its final handshake, then its lazy sweep) is
/// over (counted, as a safepoint may start the next one).
fn end_cycle_at_safepoints(heap: &mut ConcurrentHeap) {
    let cycles = heap.stats().full_collections;
    while heap.stats().full_collections == cycles {
        heap.safepoint();
        std::thread::yield_now();
    }
}

/// Objects are allocated white while marking: the ones the mutator never publishes (stores in
/// a slot, puts on the roots) die with the cycle they were born in, instead of floating to the
/// next one as black objects did.
#[test]
fn unpublished_objects_allocated_while_marking_die_in_that_cycle() {
    const CHAIN: usize = 100_000;
    let (mut heap, root) = rooted_heap(2);
    for _ in 0..CHAIN {
        let node = heap.allocate(Tag(4), 1, 0).unwrap();
        let next = heap.load(root, 0);
        heap.store(node, 0, next);
        heap.store(root, 0, Some(node));
    }
    heap.collect(CollectionKind::Full);
    // Held markers, and a chain longer than the assists of a few slow paths can mark: marking
    // stays in progress while the temporaries are made.
    heap.hold_markers(true);
    heap.start_cycle();
    for i in 0..1000u64 {
        let temp = heap.allocate(Tag(2), 1, 8).unwrap();
        heap.store(temp, 0, Some(root)); // a store *into* a new object does not publish it
        heap.data_mut(temp).copy_from_slice(&i.to_le_bytes());
    }
    assert!(heap.is_marking(), "marking ended while the temporaries were made");
    let kept = heap.allocate(Tag(3), 0, 0).unwrap();
    heap.store(root, 1, Some(kept)); // published: shaded by the barrier
    heap.hold_markers(false);
    end_cycle_at_safepoints(&mut heap);
    heap.verify().unwrap();
    // The chain, the root and `kept`: no temporary.
    assert_eq!(heap.live_objects(), CHAIN + 2);
    assert_eq!(heap.load(root, 1), Some(kept));
}

/// The contract lets an allocation invalidate unrooted references, and nothing else: a final
/// handshake run at a store or a safepoint must keep the newest object, which the mutator may
/// still hold unrooted, though it is white.
#[test]
fn the_newest_object_survives_a_final_handshake_at_a_store() {
    let (mut heap, root) = rooted_heap(1);
    heap.start_cycle();
    assert!(heap.is_marking());
    let newest = heap.allocate(Tag(2), 0, 4).unwrap();
    heap.data_mut(newest).copy_from_slice(b"keep");
    // Stores (of null, into the root) until one of them runs the final handshake.
    while heap.is_marking() {
        heap.store(root, 0, None);
        std::thread::yield_now();
    }
    // `newest` is still valid and storable: the handshake marked it.
    heap.store(root, 0, Some(newest));
    end_cycle_at_safepoints(&mut heap);
    heap.verify().unwrap();
    assert_eq!(heap.data(newest), b"keep");
    assert_eq!(heap.live_objects(), 2);
}
