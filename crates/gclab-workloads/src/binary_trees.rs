//! binary-trees, by the rules of the Computer Language Benchmarks Game.
//!
//! With `min_depth = 4` and `max_depth = max(min_depth + 2, n)`:
//!
//! 1. build a *stretch* tree of depth `max_depth + 1`, check it, drop it;
//! 2. build a *long-lived* tree of depth `max_depth`, kept to the end;
//! 3. for `d = min_depth, min_depth + 2, …, max_depth`, build, check and drop
//!    `1 << (max_depth - d + min_depth)` trees of depth `d`, printing the sum of their checks;
//! 4. check the long-lived tree.
//!
//! Trees are built bottom-up, one allocation per node (2 reference slots, no data, immutable:
//! `Heap::allocate_immutable` takes the children from the root stack, as the Python version
//! of the program builds tuples); the check of a tree is its node count. The output is
//! byte-for-byte the Benchmarks Game's; for n = 10
//! (`\t` stands for a tab, followed by a space):
//!
//! ```text
//! stretch tree of depth 11\t check: 4095
//! 1024\t trees of depth 4\t check: 31744
//! 256\t trees of depth 6\t check: 32512
//! 64\t trees of depth 8\t check: 32704
//! 16\t trees of depth 10\t check: 32752
//! long lived tree of depth 10\t check: 2047
//! ```
//!
//! The checksum returned is the sum of every check printed ([`expected_checksum`]).

use std::io::Write;

use gclab_core::{AllocError, Heap, Live, ObjRef, Tag};

use crate::{Workload, WorkloadError, WorkloadInfo};

/// The depth of the smallest trees.
pub const MIN_DEPTH: u32 = 4;

/// The tag of every tree node.
pub const NODE_TAG: Tag = Tag(1);

/// The slot of a node's left child.
pub const LEFT: usize = 0;

/// The slot of a node's right child.
pub const RIGHT: usize = 1;

/// The binary-trees workload; its size is `n`.
#[derive(Clone, Copy, Debug, Default)]
pub struct BinaryTrees;

impl Workload for BinaryTrees {
    const INFO: WorkloadInfo = WorkloadInfo {
        name: "binary-trees",
        description: "Benchmarks Game binary-trees: short-lived full binary trees beside a \
                      long-lived one, every node 2 slots",
        size_meaning: "the largest tree depth; 6 is used below 6, 21 is the Benchmarks Game's",
        default_size: 18,
        quick_size: 17,
        min_size: 1,
        max_size: 24,
    };

    fn run<H: Heap, W: Write>(heap: &mut H, size: u32, out: &mut W) -> Result<u64, WorkloadError> {
        binary_trees(heap, size, out)
    }
}

/// Runs binary-trees of size `n` on `heap`, writing its output to `out`; returns the sum of
/// every check printed. The root stack is left as it was found, also on error.
pub fn binary_trees<H: Heap, W: Write>(heap: &mut H, n: u32, out: &mut W) -> Result<u64, WorkloadError> {
    BinaryTrees::INFO.check_size(n)?;
    let base = heap.root_depth();
    let mut trees = HeapTrees { heap: &mut *heap, base };
    let result = drive(&mut trees, n, out);
    heap.truncate_roots(base);
    result
}

/// The largest tree depth of binary-trees of size `n`.
pub fn max_depth(n: u32) -> u32 {
    n.max(MIN_DEPTH + 2)
}

/// The nodes in a full binary tree of `depth`: `2^(depth + 1) - 1`.
pub fn tree_nodes(depth: u32) -> u64 {
    (1u64 << (depth + 1)) - 1
}

/// The checksum binary-trees of size `n` returns, worked out without running it.
///
/// ```
/// assert_eq!(gclab_workloads::binary_trees::expected_checksum(10), 135_854);
/// ```
pub fn expected_checksum(n: u32) -> u64 {
    let max = max_depth(n);
    let iterations: u64 = (MIN_DEPTH..=max).step_by(2).map(|d| (1u64 << (max - d + MIN_DEPTH)) * tree_nodes(d)).sum();
    tree_nodes(max + 1) + iterations + tree_nodes(max)
}

