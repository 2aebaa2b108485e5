//! Transitive marking with an explicit work list, and the prefetch window the marking loops
//! share.

use gclab_core::{ObjectMemory, SideBitmap};

/// Objects a marking loop holds between prefetching an object and scanning it.
///
/// A depth-first mark pops the child it pushed last and reads its header at once: on a graph
/// laid out in random order every pop is a cache miss the processor waits for, one at a
/// time. Passing each popped object through this FIFO window after prefetching it puts
/// [`PrefetchWindow::DEPTH`] objects in flight, so the miss of each is paid while the ones
/// before it are scanned (Cher, Hosking and Moss, "A Locality Model for Mark-Sweep
/// Garbage Collection", ISMM 2004: *buffered prefetch*). The order of the scan changes a
/// little (a window's worth of breadth); what is marked does not.
#[derive(Debug)]
pub struct PrefetchWindow {
    /// A ring of granules, [`EMPTY`] where none (64-bit, so that no granule can be taken
    /// for it); `next` is where the next entry goes, which is also where the oldest one is
    /// once the ring is full.
    ring: [u64; Self::DEPTH],
    next: usize,
}

/// A free place in the window's ring.
const EMPTY: u64 = u64::MAX;

impl PrefetchWindow {
    /// Objects in flight. On the marking bench's random graph (`cargo bench --bench
    /// marking`), mark-sweep's full collection took 30.8 ms with 8 and 23.3 ms with 16; the
    /// concurrent markers (whose `fetch_or` per mark orders their loads) 40.1 and 41.3 ms;
    /// the tree, in address order, the same within the noise.
    pub const DEPTH: usize = 16;

    /// An empty window.
    pub const fn new() -> Self {
        PrefetchWindow { ring: [EMPTY; Self::DEPTH], next: 0 }
    }

    /// Adds `granule` (which the caller has just prefetched) and returns the entry it
    /// displaces, if any: the oldest while the window is full, as it is all the time but at
    /// the start and the end of a mark (after a [`pop`](Self::pop), the order is a window's
    /// width looser, never lossy: every entry comes out exactly once). Branch-free but for
    /// the caller's test of the result.
    #[inline(always)]
    pub fn push(&mut self, granule: u32) -> Option<u32> {
        let oldest = std::mem::replace(&mut self.ring[self.next], u64::from(granule));
        self.next = (self.next + 1) % Self::DEPTH;
        (oldest != EMPTY).then_some(oldest as u32)
    }

    /// The next object a marking loop scans: the top of `work` goes into the window (after
    /// `prefetch` is called with it) and the window's oldest entry comes out once it is full;
    /// with `work` empty, the window drains. `None` when both are empty. Every marking loop
    /// pops its work list through this.
    #[inline(always)]
    pub fn next_from(&mut self, work: &mut Vec<u32>, prefetch: impl Fn(u32)) -> Option<u32> {
        while let Some(granule) = work.pop() {
            prefetch(granule);
            if let Some(oldest) = self.push(granule) {
                return Some(oldest);
            }
        }
        self.pop()
    }

    /// Takes the oldest entry (when the work list is empty).
    #[inline]
    pub fn pop(&mut self) -> Option<u32> {
        for _ in 0..Self::DEPTH {
            let entry = std::mem::replace(&mut self.ring[self.next], EMPTY);
            self.next = (self.next + 1) % Self::DEPTH;
            if entry != EMPTY {
                return Some(entry as u32);
            }
        }
        None
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.ring.iter().all(|&entry| entry == EMPTY)
    }

    /// Takes every entry, oldest first.
    pub fn drain(&mut self) -> impl Iterator<Item = u32> + '_ {
        std::iter::from_fn(move || self.pop())
    }
}

impl Default for PrefetchWindow {
    fn default() -> Self {
        Self::new()
    }
}

/// Marks everything reachable from the objects on `work` (whose own mark bits the caller has
/// already set) and returns how many objects were scanned. `work` is empty afterwards.
///
/// The loop never recurses: the work list holds granules of marked, unscanned objects, so
/// its depth is bounded by the objects, not by the native stack. Each object popped passes
/// through a [`PrefetchWindow`] before it is scanned.
///
/// `marks` must cover every granule of `memory` (it is checked once, here, so that the loop
/// tests and sets mark bits without a bounds check per slot).
///
/// # Safety
/// Every granule on `work`, and every non-null reference in the slots of every object
/// reachable from them, must be the start of an allocated object of `memory`.
pub unsafe fn mark_transitive(memory: &ObjectMemory, marks: &SideBitmap, work: &mut Vec<u32>) -> usize {
    assert!(
        marks.len() >= memory.valid_bits().len(),
        "the mark bitmap ({} bits) must cover the memory's {} granules",
        marks.len(),
        memory.valid_bits().len()
    );
    let mut scanned = 0;
    let mut window = PrefetchWindow::new();
    while let Some(granule) = window.next_from(work, |g| memory.prefetch(g as usize)) {
        scanned += 1;
        // SAFETY: the caller guarantees that work-list granules are object starts.
        let object = unsafe { memory.object(granule as usize) };
        for i in 0..object.slot_count() {
            // SAFETY: `i` is below the slot count.
            let bits = unsafe { object.slot_unchecked(i) }.bits();
            // The low 32 bits of a reference are its granule; 0 is the null reference.
            // SAFETY: a non-null slot refers to an object of `memory` (the caller's
            // contract), whose granule is below the valid bits' length, which `marks` covers
            // (checked on entry).
            if bits != 0 && !unsafe { marks.test_and_set_unchecked(bits as u32 as usize) } {
                work.push(bits as u32);
            }
        }
    }
    scanned
}

#[cfg(test)]
mod tests {
    use super::PrefetchWindow;

    #[test]
    fn the_window_hands_entries_back_oldest_first_once_full() {
        let mut window = PrefetchWindow::new();
        assert!(window.is_empty());
        for g in 0..PrefetchWindow::DEPTH as u32 {
            assert_eq!(window.push(g), None, "not full yet at {g}");
        }
        // Full: each push displaces the oldest.
        assert_eq!(window.push(100), Some(0));
        assert_eq!(window.push(101), Some(1));
        // Granule 0 and the largest granule are entries like any other.
        assert_eq!(window.push(u32::MAX), Some(2));
        let rest: Vec<u32> = window.drain().collect();
        let mut expected: Vec<u32> = (3..PrefetchWindow::DEPTH as u32).collect();
        expected.extend([100, 101, u32::MAX]);
        assert_eq!(rest, expected);
        assert!(window.is_empty());
        assert_eq!(window.pop(), None);
    }

    #[test]
    fn every_entry_comes_out_exactly_once_whatever_the_order_of_calls() {
        // A marking loop's correctness rests on this (the order is only a matter of speed).
        let mut window = PrefetchWindow::new();
        let mut out = Vec::new();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for g in 0..10_000u32 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            if state % 3 == 0 {
                out.extend(window.pop());
            }
            out.extend(window.push(g));
        }
        out.extend(window.drain());
        out.sort_unstable();
        assert_eq!(out, (0..10_000).collect::<Vec<u32>>());
    }
}
