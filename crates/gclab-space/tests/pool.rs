//! The pool space on its own: obmalloc's allocation order, pool reuse and arena release.

use gclab_core::{ObjectMemory, SideBitmap, Tag};
use gclab_space::{LargeObjectSpace, PoolConfig, PoolSpace};

const ARENA: usize = 1 << 20;

fn space(arenas: usize) -> (ObjectMemory, PoolSpace) {
    let mut memory = ObjectMemory::new(arenas * ARENA).unwrap();
    let space = PoolSpace::new(&mut memory, arenas * ARENA, PoolConfig::default()).unwrap();
    (memory, space)
}

fn alloc(memory: &mut ObjectMemory, space: &mut PoolSpace, bytes: usize) -> Option<usize> {
    let class = space.classes().class_of(bytes).unwrap();
    let granule = match space.alloc(memory, class) {
        Some(g) => g,
        None => {
            space.refill(memory, class, usize::MAX)?;
            space.alloc(memory, class).unwrap()
        }
    };
    // SAFETY: the space handed out this cell for `bytes`.
    unsafe { memory.init_object(granule, Tag(0), 0, (bytes - 16) as u32, false, false) };
    Some(granule)
}

#[test]
fn cells_are_distinct_and_freed_cells_reused() {
    let (mut memory, mut space) = space(4);
    let a: Vec<usize> = (0..1000).map(|_| alloc(&mut memory, &mut space, 48).unwrap()).collect();
    let mut sorted = a.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 1000);
    assert!(sorted.windows(2).all(|w| w[1] - w[0] >= 3), "48-byte cells overlap");
    space.verify(&memory).unwrap();
    // SAFETY: nothing refers to these objects.
    unsafe { space.free(&memory, a[10]) };
    space.verify(&memory).unwrap();
    // A freed cell goes to its pool's free list, which the class's open run does not use;
    // once the run is closed, a later run takes the pool's free cells.
    space.close_runs(&memory);
    space.verify(&memory).unwrap();
    let pool_cells = (16 << 10) / 48;
    let again: Vec<usize> = (0..pool_cells).map(|_| alloc(&mut memory, &mut space, 48).unwrap()).collect();
    assert!(again.contains(&a[10]), "the freed cell is reused");
    space.verify(&memory).unwrap();
}

#[test]
fn emptied_pools_serve_other_classes_and_empty_arenas_are_released() {
    // 20,000 cells take minutes under Miri; 2,000 (4 pools) keep every assertion.
    let n = if cfg!(miri) { 2_000 } else { 20_000 };
    let (mut memory, mut space) = space(4);
    let cells: Vec<usize> = (0..n).map(|_| alloc(&mut memory, &mut space, 32).unwrap()).collect();
    assert_eq!(space.committed_bytes(), ARENA);
    for &g in &cells {
        // SAFETY: nothing refers to these objects.
        unsafe { space.free(&memory, g) };
    }
    assert_eq!(space.live_objects(), 0);
    space.verify(&memory).unwrap();
    // The same pools now serve 256-byte objects: no new arena.
    for _ in 0..n / 10 {
        alloc(&mut memory, &mut space, 256).unwrap();
    }
    assert_eq!(space.committed_bytes(), ARENA);
    space.verify(&memory).unwrap();
}

#[test]
fn allocation_prefers_the_fullest_arena() {
    let (mut memory, mut space) = space(4);
    // Fill two arenas with 8 KiB objects (2 per pool, 128 per arena).
    let cells: Vec<usize> = (0..256).map(|_| alloc(&mut memory, &mut space, 8192).unwrap()).collect();
    assert_eq!(space.committed_bytes(), 2 * ARENA);
    // Free one pool's worth in the first arena and most of the second.
    let marks = SideBitmap::new(memory.valid_bits().len()).unwrap();
    for &g in cells[2..128].iter().chain(&cells[130..140]) {
        marks.set(g);
    }
    // SAFETY: only the unmarked objects die, and nothing refers to anything.
    let (freed, _) = unsafe { space.sweep(&memory, &marks) };
    assert_eq!(freed, 256 - 136);
    space.verify(&memory).unwrap();
    // The next pool comes from the first (fullest) arena.
    let next = alloc(&mut memory, &mut space, 16).unwrap();
    assert!(next * 16 < space_start(&cells) + ARENA, "took a pool from a lighter arena");
}

