//! The machine's own pauses: how long a thread that does nothing but read the clock is kept
//! from running.
//!
//! A collector's pause is timed with the wall clock, so whatever stops the mutator's thread
//! during a pause — the scheduler running another thread on its core, the hypervisor of a
//! virtual machine running another guest's vCPU — is counted in it. A pause budget of a
//! millisecond means nothing on a machine that stops every thread for a millisecond now and
//! then. `gclab jitter` measures that floor: one thread reads the clock in a loop and records
//! every gap between two readings above a threshold, with how far the thread's own CPU clock
//! advanced across it:
//!
//! - CPU time well below the gap: the thread was **descheduled** (the system ran something
//!   else; the collector's `descheduled_pauses` counts pauses like this);
//! - CPU time about the gap: the thread's clock ran on while it did not run: **held** by the
//!   hypervisor (steal time is charged to the running thread on a KVM guest) or by interrupt
//!   handling. A collector cannot tell such a pause from work.

use std::time::{Duration, Instant};

/// A gap between two readings of the clock.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gap {
    /// When it ended, from the start of the probe.
    pub at: Duration,
    /// Its length on the wall clock.
    pub wall: Duration,
    /// How far the thread's CPU clock advanced across it.
    pub cpu: Duration,
}

impl Gap {
    /// Whether the thread was descheduled: its CPU clock advanced by less than half the gap.
    pub fn descheduled(&self) -> bool {
        self.cpu * 2 < self.wall
    }
}

/// What one probe saw.
#[derive(Clone, Debug, PartialEq)]
pub struct Jitter {
    /// How long it ran.
    pub ran: Duration,
    /// The gap that counts.
    pub threshold: Duration,
    /// Every gap above the threshold, in order.
    pub gaps: Vec<Gap>,
}

impl Jitter {
    /// Reads the clock in a loop on this thread for `duration`, keeping every gap above
    /// `threshold`. Uses one core for the duration.
    pub fn probe(duration: Duration, threshold: Duration) -> Jitter {
        let start = Instant::now();
        let mut gaps = Vec::new();
        let (mut before, mut cpu_before) = (start, thread_cpu());
        loop {
            let (now, cpu) = (Instant::now(), thread_cpu());
            let wall = now - before;
            if wall > threshold {
                gaps.push(Gap { at: now - start, wall, cpu: cpu.saturating_sub(cpu_before) });
            }
            (before, cpu_before) = (now, cpu);
            if now - start >= duration {
                return Jitter { ran: now - start, threshold, gaps };
            }
        }
    }

    /// The longest gap, if any was above the threshold.
    pub fn longest(&self) -> Option<Gap> {
        self.gaps.iter().copied().max_by_key(|g| g.wall)
    }

    /// Gaps longer than `length`.
    pub fn over(&self, length: Duration) -> usize {
        self.gaps.iter().filter(|g| g.wall > length).count()
    }

    /// One paragraph: the counts, the longest gap and what kind it was.
    pub fn summary(&self) -> String {
        let mut text = format!(
            "a thread that only read the clock for {:.1} s was stopped {} times for over {} µs, {} times for \
             over 1 ms",
            self.ran.as_secs_f64(),
            self.gaps.len(),
            self.threshold.as_micros(),
            self.over(Duration::from_millis(1)),
        );
        if let Some(longest) = self.longest() {
            let held = self.gaps.iter().filter(|g| !g.descheduled()).count();
            text.push_str(&format!(
                "; the longest for {:.2} ms ({}); {} of the {} stops kept its CPU clock running (held by the \
                 hypervisor or interrupts), the others descheduled it",
                longest.wall.as_secs_f64() * 1e3,
                describe(&longest),
                held,
                self.gaps.len()
            ));
        }
        text
    }
}

/// `descheduled` or `held`, with the CPU time.
pub fn describe(gap: &Gap) -> String {
    let kind = if gap.descheduled() { "descheduled" } else { "held" };
    format!("{kind}: its CPU clock advanced {:.2} ms", gap.cpu.as_secs_f64() * 1e3)
}

/// The calling thread's CPU time (zero where the system does not say).
fn thread_cpu() -> Duration {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid, writable timespec.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0 {
            return Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32);
        }
    }
    Duration::ZERO
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(at_ms: u64, wall_us: u64, cpu_us: u64) -> Gap {
        Gap {
            at: Duration::from_millis(at_ms),
            wall: Duration::from_micros(wall_us),
            cpu: Duration::from_micros(cpu_us),
        }
    }

    #[test]
    fn a_probe_runs_its_time_and_keeps_only_gaps_over_the_threshold() {
        let threshold = Duration::from_micros(100);
        let jitter = Jitter::probe(Duration::from_millis(30), threshold);
        assert!(jitter.ran >= Duration::from_millis(30), "{:?}", jitter.ran);
        assert!(jitter.gaps.iter().all(|g| g.wall > threshold));
        assert!(jitter.gaps.windows(2).all(|w| w[0].at < w[1].at));
    }

    #[test]
    fn the_summary_names_the_longest_gap_and_its_kind() {
        let jitter = Jitter {
            ran: Duration::from_secs(5),
            threshold: Duration::from_micros(200),
            gaps: vec![gap(100, 300, 290), gap(200, 4800, 230), gap(300, 1100, 1100)],
        };
        assert_eq!(jitter.over(Duration::from_millis(1)), 2);
        assert_eq!(jitter.longest(), Some(gap(200, 4800, 230)));
        assert!(jitter.gaps[1].descheduled() && !jitter.gaps[2].descheduled());
        assert_eq!(
            jitter.summary(),
            "a thread that only read the clock for 5.0 s was stopped 3 times for over 200 µs, 2 times for over 1 \
             ms; the longest for 4.80 ms (descheduled: its CPU clock advanced 0.23 ms); 2 of the 3 stops kept its \
             CPU clock running (held by the hypervisor or interrupts), the others descheduled it"
        );
    }
}
