//! The short program `scripts/miri` runs on every backend (included by each backend crate's
//! `tests/miri_smoke.rs` with `#[path]`, so the backends share one copy without depending on
//! each other): allocation, stores, a rooted and an unreachable cycle, a large object, a `Root`
//! handle, `allocate_from_roots`, `allocate_immutable` and `allocate_immutable_onto_roots`,
//! forged references, minor and full collections, `verify`. Heaps are 2 MiB: a default (4 GiB) heap reserves more address space
//! than Miri can allocate.

use gclab_core::{CollectionKind, Heap, ObjRef, Tag};

/// Unreachable objects allocated after the structure is built.
pub const GARBAGE: usize = 2_000;

/// The objects the program keeps: the list and its 8 strings, the rooted cycle (2), the large
/// object, the pair and the tuple.
pub const KEPT: usize = 14;

/// Objects of the small tree built with `allocate_immutable_onto_roots` and dropped: garbage
/// (counted by the backend that never frees).
#[allow(dead_code)]
pub const TREE: usize = 3;

/// Builds the objects, checks them across a minor and a full collection (after which the heap
/// holds `live_after_full` objects), then empties the root stack and drops the `Root`. The same
/// function runs on every backend.
pub fn program<H: Heap>(heap: &mut H, live_after_full: usize) {
    // A list of 8 strings, on the root stack.
    let list = heap.allocate(Tag(1), 8, 0).unwrap();
    heap.push_root(Some(list));
    for i in 0..8 {
        let item = heap.allocate(Tag(2), 0, 8 + i).unwrap();
        heap.data_mut(item)[..8].copy_from_slice(&(i as u64).to_le_bytes());
        heap.store(list, i, Some(item));
    }
    // A two-object cycle held by a `Root` handle, and an unreachable one.
    let a = heap.allocate(Tag(3), 1, 0).unwrap();
    let root_a = heap.root(a);
    let b = heap.allocate(Tag(3), 1, 0).unwrap();
    let a = root_a.get();
    heap.store(a, 0, Some(b));
    heap.store(b, 0, Some(a));
    let c = heap.allocate(Tag(4), 1, 0).unwrap();
    heap.push_root(Some(c));
    let d = heap.allocate(Tag(4), 1, 0).unwrap();
    heap.store(c, 0, Some(d));
    heap.store(d, 0, Some(c));
    heap.pop_root();
    // A large object (16 + 8 KiB of slots + 4 KiB of data: past every size class).
    let big = heap.allocate(Tag(5), 1024, 4096).unwrap();
    heap.push_root(Some(big));
    heap.store(big, 1023, Some(list));
    heap.data_mut(big)[4095] = 0xAB;
    // A pair built from the root stack, and an immutable tuple of the pair and `a`.
    heap.push_root(Some(root_a.get()));
    heap.push_root(heap.load(list, 0));
    let pair = heap.allocate_from_roots(Tag(6), 2, 0, 2).unwrap();
    heap.push_root(Some(pair));
    heap.push_root(Some(root_a.get()));
    let tuple = heap.allocate_immutable(Tag(7), 2, 3, 2).unwrap();
    heap.push_root(Some(tuple));
    assert!(heap.try_store(tuple, 0, None).is_err(), "an immutable object's slots are fixed");
    heap.data_mut(tuple).copy_from_slice(b"tup");
    // A small tree built on the root stack, as binary-trees builds its trees: each node takes
    // its operands' place there (`allocate_immutable_onto_roots`, which pushes unvalidated).
    heap.allocate_immutable_onto_roots(Tag(9), 0, 0, 0).unwrap();
    heap.allocate_immutable_onto_roots(Tag(9), 0, 0, 0).unwrap();
    heap.allocate_immutable_onto_roots(Tag(10), 2, 0, 2).unwrap();
    let tree = heap.pop_root().unwrap();
    assert_eq!(heap.tag(tree), Tag(10));
    assert_eq!(heap.tag(heap.load(tree, 1).unwrap()), Tag(9));
    // Garbage enough to pass the trigger.
    for _ in 0..GARBAGE {
        heap.allocate(Tag(8), 2, 0).unwrap();
    }
    let check = |heap: &H| {
        let [list, big, tuple] = [0, 1, 2].map(|i| heap.root_at(i).unwrap());
        let a = root_a.get();
        assert_eq!(heap.slot_count(list), 8);
        for i in 0..8 {
            let item = heap.load(list, i).unwrap();
            assert_eq!(heap.tag(item), Tag(2));
            assert_eq!(heap.data(item)[..8], (i as u64).to_le_bytes());
            assert_eq!(heap.data_len(item), 8 + i);
        }
        let b = heap.load(a, 0).unwrap();
        assert_eq!(heap.load(b, 0), Some(a));
        assert_eq!(heap.load(big, 1023), Some(list));
        assert_eq!(heap.load(big, 0), None);
        assert_eq!(heap.data(big)[4095], 0xAB);
        let pair = heap.load(tuple, 0).unwrap();
        assert_eq!(heap.load(tuple, 1), Some(a));
        assert_eq!((heap.load(pair, 0), heap.load(pair, 1)), (Some(a), heap.load(list, 0)));
        assert_eq!(heap.data(tuple), b"tup");
        heap.verify().unwrap();
    };
    check(heap);
    heap.collect(CollectionKind::Minor);
    check(heap);
    heap.collect(CollectionKind::Full);
    check(heap);
    assert_eq!(heap.live_objects(), live_after_full);
    // Forged references are answered with errors, never undefined behaviour.
    let list = heap.root_at(0).unwrap();
    for bits in [list.bits() + 1, list.bits() ^ (1 << 48), list.bits() + (1 << 20), u64::MAX, 1] {
        if let Some(forged) = ObjRef::from_bits(bits) {
            let answers = (heap.try_load(forged, 0), heap.try_data(forged).map(<[u8]>::len));
            assert!(answers.0.is_err() && answers.1.is_err(), "{forged:?}: {answers:?}");
        }
    }
    assert!(heap.try_load(list, 8).is_err(), "slot index out of bounds");
    drop(root_a);
    heap.truncate_roots(0);
}
