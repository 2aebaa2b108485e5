//! The median and spread of a figure over repeated runs, and when two figures tie.
//!
//! A single run's wall time moves by tens of percent from one run to the next on a busy
//! machine, so `compare --repeat N` runs each pair N times and reports the median with its
//! spread (the minimum and maximum observed). Two backends whose min–max ranges overlap are a
//! tie: the repetitions did not separate them.

use serde::{Deserialize, Serialize};

/// The median, minimum and maximum of some observations.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// The median: the middle observation, or the mean of the two middle ones.
    pub median: f64,
    /// The smallest observation.
    pub min: f64,
    /// The largest observation.
    pub max: f64,
    /// How many observations.
    pub n: usize,
}

impl Spread {
    /// The spread of `values` (in any order); `None` when there are none.
    ///
    /// ```
    /// use gclab_cli::spread::Spread;
    /// let s = Spread::of(&[300.0, 100.0, 200.0, 1000.0]).unwrap();
    /// assert_eq!((s.median, s.min, s.max, s.n), (250.0, 100.0, 1000.0, 4));
    /// assert_eq!(Spread::of(&[7.0]).unwrap().median, 7.0);
    /// assert!(Spread::of(&[]).is_none());
    /// ```
    pub fn of(values: &[f64]) -> Option<Spread> {
        if values.is_empty() {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 };
        Some(Spread { median, min: sorted[0], max: sorted[n - 1], n })
    }

    /// Whether the repetitions failed to separate `self` from `other`: both have more than one
    /// observation and their min–max ranges overlap. Single observations never tie (nothing
    /// is known of their noise).
    ///
    /// ```
    /// use gclab_cli::spread::Spread;
    /// let a = Spread::of(&[100.0, 110.0, 120.0]).unwrap();
    /// let b = Spread::of(&[115.0, 130.0, 140.0]).unwrap();
    /// let c = Spread::of(&[121.0, 130.0, 140.0]).unwrap();
    /// assert!(a.ties(&b) && b.ties(&a));
    /// assert!(!a.ties(&c));
    /// assert!(!Spread::of(&[1.0]).unwrap().ties(&Spread::of(&[1.0]).unwrap()));
    /// ```
    pub fn ties(&self, other: &Spread) -> bool {
        self.n > 1 && other.n > 1 && self.min <= other.max && other.min <= self.max
    }

    /// The largest distance from the median to either end, as a fraction of the median (0
    /// when the median is 0).
    ///
    /// ```
    /// use gclab_cli::spread::Spread;
    /// assert_eq!(Spread::of(&[90.0, 100.0, 120.0]).unwrap().relative(), 0.2);
    /// ```
    pub fn relative(&self) -> f64 {
        if self.median == 0.0 {
            return 0.0;
        }
        (self.max - self.median).max(self.median - self.min) / self.median
    }
}
