//! `cycles`: CPython's own test of cycle collection, pyperformance's `gc_collect` made to run
//! for a while.
//!
//! Rings of [`RING_LEN`] (21) nodes are built [`BATCH`] (100) at a time, each ring rooted by
//! its head; every ring is walked once (the check), then the whole batch is dropped at once.
//! Every object the workload makes is therefore *cyclic* garbage: reference counting alone
//! frees none of it, and a tracing collector finds it all dead. After the last batch the
//! workload runs a full collection and checks that every ring was reclaimed: the heap's live
//! objects must be no more than before the workload started. (A heap that does not collect at
//! all, such as `nogc`, runs no collection when asked; the check is skipped there.)
//!
//! A node has one reference slot (the next node) and 8 data bytes (its value, little-endian):
//! the nodes of the whole run are numbered 0, 1, 2, … in allocation order, so the checksum —
//! the number of nodes walked plus the sum of their values — is [`expected_checksum`] on every
//! backend.
//!
//! It prints one line, e.g. for n = 100 (`\t` stands for a tab):
//!
//! ```text
//! 100 rings of 21 nodes built and dropped\t check: 2206050
//! ```

use std::io::Write;

use gclab_core::{AllocError, CollectionKind, Heap, ObjRef, Tag};

use crate::{Workload, WorkloadError, WorkloadInfo};

/// Nodes per ring (pyperformance's `gc_collect` uses 21).
pub const RING_LEN: usize = 21;

/// Rings built before a batch is dropped (pyperformance's `gc_collect` makes 100).
pub const BATCH: u32 = 100;

/// The tag of every ring node.
pub const RING_TAG: Tag = Tag(2);

/// The slot of a node's successor in its ring.
pub const NEXT: usize = 0;

/// The `cycles` workload; its size is the number of rings.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cycles;

impl Workload for Cycles {
    const INFO: WorkloadInfo = WorkloadInfo {
        name: "cycles",
        description: "CPython's cycle-collection test: rings of 21 nodes built 100 at a time and \
                      dropped, all garbage cyclic; checks that every ring is reclaimed",
        size_meaning: "the number of rings",
        default_size: 2_000_000,
        quick_size: 500_000,
        min_size: 1,
        max_size: 100_000_000,
    };

    fn run<H: Heap, W: Write>(heap: &mut H, size: u32, out: &mut W) -> Result<u64, WorkloadError> {
        cycles(heap, size, out)
    }
}

/// Runs `cycles` with `n` rings on `heap`, writing its line to `out`; returns the checksum
/// (see [`expected_checksum`]). The root stack is left as it was found, also on error.
///
/// Fails with [`WorkloadError::Check`] if a collection ran and rings survived it.
pub fn cycles<H: Heap, W: Write>(heap: &mut H, n: u32, out: &mut W) -> Result<u64, WorkloadError> {
    Cycles::INFO.check_size(n)?;
    let base = heap.root_depth();
    let live_at_start = heap.live_objects();
    let result = build_and_drop(heap, n, base);
    heap.truncate_roots(base);
    let checksum = result?;
    check_reclaimed(heap, live_at_start)?;
    writeln!(out, "{n} rings of {RING_LEN} nodes built and dropped\t check: {checksum}")?;
    Ok(checksum)
}

/// Builds `n` rings in batches, checking and dropping each batch; returns the checksum.
fn build_and_drop<H: Heap>(heap: &mut H, n: u32, base: usize) -> Result<u64, WorkloadError> {
    let mut value = 0u64;
    let mut checksum = 0u64;
    let mut left = n;
    while left > 0 {
        let batch = left.min(BATCH);
        for _ in 0..batch {
            build_ring(heap, RING_LEN, value)?;
            value += RING_LEN as u64;
        }
        for i in 0..batch as usize {
            let head = heap.root_at(base + i).expect("a ring head is rooted");
            let (nodes, sum) = ring_check(heap, head);
            if nodes != RING_LEN as u64 {
                return Err(WorkloadError::Check {
                    workload: Cycles::INFO.name,
                    message: format!("a ring has {nodes} nodes instead of {RING_LEN}"),
                });
            }
            checksum = checksum.wrapping_add(nodes).wrapping_add(sum);
        }
        // The whole batch becomes cyclic garbage at once.
        heap.truncate_roots(base);
        left -= batch;
    }
    Ok(checksum)
}

