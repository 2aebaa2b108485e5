//! binary-trees on gclab's backends beside its peers, in one criterion group so that every
//! ratio comes from one run: `Box` (malloc, the baseline), `Rc<RefCell<_>>`, a `bumpalo`
//! arena (the limit: no freeing cost at all), and the published collectors gc-arena (default
//! and stop-the-world pacing), dumpster, rust-cc, boa_gc and gc.
//!
//! `cargo bench --bench peers_binary_trees`; docs/performance.md holds the results. The gclab
//! backends measured are those whose features are enabled (the defaults: marksweep, refcount,
//! nogc). Each iteration is a whole run of the Benchmarks Game program at [`DEPTH`], output
//! discarded, checksum asserted equal to [`expected_checksum`]; throughput is tree nodes
//! allocated per second. Before measuring, every implementation runs once at depth 10 and
//! must print the Benchmarks Game's output.
//!
//! Each peer is written the way its crate is meant to be used, with nothing tuned:
//!
//! - a tree is built bottom up, one allocation per node, checked by walking it with an
//!   explicit stack of plain references, and dropped;
//! - collectors collect when their own policy says so (no forced collections): gc-arena
//!   between `mutate` calls (one per tree, `collect_debt` after each), boa_gc and gc on their
//!   allocation thresholds, dumpster and rust-cc free acyclic garbage at once by counting;
//! - the long-lived tree is held the crate's way: in the gc-arena root, in a rooted pointer
//!   elsewhere, in a second `Bump` for bumpalo.
//!
//! gclab backends run `gclab_workloads::binary_trees::binary_trees` on a fresh heap with
//! default settings; `Box` and `Rc<RefCell<_>>` run `gclab_workloads::baseline`.

mod peers;

use std::io::Write;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use gclab::Heap;
use gclab_workloads::baseline;
use gclab_workloads::binary_trees::{expected_checksum, max_depth, MIN_DEPTH};

use peers::{bench_entry, check_programs, program_group, Entry};

/// The depth measured: about 15 million nodes per run, so that the slowest peers still
/// finish their ten samples in well under a minute on a small machine.
const DEPTH: u32 = 16;

/// The depth every implementation's output is checked at before measuring.
const CHECK_DEPTH: u32 = 10;

/// Every implementation, in report order.
fn entries() -> Vec<Entry> {
    let mut entries = vec![
        Entry { name: "box", run: on_box },
        Entry { name: "rc-refcell", run: on_rc },
        Entry { name: "bumpalo", run: bump::binary_trees },
        Entry { name: "gc-arena", run: arena::binary_trees_default },
        Entry { name: "gc-arena-stw", run: arena::binary_trees_stop_the_world },
        Entry { name: "dumpster", run: dumpster_unsync::binary_trees },
        Entry { name: "rust-cc", run: rust_cc_cc::binary_trees },
        Entry { name: "boa_gc", run: boa::binary_trees },
        Entry { name: "gc", run: gc_crate::binary_trees },
    ];
    #[cfg(feature = "marksweep")]
    entries.push(Entry { name: gclab::MarkSweepHeap::NAME, run: on_heap::<gclab::MarkSweepHeap> });
    #[cfg(feature = "refcount")]
    entries.push(Entry { name: gclab::RefcountHeap::NAME, run: on_heap::<gclab::RefcountHeap> });
    #[cfg(feature = "nogc")]
    entries.push(Entry { name: gclab::NoGcHeap::NAME, run: on_heap::<gclab::NoGcHeap> });
    entries
}

/// binary-trees over `Box`: `gclab_workloads::baseline`.
fn on_box(n: u32, mut out: &mut dyn Write) -> u64 {
    baseline::binary_trees(n, &mut out).expect("runs")
}

/// binary-trees over `Rc<RefCell<_>>`: `gclab_workloads::baseline::rc`.
fn on_rc(n: u32, mut out: &mut dyn Write) -> u64 {
    baseline::rc::binary_trees(n, &mut out).expect("runs")
}

/// binary-trees on a fresh gclab heap of type `H` with default settings.
#[allow(dead_code)] // unused when no backend feature is enabled
fn on_heap<H: Heap>(n: u32, mut out: &mut dyn Write) -> u64 {
    let mut heap = H::new();
    gclab_workloads::binary_trees::binary_trees(&mut heap, n, &mut out).expect("runs")
}

fn peers_binary_trees(c: &mut Criterion) {
    let entries = entries();
    let mut reference = Vec::new();
    baseline::binary_trees(CHECK_DEPTH, &mut reference).expect("runs");
    let reference = String::from_utf8(reference).expect("UTF-8");
    check_programs(&entries, &reference, CHECK_DEPTH, expected_checksum(CHECK_DEPTH));

    let nodes = expected_checksum(DEPTH);
    let mut group = program_group(c, "peers-binary-trees", 10, Duration::from_secs(10));
    for entry in &entries {
        bench_entry(&mut group, entry, DEPTH, nodes, nodes);
    }
    group.finish();
}

