//! `churn`: the pause-time workload — a large live graph that the mutator keeps mutating.
//!
//! A graph of `n` nodes is built, each with [`EDGES`] edges to random earlier nodes and a
//! value, and held in a *table*: a spine object of `⌈n / CHUNK⌉` slots, each referring to a
//! chunk of [`CHUNK`] node slots (chunks stay under the pool space's largest size class, so the
//! table is not one huge object). Then `n` / [`NODES_PER_OP`] operations, drawn by a seeded
//! generator:
//!
//! - 55%: **replace an edge** — a random node's random edge is pointed at another random node
//!   (the old target may become garbage);
//! - 30%: **replace a node** — a new node with random edges takes a random node's place in the
//!   table (the old one lives on while other nodes' edges still reach it);
//! - 10%: **read** — follow a random node's edges two steps, summing values;
//! - 5%: **build a cycle** — a ring of 3 to 8 new nodes hung from a random node's edge; the
//!   ring the edge held before (if any) becomes cyclic garbage.
//!
//! Each operation also makes **short-lived temporaries**, as an operation in a managed
//! language allocates and drops boxed values, iterator states and small strings: between
//! [`TEMPS_MIN`] and [`TEMPS_MAX`] of them (52 on average; the count is drawn from a second
//! generator, so the operations are the same as without them), each a 56-byte object (a
//! node's size class) with one slot referring to the node the operation touched and
//! [`TEMP_BYTES`] bytes whose first word is the operation's number and whose last is the
//! node's value (read back into the checksum). None is rooted or stored in the graph: each is
//! garbage once the next is made. They are most of what is allocated (about 2.9 KB per
//! operation against at most 8 nodes), so allocation is many times the live graph and every
//! tracing backend collects tens of times at the default size, while what a full collection
//! traces stays the graph.
//!
//! The live graph stays near `n` nodes (56 bytes each; replaced nodes that other nodes' edges
//! still reach and hung rings add up to a quarter as many again by the end), so a stop-the-world
//! collector's full collections each trace it all: this is the workload whose pause log
//! matters. The checksum sums every value read by the operations, every temporary's last
//! word, and, at the end, every table node's value and its edges' values: it depends only on
//! the generators, never on addresses.
//!
//! It prints one line, e.g. for n = 10000 (`\t` stands for a tab):
//!
//! ```text
//! graph of 10000 nodes, 5000 operations (2779 edges replaced, 1530 nodes replaced, 234 cycles, 258795 temporaries)\t check: 2067466289
//! ```

use std::io::Write;

use gclab_core::{AllocError, Heap, ObjRef, Tag};

use crate::rng::SplitMix64;
use crate::{Workload, WorkloadError, WorkloadInfo};

/// The tag of a graph node.
pub const NODE_TAG: Tag = Tag(10);

/// The tag of the table's spine.
pub const SPINE_TAG: Tag = Tag(11);

/// The tag of a table chunk.
pub const CHUNK_TAG: Tag = Tag(12);

/// Edges (reference slots) per node.
pub const EDGES: usize = 4;

/// Node slots per table chunk: 1,000 slots make an 8,016-byte object, in the pool space.
pub const CHUNK: usize = 1_000;

/// The tag of a temporary.
pub const TEMP_TAG: Tag = Tag(13);

/// Nodes of the graph per operation: `n / 2` operations. (Fewer operations leave fewer
/// replaced nodes and rings reachable, so the graph each full collection traces stays nearer
/// `n` nodes; the temporaries, not the operations, make the allocation.)
pub const NODES_PER_OP: u64 = 2;

/// The fewest temporaries an operation makes.
pub const TEMPS_MIN: usize = 16;

/// The most temporaries an operation makes.
pub const TEMPS_MAX: usize = 88;

/// Payload bytes of a temporary (with its one slot and the header, a 56-byte object: a node's
/// size class).
pub const TEMP_BYTES: usize = 32;

