//! `large`: arrays of 10,000 to 1,000,000 slots mixed with small objects — the large-object
//! space's workload.
//!
//! `n` arrays are allocated one after another, their lengths drawn log-uniformly from
//! [`MIN_SLOTS`]..=[`MAX_SLOTS`] (80 KB to 8 MB each) by a seeded generator. Every
//! [`STRIDE`]th slot of an array gets a small *element* (1 slot, 8 to 64 data bytes) whose
//! slot points back at the array, so each array with its elements is a cycle. The last
//! [`WINDOW`] arrays are kept on the root stack; older ones become garbage as new ones enter.
//! Between arrays, a burst of short-lived small objects is allocated and dropped.
//!
//! Before an array is dropped its elements are walked and checked (each element's number,
//! its back-reference to the array). The checksum is the sum of the array lengths and of the
//! numbers of every element walked, the same on every backend.
//!
//! It prints one line, e.g. for n = 20 (`\t` stands for a tab):
//!
//! ```text
//! 20 arrays of 10000 to 1000000 slots (4537493 slots in all), 4546 elements\t check: 14868278
//! ```

use std::io::Write;

use gclab_core::{AllocError, Heap, ObjRef, Tag};

use crate::rng::SplitMix64;
use crate::{Workload, WorkloadError, WorkloadInfo};

/// The tag of an array.
pub const ARRAY_TAG: Tag = Tag(7);

/// The tag of an element.
pub const ELEMENT_TAG: Tag = Tag(8);

/// The tag of a short-lived small object.
pub const TEMP_TAG: Tag = Tag(9);

/// The fewest slots an array has.
pub const MIN_SLOTS: u64 = 10_000;

/// The most slots an array has.
pub const MAX_SLOTS: u64 = 1_000_000;

/// One slot in `STRIDE` holds an element.
pub const STRIDE: usize = 1_000;

/// Arrays kept alive at once.
pub const WINDOW: usize = 4;

/// Short-lived small objects allocated between two arrays.
pub const TEMPS_PER_ARRAY: u64 = 2_000;

/// The generator's seed.
const SEED: u64 = 0x1a29e;

/// The `large` workload; its size is the number of arrays.
#[derive(Clone, Copy, Debug, Default)]
pub struct Large;

impl Workload for Large {
    const INFO: WorkloadInfo = WorkloadInfo {
        name: "large",
        description: "arrays of 10,000 to 1,000,000 slots (the large-object space), each with small \
                      elements pointing back at it, 4 alive at a time, amid small garbage",
        size_meaning: "the number of arrays",
        default_size: 1_500,
        quick_size: 400,
        min_size: 1,
        max_size: 1_000_000,
    };

    fn run<H: Heap, W: Write>(heap: &mut H, size: u32, out: &mut W) -> Result<u64, WorkloadError> {
        large(heap, size, out)
    }
}

/// The length of the next array: log-uniform in `MIN_SLOTS..=MAX_SLOTS`.
fn array_slots(rng: &mut SplitMix64) -> usize {
    let (lo, hi) = ((MIN_SLOTS as f64).ln(), (MAX_SLOTS as f64).ln());
    let unit = rng.next_u64() as f64 / u64::MAX as f64;
    ((lo + unit * (hi - lo)).exp().round() as u64).clamp(MIN_SLOTS, MAX_SLOTS) as usize
}

/// Runs `large` with `n` arrays on `heap`, writing its line to `out`; returns the checksum.
/// The root stack is left as it was found, also on error.
///
/// Fails with [`WorkloadError::Check`] if an array's elements are not as they were made.
pub fn large<H: Heap, W: Write>(heap: &mut H, n: u32, out: &mut W) -> Result<u64, WorkloadError> {
    Large::INFO.check_size(n)?;
    let base = heap.root_depth();
    for _ in 0..WINDOW {
        heap.push_root(None);
    }
    let mut state = State { base, rng: SplitMix64::new(SEED), elements: 0, slots: 0, checksum: 0 };
    let result = state.run(heap, n);
    heap.truncate_roots(base);
    result?;
    writeln!(
        out,
        "{n} arrays of {MIN_SLOTS} to {MAX_SLOTS} slots ({} slots in all), {} elements\t check: {}",
        state.slots, state.elements, state.checksum
    )?;
    Ok(state.checksum)
}

