//! Mutator mistakes on every backend enabled by cargo features: each test makes one mistake
//! (a stale, reused or foreign reference, an index out of bounds, a root-stack underflow, an
//! exhausted heap, a bad configuration) and checks that the heap names it, by panic message
//! or error value.
//!
//! A reference to a freed cell that a new object reuses is detected only with sequence
//! numbers: run `cargo test --test safety --features checked` for that check.

#[cfg(feature = "marksweep")]
gclab_conformance::safety_suite!(marksweep, gclab::MarkSweepHeap);

#[cfg(feature = "refcount")]
gclab_conformance::safety_suite!(refcount, gclab::RefcountHeap);

/// With `--features checked`, references carry sequence numbers that the heap checks.
#[cfg(all(feature = "checked", feature = "marksweep"))]
#[test]
fn checked_feature_turns_on_sequence_numbers() {
    assert!(gclab_conformance::safety::checks_sequence_numbers::<gclab::DefaultHeap>());
}
