//! The `cycles` workload (pyperformance's `gc_collect` made to run for a while) on gclab's
//! backends beside its peers, in one criterion group so that every ratio comes from one run.
//!
//! `cargo bench --bench peers_cycles`; docs/performance.md holds the results. The gclab
//! backends measured are those whose features are enabled (the defaults: marksweep, refcount,
//! nogc). Each iteration is a whole run at [`RINGS`] rings, checksum asserted equal to
//! `gclab_workloads::cycles::expected_checksum`; throughput is ring nodes allocated per
//! second. Before measuring, every implementation runs once at [`CHECK_RINGS`] rings and must
//! print what the gclab workload prints.
//!
//! The program, as in `gclab_workloads::cycles`: rings of 21 nodes (a successor and a `u64`
//! value, numbered in allocation order) are built 100 at a time and held, each ring is walked
//! once (the check: nodes seen plus the sum of their values), then the whole batch is dropped:
//! every object made is cyclic garbage. Collectors collect when their own policy says so
//! while the program runs; at the end each runs one full collection and the bench asserts, by
//! the crate's own count where it has one, that every ring was reclaimed:
//!
//! - gc-arena: `Metrics::total_gc_count` is 0 (one `mutate` per ring, `collect_debt` after
//!   each, the batch held in the arena root; run with the default and the stop-the-world
//!   pacing);
//! - rust-cc: `state::allocated_bytes` is back where it started (`collect_cycles` at the end);
//! - gc: `gc::stats().bytes_allocated` is back where it started (`force_collect`; the crate's
//!   `unstable-stats` feature);
//! - dumpster and boa_gc expose no count of live objects, so each node carries a zero-sized
//!   [`Tally`] whose `Drop` counts it freed: every node built must have been dropped (one
//!   thread-local increment per node, the only instrumentation in the group);
//! - gclab backends: the workload's own check (`live_objects` no more than at the start).
//!
//! Three implementations cannot collect cycles and are there as bounds:
//!
//! - `box-index-ring`, the malloc baseline the ratios are taken against: `Box` cannot form a
//!   cycle, so each node is a `Box` owned by its ring's `Vec` and the ring is closed by an
//!   index — the same allocations, frees and walk, ownership a tree;
//! - `bumpalo`, the limit: nodes bump-allocated, the arena reset after each batch;
//! - `rc-refcell (leaks)`: `Rc<RefCell<_>>` rings are never freed by counting. The leaked
//!   rings are broken after each run outside the timed region, so memory stays bounded.

mod peers;

use std::cell::Cell;
use std::io::Write;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, Throughput};
use gclab::Heap;
use gclab_workloads::cycles::{expected_checksum, BATCH, RING_LEN};

use peers::{bench_entry, check_programs, program_group, Entry};

/// Rings per run: 2.1 million nodes, 20,000 batches of 100 rings.
const RINGS: u32 = 100_000;

/// Rings in the run every implementation's output is checked on before measuring.
const CHECK_RINGS: u32 = 1_000;

/// Every implementation that runs through [`Entry`], in report order (`rc-refcell (leaks)`
/// needs an untimed clean-up and is measured on its own).
fn entries() -> Vec<Entry> {
    let mut entries = vec![
        Entry { name: "box-index-ring", run: boxed::cycles },
        Entry { name: "bumpalo", run: bump::cycles },
        Entry { name: "gc-arena", run: arena::cycles_default },
        Entry { name: "gc-arena-stw", run: arena::cycles_stop_the_world },
        Entry { name: "dumpster", run: dumpster_unsync::cycles },
        Entry { name: "rust-cc", run: rust_cc_cc::cycles },
        Entry { name: "boa_gc", run: boa::cycles },
        Entry { name: "gc", run: gc_crate::cycles },
    ];
    #[cfg(feature = "marksweep")]
    entries.push(Entry { name: gclab::MarkSweepHeap::NAME, run: on_heap::<gclab::MarkSweepHeap> });
    #[cfg(feature = "refcount")]
    entries.push(Entry { name: gclab::RefcountHeap::NAME, run: on_heap::<gclab::RefcountHeap> });
    #[cfg(feature = "nogc")]
    entries.push(Entry { name: gclab::NoGcHeap::NAME, run: on_heap::<gclab::NoGcHeap> });
    entries
}