/// Runs a full collection and checks that no more objects are live than at the start.
fn check_reclaimed<H: Heap>(heap: &mut H, live_at_start: usize) -> Result<(), WorkloadError> {
    let collections = |heap: &H| heap.stats().minor_collections + heap.stats().full_collections;
    let before = collections(heap);
    heap.collect(CollectionKind::Full);
    if collections(heap) == before {
        // The heap does not collect (nogc): there is nothing to check.
        return Ok(());
    }
    let live = heap.live_objects();
    if live > live_at_start {
        return Err(WorkloadError::Check {
            workload: Cycles::INFO.name,
            message: format!(
                "{} objects of dropped rings survived a full collection ({live} live, {live_at_start} before)",
                live - live_at_start
            ),
        });
    }
    Ok(())
}

/// Builds a ring of `len` nodes (`len ≥ 1`) valued `first_value`, `first_value + 1`, … in
/// order, and pushes its head on the root stack (one more entry on return). Each node's
/// [`NEXT`] slot refers to the following node, the last node's to the head. On error the root
/// stack is restored.
pub fn build_ring<H: Heap>(heap: &mut H, len: usize, first_value: u64) -> Result<(), AllocError> {
    let base = heap.root_depth();
    let result = build_ring_rooted(heap, len, first_value, base);
    match result {
        Ok(()) => {
            // Drop the tail's entry, keeping the head's.
            heap.truncate_roots(base + 1);
            Ok(())
        }
        Err(e) => {
            heap.truncate_roots(base);
            Err(e)
        }
    }
}

/// Leaves the head at `base` and the tail at `base + 1`.
fn build_ring_rooted<H: Heap>(heap: &mut H, len: usize, first_value: u64, base: usize) -> Result<(), AllocError> {
    let head = new_node(heap, first_value)?;
    heap.push_root(Some(head));
    heap.push_root(Some(head));
    for i in 1..len as u64 {
        let node = new_node(heap, first_value + i)?;
        // The tail may have moved during the allocation: read it back from its root.
        let tail = heap.root_at(base + 1).expect("the tail is rooted");
        heap.store(tail, NEXT, Some(node));
        heap.set_root(base + 1, Some(node));
    }
    let head = heap.root_at(base).expect("the head is rooted");
    let tail = heap.root_at(base + 1).expect("the tail is rooted");
    heap.store(tail, NEXT, Some(head));
    Ok(())
}

/// Allocates a ring node holding `value`, unrooted.
fn new_node<H: Heap>(heap: &mut H, value: u64) -> Result<ObjRef, AllocError> {
    let node = heap.allocate(RING_TAG, 1, 8)?;
    heap.data_mut(node).copy_from_slice(&value.to_le_bytes());
    Ok(node)
}

/// The value a ring node holds.
pub fn node_value<H: Heap>(heap: &H, node: ObjRef) -> u64 {
    let data = heap.data(node);
    u64::from_le_bytes(data[..8].try_into().expect("a ring node has 8 data bytes"))
}

/// Walks the ring from `head` back to it (allocating nothing); returns the nodes seen and the
/// sum of their values. A broken ring (a null [`NEXT`]) ends the walk early, and a walk that
/// does not return to `head` stops after `RING_LEN × 1000` nodes, so a damaged ring shows as a
/// wrong count rather than a hang.
///
/// The walk reads through [`Live`](gclab_core::Live) views: `head` is validated once, and the nodes reached from
/// it need no validation while the heap is borrowed.
pub fn ring_check<H: Heap>(heap: &H, head: ObjRef) -> (u64, u64) {
    let (mut nodes, mut sum) = (0u64, 0u64);
    let head = heap.live(head);
    let mut node = Some(head);
    while let Some(current) = node {
        nodes += 1;
        let value = u64::from_le_bytes(current.data()[..8].try_into().expect("a ring node has 8 data bytes"));
        sum = sum.wrapping_add(value);
        node = current.load(NEXT).filter(|&next| next != head);
        if nodes > RING_LEN as u64 * 1000 {
            break;
        }
    }
    (nodes, sum)
}

/// The checksum of `cycles` with `n` rings: `N + N(N-1)/2` for `N = 21n` nodes valued
/// `0..N`.
///
/// ```
/// assert_eq!(gclab_workloads::cycles::expected_checksum(100), 2_100 + 2_100 * 2_099 / 2);
/// ```
pub fn expected_checksum(n: u32) -> u64 {
    let nodes = n as u64 * RING_LEN as u64;
    nodes.wrapping_add((nodes as u128 * nodes.saturating_sub(1) as u128 / 2) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_arithmetic() {
        assert_eq!(expected_checksum(1), 21 + 210);
        assert_eq!(expected_checksum(0), 0);
    }
}
