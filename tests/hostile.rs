//! A hostile user, through the public API alone: every hole found in the soundness review
//! (issue 8) as a test that stays in the suite, and a randomized forger.
//!
//! Holes closed by making the call `unsafe` cannot be tested at run time: `src/compile_fail.rs`
//! holds their reproducers as `compile_fail` doctests (the safe call no longer compiles).
//! What is left to check at run time is here: every forged reference, index and bit pattern
//! is answered with a value or a named error, never a crash, and the heap stays consistent.

use std::panic::{catch_unwind, AssertUnwindSafe};

use gclab::backend::GRANULE;
use gclab::{CollectionKind, Heap, HeapConfig, ObjRef, RefError, Tag};

/// A small xorshift generator: the forger needs reproducible noise, not quality.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn small_heap<H: Heap>() -> H {
    H::with_config(HeapConfig::default().heap_limit(8 << 20).initial_trigger(256 << 10)).expect("an 8 MiB heap")
}

/// The message of a panic, or `None` if `f` returned.
fn panic_message<R>(f: impl FnOnce() -> R) -> Option<String> {
    let payload = catch_unwind(AssertUnwindSafe(f)).err()?;
    Some(
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
    )
}

/// Builds a heap with a rooted graph: small objects, one large object, some cycles, and
/// objects whose data bytes hold a forged header (a slot count of 2^31 - 1) so that a
/// reference to their interior would, if believed, index gigabytes past the heap.
fn populated<H: Heap>(noise: &mut Noise) -> (H, Vec<ObjRef>) {
    let mut heap: H = small_heap();
    let mut objects = Vec::new();
    for i in 0..300 {
        let slots = noise.below(5) as usize;
        let bytes = if i == 7 { 20_000 } else { 16 + noise.below(48) as usize };
        let obj = heap.allocate(Tag(i as u16), slots, bytes).expect("fits");
        let data = heap.data_mut(obj);
        // A fake header at every granule of the data: tag 0, seq 0, 2^31 - 1 slots.
        for chunk in data.chunks_exact_mut(GRANULE) {
            chunk[..8].copy_from_slice(&(0x7fff_ffffu64 << 32).to_le_bytes());
        }
        heap.push_root(Some(obj));
        objects.push(obj);
    }
    for _ in 0..400 {
        let from = objects[noise.below(objects.len() as u64) as usize];
        let to = objects[noise.below(objects.len() as u64) as usize];
        let slots = heap.slot_count(from);
        if slots > 0 {
            heap.store(from, noise.below(slots as u64) as usize, Some(to));
        }
    }
    (heap, objects)
}

/// A forged reference: random bits, or a real reference with one field changed (heap id,
/// sequence number, granule moved into the object or past the heap).
fn forge(noise: &mut Noise, real: &[ObjRef]) -> u64 {
    let base = real[noise.below(real.len() as u64) as usize];
    match noise.below(6) {
        0 => noise.next(),
        1 => base.bits() ^ (1 + noise.below(0xffff)) << 48,
        2 => base.bits() ^ (1 + noise.below(0xffff)) << 32,
        3 => base.with_granule(base.granule().wrapping_add(1 + noise.below(4) as u32)).bits(),
        4 => base.with_granule(noise.next() as u32).bits(),
        _ => base.with_granule(u32::MAX - noise.below(16) as u32).bits(),
    }
}