/// The workload's state; the window of arrays is at roots `base..base + WINDOW`.
struct State {
    base: usize,
    rng: SplitMix64,
    /// Elements made so far (the next element's number).
    elements: u64,
    /// Array slots allocated so far.
    slots: u64,
    checksum: u64,
}

impl State {
    fn run<H: Heap>(&mut self, heap: &mut H, n: u32) -> Result<(), WorkloadError> {
        for i in 0..n as usize {
            let at = self.base + i % WINDOW;
            // Check the array leaving the window, then let it go.
            if let Some(old) = heap.root_at(at) {
                self.check_array(heap, old)?;
                heap.set_root(at, None);
            }
            self.make_array(heap, at)?;
            self.temporaries(heap)?;
        }
        for i in 0..WINDOW {
            if let Some(array) = heap.root_at(self.base + i) {
                self.check_array(heap, array)?;
            }
        }
        Ok(())
    }

    /// Makes an array at root `at` and its elements.
    fn make_array<H: Heap>(&mut self, heap: &mut H, at: usize) -> Result<(), AllocError> {
        let slots = array_slots(&mut self.rng);
        let array = heap.allocate(ARRAY_TAG, slots, 8)?;
        heap.data_mut(array).copy_from_slice(&(slots as u64).to_le_bytes());
        heap.set_root(at, Some(array));
        self.slots += slots as u64;
        for index in (0..slots).step_by(STRIDE) {
            let number = self.elements;
            let bytes = 8 * self.rng.between(1, 8) as usize;
            let element = heap.allocate(ELEMENT_TAG, 1, bytes)?;
            heap.data_mut(element)[..8].copy_from_slice(&number.to_le_bytes());
            // The array may have moved during the allocation: read it back from its root.
            let array = heap.root_at(at).expect("the array is rooted");
            heap.store(array, index, Some(element));
            heap.store(element, 0, Some(array));
            self.elements += 1;
        }
        Ok(())
    }

    /// Walks an array's elements, checking each, and adds them to the checksum.
    fn check_array<H: Heap>(&mut self, heap: &H, array: ObjRef) -> Result<(), WorkloadError> {
        // Read through `Live` views: the array is validated once, its elements not at all.
        let array = heap.live(array);
        let slots = array.slot_count();
        let recorded = u64::from_le_bytes(array.data()[..8].try_into().expect("8 bytes"));
        let mut sum = slots as u64;
        let mut bad = recorded != slots as u64;
        for index in 0..slots {
            let element = array.load(index);
            match (index % STRIDE == 0, element) {
                (true, Some(element)) => {
                    bad |= element.load(0) != Some(array);
                    sum += u64::from_le_bytes(element.data()[..8].try_into().expect("8 bytes"));
                }
                (false, None) => {}
                _ => bad = true,
            }
        }
        if bad {
            return Err(WorkloadError::Check {
                workload: Large::INFO.name,
                message: format!("an array of {slots} slots does not hold the elements it was given"),
            });
        }
        self.checksum = self.checksum.wrapping_add(sum);
        Ok(())
    }

    /// A burst of short-lived small objects, each dropped at once, the odd one kept briefly.
    fn temporaries<H: Heap>(&mut self, heap: &mut H) -> Result<(), AllocError> {
        let depth = heap.root_depth();
        heap.push_root(None);
        for i in 0..TEMPS_PER_ARRAY {
            let bytes = 8 * self.rng.between(0, 6) as usize;
            let temp = heap.allocate(TEMP_TAG, 1, bytes)?;
            if i % 16 == 0 {
                // Chain a few together, so some small objects outlive their allocation.
                let previous = heap.root_at(depth);
                heap.store(temp, 0, previous);
                heap.set_root(depth, Some(temp));
            }
        }
        heap.truncate_roots(depth);
        Ok(())
    }
}
