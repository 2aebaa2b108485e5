//! The malloc baselines: the same programs over plain `Box`es, with no collector at all.
//!
//! They print exactly what the heap versions print, so their output and checksums can be
//! compared directly, and benches can set a collector beside the system allocator.

use std::io::Write;

use crate::binary_trees::{drive, Trees};
use crate::{BinaryTrees, Workload, WorkloadError};

/// A binary-trees node: two owned children.
#[derive(Debug, Default)]
pub struct Node {
    /// The left child.
    pub left: Option<Box<Node>>,
    /// The right child.
    pub right: Option<Box<Node>>,
}

/// Builds a full tree of `depth` bottom up, one `Box` per node.
pub fn bottom_up_tree(depth: u32) -> Box<Node> {
    if depth == 0 {
        return Box::default();
    }
    let left = bottom_up_tree(depth - 1);
    let right = bottom_up_tree(depth - 1);
    Box::new(Node { left: Some(left), right: Some(right) })
}

/// The check of a tree: its node count, walked with an explicit stack.
pub fn check_tree(root: &Node) -> u64 {
    count_nodes(root, &mut Vec::new())
}

fn count_nodes<'t>(root: &'t Node, stack: &mut Vec<&'t Node>) -> u64 {
    stack.clear();
    stack.push(root);
    let mut nodes = 0;
    while let Some(node) = stack.pop() {
        nodes += 1;
        if let Some(left) = &node.left {
            stack.push(left);
        }
        if let Some(right) = &node.right {
            stack.push(right);
        }
    }
    nodes
}

/// binary-trees of size `n` over `Box`, printing exactly what
/// [`crate::binary_trees::binary_trees`] prints; returns the same checksum.
pub fn binary_trees<W: Write>(n: u32, out: &mut W) -> Result<u64, WorkloadError> {
    // The walk's stack is a fresh `Vec` per tree: borrowing one kept across trees would tie
    // it to one tree's lifetime. It never holds more than `depth + 2` entries (< 64).
    run_owned(n, out, bottom_up_tree, |tree| count_nodes(tree, &mut Vec::with_capacity(64)))
}

/// The program over trees of owned roots: `build` makes a tree of a depth, `check` walks it.
struct OwnedTrees<T, B, C> {
    long_lived: Option<T>,
    build: B,
    check: C,
}

impl<T, B: Fn(u32) -> T, C: Fn(&T) -> u64> Trees for OwnedTrees<T, B, C> {
    fn build_check_drop(&mut self, depth: u32) -> Result<u64, WorkloadError> {
        Ok((self.check)(&(self.build)(depth)))
    }

    fn build_long_lived(&mut self, depth: u32) -> Result<(), WorkloadError> {
        self.long_lived = Some((self.build)(depth));
        Ok(())
    }

    fn check_drop_long_lived(&mut self) -> u64 {
        self.long_lived.take().map_or(0, |tree| (self.check)(&tree))
    }
}

/// Runs binary-trees of size `n` over [`OwnedTrees`].
fn run_owned<T, W: Write>(
    n: u32,
    out: &mut W,
    build: impl Fn(u32) -> T,
    check: impl Fn(&T) -> u64,
) -> Result<u64, WorkloadError> {
    BinaryTrees::INFO.check_size(n)?;
    drive(&mut OwnedTrees { long_lived: None, build, check }, n, out)
}

/// The same program over `Rc<RefCell<_>>`: counted references that free at zero but never
/// collect cycles — the baseline a reference-counting collector is measured against.
pub mod rc {
    use std::cell::RefCell;
    use std::io::Write;
    use std::rc::Rc;

    use crate::WorkloadError;

    /// A shared, mutable binary-trees node.
    pub type NodeRef = Rc<RefCell<Node>>;

    /// A node: two counted children.
    #[derive(Debug, Default)]
    pub struct Node {
        /// The left child.
        pub left: Option<NodeRef>,
        /// The right child.
        pub right: Option<NodeRef>,
    }

    /// Builds a full tree of `depth` bottom up, one `Rc` per node.
    pub fn bottom_up_tree(depth: u32) -> NodeRef {
        if depth == 0 {
            return NodeRef::default();
        }
        let left = bottom_up_tree(depth - 1);
        let right = bottom_up_tree(depth - 1);
        Rc::new(RefCell::new(Node { left: Some(left), right: Some(right) }))
    }

