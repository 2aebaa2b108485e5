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

#[cfg(feature = "generational")]
gclab_conformance::safety_suite!(generational, gclab::GenerationalHeap);

#[cfg(feature = "concurrent")]
gclab_conformance::safety_suite!(concurrent, gclab::ConcurrentHeap);

/// The no-GC baseline never frees, so the checks that free an object and expect it gone
/// (stale and reused references, exhaustion then recovery) do not apply; the others do.
#[cfg(feature = "nogc")]
mod nogc {
    use gclab_conformance::safety;

    #[test]
    fn foreign_reference() {
        safety::foreign_reference::<gclab::NoGcHeap>();
    }

    #[test]
    fn slot_index_out_of_bounds() {
        safety::slot_out_of_bounds::<gclab::NoGcHeap>();
    }

    #[test]
    fn root_index_out_of_bounds() {
        safety::root_out_of_bounds::<gclab::NoGcHeap>();
    }

    #[test]
    fn root_stack_underflow() {
        safety::root_stack_underflow::<gclab::NoGcHeap>();
    }

    #[test]
    fn object_too_large_is_an_error() {
        safety::object_too_large::<gclab::NoGcHeap>();
    }

    #[test]
    fn bad_config_names_the_field() {
        safety::bad_config::<gclab::NoGcHeap>();
    }
}

/// With `--features checked`, references carry sequence numbers that the heap checks.
#[cfg(all(feature = "checked", feature = "marksweep"))]
#[test]
fn checked_feature_turns_on_sequence_numbers() {
    assert!(gclab_conformance::safety::checks_sequence_numbers::<gclab::DefaultHeap>());
}
