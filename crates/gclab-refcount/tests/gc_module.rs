//! The refcount backend's own behaviour: freeing at zero, and the gc-module API.

use std::cell::RefCell;
use std::rc::Rc;

use gclab_core::{CollectionKind, Heap, HeapConfig, ObjRef, Tag};
use gclab_refcount::{GcPhase, RefcountConfig, RefcountHeap};

fn heap_with(thresholds: [u32; 3]) -> RefcountHeap {
    RefcountHeap::with_backend_config(RefcountConfig { thresholds, ..RefcountConfig::default() }).unwrap()
}

/// Builds a ring of `n` containers, rooted at the top of the root stack.
fn ring(heap: &mut impl Heap, n: usize) {
    let first = heap.allocate(Tag(1), 1, 0).unwrap();
    heap.push_root(Some(first));
    heap.push_root(Some(first));
    for _ in 1..n {
        let node = heap.allocate(Tag(1), 1, 0).unwrap();
        let prev = heap.root_at(heap.root_depth() - 1).unwrap();
        heap.store(prev, 0, Some(node));
        let top = heap.root_depth() - 1;
        heap.set_root(top, Some(node));
    }
    let last = heap.pop_root().unwrap();
    let first = heap.root_at(heap.root_depth() - 1).unwrap();
    heap.store(last, 0, Some(first));
}

#[test]
fn the_last_reference_frees_at_once() {
    let mut heap = heap_with([0, 0, 0]);
    let parent = heap.allocate(Tag(0), 1, 0).unwrap();
    heap.push_root(Some(parent));
    let child = heap.allocate(Tag(0), 0, 8).unwrap();
    heap.store(parent, 0, Some(child));
    assert_eq!(heap.refcount(child), 1);
    assert_eq!(heap.live_objects(), 2);
    heap.store(parent, 0, None);
    assert_eq!(heap.live_objects(), 1, "the child must be freed by the store itself");
    heap.set_root(0, None);
    assert_eq!(heap.live_objects(), 0, "the parent must be freed by the root overwrite");
    assert_eq!(heap.stats().full_collections + heap.stats().minor_collections, 0);
    heap.verify().unwrap();
}

#[test]
fn containers_are_tracked_from_their_first_reference() {
    let mut heap = heap_with([0, 0, 0]);
    let a = heap.allocate(Tag(0), 2, 0).unwrap();
    heap.push_root(Some(a));
    let s = heap.allocate(Tag(0), 0, 3).unwrap();
    assert!(!heap.is_tracked(a) && !heap.is_tracked(s));
    heap.store(a, 1, Some(s));
    assert!(heap.is_tracked(a) && !heap.is_tracked(s));
    heap.store(a, 1, None);
    assert!(heap.is_tracked(a), "once tracked, tracked until freed");
    heap.verify().unwrap();
}

#[test]
fn counts_follow_slots_roots_and_handles() {
    let mut heap = heap_with([0, 0, 0]);
    let a = heap.allocate(Tag(0), 2, 0).unwrap();
    assert_eq!(heap.refcount(a), 0);
    heap.push_root(Some(a));
    heap.store(a, 0, Some(a));
    heap.store(a, 1, Some(a));
    let handle = heap.root(a);
    assert_eq!(heap.refcount(a), 4);
    assert_eq!(heap.referents(a), vec![a, a]);
    assert_eq!(heap.referrers(a), vec![a]);
    drop(handle);
    heap.collect(CollectionKind::Minor); // settles the dropped handle
    assert_eq!(heap.refcount(a), 3);
    heap.verify().unwrap();
}

#[test]
fn an_unreferenced_new_object_dies_at_the_next_allocation() {
    let mut heap = heap_with([0, 0, 0]);
    heap.allocate(Tag(0), 0, 0).unwrap();
    assert_eq!(heap.live_objects(), 1);
    heap.allocate(Tag(0), 0, 0).unwrap();
    assert_eq!(heap.live_objects(), 1);
    heap.verify().unwrap();
}

#[test]
fn dropping_a_ten_million_node_list_frees_it_without_recursion() {
    let mut heap = heap_with([0, 0, 0]);
    heap.push_root(None);
    for _ in 0..10_000_000 {
        let node = heap.allocate(Tag(0), 1, 0).unwrap();
        let head = heap.root_at(0);
        heap.store(node, 0, head);
        heap.set_root(0, Some(node));
    }
    assert_eq!(heap.live_objects(), 10_000_000);
    heap.set_root(0, None);
    assert_eq!(heap.live_objects(), 0);
    assert_eq!(heap.stats().counters["freed_by_refcount"], 10_000_000);
}