fn space_start(cells: &[usize]) -> usize {
    cells.iter().min().unwrap() * 16
}

#[test]
fn one_survivor_in_a_thousand_pins_arenas_until_free_pools_are_returned() {
    // CPython keeps an arena alive while any object in it lives. Here pools empty and go back
    // to their arena, but an arena still returns to the system only when wholly free, so a
    // sparse survivor keeps its arena. Measure how much that pins.
    // 400,000 cells take half an hour under Miri; 10,000 (one arena) keep every assertion.
    let n = if cfg!(miri) { 10_000 } else { 400_000 };
    let survivors = n / 1000;
    let (mut memory, mut space) = space(64);
    let cells: Vec<usize> = (0..n).map(|_| alloc(&mut memory, &mut space, 64).unwrap()).collect();
    let before = space.committed_bytes();
    let marks = SideBitmap::new(memory.valid_bits().len()).unwrap();
    cells.iter().step_by(1000).for_each(|&g| marks.set(g));
    // SAFETY: nothing refers to the unmarked objects.
    unsafe { space.sweep(&memory, &marks) };
    let released = space.release_empty_arenas(&memory, 0);
    space.verify(&memory).unwrap();
    assert_eq!(space.live_objects(), survivors);
    // 400 survivors, one every 64 KB, sit in every arena: like CPython, no arena is wholly
    // free, so none goes back, though 15 of every 16 of their pools are free for reuse.
    assert_eq!(released, 0);
    assert_eq!(space.committed_bytes(), before);
    assert_eq!(space.empty_arenas(), 0);
    // Returning the free pools of those arenas gives back all but the survivors' pools.
    let free = space.free_pool_bytes();
    let pools = space.decommit_free_pools(&memory);
    assert_eq!(pools * (16 << 10), free);
    assert_eq!(space.committed_bytes(), before - free);
    assert_eq!(space.committed_bytes(), survivors * (16 << 10), "one 16 KiB pool per survivor stays");
    space.verify(&memory).unwrap();
    // Decommitted pools are reused, zeroed, once the survivors' pools are full again.
    for _ in 0..n / 2 {
        alloc(&mut memory, &mut space, 64).unwrap();
    }
    assert!(space.committed_bytes() > survivors * (16 << 10));
    space.verify(&memory).unwrap();
}

#[test]
fn the_trim_after_a_collection_returns_only_what_the_headroom_will_not_fill() {
    // As above: one survivor in a thousand pins every arena, with most of its pools free.
    let n = if cfg!(miri) { 20_000 } else { 400_000 };
    let (mut memory, mut space) = space(64);
    let cells: Vec<usize> = (0..n).map(|_| alloc(&mut memory, &mut space, 64).unwrap()).collect();
    let marks = SideBitmap::new(memory.valid_bits().len()).unwrap();
    cells.iter().step_by(1000).for_each(|&g| marks.set(g));
    // SAFETY: nothing refers to the unmarked objects.
    unsafe { space.sweep(&memory, &marks) };
    let free = space.free_pool_bytes();
    let committed = space.committed_bytes();
    assert!(free > committed / 2, "most pools are free: {free} of {committed}");
    // A headroom larger than the free pools: everything stays for the next cycle.
    assert_eq!(space.trim_after_collection(&memory, free + 1), (0, 0));
    assert_eq!(space.free_pool_bytes(), free);
    // A headroom of 60% of the free pools: the excess goes back, whole arenas' free pools at a
    // time, and what the headroom will fill stays committed (not every free pool, as before).
    let headroom = free / 10 * 6;
    let (released, decommitted) = space.trim_after_collection(&memory, headroom);
    assert_eq!(released, 0);
    let kept = space.free_pool_bytes();
    assert!(decommitted > 0, "the excess is returned");
    assert!(kept <= headroom && kept + (1 << 20) > headroom, "kept {kept} free bytes for a headroom of {headroom}");
    assert_eq!(space.committed_bytes(), committed - decommitted * (16 << 10));
    space.verify(&memory).unwrap();
}

