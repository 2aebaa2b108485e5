//! The comparison table `gclab compare` prints for each workload: backends as rows.
//!
//! ```text
//! gcbench (size 14)
//! backend    time     ×best  ×nogc  GC  minor  full  p99     max     MMU 1ms  10ms  100ms  peak heap  peak RSS
//! marksweep  94.0 ms  1.00   0.93   2%  0      2     885 µs  885 µs  11%      91%   98%    65.0 MiB   69.3 MiB
//! refcount   153 ms   1.63   1.51   7%  294    2     569 µs  833 µs  12%      78%   91%    7.0 MiB    11.4 MiB
//! nogc       101 ms   1.08   1.00   0%  0      0     0 µs    0 µs    100%     100%  100%   152.4 MiB  156.7 MiB
//! ```
//!
//! `time` is the workload's wall time; `×best` its ratio to the fastest backend's and `×nogc`
//! to the no-GC baseline's (when that fit); `GC` the share of the time the mutator was stopped;
//! `minor` and `full` the collections of each kind; `p99` and `max` the pause percentiles; `MMU` the minimum mutator
//! utilisation at 1, 10 and 100 ms windows; `peak heap` the most memory the heap held from the
//! system; `peak RSS` the process's.

use crate::compare::{Comparison, Outcome};

/// Formats a duration given in milliseconds with three significant digits: `1.41 s`,
/// `96.2 ms`, `5.90 ms`, `412 µs`, `0 µs`.
///
/// ```
/// use gclab_cli::table::format_ms;
/// assert_eq!(format_ms(1414.0), "1.41 s");
/// assert_eq!(format_ms(96.24), "96.2 ms");
/// assert_eq!(format_ms(0.4123), "412 µs");
/// assert_eq!(format_ms(0.0), "0 µs");
/// ```
pub fn format_ms(ms: f64) -> String {
    let (value, unit) = if ms >= 1000.0 {
        (ms / 1000.0, "s")
    } else if ms >= 1.0 {
        (ms, "ms")
    } else {
        (ms * 1000.0, "µs")
    };
    if value == 0.0 {
        return format!("0 {unit}");
    }
    let decimals = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.decimals$} {unit}")
}

/// Formats a byte count in MiB (or KiB below 1 MiB) with one decimal.
///
/// ```
/// use gclab_cli::table::format_bytes;
/// assert_eq!(format_bytes(70 << 20), "70.0 MiB");
/// assert_eq!(format_bytes(1536), "1.5 KiB");
/// ```
pub fn format_bytes(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

/// A fraction as a whole percentage: `0.873` → `87%`.
fn percent(fraction: f64) -> String {
    format!("{:.0}%", fraction * 100.0)
}

/// The table of one workload: a title line, a header and one row per backend.
pub fn workload_table(comparison: &Comparison, workload: &str) -> String {
    let header = [
        "backend",
        "time",
        "×best",
        "×nogc",
        "GC",
        "minor",
        "full",
        "p99",
        "max",
        "MMU 1ms",
        "10ms",
        "100ms",
        "peak heap",
        "peak RSS",
    ];
    let best = comparison.best_wall_ms(workload);
    let baseline = comparison.baseline_wall_ms(workload);
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    let mut notes = Vec::new();
    let mut size = 0;
    for run in comparison.runs_of(workload) {
        size = run.size;
        let row = match &run.outcome {
            Outcome::Ran(r) => {
                let ratio = |base: Option<f64>| {
                    base.filter(|&b| b > 0.0).map_or("—".into(), |b| format!("{:.2}", r.wall_ms / b))
                };
                vec![
                    run.backend.clone(),
                    format_ms(r.wall_ms),
                    ratio(best),
                    ratio(baseline),
                    percent(if r.wall_ms > 0.0 { r.gc_ms / r.wall_ms } else { 0.0 }),
                    r.minor_collections.to_string(),
                    r.full_collections.to_string(),
                    format_ms(r.pause_p99_us / 1000.0),
                    format_ms(r.pause_max_us / 1000.0),
                    percent(r.mmu_1ms),
                    percent(r.mmu_10ms),
                    percent(r.mmu_100ms),
                    format_bytes(r.peak_heap_bytes as u64),
                    if r.peak_rss_bytes > 0 { format_bytes(r.peak_rss_bytes) } else { "—".into() },
                ]
            }
            Outcome::DidNotFit(message) => {
                notes.push(format!("  {}: {message}", run.backend));
                vec![run.backend.clone(), "did not fit".into()]
            }
            Outcome::Failed(message) => {
                notes.push(format!("  {}: {message}", run.backend));
                vec![run.backend.clone(), "FAILED".into()]
            }
        };
        rows.push(row);
    }
    let mut widths = vec![0; header.len()];
    for row in &rows {
        // A short row (did not fit, failed) spans the rest of the line: its cells do not widen
        // the columns they fall in.
        if row.len() == header.len() {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    widths[0] = rows.iter().map(|r| r[0].chars().count()).max().unwrap_or(0);
    let mut text = format!("{workload} (size {size})\n");
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let pad = widths[i].saturating_sub(cell.chars().count());
                if i + 1 == row.len() {
                    cell.clone()
                } else {
                    format!("{cell}{}", " ".repeat(pad))
                }
            })
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    for note in notes {
        text.push_str(&note);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes() {
        assert_eq!(format_ms(12_345.0), "12.3 s");
        assert_eq!(format_ms(5.9), "5.90 ms");
        assert_eq!(format_ms(250.0), "250 ms");
        assert_eq!(format_ms(0.0459), "45.9 µs");
        assert_eq!(format_bytes(0), "0.0 KiB");
        assert_eq!(format_bytes(3 << 30), "3072.0 MiB");
        assert_eq!(percent(0.994), "99%");
    }
}
