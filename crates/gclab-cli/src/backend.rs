//! The backends built into this binary, chosen by cargo features, and the dispatch from a
//! backend's name to code monomorphised for its heap type.
//!
//! To add a backend (say `refcount`): add the cargo feature `refcount = ["gclab/refcount"]`
//! to this crate's Cargo.toml (and to `full`), a variant under `#[cfg(feature = "refcount")]`
//! below, its entry in [`Backend::ALL`], its name and description, and its arms in
//! [`Backend::run`] and [`Backend::with_heap`]. The variants are in the order the facade's `DefaultHeap` prefers them.

use std::io::Write;

use clap::builder::PossibleValue;
use gclab::HeapConfig;
use gclab_workloads::WorkloadId;

use crate::report::RunReport;
use crate::runner::{run_on, RunError};

#[cfg(not(any(
    feature = "marksweep",
    feature = "refcount",
    feature = "nogc",
    feature = "generational",
    feature = "concurrent"
)))]
compile_error!(
    "gclab-cli needs at least one backend: enable a cargo feature such as `marksweep` \
     (or `refcount`, `nogc`)"
);

/// A backend built into this binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// `gclab::MarkSweepHeap`.
    #[cfg(feature = "marksweep")]
    MarkSweep,
    /// `gclab::RefcountHeap`.
    #[cfg(feature = "refcount")]
    Refcount,
    /// `gclab::GenerationalHeap`.
    #[cfg(feature = "generational")]
    Generational,
    /// `gclab::ConcurrentHeap`.
    #[cfg(feature = "concurrent")]
    Concurrent,
    /// `gclab::NoGcHeap`: the no-GC baseline, listed last.
    #[cfg(feature = "nogc")]
    NoGc,
}

impl Backend {
    /// Whether this is the no-GC baseline, the backend the others are reported against
    /// (`×nogc`): no collection at all, but it pays for a fresh page for every byte it hands
    /// out, so it is not a lower bound on time.
    pub fn is_baseline(self) -> bool {
        self.name() == "nogc"
    }