#[test]
fn large_space_reuses_and_coalesces_runs() {
    let mut memory = ObjectMemory::new(64 << 20).unwrap();
    let mut large = LargeObjectSpace::new(&mut memory, 64 << 20);
    let mut objects = vec![];
    for i in 1..=8 {
        let g = large.alloc(&memory, i * 10_000).unwrap();
        // SAFETY: fresh pages handed out for this size.
        unsafe { memory.init_object(g, Tag(0), 0, (i * 10_000 - 16) as u32, true, false) };
        objects.push(g);
    }
    large.verify(&memory).unwrap();
    for &g in &objects[2..5] {
        // SAFETY: nothing refers to these objects.
        unsafe { large.free(&memory, g) };
    }
    large.verify(&memory).unwrap();
    // Freed runs of 30, 40 and 50 KB coalesced: a 100 KB object fits in them.
    let g = large.alloc(&memory, 100_000).unwrap();
    assert_eq!(g, objects[2]);
    large.verify(&memory).unwrap_err(); // its valid bit is not set yet
                                        // SAFETY: fresh pages for this size.
    unsafe { memory.init_object(g, Tag(0), 0, 100_000 - 16, true, false) };
    large.verify(&memory).unwrap();
    assert_eq!(large.live_objects(), 6);
}

/// The large space's two-step sweep (for a collector that sweeps in increments): dead
/// objects are invalidated at once (rejected as references, no longer live, pages still
/// held), then their pages go back a given number of objects at a time; the space verifies
/// at every step, and the released runs are reused.
#[test]
fn large_space_invalidates_dead_objects_then_releases_them_in_steps() {
    let mut memory = ObjectMemory::new(64 << 20).unwrap();
    let mut large = LargeObjectSpace::new(&mut memory, 64 << 20);
    let marks = SideBitmap::new(memory.valid_bits().len()).unwrap();
    let mut objects = vec![];
    for i in 1..=8 {
        let g = large.alloc(&memory, i * 10_000).unwrap();
        // SAFETY: fresh pages handed out for this size.
        unsafe { memory.init_object(g, Tag(0), 0, (i * 10_000 - 16) as u32, true, false) };
        objects.push(g);
    }
    let committed = large.committed_bytes();
    for &g in objects.iter().step_by(2) {
        marks.fetch_set(g); // objects 0, 2, 4, 6 survive
    }
    // SAFETY: the unmarked objects are referred to by nothing.
    let (dead, bytes) = unsafe { large.invalidate_dead(&memory, &marks) };
    assert_eq!(dead, 4);
    assert_eq!(large.live_objects(), 4);
    assert_eq!(large.invalidated_objects(), 4);
    assert_eq!(large.committed_bytes(), committed, "nothing released yet");
    assert!(objects.iter().skip(1).step_by(2).all(|&g| !memory.is_object(g)), "the dead are invalid");
    assert!(objects.iter().step_by(2).all(|&g| memory.is_object(g) && !marks.get(g)), "the live unmarked");
    large.verify(&memory).unwrap();
    let released = large.release_invalidated(&memory, 1);
    assert!(released > 0);
    assert_eq!(large.invalidated_objects(), 3);
    assert_eq!(large.committed_bytes(), committed - released);
    large.verify(&memory).unwrap();
    let rest = large.release_invalidated(&memory, usize::MAX);
    assert_eq!(released + rest, bytes);
    assert_eq!(large.invalidated_objects(), 0);
    large.verify(&memory).unwrap();
    let mut count = 0;
    large.for_each_object(|_| count += 1);
    assert_eq!(count, 4);
    // A released run is handed out again.
    let g = large.alloc(&memory, 10_000).unwrap();
    assert!(objects.iter().skip(1).step_by(2).any(|&dead| dead == g) || g > objects[7]);
}

