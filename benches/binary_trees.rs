//! binary-trees on every enabled backend beside the same program over `Box` (the malloc
//! baseline), over `Rc<RefCell<_>>` (counting without cycle collection) and over `Rc<Node>`
//! (immutable counted nodes, as the heap version's), in one criterion group so the ratios are
//! measured in one run.
//!
//! `cargo bench --bench binary_trees`; throughput is tree nodes allocated per second. Each
//! iteration is a whole run of the program on a fresh heap, output discarded.

use std::io;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::BenchmarkGroup;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use gclab::Heap;
use gclab_workloads::baseline;
use gclab_workloads::binary_trees::{binary_trees, expected_checksum};

/// The depths run: a quick one and the headline one.
const DEPTHS: [u32; 2] = [14, 18];

fn binary_trees_group(c: &mut Criterion) {
    let mut group = c.benchmark_group("binary-trees");
    // A run at depth 18 takes seconds: one run per sample, ten samples.
    group.sampling_mode(SamplingMode::Flat).sample_size(10).measurement_time(Duration::from_secs(20));
    for depth in DEPTHS {
        let nodes = expected_checksum(depth);
        group.throughput(Throughput::Elements(nodes));
        #[cfg(feature = "marksweep")]
        bench_heap::<gclab::MarkSweepHeap>(&mut group, depth, nodes);
        #[cfg(feature = "refcount")]
        bench_heap::<gclab::RefcountHeap>(&mut group, depth, nodes);
        #[cfg(feature = "generational")]
        bench_heap::<gclab::GenerationalHeap>(&mut group, depth, nodes);
        group.bench_with_input(BenchmarkId::new("box", depth), &depth, |b, &n| {
            b.iter(|| {
                let checksum = baseline::binary_trees(n, &mut io::sink()).expect("runs");
                assert_eq!(checksum, nodes);
            });
        });
        group.bench_with_input(BenchmarkId::new("rc-refcell", depth), &depth, |b, &n| {
            b.iter(|| {
                let checksum = baseline::rc::binary_trees(n, &mut io::sink()).expect("runs");
                assert_eq!(checksum, nodes);
            });
        });
        group.bench_with_input(BenchmarkId::new("rc-immutable", depth), &depth, |b, &n| {
            b.iter(|| {
                let checksum = baseline::rc_immutable::binary_trees(n, &mut io::sink()).expect("runs");
                assert_eq!(checksum, nodes);
            });
        });
    }
    group.finish();
}

/// One run of the program per iteration, on a fresh heap of type `H` with default settings.
#[allow(dead_code)]
fn bench_heap<H: Heap>(group: &mut BenchmarkGroup<'_, WallTime>, depth: u32, nodes: u64) {
    group.bench_with_input(BenchmarkId::new(H::NAME, depth), &depth, |b, &n| {
        b.iter(|| {
            let mut heap = H::new();
            let checksum = binary_trees(&mut heap, n, &mut io::sink()).expect("runs");
            assert_eq!(checksum, nodes);
        });
    });
}

criterion_group!(benches, binary_trees_group);
criterion_main!(benches);
