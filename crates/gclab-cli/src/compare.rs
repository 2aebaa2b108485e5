//! `gclab compare`: every chosen backend on every chosen workload, each run in a child process
//! of this binary.
//!
//! A run is `gclab run --backend B --workload W --size S --json FILE` in its own process, so
//! that its peak RSS (`VmHWM`) is its own and a heap that cannot hold the workload (the no-GC
//! baseline, say) fails there, reported as *did not fit* instead of ending the comparison. The
//! runs are sequential: timings of parallel runs would disturb each other. With `--repeat N`
//! each pair runs N times and the tables report medians with their spread ([`Cell`]). After
//! the workloads, the per-operation costs are measured in this process on each backend, once
//! per repetition ([`crate::op_costs`]).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gclab_workloads::WorkloadId;

use crate::args::HeapArgs;
use crate::backend::Backend;
use crate::op_costs::{measure_backend, OpCost};
use crate::progress::Progress;
use crate::report::RunReport;
use crate::spread::Spread;
use crate::table::format_ms;

/// How one run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// It finished; its report.
    Ran(Box<RunReport>),
    /// The heap could not hold the workload (heap exhausted): the message.
    DidNotFit(String),
    /// It failed otherwise (a failed check, a crash): the message.
    Failed(String),
}

/// One run of a comparison: one repetition of a (backend, workload) pair.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    /// The backend's name.
    pub backend: String,
    /// The workload's name.
    pub workload: String,
    /// The workload's size.
    pub size: u32,
    /// Which repetition, from 1.
    pub repetition: u32,
    /// How it ended.
    pub outcome: Outcome,
}

impl RunResult {
    /// The report, if the run finished.
    pub fn report(&self) -> Option<&RunReport> {
        match &self.outcome {
            Outcome::Ran(report) => Some(report),
            _ => None,
        }
    }
}

/// Every repetition of one backend on one workload.
#[derive(Clone, Debug)]
pub struct Cell<'a> {
    /// The backend's name.
    pub backend: &'a str,
    /// The workload's size.
    pub size: u32,
    /// The reports of the repetitions that finished, in order.
    pub reports: Vec<&'a RunReport>,
    /// The first repetition that did not finish, if any: the pair counts as not finished
    /// (no figures, no ratios), since its figures would come from the lucky repetitions only.
    pub problem: Option<&'a Outcome>,
}

impl Cell<'_> {
    /// The figures of every repetition, if all finished.
    pub fn finished(&self) -> Option<&[&RunReport]> {
        (self.problem.is_none() && !self.reports.is_empty()).then_some(&self.reports[..])
    }

    /// The median and spread of `figure` over the repetitions, if all finished.
    pub fn spread(&self, figure: impl Fn(&RunReport) -> f64) -> Option<Spread> {
        let values: Vec<f64> = self.finished()?.iter().map(|r| figure(r)).collect();
        Spread::of(&values)
    }

    /// The wall time's median and spread, in ms.
    pub fn wall(&self) -> Option<Spread> {
        self.spread(|r| r.wall_ms)
    }

    /// The repetition whose wall time is the median (the lower middle one of an even
    /// count): the one charts draw, so that a chart shows a typical run, not a mixture.
    pub fn median_report(&self) -> Option<&RunReport> {
        let mut reports = self.finished()?.to_vec();
        reports.sort_by(|a, b| a.wall_ms.total_cmp(&b.wall_ms));
        Some(reports[(reports.len() - 1) / 2])
    }
}

/// Every run of a comparison, in order (workload by workload; within a workload, repetition
/// by repetition, backends in listing order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comparison {
    /// Whether the workloads ran at their quick sizes.
    pub quick: bool,
    /// Repetitions of each pair.
    pub repeat: u32,
    /// The runs.
    pub results: Vec<RunResult>,
    /// The per-operation costs, every repetition on every backend (empty when not measured).
    pub op_costs: Vec<OpCost>,
}

impl Comparison {
    /// The workloads compared, in order.
    pub fn workloads(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for r in &self.results {
            if !names.contains(&r.workload.as_str()) {
                names.push(&r.workload);
            }
        }
        names
    }

    /// The backends compared, in order.
    pub fn backends(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for r in &self.results {
            if !names.contains(&r.backend.as_str()) {
                names.push(&r.backend);
            }
        }
        names
    }