criterion_group!(benches, peers_binary_trees);
criterion_main!(benches);

/// The Benchmarks Game driver over any tree representation, printing exactly what
/// `gclab_workloads::binary_trees` prints (whose own driver is private to that crate).
trait Trees {
    /// Builds a tree of `depth`, checks it, drops it; returns the check.
    fn build_check_drop(&mut self, depth: u32) -> u64;
    /// Builds the long-lived tree and keeps it.
    fn build_long_lived(&mut self, depth: u32);
    /// Checks the long-lived tree and drops it; returns the check.
    fn check_drop_long_lived(&mut self) -> u64;
}

/// Runs binary-trees of size `n` over `trees`; returns the sum of every check printed.
fn drive(trees: &mut impl Trees, n: u32, out: &mut dyn Write) -> u64 {
    let max_depth = max_depth(n);
    let stretch_depth = max_depth + 1;
    let check = trees.build_check_drop(stretch_depth);
    writeln!(out, "stretch tree of depth {stretch_depth}\t check: {check}").expect("output");
    let mut checksum = check;

    trees.build_long_lived(max_depth);
    for depth in (MIN_DEPTH..=max_depth).step_by(2) {
        let iterations = 1u64 << (max_depth - depth + MIN_DEPTH);
        let check: u64 = (0..iterations).map(|_| trees.build_check_drop(depth)).sum();
        writeln!(out, "{iterations}\t trees of depth {depth}\t check: {check}").expect("output");
        checksum += check;
    }

    let check = trees.check_drop_long_lived();
    writeln!(out, "long lived tree of depth {max_depth}\t check: {check}").expect("output");
    checksum + check
}

/// A tree node that can hand out its children as plain references.
trait Children {
    /// The left and right children.
    fn children(&self) -> [Option<&Self>; 2];
}

/// The check of a tree: its node count, walked with an explicit stack of references (no
/// reference-count traffic), as `baseline::check_tree` walks `Box` trees.
fn check_tree<N: Children>(root: &N, depth: u32) -> u64 {
    let mut stack = Vec::with_capacity(depth as usize + 2);
    stack.push(root);
    let mut nodes = 0;
    while let Some(node) = stack.pop() {
        nodes += 1;
        stack.extend(node.children().into_iter().flatten());
    }
    nodes
}

/// bumpalo: nodes bump-allocated in an arena that is reset after each tree, so freeing costs
/// nothing; the long-lived tree lives in an arena of its own.
mod bump {
    use std::io::Write;

    use bumpalo::Bump;

    use super::{check_tree, drive, Children, Trees};

    struct Node<'b> {
        left: Option<&'b Node<'b>>,
        right: Option<&'b Node<'b>>,
    }

    impl Children for Node<'_> {
        fn children(&self) -> [Option<&Self>; 2] {
            [self.left, self.right]
        }
    }

    fn bottom_up_tree(bump: &Bump, depth: u32) -> &Node<'_> {
        if depth == 0 {
            return bump.alloc(Node { left: None, right: None });
        }
        let left = bottom_up_tree(bump, depth - 1);
        let right = bottom_up_tree(bump, depth - 1);
        bump.alloc(Node { left: Some(left), right: Some(right) })
    }

    struct BumpTrees<'l> {
        short_lived: Bump,
        long_lived_arena: &'l Bump,
        long_lived: Option<&'l Node<'l>>,
    }

    impl Trees for BumpTrees<'_> {
        fn build_check_drop(&mut self, depth: u32) -> u64 {
            let check = check_tree(bottom_up_tree(&self.short_lived, depth), depth);
            self.short_lived.reset();
            check
        }

        fn build_long_lived(&mut self, depth: u32) {
            self.long_lived = Some(bottom_up_tree(self.long_lived_arena, depth));
        }

        fn check_drop_long_lived(&mut self) -> u64 {
            let tree = self.long_lived.take().expect("the long-lived tree was built");
            check_tree(tree, 0)
        }
    }

    pub fn binary_trees(n: u32, out: &mut dyn Write) -> u64 {
        let long_lived_arena = Bump::new();
        drive(
            &mut BumpTrees { short_lived: Bump::new(), long_lived_arena: &long_lived_arena, long_lived: None },
            n,
            out,
        )
    }
}

/// gc-arena 0.7: one `mutate` call per tree, `collect_debt` after each (the crate's
/// incremental collector paying its allocation debt), the long-lived tree in the arena root.
mod arena {
    use std::io::Write;

    use gc_arena::metrics::Pacing;
    use gc_arena::{Arena, Collect, Gc, Mutation, Rootable};

