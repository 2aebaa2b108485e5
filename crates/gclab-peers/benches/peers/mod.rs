//! What the two peer benches (`peers_binary_trees`, `peers_cycles`) share: how their criterion
//! group is configured and how one implementation of a program is measured.
//!
//! Every implementation of a program is a plain function `fn(size, out) -> checksum`; a bench
//! runs it once per iteration and asserts the checksum, so an implementation that skips work
//! fails loudly instead of looking fast. Before anything is measured, [`check_programs`] runs
//! every implementation once at a small size and compares its output with the reference's.

use std::io::Write;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput};

/// One implementation of a program: runs it at `size`, writes its output to `out`, returns
/// its checksum. Output goes through `dyn Write`: a handful of lines per run, nothing hot.
pub type Program = fn(u32, &mut dyn Write) -> u64;

/// An implementation and the name it is reported under.
pub struct Entry {
    /// The name in criterion's report and in docs/performance.md.
    pub name: &'static str,
    /// The implementation.
    pub run: Program,
}

/// A group for whole-program runs: flat sampling (every sample the same number of runs),
/// `samples` samples in about `measurement` after a 2-second warm-up.
pub fn program_group<'c>(
    c: &'c mut Criterion,
    name: &str,
    samples: usize,
    measurement: Duration,
) -> BenchmarkGroup<'c, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(samples)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(measurement);
    group
}

/// Runs every entry once at `size`, checks that its checksum is `expected` and that it prints
/// exactly what `reference` prints; panics naming the first that does not.
pub fn check_programs(entries: &[Entry], reference: &str, size: u32, expected: u64) {
    for entry in entries {
        let mut out = Vec::new();
        let checksum = (entry.run)(size, &mut out);
        assert_eq!(checksum, expected, "{}: wrong checksum at size {size}", entry.name);
        let text = String::from_utf8(out).expect("the output is UTF-8");
        assert_eq!(text, reference, "{}: wrong output at size {size}", entry.name);
    }
}

/// Measures `entry` at `size`: one whole run per iteration, output discarded, checksum
/// asserted. Throughput is `elements` per run.
pub fn bench_entry(group: &mut BenchmarkGroup<'_, WallTime>, entry: &Entry, size: u32, expected: u64, elements: u64) {
    group.throughput(Throughput::Elements(elements));
    group.bench_with_input(BenchmarkId::new(entry.name, size), &size, |b, &n| {
        b.iter(|| {
            let checksum = (entry.run)(n, &mut std::io::sink());
            assert_eq!(checksum, expected, "{}: wrong checksum", entry.name);
        });
    });
}