/// The generator's seed.
const SEED: u64 = 0xc4_0e2b;

/// The seed of the generator of temporaries' counts.
const TEMP_SEED: u64 = 0x5eed_4ec0;

/// The `churn` workload; its size is the number of nodes in the live graph.
#[derive(Clone, Copy, Debug, Default)]
pub struct Churn;

impl Workload for Churn {
    const INFO: WorkloadInfo = WorkloadInfo {
        name: "churn",
        description: "the pause-time workload: a live graph of N nodes mutated N/2 times (edges \
                      and nodes replaced, cycles built and dropped), each operation dropping \
                      dozens of short-lived temporaries",
        size_meaning: "the number of nodes in the live graph",
        default_size: 1_000_000,
        quick_size: 300_000,
        min_size: 1,
        max_size: 10_000_000,
    };

    fn run<H: Heap, W: Write>(heap: &mut H, size: u32, out: &mut W) -> Result<u64, WorkloadError> {
        churn(heap, size, out)
    }
}

/// What the operations did, for the output line.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    edges: u64,
    nodes: u64,
    cycles: u64,
}

/// Runs `churn` on a graph of `n` nodes on `heap`, writing its line to `out`; returns the
/// checksum. The root stack is left as it was found, also on error.
///
/// Fails with [`WorkloadError::Check`] if the table has lost a node at the end.
pub fn churn<H: Heap, W: Write>(heap: &mut H, n: u32, out: &mut W) -> Result<u64, WorkloadError> {
    Churn::INFO.check_size(n)?;
    let base = heap.root_depth();
    let mut graph = Graph::new(base, n);
    let result = graph.run(heap);
    heap.truncate_roots(base);
    let counts = result?;
    let ops = n as u64 / NODES_PER_OP;
    writeln!(
        out,
        "graph of {n} nodes, {ops} operations ({} edges replaced, {} nodes replaced, {} cycles, {} \
         temporaries)\t check: {}",
        counts.edges, counts.nodes, counts.cycles, graph.temps, graph.checksum
    )?;
    Ok(graph.checksum)
}

/// Builds churn's initial graph of `n` nodes (no operations, no temporaries) and leaves it
/// rooted: its spine, then two null scratch roots, are pushed on the root stack. Each node's
/// edges point at random earlier nodes, so a marking of it visits memory in random order,
/// as a collector tracing a long-mutated heap does (the marking benchmarks use it).
///
/// Panics if `n` is outside churn's sizes.
pub fn build_graph<H: Heap>(heap: &mut H, n: u32) -> Result<(), AllocError> {
    Churn::INFO.check_size(n).unwrap_or_else(|e| panic!("{e}"));
    Graph::new(heap.root_depth(), n).build(heap)
}

/// The graph; its spine is at root `spine_at`; `spine_at + 1` and `spine_at + 2` are scratch.
struct Graph {
    spine_at: usize,
    n: usize,
    rng: SplitMix64,
    /// Draws the temporaries' counts (apart, so the operations do not depend on them).
    temp_rng: SplitMix64,
    /// The value the next node gets.
    next_value: u64,
    checksum: u64,
    /// Temporaries made.
    temps: u64,
}

impl Graph {
    /// A graph of `n` nodes whose spine will be root `spine_at`, its generators seeded.
    fn new(spine_at: usize, n: u32) -> Self {
        Graph {
            spine_at,
            n: n as usize,
            rng: SplitMix64::new(SEED),
            temp_rng: SplitMix64::new(TEMP_SEED),
            next_value: 0,
            checksum: 0,
            temps: 0,
        }
    }

    fn run<H: Heap>(&mut self, heap: &mut H) -> Result<Counts, WorkloadError> {
        self.build(heap)?;
        let mut counts = Counts::default();
        for op in 0..self.n as u64 / NODES_PER_OP {
            let touched = match self.rng.below(100) {
                0..55 => {
                    counts.edges += 1;
                    self.replace_edge(heap)
                }
                55..85 => {
                    counts.nodes += 1;
                    self.replace_node(heap)?
                }
                85..95 => self.read(heap),
                _ => {
                    counts.cycles += 1;
                    self.hang_cycle(heap)?
                }
            };
            self.temporaries(heap, op, touched)?;
        }
        self.final_check(heap)?;
        Ok(counts)
    }

