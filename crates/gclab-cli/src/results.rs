//! The report folder's data files: `results.json` (every run, every repetition, with its full
//! report, pause log included, and per pair the median and spread of the headline figures)
//! and `results.csv` (one row per run, the headline figures). The per-operation costs are in
//! `results.json` only (`op_costs`, every repetition; `op_summaries`, medians and spreads).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::compare::{Comparison, Outcome};
use crate::machine::Machine;
use crate::op_costs::{op_spread, OpCost};
use crate::report::RunReport;
use crate::spread::Spread;

/// What `results.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResultsFile {
    /// The gclab version that wrote it.
    pub gclab_version: String,
    /// Whether the workloads ran at their quick sizes.
    pub quick: bool,
    /// Repetitions of each (backend, workload) pair.
    pub repeat: u32,
    /// The machine the runs ran on.
    pub machine: Machine,
    /// The backends compared, in order.
    pub backends: Vec<String>,
    /// The workloads compared, in order.
    pub workloads: Vec<String>,
    /// Workloads whose checksums differ between backends, one message each.
    pub mismatches: Vec<String>,
    /// Per (workload, backend) pair that finished every repetition: medians and spreads.
    pub summaries: Vec<Summary>,
    /// Every run, every repetition.
    pub runs: Vec<RunEntry>,
    /// The per-operation costs, every repetition (empty when not measured).
    #[serde(default)]
    pub op_costs: Vec<OpCost>,
    /// Per (backend, operation) measured at every repetition: nanoseconds per operation, the
    /// median and spread.
    #[serde(default)]
    pub op_summaries: Vec<OpSummary>,
}

/// The repetitions of one operation on one backend, summarised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpSummary {
    /// The backend's name.
    pub backend: String,
    /// The operation's name.
    pub op: String,
    /// Nanoseconds per operation.
    pub ns: Spread,
}

