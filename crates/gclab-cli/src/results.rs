//! The report folder's data files: `results.json` (every run with its full report, pause log
//! included) and `results.csv` (one row per run, the headline figures).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::compare::{Comparison, Outcome};
use crate::report::RunReport;

/// What `results.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultsFile {
    /// The gclab version that wrote it.
    pub gclab_version: String,
    /// Whether the workloads ran at their quick sizes.
    pub quick: bool,
    /// The backends compared, in order.
    pub backends: Vec<String>,
    /// The workloads compared, in order.
    pub workloads: Vec<String>,
    /// Workloads whose checksums differ between backends, one message each.
    pub mismatches: Vec<String>,
    /// Every run.
    pub runs: Vec<RunEntry>,
}

/// One run in `results.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunEntry {
    /// The backend's name.
    pub backend: String,
    /// The workload's name.
    pub workload: String,
    /// The workload's size.
    pub size: u32,
    /// `ok`, `did_not_fit` or `failed`.
    pub status: String,
    /// Why it did not finish, if it did not.
    pub error: Option<String>,
    /// Wall time over the fastest backend's on this workload.
    pub ratio_to_best: Option<f64>,
    /// Wall time over the no-GC baseline's on this workload (when that fit).
    pub ratio_to_nogc: Option<f64>,
    /// GC time over wall time.
    pub gc_share: Option<f64>,
    /// The run's report (as `gclab run --json` writes it), if it finished.
    pub report: Option<RunReport>,
}

impl ResultsFile {
    /// The results of a comparison.
    pub fn new(comparison: &Comparison) -> Self {
        let runs = comparison
            .results
            .iter()
            .map(|run| {
                let (status, error, report) = match &run.outcome {
                    Outcome::Ran(report) => ("ok", None, Some((**report).clone())),
                    Outcome::DidNotFit(message) => ("did_not_fit", Some(message.clone()), None),
                    Outcome::Failed(message) => ("failed", Some(message.clone()), None),
                };
                let ratio = |base: Option<f64>| {
                    let wall = report.as_ref()?.wall_ms;
                    base.filter(|&b| b > 0.0).map(|b| wall / b)
                };
                RunEntry {
                    backend: run.backend.clone(),
                    workload: run.workload.clone(),
                    size: run.size,
                    status: status.to_owned(),
                    error,
                    ratio_to_best: ratio(comparison.best_wall_ms(&run.workload)),
                    ratio_to_nogc: ratio(comparison.baseline_wall_ms(&run.workload)),
                    gc_share: report.as_ref().map(|r| if r.wall_ms > 0.0 { r.gc_ms / r.wall_ms } else { 0.0 }),
                    report,
                }
            })
            .collect();
        ResultsFile {
            gclab_version: env!("CARGO_PKG_VERSION").to_owned(),
            quick: comparison.quick,
            backends: comparison.backends().into_iter().map(String::from).collect(),
            workloads: comparison.workloads().into_iter().map(String::from).collect(),
            mismatches: comparison.mismatches(),
            runs,
        }
    }

    /// Writes `results.json` into `dir`.
    pub fn write_json(&self, dir: &Path) -> io::Result<()> {
        let mut file = BufWriter::new(File::create(dir.join("results.json"))?);
        serde_json::to_writer_pretty(&mut file, self)?;
        writeln!(file)?;
        file.flush()
    }

    /// Writes `results.csv` into `dir`: a header, then one row per run (see [`CSV_COLUMNS`]).
    pub fn write_csv(&self, dir: &Path) -> io::Result<()> {
        let mut writer = csv::Writer::from_path(dir.join("results.csv"))?;
        writer.write_record(CSV_COLUMNS)?;
        for run in &self.runs {
            writer.write_record(csv_row(run))?;
        }
        writer.flush()
    }
}

/// The columns of `results.csv`. Times in ms or µs as named; shares and MMU as fractions;
/// empty cells for runs that did not finish; `counters` as `name=value` pairs joined by `;`.
pub const CSV_COLUMNS: [&str; 28] = [
    "backend",
    "workload",
    "size",
    "status",
    "wall_ms",
    "gc_ms",
    "mutator_ms",
    "gc_share",
    "ratio_to_best",
    "ratio_to_nogc",
    "collections",
    "minor_collections",
    "full_collections",
    "pause_p50_us",
    "pause_p90_us",
    "pause_p99_us",
    "pause_max_us",
    "mmu_1ms",
    "mmu_10ms",
    "mmu_100ms",
    "allocated_objects",
    "allocated_bytes",
    "peak_heap_bytes",
    "peak_rss_bytes",
    "live_objects_at_end",
    "checksum",
    "counters",
    "error",
];

fn csv_row(run: &RunEntry) -> Vec<String> {
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    let mut row = vec![run.backend.clone(), run.workload.clone(), run.size.to_string(), run.status.clone()];
    match &run.report {
        Some(r) => row.extend([
            r.wall_ms.to_string(),
            r.gc_ms.to_string(),
            r.mutator_ms.to_string(),
            opt(run.gc_share),
            opt(run.ratio_to_best),
            opt(run.ratio_to_nogc),
            r.collections.to_string(),
            r.minor_collections.to_string(),
            r.full_collections.to_string(),
            r.pause_p50_us.to_string(),
            r.pause_p90_us.to_string(),
            r.pause_p99_us.to_string(),
            r.pause_max_us.to_string(),
            r.mmu_1ms.to_string(),
            r.mmu_10ms.to_string(),
            r.mmu_100ms.to_string(),
            r.allocated_objects.to_string(),
            r.allocated_bytes.to_string(),
            r.peak_heap_bytes.to_string(),
            r.peak_rss_bytes.to_string(),
            r.live_objects_at_end.to_string(),
            r.checksum.to_string(),
            r.counters.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(";"),
        ]),
        None => row.extend(std::iter::repeat_n(String::new(), CSV_COLUMNS.len() - 5)),
    }
    row.push(run.error.clone().unwrap_or_default());
    row
}
