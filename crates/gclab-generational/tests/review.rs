//! Reproducers from a soundness and correctness review of the generational backend. Where a
//! test's comment describes a bug, it is the bug as the review found it (fixed since); the test
//! checks the fixed behaviour.

use gclab_core::{AllocErrorKind, CollectionKind, Heap, HeapConfig, ObjRef, Tag};
use gclab_generational::{GenerationalConfig, GenerationalHeap};

fn gen(limit: usize, nursery_bytes: usize, tenuring_age: u8) -> GenerationalHeap {
    GenerationalHeap::with_backend_config(GenerationalConfig {
        heap: HeapConfig::default().heap_limit(limit),
        nursery_bytes,
        tenuring_age,
        adaptive_tenuring: false,
        ..GenerationalConfig::default()
    })
    .expect("valid configuration")
}

/// A heap whose old space has room between `promotion_guaranteed`'s quick bound and what
/// promoting eden really needs, with eden full of rooted 5,136-byte objects (returned).
fn badly_packed_eden() -> (GenerationalHeap, Vec<ObjRef>) {
    let limit = 64 << 20;
    let mut heap = gen(limit, 16 << 20, 0);
    // Eat old-space room with a rooted large object so that about 23 MiB remain.
    let nursery = heap.heap_bytes();
    let filler = (limit - nursery) - (23 << 20);
    let big = heap.allocate(Tag(9), 0, filler).unwrap();
    heap.push_root(Some(big));
    let room = limit - heap.heap_bytes();
    // Fill eden with rooted 5,136-byte objects (0 slots, 5,120 data bytes).
    let per = 5136;
    let n = heap.eden_bytes() / per;
    let mut objs = Vec::new();
    for _ in 0..n {
        let o = heap.allocate(Tag(1), 0, 5120).unwrap();
        heap.push_root(Some(o));
        objs.push(o);
    }
    let young = n * per;
    let quick = young + young / 4 + 48 * (16 << 10);
    let real = n.div_ceil(2) * (16 << 10);
    assert!(quick <= room && room < real, "room {room} must lie between quick bound {quick} and need {real}");
    (heap, objs)
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>().cloned().or(p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
}

/// `promotion_guaranteed`'s quick bound (young bytes + 25 % + one pool per class) assumes
/// a promoted object wastes at most a quarter. A 5,136-byte object lands in the 6,144-byte
/// class, of which a 16 KiB pool holds only 2 cells: 16,384 bytes of pool per 10,272 bytes
/// of objects, a factor of 1.6. With the old space's room between the quick bound and the
/// real need, the minor collection starts and `promotion_cell` panics midway.
#[test]
fn badly_packed_size_classes_never_fail_promotion() {
    let (mut heap, _) = badly_packed_eden();
    // The next allocation needs eden: a collection. It must not panic.
    let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| heap.allocate(Tag(1), 0, 5120)));
    match got {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => assert!(e.is_heap_exhausted(), "{e}"),
        Err(p) => panic!("allocation panicked: {}", panic_text(p)),
    }
    heap.verify().unwrap();
}