    /// The check of a tree: its node count, walked with an explicit stack.
    pub fn check_tree(root: &NodeRef) -> u64 {
        let mut stack = vec![root.clone()];
        let mut nodes = 0;
        while let Some(node) = stack.pop() {
            nodes += 1;
            let node = node.borrow();
            stack.extend(node.left.iter().cloned());
            stack.extend(node.right.iter().cloned());
        }
        nodes
    }

    /// binary-trees of size `n` over `Rc<RefCell<_>>`, printing exactly what the heap version
    /// prints; returns the same checksum.
    pub fn binary_trees<W: Write>(n: u32, out: &mut W) -> Result<u64, WorkloadError> {
        super::run_owned(n, out, bottom_up_tree, check_tree)
    }
}

/// The same program over `Rc<Node>` with no `RefCell`: immutable counted nodes, the closest
/// Rust analogue of binary-trees' immutable heap nodes (`Heap::allocate_immutable`). The check
/// walks plain references, with no count traffic.
pub mod rc_immutable {
    use std::io::Write;
    use std::rc::Rc;

    use crate::WorkloadError;

    /// A shared, immutable binary-trees node: two counted children.
    #[derive(Debug, Default)]
    pub struct Node {
        /// The left child.
        pub left: Option<Rc<Node>>,
        /// The right child.
        pub right: Option<Rc<Node>>,
    }

    /// Builds a full tree of `depth` bottom up, one `Rc` per node.
    pub fn bottom_up_tree(depth: u32) -> Rc<Node> {
        if depth == 0 {
            return Rc::default();
        }
        let left = bottom_up_tree(depth - 1);
        let right = bottom_up_tree(depth - 1);
        Rc::new(Node { left: Some(left), right: Some(right) })
    }

    /// The check of a tree: its node count, walked with an explicit stack of references.
    pub fn check_tree(root: &Node) -> u64 {
        let mut stack = vec![root];
        let mut nodes = 0;
        while let Some(node) = stack.pop() {
            nodes += 1;
            stack.extend(node.left.as_deref());
            stack.extend(node.right.as_deref());
        }
        nodes
    }

    /// binary-trees of size `n` over `Rc<Node>`, printing exactly what the heap version
    /// prints; returns the same checksum.
    pub fn binary_trees<W: Write>(n: u32, out: &mut W) -> Result<u64, WorkloadError> {
        super::run_owned(n, out, bottom_up_tree, |tree| check_tree(tree))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rc_version_prints_the_same() {
        let mut out = Vec::new();
        let checksum = rc::binary_trees(10, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), OUTPUT_10);
        assert_eq!(checksum, expected_checksum(10));
        let mut out = Vec::new();
        let checksum = rc_immutable::binary_trees(10, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), OUTPUT_10);
        assert_eq!(checksum, expected_checksum(10));
    }
    use crate::binary_trees::expected_checksum;

    /// The Benchmarks Game's output for n = 10 (from gc-facts.md).
    const OUTPUT_10: &str = "stretch tree of depth 11\t check: 4095\n\
                             1024\t trees of depth 4\t check: 31744\n\
                             256\t trees of depth 6\t check: 32512\n\
                             64\t trees of depth 8\t check: 32704\n\
                             16\t trees of depth 10\t check: 32752\n\
                             long lived tree of depth 10\t check: 2047\n";

    #[test]
    fn n10_output_is_the_benchmarks_games() {
        let mut out = Vec::new();
        let checksum = binary_trees(10, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), OUTPUT_10);
        assert_eq!(checksum, expected_checksum(10));
    }

    #[test]
    fn small_and_odd_sizes() {
        for n in [1, 6, 7] {
            let mut out = Vec::new();
            assert_eq!(binary_trees(n, &mut out).unwrap(), expected_checksum(n));
        }
        let mut out = Vec::new();
        binary_trees(1, &mut out).unwrap();
        assert!(String::from_utf8(out).unwrap().ends_with("long lived tree of depth 6\t check: 127\n"));
        assert!(matches!(binary_trees(0, &mut Vec::new()), Err(WorkloadError::BadSize(_))));
    }
}