    use super::{check_tree, drive, Children, Trees};

    #[derive(Collect)]
    #[collect(no_drop)]
    struct Node<'gc> {
        left: Option<Gc<'gc, Node<'gc>>>,
        right: Option<Gc<'gc, Node<'gc>>>,
    }

    impl Children for Node<'_> {
        fn children(&self) -> [Option<&Self>; 2] {
            [self.left.as_deref(), self.right.as_deref()]
        }
    }

    fn bottom_up_tree<'gc>(mc: &Mutation<'gc>, depth: u32) -> Gc<'gc, Node<'gc>> {
        if depth == 0 {
            return Gc::new(mc, Node { left: None, right: None });
        }
        let left = bottom_up_tree(mc, depth - 1);
        let right = bottom_up_tree(mc, depth - 1);
        Gc::new(mc, Node { left: Some(left), right: Some(right) })
    }

    /// The arena's root: the long-lived tree, when there is one.
    type Root = Rootable![Option<Gc<'_, Node<'_>>>];

    struct ArenaTrees {
        arena: Arena<Root>,
    }

    impl Trees for ArenaTrees {
        fn build_check_drop(&mut self, depth: u32) -> u64 {
            let check = self.arena.mutate(|mc, _| check_tree(&*bottom_up_tree(mc, depth), depth));
            self.arena.collect_debt();
            check
        }

        fn build_long_lived(&mut self, depth: u32) {
            self.arena.mutate_root(|mc, root| *root = Some(bottom_up_tree(mc, depth)));
            self.arena.collect_debt();
        }

        fn check_drop_long_lived(&mut self) -> u64 {
            let check = self.arena.mutate(|_, root| check_tree(&*root.expect("the long-lived tree was built"), 0));
            self.arena.mutate_root(|_, root| *root = None);
            check
        }
    }

    fn binary_trees(n: u32, out: &mut dyn Write, pacing: Pacing) -> u64 {
        let arena = Arena::<Root>::new(|_| None);
        arena.metrics().set_pacing(pacing);
        drive(&mut ArenaTrees { arena }, n, out)
    }

    /// With the default, incremental pacing.
    pub fn binary_trees_default(n: u32, out: &mut dyn Write) -> u64 {
        binary_trees(n, out, Pacing::DEFAULT)
    }

    /// With `Pacing::STOP_THE_WORLD`: once the collector wakes it collects fully at once.
    pub fn binary_trees_stop_the_world(n: u32, out: &mut dyn Write) -> u64 {
        binary_trees(n, out, Pacing::STOP_THE_WORLD)
    }
}

/// dumpster 2.1, thread-local `unsync::Gc`: acyclic garbage is freed when its count drops to
/// zero; the cycle collector runs on its own default condition.
mod dumpster_unsync {
    use std::io::Write;

    use dumpster::unsync::Gc;
    use dumpster::Trace;

    use super::{check_tree, drive, Children, Trees};

    #[derive(Trace)]
    struct Node {
        left: Option<Gc<Node>>,
        right: Option<Gc<Node>>,
    }

    impl Children for Node {
        fn children(&self) -> [Option<&Self>; 2] {
            [self.left.as_deref(), self.right.as_deref()]
        }
    }

    fn bottom_up_tree(depth: u32) -> Gc<Node> {
        if depth == 0 {
            return Gc::new(Node { left: None, right: None });
        }
        let left = bottom_up_tree(depth - 1);
        let right = bottom_up_tree(depth - 1);
        Gc::new(Node { left: Some(left), right: Some(right) })
    }

    #[derive(Default)]
    struct DumpsterTrees {
        long_lived: Option<Gc<Node>>,
    }

    impl Trees for DumpsterTrees {
        fn build_check_drop(&mut self, depth: u32) -> u64 {
            check_tree(&*bottom_up_tree(depth), depth)
        }

        fn build_long_lived(&mut self, depth: u32) {
            self.long_lived = Some(bottom_up_tree(depth));
        }

        fn check_drop_long_lived(&mut self) -> u64 {
            check_tree(&*self.long_lived.take().expect("the long-lived tree was built"), 0)
        }
    }

    pub fn binary_trees(n: u32, out: &mut dyn Write) -> u64 {
        drive(&mut DumpsterTrees::default(), n, out)
    }
}

/// rust-cc 0.6, `Cc`: reference counting that frees acyclic garbage at once, with a cycle
/// collector run automatically (the default `auto-collect` feature).
mod rust_cc_cc {
    use std::io::Write;

    use rust_cc::{Cc, Finalize, Trace};

    use super::{check_tree, drive, Children, Trees};

    #[derive(Trace, Finalize)]
    struct Node {
        left: Option<Cc<Node>>,
        right: Option<Cc<Node>>,
    }