/// `cycles` on a fresh gclab heap of type `H` with default settings.
#[allow(dead_code)] // unused when no backend feature is enabled
fn on_heap<H: Heap>(n: u32, mut out: &mut dyn Write) -> u64 {
    let mut heap = H::new();
    gclab_workloads::cycles::cycles(&mut heap, n, &mut out).expect("runs")
}

fn peers_cycles(c: &mut Criterion) {
    let entries = entries();
    let mut reference = Vec::new();
    let mut heap = gclab::DefaultHeap::new();
    gclab_workloads::cycles::cycles(&mut heap, CHECK_RINGS, &mut reference).expect("runs");
    drop(heap);
    let reference = String::from_utf8(reference).expect("UTF-8");
    check_programs(&entries, &reference, CHECK_RINGS, expected_checksum(CHECK_RINGS));
    let (checksum, leaked) = rc_leaks::cycles(CHECK_RINGS, &mut Vec::new());
    assert_eq!(checksum, expected_checksum(CHECK_RINGS), "rc-refcell (leaks): wrong checksum");
    rc_leaks::break_rings(leaked);

    let expected = expected_checksum(RINGS);
    let nodes = u64::from(RINGS) * RING_LEN as u64;
    let mut group = program_group(c, "peers-cycles", 10, Duration::from_secs(10));
    for entry in &entries[..1] {
        bench_entry(&mut group, entry, RINGS, expected, nodes);
    }
    bench_rc_leaks(&mut group, expected, nodes);
    for entry in &entries[1..] {
        bench_entry(&mut group, entry, RINGS, expected, nodes);
    }
    group.finish();
}

/// Measures `rc-refcell (leaks)`: the run is timed, breaking the rings it leaked is not.
fn bench_rc_leaks(group: &mut BenchmarkGroup<'_, WallTime>, expected: u64, nodes: u64) {
    group.throughput(Throughput::Elements(nodes));
    group.bench_with_input(BenchmarkId::new("rc-refcell (leaks)", RINGS), &RINGS, |b, &n| {
        b.iter_custom(|iterations| {
            let mut timed = Duration::ZERO;
            for _ in 0..iterations {
                let start = Instant::now();
                let (checksum, leaked) = rc_leaks::cycles(n, &mut std::io::sink());
                timed += start.elapsed();
                assert_eq!(checksum, expected, "rc-refcell (leaks): wrong checksum");
                rc_leaks::break_rings(leaked);
            }
            timed
        });
    });
}

criterion_group!(benches, peers_cycles);
criterion_main!(benches);

/// One implementation's rings: what differs between them, the batching being shared.
trait Rings {
    /// Builds `count` rings whose nodes hold `first_value`, `first_value + 1`, … in
    /// allocation order, holds them all, walks each once, then drops the whole batch. Returns
    /// the batch's share of the checksum.
    fn batch(&mut self, first_value: u64, count: u32) -> u64;

    /// Runs a full collection and asserts that every ring was reclaimed.
    fn collect_and_check(&mut self);
}

/// The `cycles` program of `n` rings over `rings`, printing what the gclab workload prints;
/// returns the checksum.
fn drive(rings: &mut impl Rings, n: u32, out: &mut dyn Write) -> u64 {
    let mut value = 0;
    let mut checksum = 0u64;
    let mut left = n;
    while left > 0 {
        let count = left.min(BATCH);
        checksum = checksum.wrapping_add(rings.batch(value, count));
        value += u64::from(count) * RING_LEN as u64;
        left -= count;
    }
    rings.collect_and_check();
    writeln!(out, "{n} rings of {RING_LEN} nodes built and dropped\t check: {checksum}").expect("output");
    checksum
}

