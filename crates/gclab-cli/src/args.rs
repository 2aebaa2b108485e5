//! The command-line arguments.

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use gclab::HeapConfig;
use gclab_workloads::WorkloadId;

use crate::backend::Backend;
use crate::byte_size::{format_byte_size, parse_byte_size};

/// Run garbage-collector workloads on gclab's backends and measure pauses, throughput and
/// heap sizes.
#[derive(Debug, Parser)]
#[command(name = "gclab", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a workload on a backend; prints exactly the workload's output on stdout.
    Run(RunArgs),
    /// Run every backend on every workload (3 times each by default), print a comparison table
    /// per workload and one of per-operation costs, and write a report folder (report.html,
    /// results.json, results.csv, SVG charts).
    Compare(CompareArgs),
    /// List the backends built into this binary and the workloads, one per line.
    List,
    /// Measure how long this machine stops a thread that only reads the clock (the floor
    /// under every pause figure; see docs/harness.md): the gaps over a threshold, each with
    /// whether the thread was descheduled or held with its CPU clock running.
    Jitter(JitterArgs),
}

/// The arguments of `gclab jitter`.
#[derive(Debug, Args)]
pub struct JitterArgs {
    /// How long to probe, in seconds (one core busy meanwhile).
    #[arg(long, default_value_t = 5.0, value_parser = positive_seconds)]
    pub seconds: f64,

    /// The shortest gap reported, in microseconds.
    #[arg(long, default_value_t = 200)]
    pub threshold_us: u64,

    /// How many of the longest gaps to list.
    #[arg(long, default_value_t = 10)]
    pub longest: usize,
}

fn positive_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 3600.0 => Ok(s),
        Ok(s) => Err(format!("{s} is not between 0 and 3600 seconds")),
        Err(e) => Err(format!("{text:?} is not a number of seconds: {e}")),
    }
}

/// The arguments of `gclab run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The collector to run the workload on.
    #[arg(long, value_enum)]
    pub backend: Backend,

    /// The workload to run.
    #[arg(long, value_parser = workload_parser())]
    pub workload: WorkloadId,

    /// The workload's size (its meaning and range: see `gclab list`); default: the workload's.
    #[arg(long, value_name = "N")]
    pub size: Option<u32>,

    /// Write a JSON report of the run (times, pauses, heap sizes, counters) to PATH; `-` writes
    /// it to stdout instead of the workload's output (which is then discarded).
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,

    /// The heap's configuration.
    #[command(flatten)]
    pub heap: HeapArgs,
}

/// The heap configuration options, shared by `run` and `compare`.
#[derive(Debug, Args, Clone, Default)]
pub struct HeapArgs {
    /// The most memory the heap may take from the system, e.g. 512M.
    #[arg(long, value_name = "BYTES", value_parser = parse_byte_size,
          help = with_default("The most memory the heap may take from the system, e.g. 512M",
                              format_byte_size(HeapConfig::default().heap_limit)))]
    pub heap_limit: Option<usize>,

    /// Bytes allocated before the first collection, e.g. 64K.
    #[arg(long, value_name = "BYTES", value_parser = parse_byte_size,
          help = with_default("Bytes allocated before the first collection, e.g. 64K",
                              format_byte_size(HeapConfig::default().initial_trigger)))]
    pub initial_trigger: Option<usize>,

    /// Heap growth allowed over the live size before the next collection.
    #[arg(long, value_name = "FACTOR",
          help = with_default("Heap growth allowed over the live size before the next collection",
                              HeapConfig::default().growth_factor.to_string()))]
    pub growth_factor: Option<f64>,

    /// Ask for transparent huge pages (2 MiB) for the heap's object spaces.
    #[arg(long)]
    pub huge_pages: bool,
}

impl HeapArgs {
    /// The heap configuration: the defaults, overridden by the options given.
    pub fn heap_config(&self) -> HeapConfig {
        let mut config = HeapConfig::default();
        if let Some(limit) = self.heap_limit {
            config.heap_limit = limit;
        }
        if let Some(trigger) = self.initial_trigger {
            config.initial_trigger = trigger;
        }
        if let Some(factor) = self.growth_factor {
            config.growth_factor = factor;
        }
        config.huge_pages = self.huge_pages;
        config
    }

    /// The options given, as command-line arguments (to pass them on to a child `run`).
    pub fn to_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(limit) = self.heap_limit {
            args.extend(["--heap-limit".to_owned(), limit.to_string()]);
        }
        if let Some(trigger) = self.initial_trigger {
            args.extend(["--initial-trigger".to_owned(), trigger.to_string()]);
        }
        if let Some(factor) = self.growth_factor {
            args.extend(["--growth-factor".to_owned(), factor.to_string()]);
        }
        if self.huge_pages {
            args.push("--huge-pages".to_owned());
        }
        args
    }
}

