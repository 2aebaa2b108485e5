//! Heap ids are recycled when heaps are dropped, and never shared by two live heaps. Alone in
//! its test binary because it takes every id.

use gclab_core::HeapId;

#[test]
// Takes all 65,535 ids one by one: over five minutes under Miri, for a registry with no unsafe code.
#[cfg_attr(miri, ignore)]
fn live_ids_are_distinct_recycled_after_drop_and_refused_when_exhausted() {
    let a = HeapId::take().unwrap();
    let b = HeapId::take().unwrap();
    assert_ne!(a.get(), b.get());
    assert_ne!(a.get(), 0);
    let freed = a.get();
    drop(a);
    let mut held = vec![b];
    while let Ok(id) = HeapId::take() {
        held.push(id);
    }
    assert_eq!(held.len(), 65_535, "every non-zero id can be held");
    assert!(held.iter().any(|id| id.get() == freed), "a dropped heap's id is reused");
    let mut seen = std::collections::HashSet::new();
    assert!(held.iter().all(|id| seen.insert(id.get())), "no id is held twice");
    let err = HeapId::take().unwrap_err();
    assert!(err.to_string().contains("65,535 heaps are alive"), "{err}");
    assert!(gclab_core::ObjectMemory::new(1 << 20).is_err(), "no heap can be made while every id is held");
    held.pop();
    assert!(gclab_core::ObjectMemory::new(1 << 20).is_ok(), "dropping a heap frees its id");
}