/// Adds a ring's share of the checksum to `checksum`, from what a walk of it saw: the nodes
/// plus the sum of their values. Panics unless the walk saw exactly [`RING_LEN`] nodes.
fn add_ring_share(checksum: u64, (nodes, values): (u64, u64)) -> u64 {
    assert_eq!(nodes, RING_LEN as u64, "a ring has {nodes} nodes instead of {RING_LEN}");
    checksum.wrapping_add(nodes).wrapping_add(values)
}

/// The most nodes a walk visits before giving up on finding the head again: a damaged ring
/// shows as a wrong count, not a hang.
const WALK_LIMIT: u64 = RING_LEN as u64 * 1000;

thread_local! {
    /// Nodes whose [`Tally`] was dropped on this thread.
    static FREED: Cell<u64> = const { Cell::new(0) };
}

/// A zero-sized field that counts its node freed when dropped: the reclamation check for
/// collectors that expose no count of their own. It holds no pointer: dumpster traces it as
/// empty, boa_gc is told to skip it.
#[derive(dumpster::Trace)]
struct Tally;

impl Tally {
    /// Nodes freed so far on this thread.
    fn freed() -> u64 {
        FREED.with(Cell::get)
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        FREED.with(|freed| freed.set(freed.get() + 1));
    }
}

/// The malloc baseline: one `Box` per node, owned by its ring's `Vec`; the ring is closed by
/// an index, since `Box` cannot form a cycle. Dropping a batch frees every node.
mod boxed {
    // One `Box` per node is the point: a malloc and a free per node, as in every other row.
    #![allow(clippy::vec_box)]

    use std::io::Write;

    use super::{add_ring_share, drive, Rings, RING_LEN, WALK_LIMIT};

    struct Node {
        next: usize,
        value: u64,
    }

    fn build_ring(first_value: u64) -> Vec<Box<Node>> {
        (0..RING_LEN).map(|i| Box::new(Node { next: (i + 1) % RING_LEN, value: first_value + i as u64 })).collect()
    }

    fn walk(ring: &[Box<Node>]) -> (u64, u64) {
        let (mut nodes, mut sum, mut index) = (0, 0u64, 0);
        loop {
            let node = &ring[index];
            nodes += 1;
            sum = sum.wrapping_add(node.value);
            index = node.next;
            if index == 0 || nodes > WALK_LIMIT {
                return (nodes, sum);
            }
        }
    }

    struct BoxRings;

    impl Rings for BoxRings {
        fn batch(&mut self, first_value: u64, count: u32) -> u64 {
            let rings: Vec<_> = (0..u64::from(count)).map(|i| build_ring(first_value + i * RING_LEN as u64)).collect();
            rings.iter().map(|ring| walk(ring)).fold(0, add_ring_share)
        }

        fn collect_and_check(&mut self) {}
    }

    pub fn cycles(n: u32, out: &mut dyn Write) -> u64 {
        drive(&mut BoxRings, n, out)
    }
}

/// bumpalo, the limit: rings of plain references in a bump arena, reset after each batch.
mod bump {
    use std::cell::Cell;
    use std::io::Write;

    use bumpalo::Bump;

    use super::{add_ring_share, drive, Rings, RING_LEN, WALK_LIMIT};

    struct Node<'b> {
        next: Cell<Option<&'b Node<'b>>>,
        value: u64,
    }

    fn build_ring(bump: &Bump, first_value: u64) -> &Node<'_> {
        let head = bump.alloc(Node { next: Cell::new(None), value: first_value });
        let mut tail = &*head;
        for i in 1..RING_LEN as u64 {
            let node = bump.alloc(Node { next: Cell::new(None), value: first_value + i });
            tail.next.set(Some(node));
            tail = node;
        }
        tail.next.set(Some(head));
        head
    }

    fn walk(head: &Node<'_>) -> (u64, u64) {
        let (mut nodes, mut sum) = (0, 0u64);
        let mut node = Some(head);
        while let Some(current) = node {
            nodes += 1;
            sum = sum.wrapping_add(current.value);
            node = current.next.get().filter(|&next| !std::ptr::eq(next, head) && nodes <= WALK_LIMIT);
        }
        (nodes, sum)
    }

    struct BumpRings {
        bump: Bump,
    }

    impl Rings for BumpRings {
        fn batch(&mut self, first_value: u64, count: u32) -> u64 {
            let heads: Vec<_> =
                (0..u64::from(count)).map(|i| build_ring(&self.bump, first_value + i * RING_LEN as u64)).collect();
            let share = heads.iter().map(|head| walk(head)).fold(0, add_ring_share);
            drop(heads);
            self.bump.reset();
            share
        }

        fn collect_and_check(&mut self) {}
    }

    pub fn cycles(n: u32, out: &mut dyn Write) -> u64 {
        drive(&mut BumpRings { bump: Bump::new() }, n, out)
    }
}

