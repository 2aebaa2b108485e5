//! The comparison table `gclab compare` prints for each workload: backends as rows.
//!
//! ```text
//! gcbench (size 15, median of 3 runs)
//! backend    time    ±    ×best  ×nogc  GC   minor  full  bursts  p99      max      MMU 1ms  10ms  100ms  peak heap  peak RSS
//! marksweep  362 ms  18%  1.00   0.67≈  5%   0      5     0       7.08 ms  7.08 ms  0%       29%   90%    64.9 MiB   68.9 MiB
//! refcount   641 ms  25%  1.77   1.19   19%  592    1     167     4.17 ms  8.87 ms  0%       10%   63%    13.0 MiB   19.4 MiB
//! nogc       538 ms  25%  1.49≈  1.00   0%   0      0     0       0 µs     0 µs     100%     100%  100%   304.9 MiB  310.1 MiB
//!   ≈: a tie: within the spread of the backend it is compared with (their time ranges overlap)
//! ```
//!
//! `time` is the workload's wall time (with `--repeat`, the median, and `±` its spread); `×best`
//! its ratio to the fastest backend's and `×nogc` to the no-GC baseline's (when that fit),
//! marked `≈` when within the spread; `GC` the share of the time the mutator was stopped;
//! `minor` and `full` the collections of each kind, `bursts` refcount's free bursts; `p99` and
//! `max` the pause percentiles; `MMU` the minimum mutator utilisation at 1, 10 and 100 ms
//! windows (`—` for a window longer than the run); `peak heap` the most memory the heap held
//! from the system; `peak RSS` the process's.

use crate::backend::Backend;
use crate::compare::{Comparison, Outcome};
use crate::report::{RunReport, MMU_WINDOWS};
use crate::spread::Spread;

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
    // Rounded to three significant digits first, so that 9.9996 is `10.0`, not `10.00`.
    let magnitude = 10f64.powi(value.log10().floor() as i32 - 2);
    let value = (value / magnitude).round() * magnitude;
    if value >= 1000.0 && unit != "s" {
        return format_ms(if unit == "ms" { value } else { value / 1000.0 });
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

/// The mark after a ratio whose backend's wall-time range overlaps the reference's: a tie.
pub const TIE: &str = "≈";

/// The table of one workload: a title line, a header and one row per backend. With
/// repetitions, every figure is the median over them, `±` is the wall time's spread (the
/// farther of min and max from the median, as a share of it), and a ratio marked [`TIE`] is
/// within the spread: the two backends' min–max ranges overlap.
pub fn workload_table(comparison: &Comparison, workload: &str) -> String {
    workload_rows(comparison, workload).text()
}

/// A workload's table as cells: what [`workload_table`] lays out as text and the HTML report
/// as a table.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// `gcbench (size 14, median of 3 runs)`.
    pub title: String,
    /// The column names.
    pub header: Vec<String>,
    /// One row per backend; a row that did not finish has two cells (the backend, why).
    pub rows: Vec<Vec<String>>,
    /// Notes below the table: why runs did not finish, what the marks mean.
    pub notes: Vec<String>,
}