/// Builds a full tree of `depth` bottom up, one allocation of 2 slots per node, and returns its
/// root, unrooted. While a parent is allocated its two children are on the root stack, which
/// they leave for its slots, so the tree is correct on any collecting or moving heap. Nodes
/// are immutable ([`Heap::allocate_immutable`]): the program never changes a node once built,
/// and the Python version of the program builds its nodes as tuples. On error the root stack
/// is restored.
pub fn bottom_up_tree<H: Heap>(heap: &mut H, depth: u32) -> Result<ObjRef, AllocError> {
    let base = heap.root_depth();
    match build(heap, depth) {
        Ok(()) => Ok(heap.pop_root().expect("the tree is on the root stack")),
        Err(e) => {
            heap.truncate_roots(base);
            Err(e)
        }
    }
}

/// The recursion: leaves the tree's root on the root stack. Each node is built from its two
/// children on the root stack, which stay rooted through the allocation (which may collect,
/// or move them), then move into its slots (left, then right), and the node takes their place
/// ([`Heap::allocate_immutable_onto_roots`]: no reference is ever unrooted or validated again).
///
/// One level of the recursion is inlined into each call ([`build_inline`]), as HotSpot's JIT
/// inlines one level of a recursive method (`-XX:MaxRecursiveInlineLevel=1`, its default) in
/// the Java program this is measured against: the same allocations in the same order, with
/// half the calls.
fn build<H: Heap>(heap: &mut H, depth: u32) -> Result<(), AllocError> {
    if depth == 0 {
        return heap.allocate_immutable_onto_roots(NODE_TAG, 2, 0, 0);
    }
    build_inline(heap, depth - 1)?;
    build_inline(heap, depth - 1)?;
    heap.allocate_immutable_onto_roots(NODE_TAG, 2, 0, 2)
}

/// [`build`]'s body, inlined into it.
#[inline(always)]
fn build_inline<H: Heap>(heap: &mut H, depth: u32) -> Result<(), AllocError> {
    if depth == 0 {
        return heap.allocate_immutable_onto_roots(NODE_TAG, 2, 0, 0);
    }
    build(heap, depth - 1)?;
    build(heap, depth - 1)?;
    heap.allocate_immutable_onto_roots(NODE_TAG, 2, 0, 2)
}

/// The check of a tree: its node count, walked with an explicit stack.
///
/// The walk allocates nothing, so it reads through [`Live`] views: the root is validated
/// once, and every child reached from it needs no validation while the heap is borrowed.
pub fn check_tree<H: Heap>(heap: &H, root: ObjRef) -> u64 {
    count_nodes(heap, root)
}

fn count_nodes<H: Heap>(heap: &H, root: ObjRef) -> u64 {
    count_live(heap.live(root))
}

/// The node count of the tree under `root`, walked with an explicit stack of pending left
/// subtrees (nothing recursive over the graph, so any shape of tree is safe to walk). Each
/// node's two slots are read with one look at its header ([`Live::slots`]).
///
/// Right first: a tree built bottom up lies in memory in post-order (left subtree, right
/// subtree, node), so visiting node, right subtree, left subtree walks it at falling addresses
/// one after the other, which the hardware prefetches. Left first executes the same number of
/// instructions but jumps about: binary-trees 18 on marksweep took 1.57 s of CPU that way
/// against 0.98 s right first.
///
/// The stack holds at most one entry per level of the tree: one allocation of 64 entries per
/// check, never regrown below depth 64.
fn count_live(root: Live<'_>) -> u64 {
    let mut pending = Vec::with_capacity(64);
    let mut node = root;
    let mut nodes = 0;
    loop {
        nodes += 1;
        match node.slots::<2>() {
            Some([Some(left), Some(right)]) => {
                pending.push(left);
                node = right;
                continue;
            }
            Some([Some(only), None] | [None, Some(only)]) => {
                node = only;
                continue;
            }
            Some([None, None]) | None => {}
        }
        match pending.pop() {
            Some(next) => node = next,
            None => return nodes,
        }
    }
}