#[test]
fn freed_by_refcount_is_published_in_batches_and_exact_after_a_collection() {
    let freed = |heap: &RefcountHeap| heap.stats().counters.get("freed_by_refcount").copied().unwrap_or(0);
    let mut heap = heap_with([0, 0, 0]);
    // Objects freed one at a time (each made garbage by the next allocation): counted in a
    // plain field, published every 64.
    for _ in 0..=100 {
        heap.allocate(Tag(0), 0, 0).unwrap();
    }
    assert_eq!(heap.live_objects(), 1, "the newest is still waiting for the next safe point");
    assert_eq!(freed(&heap), 64, "100 freed, the first 64 published");
    heap.collect(CollectionKind::Minor);
    assert_eq!(freed(&heap), 101, "a collection publishes every free");
    // A cascade of 64 frees or more publishes at its end.
    heap.push_root(None);
    for _ in 0..200 {
        let node = heap.allocate(Tag(0), 1, 0).unwrap();
        let head = heap.root_at(0);
        heap.store(node, 0, head);
        heap.set_root(0, Some(node));
    }
    heap.set_root(0, None);
    assert_eq!(freed(&heap), 301);
}

#[test]
fn cyclic_garbage_needs_the_detector() {
    let mut heap = heap_with([0, 0, 0]);
    for _ in 0..100 {
        ring(&mut heap, 21);
        heap.pop_root();
    }
    assert_eq!(heap.live_objects(), 2100, "counts alone cannot free rings");
    heap.collect(CollectionKind::Minor); // the rings are all in generation 0
    assert_eq!(heap.live_objects(), 0);
    assert_eq!(heap.stats().counters["cycles_found"], 2100, "pyperformance gc_collect: every ring reclaimed");
    heap.verify().unwrap();
}

#[test]
fn live_nested_lists_are_never_collected() {
    // pyperformance gc_traversal: a collection of live structures collects exactly 0.
    let mut heap = heap_with([0, 0, 0]);
    let outer = heap.allocate(Tag(0), 1000, 0).unwrap();
    heap.push_root(Some(outer));
    for i in 0..1000 {
        let inner = heap.allocate(Tag(0), 1, 0).unwrap();
        heap.store(outer, i, Some(inner));
        heap.store(inner, 0, Some(outer));
    }
    assert_eq!(heap.collect_generation(2), 0);
    assert_eq!(heap.live_objects(), 1001);
}

#[test]
fn thresholds_trigger_collections_at_the_right_counts() {
    let mut heap = heap_with([100, 2, 2]);
    heap.push_root(None);
    let keep = heap.allocate(Tag(0), 1000, 0).unwrap(); // 1 container
    heap.set_root(0, Some(keep));
    // Keep every container alive, so count 0 only grows. A container is tracked from its
    // first non-null store, so each points back at `keep`.
    for i in 0..100 {
        let c = heap.allocate(Tag(0), 1, 0).unwrap();
        heap.store(c, 0, Some(keep));
        heap.store(keep, i, Some(c));
    }
    // 101 tracked allocations: the next container allocation sees count 101 > 100.
    assert_eq!(heap.generation_stats()[0].collections, 0);
    assert_eq!(heap.count(), [101, 0, 0]);
    let c = heap.allocate(Tag(0), 1, 0).unwrap();
    heap.store(c, 0, Some(keep));
    heap.store(keep, 100, Some(c));
    assert_eq!(heap.generation_stats()[0].collections, 1);
    assert_eq!(heap.count(), [1, 1, 0]);
    // Objects without slots, and containers never stored into, are not tracked and never
    // trigger anything.
    for _ in 0..1000 {
        heap.allocate(Tag(0), 0, 8).unwrap();
        heap.allocate(Tag(0), 4, 0).unwrap();
    }
    assert_eq!(heap.count(), [1, 1, 0]);
    // Two more generation-0 collections: count[1] = 3 > 2 triggers generation 1 next time.
    for round in 0..3 {
        for i in 0..101 {
            let c = heap.allocate(Tag(0), 1, 0).unwrap();
            heap.store(c, 0, Some(keep));
            heap.store(keep, 101 + round * 101 + i, Some(c));
        }
    }
    let stats = heap.generation_stats();
    assert_eq!((stats[0].collections, stats[1].collections), (3, 1), "{stats:?}");
    heap.verify().unwrap();
}

#[test]
fn a_zero_threshold_disables_automatic_collection() {
    let mut heap = heap_with([0, 10, 10]);
    for _ in 0..10_000 {
        ring(&mut heap, 3);
        heap.pop_root();
    }
    assert_eq!(heap.generation_stats().iter().map(|s| s.collections).sum::<u64>(), 0);
    heap.set_thresholds([700, 10, 10]);
    ring(&mut heap, 3);
    assert!(heap.generation_stats()[0].collections > 0);
}