/// `promotion_fits` counts as room what the limit leaves plus `PoolSpace::free_pool_bytes`,
/// which by its definition leaves out *wholly free* arenas (those are for
/// `release_empty_arenas`). Right after the sweep of a full collection the old garbage sits in
/// exactly such arenas, still committed (and kept: `keep` follows the 64 MiB initial trigger),
/// so the full collection declines to evacuate although the survivors fit many times over:
/// every later allocation in eden reports `HeapExhausted` while the heap holds 1 MiB of live
/// objects under a 4 MiB limit.
#[test]
fn empty_arenas_freed_by_the_sweep_count_as_promotion_room() {
    let limit = 4 << 20;
    let mut heap = gen(limit, 1 << 20, 0);
    let nursery = heap.heap_bytes();
    // 1. Two arenas of old objects (promoted at once: tenuring age 0), then all garbage.
    while heap.heap_bytes() < nursery + (2 << 20) {
        let o = heap.allocate(Tag(1), 2, 16).unwrap();
        heap.push_root(Some(o));
    }
    heap.truncate_roots(0);
    // 2. Live young objects: about 3/4 of eden.
    let n = heap.eden_bytes() * 3 / 4 / 48;
    heap.collect(CollectionKind::Minor); // an empty eden to start from
    for _ in 0..n {
        let o = heap.allocate(Tag(2), 2, 16).expect("1 MiB of live objects under a 4 MiB limit");
        heap.push_root(Some(o));
    }
    heap.collect(CollectionKind::Full);
    heap.verify().unwrap();
    assert_eq!(heap.live_objects(), n);
    let skipped = heap.stats().counters.get("full_without_evacuation").copied().unwrap_or(0);
    // Eden is as full as before the full collection if it did not evacuate.
    for i in 0..n {
        if let Err(e) = heap.allocate(Tag(3), 2, 16) {
            // It stays refused: the empty arenas are kept (keep follows the 64 MiB trigger).
            heap.collect(CollectionKind::Full);
            let again = (0..3).filter(|_| heap.allocate(Tag(3), 2, 16).is_err()).count();
            panic!(
                "allocation {i} refused with {} live bytes under a {limit}-byte limit \
                 (heap_bytes {}, full collections without evacuation: {skipped}; refused again \
                 {again} of 3 times after another full collection): {e}",
                n * 48,
                heap.heap_bytes()
            );
        }
    }
}

/// `HeapConfig` accepts limits up to 16 GiB, but `with_backend_config` sizes the large-object
/// space's reservation with `LargeObjectSpace::reserve_for(limit, pool_reserve)`, leaving the
/// nursery's reservation out of `others`: for limits above about 7.1 GiB the three
/// reservations add up to more than `MAX_RESERVE` (64 GiB) and the heap is refused.
#[test]
fn heap_limits_up_to_16_gib_are_accepted() {
    for limit in [4usize << 30, 8 << 30, 16 << 30] {
        let heap = GenerationalHeap::with_config(HeapConfig::default().heap_limit(limit));
        if let Err(e) = &heap {
            panic!("a {} GiB limit is refused: {e}", limit >> 30);
        }
    }
}

// ---------------------------------------------------------------------------------------
// A small model-checked random program over odd configurations (tiny limits, survivor
// ratios 1 and 1024, tenuring 0..15, badly packed sizes, large arrays, pretenured
// `allocate_from_roots`/`allocate_immutable`, handles, identity hashes).

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

struct ModelObj {
    slots: Vec<Option<usize>>,
    immutable: bool,
    hash: Option<u64>,
}

struct Fuzz {
    heap: GenerationalHeap,
    objs: Vec<ModelObj>,
    roots: Vec<Option<usize>>,
    handles: Vec<(gclab_core::Root, usize)>,
}

impl Fuzz {
    fn id_of(&self, r: ObjRef) -> usize {
        let d = self.heap.data(r);
        u64::from_le_bytes(d[..8].try_into().unwrap()) as usize
    }

    fn new_obj(&mut self, r: ObjRef, slots: Vec<Option<usize>>, immutable: bool) -> usize {
        let id = self.objs.len();
        self.heap.data_mut(r)[..8].copy_from_slice(&(id as u64).to_le_bytes());
        self.objs.push(ModelObj { slots, immutable, hash: None });
        id
    }

    fn reachable(&self) -> Vec<bool> {
        let mut seen = vec![false; self.objs.len()];
        let mut stack: Vec<usize> = self.roots.iter().flatten().copied().collect();
        stack.extend(self.handles.iter().map(|h| h.1));
        while let Some(i) = stack.pop() {
            if !std::mem::replace(&mut seen[i], true) {
                stack.extend(self.objs[i].slots.iter().flatten().copied());
            }
        }
        seen
    }