    /// Allocates the spine and its chunks, then the nodes, each with edges to earlier ones.
    fn build<H: Heap>(&mut self, heap: &mut H) -> Result<(), AllocError> {
        let chunks = self.n.div_ceil(CHUNK);
        let spine = heap.allocate(SPINE_TAG, chunks, 0)?;
        heap.push_root(Some(spine));
        heap.push_root(None); // scratch: a ring's first node
        heap.push_root(None); // scratch: a ring's newest node
        for c in 0..chunks {
            let chunk = heap.allocate(CHUNK_TAG, CHUNK.min(self.n - c * CHUNK), 0)?;
            let spine = self.spine(heap);
            heap.store(spine, c, Some(chunk));
        }
        for i in 0..self.n {
            let node = self.new_node(heap, i)?;
            self.set_node(heap, i, node);
        }
        Ok(())
    }

    #[inline]
    fn spine<H: Heap>(&self, heap: &H) -> ObjRef {
        heap.root_at(self.spine_at).expect("the spine is rooted")
    }

    /// The node at table index `i`.
    #[inline]
    fn node<H: Heap>(&self, heap: &H, i: usize) -> ObjRef {
        let chunk = heap.load(self.spine(heap), i / CHUNK).expect("every chunk exists");
        heap.load(chunk, i % CHUNK).expect("every table entry holds a node")
    }

    #[inline]
    fn set_node<H: Heap>(&self, heap: &mut H, i: usize, node: ObjRef) {
        let chunk = heap.load(self.spine(heap), i / CHUNK).expect("every chunk exists");
        heap.store(chunk, i % CHUNK, Some(node));
    }

    /// A random table index below `below`.
    #[inline]
    fn pick(&mut self, below: usize) -> usize {
        self.rng.below(below as u64) as usize
    }

    /// Allocates a node with a fresh value and edges to random table nodes below `filled`
    /// (none when `filled` is 0); returns it unrooted (valid until the next allocation).
    fn new_node<H: Heap>(&mut self, heap: &mut H, filled: usize) -> Result<ObjRef, AllocError> {
        let node = heap.allocate(NODE_TAG, EDGES, 8)?;
        heap.data_mut(node).copy_from_slice(&self.next_value.to_le_bytes());
        self.next_value += 1;
        if filled > 0 {
            for edge in 0..EDGES {
                let index = self.pick(filled);
                let target = self.node(heap, index);
                heap.store(node, edge, Some(target));
            }
        }
        Ok(node)
    }

    fn value<H: Heap>(heap: &H, node: ObjRef) -> u64 {
        u64::from_le_bytes(heap.data(node)[..8].try_into().expect("a node has 8 data bytes"))
    }

    /// Returns the table index of the node whose edge was replaced.
    fn replace_edge<H: Heap>(&mut self, heap: &mut H) -> usize {
        let (i, target, edge) = (self.pick(self.n), self.pick(self.n), self.pick(EDGES));
        let (source, target) = (self.node(heap, i), self.node(heap, target));
        heap.store(source, edge, Some(target));
        i
    }

    /// Returns the table index of the node replaced.
    fn replace_node<H: Heap>(&mut self, heap: &mut H) -> Result<usize, AllocError> {
        let i = self.pick(self.n);
        let node = self.new_node(heap, self.n)?;
        self.set_node(heap, i, node);
        Ok(i)
    }