#[test]
fn disable_and_enable() {
    let mut heap = heap_with([10, 10, 10]);
    heap.disable();
    assert!(!heap.is_enabled());
    for _ in 0..100 {
        ring(&mut heap, 3);
        heap.pop_root();
    }
    assert_eq!(heap.generation_stats()[0].collections, 0);
    heap.enable();
    ring(&mut heap, 3);
    assert!(heap.generation_stats()[0].collections > 0);
}

#[test]
fn collecting_generation_0_leaves_older_generations_alone() {
    let mut heap = heap_with([0, 0, 0]);
    ring(&mut heap, 5); // rooted
    heap.collect_generation(0); // survives into generation 1
    assert_eq!(heap.generation_sizes(), [0, 5, 0]);
    heap.truncate_roots(0); // now garbage, in generation 1
    assert_eq!(heap.collect_generation(0), 0);
    assert_eq!(heap.live_objects(), 5);
    assert_eq!(heap.generation_sizes(), [0, 5, 0]);
    assert_eq!(heap.collect_generation(1), 5);
    assert_eq!(heap.live_objects(), 0);
}

#[test]
fn frozen_objects_are_skipped_by_full_collections() {
    let mut heap = heap_with([0, 0, 0]);
    ring(&mut heap, 4);
    heap.truncate_roots(0); // garbage
    heap.freeze();
    assert_eq!(heap.frozen_count(), 4);
    assert_eq!(heap.collect_generation(2), 0);
    assert_eq!(heap.live_objects(), 4);
    heap.unfreeze();
    assert_eq!(heap.frozen_count(), 0);
    assert_eq!(heap.collect_generation(2), 4);
    heap.verify().unwrap();
}

#[test]
fn containers_freed_by_count_leave_the_long_lived_counts() {
    // CPython's gh-122569: objects freed by refcount were never subtracted from
    // long_lived_pending, so full collections ran when nothing new was long-lived.
    let mut heap = heap_with([0, 0, 0]);
    let holder = heap.allocate(Tag(0), 1000, 0).unwrap();
    heap.push_root(Some(holder));
    let leaf = heap.allocate(Tag(0), 0, 0).unwrap();
    heap.push_root(Some(leaf));
    for i in 0..1000 {
        let c = heap.allocate(Tag(0), 1, 0).unwrap();
        heap.store(c, 0, Some(leaf));
        heap.store(holder, i, Some(c));
    }
    heap.collect_generation(1); // all promoted to generation 2 (pending)
    assert_eq!(heap.generation_sizes(), [0, 0, 1001]);
    for i in 0..1000 {
        heap.store(holder, i, None); // freed by count
    }
    assert_eq!(heap.generation_sizes(), [0, 0, 1], "freed containers must leave generation 2");
    heap.verify().unwrap();
}

#[test]
fn callbacks_see_every_collection() {
    let mut heap = heap_with([50, 3, 3]);
    let log: Rc<RefCell<Vec<(GcPhase, usize, usize)>>> = Rc::default();
    let sink = log.clone();
    heap.add_callback(move |phase, info| sink.borrow_mut().push((phase, info.generation, info.collected)));
    for _ in 0..2000 {
        ring(&mut heap, 3);
        heap.pop_root();
    }
    heap.collect_generation(2);
    let log = log.borrow();
    let collections: u64 = heap.generation_stats().iter().map(|s| s.collections).sum();
    assert!(collections > 10);
    assert_eq!(log.len() as u64, 2 * collections);
    for pair in log.chunks(2) {
        assert_eq!((pair[0].0, pair[1].0), (GcPhase::Start, GcPhase::Stop));
        assert_eq!(pair[0].1, pair[1].1);
    }
    let collected: usize = log.iter().map(|e| e.2).sum();
    assert_eq!(collected as u64, heap.generation_stats().iter().map(|s| s.collected).sum::<u64>());
    assert_eq!(collected, 6000, "every ring node is cyclic garbage");
}

#[test]
fn a_panicking_callback_leaves_counts_intact() {
    let mut heap = heap_with([0, 0, 0]);
    ring(&mut heap, 3);
    heap.pop_root();
    heap.add_callback(|phase, _| {
        if phase == GcPhase::Start {
            panic!("callback failure");
        }
    });
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| heap.collect_generation(2)));
    assert!(result.is_err());
    heap.verify().unwrap();
    assert_eq!(heap.live_objects(), 3);
}

#[test]
fn empty_arenas_go_back_to_the_system() {
    let mut heap = RefcountHeap::with_config(HeapConfig::default()).unwrap();
    heap.push_root(None);
    for _ in 0..100_000 {
        let node = heap.allocate(Tag(0), 1, 100).unwrap();
        let head = heap.root_at(0);
        heap.store(node, 0, head);
        heap.set_root(0, Some(node));
    }
    let peak = heap.stats().heap_bytes;
    assert!(peak >= 12 << 20);
    heap.set_root(0, None);
    assert!(heap.stats().heap_bytes <= 1 << 20, "{} bytes kept of {peak}", heap.stats().heap_bytes);
}

