//! Minimum mutator utilisation (Cheng and Blelloch, 2001), computed exactly from a pause log.
//!
//! For a run of length `T` whose mutator was stopped during the pauses `[s_i, s_i + d_i)`, the
//! utilisation of a window `[t, t + w)` is the fraction of it in which the mutator ran:
//! `(w − GC(t, t + w)) / w`, where `GC` is the pause time inside the window. `MMU(w)` is the
//! least utilisation over every window of width `w` inside `[0, T]`. A window that slides
//! without crossing a pause boundary changes its pause time linearly, so the least utilisation
//! is reached with the window starting where a pause starts or ending where a pause ends (or at
//! either end of the run): those `2n + 2` candidates are evaluated, each in `O(log n)` with
//! prefix sums of the pause log.
//!
//! Hand-worked example: a run of 100 ms with pauses of 10 ms at 20 ms and 5 ms at 32 ms. A
//! 20 ms window from 17 ms to 37 ms holds all 15 ms of pause (so does any window from 17 to
//! 20 ms): `MMU(20 ms) = 5 / 20 = 0.25`. A 10 ms window fits inside the first pause:
//! `MMU(10 ms) = 0`. A 100 ms window is the whole run: `MMU(100 ms) = 85 / 100`.
//!
//! A window longer than the run has no place in it; `MMU(w)` for `w ≥ T` is reported as the
//! run's overall utilisation, the value windows approach as they grow to `T`.

use std::time::Duration;

/// One pause as an interval of the run, in nanoseconds from the run's start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    /// When the mutator stopped.
    pub start: u64,
    /// How long it stayed stopped.
    pub duration: u64,
}

/// A pause log prepared for utilisation queries: pauses sorted, clipped to the run, merged
/// where they overlap, with the pause time before each.
#[derive(Clone, Debug)]
pub struct Utilisation {
    run: u64,
    starts: Vec<u64>,
    ends: Vec<u64>,
    /// `before[i]`: pause time in the pauses before pause `i`.
    before: Vec<u64>,
}

impl Utilisation {
    /// Prepares the pauses of a run of length `run`.
    pub fn new(run: Duration, pauses: impl IntoIterator<Item = (Duration, Duration)>) -> Self {
        let run = nanos(run);
        let mut intervals: Vec<(u64, u64)> = pauses
            .into_iter()
            .map(|(start, duration)| {
                let start = nanos(start).min(run);
                (start, start.saturating_add(nanos(duration)).min(run))
            })
            .filter(|&(start, end)| end > start)
            .collect();
        intervals.sort_unstable();
        let (mut starts, mut ends, mut before) = (Vec::new(), Vec::new(), Vec::new());
        let mut total = 0u64;
        for (start, end) in intervals {
            match ends.last_mut() {
                Some(last) if start <= *last => {
                    // Overlapping or touching: extend the previous pause.
                    if end > *last {
                        total += end - *last;
                        *last = end;
                    }
                }
                _ => {
                    starts.push(start);
                    ends.push(end);
                    before.push(total);
                    total += end - start;
                }
            }
        }
        Utilisation { run, starts, ends, before }
    }

    /// Pause time in `[0, x]`.
    fn paused_until(&self, x: u64) -> u64 {
        // The pauses starting at or before x.
        let i = self.starts.partition_point(|&s| s <= x);
        if i == 0 {
            return 0;
        }
        let last = i - 1;
        self.before[last] + x.min(self.ends[last]) - self.starts[last]
    }

    /// Pause time in `[a, b]`.
    fn paused_between(&self, a: u64, b: u64) -> u64 {
        self.paused_until(b) - self.paused_until(a)
    }

    /// Total pause time (within the run).
    pub fn total_paused(&self) -> Duration {
        Duration::from_nanos(self.paused_until(self.run))
    }

    /// The run's overall utilisation: the mutator's share of the whole run (1 for an empty
    /// run).
    pub fn overall(&self) -> f64 {
        if self.run == 0 {
            return 1.0;
        }
        (self.run - self.paused_until(self.run)) as f64 / self.run as f64
    }