    impl Children for Node {
        fn children(&self) -> [Option<&Self>; 2] {
            [self.left.as_deref(), self.right.as_deref()]
        }
    }

    fn bottom_up_tree(depth: u32) -> Cc<Node> {
        if depth == 0 {
            return Cc::new(Node { left: None, right: None });
        }
        let left = bottom_up_tree(depth - 1);
        let right = bottom_up_tree(depth - 1);
        Cc::new(Node { left: Some(left), right: Some(right) })
    }

    #[derive(Default)]
    struct CcTrees {
        long_lived: Option<Cc<Node>>,
    }

    impl Trees for CcTrees {
        fn build_check_drop(&mut self, depth: u32) -> u64 {
            check_tree(&*bottom_up_tree(depth), depth)
        }

        fn build_long_lived(&mut self, depth: u32) {
            self.long_lived = Some(bottom_up_tree(depth));
        }

        fn check_drop_long_lived(&mut self) -> u64 {
            check_tree(&*self.long_lived.take().expect("the long-lived tree was built"), 0)
        }
    }

    pub fn binary_trees(n: u32, out: &mut dyn Write) -> u64 {
        drive(&mut CcTrees::default(), n, out)
    }
}

/// boa_gc 0.22 (the Boa JavaScript engine's collector): a thread-local mark-sweep heap that
/// collects when its allocation threshold is crossed; `Gc`s held outside the heap are roots.
mod boa {
    use std::io::Write;

    use boa_gc::{Finalize, Gc, Trace};

    use super::{check_tree, drive, Children, Trees};

    #[derive(Trace, Finalize)]
    struct Node {
        left: Option<Gc<Node>>,
        right: Option<Gc<Node>>,
    }

    impl Children for Node {
        fn children(&self) -> [Option<&Self>; 2] {
            [self.left.as_deref(), self.right.as_deref()]
        }
    }

    fn bottom_up_tree(depth: u32) -> Gc<Node> {
        if depth == 0 {
            return Gc::new(Node { left: None, right: None });
        }
        let left = bottom_up_tree(depth - 1);
        let right = bottom_up_tree(depth - 1);
        Gc::new(Node { left: Some(left), right: Some(right) })
    }

    #[derive(Default)]
    struct BoaTrees {
        long_lived: Option<Gc<Node>>,
    }

    impl Trees for BoaTrees {
        fn build_check_drop(&mut self, depth: u32) -> u64 {
            check_tree(&*bottom_up_tree(depth), depth)
        }

        fn build_long_lived(&mut self, depth: u32) {
            self.long_lived = Some(bottom_up_tree(depth));
        }

        fn check_drop_long_lived(&mut self) -> u64 {
            check_tree(&*self.long_lived.take().expect("the long-lived tree was built"), 0)
        }
    }

    pub fn binary_trees(n: u32, out: &mut dyn Write) -> u64 {
        drive(&mut BoaTrees::default(), n, out)
    }
}

/// gc 0.5 (Manishearth's rust-gc): a thread-local mark-sweep heap with root counts kept on
/// every `Gc`, collecting when its allocation threshold is crossed.
mod gc_crate {
    // gc_derive 0.5 puts its impls inside a named `const`, which this lint flags.
    #![allow(non_local_definitions)]

    use std::io::Write;

    use gc::{Finalize, Gc, Trace};

    use super::{check_tree, drive, Children, Trees};

    #[derive(Trace, Finalize)]
    struct Node {
        left: Option<Gc<Node>>,
        right: Option<Gc<Node>>,
    }

    impl Children for Node {
        fn children(&self) -> [Option<&Self>; 2] {
            [self.left.as_deref(), self.right.as_deref()]
        }
    }

    fn bottom_up_tree(depth: u32) -> Gc<Node> {
        if depth == 0 {
            return Gc::new(Node { left: None, right: None });
        }
        let left = bottom_up_tree(depth - 1);
        let right = bottom_up_tree(depth - 1);
        Gc::new(Node { left: Some(left), right: Some(right) })
    }

    #[derive(Default)]
    struct GcTrees {
        long_lived: Option<Gc<Node>>,
    }

    impl Trees for GcTrees {
        fn build_check_drop(&mut self, depth: u32) -> u64 {
            check_tree(&*bottom_up_tree(depth), depth)
        }

        fn build_long_lived(&mut self, depth: u32) {
            self.long_lived = Some(bottom_up_tree(depth));
        }

        fn check_drop_long_lived(&mut self) -> u64 {
            check_tree(&*self.long_lived.take().expect("the long-lived tree was built"), 0)
        }
    }

    pub fn binary_trees(n: u32, out: &mut dyn Write) -> u64 {
        drive(&mut GcTrees::default(), n, out)
    }
}