    /// The runs of `workload`.
    pub fn runs_of<'a>(&'a self, workload: &'a str) -> impl Iterator<Item = &'a RunResult> + 'a {
        self.results.iter().filter(move |r| r.workload == workload)
    }

    /// One cell per backend that ran `workload`, in backend order.
    pub fn cells<'a>(&'a self, workload: &'a str) -> Vec<Cell<'a>> {
        let mut cells: Vec<Cell<'a>> = Vec::new();
        for run in self.runs_of(workload) {
            let index = match cells.iter().position(|c| c.backend == run.backend) {
                Some(i) => i,
                None => {
                    cells.push(Cell { backend: &run.backend, size: run.size, reports: Vec::new(), problem: None });
                    cells.len() - 1
                }
            };
            let cell = &mut cells[index];
            match &run.outcome {
                Outcome::Ran(report) => cell.reports.push(report),
                other => {
                    cell.problem.get_or_insert(other);
                }
            }
        }
        cells
    }

    /// The cell of the fastest backend on `workload` by median wall time, with that time's
    /// spread.
    pub fn best(&self, workload: &str) -> Option<(String, Spread)> {
        self.cells(workload)
            .iter()
            .filter_map(|c| Some((c.backend.to_owned(), c.wall()?)))
            .min_by(|a, b| a.1.median.total_cmp(&b.1.median))
    }

    /// The shortest median wall time among the backends that finished `workload`, in ms.
    pub fn best_wall_ms(&self, workload: &str) -> Option<f64> {
        self.best(workload).map(|(_, s)| s.median)
    }

    /// The no-GC baseline's wall time on `workload` (median and spread), if it ran and fit.
    pub fn baseline_wall(&self, workload: &str) -> Option<Spread> {
        self.cells(workload).iter().find(|c| Backend::from_name(c.backend).is_some_and(Backend::is_baseline))?.wall()
    }

    /// The no-GC baseline's median wall time on `workload`, in ms, if it ran and fit.
    pub fn baseline_wall_ms(&self, workload: &str) -> Option<f64> {
        self.baseline_wall(workload).map(|s| s.median)
    }

    /// One message per workload whose finished runs disagree on the checksum, naming each
    /// backend's (every repetition must agree too).
    pub fn mismatches(&self) -> Vec<String> {
        let mut messages = Vec::new();
        for workload in self.workloads() {
            let mut sums: Vec<(&str, u64)> = Vec::new();
            for run in self.runs_of(workload) {
                if let Some(report) = run.report() {
                    if !sums.contains(&(run.backend.as_str(), report.checksum)) {
                        sums.push((run.backend.as_str(), report.checksum));
                    }
                }
            }
            if sums.windows(2).any(|w| w[0].1 != w[1].1) {
                let list: Vec<String> = sums.iter().map(|(b, c)| format!("{b} {c}")).collect();
                messages
                    .push(format!("workload `{workload}`: the checksums differ between backends: {}", list.join(", ")));
            }
        }
        messages
    }

    /// One message per run that failed other than by not fitting.
    pub fn failures(&self) -> Vec<String> {
        self.results
            .iter()
            .filter_map(|r| match &r.outcome {
                Outcome::Failed(message) if self.repeat > 1 => {
                    Some(format!("{} on {} (repetition {}): {message}", r.workload, r.backend, r.repetition))
                }
                Outcome::Failed(message) => Some(format!("{} on {}: {message}", r.workload, r.backend)),
                _ => None,
            })
            .collect()
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The backends, in order.
    pub backends: Vec<Backend>,
    /// The workloads with their sizes, in order.
    pub workloads: Vec<(WorkloadId, u32)>,
    /// Whether the sizes are the quick ones.
    pub quick: bool,
    /// Repetitions of each (backend, workload) pair.
    pub repeat: u32,
    /// The heap options passed to every run.
    pub heap: HeapArgs,
    /// How long each operation's cost is timed on each backend at each repetition (zero: the
    /// per-operation costs are not measured).
    pub op_budget: Duration,
}

impl Plan {
    /// Every run, in the order they run: workload by workload; within one, repetition by
    /// repetition, each repetition every backend in turn (interleaved, so that a slow spell
    /// of the machine spreads over the backends instead of landing on one).
    pub fn runs(&self) -> Vec<(WorkloadId, u32, u32, Backend)> {
        let mut runs = Vec::new();
        for &(workload, size) in &self.workloads {
            for repetition in 1..=self.repeat {
                for &backend in &self.backends {
                    runs.push((workload, size, repetition, backend));
                }
            }
        }
        runs
    }
}

