//! What a moving collector must keep: identity and contents across copies, stale locals
//! caught by name, deep structures promoted without recursion, and an honest failure when
//! promotion cannot fit under the heap limit.

use gclab_core::{AllocErrorKind, CollectionKind, Heap, HeapConfig, ObjRef, RefError, Tag};
use gclab_generational::{GenerationalConfig, GenerationalHeap};

fn heap(nursery_bytes: usize, tenuring_age: u8) -> GenerationalHeap {
    GenerationalHeap::with_backend_config(GenerationalConfig {
        heap: HeapConfig::default().heap_limit(256 << 20),
        nursery_bytes,
        tenuring_age,
        adaptive_tenuring: false,
        ..GenerationalConfig::default()
    })
    .expect("valid configuration")
}

/// An object's data: its number, so a copy that mixed objects up would show.
fn make(heap: &mut GenerationalHeap, n: u64) -> ObjRef {
    let obj = heap.allocate(Tag((n % 1000) as u16), 1, 8).unwrap();
    heap.data_mut(obj).copy_from_slice(&n.to_le_bytes());
    obj
}

#[test]
fn identity_and_contents_survive_a_thousand_minor_collections() {
    // Tenuring age 15 and 32 KiB survivor spaces: the objects bounce between survivor spaces
    // 15 times, then live in the old space while minor collections continue.
    let mut heap = heap(256 << 10, 15);
    let mut expected = Vec::new();
    for n in 0..100u64 {
        let obj = make(&mut heap, n);
        let hash = heap.identity_hash(obj);
        if n % 2 == 0 {
            heap.push_root(Some(obj));
            expected.push((None, n, hash));
        } else {
            let handle = heap.root(obj);
            expected.push((Some(handle), n, hash));
        }
    }
    // Each object's slot refers to the previous one's: the graph must survive too.
    let objects = |heap: &GenerationalHeap, expected: &[(Option<gclab_core::Root>, u64, u64)]| -> Vec<ObjRef> {
        let mut stack = 0;
        expected
            .iter()
            .map(|(handle, _, _)| match handle {
                Some(h) => h.get(),
                None => {
                    stack += 1;
                    heap.root_at(stack - 1).unwrap()
                }
            })
            .collect()
    };
    let now = objects(&heap, &expected);
    for pair in now.windows(2) {
        heap.store(pair[1], 0, Some(pair[0]));
    }
    let mut moved = 0;
    for cycle in 0..1000 {
        let before = objects(&heap, &expected);
        heap.collect(CollectionKind::Minor);
        let after = objects(&heap, &expected);
        moved += before.iter().zip(&after).filter(|(a, b)| a != b).count();
        if cycle % 100 == 0 {
            heap.verify().unwrap();
        }
        for (i, (&obj, (_, n, hash))) in after.iter().zip(&expected).enumerate() {
            assert_eq!(heap.data(obj), &n.to_le_bytes(), "object {n}'s data after {cycle} collections");
            assert_eq!(heap.tag(obj), Tag((*n % 1000) as u16));
            assert_eq!(heap.identity_hash(obj), *hash, "object {n}'s identity hash after a move");
            let previous = if i == 0 { None } else { Some(after[i - 1]) };
            assert_eq!(heap.load(obj, 0), previous, "object {n}'s slot after {cycle} collections");
        }
    }
    assert_eq!(heap.stats().minor_collections, 1000);
    assert!(moved >= 100 * 15, "every object was copied at least 15 times ({moved} moves)");
    assert_eq!(heap.generational_stats().objects_promoted, 100, "then promoted once each");
    heap.verify().unwrap();
}

#[test]
fn a_local_held_across_a_minor_collection_is_caught_by_name() {
    let mut heap = heap(64 << 10, 15);
    let kept = make(&mut heap, 1);
    let root = heap.root(kept);
    let local = kept; // not a root: invalid after any allocation that may collect
    heap.collect(CollectionKind::Minor);
    assert_ne!(root.get(), local, "the object moved");
    assert_eq!(heap.try_load(local, 0), Err(RefError::Stale { obj: local }));
    let message = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| heap.data(local)))
        .expect_err("using a stale reference panics");
    let message = message.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("stale reference"), "{message}");
    // Its granule is reused by the next objects of eden; without the `checked` feature a
    // reference to a reused cell reaches the new object (validated: no undefined behaviour),
    // with it the sequence number tells them apart.
    let reuser = make(&mut heap, 2);
    assert_eq!(reuser.granule(), local.granule(), "eden is reused from its start");
    #[cfg(feature = "checked")]
    assert!(matches!(heap.try_load(local, 0), Err(RefError::Reused { .. })));
}