/// Every call with a forged reference or index returns a value or a named error; panicking
/// forms panic with the error's message. Afterwards `verify()` passes and a full collection
/// keeps exactly what is rooted.
fn forger<H: Heap>(seed: u64) {
    let mut noise = Noise(seed | 1);
    let (mut heap, objects) = populated::<H>(&mut noise);
    let named = |e: &RefError| {
        let text = e.to_string();
        [
            "foreign reference",
            "stale reference",
            "slot index out of bounds",
            "data index out of bounds",
            "store into an immutable object",
            "root index out of bounds",
        ]
        .iter()
        .any(|name| text.starts_with(name))
    };
    let depth = heap.root_depth();
    for step in 0..5_000 {
        let Some(forged) = ObjRef::from_bits(forge(&mut noise, &objects)) else { continue };
        let index = match noise.below(3) {
            0 => noise.below(4) as usize,
            1 => noise.next() as usize,
            _ => usize::MAX - noise.below(4) as usize,
        };
        let real = objects[noise.below(objects.len() as u64) as usize];
        let outcome: Result<(), RefError> = match step % 9 {
            0 => heap.try_load(forged, index).map(drop),
            1 => heap.try_store(forged, index, Some(real)),
            2 => heap.try_store(real, index % 8, Some(forged)),
            3 => heap.try_tag(forged).map(drop),
            4 => heap.try_slot_count(forged).map(drop),
            5 => heap.try_data(forged).map(|d| assert!(d.len() < 1 << 20)),
            6 => heap.try_data_mut(forged).map(|d| d.iter_mut().for_each(|b| *b = !*b)),
            7 => heap.try_push_root(Some(forged)).map(|()| {
                heap.pop_root();
            }),
            _ => heap.try_set_root(index % (depth + 2), Some(forged)),
        };
        if let Err(e) = outcome {
            assert!(named(&e), "{}: an unnamed error for {forged:?}: {e}", H::NAME);
        }
        if step % 500 == 0 {
            let message = panic_message(|| heap.load(forged, index));
            if let Some(message) = message {
                assert!(["foreign", "stale", "slot index"].iter().any(|n| message.contains(n)), "{message}");
            }
            let message = panic_message(|| heap.root(forged));
            if let Some(message) = message {
                assert!(["foreign", "stale"].iter().any(|n| message.contains(n)), "{message}");
            }
        }
    }
    heap.verify().unwrap_or_else(|e| panic!("{}: forged calls broke the heap: {e}", H::NAME));
    heap.collect(CollectionKind::Full);
    heap.verify().unwrap_or_else(|e| panic!("{}: {e}", H::NAME));
    assert_eq!(heap.root_depth(), depth, "{}: a forged call changed the root stack", H::NAME);
}

/// A reference into the middle of an object whose data holds a forged header is stale: the
/// valid-object bitmap, not the bytes, says where objects start (hole 1 of the review).
fn interior_reference_is_stale<H: Heap>() {
    let mut heap: H = small_heap();
    let obj = heap.allocate(Tag(1), 0, 64).expect("fits");
    heap.data_mut(obj)[..8].copy_from_slice(&(0x7fff_ffffu64 << 32).to_le_bytes());
    let inside = obj.with_granule(obj.granule() + 1);
    assert_eq!(heap.try_load(inside, 1 << 30), Err(RefError::Stale { obj: inside }));
    assert_eq!(heap.try_store(inside, 1 << 30, None), Err(RefError::Stale { obj: inside }));
    assert!(heap.memory().valid_bits().get(obj.granule() as usize));
    assert!(!heap.memory().valid_bits().get(inside.granule() as usize));
}

/// `addr_of` is bounds-checked and `prefetch` never forms an out-of-bounds pointer with
/// `add` (hole 4): a granule far past the region panics by name, a prefetch is a no-op.
fn address_arithmetic_is_checked<H: Heap>() {
    let heap: H = small_heap();
    let past = heap.memory().valid_bits().len() + 5;
    heap.memory().prefetch(past);
    heap.memory().prefetch(usize::MAX / GRANULE);
    let message = panic_message(|| heap.memory().addr_of(past)).expect("addr_of past the region panics");
    assert!(message.contains("lies outside the heap's region"), "{message}");
    assert!(!heap.memory().addr_of(0).is_null());
}

/// A reference from a dropped heap is foreign to every heap made after it (hole 6): ids are
/// recycled only after every other id was used.
fn dropped_heaps_references_are_foreign<H: Heap>() {
    let mut first: H = small_heap();
    let old = first.allocate(Tag(1), 1, 0).expect("fits");
    drop(first);
    for _ in 0..50 {
        let mut heap: H = small_heap();
        let mine = heap.allocate(Tag(1), 1, 0).expect("fits");
        assert_ne!(mine.heap_id(), old.heap_id(), "a live heap reuses a recently dropped heap's id");
        assert!(matches!(heap.try_load(old, 0), Err(RefError::Foreign { .. })));
    }
}