    /// Returns the table index of the node read.
    fn read<H: Heap>(&mut self, heap: &H) -> usize {
        let index = self.pick(self.n);
        let node = self.node(heap, index);
        let mut sum = Self::value(heap, node);
        for edge in 0..EDGES {
            if let Some(next) = heap.load(node, edge) {
                sum += Self::value(heap, next);
                let second = self.pick(EDGES);
                if let Some(next) = heap.load(next, second) {
                    sum += Self::value(heap, next);
                }
            }
        }
        self.checksum = self.checksum.wrapping_add(sum);
        index
    }

    /// The temporaries of operation `op`, which touched table index `touched`: between
    /// [`TEMPS_MIN`] and [`TEMPS_MAX`] of them, each made, filled, read back into the checksum
    /// and dropped (never rooted, never stored in the graph: garbage as soon as the next one
    /// is made).
    fn temporaries<H: Heap>(&mut self, heap: &mut H, op: u64, touched: usize) -> Result<(), AllocError> {
        let count = self.temp_rng.between(TEMPS_MIN as u64, TEMPS_MAX as u64);
        for k in 0..count {
            let temp = heap.allocate(TEMP_TAG, 1, TEMP_BYTES)?;
            // The node is read after the allocation (which may have moved it).
            let node = self.node(heap, touched);
            heap.store(temp, 0, Some(node));
            let value = Self::value(heap, node) ^ k;
            let payload = heap.data_mut(temp);
            payload[..8].copy_from_slice(&op.to_le_bytes());
            payload[TEMP_BYTES - 8..].copy_from_slice(&value.to_le_bytes());
            let last = u64::from_le_bytes(heap.data(temp)[TEMP_BYTES - 8..].try_into().expect("8 bytes"));
            self.checksum = self.checksum.wrapping_add(last);
        }
        self.temps += count;
        Ok(())
    }

    /// Builds a ring of 3 to 8 new nodes (their other edges pointing into the table) and hangs
    /// it from a random table node's first edge; the ring that edge held before, if any,
    /// becomes cyclic garbage.
    /// Returns the table index of the ring's host.
    fn hang_cycle<H: Heap>(&mut self, heap: &mut H) -> Result<usize, AllocError> {
        // The ring's first node and its newest node wait on the two scratch roots.
        let (first_at, newest_at) = (self.spine_at + 1, self.spine_at + 2);
        let len = self.rng.between(3, 8);
        let first = self.new_node(heap, self.n)?;
        heap.set_root(first_at, Some(first));
        heap.set_root(newest_at, Some(first));
        for _ in 1..len {
            let node = self.new_node(heap, self.n)?;
            // The previous node may have moved during the allocation: read it back.
            let previous = heap.root_at(newest_at).expect("the ring is rooted");
            heap.store(previous, 0, Some(node));
            heap.set_root(newest_at, Some(node));
        }
        let first = heap.root_at(first_at).expect("the ring is rooted");
        let newest = heap.root_at(newest_at).expect("the ring is rooted");
        heap.store(newest, 0, Some(first));
        let index = self.pick(self.n);
        let host = self.node(heap, index);
        heap.store(host, 0, Some(first));
        heap.set_root(first_at, None);
        heap.set_root(newest_at, None);
        Ok(index)
    }

    /// Checks that every table entry holds a node, and adds the table to the checksum.
    fn final_check<H: Heap>(&mut self, heap: &H) -> Result<(), WorkloadError> {
        let spine = self.spine(heap);
        let mut sum = 0u64;
        for i in 0..self.n {
            let chunk = heap.load(spine, i / CHUNK);
            let Some(node) = chunk.and_then(|chunk| heap.load(chunk, i % CHUNK)) else {
                return Err(WorkloadError::Check {
                    workload: Churn::INFO.name,
                    message: format!("table entry {i} of {} lost its node", self.n),
                });
            };
            sum = sum.wrapping_add(Self::value(heap, node));
            for edge in 0..EDGES {
                if let Some(target) = heap.load(node, edge) {
                    sum = sum.wrapping_add(Self::value(heap, target));
                }
            }
        }
        self.checksum = self.checksum.wrapping_add(sum);
        Ok(())
    }
}
