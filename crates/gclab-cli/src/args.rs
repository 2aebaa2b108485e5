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
    /// List the backends built into this binary and the workloads, one per line.
    List,
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

    /// Write a JSON report of the run (times, pauses, heap sizes, counters) to PATH.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,

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
        config
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
        assert_eq!(args.size(), 21);
        assert_eq!(args.heap_config().initial_trigger, 64 << 10);
        assert_eq!(args.heap_config().heap_limit, HeapConfig::default().heap_limit);
    }
}