/// The arguments of `gclab compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The backends to compare, a comma list (default: every backend built in).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST")]
    pub backends: Vec<Backend>,

    /// The workloads to run, a comma list, in the order given (default: every workload).
    #[arg(long, value_parser = workload_parser(), value_delimiter = ',', value_name = "LIST")]
    pub workloads: Vec<WorkloadId>,

    /// Run every workload at its small `quick` size (see `gclab list`): with the default 3
    /// repetitions, about a minute on a 2-core machine (the default sizes: 3 to 4 minutes).
    #[arg(long)]
    pub quick: bool,

    /// Run each (backend, workload) pair N times, interleaved; the tables show medians with
    /// their spread, and mark as ties the differences within it. results.json and results.csv
    /// keep every repetition.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_REPEAT,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub repeat: u32,

    /// Sizes for some workloads, a comma list of NAME=N (e.g. `gcbench=12,churn=50000`);
    /// others run at their default (or quick) size.
    #[arg(long, value_parser = parse_workload_size, value_delimiter = ',', value_name = "LIST")]
    pub sizes: Vec<(WorkloadId, u32)>,

    /// The report folder: report.html, results.json, results.csv and the SVG charts go there
    /// (those of an earlier comparison are removed first).
    #[arg(long, value_name = "DIR", default_value = "target/gclab-report")]
    pub out: PathBuf,

    /// Milliseconds each operation of the per-operation table (allocate, load, store, push and
    /// pop a root, …) is timed on each backend at each repetition; 0 leaves the table out.
    /// Default: 100, or 25 with `--quick` (6 operations: about 2 s per backend at the default
    /// 3 repetitions).
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u32).range(0..=60_000))]
    pub op_time: Option<u32>,

    /// The heap's configuration, the same for every backend.
    #[command(flatten)]
    pub heap: HeapArgs,
}

impl CompareArgs {
    /// How long each operation's cost is timed per backend and repetition (`--op-time`).
    pub fn op_budget(&self) -> std::time::Duration {
        let default = if self.quick { DEFAULT_OP_TIME_MS / 4 } else { DEFAULT_OP_TIME_MS };
        std::time::Duration::from_millis(self.op_time.unwrap_or(default).into())
    }

    /// The backends chosen, in listing order, without repeats.
    pub fn backends(&self) -> Vec<Backend> {
        if self.backends.is_empty() {
            return Backend::ALL.to_vec();
        }
        Backend::ALL.iter().copied().filter(|b| self.backends.contains(b)).collect()
    }

    /// The workloads chosen, in the order given (default: listing order), without repeats.
    pub fn workloads(&self) -> Vec<WorkloadId> {
        if self.workloads.is_empty() {
            return WorkloadId::ALL.to_vec();
        }
        let mut chosen = Vec::new();
        for &w in &self.workloads {
            if !chosen.contains(&w) {
                chosen.push(w);
            }
        }
        chosen
    }

    /// The size `workload` runs at: the one `--sizes` gives, else its quick size with
    /// `--quick`, else its default.
    pub fn size(&self, workload: WorkloadId) -> u32 {
        let info = workload.info();
        if let Some(&(_, size)) = self.sizes.iter().rev().find(|(w, _)| *w == workload) {
            size
        } else if self.quick {
            info.quick_size
        } else {
            info.default_size
        }
    }
}

/// Milliseconds each operation is timed per backend and repetition when `--op-time` is not
/// given (a quarter of it with `--quick`): long enough for marksweep's `allocate` to cross its
/// default 64 MiB trigger a few times, so that collections count at their share.
pub const DEFAULT_OP_TIME_MS: u32 = 100;

/// Repetitions of each pair when `--repeat` is not given: enough to see the spread, few enough
/// that the default comparison stays within 3 to 4 minutes on a 2-core machine.
pub const DEFAULT_REPEAT: u32 = 3;

/// Parses `NAME=N`: a workload and a size in its range.
///
/// ```
/// use gclab_cli::args::parse_workload_size;
/// use gclab_workloads::WorkloadId;
/// assert_eq!(parse_workload_size("gcbench=12"), Ok((WorkloadId::GcBench, 12)));
/// assert!(parse_workload_size("gcbench=0").unwrap_err().contains("out of range"));
/// assert!(parse_workload_size("gcbench").is_err());
/// ```
pub fn parse_workload_size(text: &str) -> Result<(WorkloadId, u32), String> {
    let (name, size) = text.split_once('=').ok_or_else(|| format!("`{text}` is not NAME=SIZE (e.g. gcbench=12)"))?;
    let workload: WorkloadId = name.trim().parse().map_err(|e: gclab_workloads::UnknownWorkload| e.to_string())?;
    let size: u32 = size.trim().parse().map_err(|_| format!("`{size}` is not a size (a whole number)"))?;
    workload.info().check_size(size).map_err(|e| e.to_string())?;
    Ok((workload, size))
}

