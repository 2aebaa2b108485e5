//! The conformance suite (`gclab-conformance`) on every backend enabled by cargo features:
//! random mutator programs checked step by step against a reference model, and deep, wide
//! and cyclic structures. `GCLAB_PROPTEST_CASES` sets the number of random programs
//! (default 1,000 per property).
//!
//! Then heap limits (`gclab_conformance::limits`): long random programs (10,000 ops) under
//! limits of 1 to 8 MiB, on 4 KiB pools in 64 and 128 KiB arenas and on the default geometry,
//! checked after every op (`heap_bytes <= limit`, statistics equal to the backend's figure,
//! every `HeapExhausted` proved honest), and the hand-made programs of issue 8.
//! `GCLAB_LONG_PROGRAMS` (programs per limit, default 1), `GCLAB_LONG_STEPS` and
//! `GCLAB_LONG_SEED` run more.

#[cfg(feature = "marksweep")]
gclab_conformance::conformance_suite!(marksweep, gclab::MarkSweepHeap);

#[cfg(feature = "refcount")]
gclab_conformance::conformance_suite!(refcount, gclab::RefcountHeap);

#[cfg(feature = "concurrent")]
gclab_conformance::conformance_suite!(concurrent, gclab::ConcurrentHeap);

/// The concurrent backend in stress mode (a cycle nearly always in progress, final
/// handshakes attempted at random allocations and stores) with the checkmark oracle at every
/// final handshake: every random program, checked against the model after every step.
#[cfg(feature = "concurrent")]
#[test]
fn concurrent_random_programs_in_stress_mode_with_checkmark() {
    use gclab::{ConcurrentConfig, ConcurrentHeap};
    let make = || {
        ConcurrentHeap::with_backend_config(ConcurrentConfig {
            heap: gclab_conformance::small_config(),
            stress: true,
            checkmark: true,
            ..ConcurrentConfig::default()
        })
    };
    let report = gclab_conformance::check_random_programs_made_by(make, gclab_conformance::cases());
    assert!(report.automatic_collections > 0, "no cycle completed on its own: {report:?}");
}

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

// Heap limits (gclab_conformance::limits): long random programs under tight limits, and the
// hand-made programs of issue 8, on small pool geometries and the default one.

#[allow(unused_imports)]
use gclab_conformance::limits::{Backend, Footprint};

/// The smallest pools `PoolConfig` accepts (a page), which serve objects up to 4 KiB; larger
/// ones go to the large-object space.
#[allow(dead_code)]
const SMALL_POOLS: Footprint = Footprint::Pools { pool_bytes: 4 << 10, max_small_bytes: 4 << 10 };

#[allow(dead_code)]
fn small_pools(arena_bytes: usize) -> gclab::backend::PoolConfig {
    gclab::backend::PoolConfig { arena_bytes, pool_bytes: 4 << 10, max_object_bytes: 4 << 10 }
}

#[cfg(feature = "marksweep")]
gclab_conformance::limits_suite!(
    marksweep_limits_4k_pools_64k_arenas,
    gclab::MarkSweepHeap,
    Backend::new("marksweep, 4 KiB pools, 64 KiB arenas", gclab::MarkSweepHeap::heap_bytes, SMALL_POOLS).made_by(
        |heap| gclab::MarkSweepHeap::with_backend_config(gclab::MarkSweepConfig { heap, pools: small_pools(64 << 10) })
    ),
    limits: [1 << 20, 3 << 19, (2 << 20) - 12_345],
    steps: 10_000,
);

#[cfg(feature = "marksweep")]
gclab_conformance::limits_suite!(
    marksweep_limits_4k_pools_128k_arenas,
    gclab::MarkSweepHeap,
    Backend::new("marksweep, 4 KiB pools, 128 KiB arenas", gclab::MarkSweepHeap::heap_bytes, SMALL_POOLS).made_by(
        |heap| gclab::MarkSweepHeap::with_backend_config(gclab::MarkSweepConfig { heap, pools: small_pools(128 << 10) })
    ),
    limits: [1 << 20, 2 << 20],
    steps: 10_000,
);

#[cfg(feature = "marksweep")]
gclab_conformance::limits_suite!(
    marksweep_limits_default_pools,
    gclab::MarkSweepHeap,
    Backend::new("marksweep, default pools", gclab::MarkSweepHeap::heap_bytes, Footprint::DEFAULT_POOLS),
    limits: [7 << 19, 8 << 20],
    steps: 10_000,
);

#[cfg(feature = "refcount")]
gclab_conformance::limits_suite!(
    refcount_limits_4k_pools_64k_arenas,
    gclab::RefcountHeap,
    Backend::new("refcount, 4 KiB pools, 64 KiB arenas", gclab::RefcountHeap::heap_bytes, SMALL_POOLS).made_by(
        |heap| gclab::RefcountHeap::with_backend_config(gclab::RefcountConfig {
            heap,
            pools: small_pools(64 << 10),
            ..gclab::RefcountConfig::default()
        })
    ),
    limits: [1 << 20, 3 << 19, (2 << 20) - 12_345],
    steps: 10_000,
);

