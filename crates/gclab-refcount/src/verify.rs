//! The refcount backend's invariants.

use std::collections::HashMap;

use gclab_core::{ensure, Heap, VerifyError};

use crate::heap::{COUNT_MASK, IMMORTAL, TRACKED};
use crate::RefcountHeap;

/// Checks the spaces, then that every object's count equals the references to it (slots,
/// root stack, handles, popped values not yet settled), that only the newest object may have
/// a zero count, that every object holding a reference that could lead into a cycle is on a
/// generation list where its side entry says (untracked: only immutable objects whose
/// referents are slotless or untracked immutable ones), and that the lists count right.
pub(crate) fn verify(heap: &RefcountHeap) -> Result<(), VerifyError> {
    heap.pools.verify(&heap.memory)?;
    heap.large.verify(&heap.memory)?;
    let mut expected: HashMap<u32, u64> = HashMap::new();
    let mut objects = Vec::new();
    heap.pools.for_each_object(&heap.memory, |g| objects.push(g));
    heap.large.for_each_object(|g| objects.push(g));
    ensure!(objects.len() == heap.live_objects(), "{} objects found, {} counted", objects.len(), heap.live_objects());
    for &g in &objects {
        // SAFETY: the spaces report granules whose valid bit is set.
        let object = unsafe { heap.memory.object(g) };
        let mut bad = None;
        object.for_each_ref(|r| match heap.memory.resolve(r) {
            Ok(_) => *expected.entry(r.granule()).or_default() += 1,
            Err(e) => bad = Some(e),
        });
        ensure!(bad.is_none(), "object at granule {g:#x} holds a bad reference: {}", bad.expect("checked"));
    }
    let mut bad_root = None;
    let mut count_root = |r: gclab_core::ObjRef| match heap.memory.resolve(r) {
        Ok(_) => *expected.entry(r.granule()).or_default() += 1,
        Err(e) => bad_root = Some(e),
    };
    heap.roots.for_each(&mut count_root);
    heap.deferred.iter().for_each(|&r| count_root(r));
    heap.roots.table.for_each_released(|&r| count_root(r));
    ensure!(bad_root.is_none(), "a root holds a bad reference: {}", bad_root.expect("checked"));
    let newest = heap.newest.map(|r| r.granule() as usize);
    for &g in &objects {
        // SAFETY: as above.
        let object = unsafe { heap.memory.object(g) };
        let word = object.meta();
        let count = word & COUNT_MASK;
        let want = expected.get(&(g as u32)).copied().unwrap_or(0);
        ensure!(
            count == IMMORTAL || u64::from(count) == want,
            "object at granule {g:#x} has count {count} but {want} references"
        );
        ensure!(count != 0 || newest == Some(g), "object at granule {g:#x} has count 0 and was not freed");
        let entry = heap.gens.entry(g);
        if word & TRACKED == 0 {
            ensure!(entry.is_none(), "object at granule {g:#x} is on a generation list without its tracked bit");
            // Untracked with references: only an immutable object whose referents are all
            // slotless or untracked immutable ones (it can never be in a cycle).
            let mut cyclable = false;
            object.for_each_ref(|r| {
                // SAFETY: references in slots were validated above.
                let referent = unsafe { heap.memory.object(r.granule() as usize) };
                cyclable |= !object.is_immutable()
                    || (referent.slot_count() != 0 && (!referent.is_immutable() || referent.meta() & TRACKED != 0));
            });
            ensure!(!cyclable, "container at granule {g:#x} holds references that may form a cycle but is not tracked");
            continue;
        }
        ensure!(entry.is_some(), "container at granule {g:#x} has its tracked bit but no list");
        ensure!(
            heap.gens.entry_is_listed(g),
            "container at granule {g:#x}: side entry {entry:?} is not a live entry of a generation list"
        );
    }
    let containers = objects.iter().filter(|&&g| {
        // SAFETY: as above.
        unsafe { heap.memory.object(g) }.meta() & TRACKED != 0
    });
    ensure!(containers.count() == heap.gens.tracked(), "generation lists count other than the tracked containers");
    heap.gens.verify()?;
    ensure!(heap.doomed.is_empty(), "objects left doomed but not freed");
    ensure!(heap.heap_bytes() <= heap.limit, "heap holds {} bytes over its limit {}", heap.heap_bytes(), heap.limit);
    Ok(())
}
