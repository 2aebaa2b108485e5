//! `GCLAB_LOG`: the one value the heaps read is `gc` (one line per collection on stderr); the
//! command line warns about any other, which the heaps would ignore without a word.

/// The values of a `GCLAB_LOG` setting (comma-separated) that mean nothing.
///
/// ```
/// use gclab_cli::log_setting::unknown_log_values;
/// assert!(unknown_log_values("gc").is_empty());
/// assert_eq!(unknown_log_values("gc, gctrace,"), ["gctrace"]);
/// assert_eq!(unknown_log_values("1"), ["1"]);
/// ```
pub fn unknown_log_values(setting: &str) -> Vec<&str> {
    setting.split(',').map(str::trim).filter(|v| !v.is_empty() && *v != "gc").collect()
}
