//! The `gclab` binary: see the `gclab_cli` library for its parts.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use gclab_cli::args::{Cli, Command, CompareArgs, JitterArgs, RunArgs};
use gclab_cli::charts::{draw_charts, write_charts};
use gclab_cli::compare::{run_plan, Plan};
use gclab_cli::html::{report_html, Page};
use gclab_cli::jitter::{describe, Jitter};
use gclab_cli::listing::listing;
use gclab_cli::log_setting::unknown_log_values;
use gclab_cli::op_costs::op_rows;
use gclab_cli::report::RunReport;
use gclab_cli::report_folder::{clear_earlier_report, REPORT_HTML};
use gclab_cli::results::ResultsFile;
use gclab_cli::runner::effective_size;
use gclab_cli::table::{legend, workload_table};

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Ok(value) = std::env::var("GCLAB_LOG") {
        let unknown = unknown_log_values(&value);
        if !unknown.is_empty() {
            eprintln!(
                "gclab: warning: GCLAB_LOG={value}: unknown value{} {} ignored; the only value is `gc` (one line per \
                 collection)",
                if unknown.len() > 1 { "s" } else { "" },
                unknown.iter().map(|u| format!("`{u}`")).collect::<Vec<_>>().join(", ")
            );
        }
    }
    match cli.command {
        Command::List => {
            print!("{}", listing());
            ExitCode::SUCCESS
        }
        Command::Run(args) => run(&args),
        Command::Compare(args) => compare(&args),
        Command::Jitter(args) => jitter(&args),
    }
}

fn jitter(args: &JitterArgs) -> ExitCode {
    let probe = Jitter::probe(Duration::from_secs_f64(args.seconds), Duration::from_micros(args.threshold_us));
    println!("{}.", probe.summary());
    let mut longest = probe.gaps.clone();
    longest.sort_by_key(|gap| std::cmp::Reverse(gap.wall));
    for gap in longest.iter().take(args.longest) {
        println!(
            "  at {:>8.1} ms: {:>8.3} ms ({})",
            gap.at.as_secs_f64() * 1e3,
            gap.wall.as_secs_f64() * 1e3,
            describe(gap)
        );
    }
    ExitCode::SUCCESS
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
    let to_stdout = args.json.as_deref() == Some(Path::new("-"));
    // The report's file is made before the run, so that a path that cannot be written is a
    // usage error (exit code 2) found at once, not after a long run.
    let mut json_file = match &args.json {
        Some(path) if !to_stdout => match File::create(path) {
            Ok(file) => Some(file),
            Err(e) => self::usage_error("run", format!("cannot write the report to {}: {e}", path.display())),
        },
        _ => None,
    };
    let effective = effective_size(args.workload, size);
    if effective != size {
        eprintln!(
            "gclab: note: {} size {size} runs as size {effective} (its smallest); the report says {effective}",
            args.workload
        );
    }
    let report = {
        let stdout = io::stdout();
        let mut out: Box<dyn Write> = if to_stdout { Box::new(io::sink()) } else { Box::new(stdout.lock()) };
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
    let written = match (&mut json_file, to_stdout) {
        (Some(file), _) => write_json(BufWriter::new(file), &report),
        (None, true) => write_json(io::stdout().lock(), &report),
        (None, false) => Ok(()),
    };
    if let Err(e) = written {
        let path = args.json.as_deref().unwrap_or(Path::new("-"));
        eprintln!("gclab: error: cannot write the report to {}: {e}", path.display());
        return ExitCode::FAILURE;
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
    if let Err(e) = clear_earlier_report(&args.out) {
        usage_error("compare", format!("cannot clear the earlier report in {}: {e}", args.out.display()));
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
        workloads: args.workloads().into_iter().map(|w| (w, effective_size(w, args.size(w)))).collect(),
        quick: args.quick,
        repeat: args.repeat,
        heap: args.heap.clone(),
        op_budget: args.op_budget(),
    };
    // Each table is printed as soon as its workload's runs end, a blank line after it.
    let comparison = run_plan(&exe, &plan, &args.out, |c, w| format!("{}\n", workload_table(c, w)));
    if !comparison.op_costs.is_empty() {
        println!("{}", op_rows(&comparison.op_costs, comparison.repeat).text());
    }
    print!("{}", legend(&plan.backends, !comparison.op_costs.is_empty()));

    let problems: Vec<String> = comparison.mismatches().into_iter().chain(comparison.failures()).collect();
    let results = ResultsFile::new(&comparison);
    let command: Vec<String> = std::env::args().collect();
    let written = results
        .write_json(&args.out)
        .and_then(|()| results.write_csv(&args.out))
        .map_err(|e| e.to_string())
        .and_then(|()| draw_charts(&comparison).map_err(|e| e.to_string()))
        .and_then(|charts| {
            write_charts(&charts, &args.out).map_err(|e| e.to_string())?;
            let page = Page {
                comparison: &comparison,
                charts: &charts,
                machine: &results.machine,
                command: &command.join(" "),
                problems: &problems,
            };
            std::fs::write(args.out.join(REPORT_HTML), report_html(&page)).map_err(|e| e.to_string())?;
            Ok(charts.len())
        });
    match written {
        Ok(charts) => println!(
            "\nreport: {} ({REPORT_HTML}, results.json, results.csv, {charts} SVG charts)",
            args.out.join(REPORT_HTML).display()
        ),
        Err(e) => {
            eprintln!("gclab: error: cannot write the report to {}: {e}", args.out.display());
            return ExitCode::FAILURE;
        }
    }
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

fn write_json(mut out: impl Write, report: &RunReport) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut out, report)?;
    writeln!(out)?;
    out.flush()
}