/// `Rc<RefCell<_>>`: dropping a batch frees nothing, the counts never reach zero. The heads are
/// remembered by `Weak` references so that the rings can be broken after the run.
mod rc_leaks {
    use std::cell::RefCell;
    use std::io::Write;
    use std::rc::{Rc, Weak};

    use super::{add_ring_share, drive, Rings, RING_LEN, WALK_LIMIT};

    /// A ring node.
    pub struct Node {
        next: RefCell<Option<Rc<Node>>>,
        value: u64,
    }

    fn build_ring(first_value: u64) -> Rc<Node> {
        let head = Rc::new(Node { next: RefCell::new(None), value: first_value });
        let mut tail = head.clone();
        for i in 1..RING_LEN as u64 {
            let node = Rc::new(Node { next: RefCell::new(None), value: first_value + i });
            *tail.next.borrow_mut() = Some(node.clone());
            tail = node;
        }
        *tail.next.borrow_mut() = Some(head.clone());
        head
    }

    fn walk(head: &Rc<Node>) -> (u64, u64) {
        let (mut nodes, mut sum) = (0, 0u64);
        let mut node = Some(head.clone());
        while let Some(current) = node {
            nodes += 1;
            sum = sum.wrapping_add(current.value);
            node = current.next.borrow().clone().filter(|next| !Rc::ptr_eq(next, head) && nodes <= WALK_LIMIT);
        }
        (nodes, sum)
    }

    #[derive(Default)]
    struct RcRings {
        leaked: Vec<Weak<Node>>,
    }

    impl Rings for RcRings {
        fn batch(&mut self, first_value: u64, count: u32) -> u64 {
            let heads: Vec<_> = (0..u64::from(count)).map(|i| build_ring(first_value + i * RING_LEN as u64)).collect();
            self.leaked.extend(heads.iter().map(Rc::downgrade));
            heads.iter().map(walk).fold(0, add_ring_share)
        }

        fn collect_and_check(&mut self) {}
    }

    /// Runs `cycles`; returns the checksum and the leaked rings, for [`break_rings`].
    pub fn cycles(n: u32, out: &mut dyn Write) -> (u64, Vec<Weak<Node>>) {
        let mut rings = RcRings::default();
        let checksum = drive(&mut rings, n, out);
        (checksum, rings.leaked)
    }

    /// Frees leaked rings by cutting each one open at its head.
    pub fn break_rings(leaked: Vec<Weak<Node>>) {
        for head in leaked {
            let head = head.upgrade().expect("a leaked ring is still alive");
            head.next.borrow_mut().take();
        }
    }
}

/// gc-arena 0.7: one `mutate` per ring, `collect_debt` after each (the incremental collector
/// paying its allocation debt); the batch is held in the arena root until it is dropped.
mod arena {
    use std::io::Write;

    use gc_arena::arena::CollectionPhase;
    use gc_arena::barrier::unlock;
    use gc_arena::metrics::Pacing;
    use gc_arena::{Arena, Collect, Gc, Lock, Mutation, Rootable};

    use super::{add_ring_share, drive, Rings, RING_LEN, WALK_LIMIT};