/// What the driver needs of a tree representation: heap objects or `Box`es.
pub(crate) trait Trees {
    /// Builds a tree of `depth`, checks it and drops it; returns the check.
    fn build_check_drop(&mut self, depth: u32) -> Result<u64, WorkloadError>;
    /// Builds the long-lived tree and keeps it.
    fn build_long_lived(&mut self, depth: u32) -> Result<(), WorkloadError>;
    /// Checks the long-lived tree and drops it.
    fn check_drop_long_lived(&mut self) -> u64;
}

/// The program itself, over any tree representation; returns the sum of the checks.
pub(crate) fn drive<T: Trees, W: Write>(trees: &mut T, n: u32, out: &mut W) -> Result<u64, WorkloadError> {
    let max_depth = max_depth(n);
    let stretch_depth = max_depth + 1;
    let check = trees.build_check_drop(stretch_depth)?;
    writeln!(out, "stretch tree of depth {stretch_depth}\t check: {check}")?;
    let mut checksum = check;

    trees.build_long_lived(max_depth)?;
    for depth in (MIN_DEPTH..=max_depth).step_by(2) {
        let iterations = 1u64 << (max_depth - depth + MIN_DEPTH);
        let mut check = 0;
        for _ in 0..iterations {
            check += trees.build_check_drop(depth)?;
        }
        writeln!(out, "{iterations}\t trees of depth {depth}\t check: {check}")?;
        checksum += check;
    }

    let check = trees.check_drop_long_lived();
    writeln!(out, "long lived tree of depth {max_depth}\t check: {check}")?;
    Ok(checksum + check)
}

/// Trees in a gclab heap; the long-lived tree sits on the root stack at `base`.
struct HeapTrees<'h, H> {
    heap: &'h mut H,
    base: usize,
}

impl<H: Heap> Trees for HeapTrees<'_, H> {
    fn build_check_drop(&mut self, depth: u32) -> Result<u64, WorkloadError> {
        let tree = bottom_up_tree(self.heap, depth)?;
        // Checking allocates nothing, so the unrooted tree stays valid while it is walked.
        Ok(count_nodes(self.heap, tree))
    }

    fn build_long_lived(&mut self, depth: u32) -> Result<(), WorkloadError> {
        let tree = bottom_up_tree(self.heap, depth)?;
        self.heap.push_root(Some(tree));
        Ok(())
    }

    fn check_drop_long_lived(&mut self) -> u64 {
        let tree = self.heap.root_at(self.base).expect("the long-lived tree is rooted");
        let check = count_nodes(self.heap, tree);
        self.heap.truncate_roots(self.base);
        check
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_counts_nodes_with_one_child_too() {
        let mut heap = gclab_marksweep::MarkSweepHeap::new();
        // A node with only a right child, whose child has only a left one: 3 nodes.
        let leaf = heap.allocate(NODE_TAG, 2, 0).unwrap();
        heap.push_root(Some(leaf));
        let middle = heap.allocate(NODE_TAG, 2, 0).unwrap();
        let leaf = heap.pop_root();
        heap.store(middle, LEFT, leaf);
        heap.push_root(Some(middle));
        let top = heap.allocate(NODE_TAG, 2, 0).unwrap();
        let middle = heap.pop_root();
        heap.store(top, RIGHT, middle);
        assert_eq!(check_tree(&heap, top), 3);
        let full = bottom_up_tree(&mut heap, 5).unwrap();
        assert_eq!(check_tree(&heap, full), tree_nodes(5));
    }

    #[test]
    fn tree_sizes_and_checksums() {
        assert_eq!(tree_nodes(0), 1);
        assert_eq!(tree_nodes(10), 2047);
        assert_eq!(max_depth(1), 6);
        assert_eq!(max_depth(10), 10);
        // 4095 + 31744 + 32512 + 32704 + 32752 + 2047, from the reference output.
        assert_eq!(expected_checksum(10), 135_854);
    }
}
