//! A description of the machine a comparison ran on, for the report: timings mean little
//! without it.

use serde::{Deserialize, Serialize};

/// The machine: what `/proc` and the standard library say, `unknown` where they say nothing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// The CPU's model name (`/proc/cpuinfo`).
    pub cpu: String,
    /// Hardware threads this process may use.
    pub cores: usize,
    /// Physical memory in bytes (`MemTotal` in `/proc/meminfo`); 0 if unknown.
    pub memory_bytes: u64,
    /// The operating system (`PRETTY_NAME` in `/etc/os-release`, or the target's OS).
    pub os: String,
    /// The kernel release (`/proc/sys/kernel/osrelease`).
    pub kernel: String,
    /// The target architecture the binary was built for.
    pub arch: String,
    /// When the comparison ended, UTC, as `YYYY-MM-DD HH:MM:SS UTC`.
    pub date: String,
}

impl Machine {
    /// This machine, now.
    pub fn describe() -> Machine {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let cpuinfo = read("/proc/cpuinfo");
        let cpu = field(&cpuinfo, "model name", ':').unwrap_or_else(|| "unknown".to_owned());
        let memory_bytes = field(&read("/proc/meminfo"), "MemTotal", ':')
            .and_then(|v| v.trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kib| kib * 1024);
        let os = field(&read("/etc/os-release"), "PRETTY_NAME", '=')
            .map(|v| v.trim_matches('"').to_owned())
            .unwrap_or_else(|| std::env::consts::OS.to_owned());
        let kernel = read("/proc/sys/kernel/osrelease").trim().to_owned();
        let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            memory_bytes,
            os,
            kernel: if kernel.is_empty() { "unknown".to_owned() } else { kernel },
            arch: std::env::consts::ARCH.to_owned(),
            date: utc_date(seconds),
        }
    }

    /// One line: `Intel Xeon …, 2 threads, 7.8 GiB, Debian GNU/Linux 12 (kernel 6.1.0), x86_64`.
    pub fn summary(&self) -> String {
        format!(
            "{}, {} threads, {:.1} GiB, {} (kernel {}), {}",
            self.cpu,
            self.cores,
            self.memory_bytes as f64 / (1u64 << 30) as f64,
            self.os,
            self.kernel,
            self.arch
        )
    }
}

/// The value of the first `name SEPARATOR value` line.
fn field(text: &str, name: &str, separator: char) -> Option<String> {
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(separator)?;
        (key.trim() == name).then(|| value.trim().to_owned())
    })
}

/// Seconds since the Unix epoch as a UTC date and time (the civil calendar from day counts,
/// after Howard Hinnant's `civil_from_days`).
///
/// ```
/// use gclab_cli::machine::utc_date;
/// assert_eq!(utc_date(0), "1970-01-01 00:00:00 UTC");
/// assert_eq!(utc_date(951_782_400 + 3_661), "2000-02-29 01:01:01 UTC");
/// ```
pub fn utc_date(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC", rest / 3600, rest / 60 % 60, rest % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_this_machine() {
        assert_eq!(field("model name\t: Xeon\nflags : x\n", "model name", ':'), Some("Xeon".to_owned()));
        assert_eq!(field("A=1\nPRETTY_NAME=\"Debian\"\n", "PRETTY_NAME", '='), Some("\"Debian\"".to_owned()));
        let machine = Machine::describe();
        assert!(machine.cores > 0);
        assert!(machine.summary().contains(&machine.arch));
        assert!(machine.date.ends_with(" UTC") && machine.date.len() == 23, "{}", machine.date);
    }
}
