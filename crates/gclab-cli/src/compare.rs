//! `gclab compare`: every chosen backend on every chosen workload, each run in a child process
//! of this binary.
//!
//! A run is `gclab run --backend B --workload W --size S --json FILE` in its own process, so
//! that its peak RSS (`VmHWM`) is its own and a heap that cannot hold the workload (the no-GC
//! baseline, say) fails there, reported as *did not fit* instead of ending the comparison. The
//! runs are sequential: timings of parallel runs would disturb each other.

use std::io::{self, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use gclab_workloads::WorkloadId;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::args::HeapArgs;
use crate::backend::Backend;
use crate::report::RunReport;

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

/// One run of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    /// The backend's name.
    pub backend: String,
    /// The workload's name.
    pub workload: String,
    /// The workload's size.
    pub size: u32,
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

/// Every run of a comparison, in order (workload by workload, backends in listing order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comparison {
    /// Whether the workloads ran at their quick sizes.
    pub quick: bool,
    /// The runs.
    pub results: Vec<RunResult>,
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

    /// The shortest wall time among the finished runs of `workload`, in ms.
    pub fn best_wall_ms(&self, workload: &str) -> Option<f64> {
        self.runs_of(workload).filter_map(|r| r.report()).map(|r| r.wall_ms).min_by(f64::total_cmp)
    }

    /// The no-GC baseline's wall time on `workload`, in ms, if it ran and fit.
    pub fn baseline_wall_ms(&self, workload: &str) -> Option<f64> {
        self.runs_of(workload)
            .filter(|r| Backend::from_name(&r.backend).is_some_and(Backend::is_baseline))
            .find_map(|r| r.report())
            .map(|r| r.wall_ms)
    }

    /// One message per workload whose finished runs disagree on the checksum, naming each
    /// backend's.
    pub fn mismatches(&self) -> Vec<String> {
        let mut messages = Vec::new();
        for workload in self.workloads() {
            let sums: Vec<(&str, u64)> = self
                .runs_of(workload)
                .filter_map(|r| r.report().map(|rep| (r.backend.as_str(), rep.checksum)))
                .collect();
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
    /// The heap options passed to every run.
    pub heap: HeapArgs,
}

/// Runs the plan: each run in a child process of `exe` (this binary), with a spinner on stderr
/// while it runs (hidden when stderr is not a terminal). With `GCLAB_LOG` set, each child's
/// stderr (its per-collection lines) is passed on after it finishes.
pub fn run_plan(exe: &Path, plan: &Plan, scratch: &Path) -> Comparison {
    let mut comparison = Comparison { quick: plan.quick, results: Vec::new() };
    let forward_log = std::env::var_os("GCLAB_LOG").is_some();
    // Finished spinners stay, one line per run, above the running one.
    let bars = MultiProgress::new();
    for &(workload, size) in &plan.workloads {
        for &backend in &plan.backends {
            let bar = bars.add(spinner(&format!("{workload} ({size}) on {}", backend.name())));
            let json = scratch.join(format!("gclab-run-{}-{}-{}.json", std::process::id(), backend.name(), workload));
            let (outcome, stderr) = run_child(exe, backend, workload, size, &plan.heap, &json);
            let _ = std::fs::remove_file(&json);
            bar.finish_with_message(format!("{workload} ({size}) on {}: {}", backend.name(), summary(&outcome)));
            if forward_log && !stderr.is_empty() {
                bars.suspend(|| {
                    let _ = io::stderr().write_all(stderr.as_bytes());
                });
            }
            comparison.results.push(RunResult {
                backend: backend.name().to_owned(),
                workload: workload.name().to_owned(),
                size,
                outcome,
            });
        }
    }
    if !bars.is_hidden() {
        // End the last spinner's line before the tables.
        eprintln!();
    }
    comparison
}

fn spinner(message: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .expect("a valid template")
            .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏✓"),
    );
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// A few words on how a run ended, for its progress line.
fn summary(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Ran(report) => format!("{:.0} ms", report.wall_ms),
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