    /// Walks the heap from every root and compares with the model.
    fn check_graph(&self) {
        let mut seen = std::collections::HashMap::<usize, ObjRef>::new();
        let mut stack: Vec<(ObjRef, usize)> = Vec::new();
        for (i, r) in self.roots.iter().enumerate() {
            let got = self.heap.root_at(i);
            assert_eq!(got.is_some(), r.is_some());
            if let (Some(g), Some(id)) = (got, r) {
                stack.push((g, *id));
            }
        }
        for (h, id) in &self.handles {
            stack.push((h.get(), *id));
        }
        while let Some((r, id)) = stack.pop() {
            assert_eq!(self.id_of(r), id, "object identity");
            if let Some(prev) = seen.insert(id, r) {
                assert_eq!(prev, r, "one object, two references");
                continue;
            }
            let m = &self.objs[id];
            assert_eq!(self.heap.slot_count(r), m.slots.len());
            if let Some(h) = m.hash {
                assert_eq!(self.heap.identity_hash(r), h, "identity hash changed");
            }
            for (i, s) in m.slots.iter().enumerate() {
                let got = self.heap.load(r, i);
                assert_eq!(got.is_some(), s.is_some(), "slot {i} of object {id}");
                if let (Some(g), Some(t)) = (got, s) {
                    stack.push((g, *t));
                }
            }
        }
    }

    fn shape(rng: &mut Rng) -> (usize, usize) {
        match rng.below(20) {
            0 => (rng.pick(&[1100, 2000]), 8), // a large array (carded)
            1 => (rng.below(3), 9000),         // pretenured by size
            2 => (0, 5120),                    // 6,144-byte class, 2 per pool
            3 => (1, 1024),                    // 1,280-byte class
            4..=6 => (rng.below(20), 8 + rng.below(200)),
            _ => (rng.below(4), 8 + 16 * rng.below(3)),
        }
    }

