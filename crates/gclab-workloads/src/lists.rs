//! `lists`: a long-lived FIFO queue with steady churn — the classic case against naive
//! generational assumptions.
//!
//! A queue of `n` items is built as a singly linked list (head and tail on the root stack),
//! then [`PASSES`] × `n` times the oldest item is taken off the head and a new one is appended
//! at the tail, and finally the queue is drained. Every object lives for exactly `n`
//! operations and then dies, oldest first: the weak generational hypothesis ("most objects die
//! young") fails, since an object that survives its first collection is as likely to die as
//! one that did not, and every append stores a young node into the old tail (a remembered-set
//! entry per operation for a generational collector).
//!
//! A queue node has 2 slots (next node, item) and no data; an item has no slots and 8 to 56
//! data bytes: its sequence number (8 bytes, little-endian) then a fill pattern derived from
//! it. Items are numbered 0, 1, 2, … as they enter; each one taken off is checked (it must be
//! the next number, with its pattern intact), so the queue's order and contents are verified.
//! The checksum is the sum of the numbers and data lengths of every item taken off.
//!
//! It prints one line, e.g. for n = 1000 (`\t` stands for a tab):
//!
//! ```text
//! queue of 1000 items, 20000 replaced, 21000 dequeued in order\t check: 221161500
//! ```

use std::io::Write;

use gclab_core::{AllocError, Heap, Tag};

use crate::{Workload, WorkloadError, WorkloadInfo};

/// The tag of a queue node.
pub const NODE_TAG: Tag = Tag(5);

/// The tag of an item.
pub const ITEM_TAG: Tag = Tag(6);

/// The slot of a node's successor (toward the tail).
pub const NEXT: usize = 0;

/// The slot of a node's item.
pub const ITEM: usize = 1;

/// Churn operations, as a multiple of the queue length.
pub const PASSES: u64 = 20;

/// The `lists` workload; its size is the queue length.
#[derive(Clone, Copy, Debug, Default)]
pub struct Lists;

impl Workload for Lists {
    const INFO: WorkloadInfo = WorkloadInfo {
        name: "lists",
        description: "a long-lived FIFO queue with steady churn: every object lives the same \
                      time and the oldest die first (against the generational hypothesis)",
        size_meaning: "the queue length; 20 times as many items pass through it",
        default_size: 1_000_000,
        quick_size: 250_000,
        min_size: 1,
        max_size: 20_000_000,
    };

    fn run<H: Heap, W: Write>(heap: &mut H, size: u32, out: &mut W) -> Result<u64, WorkloadError> {
        lists(heap, size, out)
    }
}

/// The data length of item number `seq`: 8 to 56 bytes.
pub fn item_len(seq: u64) -> usize {
    8 + 8 * (seq % 7) as usize
}

/// The fill byte at `index` of item number `seq`.
fn pattern(seq: u64, index: usize) -> u8 {
    (seq as u8).wrapping_mul(31).wrapping_add(index as u8)
}

/// The checksum of `lists` with a queue of `n`, worked out without running it.
///
/// ```
/// // n = 1: 21 items, numbered 0..21, of lengths 8 + 8 × (i mod 7).
/// let lengths: u64 = (0..21).map(|i| 8 + 8 * (i % 7)).sum();
/// assert_eq!(gclab_workloads::lists::expected_checksum(1), 210 + lengths);
/// ```
pub fn expected_checksum(n: u32) -> u64 {
    let items = n as u64 * (PASSES + 1);
    let numbers = items * items.saturating_sub(1) / 2;
    let lengths: u64 = (0..items.min(7)).map(|i| item_len(i) as u64 * items.saturating_sub(i).div_ceil(7)).sum();
    numbers + lengths
}

/// Runs `lists` with a queue of `n` on `heap`, writing its line to `out`; returns the checksum
/// (see [`expected_checksum`]). The root stack is left as it was found, also on error.
///
/// Fails with [`WorkloadError::Check`] if an item comes off out of order or damaged.
pub fn lists<H: Heap, W: Write>(heap: &mut H, n: u32, out: &mut W) -> Result<u64, WorkloadError> {
    Lists::INFO.check_size(n)?;
    let base = heap.root_depth();
    heap.push_root(None); // head
    heap.push_root(None); // tail
    let mut queue = Queue { base, entered: 0, left: 0, checksum: 0 };
    let result = queue.run(heap, n as u64);
    heap.truncate_roots(base);
    result?;
    let replaced = n as u64 * PASSES;
    writeln!(
        out,
        "queue of {n} items, {replaced} replaced, {} dequeued in order\t check: {}",
        queue.left, queue.checksum
    )?;
    Ok(queue.checksum)
}

/// The queue's bookkeeping; the head node is at root `base`, the tail at `base + 1`.
struct Queue {
    base: usize,
    /// Items appended so far (the next item's number).
    entered: u64,
    /// Items taken off so far (the number the next one must have).
    left: u64,
    checksum: u64,
}

impl Queue {
    fn run<H: Heap>(&mut self, heap: &mut H, n: u64) -> Result<(), WorkloadError> {
        for _ in 0..n {
            self.append(heap)?;
        }
        for _ in 0..n * PASSES {
            self.take(heap)?;
            self.append(heap)?;
        }
        for _ in 0..n {
            self.take(heap)?;
        }
        Ok(())
    }

    /// Appends item number `entered` at the tail.
    fn append<H: Heap>(&mut self, heap: &mut H) -> Result<(), AllocError> {
        let (head_at, tail_at) = (self.base, self.base + 1);
        let node = heap.allocate(NODE_TAG, 2, 0)?;
        match heap.root_at(tail_at) {
            Some(tail) => heap.store(tail, NEXT, Some(node)),
            None => heap.set_root(head_at, Some(node)),
        }
        heap.set_root(tail_at, Some(node));
        let seq = self.entered;
        let item = heap.allocate(ITEM_TAG, 0, item_len(seq))?;
        let data = heap.data_mut(item);
        data[..8].copy_from_slice(&seq.to_le_bytes());
        for (i, byte) in data.iter_mut().enumerate().skip(8) {
            *byte = pattern(seq, i);
        }
        // The node may have moved during the item's allocation: read it back from its root.
        let node = heap.root_at(tail_at).expect("the tail is rooted");
        heap.store(node, ITEM, Some(item));
        self.entered += 1;
        Ok(())
    }

    /// Takes the item at the head off and checks it.
    fn take<H: Heap>(&mut self, heap: &mut H) -> Result<(), WorkloadError> {
        let (head_at, tail_at) = (self.base, self.base + 1);
        let head = heap.root_at(head_at).expect("the queue is not empty");
        let item = heap.load(head, ITEM).expect("every node has an item");
        let data = heap.data(item);
        let seq = u64::from_le_bytes(data[..8].try_into().expect("8 bytes"));
        let intact = data.len() == item_len(seq) && data.iter().enumerate().skip(8).all(|(i, &b)| b == pattern(seq, i));
        if seq != self.left || !intact {
            return Err(WorkloadError::Check {
                workload: Lists::INFO.name,
                message: format!("item {} came off the queue as number {seq} (intact: {intact})", self.left),
            });
        }
        self.checksum += seq + data.len() as u64;
        let next = heap.load(head, NEXT);
        heap.set_root(head_at, next);
        if next.is_none() {
            heap.set_root(tail_at, None);
        }
        self.left += 1;
        Ok(())
    }
}
