//! The files `compare` writes in its report folder, and the clearing of an earlier
//! comparison's: a chart left from an earlier run with other workloads would sit beside the
//! new ones as if it belonged to them.

use std::io;
use std::path::Path;

/// The HTML report's file name.
pub const REPORT_HTML: &str = "report.html";

/// Whether `name` is a file `compare` writes: `report.html`, `results.json`, `results.csv`,
/// `times.svg`, `pauses-*.svg`, `heap-*.svg`.
///
/// ```
/// use gclab_cli::report_folder::is_report_file;
/// assert!(is_report_file("pauses-churn.svg") && is_report_file("results.csv"));
/// assert!(!is_report_file("notes.txt") && !is_report_file("heap.svg"));
/// ```
pub fn is_report_file(name: &str) -> bool {
    matches!(name, REPORT_HTML | "results.json" | "results.csv" | "times.svg")
        || (name.ends_with(".svg") && (name.starts_with("pauses-") || name.starts_with("heap-")))
}

/// Removes the report files of an earlier comparison from `dir`, and nothing else (the folder
/// may be one the user keeps other files in).
pub fn clear_earlier_report(dir: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() && entry.file_name().to_str().is_some_and(is_report_file) {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}