/// The cells of one workload's table (see [`workload_table`]).
pub fn workload_rows(comparison: &Comparison, workload: &str) -> Table {
    let repeated = comparison.repeat > 1;
    let mut header = vec!["backend", "time"];
    if repeated {
        header.push("±");
    }
    header.extend([
        "×best",
        "×nogc",
        "GC",
        "minor",
        "full",
        "bursts",
        "p99",
        "max",
        "MMU 1ms",
        "10ms",
        "100ms",
        "peak heap",
        "peak RSS",
    ]);
    let best = comparison.best(workload).map(|(_, s)| s);
    let baseline = comparison.baseline_wall(workload);
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut notes = Vec::new();
    let mut size = 0;
    let mut mmu_cut = false;
    for cell in comparison.cells(workload) {
        size = cell.size;
        let row = match (cell.wall(), cell.problem) {
            (Some(wall), _) => {
                let median = |f: &dyn Fn(&RunReport) -> f64| cell.spread(f).map_or(0.0, |s| s.median);
                let ratio = |base: Option<Spread>| match base {
                    Some(b) if b.median > 0.0 => {
                        let tie = if wall.ties(&b) && wall != b { TIE } else { "" };
                        format!("{:.2}{tie}", wall.median / b.median)
                    }
                    _ => "—".into(),
                };
                // A window longer than the run measures nothing the run-wide share does not.
                let mmu = |window_ms: f64, f: &dyn Fn(&RunReport) -> f64| {
                    if window_ms > wall.min {
                        "—".to_owned()
                    } else {
                        percent(median(f))
                    }
                };
                mmu_cut |= MMU_WINDOWS.iter().any(|w| w.as_secs_f64() * 1e3 > wall.min);
                let mut row = vec![cell.backend.to_owned(), format_ms(wall.median)];
                if repeated {
                    row.push(format!("{:.0}%", wall.relative() * 100.0));
                }
                row.extend([
                    ratio(best),
                    ratio(baseline),
                    percent(median(&|r| if r.wall_ms > 0.0 { r.gc_ms / r.wall_ms } else { 0.0 })),
                    count(median(&|r| r.minor_collections as f64)),
                    count(median(&|r| r.full_collections as f64)),
                    count(median(&|r| free_bursts(r) as f64)),
                    format_ms(median(&|r| r.pause_p99_us) / 1000.0),
                    format_ms(median(&|r| r.pause_max_us) / 1000.0),
                    mmu(1.0, &|r| r.mmu_1ms),
                    mmu(10.0, &|r| r.mmu_10ms),
                    mmu(100.0, &|r| r.mmu_100ms),
                    format_bytes(median(&|r| r.peak_heap_bytes as f64) as u64),
                    match median(&|r| r.peak_rss_bytes as f64) {
                        rss if rss > 0.0 => format_bytes(rss as u64),
                        _ => "—".into(),
                    },
                ]);
                row
            }
            (None, Some(Outcome::DidNotFit(message))) => {
                notes.push(format!("{}: {message}", cell.backend));
                vec![cell.backend.to_owned(), "did not fit".into()]
            }
            (None, Some(Outcome::Failed(message))) => {
                notes.push(format!("{}: {message}", cell.backend));
                vec![cell.backend.to_owned(), "FAILED".into()]
            }
            (None, _) => vec![cell.backend.to_owned(), "no run".into()],
        };
        rows.push(row);
    }
    if rows.iter().any(|r| r.iter().any(|c| c.ends_with(TIE))) {
        notes.push(format!(
            "{TIE}: a tie: within the spread of the backend it is compared with (their time ranges overlap)"
        ));
    }
    if mmu_cut {
        notes.push("MMU —: the window is longer than the run".to_owned());
    }
    let runs = if repeated { format!(", median of {} runs", comparison.repeat) } else { String::new() };
    Table {
        title: format!("{workload} (size {size}{runs})"),
        header: header.into_iter().map(String::from).collect(),
        rows,
        notes,
    }
}

impl Table {
    /// The table as aligned text: the title, the header, a line per row, the notes indented.
    pub fn text(&self) -> String {
        let header = &self.header;
        let rows: Vec<&Vec<String>> = std::iter::once(header).chain(&self.rows).collect();
        let mut widths = vec![0; header.len()];
        for row in &rows {
            // A short row (did not fit, failed) spans the rest of the line: its cells do not widen
            // the columns they fall in.
            if row.len() == header.len() {
                for (w, cell) in widths.iter_mut().zip(row.iter()) {
                    *w = (*w).max(cell.chars().count());
                }
            }
        }
        widths[0] = rows.iter().map(|r| r[0].chars().count()).max().unwrap_or(0);
        let mut text = format!("{}\n", self.title);
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
        for note in &self.notes {
            text.push_str("  ");
            text.push_str(note);
            text.push('\n');
        }
        text
    }
}

/// Pauses of the `free-burst` kind in a run's log (refcount's cascades of frees).
pub fn free_bursts(report: &RunReport) -> usize {
    report.pause_log.iter().filter(|p| p.kind == FREE_BURST).count()
}

/// The pause kind of a cascade of frees by reference count, as the pause log names it.
pub const FREE_BURST: &str = "free-burst";

/// A median count, rounded (the median of an even number of counts may end in .5).
fn count(median: f64) -> String {
    format!("{}", median.round() as u64)
}

/// What the columns mean and what each backend's pauses are: printed once after the tables;
/// with `op_costs`, what each column of the per-operation table times.
pub fn legend(backends: &[Backend], op_costs: bool) -> String {
    let mut text = String::from(
        "time: the workload's wall time (the median of the repetitions; ±: their spread)\n\
         ×best, ×nogc: the time over the fastest backend's, and over the no-GC baseline's (which pays for fresh \
         pages: not a lower bound)\n\
         GC: the share of the time the mutator was stopped; minor, full: collections; bursts: free bursts\n\
         p99, max: pause percentiles; MMU: minimum mutator utilisation in any 1, 10 or 100 ms window\n\
         peak heap: the most memory the heap held; peak RSS: the process's\n",
    );
    for &b in backends {
        text.push_str(&format!("{}'s pauses: {}\n", b.name(), b.pauses()));
    }
    if op_costs {
        for (op, meaning) in crate::op_costs::op_legend() {
            text.push_str(&format!("{op}: {meaning}\n"));
        }
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
        assert_eq!(format_ms(9.99999), "10.0 ms");
        assert_eq!(format_ms(99.96), "100 ms");
        assert_eq!(format_ms(999.7), "1.00 s");
        assert_eq!(format_ms(0.99996), "1.00 ms");
        assert_eq!(format_bytes(0), "0.0 KiB");
        assert_eq!(format_bytes(3 << 30), "3072.0 MiB");
        assert_eq!(percent(0.994), "99%");
    }
}
