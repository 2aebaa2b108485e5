//! Mutator mistakes: each check makes one and asserts that the heap names it, by panic
//! message (the safe API) or by error value (the `try_` API, `allocate`, `with_config`).
//! None of them may abort the process or read freed memory.

use std::panic::{catch_unwind, AssertUnwindSafe};

use gclab_core::{AllocErrorKind, CollectionKind, Heap, HeapConfig, ObjRef, RefError, Tag, MIN_HEAP_LIMIT};

/// The configuration the safety checks use: a 64 MiB limit, so a heap is cheap to make.
fn config() -> HeapConfig {
    HeapConfig::default().heap_limit(64 << 20)
}

fn make<H: Heap>() -> H {
    H::with_config(config()).unwrap_or_else(|e| panic!("{}: {e}", H::NAME))
}

/// Runs `f`, which must panic with a message containing `expected`; returns the message.
#[track_caller]
pub fn expect_panic<R>(expected: &str, f: impl FnOnce() -> R) -> String {
    let payload = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(_) => panic!("expected a panic naming {expected:?}, but the call returned"),
        Err(payload) => payload,
    };
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "<a panic payload that is not a string>".into());
    assert!(message.contains(expected), "expected a panic naming {expected:?}, got: {message}");
    message
}

/// Allocates an unrooted object of `slots` slots and `bytes` bytes and collects: the returned
/// reference points to a freed object.
fn freed_object<H: Heap>(heap: &mut H, slots: usize, bytes: usize) -> ObjRef {
    let obj = heap.allocate(Tag(9), slots, bytes).expect("allocate");
    heap.collect(CollectionKind::Full);
    obj
}

/// A reference to an object freed by a collection is reported as a "stale reference" by
/// every method that takes one (`load`, `store`, `data`, `tag`, `push_root`, `root`), and
/// by `try_load` as an error.
pub fn stale_reference<H: Heap>() {
    let mut heap: H = make();
    // Allocated before the object that dies, so that it cannot reuse the freed cell.
    let live = heap.allocate(Tag(1), 1, 0).expect("allocate");
    heap.push_root(Some(live));
    let stale = freed_object(&mut heap, 2, 8);
    let live = heap.root_at(0).expect("rooted");
    assert_eq!(heap.live_objects(), 1, "only the rooted object survives");
    assert!(
        matches!(heap.try_load(stale, 0), Err(RefError::Stale { .. } | RefError::Reused { .. })),
        "try_load of a freed object"
    );
    expect_panic("stale reference", || heap.load(stale, 0));
    expect_panic("stale reference", || heap.tag(stale));
    expect_panic("stale reference", || heap.data(stale).len());
    expect_panic("stale reference", || heap.store(stale, 0, None));
    expect_panic("stale reference", || heap.store(live, 0, Some(stale)));
    expect_panic("stale reference", || heap.push_root(Some(stale)));
    expect_panic("stale reference", || heap.set_root(0, Some(stale)));
    expect_panic("stale reference", || heap.root(stale));
    assert_eq!(heap.root_at(0), Some(live), "a rejected set_root leaves the entry alone");
    assert_eq!(heap.load(live, 0), None, "a rejected store leaves the slot alone");
    heap.verify().expect("the heap stays consistent after mistakes");
}

/// Whether the heap checks sequence numbers (the `checked` feature of `gclab-core`): probed
/// by forging a reference with the wrong sequence number to a live object.
pub fn checks_sequence_numbers<H: Heap>() -> bool {
    let mut heap: H = make();
    let obj = heap.allocate(Tag(1), 0, 0).expect("allocate");
    let forged = ObjRef::new(obj.heap_id(), obj.seq().wrapping_add(1), obj.granule());
    matches!(heap.try_check(forged), Err(RefError::Reused { .. }))
}

/// A reference to a freed object whose cell now holds a new object.
///
/// With sequence-number checks (the `checked` feature of `gclab-core`, see
/// [`checks_sequence_numbers`]) it must be reported as a stale reference naming the reuse
/// ("reused"), never silently read as the new object. Without them the mistake cannot be
/// detected, and the check asserts the documented fallback instead: the old reference
/// aliases the new object (memory-safe, no crash, no garbage read).
///
/// Frees one object, then allocates same-shape objects (rooted, so the freed cell is the
/// only free one for that shape) until one lands on the freed cell's granule.
pub fn reused_reference<H: Heap>() {
    const TRIES: usize = 200_000;
    let checked = checks_sequence_numbers::<H>();
    let mut heap: H = make();
    let stale = freed_object(&mut heap, 2, 0);
    let mut reused = None;
    for _ in 0..TRIES {
        let obj = heap.allocate(Tag(9), 2, 0).expect("allocate");
        heap.push_root(Some(obj));
        if obj.granule() == stale.granule() {
            reused = Some(obj);
            break;
        }
    }
    let Some(new) = reused else {
        panic!("{}: {TRIES} allocations of the same shape never reused the freed cell", H::NAME);
    };
    assert!(heap.try_check(new).is_ok());
    if !checked {
        eprintln!(
            "{}: sequence numbers are not checked (gclab-core/checked is off): a reused cell \
             cannot be detected; checking that the old reference aliases the new object",
            H::NAME
        );
        heap.store(stale, 1, Some(new));
        assert_eq!(heap.load(new, 1), Some(new), "the old reference reaches the new object");
        heap.verify().expect("consistent");
        return;
    }
    assert!(matches!(heap.try_load(stale, 0), Err(RefError::Reused { .. })), "try_load through a reused cell");
    let message = expect_panic("stale reference", || heap.load(stale, 0));
    assert!(message.contains("reused"), "the message names the reuse: {message}");
    expect_panic("reused", || heap.store(stale, 1, None));
    expect_panic("reused", || heap.store(new, 1, Some(stale)));
    expect_panic("reused", || heap.push_root(Some(stale)));
    assert_eq!(heap.load(new, 1), None, "the new object is untouched");
    heap.verify().expect("consistent");
}