    #[derive(Collect)]
    #[collect(no_drop)]
    struct Node<'gc> {
        next: Lock<Option<Gc<'gc, Node<'gc>>>>,
        value: u64,
    }

    fn build_ring<'gc>(mc: &Mutation<'gc>, first_value: u64) -> Gc<'gc, Node<'gc>> {
        let head = Gc::new(mc, Node { next: Lock::new(None), value: first_value });
        let mut tail = head;
        for i in 1..RING_LEN as u64 {
            let node = Gc::new(mc, Node { next: Lock::new(None), value: first_value + i });
            unlock!(Gc::write(mc, tail), Node, next).set(Some(node));
            tail = node;
        }
        unlock!(Gc::write(mc, tail), Node, next).set(Some(head));
        head
    }

    fn walk<'gc>(head: Gc<'gc, Node<'gc>>) -> (u64, u64) {
        let (mut nodes, mut sum) = (0, 0u64);
        let mut node = Some(head);
        while let Some(current) = node {
            nodes += 1;
            sum = sum.wrapping_add(current.value);
            node = current.next.get().filter(|&next| !Gc::ptr_eq(next, head) && nodes <= WALK_LIMIT);
        }
        (nodes, sum)
    }

    /// The arena's root: the heads of the batch being built.
    type Root = Rootable![Vec<Gc<'_, Node<'_>>>];

    struct ArenaRings {
        arena: Arena<Root>,
    }

    impl Rings for ArenaRings {
        fn batch(&mut self, first_value: u64, count: u32) -> u64 {
            for i in 0..u64::from(count) {
                self.arena.mutate_root(|mc, heads| heads.push(build_ring(mc, first_value + i * RING_LEN as u64)));
                self.arena.collect_debt();
            }
            let share = self.arena.mutate(|_, heads| heads.iter().map(|&head| walk(head)).fold(0, add_ring_share));
            self.arena.mutate_root(|_, heads| heads.clear());
            share
        }

        fn collect_and_check(&mut self) {
            // A cycle already under way keeps what was allocated during it: finish it, then
            // run a whole one.
            if self.arena.collection_phase() != CollectionPhase::Sleeping {
                self.arena.finish_cycle();
            }
            self.arena.finish_cycle();
            let live = self.arena.metrics().total_gc_count();
            assert_eq!(live, 0, "gc-arena: {live} ring nodes survived a full collection");
        }
    }

    fn cycles(n: u32, out: &mut dyn Write, pacing: Pacing) -> u64 {
        let arena = Arena::<Root>::new(|_| Vec::new());
        arena.metrics().set_pacing(pacing);
        drive(&mut ArenaRings { arena }, n, out)
    }

    /// With the default, incremental pacing.
    pub fn cycles_default(n: u32, out: &mut dyn Write) -> u64 {
        cycles(n, out, Pacing::DEFAULT)
    }

    /// With `Pacing::STOP_THE_WORLD`: once the collector wakes it collects fully at once.
    pub fn cycles_stop_the_world(n: u32, out: &mut dyn Write) -> u64 {
        cycles(n, out, Pacing::STOP_THE_WORLD)
    }
}

/// dumpster 2.1, thread-local `unsync::Gc`: its cycle collector runs on its default condition
/// while the program runs, and `collect` runs it at the end.
mod dumpster_unsync {
    use std::cell::RefCell;
    use std::io::Write;

    use dumpster::unsync::{collect, Gc};
    use dumpster::Trace;

    use super::{add_ring_share, drive, Rings, Tally, RING_LEN, WALK_LIMIT};

    #[derive(Trace)]
    struct Node {
        next: RefCell<Option<Gc<Node>>>,
        value: u64,
        _tally: Tally,
    }

    fn new_node(value: u64) -> Gc<Node> {
        Gc::new(Node { next: RefCell::new(None), value, _tally: Tally })
    }

    fn build_ring(first_value: u64) -> Gc<Node> {
        let head = new_node(first_value);
        let mut tail = head.clone();
        for i in 1..RING_LEN as u64 {
            let node = new_node(first_value + i);
            *tail.next.borrow_mut() = Some(node.clone());
            tail = node;
        }
        *tail.next.borrow_mut() = Some(head.clone());
        head
    }

    fn walk(head: &Gc<Node>) -> (u64, u64) {
        let (mut nodes, mut sum) = (0, 0u64);
        let mut node = Some(head.clone());
        while let Some(current) = node {
            nodes += 1;
            sum = sum.wrapping_add(current.value);
            node = current.next.borrow().clone().filter(|next| !Gc::ptr_eq(next, head) && nodes <= WALK_LIMIT);
        }
        (nodes, sum)
    }

