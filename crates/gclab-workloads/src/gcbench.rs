//! `gcbench`: Hans Boehm's GCBench (after John Ellis and Pete Kovac), the classic collector
//! benchmark.
//!
//! At the standard size 16:
//!
//! 1. a *stretch* tree of depth 18 is built and dropped;
//! 2. a *long-lived* tree of depth 16 is built top-down and a *long-lived array* of 500,000
//!    doubles is filled (`array[i] = 1.0 / i` for the first half), both kept to the end;
//! 3. for depths `d = 4, 6, …, 16`, `num_iters(d) = 2 × tree_size(18) / tree_size(d)` trees of
//!    depth `d` are built **top-down** (a node is allocated, then its children are allocated
//!    and stored into it: young objects stored into older ones, which exercises a
//!    generational write barrier) and as many **bottom-up** (children first), each dropped at
//!    once;
//! 4. the long-lived tree and array are checked: the tree must still have
//!    `tree_size(16)` nodes and `array[1000] == 1.0 / 1000`.
//!
//! `--size s` scales it: the long-lived tree and the largest trees have depth `s`, the stretch
//! tree depth `s + 2`, and the array holds `500,000 × 2^(s-16)` doubles (at least 4,000).
//!
//! A node has 2 reference slots and 8 data bytes (GCBench's two unused `int` fields); the
//! array is one object of 0 slots and 8 bytes per double (the large-object space). The output
//! is GCBench's deterministic lines (its timings left out):
//!
//! ```text
//! Garbage Collector Test
//!  Stretching memory with a binary tree of depth 18
//!  Creating a long-lived binary tree of depth 16
//!  Creating a long-lived array of 500000 doubles
//! Creating 33824 trees of depth 4
//! Creating 8256 trees of depth 6
//! …
//! Creating 8 trees of depth 16
//! ```
//!
//! The checksum is the number of nodes counted in every tree built (each tree is walked once
//! before it is dropped) plus the long-lived tree's node count at the end.

use std::io::Write;

use gclab_core::{AllocError, Heap, Live, ObjRef, Tag};

use crate::{Workload, WorkloadError, WorkloadInfo};

/// The tag of a tree node.
pub const NODE_TAG: Tag = Tag(3);

/// The tag of the array of doubles.
pub const ARRAY_TAG: Tag = Tag(4);

/// The slot of a node's left child.
pub const LEFT: usize = 0;

/// The slot of a node's right child.
pub const RIGHT: usize = 1;

/// Data bytes per node: GCBench's two `int` fields.
pub const NODE_BYTES: usize = 8;

/// The depth of the smallest trees.
pub const MIN_TREE_DEPTH: u32 = 4;

/// The `gcbench` workload; its size is the long-lived tree's depth (16 in GCBench).
#[derive(Clone, Copy, Debug, Default)]
pub struct GcBench;

impl Workload for GcBench {
    const INFO: WorkloadInfo = WorkloadInfo {
        name: "gcbench",
        description: "Boehm's GCBench: stretch tree, long-lived tree and array of doubles, trees \
                      built top-down (young into old: the write barrier) and bottom-up",
        size_meaning: "the long-lived tree's depth; 16 is GCBench's",
        default_size: 16,
        quick_size: 15,
        min_size: MIN_TREE_DEPTH,
        max_size: 22,
    };

    fn run<H: Heap, W: Write>(heap: &mut H, size: u32, out: &mut W) -> Result<u64, WorkloadError> {
        gcbench(heap, size, out)
    }
}

/// The nodes of a full binary tree of `depth`: `2^(depth + 1) - 1`.
pub fn tree_size(depth: u32) -> u64 {
    (1u64 << (depth + 1)) - 1
}

/// How many trees of `depth` are built each way when the stretch tree has `stretch_depth`.
pub fn num_iters(stretch_depth: u32, depth: u32) -> u64 {
    2 * tree_size(stretch_depth) / tree_size(depth)
}

/// The number of doubles in the long-lived array at `size`: 500,000 at 16, scaled by
/// `2^(size - 16)`, at least 4,000 (so that `array[1000]` is in the filled half).
pub fn array_len(size: u32) -> usize {
    let len = if size >= 16 { 500_000usize << (size - 16) } else { 500_000usize >> (16 - size) };
    len.max(4_000)
}