/// The repetitions of one (workload, backend) pair, summarised.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The workload's name.
    pub workload: String,
    /// The backend's name.
    pub backend: String,
    /// Wall time, ms.
    pub wall_ms: Spread,
    /// GC time, ms.
    pub gc_ms: Spread,
    /// The 99th-percentile pause, µs.
    pub pause_p99_us: Spread,
    /// The longest pause, µs.
    pub pause_max_us: Spread,
    /// The most bytes the heap held from the system.
    pub peak_heap_bytes: Spread,
    /// The process's peak RSS, bytes.
    pub peak_rss_bytes: Spread,
    /// Median wall time over the fastest backend's median.
    pub ratio_to_best: f64,
    /// Whether the wall-time range overlaps the fastest backend's (a tie; never for one run).
    pub ties_best: bool,
    /// Median wall time over the no-GC baseline's median, when that fit.
    pub ratio_to_nogc: Option<f64>,
    /// Whether the wall-time range overlaps the baseline's.
    pub ties_nogc: bool,
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
    /// Which repetition, from 1.
    pub repetition: u32,
    /// `ok`, `did_not_fit` or `failed`.
    pub status: String,
    /// Why it did not finish, if it did not.
    pub error: Option<String>,
    /// This run's wall time over the fastest backend's median on this workload.
    pub ratio_to_best: Option<f64>,
    /// This run's wall time over the no-GC baseline's median on this workload (when that fit).
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
                    repetition: run.repetition,
                    status: status.to_owned(),
                    error,
                    ratio_to_best: ratio(comparison.best_wall_ms(&run.workload)),
                    ratio_to_nogc: ratio(comparison.baseline_wall_ms(&run.workload)),
                    gc_share: report.as_ref().map(|r| if r.wall_ms > 0.0 { r.gc_ms / r.wall_ms } else { 0.0 }),
                    report,
                }
            })
            .collect();
        let mut summaries = Vec::new();
        for workload in comparison.workloads() {
            let best = comparison.best(workload).map(|(_, s)| s);
            let baseline = comparison.baseline_wall(workload);
            for cell in comparison.cells(workload) {
                let (Some(wall), Some(best)) = (cell.wall(), best) else { continue };
                let spread = |f: fn(&RunReport) -> f64| cell.spread(f).expect("every repetition finished");
                summaries.push(Summary {
                    workload: workload.to_owned(),
                    backend: cell.backend.to_owned(),
                    wall_ms: wall,
                    gc_ms: spread(|r| r.gc_ms),
                    pause_p99_us: spread(|r| r.pause_p99_us),
                    pause_max_us: spread(|r| r.pause_max_us),
                    peak_heap_bytes: spread(|r| r.peak_heap_bytes as f64),
                    peak_rss_bytes: spread(|r| r.peak_rss_bytes as f64),
                    ratio_to_best: wall.median / best.median,
                    ties_best: wall != best && wall.ties(&best),
                    ratio_to_nogc: baseline.filter(|b| b.median > 0.0).map(|b| wall.median / b.median),
                    ties_nogc: baseline.is_some_and(|b| wall != b && wall.ties(&b)),
                });
            }
        }
        let mut op_summaries = Vec::new();
        for cost in &comparison.op_costs {
            let seen = op_summaries.iter().any(|s: &OpSummary| s.backend == cost.backend && s.op == cost.op);
            if let (false, Some(ns)) = (seen, op_spread(&comparison.op_costs, &cost.backend, &cost.op)) {
                op_summaries.push(OpSummary { backend: cost.backend.clone(), op: cost.op.clone(), ns });
            }
        }
        ResultsFile {
            op_costs: comparison.op_costs.clone(),
            op_summaries,
            gclab_version: env!("CARGO_PKG_VERSION").to_owned(),
            quick: comparison.quick,
            repeat: comparison.repeat,
            machine: Machine::describe(),
            summaries,
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

/// The columns of `results.csv`: one row per run, every repetition. Times in ms or µs as
/// named; shares and MMU as fractions; numbers to six significant digits; empty cells for runs
/// that did not finish; `counters` as `name=value` pairs joined by `;`.
pub const CSV_COLUMNS: [&str; 29] = [
    "backend",
    "workload",
    "size",
    "repetition",
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
    let opt = |v: Option<f64>| v.map_or(String::new(), decimal);
    let mut row = vec![
        run.backend.clone(),
        run.workload.clone(),
        run.size.to_string(),
        run.repetition.to_string(),
        run.status.clone(),
    ];
    match &run.report {
        Some(r) => row.extend([
            decimal(r.wall_ms),
            decimal(r.gc_ms),
            decimal(r.mutator_ms),
            opt(run.gc_share),
            opt(run.ratio_to_best),
            opt(run.ratio_to_nogc),
            r.collections.to_string(),
            r.minor_collections.to_string(),
            r.full_collections.to_string(),
            decimal(r.pause_p50_us),
            decimal(r.pause_p90_us),
            decimal(r.pause_p99_us),
            decimal(r.pause_max_us),
            decimal(r.mmu_1ms),
            decimal(r.mmu_10ms),
            decimal(r.mmu_100ms),
            r.allocated_objects.to_string(),
            r.allocated_bytes.to_string(),
            r.peak_heap_bytes.to_string(),
            r.peak_rss_bytes.to_string(),
            r.live_objects_at_end.to_string(),
            r.checksum.to_string(),
            r.counters.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(";"),
        ]),
        None => row.extend(std::iter::repeat_n(String::new(), CSV_COLUMNS.len() - 6)),
    }
    row.push(run.error.clone().unwrap_or_default());
    row
}

/// A measured number to six significant digits, without trailing zeros: measurements carry no
/// more, and the shortest form of a computed double (`2249.9680000000003`) is noise.
///
/// ```
/// use gclab_cli::results::decimal;
/// assert_eq!(decimal(2249.9680000000003), "2249.97");
/// assert_eq!(decimal(0.8601457654693422), "0.860146");
/// assert_eq!(decimal(0.000012345678), "0.0000123457");
/// assert_eq!(decimal(1.0), "1");
/// assert_eq!(decimal(0.0), "0");
/// assert_eq!(decimal(123456789.4), "123456789");
/// ```
pub fn decimal(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return if value.is_finite() { "0".to_owned() } else { value.to_string() };
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (5 - magnitude).clamp(0, 15) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}
