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

#[cfg(feature = "generational")]
gclab_conformance::conformance_suite!(generational, gclab::GenerationalHeap);

/// The generational backend under stress: a nursery of a few objects (256 bytes of eden, so
/// nearly every allocation runs a minor collection), with every survivor promoted at once
/// (tenuring age 0), after one minor collection (1), or kept as long as the survivor spaces
/// allow (15), the random programs' explicit minor and full collections interleaved.
/// `verify()` runs after every step: remembered set, forwarding state, to-space.
#[cfg(feature = "generational")]
mod generational_stress {
    use gclab::{GenerationalConfig, GenerationalHeap};

    fn stressed(tenuring_age: u8, survivor_ratio: usize) {
        let make = || {
            GenerationalHeap::with_backend_config(GenerationalConfig {
                heap: gclab_conformance::small_config(),
                nursery_bytes: 256,
                survivor_ratio,
                tenuring_age,
                adaptive_tenuring: false,
                ..GenerationalConfig::default()
            })
        };
        let report = gclab_conformance::check_random_programs_made_by(make, gclab_conformance::cases());
        assert!(
            report.automatic_collections > report.steps / 10,
            "a 256-byte nursery should collect every few allocations: {report:?}"
        );
    }

    #[test]
    fn tiny_nursery_promoting_at_once() {
        stressed(0, 1);
    }

    #[test]
    fn tiny_nursery_tenuring_age_1() {
        stressed(1, 1);
    }

    #[test]
    fn tiny_nursery_tenuring_age_15() {
        stressed(15, 1);
    }

    #[test]
    fn tiny_nursery_tiny_survivor_spaces() {
        // 32-byte survivor spaces: almost every survivor overflows into the old space.
        stressed(15, 8);
    }
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
/// The generational heap under the same limits, with a 64 KiB eden (two 8 KiB survivor
/// spaces: 80 KiB held for the heap's life) in front of the same pool geometries.
#[cfg(feature = "generational")]
const NURSERY_BYTES: usize = 64 << 10;

#[cfg(feature = "generational")]
fn generational(
    heap: gclab::HeapConfig,
    pools: gclab::backend::PoolConfig,
) -> Result<gclab::GenerationalHeap, gclab::ConfigError> {
    gclab::GenerationalHeap::with_backend_config(gclab::GenerationalConfig {
        heap,
        pools,
        nursery_bytes: NURSERY_BYTES,
        ..Default::default()
    })
}

#[cfg(feature = "generational")]
const fn nursery_footprint(pool_bytes: usize, max_small_bytes: usize) -> Footprint {
    Footprint::Nursery { nursery_bytes: NURSERY_BYTES + 2 * NURSERY_BYTES / 8, pool_bytes, max_small_bytes }
}

#[cfg(feature = "generational")]
#[test]
fn generational_nursery_footprint_is_what_a_fresh_heap_holds() {
    let heap = generational(gclab::HeapConfig::default().heap_limit(1 << 20), gclab::backend::PoolConfig::default())
        .expect("valid");
    assert_eq!(
        Footprint::Nursery { nursery_bytes: heap.heap_bytes(), pool_bytes: 16 << 10, max_small_bytes: 8 << 10 },
        nursery_footprint(16 << 10, 8 << 10)
    );
}

/// The limit checks that apply to a nursery: all of `limits_suite!` but
/// `new_classes_after_decommit_and_a_large_object`, whose premise (a small object needs a
/// pool of its class) does not hold when small objects are born in eden.
#[cfg(feature = "generational")]
macro_rules! generational_limits {
    ($name:ident, $backend:expr, limits: $limits:expr) => {
        mod $name {
            use super::*;
            use gclab_conformance::limits;

            fn backend() -> Backend<gclab::GenerationalHeap> {
                $backend
            }

            #[test]
            fn long_programs_under_tight_limits() {
                let plan = limits::LongPrograms::from_env(&$limits, 10_000);
                limits::check_long_programs(&backend(), &plan);
            }

            #[test]
            fn large_request_in_a_nearly_empty_heap() {
                limits::large_request_in_a_nearly_empty_heap(&backend());
            }

            #[test]
            fn free_pools_returned_before_refusing() {
                limits::free_pools_returned_before_refusing(&backend());
            }

            #[test]
            fn stats_after_a_refused_large_request() {
                limits::stats_after_a_refused_large_request(&backend());
            }

            #[test]
            fn stats_follow_a_new_class_into_a_free_pool() {
                limits::stats_follow_a_new_class_into_a_free_pool(&backend());
            }
        }
    };
}

#[cfg(feature = "generational")]
generational_limits!(
    generational_limits_4k_pools_64k_arenas,
    Backend::new(
        "generational, 64 KiB eden, 4 KiB pools, 64 KiB arenas",
        gclab::GenerationalHeap::heap_bytes,
        nursery_footprint(4 << 10, 4 << 10)
    )
    .made_by(|heap| generational(heap, small_pools(64 << 10))),
    limits: [1 << 20, 3 << 19, (2 << 20) - 12_345]
);

#[cfg(feature = "generational")]
generational_limits!(
    generational_limits_default_pools,
    Backend::new(
        "generational, 64 KiB eden, default pools",
        gclab::GenerationalHeap::heap_bytes,
        nursery_footprint(16 << 10, 8 << 10)
    )
    .made_by(|heap| generational(heap, gclab::backend::PoolConfig::default())),
    limits: [7 << 19, 8 << 20]
);

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
