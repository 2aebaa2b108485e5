//! The `gclab` binary: see the `gclab_cli` library for its parts.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use gclab_cli::args::{Cli, Command, RunArgs};
use gclab_cli::listing::listing;
use gclab_cli::report::RunReport;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::List => {
            print!("{}", listing());
            ExitCode::SUCCESS
        }
        Command::Run(args) => run(&args),
    }
}

/// Exits with code 2 and clap's usage footer, as clap does for its own argument errors.
fn usage_error(message: impl std::fmt::Display) -> ! {
    let mut command = Cli::command();
    // Building sets the subcommand's name for its usage line to `gclab run`.
    command.build();
    let run = command.find_subcommand_mut("run").expect("`run` is a subcommand");
    run.error(ErrorKind::ValueValidation, message).exit()
}

fn run(args: &RunArgs) -> ExitCode {
    let size = args.size();
    if let Err(e) = args.workload.info().check_size(size) {
        usage_error(e);
    }
    let config = args.heap_config();
    if let Err(e) = config.validate() {
        usage_error(e);
    }
    let report = {
        let stdout = io::stdout();
        let mut out = stdout.lock();
        let result = args.backend.run(config, args.workload, size, &mut out);
        let flushed = out.flush();
        match (result, flushed) {
            (Ok(report), Ok(())) => report,
            (Err(e), _) if e.is_usage_error() => usage_error(e),
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
    if let Some(path) = &args.json {
        if let Err(e) = write_json(path, &report) {
            eprintln!("gclab: error: cannot write the report to {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

fn write_json(path: &Path, report: &RunReport) -> io::Result<()> {
    let mut file = BufWriter::new(File::create(path)?);
    serde_json::to_writer_pretty(&mut file, report)?;
    writeln!(file)?;
    file.flush()
}
