//! The `gclab` binary: see the `gclab_cli` library for its parts.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use gclab_cli::args::{Cli, Command, CompareArgs, RunArgs};
use gclab_cli::charts::write_charts;
use gclab_cli::compare::{run_plan, Plan};
use gclab_cli::listing::listing;
use gclab_cli::report::RunReport;
use gclab_cli::results::ResultsFile;
use gclab_cli::table::workload_table;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::List => {
            print!("{}", listing());
            ExitCode::SUCCESS
        }
        Command::Run(args) => run(&args),
        Command::Compare(args) => compare(&args),
    }
}

/// Exits with code 2 and clap's usage footer for `gclab SUBCOMMAND`, as clap does for its own
/// argument errors.
fn usage_error(subcommand: &str, message: impl std::fmt::Display) -> ! {
    let mut command = Cli::command();
    // Building sets the subcommand's name for its usage line to `gclab SUBCOMMAND`.
    command.build();
    let sub = command.find_subcommand_mut(subcommand).expect("a subcommand");
    sub.error(ErrorKind::ValueValidation, message).exit()
}

fn run(args: &RunArgs) -> ExitCode {
    let usage_error = |message: &dyn std::fmt::Display| usage_error("run", message);
    let size = args.size();
    if let Err(e) = args.workload.info().check_size(size) {
        usage_error(&e);
    }
    let config = args.heap_config();
    if let Err(e) = config.validate() {
        usage_error(&e);
    }
    let report = {
        let stdout = io::stdout();
        let mut out = stdout.lock();
        let result = args.backend.run(config, args.workload, size, &mut out);
        let flushed = out.flush();
        match (result, flushed) {
            (Ok(report), Ok(())) => report,
            (Err(e), _) if e.is_usage_error() => usage_error(&e),
            (Err(e), _) => {
                eprintln!("gclab: error: {e}");
                return ExitCode::FAILURE;
            }
            (Ok(_), Err(e)) => {
                eprintln!("gclab: error: writing the workload's output failed: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    let mut report = report;
    if std::env::var("GCLAB_FAULT_CHECKSUM").is_ok_and(|backend| backend == report.backend) {
        // Fault injection for testing `compare`: report a wrong checksum for this backend.
        report.checksum = report.checksum.wrapping_add(1);
    }
    if let Some(path) = &args.json {
        if let Err(e) = write_json(path, &report) {
            eprintln!("gclab: error: cannot write the report to {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

fn compare(args: &CompareArgs) -> ExitCode {
    let config = args.heap.heap_config();
    if let Err(e) = config.validate() {
        usage_error("compare", e);
    }
    if let Err(e) = prepare_folder(&args.out) {
        usage_error("compare", format!("cannot write the report to {}: {e}", args.out.display()));
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("gclab: error: cannot find this program to run the workloads: {e}");
            return ExitCode::FAILURE;
        }
    };
    let plan = Plan {
        backends: args.backends(),
        workloads: args.workloads().into_iter().map(|w| (w, args.size(w))).collect(),
        quick: args.quick,
        heap: args.heap.clone(),
    };
    let comparison = run_plan(&exe, &plan, &args.out);

    let tables: Vec<String> = comparison.workloads().into_iter().map(|w| workload_table(&comparison, w)).collect();
    println!("{}", tables.join("\n").trim_end());

    let results = ResultsFile::new(&comparison);
    let written = results
        .write_json(&args.out)
        .and_then(|()| results.write_csv(&args.out))
        .map_err(|e| e.to_string())
        .and_then(|()| write_charts(&comparison, &args.out).map_err(|e| e.to_string()));
    match written {
        Ok(charts) => {
            println!("\nreport: {} (results.json, results.csv, {} SVG charts)", args.out.display(), charts.len())
        }
        Err(e) => {
            eprintln!("gclab: error: cannot write the report to {}: {e}", args.out.display());
            return ExitCode::FAILURE;
        }
    }
    let problems: Vec<String> = comparison.mismatches().into_iter().chain(comparison.failures()).collect();
    for problem in &problems {
        eprintln!("gclab: error: {problem}");
    }
    if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Makes the report folder if needed and checks that files can be written in it.
fn prepare_folder(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(".gclab-write-check");
    File::create(&probe)?;
    std::fs::remove_file(probe)
}

fn write_json(path: &Path, report: &RunReport) -> io::Result<()> {
    let mut file = BufWriter::new(File::create(path)?);
    serde_json::to_writer_pretty(&mut file, report)?;
    writeln!(file)?;
    file.flush()
}
