//! The conformance suite (`gclab-conformance`) on every backend enabled by cargo features:
//! random mutator programs checked step by step against a reference model, and deep, wide
//! and cyclic structures. `GCLAB_PROPTEST_CASES` sets the number of random programs
//! (default 1,000 per property).

#[cfg(feature = "marksweep")]
gclab_conformance::conformance_suite!(marksweep, gclab::MarkSweepHeap);

#[cfg(feature = "refcount")]
gclab_conformance::conformance_suite!(refcount, gclab::RefcountHeap);

/// The refcount backend's cycle detector runs by allocation thresholds (2,000 by default),
/// which short programs never reach: run them again with every generation's threshold at 1.
#[cfg(feature = "refcount")]
#[test]
fn refcount_random_programs_with_eager_cycle_detection() {
    use gclab::{RefcountConfig, RefcountHeap};
    let make = || {
        let config = RefcountConfig {
            heap: gclab_conformance::small_config(),
            thresholds: [1, 1, 1],
            ..RefcountConfig::default()
        };
        RefcountHeap::with_backend_config(config)
    };
    let report = gclab_conformance::check_random_programs_made_by(make, gclab_conformance::cases());
    assert!(report.automatic_collections > 0, "the cycle detector never ran on its own: {report:?}");
}
