//! The macros that turn the suite on for a backend: one line each.

/// Expands to a module `$name` of `#[test]` functions running the conformance suite on the
/// heap type `$heap`: random mutator programs checked against the model
/// ([`check_random_programs`](crate::check_random_programs)), and the deep, wide and cyclic
/// structures of [`structures`](crate::structures).
///
/// The configuration defaults to [`small_config()`](crate::small_config); a third argument,
/// an expression of type `HeapConfig`, replaces it.
///
/// ```ignore
/// gclab_conformance::conformance_suite!(marksweep, gclab::MarkSweepHeap);
/// gclab_conformance::conformance_suite!(
///     marksweep_tiny_trigger,
///     gclab::MarkSweepHeap,
///     gclab::HeapConfig::default().heap_limit(64 << 20).initial_trigger(1024)
/// );
/// ```
#[macro_export]
macro_rules! conformance_suite {
    ($name:ident, $heap:ty $(,)?) => {
        $crate::conformance_suite!($name, $heap, $crate::small_config());
    };
    ($name:ident, $heap:ty, $config:expr $(,)?) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn config() -> $crate::__core::HeapConfig {
                $config
            }

            #[test]
            fn random_programs_match_the_model() {
                $crate::check_random_programs::<$heap>(config());
            }

            #[test]
            fn random_programs_under_collection_stress() {
                $crate::check_random_programs::<$heap>($crate::stress_config(config()));
            }

            #[test]
            fn deep_list_of_a_million_nodes() {
                $crate::structures::deep_list::<$heap>(config(), 1_000_000);
            }

            #[test]
            fn deep_list_appended_old_to_young() {
                $crate::structures::deep_list_appended::<$heap>(config(), 1_000_000);
            }

            #[test]
            fn wide_object_of_100_000_slots() {
                $crate::structures::wide_object::<$heap>(config(), 100_000);
            }

            #[test]
            fn garbage_cycles_are_freed() {
                $crate::structures::cycle_garbage::<$heap>(config(), 2_000);
            }

            #[test]
            fn self_references() {
                $crate::structures::self_references::<$heap>(config());
            }

            #[test]
            fn garbage_never_exhausts_a_small_heap() {
                $crate::structures::garbage_churn::<$heap>(config(), 16 << 20, 256 << 20);
            }
        }
    };
}

/// Expands to a module `$name` of `#[test]` functions, one per mutator mistake of
/// [`safety`](crate::safety), each checking that the heap type `$heap` names the mistake.
///
/// The reused-reference test detects the reuse only when the `checked` feature of
/// `gclab-core` is on (`cargo test --features checked` in gclab); without it, it checks the
/// documented fallback (see [`safety::reused_reference`](crate::safety::reused_reference)).
///
/// ```ignore
/// gclab_conformance::safety_suite!(marksweep, gclab::MarkSweepHeap);
/// ```
#[macro_export]
macro_rules! safety_suite {
    ($name:ident, $heap:ty $(,)?) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn stale_reference_after_collection() {
                $crate::safety::stale_reference::<$heap>();
            }

            #[test]
            fn reference_to_a_reused_cell() {
                $crate::safety::reused_reference::<$heap>();
            }

            #[test]
            fn foreign_reference() {
                $crate::safety::foreign_reference::<$heap>();
            }

            #[test]
            fn slot_index_out_of_bounds() {
                $crate::safety::slot_out_of_bounds::<$heap>();
            }

            #[test]
            fn store_into_an_immutable_object() {
                $crate::safety::store_into_immutable::<$heap>();
            }

            #[test]
            fn root_index_out_of_bounds() {
                $crate::safety::root_out_of_bounds::<$heap>();
            }

            #[test]
            fn root_stack_underflow() {
                $crate::safety::root_stack_underflow::<$heap>();
            }

            #[test]
            fn heap_exhausted_is_an_error() {
                $crate::safety::heap_exhausted::<$heap>();
            }

            #[test]
            fn object_too_large_is_an_error() {
                $crate::safety::object_too_large::<$heap>();
            }

            #[test]
            fn bad_config_names_the_field() {
                $crate::safety::bad_config::<$heap>();
            }
        }
    };
}

/// Expands to a module `$name` of `#[test]` functions checking heap limits on a pool backend
/// ([`limits`](crate::limits)): long random programs under each limit of `limits` (an array
/// of byte counts), `steps` ops each (`GCLAB_LONG_PROGRAMS`, `GCLAB_LONG_STEPS` and
/// `GCLAB_LONG_SEED` run more), and the hand-made programs of issue 8. `$backend` is an
/// expression of type [`limits::Backend<$heap>`](crate::limits::Backend): how to make the
/// heap (a pool geometry, say), its own `heap_bytes` figure, and its
/// [`Footprint`](crate::limits::Footprint).
///
/// ```ignore
/// use gclab_conformance::limits::{Backend, Footprint};
/// gclab_conformance::limits_suite!(
///     marksweep_limits,
///     gclab::MarkSweepHeap,
///     Backend::new("marksweep", gclab::MarkSweepHeap::heap_bytes, Footprint::DEFAULT_POOLS),
///     limits: [3 << 20, 8 << 20],
///     steps: 5_000,
/// );
/// ```
#[macro_export]
macro_rules! limits_suite {
    ($name:ident, $heap:ty, $backend:expr, limits: $limits:expr, steps: $steps:expr $(,)?) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn backend() -> $crate::limits::Backend<$heap> {
                $backend
            }

            #[test]
            fn long_programs_under_tight_limits() {
                let plan = $crate::limits::LongPrograms::from_env(&$limits, $steps);
                $crate::limits::check_long_programs(&backend(), &plan);
            }

            #[test]
            fn new_classes_after_decommit_and_a_large_object() {
                $crate::limits::new_classes_after_decommit_and_a_large_object(&backend());
            }

            #[test]
            fn large_request_in_a_nearly_empty_heap() {
                $crate::limits::large_request_in_a_nearly_empty_heap(&backend());
            }

            #[test]
            fn free_pools_returned_before_refusing() {
                $crate::limits::free_pools_returned_before_refusing(&backend());
            }

            #[test]
            fn stats_after_a_refused_large_request() {
                $crate::limits::stats_after_a_refused_large_request(&backend());
            }

            #[test]
            fn stats_follow_a_new_class_into_a_free_pool() {
                $crate::limits::stats_follow_a_new_class_into_a_free_pool(&backend());
            }
        }
    };
}
