//! The process's peak resident set size.

/// The peak resident set size of this process in bytes (`VmHWM` in `/proc/self/status`), or 0
/// where that is unavailable (not Linux, or no `/proc`).
pub fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status").ok().and_then(|status| parse_vm_hwm(&status)).unwrap_or(0)
}

/// The `VmHWM:` line of a `/proc/PID/status` text, in bytes.
///
/// ```
/// use gclab_cli::rss::parse_vm_hwm;
/// assert_eq!(parse_vm_hwm("Name:\tgclab\nVmHWM:\t  10240 kB\nVmRSS:\t 512 kB\n"), Some(10240 * 1024));
/// assert_eq!(parse_vm_hwm("Name:\tgclab\n"), None);
/// ```
pub fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let mut fields = line["VmHWM:".len()..].split_whitespace();
    let value: u64 = fields.next()?.parse().ok()?;
    match fields.next() {
        Some("kB") | None => Some(value * 1024),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_a_peak() {
        if cfg!(target_os = "linux") {
            assert!(peak_rss_bytes() > 0);
        }
    }
}