    /// Every backend built in, in listing order.
    pub const ALL: &'static [Backend] = &[
        #[cfg(feature = "marksweep")]
        Backend::MarkSweep,
        #[cfg(feature = "refcount")]
        Backend::Refcount,
        #[cfg(feature = "generational")]
        Backend::Generational,
        #[cfg(feature = "concurrent")]
        Backend::Concurrent,
        #[cfg(feature = "nogc")]
        Backend::NoGc,
    ];

    /// The name, as `--backend` spells it.
    pub fn name(self) -> &'static str {
        match self {
            #[cfg(feature = "marksweep")]
            Backend::MarkSweep => "marksweep",
            #[cfg(feature = "refcount")]
            Backend::Refcount => "refcount",
            #[cfg(feature = "generational")]
            Backend::Generational => "generational",
            #[cfg(feature = "nogc")]
            Backend::NoGc => "nogc",
            #[cfg(feature = "concurrent")]
            Backend::Concurrent => "concurrent",
        }
    }

    /// One line saying what the collector is.
    pub fn description(self) -> &'static str {
        match self {
            #[cfg(feature = "marksweep")]
            Backend::MarkSweep => "non-moving stop-the-world mark-sweep over size-class pools",
            #[cfg(feature = "refcount")]
            Backend::Refcount => "reference counting with CPython's three-generation cycle detector",
            #[cfg(feature = "generational")]
            Backend::Generational => {
                "a bump-allocated copying nursery with survivor ageing over a mark-sweep old space, with an \
                 object-remembering write barrier"
            }
            #[cfg(feature = "nogc")]
            Backend::NoGc => {
                "no collector: bump allocation that never frees; a no-collection baseline that pays for fresh pages \
                 (not a lower bound on time)"
            }
            #[cfg(feature = "concurrent")]
            Backend::Concurrent => {
                "concurrent tri-color mark (snapshot-at-the-beginning barrier, marker threads) with lazy sweeping"
            }
        }
    }

    /// What this backend's pauses are, for the tables' legend.
    pub fn pauses(self) -> &'static str {
        match self {
            #[cfg(feature = "marksweep")]
            Backend::MarkSweep => "every collection, a full stop-the-world mark and sweep",
            #[cfg(feature = "refcount")]
            Backend::Refcount => {
                "the cycle detector's collections (generations 0 and 1 minor, 2 full), and free bursts: a cascade of \
                 frees by reference count that took 50 µs or more (shorter ones count as mutator time)"
            }
            #[cfg(feature = "generational")]
            Backend::Generational => {
                "minor collections (the nursery's survivors copied or promoted, proportional to what survives) and \
                 full ones (mark-sweep of the whole heap)"
            }
            #[cfg(feature = "nogc")]
            Backend::NoGc => "none: it never collects (it pays instead for a fresh page for every byte)",
            #[cfg(feature = "concurrent")]
            Backend::Concurrent => {
                "the handshakes of each concurrent cycle (initial mark: roots; final mark: barrier buffers drained), \
                 mutator assists (a bounded increment of marking at an allocation while marking is behind), \
                 allocation stalls (the mutator waited for a cycle), and full collections asked for"
            }
        }
    }

    /// The backend called `name`, if built in.
    pub fn from_name(name: &str) -> Option<Backend> {
        Backend::ALL.iter().copied().find(|b| b.name() == name)
    }

    /// Makes this backend's heap with `config` and runs `workload` of `size` on it, writing
    /// the workload's output to `out`. Each arm calls [`run_on`] monomorphised for the heap.
    pub fn run<W: Write>(
        self,
        config: HeapConfig,
        workload: WorkloadId,
        size: u32,
        out: &mut W,
    ) -> Result<RunReport, RunError> {
        match self {
            #[cfg(feature = "marksweep")]
            Backend::MarkSweep => run_on::<gclab::MarkSweepHeap, W>(self, config, workload, size, out),
            #[cfg(feature = "refcount")]
            Backend::Refcount => run_on::<gclab::RefcountHeap, W>(self, config, workload, size, out),
            #[cfg(feature = "generational")]
            Backend::Generational => run_on::<gclab::GenerationalHeap, W>(self, config, workload, size, out),
            #[cfg(feature = "nogc")]
            Backend::NoGc => run_on::<gclab::NoGcHeap, W>(self, config, workload, size, out),
            #[cfg(feature = "concurrent")]
            Backend::Concurrent => run_on::<gclab::ConcurrentHeap, W>(self, config, workload, size, out),
        }
    }

    /// Calls `f` monomorphised for this backend's heap type: how code generic over `Heap`
    /// (the per-operation costs) reaches every backend without a match of its own.
    pub fn with_heap<F: WithHeap>(self, f: F) -> F::Output {
        match self {
            #[cfg(feature = "marksweep")]
            Backend::MarkSweep => f.call::<gclab::MarkSweepHeap>(),
            #[cfg(feature = "refcount")]
            Backend::Refcount => f.call::<gclab::RefcountHeap>(),
            #[cfg(feature = "generational")]
            Backend::Generational => f.call::<gclab::GenerationalHeap>(),
            #[cfg(feature = "nogc")]
            Backend::NoGc => f.call::<gclab::NoGcHeap>(),
            #[cfg(feature = "concurrent")]
            Backend::Concurrent => f.call::<gclab::ConcurrentHeap>(),
        }
    }
}

/// Code generic over the heap type, run for one backend by [`Backend::with_heap`] (a closure
/// cannot be generic, so this trait stands in for one).
pub trait WithHeap {
    /// What it returns.
    type Output;
    /// Runs with `H`, the backend's heap type.
    fn call<H: gclab::Heap>(self) -> Self::Output;
}

impl clap::ValueEnum for Backend {
    fn value_variants<'a>() -> &'a [Self] {
        Backend::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()).help(self.description()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert!(!Backend::ALL.is_empty());
        for &b in Backend::ALL {
            assert_eq!(Backend::from_name(b.name()), Some(b));
        }
        assert_eq!(Backend::from_name("nope"), None);
    }
}