    struct DumpsterRings {
        built: u64,
        freed_at_start: u64,
    }

    impl Rings for DumpsterRings {
        fn batch(&mut self, first_value: u64, count: u32) -> u64 {
            let heads: Vec<_> = (0..u64::from(count)).map(|i| build_ring(first_value + i * RING_LEN as u64)).collect();
            self.built += u64::from(count) * RING_LEN as u64;
            heads.iter().map(walk).fold(0, add_ring_share)
        }

        fn collect_and_check(&mut self) {
            collect();
            let freed = Tally::freed() - self.freed_at_start;
            assert_eq!(freed, self.built, "dumpster: {} ring nodes survived `collect`", self.built - freed);
        }
    }

    pub fn cycles(n: u32, out: &mut dyn Write) -> u64 {
        drive(&mut DumpsterRings { built: 0, freed_at_start: Tally::freed() }, n, out)
    }
}

/// rust-cc 0.6, `Cc`: its cycle collector runs automatically (the default `auto-collect`
/// feature) while the program runs, and `collect_cycles` runs it at the end.
mod rust_cc_cc {
    use std::cell::RefCell;
    use std::io::Write;

    use rust_cc::{collect_cycles, state, Cc, Finalize, Trace};

    use super::{add_ring_share, drive, Rings, RING_LEN, WALK_LIMIT};

    #[derive(Trace, Finalize)]
    struct Node {
        next: RefCell<Option<Cc<Node>>>,
        value: u64,
    }

    fn build_ring(first_value: u64) -> Cc<Node> {
        let head = Cc::new(Node { next: RefCell::new(None), value: first_value });
        let mut tail = head.clone();
        for i in 1..RING_LEN as u64 {
            let node = Cc::new(Node { next: RefCell::new(None), value: first_value + i });
            *tail.next.borrow_mut() = Some(node.clone());
            tail = node;
        }
        *tail.next.borrow_mut() = Some(head.clone());
        head
    }

    fn walk(head: &Cc<Node>) -> (u64, u64) {
        let (mut nodes, mut sum) = (0, 0u64);
        let mut node = Some(head.clone());
        while let Some(current) = node {
            nodes += 1;
            sum = sum.wrapping_add(current.value);
            node = current.next.borrow().clone().filter(|next| !Cc::ptr_eq(next, head) && nodes <= WALK_LIMIT);
        }
        (nodes, sum)
    }

    struct CcRings {
        bytes_at_start: usize,
    }

    impl Rings for CcRings {
        fn batch(&mut self, first_value: u64, count: u32) -> u64 {
            let heads: Vec<_> = (0..u64::from(count)).map(|i| build_ring(first_value + i * RING_LEN as u64)).collect();
            heads.iter().map(walk).fold(0, add_ring_share)
        }

        fn collect_and_check(&mut self) {
            collect_cycles();
            let bytes = allocated_bytes();
            assert_eq!(bytes, self.bytes_at_start, "rust-cc: ring bytes survived `collect_cycles`");
        }
    }

    fn allocated_bytes() -> usize {
        state::allocated_bytes().expect("rust-cc's state is accessible")
    }

    pub fn cycles(n: u32, out: &mut dyn Write) -> u64 {
        drive(&mut CcRings { bytes_at_start: allocated_bytes() }, n, out)
    }
}

/// boa_gc 0.22: mark-sweep on its allocation threshold while the program runs,
/// `force_collect` at the end.
mod boa {
    use std::io::Write;

    use boa_gc::{force_collect, Finalize, Gc, GcRefCell, Trace};

    use super::{add_ring_share, drive, Rings, Tally, RING_LEN, WALK_LIMIT};

    #[derive(Trace, Finalize)]
    struct Node {
        next: GcRefCell<Option<Gc<Node>>>,
        value: u64,
        #[unsafe_ignore_trace]
        _tally: Tally,
    }

    fn new_node(value: u64) -> Gc<Node> {
        Gc::new(Node { next: GcRefCell::new(None), value, _tally: Tally })
    }