    /// `MMU(window)`: the least mutator utilisation over every window of that width in the
    /// run, in `0.0..=1.0`. A window at least as long as the run gives [`Self::overall`].
    pub fn mmu(&self, window: Duration) -> f64 {
        let w = nanos(window);
        if w == 0 || w >= self.run {
            return self.overall();
        }
        let latest = self.run - w;
        let candidates = self
            .starts
            .iter()
            .map(|&s| s.min(latest))
            .chain(self.ends.iter().map(|&e| e.saturating_sub(w).min(latest)))
            .chain([0, latest]);
        let worst = candidates.map(|t| self.paused_between(t, t + w)).max().unwrap_or(0);
        (w - worst) as f64 / w as f64
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// `MMU(window)` of a run of length `run` with `pauses` (start, duration) — a shorthand for
/// [`Utilisation::new`] then [`Utilisation::mmu`].
///
/// ```
/// use std::time::Duration;
/// use gclab_cli::mmu::mmu;
/// let ms = Duration::from_millis;
/// let pauses = [(ms(20), ms(10)), (ms(32), ms(5))];
/// assert_eq!(mmu(ms(100), pauses, ms(20)), 0.25);
/// assert_eq!(mmu(ms(100), pauses, ms(10)), 0.0);
/// ```
pub fn mmu(run: Duration, pauses: impl IntoIterator<Item = (Duration, Duration)>, window: Duration) -> f64 {
    Utilisation::new(run, pauses).mmu(window)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    /// The least utilisation found by sliding the window in 10 µs steps (the pause logs below
    /// have boundaries on 10 µs), for comparison with the exact computation.
    fn brute_force(run_ms: u64, pauses: &[(u64, u64)], window_us: u64) -> f64 {
        let run_us = run_ms * 1000;
        let mut worst = 0;
        let mut t = 0;
        while t + window_us <= run_us {
            let paused: u64 = pauses
                .iter()
                .map(|&(s, d)| {
                    let (s, e) = (s * 1000, (s + d) * 1000);
                    e.min(t + window_us).saturating_sub(s.max(t))
                })
                .sum();
            worst = worst.max(paused);
            t += 10;
        }
        (window_us - worst) as f64 / window_us as f64
    }

    #[test]
    fn hand_worked_log() {
        // 100 ms run; pauses 20–30 ms and 32–37 ms.
        let u = Utilisation::new(ms(100), [(ms(20), ms(10)), (ms(32), ms(5))]);
        assert_eq!(u.total_paused(), ms(15));
        assert_eq!(u.overall(), 0.85);
        assert_eq!(u.mmu(ms(1)), 0.0); // inside the first pause
        assert_eq!(u.mmu(ms(10)), 0.0); // exactly the first pause
        assert_eq!(u.mmu(ms(12)), 2.0 / 12.0); // 20–32 ms holds 10 ms; 25–37 holds 5+5
        assert_eq!(u.mmu(ms(17)), 2.0 / 17.0); // 20–37 ms holds all 15 ms
        assert_eq!(u.mmu(ms(20)), 0.25); // 17–37 ms holds all 15 ms
        assert_eq!(u.mmu(ms(50)), 35.0 / 50.0);
        assert_eq!(u.mmu(ms(100)), 0.85); // the whole run
        assert_eq!(u.mmu(ms(1000)), 0.85); // longer than the run: the overall figure
    }

    #[test]
    fn pauses_at_the_edges_and_overlapping() {
        // A pause at the very start, one running past the end, and two overlapping ones.
        let u = Utilisation::new(ms(50), [(ms(0), ms(4)), (ms(45), ms(10)), (ms(20), ms(6)), (ms(24), ms(4))]);
        assert_eq!(u.total_paused(), ms(4 + 5 + 8)); // clipped at 50; 20–28 merged
        assert_eq!(u.mmu(ms(8)), 0.0); // 20–28 ms
        assert_eq!(u.mmu(ms(10)), 2.0 / 10.0); // 18–28 or 20–30 hold 8 ms
        assert_eq!(u.mmu(ms(5)), 0.0); // 45–50 ms
        assert_eq!(u.mmu(ms(9)), 1.0 / 9.0); // 20–29 ms holds 8 ms
        assert_eq!(u.mmu(ms(6)), 0.0); // inside 20–28 ms
    }

    #[test]
    fn no_pauses_and_empty_runs() {
        let u = Utilisation::new(ms(10), []);
        assert_eq!((u.mmu(ms(1)), u.overall()), (1.0, 1.0));
        let empty = Utilisation::new(Duration::ZERO, [(ms(0), ms(1))]);
        assert_eq!((empty.mmu(ms(1)), empty.overall()), (1.0, 1.0));
    }

    #[test]
    fn agrees_with_brute_force() {
        // Pseudo-random logs with boundaries on whole milliseconds, against a window sliding
        // in 10 µs steps (which passes every boundary, so the brute force is exact too).
        let mut seed = 12345u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for _ in 0..200 {
            let run = 40 + next(60);
            let mut pauses = Vec::new();
            let mut t = next(5);
            while t < run {
                let d = 1 + next(6);
                pauses.push((t, d));
                t += d + next(12);
            }
            let u = Utilisation::new(ms(run), pauses.iter().map(|&(s, d)| (ms(s), ms(d))));
            for window in [1, 2, 3, 5, 7, 10, 20, 35] {
                if window >= run {
                    continue;
                }
                let exact = u.mmu(ms(window));
                let brute = brute_force(run, &pauses, window * 1000);
                assert!(
                    (exact - brute).abs() < 1e-12,
                    "run {run} pauses {pauses:?} window {window}: {exact} vs {brute}"
                );
            }
        }
    }
}
