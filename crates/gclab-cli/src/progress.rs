//! Progress of `gclab compare` on stderr.
//!
//! On a terminal: one bar, redrawn in place, with the run count, the estimated time left and
//! the run under way; it is cleared at the end, so no stale line stays behind. Tables printed
//! meanwhile (on stdout) appear above it. When stderr is not a terminal (CI, `tee`, a file):
//! one plain line per finished run, so a log shows the comparison moving.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The progress display of a comparison of `total` runs.
pub struct Progress {
    /// The bar, on a terminal; `None` for plain lines.
    bar: Option<ProgressBar>,
    total: usize,
    done: usize,
}

impl Progress {
    /// A bar when stderr is a terminal, plain lines otherwise.
    pub fn new(total: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {bar:24} {pos}/{len} runs, {prefix} · {msg} [{elapsed}]")
                    .expect("a valid template")
                    .progress_chars("█▌ ")
                    .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ "),
            );
            bar.set_prefix("time left unknown");
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        if bar.is_none() {
            eprintln!("gclab: {total} runs");
        }
        Progress { bar, total, done: 0 }
    }

    /// A run starts; `left` is the estimated time until the last run ends.
    pub fn start(&mut self, what: &str, left: Option<Duration>) {
        if let Some(bar) = &self.bar {
            bar.set_prefix(time_left(left));
            bar.set_message(what.to_owned());
        }
    }

    /// A run ended with `summary` (its time, or how it failed); `left` is the new estimate.
    pub fn finish(&mut self, what: &str, summary: &str, left: Option<Duration>) {
        self.done += 1;
        match &self.bar {
            Some(bar) => {
                bar.set_position(self.done as u64);
                bar.set_prefix(time_left(left));
            }
            None => {
                let left = if self.done < self.total { format!(" ({})", time_left(left)) } else { String::new() };
                eprintln!("[{}/{}] {what}: {summary}{left}", self.done, self.total);
            }
        }
    }

    /// Prints `text` on stdout, above the bar.
    pub fn print(&self, text: &str) {
        self.suspended(|| {
            let mut out = std::io::stdout().lock();
            let _ = write!(out, "{text}");
            if !text.ends_with('\n') {
                let _ = writeln!(out);
            }
            let _ = out.flush();
        });
    }

    /// Prints `text` on stderr, above the bar.
    pub fn eprint(&self, text: &str) {
        self.suspended(|| {
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
        });
    }

    /// Removes the bar.
    pub fn done(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }

    fn suspended(&self, f: impl FnOnce()) {
        match &self.bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }
}

/// `about 1 min 20 s left`, or `time left unknown` before any run has ended.
///
/// ```
/// use std::time::Duration;
/// use gclab_cli::progress::time_left;
/// assert_eq!(time_left(Some(Duration::from_secs(80))), "about 1 min 20 s left");
/// assert_eq!(time_left(Some(Duration::from_millis(7400))), "about 8 s left");
/// assert_eq!(time_left(None), "time left unknown");
/// ```
pub fn time_left(left: Option<Duration>) -> String {
    let Some(left) = left else { return "time left unknown".to_owned() };
    let secs = left.as_secs_f64().ceil() as u64;
    if secs >= 60 {
        format!("about {} min {} s left", secs / 60, secs % 60)
    } else {
        format!("about {secs} s left")
    }
}