    fn build_ring(first_value: u64) -> Gc<Node> {
        let head = new_node(first_value);
        let mut tail = head.clone();
        for i in 1..RING_LEN as u64 {
            let node = new_node(first_value + i);
            *tail.next.borrow_mut() = Some(node.clone());
            tail = node;
        }
        *tail.next.borrow_mut() = Some(head.clone());
        head
    }

    fn walk(head: &Gc<Node>) -> (u64, u64) {
        let (mut nodes, mut sum) = (0, 0u64);
        let mut node = Some(head.clone());
        while let Some(current) = node {
            nodes += 1;
            sum = sum.wrapping_add(current.value);
            node = current.next.borrow().clone().filter(|next| !Gc::ptr_eq(next, head) && nodes <= WALK_LIMIT);
        }
        (nodes, sum)
    }

    struct BoaRings {
        built: u64,
        freed_at_start: u64,
    }

    impl Rings for BoaRings {
        fn batch(&mut self, first_value: u64, count: u32) -> u64 {
            let heads: Vec<_> = (0..u64::from(count)).map(|i| build_ring(first_value + i * RING_LEN as u64)).collect();
            self.built += u64::from(count) * RING_LEN as u64;
            heads.iter().map(walk).fold(0, add_ring_share)
        }

        fn collect_and_check(&mut self) {
            force_collect();
            let freed = Tally::freed() - self.freed_at_start;
            assert_eq!(freed, self.built, "boa_gc: {} ring nodes survived `force_collect`", self.built - freed);
        }
    }

    pub fn cycles(n: u32, out: &mut dyn Write) -> u64 {
        drive(&mut BoaRings { built: 0, freed_at_start: Tally::freed() }, n, out)
    }
}

/// gc 0.5: mark-sweep on its allocation threshold while the program runs, `force_collect` at
/// the end.
mod gc_crate {
    // gc_derive 0.5 puts its impls inside a named `const`, which this lint flags.
    #![allow(non_local_definitions)]

    use std::io::Write;

    use gc::{force_collect, Finalize, Gc, GcCell, Trace};

    use super::{add_ring_share, drive, Rings, RING_LEN, WALK_LIMIT};

    #[derive(Trace, Finalize)]
    struct Node {
        next: GcCell<Option<Gc<Node>>>,
        value: u64,
    }

    fn build_ring(first_value: u64) -> Gc<Node> {
        let head = Gc::new(Node { next: GcCell::new(None), value: first_value });
        let mut tail = head.clone();
        for i in 1..RING_LEN as u64 {
            let node = Gc::new(Node { next: GcCell::new(None), value: first_value + i });
            *tail.next.borrow_mut() = Some(node.clone());
            tail = node;
        }
        *tail.next.borrow_mut() = Some(head.clone());
        head
    }

    fn walk(head: &Gc<Node>) -> (u64, u64) {
        let (mut nodes, mut sum) = (0, 0u64);
        let mut node = Some(head.clone());
        while let Some(current) = node {
            nodes += 1;
            sum = sum.wrapping_add(current.value);
            node = current.next.borrow().clone().filter(|next| !Gc::ptr_eq(next, head) && nodes <= WALK_LIMIT);
        }
        (nodes, sum)
    }

    struct GcRings {
        bytes_at_start: usize,
    }

    impl Rings for GcRings {
        fn batch(&mut self, first_value: u64, count: u32) -> u64 {
            let heads: Vec<_> = (0..u64::from(count)).map(|i| build_ring(first_value + i * RING_LEN as u64)).collect();
            heads.iter().map(walk).fold(0, add_ring_share)
        }

        fn collect_and_check(&mut self) {
            force_collect();
            let bytes = gc::stats().bytes_allocated;
            assert_eq!(bytes, self.bytes_at_start, "gc: ring bytes survived `force_collect`");
        }
    }

    pub fn cycles(n: u32, out: &mut dyn Write) -> u64 {
        drive(&mut GcRings { bytes_at_start: gc::stats().bytes_allocated }, n, out)
    }
}