#[test]
fn the_cell_cache_reuses_the_last_freed_cell_and_flushes_back_to_pools() {
    // 20,000 cells take eight minutes under Miri; 2,000 keep every assertion.
    let n = if cfg!(miri) { 2_000 } else { 20_000 };
    let (mut memory, mut space) = space(4);
    let cells: Vec<usize> = (0..n).map(|_| alloc(&mut memory, &mut space, 32).unwrap()).collect();
    let other = alloc(&mut memory, &mut space, 64).unwrap();
    for &g in &cells {
        // SAFETY: nothing refers to these objects.
        unsafe { space.free_to_cache(&memory, g) };
    }
    assert_eq!(space.live_objects(), 1, "cached cells are not live");
    assert_eq!(space.cached_bytes(), n * 32);
    assert!(cells.iter().all(|&g| !memory.is_object(g)), "cached cells read as freed");
    space.verify(&memory).unwrap();
    // LIFO, per class: the 32-byte class gets the last freed cell; the 64-byte class none.
    let class32 = space.classes().class_of(32).unwrap();
    let class64 = space.classes().class_of(64).unwrap();
    assert_eq!(space.alloc_from_cache(&memory, class64), None);
    assert_eq!(space.alloc_from_cache(&memory, class32), Some(cells[n - 1]));
    // SAFETY: the cache handed out this cell for a 32-byte object.
    unsafe { memory.init_object(cells[n - 1], Tag(0), 0, 16, false, false) };
    assert_eq!(space.cached_bytes(), (n - 1) * 32);
    space.verify(&memory).unwrap();
    // Cached cells keep their pools in use; flushing returns them, and the arena's pools
    // other than the two still holding an object are free again.
    assert_eq!(space.empty_arenas(), 0);
    assert_eq!(space.flush_cache(&memory), n - 1);
    assert_eq!(space.cached_bytes(), 0);
    assert_eq!(space.live_objects(), 2);
    space.verify(&memory).unwrap();
    // SAFETY: nothing refers to these objects.
    unsafe {
        space.free(&memory, cells[n - 1]);
        space.free(&memory, other);
    }
    // Open allocation runs keep their pools until they close (at the next refill or sweep).
    space.close_runs(&memory);
    assert_eq!(space.empty_arenas(), 1, "with the cache flushed and the runs closed, the arena empties");
    space.verify(&memory).unwrap();
}

#[test]
fn a_sweep_returns_cached_cells_first() {
    let (mut memory, mut space) = space(1);
    let cells: Vec<usize> = (0..100).map(|_| alloc(&mut memory, &mut space, 48).unwrap()).collect();
    // SAFETY: nothing refers to these objects.
    unsafe { space.free_to_cache(&memory, cells[0]) };
    let marks = SideBitmap::new(memory.valid_bits().len()).unwrap();
    cells[1..50].iter().for_each(|&g| marks.set(g));
    // SAFETY: unmarked objects are unreferenced.
    let (objects, _) = unsafe { space.sweep(&memory, &marks) };
    assert_eq!(objects, 50, "the 50 unmarked objects die; the cached cell is not counted again");
    assert_eq!((space.live_objects(), space.cached_bytes()), (49, 0));
    space.verify(&memory).unwrap();
}

/// A space's safe methods refuse another heap's memory by name (their bookkeeping describes
/// only the memory they were carved from).
#[test]
fn spaces_refuse_another_heaps_memory() {
    let (mut memory, mut space) = space(1);
    alloc(&mut memory, &mut space, 48).unwrap();
    let other = ObjectMemory::new(ARENA).unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| space.close_runs(&other)));
    let message = *caught.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("a pool space was handed the memory of another heap"), "{message}");
    space.verify(&memory).unwrap();
    let mut large_memory = ObjectMemory::new(ARENA).unwrap();
    let mut large = LargeObjectSpace::new(&mut large_memory, ARENA);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| large.alloc(&other, 10_000)));
    let message = *caught.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("a large-object space was handed the memory of another heap"), "{message}");
}
