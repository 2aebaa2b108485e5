//! Running a workload on one heap type and measuring it.

use std::fmt;
use std::io::Write;
use std::time::Instant;

use gclab::{CollectionKind, ConfigError, Heap, HeapConfig};
use gclab_workloads::{WorkloadError, WorkloadId};

use crate::backend::Backend;
use crate::report::{RunFacts, RunReport};
use crate::rss::peak_rss_bytes;

/// Why a run failed.
#[derive(Debug)]
pub enum RunError {
    /// The heap configuration was refused (a usage error: exit code 2).
    Config(ConfigError),
    /// The workload failed (a bad size, an exhausted heap, an output error).
    Workload(WorkloadError),
}

impl RunError {
    /// Whether the user asked for something impossible (exit code 2), rather than the run
    /// failing (exit code 1).
    pub fn is_usage_error(&self) -> bool {
        matches!(self, RunError::Config(_) | RunError::Workload(WorkloadError::BadSize(_)))
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Config(e) => e.fmt(f),
            RunError::Workload(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for RunError {}

impl From<ConfigError> for RunError {
    fn from(e: ConfigError) -> Self {
        RunError::Config(e)
    }
}

impl From<WorkloadError> for RunError {
    fn from(e: WorkloadError) -> Self {
        RunError::Workload(e)
    }
}

/// The size `workload` really runs at when asked for `size`: binary-trees runs at least at
/// depth `MIN_DEPTH + 2` (the Benchmarks Game program's rule), so its size 1 is depth 6;
/// every other workload runs at the size asked. Reports carry this size.
///
/// ```
/// use gclab_cli::runner::effective_size;
/// use gclab_workloads::WorkloadId;
/// assert_eq!(effective_size(WorkloadId::BinaryTrees, 1), 6);
/// assert_eq!(effective_size(WorkloadId::BinaryTrees, 18), 18);
/// assert_eq!(effective_size(WorkloadId::Churn, 1), 1);
/// ```
pub fn effective_size(workload: WorkloadId, size: u32) -> u32 {
    match workload {
        WorkloadId::BinaryTrees => gclab_workloads::binary_trees::max_depth(size),
        _ => size,
    }
}

/// Makes a heap of type `H` with `config`, runs `workload` of `size` on it writing the
/// workload's output to `out`, and reports what was measured. The wall time covers the
/// workload only, not making or dropping the heap.
pub fn run_on<H: Heap, W: Write>(
    backend: Backend,
    config: HeapConfig,
    workload: WorkloadId,
    size: u32,
    out: &mut W,
) -> Result<RunReport, RunError> {
    workload.info().check_size(size).map_err(WorkloadError::from)?;
    let mut heap = H::with_config(config.clone())?;
    let started = Instant::now();
    let checksum = workload.run(&mut heap, size, out)?;
    let wall = started.elapsed();
    let live_objects_at_end = heap.live_objects() as u64;
    let mut report = RunReport::new(
        RunFacts {
            backend: backend.name(),
            workload: workload.name(),
            size: effective_size(workload, size),
            config: &config,
            wall,
            live_objects_at_end,
            checksum,
            started: started.duration_since(heap.stats().created),
            heap_end_bytes: 0,
            peak_rss_bytes: 0,
        },
        heap.stats(),
    );
    // Exact now, also where the statistics count allocation in bulk (a nursery's).
    let allocated = heap.allocated();
    report.allocated_objects = allocated.objects;
    report.allocated_bytes = allocated.bytes;
    report.heap_end_bytes = bytes_in_objects_now(&mut heap);
    report.peak_rss_bytes = peak_rss_bytes();
    Ok(report)
}

/// Bytes in objects now, live or not yet freed: the `bytes_before` of the first pause a full
/// collection run for the purpose logs (after the report's figures were taken), or the bytes
/// allocated on a heap that does not collect.
///
/// On refcount that first pause is usually a free burst: the collection first releases the
/// references the workload popped last (a popped reference counts until the next allocation or
/// collection), and a burst's `bytes_before` is read before its first free. When that release
/// frees too little to be a burst (under 50 µs), its bytes are missing from this figure.
fn bytes_in_objects_now<H: Heap>(heap: &mut H) -> u64 {
    let logged = heap.stats().pauses.len();
    heap.collect(CollectionKind::Full);
    match heap.stats().pauses.get(logged) {
        Some(pause) => pause.bytes_before as u64,
        None => heap.allocated().bytes,
    }
}