/// The checksum of `gcbench` at `size`, worked out without running it.
///
/// ```
/// use gclab_workloads::gcbench::{expected_checksum, tree_size};
/// // At 4: stretch 6, long-lived 4, one depth (4) of 2 × 127 / 31 = 8 trees each way.
/// assert_eq!(expected_checksum(4), tree_size(6) + 16 * tree_size(4) + tree_size(4));
/// ```
pub fn expected_checksum(size: u32) -> u64 {
    let stretch = size + 2;
    let trees: u64 = (MIN_TREE_DEPTH..=size).step_by(2).map(|d| 2 * num_iters(stretch, d) * tree_size(d)).sum();
    tree_size(stretch) + trees + tree_size(size)
}

/// Runs GCBench at `size` on `heap`, writing its lines to `out`; returns the checksum (see
/// [`expected_checksum`]). The root stack is left as it was found, also on error.
///
/// Fails with [`WorkloadError::Check`] if the long-lived tree or array is damaged at the end.
pub fn gcbench<H: Heap, W: Write>(heap: &mut H, size: u32, out: &mut W) -> Result<u64, WorkloadError> {
    GcBench::INFO.check_size(size)?;
    let base = heap.root_depth();
    let result = run_rooted(heap, size, out, base);
    heap.truncate_roots(base);
    result
}

/// The program; the long-lived tree sits at root `base`, the array at `base + 1`.
fn run_rooted<H: Heap, W: Write>(heap: &mut H, size: u32, out: &mut W, base: usize) -> Result<u64, WorkloadError> {
    let stretch_depth = size + 2;
    let long_lived_depth = size;
    writeln!(out, "Garbage Collector Test")?;
    writeln!(out, " Stretching memory with a binary tree of depth {stretch_depth}")?;
    let tree = make_tree(heap, stretch_depth)?;
    let mut checksum = count_nodes(heap, tree);

    writeln!(out, " Creating a long-lived binary tree of depth {long_lived_depth}")?;
    let root = new_node(heap)?;
    heap.push_root(Some(root));
    populate(heap, long_lived_depth, base)?;

    let len = array_len(size);
    writeln!(out, " Creating a long-lived array of {len} doubles")?;
    let array = heap.allocate(ARRAY_TAG, 0, len * 8)?;
    heap.push_root(Some(array));
    for (i, chunk) in heap.data_mut(array).chunks_exact_mut(8).take(len / 2).enumerate() {
        chunk.copy_from_slice(&(1.0 / i as f64).to_le_bytes());
    }

    for depth in (MIN_TREE_DEPTH..=size).step_by(2) {
        let iters = num_iters(stretch_depth, depth);
        writeln!(out, "Creating {iters} trees of depth {depth}")?;
        for _ in 0..iters {
            let top = new_node(heap)?;
            heap.push_root(Some(top));
            populate(heap, depth, base + 2)?;
            let top = heap.root_at(base + 2).expect("the tree is rooted");
            checksum += count_nodes(heap, top);
            heap.truncate_roots(base + 2);
        }
        for _ in 0..iters {
            let tree = make_tree(heap, depth)?;
            checksum += count_nodes(heap, tree);
        }
    }

    let tree = heap.root_at(base).expect("the long-lived tree is rooted");
    let nodes = count_nodes(heap, tree);
    let array = heap.root_at(base + 1).expect("the array is rooted");
    let element = f64::from_le_bytes(heap.data(array)[1000 * 8..1001 * 8].try_into().expect("8 bytes"));
    if nodes != tree_size(long_lived_depth) || element != 1.0 / 1000.0 {
        return Err(WorkloadError::Check {
            workload: GcBench::INFO.name,
            message: format!(
                "the long-lived data is damaged: the tree has {nodes} nodes (expected {}), array[1000] = {element}",
                tree_size(long_lived_depth)
            ),
        });
    }
    Ok(checksum + nodes)
}

/// Allocates a node with null children, unrooted.
fn new_node<H: Heap>(heap: &mut H) -> Result<ObjRef, AllocError> {
    heap.allocate(NODE_TAG, 2, NODE_BYTES)
}

