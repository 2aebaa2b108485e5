//! The generational backend's eden size, measured: binary-trees (depth 16 and 18) and GCBench
//! on eden sizes from 1 to 128 MiB, in one criterion group so the default
//! (`gclab_generational::DEFAULT_NURSERY_BYTES`) is chosen on evidence.
//!
//! A second group compares tenuring policies at the default eden.
//!
//! `cargo bench --bench nursery`.

use std::io;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use gclab::{GenerationalConfig, GenerationalHeap};
use gclab_workloads::binary_trees::{binary_trees, expected_checksum};
use gclab_workloads::WorkloadId;

const EDEN_MIB: [usize; 8] = [1, 2, 4, 8, 16, 32, 64, 128];

fn heap(eden_mib: usize) -> GenerationalHeap {
    GenerationalHeap::with_backend_config(GenerationalConfig { nursery_bytes: eden_mib << 20, ..Default::default() })
        .expect("valid")
}

fn nursery_group(c: &mut Criterion) {
    let mut group = c.benchmark_group("nursery");
    group.sampling_mode(SamplingMode::Flat).sample_size(10).measurement_time(Duration::from_secs(10));
    for depth in [16u32, 18] {
        for mib in EDEN_MIB {
            group.bench_with_input(BenchmarkId::new(format!("binary-trees-{depth}"), mib), &mib, |b, &mib| {
                b.iter(|| {
                    let mut heap = heap(mib);
                    assert_eq!(
                        binary_trees(&mut heap, depth, &mut io::sink()).expect("runs"),
                        expected_checksum(depth)
                    );
                });
            });
        }
    }
    for mib in EDEN_MIB {
        group.bench_with_input(BenchmarkId::new("gcbench", mib), &mib, |b, &mib| {
            b.iter(|| {
                let mut heap = heap(mib);
                let size = WorkloadId::GcBench.info().default_size;
                WorkloadId::GcBench.run(&mut heap, size, &mut io::sink()).expect("runs");
            });
        });
    }
    group.finish();
}

/// The tenuring policy at the default eden: HotSpot's adaptive threshold (capped at 15)
/// against fixed thresholds.
fn tenuring_group(c: &mut Criterion) {
    let mut group = c.benchmark_group("tenuring");
    group.sampling_mode(SamplingMode::Flat).sample_size(10).measurement_time(Duration::from_secs(10));
    let policies: [(&str, u8, bool); 4] =
        [("adaptive", 15, true), ("fixed-1", 1, false), ("fixed-4", 4, false), ("fixed-15", 15, false)];
    for (name, tenuring_age, adaptive_tenuring) in policies {
        let make = || {
            GenerationalHeap::with_backend_config(GenerationalConfig {
                tenuring_age,
                adaptive_tenuring,
                ..Default::default()
            })
            .expect("valid")
        };
        group.bench_function(BenchmarkId::new("binary-trees-18", name), |b| {
            b.iter(|| {
                let mut heap = make();
                assert_eq!(binary_trees(&mut heap, 18, &mut io::sink()).expect("runs"), expected_checksum(18));
            });
        });
        group.bench_function(BenchmarkId::new("gcbench", name), |b| {
            b.iter(|| {
                let mut heap = make();
                let size = WorkloadId::GcBench.info().default_size;
                WorkloadId::GcBench.run(&mut heap, size, &mut io::sink()).expect("runs");
            });
        });
    }
    group.finish();
}

criterion_group!(benches, nursery_group, tenuring_group);
criterion_main!(benches);
