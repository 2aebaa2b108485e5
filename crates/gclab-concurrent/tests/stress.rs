//! A multi-second stress test: the mutator shuffles references across a large graph while
//! marking runs, under the checkmark oracle (every final handshake re-marks the heap with
//! the world stopped and panics with a path if a reachable object was left white).
//!
//! `GCLAB_STRESS_SECS` sets the duration (default 3 s); `GCLAB_STRESS_NODES` the graph
//! (default 100,000 nodes of 4 edges).

use std::time::{Duration, Instant};

use gclab_concurrent::{ConcurrentConfig, ConcurrentHeap};
use gclab_core::{CollectionKind, Heap, HeapConfig, ObjRef, SideBitmap, Tag};

const EDGES: usize = 4;
const CHUNK: usize = 500;

fn env(var: &str, default: u64) -> u64 {
    std::env::var(var).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The node at `i` of the table rooted at root-stack entry 0.
fn node(heap: &ConcurrentHeap, i: usize) -> ObjRef {
    let spine = heap.root_at(0).unwrap();
    let chunk = heap.load(spine, i / CHUNK).unwrap();
    heap.load(chunk, i % CHUNK).unwrap()
}

fn set_node(heap: &mut ConcurrentHeap, i: usize, value: ObjRef) {
    let spine = heap.root_at(0).unwrap();
    let chunk = heap.load(spine, i / CHUNK).unwrap();
    heap.store(chunk, i % CHUNK, Some(value));
}

/// Objects reachable from the roots, counted by a walk with an explicit stack.
fn reachable(heap: &ConcurrentHeap) -> usize {
    let seen = SideBitmap::new(heap.memory().valid_bits().len()).unwrap();
    let mut stack = Vec::new();
    for i in 0..heap.root_depth() {
        stack.extend(heap.root_at(i));
    }
    let mut count = 0;
    while let Some(obj) = stack.pop() {
        if seen.test_and_set(obj.granule() as usize) {
            continue;
        }
        count += 1;
        for i in 0..heap.slot_count(obj) {
            stack.extend(heap.load(obj, i));
        }
    }
    count
}

#[test]
fn mutator_shuffles_a_large_graph_while_marking_runs() {
    let seconds = env("GCLAB_STRESS_SECS", 3);
    let nodes = env("GCLAB_STRESS_NODES", 100_000) as usize;
    let config = ConcurrentConfig {
        heap: HeapConfig::default().heap_limit(1 << 30).initial_trigger(4 << 20),
        checkmark: true,
        ..ConcurrentConfig::default()
    };
    let mut heap = ConcurrentHeap::with_backend_config(config).unwrap();
    let mut rng = Rng(42);
    let spine = heap.allocate(Tag(1), nodes.div_ceil(CHUNK), 0).unwrap();
    heap.push_root(Some(spine));
    for c in 0..nodes.div_ceil(CHUNK) {
        let chunk = heap.allocate(Tag(2), CHUNK, 0).unwrap();
        let spine = heap.root_at(0).unwrap();
        heap.store(spine, c, Some(chunk));
    }
    for i in 0..nodes {
        let n = heap.allocate(Tag(3), EDGES, 8).unwrap();
        heap.data_mut(n).copy_from_slice(&(i as u64).to_le_bytes());
        set_node(&mut heap, i, n);
        if i > 0 {
            for e in 0..EDGES {
                let target = node(&heap, rng.below(i));
                heap.store(n, e, Some(target));
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut ops = 0u64;
    while Instant::now() < deadline {
        for _ in 0..1000 {
            ops += 1;
            match rng.below(10) {
                // Replace an edge (the old target may become garbage).
                0..=4 => {
                    let n = node(&heap, rng.below(nodes));
                    let target = node(&heap, rng.below(nodes));
                    heap.store(n, rng.below(EDGES), Some(target));
                }
                // Move an edge's target to another node's edge, then clear the first: the
                // object travels through a Rust local while the barrier must keep it.
                5 | 6 => {
                    let a = node(&heap, rng.below(nodes));
                    let b = node(&heap, rng.below(nodes));
                    let (ea, eb) = (rng.below(EDGES), rng.below(EDGES));
                    let moved = heap.load(a, ea);
                    heap.store(a, ea, None);
                    heap.store(b, eb, moved);
                }
                // Replace a node with a new one whose edges copy the old one's.
                7 | 8 => {
                    let i = rng.below(nodes);
                    let fresh = heap.allocate(Tag(3), EDGES, 8).unwrap();
                    let old = node(&heap, i);
                    for e in 0..EDGES {
                        let target = heap.load(old, e);
                        heap.store(fresh, e, target);
                    }
                    heap.data_mut(fresh).copy_from_slice(&(i as u64).to_le_bytes());
                    set_node(&mut heap, i, fresh);
                }
                // Garbage: a short-lived ring.
                _ => {
                    let first = heap.allocate(Tag(4), 1, 16).unwrap();
                    heap.push_root(Some(first));
                    let second = heap.allocate(Tag(4), 1, 16).unwrap();
                    let first = heap.pop_root().unwrap();
                    heap.store(first, 0, Some(second));
                    heap.store(second, 0, Some(first));
                }
            }
        }
        heap.safepoint();
        if ops % 200_000 == 0 {
            heap.verify().unwrap();
        }
    }
    heap.verify().unwrap();
    for i in (0..nodes).step_by(997) {
        assert_eq!(heap.data(node(&heap, i)), (i as u64).to_le_bytes(), "node {i}'s value survived");
    }
    heap.collect(CollectionKind::Full);
    heap.verify().unwrap();
    let counters = heap.stats().counters.clone();
    eprintln!("{ops} operations in {seconds} s: {counters:?}");
    assert_eq!(heap.live_objects(), reachable(&heap), "after a full collection, exactly the reachable objects");
    assert!(counters["cycles"] >= 3, "too few concurrent cycles to mean anything: {counters:?}");
    assert!(counters["barrier_slow_path"] > 0, "the barrier never shaded: {counters:?}");
}