/// Runs the plan: each run in a child process of `exe` (this binary), with progress on stderr
/// (see [`Progress`]). As soon as a workload's runs end, `table` is asked for its table, which
/// is printed on stdout. With `GCLAB_LOG` set, each child's stderr (its per-collection lines)
/// is passed on after it finishes, each line prefixed with the run it came from.
///
/// Then, unless `plan.op_budget` is zero, the per-operation costs: for each repetition, each
/// backend in turn, in this process (one progress step each).
pub fn run_plan(exe: &Path, plan: &Plan, scratch: &Path, table: impl Fn(&Comparison, &str) -> String) -> Comparison {
    let mut comparison =
        Comparison { quick: plan.quick, repeat: plan.repeat, results: Vec::new(), op_costs: Vec::new() };
    let forward_log = std::env::var_os("GCLAB_LOG").is_some();
    let runs = plan.runs();
    let op_steps = if plan.op_budget.is_zero() { 0 } else { plan.repeat as usize * plan.backends.len() };
    // Each per-operation step: six operations, each timed for the budget, plus warm-up and setup.
    let op_step = plan.op_budget * 6 + Duration::from_millis(50);
    let op_time = op_step * op_steps as u32;
    let mut progress = Progress::new(runs.len() + op_steps);
    let mut durations: Vec<Duration> = Vec::with_capacity(runs.len());
    for (index, &(workload, size, repetition, backend)) in runs.iter().enumerate() {
        let what = if plan.repeat > 1 {
            format!("{workload} ({size}) on {}, repetition {repetition} of {}", backend.name(), plan.repeat)
        } else {
            format!("{workload} ({size}) on {}", backend.name())
        };
        progress.start(&what, estimate_left(&runs, &durations, index).map(|d| d + op_time));
        let json = scratch.join(format!("gclab-run-{}-{}-{}.json", std::process::id(), backend.name(), workload));
        let started = Instant::now();
        let (outcome, stderr) = run_child(exe, backend, workload, size, &plan.heap, &json);
        durations.push(started.elapsed());
        let _ = std::fs::remove_file(&json);
        progress.finish(&what, &summary(&outcome), estimate_left(&runs, &durations, index + 1).map(|d| d + op_time));
        if forward_log && !stderr.is_empty() {
            let prefix = format!("[{workload} {} #{repetition}] ", backend.name());
            let lines: String = stderr.lines().map(|l| format!("{prefix}{l}\n")).collect();
            progress.eprint(&lines);
        }
        comparison.results.push(RunResult {
            backend: backend.name().to_owned(),
            workload: workload.name().to_owned(),
            size,
            repetition,
            outcome,
        });
        let workload_done = runs.get(index + 1).is_none_or(|next| next.0 != workload);
        if workload_done {
            progress.print(&table(&comparison, workload.name()));
        }
    }
    if op_steps > 0 {
        let config = plan.heap.heap_config();
        let mut left = op_time;
        for repetition in 1..=plan.repeat {
            for &backend in &plan.backends {
                let what = if plan.repeat > 1 {
                    format!("per-operation costs on {}, repetition {repetition} of {}", backend.name(), plan.repeat)
                } else {
                    format!("per-operation costs on {}", backend.name())
                };
                progress.start(&what, Some(left));
                let costs = measure_backend(backend, &config, plan.op_budget, repetition);
                left = left.saturating_sub(op_step);
                let failed = costs.iter().filter(|c| c.ns.is_none()).count();
                let summary = if failed == 0 { "done".to_owned() } else { format!("{failed} could not be measured") };
                progress.finish(&what, &summary, Some(left));
                comparison.op_costs.extend(costs);
            }
        }
    }
    progress.done();
    comparison
}

/// The time the runs from `next` on should take: each run as long as the same pair's earlier
/// repetitions took on average, or else as the runs so far took on average (`None` before any
/// run has finished).
pub fn estimate_left(
    runs: &[(WorkloadId, u32, u32, Backend)],
    durations: &[Duration],
    next: usize,
) -> Option<Duration> {
    if durations.is_empty() {
        return None;
    }
    let overall = durations.iter().sum::<Duration>() / durations.len() as u32;
    let mut left = Duration::ZERO;
    for &(workload, _, _, backend) in &runs[next.min(runs.len())..] {
        let same: Vec<Duration> = runs[..durations.len()]
            .iter()
            .zip(durations)
            .filter(|((w, _, _, b), _)| *w == workload && *b == backend)
            .map(|(_, &d)| d)
            .collect();
        left += if same.is_empty() { overall } else { same.iter().sum::<Duration>() / same.len() as u32 };
    }
    Some(left)
}

/// A few words on how a run ended, for its progress line.
fn summary(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Ran(report) => format_ms(report.wall_ms),
        Outcome::DidNotFit(_) => "did not fit".to_owned(),
        Outcome::Failed(_) => "FAILED".to_owned(),
    }
}