/// A help line naming the heap's default, read from `HeapConfig::default()` so it stays true.
fn with_default(text: &str, default: String) -> String {
    format!("{text} [default: {default}]")
}

/// Parses a workload name, listing the valid names when it names none.
fn workload_parser() -> impl TypedValueParser<Value = WorkloadId> {
    PossibleValuesParser::new(WorkloadId::ALL.iter().map(|w| PossibleValue::new(w.name()).help(w.info().description)))
        .map(|name| WorkloadId::from_name(&name).expect("a possible value names a workload"))
}

impl RunArgs {
    /// The size asked for, or the workload's default.
    pub fn size(&self) -> u32 {
        self.size.unwrap_or_else(|| self.workload.info().default_size)
    }

    /// The heap configuration: the defaults, overridden by the options given.
    pub fn heap_config(&self) -> HeapConfig {
        self.heap.heap_config()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn run_arguments() {
        let cli = Cli::try_parse_from([
            "gclab",
            "run",
            "--backend",
            Backend::ALL[0].name(),
            "--workload",
            "binary-trees",
            "--initial-trigger",
            "64K",
        ])
        .unwrap();
        let Command::Run(args) = cli.command else { panic!("not a run") };
        assert_eq!(args.workload, WorkloadId::BinaryTrees);
        assert_eq!(args.size(), WorkloadId::BinaryTrees.info().default_size);
        assert_eq!(args.heap_config().initial_trigger, 64 << 10);
        assert_eq!(args.heap_config().heap_limit, HeapConfig::default().heap_limit);
        assert_eq!(args.heap.to_args(), ["--initial-trigger", "65536"]);
    }

    #[test]
    fn compare_arguments() {
        let cli = Cli::try_parse_from(["gclab", "compare", "--workloads", "churn,gcbench,churn", "--quick"]).unwrap();
        let Command::Compare(args) = cli.command else { panic!("not a compare") };
        assert_eq!(args.workloads(), [WorkloadId::Churn, WorkloadId::GcBench], "the order given, no repeats");
        assert_eq!(args.repeat, DEFAULT_REPEAT);
        assert_eq!(args.backends(), Backend::ALL);
        assert_eq!(args.size(WorkloadId::Churn), WorkloadId::Churn.info().quick_size);
        assert_eq!(args.out, PathBuf::from("target/gclab-report"));
        assert_eq!(args.op_budget(), std::time::Duration::from_millis(25), "--quick: a quarter of the default");
        let cli = Cli::try_parse_from(["gclab", "compare", "--sizes", "churn=500,lists=7", "--quick"]).unwrap();
        let Command::Compare(args) = cli.command else { panic!("not a compare") };
        assert_eq!(args.size(WorkloadId::Churn), 500);
        assert_eq!(args.size(WorkloadId::Lists), 7);
        assert_eq!(args.size(WorkloadId::GcBench), WorkloadId::GcBench.info().quick_size);
        let cli = Cli::try_parse_from(["gclab", "compare", "--repeat", "5"]).unwrap();
        let Command::Compare(args) = cli.command else { panic!("not a compare") };
        assert_eq!(args.repeat, 5);
        assert_eq!(args.op_budget(), std::time::Duration::from_millis(DEFAULT_OP_TIME_MS.into()));
        let cli = Cli::try_parse_from(["gclab", "compare", "--op-time", "0"]).unwrap();
        let Command::Compare(args) = cli.command else { panic!("not a compare") };
        assert!(args.op_budget().is_zero(), "0 leaves the table out");
        let err = Cli::try_parse_from(["gclab", "compare", "--repeat", "0"]).unwrap_err();
        assert!(err.to_string().contains("--repeat"), "{err}");
        let err = Cli::try_parse_from(["gclab", "compare", "--sizes", "churn=0"]).unwrap_err();
        assert!(err.to_string().contains("size 0 is out of range"), "{err}");
        let err = Cli::try_parse_from(["gclab", "compare", "--backends", "marksweep,copying"]).unwrap_err();
        assert!(err.to_string().contains("copying"), "{err}");
        let err = Cli::try_parse_from(["gclab", "compare", "--workloads", "gcbench,nope"]).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
    }
}
