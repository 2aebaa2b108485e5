//! Transitive marking with an explicit work list and a prefetch window.

use gclab_core::{ObjectMemory, SideBitmap};

/// How many objects are prefetched ahead of the one being scanned.
const WINDOW: usize = 8;

#[inline(always)]
fn prefetch(addr: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(addr.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = addr;
}

/// Marks everything reachable from the objects on `work` (whose own mark bits the caller has
/// already set) and returns how many objects were scanned. `work` is empty afterwards.
///
/// The loop never recurses: the work list holds granules of marked, unscanned objects. Each
/// object leaves the list through a small FIFO window and is prefetched as it enters it, so
/// the cache miss on its header overlaps the scanning of the objects ahead of it — on large
/// heaps most marking time is those misses.
///
/// # Safety
/// Every granule on `work`, and every non-null reference in the slots of every object
/// reachable from them, must be the start of an allocated object of `memory`.
pub unsafe fn mark_transitive(memory: &ObjectMemory, marks: &SideBitmap, work: &mut Vec<u32>) -> usize {
    let mut window = [0u32; WINDOW];
    let (mut head, mut len) = (0usize, 0usize);
    let mut scanned = 0;
    loop {
        while len < WINDOW {
            let Some(granule) = work.pop() else { break };
            prefetch(memory.addr_of(granule as usize));
            window[(head + len) % WINDOW] = granule;
            len += 1;
        }
        if len == 0 {
            return scanned;
        }
        let granule = window[head];
        head = (head + 1) % WINDOW;
        len -= 1;
        scanned += 1;
        // SAFETY: the caller guarantees that work-list granules are object starts.
        let object = unsafe { memory.object(granule as usize) };
        for i in 0..object.slot_count() {
            // SAFETY: `i` is below the slot count.
            let bits = unsafe { object.slot_unchecked(i) }.bits();
            // The low 32 bits of a reference are its granule; 0 is the null reference.
            if bits != 0 && !marks.test_and_set(bits as u32 as usize) {
                work.push(bits as u32);
            }
        }
    }
}