#[cfg(feature = "refcount")]
gclab_conformance::limits_suite!(
    refcount_limits_4k_pools_128k_arenas,
    gclab::RefcountHeap,
    Backend::new("refcount, 4 KiB pools, 128 KiB arenas", gclab::RefcountHeap::heap_bytes, SMALL_POOLS).made_by(
        |heap| gclab::RefcountHeap::with_backend_config(gclab::RefcountConfig {
            heap,
            pools: small_pools(128 << 10),
            ..gclab::RefcountConfig::default()
        })
    ),
    limits: [1 << 20, 2 << 20],
    steps: 10_000,
);

#[cfg(feature = "refcount")]
gclab_conformance::limits_suite!(
    refcount_limits_default_pools,
    gclab::RefcountHeap,
    Backend::new("refcount, default pools", gclab::RefcountHeap::heap_bytes, Footprint::DEFAULT_POOLS),
    limits: [7 << 19, 8 << 20],
    steps: 10_000,
);

#[cfg(feature = "concurrent")]
gclab_conformance::limits_suite!(
    concurrent_limits_4k_pools_64k_arenas,
    gclab::ConcurrentHeap,
    Backend::new("concurrent, 4 KiB pools, 64 KiB arenas", gclab::ConcurrentHeap::heap_bytes, SMALL_POOLS).made_by(
        |heap| gclab::ConcurrentHeap::with_backend_config(gclab::ConcurrentConfig {
            heap,
            pools: small_pools(64 << 10),
            ..gclab::ConcurrentConfig::default()
        })
    ),
    limits: [1 << 20, 3 << 19, (2 << 20) - 12_345],
    steps: 10_000,
);

#[cfg(feature = "concurrent")]
gclab_conformance::limits_suite!(
    concurrent_limits_default_pools,
    gclab::ConcurrentHeap,
    Backend::new("concurrent, default pools", gclab::ConcurrentHeap::heap_bytes, Footprint::DEFAULT_POOLS),
    limits: [7 << 19, 8 << 20],
    steps: 10_000,
);

/// The no-GC baseline never frees: long programs run it out of room early, and every refusal
/// must come with everything ever allocated plus the request over the limit.
#[cfg(feature = "nogc")]
#[test]
fn nogc_long_programs_under_tight_limits() {
    let backend = Backend::new("nogc", gclab::NoGcHeap::heap_bytes, Footprint::Bump);
    let plan = gclab_conformance::limits::LongPrograms::from_env(&[1 << 20, 2 << 20], 10_000);
    gclab_conformance::limits::check_long_programs(&backend, &plan);
}

/// Issue 8, limit item 4: pools under a page (1 and 2 KiB) were accepted, then panicked at the
/// first full collection that returned free pools to the system ("decommit of unaligned
/// range"), leaving the space's counts inconsistent. `PoolConfig::validate` refuses them,
/// naming `pool_bytes`, and so does each backend's constructor; 4 KiB pools (the suites
/// above) work.
#[test]
fn pools_under_a_page_are_refused_by_name() {
    use gclab::backend::PoolConfig;
    for pool_bytes in [1 << 10, 2 << 10] {
        let pools = PoolConfig { arena_bytes: 64 << 10, pool_bytes, max_object_bytes: 512 };
        let error = pools.validate().expect_err("pools under a page are refused");
        assert_eq!(error.field, "pool_bytes", "{error}");
        assert!(error.to_string().contains("pool_bytes"), "{error}");
        #[allow(unused_variables)]
        let heap = gclab::HeapConfig::default().heap_limit(1 << 20);
        #[cfg(feature = "marksweep")]
        {
            let config = gclab::MarkSweepConfig { heap: heap.clone(), pools: pools.clone() };
            let error = gclab::MarkSweepHeap::with_backend_config(config).expect_err("marksweep refuses them");
            assert_eq!(error.field, "pool_bytes", "{error}");
        }
        #[cfg(feature = "refcount")]
        {
            let config = gclab::RefcountConfig { heap: heap.clone(), pools, ..gclab::RefcountConfig::default() };
            let error = gclab::RefcountHeap::with_backend_config(config).expect_err("refcount refuses them");
            assert_eq!(error.field, "pool_bytes", "{error}");
        }
    }
}

/// Found by the limit checks, not fixed here (the no-GC plan and the bump space are not this
/// suite's): the bump space hands out up to the limit rounded up to a page and counts every
/// page its cursor reached, so under a limit that is not a whole number of pages the no-GC
/// heap ends up holding up to a page more than its limit (`verify()` then fails). Run with
/// `--ignored` once that is fixed.
#[cfg(feature = "nogc")]
#[test]
fn nogc_long_programs_under_limits_that_are_not_whole_pages() {
    let backend = Backend::new("nogc", gclab::NoGcHeap::heap_bytes, Footprint::Bump);
    let plan = gclab_conformance::limits::LongPrograms::from_env(&[(1 << 20) + 16, (2 << 20) - 12_345], 10_000);
    gclab_conformance::limits::check_long_programs(&backend, &plan);
}
