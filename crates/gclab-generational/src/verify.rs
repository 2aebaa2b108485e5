//! `Heap::verify` for the generational heap: the spaces' own checks, then the invariants
//! that tie generations together.

use gclab_core::{ensure, ObjectMemory, VerifyError, GRANULE};

use crate::heap::{GenerationalHeap, Parts};
use crate::meta::UNLOGGED;
use crate::nursery::Semispace;
use crate::remembered::{RememberedSet, CARDED_SLOTS, CARD_SLOTS};

/// Checks, besides each space's own invariants:
/// - the nursery's objects lie below each space's cursor without overlapping, and the
///   to-space is empty (no valid bit is set where the last minor collection evacuated);
/// - no object is forwarded and no mark bit is set outside a collection;
/// - every slot holds null or a live reference;
/// - every old object that refers to a young one is remembered (the barrier's invariant),
///   every logged object is in the remembered set once, and every unlogged one is not.
pub(crate) fn verify(heap: &GenerationalHeap) -> Result<(), VerifyError> {
    let p = heap.parts();
    p.pools.verify(p.memory)?;
    p.large.verify(p.memory)?;
    let n = p.nursery;
    check_semispace(p.memory, &n.eden, "eden")?;
    check_semispace(p.memory, n.from(), "from-space")?;
    ensure!(
        n.eden.start <= n.settled && n.settled <= n.eden.top,
        "eden: the statistics' watermark {:#x} lies outside {:#x}..={:#x}",
        n.settled,
        n.eden.start,
        n.eden.top
    );
    // Mark bits anywhere in the nursery (not only at object starts) would make a full
    // collection keep what they cover.
    let (lo, hi) = (n.eden.start, n.survivors[1].end.next_multiple_of(64));
    let marked = p.marks.count_range(lo, hi);
    ensure!(marked == 0, "{marked} mark bits set in the nursery outside a collection");
    let to = &n.survivors[n.to];
    ensure!(to.top == to.start, "the to-space holds {} bytes outside a minor collection", to.used_bytes());
    let stray = p.memory.valid_bits().count_range(to.start, to.end.next_multiple_of(64));
    ensure!(stray == 0, "{stray} valid bits in the to-space outside a minor collection");

    let mut logged = p.remembered.objects.clone();
    logged.sort_unstable();
    let before = logged.len();
    logged.dedup();
    ensure!(logged.len() == before, "the remembered set lists an object twice");
    let mut cards = p.remembered.cards.clone();
    cards.sort_unstable();
    let before = cards.len();
    cards.dedup();
    ensure!(cards.len() == before, "the remembered set lists a card twice");
    for &granule in &logged {
        ensure!(
            p.memory.is_object(granule as usize) && !p.nursery.is_young(granule as usize),
            "the remembered set lists granule {granule:#x}, which holds no old object"
        );
    }
    for &(granule, chunk) in &cards {
        ensure!(
            p.remembered.card_bits.get(RememberedSet::card_bit(granule, chunk)),
            "card {chunk} of the object at granule {granule:#x} is listed but its bit is clear"
        );
        ensure!(p.memory.is_object(granule as usize), "a remembered card belongs to no object ({granule:#x})");
    }

    let mut objects = 0;
    let mut problem: Option<String> = None;
    let mut check = |granule: usize, young: bool| {
        objects += 1;
        if problem.is_some() {
            return;
        }
        problem = check_object(&p, granule, young, &logged, &cards).err();
    };
    let from = n.from();
    for space in [&n.eden, from] {
        p.memory.valid_bits().for_each_set(space.start, space.used_words_end(), |g| check(g, true));
    }
    p.pools.for_each_object(p.memory, |g| check(g, false));
    p.large.for_each_object(|g| check(g, false));
    if let Some(problem) = problem {
        return Err(VerifyError(problem));
    }
    ensure!(objects == p.live_objects, "{objects} objects found, {} counted", p.live_objects);
    p.roots.verify(p.memory)?;
    ensure!(p.heap_bytes <= p.limit, "heap holds {} bytes over its limit {}", p.heap_bytes, p.limit);
    Ok(())
}

/// Objects of a nursery space lie in `start..top`, one after another without overlap.
fn check_semispace(memory: &ObjectMemory, space: &Semispace, name: &str) -> Result<(), VerifyError> {
    ensure!(
        space.start <= space.top && space.top <= space.end,
        "{name}: cursor {:#x} outside {:#x}..={:#x}",
        space.top,
        space.start,
        space.end
    );
    let mut next = space.start;
    let mut problem = None;
    memory.valid_bits().for_each_set(space.start, space.end.next_multiple_of(64), |g| {
        if problem.is_some() {
            return;
        }
        if g < next || g >= space.top {
            problem = Some(format!("{name}: an object at granule {g:#x} overlaps another or lies past the cursor"));
            return;
        }
        // SAFETY: the valid bit is set: an object starts here.
        next = g + unsafe { memory.object(g) }.size() / GRANULE;
        if next > space.top {
            problem = Some(format!("{name}: the object at granule {g:#x} ends past the cursor"));
        }
    });
    match problem {
        Some(p) => Err(VerifyError(p)),
        None => Ok(()),
    }
}

fn check_object(
    p: &Parts<'_>,
    granule: usize,
    young: bool,
    logged: &[u32],
    cards: &[(u32, u32)],
) -> Result<(), String> {
    let at = || format!("the {} object at granule {granule:#x}", if young { "young" } else { "old" });
    ensure_s(!p.marks.get(granule), || format!("{} is marked outside a collection", at()))?;
    // SAFETY: the caller found the valid bit set: an object starts here.
    let object = unsafe { p.memory.object(granule) };
    ensure_s(object.forwarded_to().is_none(), || format!("{} is forwarded outside a collection", at()))?;
    let unlogged = object.meta() & UNLOGGED != 0;
    if young {
        ensure_s(!unlogged, || format!("{} is marked unlogged", at()))?;
    }
    let is_logged = logged.binary_search(&(granule as u32)).is_ok();
    if !young {
        if unlogged {
            ensure_s(!is_logged, || format!("{} is in the remembered set but marked unlogged", at()))?;
        } else {
            ensure_s(is_logged, || format!("{} is logged but not in the remembered set", at()))?;
            ensure_s(object.slot_count() <= CARDED_SLOTS, || format!("{} is a large array but logged whole", at()))?;
        }
    } else {
        ensure_s(!is_logged, || format!("{} is in the remembered set", at()))?;
    }
    for i in 0..object.slot_count() {
        // SAFETY: `i` is below the slot count.
        let Some(target) = (unsafe { object.slot_unchecked(i) }).get() else { continue };
        if let Err(e) = p.memory.resolve(target) {
            return Err(format!("slot {i} of {} holds a bad reference: {e}", at()));
        }
        if !young && p.nursery.is_young(target.granule() as usize) {
            let remembered = if object.slot_count() > CARDED_SLOTS {
                cards.binary_search(&(granule as u32, (i / CARD_SLOTS) as u32)).is_ok()
            } else {
                is_logged
            };
            ensure_s(remembered, || format!("slot {i} of {} refers to a young object but is not remembered", at()))?;
        }
    }
    Ok(())
}

fn ensure_s(ok: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(message())
    }
}