/// A reference made by another heap is reported as a "foreign reference".
pub fn foreign_reference<H: Heap>() {
    let mut ours: H = make();
    let mut theirs: H = make();
    let foreign = theirs.allocate(Tag(1), 1, 4).expect("allocate");
    theirs.push_root(Some(foreign));
    let local = ours.allocate(Tag(1), 1, 0).expect("allocate");
    ours.push_root(Some(local));
    assert!(matches!(ours.try_load(foreign, 0), Err(RefError::Foreign { .. })));
    expect_panic("foreign reference", || ours.load(foreign, 0));
    expect_panic("foreign reference", || ours.data(foreign).len());
    expect_panic("foreign reference", || ours.store(local, 0, Some(foreign)));
    expect_panic("foreign reference", || ours.push_root(Some(foreign)));
    expect_panic("foreign reference", || ours.set_root(0, Some(foreign)));
    expect_panic("foreign reference", || ours.root(foreign));
    ours.verify().expect("ours stays consistent");
    theirs.verify().expect("theirs stays consistent");
}

/// A slot index past the slot count is reported as "slot index out of bounds".
pub fn slot_out_of_bounds<H: Heap>() {
    let mut heap: H = make();
    let obj = heap.allocate(Tag(1), 2, 0).expect("allocate");
    heap.push_root(Some(obj)); // a local is not a root across the next allocation
    let empty = heap.allocate(Tag(1), 0, 8).expect("allocate");
    heap.push_root(Some(empty));
    let obj = heap.root_at(0).expect("rooted");
    assert!(matches!(heap.try_load(obj, 2), Err(RefError::SlotOutOfBounds(e)) if e.index == 2 && e.slots == 2));
    expect_panic("slot index out of bounds", || heap.load(obj, 2));
    expect_panic("slot index out of bounds", || heap.store(obj, 5, None));
    expect_panic("slot index out of bounds", || heap.load(empty, 0));
    expect_panic("slot index out of bounds", || heap.store(empty, usize::MAX, Some(obj)));
    assert_eq!(heap.data(empty).len(), 8, "data length is exact");
    heap.verify().expect("the heap stays consistent after mistakes");
}

/// A store into an object made by `allocate_immutable` is reported as "store into an
/// immutable object" (and `try_store` returns `RefError::Immutable`), whatever the value;
/// loads and data writes still work, and nothing changes.
pub fn store_into_immutable<H: Heap>() {
    let mut heap: H = make();
    let leaf = heap.allocate(Tag(1), 0, 8).expect("allocate");
    heap.push_root(Some(leaf));
    heap.push_root(Some(leaf));
    let pair = heap.allocate_immutable(Tag(2), 2, 4, 1).expect("allocate_immutable");
    heap.push_root(Some(pair));
    let leaf = heap.root_at(0).expect("rooted");
    assert_eq!(heap.try_store(pair, 1, Some(leaf)), Err(RefError::Immutable { obj: pair, index: 1 }));
    expect_panic("store into an immutable object", || heap.store(pair, 0, None));
    expect_panic("store into an immutable object", || heap.store(pair, 1, Some(pair)));
    assert_eq!(heap.load(pair, 0), Some(leaf), "the moved reference is in place");
    assert_eq!(heap.load(pair, 1), None);
    heap.data_mut(pair).copy_from_slice(b"data");
    assert_eq!(heap.data(pair), b"data", "data bytes stay writable");
    heap.verify().expect("the heap stays consistent after mistakes");
    heap.truncate_roots(0);
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects(), 0, "immutable objects are freed like any other");
}