    fn step(&mut self, rng: &mut Rng) {
        let depth = self.roots.len();
        match rng.below(17) {
            0..=4 => {
                let (slots, bytes) = Self::shape(rng);
                match self.heap.allocate(Tag(1), slots, bytes) {
                    Ok(r) => {
                        let id = self.new_obj(r, vec![None; slots], false);
                        self.heap.push_root(Some(r));
                        self.roots.push(Some(id));
                    }
                    Err(e) => assert!(e.is_heap_exhausted(), "{e}"),
                }
            }
            5 | 6 => {
                let n = rng.below(depth.min(4) + 1);
                let (extra, bytes) = Self::shape(rng);
                let slots = n + extra;
                let immutable = rng.below(3) == 0;
                let got = if immutable {
                    self.heap.allocate_immutable(Tag(2), slots, bytes, n)
                } else {
                    self.heap.allocate_from_roots(Tag(2), slots, bytes, n)
                };
                match got {
                    Ok(r) => {
                        let mut s: Vec<Option<usize>> = self.roots.split_off(depth - n);
                        s.resize(slots, None);
                        let id = self.new_obj(r, s, immutable);
                        self.heap.push_root(Some(r));
                        self.roots.push(Some(id));
                    }
                    Err(e) => assert!(e.is_heap_exhausted(), "{e}"),
                }
            }
            7..=9 if depth > 0 => {
                let (i, k) = (rng.below(depth), rng.below(depth));
                let Some(target) = self.roots[i] else { return };
                if self.objs[target].immutable || self.objs[target].slots.is_empty() {
                    return;
                }
                let j = rng.below(self.objs[target].slots.len());
                let t = self.heap.root_at(i).unwrap();
                let v = self.heap.root_at(k);
                self.heap.store(t, j, v);
                self.objs[target].slots[j] = self.roots[k];
            }
            10 if depth > 0 => {
                let keep = rng.below(depth);
                self.heap.truncate_roots(keep);
                self.roots.truncate(keep);
            }
            11 if depth > 0 => {
                let i = rng.below(depth);
                if let Some(id) = self.roots[i] {
                    let r = self.heap.root_at(i).unwrap();
                    if rng.below(2) == 0 {
                        let h = self.heap.identity_hash(r);
                        let m = &mut self.objs[id];
                        assert_eq!(*m.hash.get_or_insert(h), h);
                    } else if self.handles.len() < 8 {
                        let h = self.heap.root(r);
                        self.handles.push((h, id));
                    } else {
                        self.handles.remove(0);
                    }
                }
            }
            12 => self.heap.collect(CollectionKind::Minor),
            13 => {
                self.heap.collect(CollectionKind::Full);
                let live = self.reachable().iter().filter(|&&b| b).count();
                assert_eq!(self.heap.live_objects(), live, "live_objects right after a full collection");
            }
            14 if depth > 1 => {
                // A store from a deep root's object into a fresh young one and back.
                let (i, k) = (rng.below(depth), depth - 1);
                if let (Some(a), Some(b)) = (self.roots[i], self.roots[k]) {
                    for (x, xi, y, yi) in [(a, i, b, k), (b, k, a, i)] {
                        if !self.objs[x].immutable && !self.objs[x].slots.is_empty() {
                            let j = self.objs[x].slots.len() - 1;
                            let t = self.heap.root_at(xi).unwrap();
                            let v = self.heap.root_at(yi);
                            self.heap.store(t, j, v);
                            self.objs[x].slots[j] = Some(y);
                        }
                    }
                }
            }
            15 => {
                // A list of up to 300 nodes, each built from the previous head on the stack.
                if self.roots.is_empty() {
                    self.heap.push_root(None);
                    self.roots.push(None);
                }
                let (extra, bytes) =
                    if rng.below(4) == 0 { Self::shape(rng) } else { (rng.below(2), 8 + 16 * rng.below(4)) };
                for _ in 0..1 + rng.below(300) {
                    match self.heap.allocate_from_roots(Tag(5), 1 + extra, bytes, 1) {
                        Ok(r) => {
                            let prev = self.roots.pop().unwrap();
                            let mut s = vec![None; 1 + extra];
                            s[0] = prev;
                            let id = self.new_obj(r, s, false);
                            self.heap.push_root(Some(r));
                            self.roots.push(Some(id));
                        }
                        Err(e) => {
                            assert!(e.is_heap_exhausted(), "{e}");
                            break;
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn fuzz_one(seed: u64, steps: usize) {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let limit = rng.pick(&[1usize << 20, 2 << 20, 4 << 20, 16 << 20]);
    let config = GenerationalConfig {
        heap: HeapConfig::default().heap_limit(limit).initial_trigger(rng.pick(&[64 << 10, 1 << 20, 64 << 20])),
        nursery_bytes: rng.pick(&[256, 272, 4096, 4112, (64 << 10) + 16, 1 << 20]),
        survivor_ratio: rng.pick(&[1, 2, 3, 7, 8, 1024]),
        tenuring_age: rng.pick(&[0, 1, 3, 15]),
        adaptive_tenuring: rng.below(2) == 0,
        ..GenerationalConfig::default()
    };
    let described = format!("{config:?}");
    let heap = GenerationalHeap::with_backend_config(config).unwrap();
    let mut f = Fuzz { heap, objs: Vec::new(), roots: Vec::new(), handles: Vec::new() };
    for step in 0..steps {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            f.step(&mut rng);
            f.heap.verify().unwrap_or_else(|e| panic!("verify: {e}"));
            if step % 8 == 0 {
                f.check_graph();
            }
        }));
        if let Err(p) = r {
            panic!("seed {seed}, step {step}, {described}: {}", panic_text(p));
        }
        if step + 1 == steps && std::env::var("GCLAB_REVIEW_VERBOSE").is_ok() {
            let c = &f.heap.stats().counters;
            eprintln!(
                "seed {seed}: {} objects, promoted {:?}, full without evacuation {:?}, slow path {:?}, {described}",
                f.objs.len(),
                c.get("objects_promoted"),
                c.get("full_without_evacuation"),
                c.get("barrier_slow_path"),
            );
        }
        if f.roots.len() > 2000 {
            f.heap.truncate_roots(1000);
            f.roots.truncate(1000);
        }
    }
}

/// Random programs under odd configurations; every step verified, the graph compared with a
/// model, `live_objects` exact after each full collection. `GCLAB_REVIEW_SEEDS` sets how many.
#[test]
fn random_programs_under_odd_configurations() {
    let seeds: u64 = std::env::var("GCLAB_REVIEW_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(40);
    let first: u64 = std::env::var("GCLAB_REVIEW_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    for seed in first..first + seeds {
        fuzz_one(seed, 1500);
    }
}

// ---------------------------------------------------------------------------------------
// Pinning tests: tricky paths that work today.

fn tagged(heap: &mut GenerationalHeap, slots: usize, n: u64) -> ObjRef {
    let o = heap.allocate(Tag(7), slots, 8).unwrap();
    heap.data_mut(o).copy_from_slice(&n.to_le_bytes());
    o
}

fn number(heap: &GenerationalHeap, o: ObjRef) -> u64 {
    u64::from_le_bytes(heap.data(o).try_into().unwrap())
}

/// A parent promoted by a minor collection while its child is only copied to the survivor
/// space is remembered by the collector itself; a later store of a fresh young object into
/// the (already logged) parent takes no slow path and is still followed.
#[test]
fn an_object_promoted_with_a_young_child_is_remembered_by_the_collector() {
    let mut heap = gen(64 << 20, 64 << 10, 1);
    let parent = tagged(&mut heap, 2, 1);
    heap.push_root(Some(parent));
    heap.collect(CollectionKind::Minor); // parent: age 1, in a survivor space
    let parent = heap.root_at(0).unwrap();
    let child = tagged(&mut heap, 0, 2);
    heap.store(parent, 0, Some(child)); // young into young: no barrier
    heap.collect(CollectionKind::Minor); // parent promoted (age 1 = threshold), child copied
    let parent = heap.root_at(0).unwrap();
    assert!(!heap.is_young(parent));
    assert!(heap.is_young(heap.load(parent, 0).unwrap()));
    heap.verify().unwrap();
    let slow = heap.barrier_slow_path();
    let fresh = tagged(&mut heap, 0, 3);
    heap.store(parent, 1, Some(fresh));
    assert_eq!(heap.barrier_slow_path(), slow, "the parent is logged already");
    heap.verify().unwrap();
    heap.collect(CollectionKind::Minor);
    let parent = heap.root_at(0).unwrap();
    assert_eq!(number(&heap, heap.load(parent, 0).unwrap()), 2);
    assert_eq!(number(&heap, heap.load(parent, 1).unwrap()), 3);
    heap.verify().unwrap();
    heap.collect(CollectionKind::Minor); // both children promoted now: the parent leaves the set
    heap.verify().unwrap();
    let parent = heap.root_at(0).unwrap();
    let slow = heap.barrier_slow_path();
    let again = tagged(&mut heap, 0, 4);
    heap.store(parent, 0, Some(again));
    assert_eq!(heap.barrier_slow_path(), slow + 1, "unlogged again once it held no young reference");
    heap.collect(CollectionKind::Minor);
    let parent = heap.root_at(0).unwrap();
    assert_eq!(number(&heap, heap.load(parent, 0).unwrap()), 4);
    heap.verify().unwrap();
}

/// `allocate_from_roots` and `allocate_immutable` into objects born old (by size, and a
/// carded large array) run the barrier for the operands they move in.
#[test]
fn pretenured_allocate_from_roots_and_immutable_remember_their_young_operands() {
    let mut heap = gen(64 << 20, 256 << 10, 15);
    // A 9,000-byte object (old by size) built from 3 young operands.
    for n in 0..3 {
        let o = tagged(&mut heap, 0, n);
        heap.push_root(Some(o));
    }
    let big = heap.allocate_from_roots(Tag(3), 4, 9000, 3).unwrap();
    assert!(!heap.is_young(big));
    heap.push_root(Some(big));
    // A 2,000-slot immutable array built from 300 young operands: chunks 0, 1 and 2.
    for n in 0..300 {
        let o = tagged(&mut heap, 0, 100 + n);
        heap.push_root(Some(o));
    }
    let array = heap.allocate_immutable(Tag(4), 2000, 0, 300).unwrap();
    assert!(!heap.is_young(array));
    heap.push_root(Some(array));
    heap.verify().unwrap();
    let at = heap.generational_stats().remembered_at_minor.len();
    heap.collect(CollectionKind::Minor);
    assert_eq!(heap.generational_stats().remembered_at_minor[at], 1 + 3, "one object and three chunks");
    let (big, array) = (heap.root_at(0).unwrap(), heap.root_at(1).unwrap());
    for n in 0..3 {
        assert_eq!(number(&heap, heap.load(big, n).unwrap()), n as u64);
    }
    for n in 0..300 {
        assert_eq!(number(&heap, heap.load(array, n).unwrap()), 100 + n as u64);
    }
    heap.verify().unwrap();
    heap.collect(CollectionKind::Full);
    heap.verify().unwrap();
    assert_eq!(heap.live_objects(), 2 + 303);
}

/// The identity hash survives copying, promotion and full collections; a reference held
/// across the move is refused by name, by `identity_hash` too.
#[test]
fn identity_hash_survives_promotion_and_stale_references_are_named() {
    let mut heap = gen(64 << 20, 64 << 10, 2);
    let o = tagged(&mut heap, 0, 9);
    let h = heap.identity_hash(o);
    let root = heap.root(o);
    for kind in [CollectionKind::Minor, CollectionKind::Minor, CollectionKind::Minor, CollectionKind::Full] {
        heap.collect(kind);
        assert_eq!(heap.identity_hash(root.get()), h);
    }
    assert!(!heap.is_young(root.get()));
    let stale = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| heap.identity_hash(o)));
    let text = panic_text(stale.expect_err("a stale reference must be refused"));
    assert!(text.contains("stale reference"), "{text}");
}

/// Right after `collect(Full)` the count is exact even for a young object that only a dead
/// old object refers to (a minor collection keeps it: floating garbage, by design).
#[test]
fn live_objects_is_exact_after_full_even_for_young_garbage_held_by_dead_old_objects() {
    let mut heap = gen(64 << 20, 64 << 10, 0);
    let old = tagged(&mut heap, 1, 1);
    heap.push_root(Some(old));
    heap.collect(CollectionKind::Minor); // promoted
    let old = heap.root_at(0).unwrap();
    let young = tagged(&mut heap, 0, 2);
    heap.store(old, 0, Some(young));
    heap.pop_root();
    heap.collect(CollectionKind::Minor);
    assert_eq!(heap.live_objects(), 2, "the remembered (dead) old object keeps the young one: floating garbage");
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects(), 0);
    heap.verify().unwrap();
}

/// A full collection that cannot evacuate keeps the remembered set (dead entries dropped) and
/// the young survivors in place; once roots are dropped the heap recovers.
#[test]
fn a_full_collection_without_evacuation_keeps_the_remembered_set_consistent() {
    let limit = 2 << 20;
    let mut heap = gen(limit, 256 << 10, 15);
    // An old object referring to young ones, kept through the refusal.
    let holder = heap.allocate(Tag(1), 500, 9000).unwrap(); // old by size
    heap.push_root(Some(holder));
    let mut rooted = 1;
    let mut i = 0;
    let error = loop {
        match heap.allocate(Tag(2), 2, 16) {
            Ok(o) => {
                if i < 500 {
                    let holder = heap.root_at(0).unwrap();
                    heap.store(holder, i, Some(o));
                    i += 1;
                }
                heap.push_root(Some(o));
                rooted += 1;
            }
            Err(e) => break e,
        }
    };
    assert!(matches!(error.kind(), AllocErrorKind::HeapExhausted { .. }), "{error}");
    heap.verify().unwrap();
    heap.collect(CollectionKind::Full);
    heap.verify().unwrap();
    assert_eq!(heap.live_objects(), rooted);
    heap.truncate_roots(1);
    heap.collect(CollectionKind::Full);
    heap.verify().unwrap();
    assert_eq!(heap.live_objects(), 1 + i);
    for _ in 0..10_000 {
        heap.allocate(Tag(3), 2, 16).expect("room once the roots are dropped");
    }
    heap.verify().unwrap();
}

/// Run by `nursery_env_var_sets_eden_for_with_config` in a child process (environment
/// variables are process-wide; setting one under parallel tests would race with `getenv`).
#[test]
fn nursery_env_child() {
    let Ok(expect) = std::env::var("GCLAB_REVIEW_CHILD") else { return };
    let got = GenerationalHeap::with_config(HeapConfig::default().heap_limit(64 << 20));
    match expect.as_str() {
        "eden=1m" => assert_eq!(got.unwrap().eden_bytes(), 1 << 20),
        "clamped" => assert_eq!(got.unwrap().eden_bytes(), 16 << 20, "a quarter of the limit"),
        "refused" => {
            let e = got.expect_err("a bad size is refused by name");
            assert_eq!(e.field, "nursery_bytes");
        }
        other => panic!("unknown child mode {other}"),
    }
}

#[test]
fn nursery_env_var_sets_eden_for_with_config() {
    for (value, mode) in [
        ("1m", "eden=1m"),
        ("1024K", "eden=1m"),
        ("99999999m", "clamped"),
        ("lots", "refused"),
        ("100", "refused"),
        ("1000", "refused"),
        ("99999999999999999999m", "refused"),
    ] {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "nursery_env_child", "--test-threads=1"])
            .env("GCLAB_NURSERY_BYTES", value)
            .env("GCLAB_REVIEW_CHILD", mode)
            .output()
            .unwrap();
        assert!(out.status.success(), "{value}: {}", String::from_utf8_lossy(&out.stdout));
    }
}