#[test]
fn a_ten_million_node_list_is_promoted_without_recursion() {
    // Built so that each node's tail is older than the node: an eden of 1 MiB fills many
    // times over, and every minor collection promotes the list's young part (tenuring 0),
    // scanning chains thousands of nodes long with no native recursion.
    let mut heap = GenerationalHeap::with_backend_config(GenerationalConfig {
        heap: HeapConfig::default().heap_limit(2 << 30),
        nursery_bytes: 1 << 20,
        tenuring_age: 0,
        adaptive_tenuring: false,
        ..GenerationalConfig::default()
    })
    .unwrap();
    const N: usize = 10_000_000;
    heap.push_root(None);
    for _ in 0..N {
        // new node = (tail); the root is replaced by it.
        heap.allocate_from_roots(Tag(1), 1, 0, 1).map(|node| heap.push_root(Some(node))).unwrap();
    }
    heap.collect(CollectionKind::Minor);
    assert_eq!(heap.live_objects(), N);
    assert!(heap.generational_stats().objects_promoted as usize >= N - 1);
    // Walk it from the root, without recursion.
    let mut length = 0;
    let mut node = heap.root_at(0);
    while let Some(n) = node {
        length += 1;
        node = heap.live(n).load(0).map(|l| l.obj_ref());
    }
    assert_eq!(length, N);
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects(), N);
    heap.truncate_roots(0);
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects(), 0);
}

#[test]
fn old_to_young_references_are_remembered_and_followed() {
    let mut heap = heap(64 << 10, 0);
    let old = heap.allocate(Tag(1), 2, 0).unwrap();
    heap.push_root(Some(old));
    heap.collect(CollectionKind::Minor); // promoted at once (tenuring age 0)
    let old = heap.root_at(0).unwrap();
    assert!(!heap.is_young(old));
    let young = make(&mut heap, 42);
    assert!(heap.is_young(young));
    let slow_before = heap.barrier_slow_path();
    heap.store(old, 0, Some(young));
    heap.store(old, 1, Some(young)); // logged once: no second slow path
    assert_eq!(heap.barrier_slow_path(), slow_before + 1);
    heap.verify().unwrap();
    heap.collect(CollectionKind::Minor); // only the remembered set reaches `young`
    let moved = heap.load(old, 0).unwrap();
    assert_eq!(heap.load(old, 1), Some(moved));
    assert_eq!(heap.data(moved), &42u64.to_le_bytes());
    heap.verify().unwrap();
}

#[test]
fn a_large_array_is_remembered_by_chunk() {
    let mut heap = heap(64 << 10, 15);
    let array = heap.allocate(Tag(1), 100_000, 0).unwrap(); // born old (800 KB)
    assert!(!heap.is_young(array));
    heap.push_root(Some(array));
    for i in [5, 70_000] {
        let young = make(&mut heap, i as u64);
        let array = heap.root_at(0).unwrap();
        heap.store(array, i, Some(young));
    }
    heap.verify().unwrap();
    let remembered = heap.generational_stats().remembered_at_minor.len();
    heap.collect(CollectionKind::Minor);
    assert_eq!(heap.generational_stats().remembered_at_minor[remembered], 2, "two chunks, not the whole array");
    let array = heap.root_at(0).unwrap();
    assert_eq!(heap.data(heap.load(array, 5).unwrap()), &5u64.to_le_bytes());
    assert_eq!(heap.data(heap.load(array, 70_000).unwrap()), &70_000u64.to_le_bytes());
    heap.verify().unwrap();
}

#[test]
fn promotion_failure_under_a_tight_limit_is_an_error_and_the_heap_stays_consistent() {
    let limit = 2 << 20;
    let mut heap = GenerationalHeap::with_backend_config(GenerationalConfig {
        heap: HeapConfig::default().heap_limit(limit),
        nursery_bytes: 256 << 10,
        tenuring_age: 15,
        ..GenerationalConfig::default()
    })
    .unwrap();
    let mut rooted = 0;
    let error = loop {
        match heap.allocate(Tag(1), 2, 16) {
            Ok(obj) => {
                heap.push_root(Some(obj));
                rooted += 1;
            }
            Err(e) => break e,
        }
    };
    assert!(matches!(error.kind(), AllocErrorKind::HeapExhausted { limit: l, .. } if *l == limit), "{error:?}");
    heap.verify().expect("consistent after a failed promotion");
    assert_eq!(heap.live_objects(), rooted);
    assert!(heap.heap_bytes() <= limit);
    // Dropping half the roots makes room: allocation works again.
    heap.truncate_roots(rooted / 2);
    heap.allocate(Tag(1), 2, 16).expect("room after the roots are dropped");
    heap.verify().unwrap();
}

#[test]
fn allocation_counts_are_exact_between_collections() {
    // Eden's fast path counts nothing; `allocated` adds what eden holds since the last
    // collection, whose settling `stats` reflects only then.
    let mut heap = heap(64 << 10, 1);
    let mut bytes = 0u64;
    for n in 0..10_000u64 {
        make(&mut heap, n);
        bytes += 32;
        let allocated = heap.allocated();
        assert_eq!((allocated.objects, allocated.bytes), (n + 1, bytes), "after {} allocations", n + 1);
    }
    assert!(heap.stats().minor_collections > 0, "64 KiB of eden fills several times");
    assert!(heap.stats().allocated_objects < 10_000, "the statistics settle at collections only");
    heap.collect(CollectionKind::Minor);
    assert_eq!(heap.stats().allocated_objects, 10_000, "a collection settles the count");
    assert_eq!(heap.allocated().objects, 10_000);
}