/// A root-stack index past the depth is reported as "root index out of bounds", by
/// `root_at` and `set_root`, and as `RefError::RootOutOfBounds` by the `try_` forms.
pub fn root_out_of_bounds<H: Heap>() {
    let mut heap: H = make();
    heap.push_root(None);
    assert_eq!(heap.try_root_at(1), Err(RefError::root_out_of_bounds(1, 1)));
    assert_eq!(heap.try_set_root(3, None), Err(RefError::root_out_of_bounds(3, 1)));
    expect_panic("root index out of bounds", || heap.root_at(1));
    expect_panic("root index out of bounds", || heap.set_root(7, None));
    expect_panic("shallower than the depth asked for", || heap.truncate_roots(5));
    assert_eq!(heap.root_depth(), 1, "a refused truncation changes nothing");
}

/// Popping an empty root stack is reported as "root stack underflow" (and `try_pop_root`
/// returns an error); `allocate_from_roots` taking more than the stack holds or the object
/// can take panics, naming the mistake, and leaves the stack as it was.
pub fn root_stack_underflow<H: Heap>() {
    let mut heap: H = make();
    assert_eq!(heap.try_pop_root(), Err(RefError::RootStackEmpty));
    assert!(heap.try_pop_root().unwrap_err().to_string().contains("root stack underflow"));
    heap.push_root(None);
    assert_eq!(heap.pop_root(), None);
    expect_panic("root stack underflow", || heap.pop_root());
    assert_eq!(heap.root_depth(), 0);
    // allocate_from_roots: more operands than the stack holds, or than the object has slots.
    let one = heap.allocate(Tag(1), 0, 0).expect("allocate");
    heap.push_root(Some(one));
    expect_panic("root stack underflow", || heap.allocate_from_roots(Tag(2), 2, 0, 2));
    expect_panic("do not fit in an object of 0 slots", || heap.allocate_from_roots(Tag(2), 0, 0, 1));
    assert_eq!(heap.root_depth(), 1, "a refused allocate_from_roots leaves the stack alone");
    heap.verify().unwrap_or_else(|e| panic!("{}: {e}", H::NAME));
}

/// With a 2 MiB limit and every object rooted, `allocate` eventually returns
/// `AllocErrorKind::HeapExhausted` carrying the limit, never a panic or an abort; afterwards the
/// heap is consistent, and usable again once the roots are dropped.
pub fn heap_exhausted<H: Heap>() {
    let limit = 2 << 20;
    let mut heap = H::with_config(config().heap_limit(limit)).expect("a 2 MiB heap");
    let mut rooted = 0usize;
    let error = loop {
        match heap.allocate(Tag(1), 1, 16) {
            Ok(obj) => {
                heap.push_root(Some(obj));
                rooted += 1;
                assert!(rooted <= limit / 16, "{rooted} objects fit in {limit} bytes");
            }
            Err(e) => break e,
        }
    };
    match error.kind() {
        AllocErrorKind::HeapExhausted { limit: l, .. } => assert_eq!(*l, limit),
        other => panic!("expected HeapExhausted, got {other:?}"),
    }
    assert!(error.to_string().contains("heap exhausted"), "{error}");
    heap.verify().expect("consistent after exhaustion");
    assert_eq!(heap.root_depth(), rooted);
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects(), rooted, "exhaustion freed nothing rooted");
    heap.truncate_roots(0);
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.live_objects(), 0);
    heap.allocate(Tag(1), 1, 16).expect("allocation works again after the roots are dropped");
    let big = heap.allocate(Tag(1), 0, 2 * limit);
    assert!(
        matches!(&big, Err(e) if e.is_heap_exhausted() || e.is_too_large()),
        "an object larger than the limit: {big:?}"
    );
    heap.verify().expect("consistent");
}

/// An object whose size cannot be represented gives `AllocErrorKind::TooLarge` ("object too
/// large"), not a panic.
pub fn object_too_large<H: Heap>() {
    let mut heap: H = make();
    let slots = u32::MAX as usize + 1;
    match heap.allocate(Tag(1), slots, 0) {
        Err(e) if e.is_too_large() => {
            assert!(e.to_string().contains("object too large"), "{e}")
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert!(matches!(heap.allocate(Tag(1), 0, usize::MAX), Err(e) if e.is_too_large()));
    heap.verify().expect("consistent");
}

/// A configuration with a bad field gives `Err(ConfigError)` naming that field.
pub fn bad_config<H: Heap>() {
    let cases = [
        (HeapConfig::default().growth_factor(0.5), "growth_factor"),
        (HeapConfig::default().growth_factor(f64::NAN), "growth_factor"),
        (HeapConfig::default().initial_trigger(0), "initial_trigger"),
        (HeapConfig::default().heap_limit(MIN_HEAP_LIMIT - 1), "heap_limit"),
        (HeapConfig::default().heap_limit(usize::MAX), "heap_limit"),
    ];
    for (config, field) in cases {
        match H::with_config(config.clone()) {
            Ok(_) => panic!("{}: {config:?} was accepted", H::NAME),
            Err(e) => {
                assert_eq!(e.field, field, "{config:?}");
                assert!(e.to_string().contains(field), "{e}");
            }
        }
    }
}
