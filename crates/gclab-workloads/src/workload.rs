//! The workload abstraction and the list of every workload.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use gclab_core::Heap;

use crate::{BinaryTrees, Churn, Cycles, GcBench, Large, Lists, PyObjects, SizeError, UnknownWorkload, WorkloadError};

/// What a workload is, apart from how it runs: for listings, argument checking and reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkloadInfo {
    /// The name, as the command line spells it (`binary-trees`).
    pub name: &'static str,
    /// One line saying what the workload does to the heap.
    pub description: &'static str,
    /// What its size means (`"the largest tree depth; …"`).
    pub size_meaning: &'static str,
    /// The size used when none is given: a few seconds per backend on a small machine.
    pub default_size: u32,
    /// The size `gclab compare --quick` uses: a fraction of a second per backend.
    pub quick_size: u32,
    /// The smallest valid size.
    pub min_size: u32,
    /// The largest valid size.
    pub max_size: u32,
}

impl WorkloadInfo {
    /// `Ok` when `size` lies in `min_size..=max_size`.
    ///
    /// ```
    /// use gclab_workloads::{BinaryTrees, Workload};
    /// assert!(BinaryTrees::INFO.check_size(10).is_ok());
    /// assert!(BinaryTrees::INFO.check_size(0).is_err());
    /// ```
    pub fn check_size(&self, size: u32) -> Result<(), SizeError> {
        if (self.min_size..=self.max_size).contains(&size) {
            Ok(())
        } else {
            Err(SizeError { workload: self.name, size, min: self.min_size, max: self.max_size })
        }
    }
}

/// A mutator program that runs on any [`Heap`].
///
/// `run` is generic over the heap so that each backend gets its own monomorphised copy. The
/// trait is therefore not object-safe; [`WorkloadId`] is the way to choose a workload at run
/// time.
///
/// To add a workload: write a module with a unit struct implementing this trait (its `INFO`
/// gives a default size of a few seconds and a quick size well under one), add a variant to
/// [`WorkloadId`] (and to [`WorkloadId::ALL`]) and an arm in its `info` and `run`, and add it to
/// the tests in `tests/every_backend.rs`.
pub trait Workload {
    /// Name, description and sizes.
    const INFO: WorkloadInfo;

    /// Runs the program at `size` on `heap`, writing its output to `out`; returns a checksum
    /// of the work done, the same on every backend.
    ///
    /// Leaves the heap's root stack as it found it, also on error.
    fn run<H: Heap, W: Write>(heap: &mut H, size: u32, out: &mut W) -> Result<u64, WorkloadError>;
}

/// Every workload, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkloadId {
    /// [`BinaryTrees`].
    BinaryTrees,
    /// [`GcBench`].
    GcBench,
    /// [`Cycles`].
    Cycles,
    /// [`Lists`].
    Lists,
    /// [`PyObjects`].
    PyObjects,
    /// [`Large`].
    Large,
    /// [`Churn`].
    Churn,
}

impl WorkloadId {
    /// Every workload, in listing order.
    pub const ALL: &'static [WorkloadId] = &[
        WorkloadId::BinaryTrees,
        WorkloadId::GcBench,
        WorkloadId::Cycles,
        WorkloadId::Lists,
        WorkloadId::PyObjects,
        WorkloadId::Large,
        WorkloadId::Churn,
    ];

    /// The workload's name, description and sizes.
    pub fn info(self) -> &'static WorkloadInfo {
        match self {
            WorkloadId::BinaryTrees => &BinaryTrees::INFO,
            WorkloadId::GcBench => &GcBench::INFO,
            WorkloadId::Cycles => &Cycles::INFO,
            WorkloadId::Lists => &Lists::INFO,
            WorkloadId::PyObjects => &PyObjects::INFO,
            WorkloadId::Large => &Large::INFO,
            WorkloadId::Churn => &Churn::INFO,
        }
    }

    /// The workload's name (`binary-trees`).
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The workload called `name`, if any.
    ///
    /// ```
    /// use gclab_workloads::WorkloadId;
    /// assert_eq!(WorkloadId::from_name("binary-trees"), Some(WorkloadId::BinaryTrees));
    /// assert_eq!(WorkloadId::from_name("nope"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<WorkloadId> {
        WorkloadId::ALL.iter().copied().find(|w| w.name() == name)
    }

    /// Runs the workload: [`Workload::run`] of the chosen one, monomorphised for `H`.
    pub fn run<H: Heap, W: Write>(self, heap: &mut H, size: u32, out: &mut W) -> Result<u64, WorkloadError> {
        match self {
            WorkloadId::BinaryTrees => BinaryTrees::run(heap, size, out),
            WorkloadId::GcBench => GcBench::run(heap, size, out),
            WorkloadId::Cycles => Cycles::run(heap, size, out),
            WorkloadId::Lists => Lists::run(heap, size, out),
            WorkloadId::PyObjects => PyObjects::run(heap, size, out),
            WorkloadId::Large => Large::run(heap, size, out),
            WorkloadId::Churn => Churn::run(heap, size, out),
        }
    }
}

impl fmt::Display for WorkloadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for WorkloadId {
    type Err = UnknownWorkload;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WorkloadId::from_name(s).ok_or_else(|| UnknownWorkload { name: s.into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_choices() {
        for &w in WorkloadId::ALL {
            assert_eq!(w.name().parse::<WorkloadId>(), Ok(w));
            assert!(w.info().check_size(w.info().default_size).is_ok());
            assert!(w.info().min_size >= 1);
        }
        let err = "gcbench2".parse::<WorkloadId>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown workload `gcbench2`; valid workloads are: binary-trees, gcbench, cycles, lists, pyobjects, \
             large, churn"
        );
    }

    #[test]
    fn size_errors_name_the_range() {
        let err = BinaryTrees::INFO.check_size(99).unwrap_err();
        assert_eq!(err.to_string(), "size 99 is out of range for workload `binary-trees`: valid sizes are 1 to 24");
    }
}