/// Runs one child; returns its outcome and its stderr.
fn run_child(
    exe: &Path,
    backend: Backend,
    workload: WorkloadId,
    size: u32,
    heap: &HeapArgs,
    json: &Path,
) -> (Outcome, String) {
    let mut command = Command::new(exe);
    command
        .args(["run", "--backend", backend.name(), "--workload", workload.name(), "--size", &size.to_string()])
        .args(heap.to_args())
        .arg("--json")
        .arg(json)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let output = match command.output() {
        Ok(output) => output,
        Err(e) => return (Outcome::Failed(format!("cannot start {}: {e}", exe.display())), String::new()),
    };
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let outcome = if output.status.success() {
        match std::fs::read_to_string(json).map_err(|e| e.to_string()).and_then(|text| {
            serde_json::from_str::<RunReport>(&text).map_err(|e| format!("its report is not readable: {e}"))
        }) {
            Ok(report) => Outcome::Ran(Box::new(report)),
            Err(e) => Outcome::Failed(e),
        }
    } else {
        classify_failure(&stderr, output.status.code())
    };
    (outcome, stderr)
}

/// How a failed child ended, from its stderr and exit code.
pub fn classify_failure(stderr: &str, code: Option<i32>) -> Outcome {
    let last = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("gclab: error:"))
        .or_else(|| stderr.lines().rev().find(|l| !l.trim().is_empty() && !l.starts_with("gc ")));
    let message = last.map(|l| l.trim_start_matches("gclab: error: ").trim().to_owned());
    match (message, code) {
        (Some(m), _) if m.contains("heap exhausted") => Outcome::DidNotFit(m),
        (Some(m), _) => Outcome::Failed(m),
        (None, Some(code)) => Outcome::Failed(format!("exited with code {code}")),
        (None, None) => Outcome::Failed("killed by a signal".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ran(backend: &str, workload: &str, wall_ms: f64, checksum: u64) -> RunResult {
        let text = include_str!("../tests/data/report.json");
        let mut report: RunReport = serde_json::from_str(text).unwrap();
        report.backend = backend.into();
        report.workload = workload.into();
        report.wall_ms = wall_ms;
        report.checksum = checksum;
        RunResult {
            backend: backend.into(),
            workload: workload.into(),
            size: 1,
            repetition: 1,
            outcome: Outcome::Ran(Box::new(report)),
        }
    }

    #[test]
    fn ratios_mismatches_and_failures() {
        let mut c = Comparison::default();
        c.results.push(ran("marksweep", "a", 200.0, 7));
        c.results.push(ran("nogc", "a", 100.0, 7));
        c.results.push(ran("marksweep", "b", 50.0, 1));
        c.results.push(ran("refcount", "b", 40.0, 2));
        c.results.push(RunResult {
            backend: "nogc".into(),
            workload: "b".into(),
            size: 1,
            repetition: 1,
            outcome: Outcome::DidNotFit("heap exhausted".into()),
        });
        assert_eq!(c.workloads(), ["a", "b"]);
        assert_eq!(c.backends(), ["marksweep", "nogc", "refcount"]);
        assert_eq!(c.best_wall_ms("a"), Some(100.0));
        assert_eq!(c.best_wall_ms("b"), Some(40.0));
        if Backend::from_name("nogc").is_some() {
            assert_eq!(c.baseline_wall_ms("a"), Some(100.0));
        }
        assert_eq!(c.baseline_wall_ms("b"), None, "nogc did not fit");
        assert_eq!(c.mismatches(), ["workload `b`: the checksums differ between backends: marksweep 1, refcount 2"]);
        assert!(c.failures().is_empty(), "not fitting is not a failure");
    }

    #[test]
    fn failures_are_classified() {
        let exhausted = "gc 1 full @0.1s: …\ngclab: error: heap exhausted: an allocation of 32 bytes does not fit\n";
        assert!(
            matches!(classify_failure(exhausted, Some(1)), Outcome::DidNotFit(m) if m.starts_with("heap exhausted"))
        );
        let check = "gclab: error: workload `cycles` failed its check: 21 objects survived\n";
        assert!(matches!(classify_failure(check, Some(1)), Outcome::Failed(m) if m.contains("failed its check")));
        let panic = "thread 'main' panicked at src/x.rs:1:1:\nstale reference\n";
        assert!(matches!(classify_failure(panic, Some(101)), Outcome::Failed(m) if m == "stale reference"));
        assert_eq!(classify_failure("", None), Outcome::Failed("killed by a signal".into()));
        assert_eq!(classify_failure("", Some(3)), Outcome::Failed("exited with code 3".into()));
    }
}