/// Two live heaps never share an id.
fn live_heaps_have_distinct_ids<H: Heap>() {
    let heaps: Vec<H> = (0..64).map(|_| small_heap()).collect();
    let mut ids: Vec<u16> = heaps.iter().map(|h| h.memory().heap_id()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), heaps.len());
}

macro_rules! hostile_suite {
    ($name:ident, $heap:ty) => {
        mod $name {
            #[test]
            fn forger_answers_every_forged_call_by_name() {
                for seed in [1, 0xdead_beef, 0x1234_5678_9abc] {
                    super::forger::<$heap>(seed);
                }
            }

            #[test]
            fn interior_reference_is_stale() {
                super::interior_reference_is_stale::<$heap>();
            }

            #[test]
            fn address_arithmetic_is_checked() {
                super::address_arithmetic_is_checked::<$heap>();
            }

            #[test]
            fn dropped_heaps_references_are_foreign() {
                super::dropped_heaps_references_are_foreign::<$heap>();
            }

            #[test]
            fn live_heaps_have_distinct_ids() {
                super::live_heaps_have_distinct_ids::<$heap>();
            }
        }
    };
}

#[cfg(feature = "marksweep")]
hostile_suite!(marksweep, gclab::MarkSweepHeap);
#[cfg(feature = "refcount")]
hostile_suite!(refcount, gclab::RefcountHeap);
#[cfg(feature = "nogc")]
hostile_suite!(nogc, gclab::NoGcHeap);
#[cfg(feature = "generational")]
hostile_suite!(generational, gclab::GenerationalHeap);
#[cfg(feature = "concurrent")]
hostile_suite!(concurrent, gclab::ConcurrentHeap);

/// Hole 3 of the review, at run time: counts are only readable, so the rooted self-cycle
/// that a forged count used to free twice is freed exactly once, after its root goes.
#[cfg(feature = "refcount")]
#[test]
fn refcount_self_cycle_is_freed_once() {
    let mut heap: gclab::RefcountHeap = small_heap();
    let cell = heap.allocate(Tag(1), 1, 0).expect("fits");
    heap.store(cell, 0, Some(cell));
    heap.push_root(Some(cell));
    let count = heap.memory().resolve(cell).expect("live").meta();
    assert_eq!(count & 0x7fff_ffff, 2, "one count from the slot, one from the root");
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects(), 1);
    heap.truncate_roots(0);
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects(), 0);
    let a = heap.allocate(Tag(2), 0, 0).expect("fits");
    heap.push_root(Some(a));
    let b = heap.allocate(Tag(3), 0, 0).expect("fits");
    assert_ne!(a.granule(), b.granule(), "two live objects never share a cell");
    heap.verify().expect("consistent");
}

/// Hole 2 of the review, at run time: what the old reproducer did through the safe
/// `decommit` (allocate 200 objects, root half, collect) now leaves no way to zero live
/// memory, and the heap keeps allocating from its free lists correctly.
#[cfg(feature = "marksweep")]
#[test]
fn marksweep_free_lists_survive_the_old_decommit_reproducer() {
    let mut heap: gclab::MarkSweepHeap = small_heap();
    for i in 0..200 {
        let obj = heap.allocate(Tag(1), 1, 8).expect("fits");
        heap.data_mut(obj).copy_from_slice(&(i as u64).to_le_bytes());
        if i % 2 == 0 {
            heap.push_root(Some(obj));
        }
    }
    heap.collect(CollectionKind::Full);
    for _ in 0..500 {
        heap.allocate(Tag(2), 0, 24).expect("fits");
    }
    for i in 0..100 {
        let obj = heap.root_at(i).expect("rooted");
        assert_eq!(heap.data(obj), &((2 * i) as u64).to_le_bytes());
    }
    heap.verify().expect("consistent");
}