#[test]
fn a_reference_freed_by_count_is_reported_stale() {
    let mut heap = heap_with([0, 0, 0]);
    let parent = heap.allocate(Tag(0), 1, 0).unwrap();
    heap.push_root(Some(parent));
    let child = heap.allocate(Tag(0), 0, 0).unwrap();
    heap.store(parent, 0, Some(child));
    heap.store(parent, 0, None);
    let err = heap.try_data(child).unwrap_err();
    assert!(err.to_string().contains("stale reference"), "{err}");
    let _: Option<ObjRef> = heap.load(parent, 0);
}

#[test]
fn one_survivor_in_a_thousand_does_not_pin_the_heap() {
    // CPython keeps every arena that holds one live object; measure what we keep.
    let mut heap = heap_with([0, 0, 0]);
    let keep = heap.allocate(Tag(0), 400, 0).unwrap();
    heap.push_root(Some(keep));
    let list = heap.allocate(Tag(0), 1, 0).unwrap();
    heap.push_root(Some(list));
    let mut kept = 0;
    for i in 0..400_000 {
        let node = heap.allocate(Tag(0), 1, 32).unwrap();
        if i % 1000 == 0 {
            heap.store(keep, kept, Some(node));
            kept += 1;
        } else {
            let head = heap.root_at(1).unwrap();
            heap.store(node, 0, Some(head));
            heap.set_root(1, Some(node));
        }
    }
    let peak = heap.stats().heap_bytes;
    heap.set_root(1, None); // frees 399,600 objects by count
    assert_eq!(heap.live_objects(), 401);
    let pinned = heap.stats().heap_bytes;
    heap.collect_generation(2);
    let after = heap.stats().heap_bytes;
    println!("peak {peak} B, after frees {pinned} B, after a full collection {after} B");
    assert!(pinned > peak / 2, "survivors pin their arenas: {pinned} of {peak}");
    assert!(after <= 400 * (16 << 10) + (1 << 20), "free pools returned: {after} B kept");
    heap.verify().unwrap();
}

#[test]
fn immutable_objects_of_untracked_referents_are_never_tracked() {
    // CPython's tuple untracking, decided at creation: a tuple of atoms, or of such tuples,
    // cannot be in a cycle; one holding a mutable container (even an empty one) can.
    let mut heap = heap_with([0, 0, 0]);
    let atom = heap.allocate(Tag(1), 0, 8).unwrap();
    heap.push_root(Some(atom));
    heap.push_root(None);
    let pair = heap.allocate_immutable(Tag(2), 2, 0, 2).unwrap(); // (atom, None)
    assert!(!heap.is_tracked(pair));
    heap.push_root(Some(pair));
    heap.push_root(Some(pair));
    let nested = heap.allocate_immutable(Tag(2), 2, 0, 2).unwrap(); // (pair, pair)
    assert!(!heap.is_tracked(nested));
    assert_eq!(heap.count()[0], 0, "untracked tuples do not count towards a collection");
    heap.push_root(Some(nested));
    let list = heap.allocate(Tag(3), 1, 0).unwrap(); // mutable, empty: untracked for now
    assert!(!heap.is_tracked(list));
    heap.push_root(Some(list));
    let holder = heap.allocate_immutable(Tag(2), 1, 0, 1).unwrap(); // (list,)
    assert!(heap.is_tracked(holder), "a mutable referent may come to refer back");
    heap.push_root(Some(holder));
    let outer = heap.allocate_immutable(Tag(2), 1, 0, 1).unwrap(); // ((list,),)
    assert!(heap.is_tracked(outer), "a tracked tuple keeps its holders tracked");
    heap.push_root(Some(outer));
    heap.verify().unwrap();
    assert_eq!(heap.live_objects(), 6);
    heap.truncate_roots(0);
    assert_eq!(heap.live_objects(), 0, "all freed by count");
    heap.verify().unwrap();
}

#[test]
fn a_cycle_through_an_immutable_object_is_collected() {
    let mut heap = heap_with([0, 0, 0]);
    let list = heap.allocate(Tag(3), 1, 0).unwrap();
    heap.push_root(Some(list));
    heap.push_root(Some(list));
    let tuple = heap.allocate_immutable(Tag(2), 1, 0, 1).unwrap(); // (list,)
    let list = heap.root_at(0).unwrap();
    heap.store(list, 0, Some(tuple)); // list -> tuple -> list
    assert!(heap.is_tracked(tuple) && heap.is_tracked(list));
    heap.truncate_roots(0);
    assert_eq!(heap.live_objects(), 2, "a cycle keeps its counts");
    assert_eq!(heap.collect_generation(0), 2);
    assert_eq!(heap.live_objects(), 0);
    heap.verify().unwrap();
}