/// Extreme but valid layouts: eden asked for `usize::MAX`-ish (clamped), survivor ratios 1
/// and 1024, the smallest limit. Each heap stays under its limit, verifies, and refuses
/// honestly when full.
#[test]
fn extreme_layouts_stay_under_the_limit_and_verify() {
    for limit in [1usize << 20, (1 << 20) + 16, 3 << 20, 64 << 20] {
        for nursery_bytes in [256, 4096, usize::MAX & !15] {
            for survivor_ratio in [1, 3, 1024] {
                let mut heap = GenerationalHeap::with_backend_config(GenerationalConfig {
                    heap: HeapConfig::default().heap_limit(limit),
                    nursery_bytes,
                    survivor_ratio,
                    ..GenerationalConfig::default()
                })
                .unwrap();
                assert!(heap.heap_bytes() <= limit);
                assert!(heap.eden_bytes() <= limit / 4 || heap.eden_bytes() == 256);
                let mut kept = 0;
                for i in 0.. {
                    match heap.allocate(Tag(1), 1, 8 + 16 * (i % 40)) {
                        Ok(o) => {
                            if i % 3 == 0 {
                                heap.push_root(Some(o));
                                kept += 1;
                            }
                        }
                        Err(e) => {
                            assert!(e.is_heap_exhausted(), "{e}");
                            break;
                        }
                    }
                    if i > 50_000 {
                        break;
                    }
                }
                heap.verify().unwrap();
                assert!(heap.heap_bytes() <= limit);
                heap.collect(CollectionKind::Full);
                assert_eq!(heap.live_objects(), kept);
                heap.verify().unwrap();
            }
        }
    }
}