/// GCBench's `Populate`: gives the node at root index `at` (the top of the root stack) two
/// fresh children, and each of them two, down to `depth` levels — each child allocated after
/// its parent and stored into it. Iterative: the root stack above `at` holds the nodes still
/// to populate, and `depths` their remaining depths, so the native stack stays flat. Leaves
/// the root stack at `at + 1`.
pub fn populate<H: Heap>(heap: &mut H, depth: u32, at: usize) -> Result<(), AllocError> {
    debug_assert_eq!(heap.root_depth(), at + 1, "populate works on the top of the root stack");
    // The node at the top keeps its entry; a copy on top of it is the work stack's first item.
    let first = heap.root_at(at);
    heap.push_root(first);
    let mut depths = vec![depth];
    while let Some(depth) = depths.pop() {
        let top = heap.root_depth() - 1;
        if depth == 0 {
            heap.truncate_roots(top);
            continue;
        }
        let left = new_node(heap)?;
        // The node may have moved during the allocation: read it back from its root.
        let node = heap.root_at(top).expect("the node being populated is rooted");
        heap.store(node, LEFT, Some(left));
        let right = new_node(heap)?;
        let node = heap.root_at(top).expect("the node being populated is rooted");
        heap.store(node, RIGHT, Some(right));
        // The left child may have moved while the right one was allocated: read it back. The
        // right one was allocated after every collection so far.
        let left = heap.load(node, LEFT);
        // Populate the left child first, as GCBench's recursion does: it goes on top.
        heap.set_root(top, Some(right));
        heap.push_root(left);
        depths.push(depth - 1);
        depths.push(depth - 1);
    }
    debug_assert_eq!(heap.root_depth(), at + 1);
    Ok(())
}

/// GCBench's `MakeTree`: a full tree of `depth` built bottom-up (children before their
/// parent), returned unrooted. Iterative: completed subtrees wait on the root stack, and two
/// of equal depth are joined under a new parent (so at most `depth + 1` wait at once, and the
/// allocation order is the recursive version's post-order). On error the root stack is
/// restored.
pub fn make_tree<H: Heap>(heap: &mut H, depth: u32) -> Result<ObjRef, AllocError> {
    let base = heap.root_depth();
    let result = make_tree_rooted(heap, depth);
    match result {
        Ok(tree) => Ok(tree),
        Err(e) => {
            heap.truncate_roots(base);
            Err(e)
        }
    }
}

fn make_tree_rooted<H: Heap>(heap: &mut H, depth: u32) -> Result<ObjRef, AllocError> {
    // Depths of the completed subtrees on the root stack, deepest entry first.
    let mut depths: Vec<u32> = Vec::with_capacity(depth as usize + 2);
    loop {
        let n = depths.len();
        if n >= 2 && depths[n - 1] == depths[n - 2] {
            // The two subtrees on top of the root stack move into the new node's slots (left,
            // then right), rooted through the allocation, which may collect or move them: the
            // constructor `new Node(left, right)` of GCBench's MakeTree.
            let node = heap.allocate_from_roots(NODE_TAG, 2, NODE_BYTES, 2)?;
            heap.push_root(Some(node));
            depths.pop();
            *depths.last_mut().expect("two subtrees were joined") += 1;
        } else if n == 1 && depths[0] == depth {
            break;
        } else {
            let leaf = new_node(heap)?;
            heap.push_root(Some(leaf));
            depths.push(0);
        }
    }
    // Hand the tree to the caller: popped, it stays valid until the next allocation.
    Ok(heap.pop_root().expect("the tree is rooted"))
}

/// The node count of the tree under `root`, walked with an explicit stack (allocating
/// nothing on the heap). The walk reads through [`Live`] views: the root is validated once,
/// and each node's two slots are read with one look at its header ([`Live::slots`]). It pops
/// the right child first, as the stack is LIFO.
pub fn count_nodes<H: Heap>(heap: &H, root: ObjRef) -> u64 {
    // A tree of depth d never holds more than d + 1 nodes on this stack.
    let mut stack: Vec<Live<'_>> = Vec::with_capacity(64);
    stack.push(heap.live(root));
    let mut nodes = 0;
    while let Some(node) = stack.pop() {
        nodes += 1;
        if let Some([left, right]) = node.slots::<2>() {
            stack.extend(left);
            stack.extend(right);
        }
    }
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcbench_figures() {
        // gc-facts.md: num_iters at stretch depth 18.
        let iters: Vec<u64> = (4..=16).step_by(2).map(|d| num_iters(18, d)).collect();
        assert_eq!(iters, [33824, 8256, 2052, 512, 128, 32, 8]);
        assert_eq!(array_len(16), 500_000);
        assert_eq!(array_len(12), 31_250);
        assert_eq!(array_len(4), 4_000);
    }
}
