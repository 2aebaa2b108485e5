//! Pause percentiles, by the nearest-rank method.
//!
//! The p-th percentile of `N` values sorted ascending is the value at rank
//! `max(1, ceil(p / 100 × N))` (ranks count from 1): always one of the values observed, never
//! an interpolation. For the pauses 15, 20, 35, 40, 50 ms, p50 is rank 3 (35 ms) and p90 is
//! rank 5 (50 ms).

use std::time::Duration;

use gclab::Pause;

/// The nearest-rank `p`-th percentile (`0 ≤ p ≤ 100`) of `sorted`, which must be sorted
/// ascending; `None` when it is empty.
///
/// The rank is computed in integers (from `p` in millionths of a percent), so that p90 of
/// 10 values is exactly rank 9, with no floating-point rounding up to rank 10.
///
/// ```
/// use gclab_cli::percentile::nearest_rank;
/// let sorted = [15, 20, 35, 40, 50];
/// assert_eq!(nearest_rank(&sorted, 30.0), Some(20));
/// assert_eq!(nearest_rank(&sorted, 50.0), Some(35));
/// assert_eq!(nearest_rank(&sorted, 100.0), Some(50));
/// ```
pub fn nearest_rank<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    assert!((0.0..=100.0).contains(&p), "percentile {p} is not in 0..=100");
    if sorted.is_empty() {
        return None;
    }
    const SCALE: u128 = 100_000_000; // 100 percent, in millionths of a percent
    let p = (p * 1_000_000.0).round() as u128;
    let n = sorted.len() as u128;
    let rank = (p * n).div_ceil(SCALE).max(1);
    Some(sorted[rank as usize - 1])
}

/// The summary of a pause log that reports print.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PauseSummary {
    /// Pauses in the log.
    pub count: usize,
    /// The longest.
    pub max: Duration,
    /// The median (nearest rank).
    pub p50: Duration,
    /// The 90th percentile (nearest rank).
    pub p90: Duration,
    /// The 99th percentile (nearest rank).
    pub p99: Duration,
    /// All pauses added up.
    pub total: Duration,
}

impl PauseSummary {
    /// Summarises pause durations in any order; all zero when there are none.
    pub fn from_durations(durations: impl IntoIterator<Item = Duration>) -> Self {
        let mut sorted: Vec<Duration> = durations.into_iter().collect();
        sorted.sort_unstable();
        let at = |p| nearest_rank(&sorted, p).unwrap_or_default();
        PauseSummary {
            count: sorted.len(),
            max: sorted.last().copied().unwrap_or_default(),
            p50: at(50.0),
            p90: at(90.0),
            p99: at(99.0),
            total: sorted.iter().sum(),
        }
    }

    /// Summarises a heap's pause log.
    pub fn from_pauses(pauses: &[Pause]) -> Self {
        PauseSummary::from_durations(pauses.iter().map(|p| p.duration))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gclab::CollectionKind;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn nearest_rank_hand_worked() {
        // Ranks: p × 5 / 100 rounded up.
        let five = [15, 20, 35, 40, 50];
        assert_eq!(nearest_rank(&five, 0.0), Some(15)); // rank 0, raised to 1
        assert_eq!(nearest_rank(&five, 5.0), Some(15)); // 0.25 → 1
        assert_eq!(nearest_rank(&five, 30.0), Some(20)); // 1.5 → 2
        assert_eq!(nearest_rank(&five, 40.0), Some(20)); // 2 exactly
        assert_eq!(nearest_rank(&five, 50.0), Some(35)); // 2.5 → 3
        assert_eq!(nearest_rank(&five, 99.0), Some(50)); // 4.95 → 5
                                                         // Ten values: p90 is rank 9 exactly, p99 rank 10, p25 rank 3, p75 rank 8.
        let ten = [3, 6, 7, 8, 8, 10, 13, 15, 16, 20];
        assert_eq!(nearest_rank(&ten, 25.0), Some(7));
        assert_eq!(nearest_rank(&ten, 50.0), Some(8));
        assert_eq!(nearest_rank(&ten, 75.0), Some(15));
        assert_eq!(nearest_rank(&ten, 90.0), Some(16));
        assert_eq!(nearest_rank(&ten, 99.0), Some(20));
        assert_eq!(nearest_rank(&ten, 100.0), Some(20));
        // 1000 values 1..=1000: p99 is rank 990, p99.9 rank 999.
        let thousand: Vec<u32> = (1..=1000).collect();
        assert_eq!(nearest_rank(&thousand, 99.0), Some(990));
        assert_eq!(nearest_rank(&thousand, 99.9), Some(999));
        assert_eq!(nearest_rank(&[7], 1.0), Some(7));
        assert_eq!(nearest_rank::<u32>(&[], 50.0), None);
    }

    #[test]
    #[should_panic(expected = "not in 0..=100")]
    fn percentiles_past_100_are_refused() {
        nearest_rank(&[1], 100.5);
    }

    #[test]
    fn summary_of_a_pause_log() {
        // Out of order, as a log of varied collections would be.
        let pauses: Vec<Pause> = [40, 15, 50, 20, 35]
            .into_iter()
            .enumerate()
            .map(|(i, d)| Pause {
                kind: CollectionKind::Full,
                start: ms(100 * i as u64),
                duration: ms(d),
                bytes_before: 0,
                bytes_after: 0,
            })
            .collect();
        let s = PauseSummary::from_pauses(&pauses);
        assert_eq!(s, PauseSummary { count: 5, max: ms(50), p50: ms(35), p90: ms(50), p99: ms(50), total: ms(160) });
        let twenty = PauseSummary::from_durations((1..=20).map(ms));
        assert_eq!((twenty.p50, twenty.p90, twenty.p99), (ms(10), ms(18), ms(20)));
        assert_eq!(PauseSummary::from_pauses(&[]), PauseSummary::default());
    }
}