/// The same hole with 4 KiB pools (as the heap-limit suite's `4k_pools_64k_arenas`
/// configuration) in a 4 MiB heap with a 1 MiB eden: a 2,064-byte object takes a whole
/// 4 KiB pool of the 2,560-byte class (a factor of 1.98), and the slack term is only
/// 40 classes × 4 KiB.
#[test]
fn badly_packed_4k_pools_never_fail_promotion() {
    let limit = 4 << 20;
    let mut heap = GenerationalHeap::with_backend_config(GenerationalConfig {
        heap: HeapConfig::default().heap_limit(limit),
        pools: gclab_space::PoolConfig { arena_bytes: 64 << 10, pool_bytes: 4 << 10, max_object_bytes: 4 << 10 },
        nursery_bytes: 1 << 20,
        tenuring_age: 0,
        adaptive_tenuring: false,
        ..GenerationalConfig::default()
    })
    .unwrap();
    let classes = gclab_space::SizeClasses::new(4 << 10).len();
    let per = 2064; // 2,048 data bytes + header
    let n = heap.eden_bytes() / per;
    let young = n * per;
    let quick = young + young / 4 + classes * (4 << 10);
    let real = n * (4 << 10);
    // Leave the old space room halfway between the two.
    let target = (quick + real) / 2;
    let filler = limit - heap.heap_bytes() - target;
    let big = heap.allocate(Tag(9), 0, filler - 16).unwrap();
    heap.push_root(Some(big));
    let room = limit - heap.heap_bytes();
    assert!(quick <= room && room < real, "room {room} must lie between quick bound {quick} and need {real}");
    for _ in 0..n {
        let o = heap.allocate(Tag(1), 0, 2048).unwrap();
        heap.push_root(Some(o));
    }
    let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| heap.allocate(Tag(1), 0, 2048)));
    match got {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => assert!(e.is_heap_exhausted(), "{e}"),
        Err(p) => panic!("allocation panicked: {}", panic_text(p)),
    }
    heap.verify().unwrap();
}
