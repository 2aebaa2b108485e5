//! Why a workload could not run or finish.

use std::fmt;
use std::io;

use gclab_core::AllocError;

/// A size outside a workload's valid range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SizeError {
    /// The workload's name.
    pub workload: &'static str,
    /// The size asked for.
    pub size: u32,
    /// The smallest valid size.
    pub min: u32,
    /// The largest valid size.
    pub max: u32,
}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "size {} is out of range for workload `{}`: valid sizes are {} to {}",
            self.size, self.workload, self.min, self.max
        )
    }
}

impl std::error::Error for SizeError {}

/// A workload name that names no workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownWorkload {
    /// The name asked for.
    pub name: String,
}

impl fmt::Display for UnknownWorkload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown workload `{}`; valid workloads are: ", self.name)?;
        let names: Vec<&str> = crate::WorkloadId::ALL.iter().map(|w| w.name()).collect();
        f.write_str(&names.join(", "))
    }
}

impl std::error::Error for UnknownWorkload {}

/// Why a workload stopped.
#[derive(Debug)]
pub enum WorkloadError {
    /// The size is outside the workload's range.
    BadSize(SizeError),
    /// The heap could not satisfy an allocation (its limit is too small for this size).
    Alloc(AllocError),
    /// Writing the output failed.
    Io(io::Error),
    /// The workload's own check of its results failed (a ring not reclaimed, a long-lived
    /// structure damaged): a bug of the backend, or of the workload.
    Check {
        /// The workload's name.
        workload: &'static str,
        /// What was found wrong.
        message: String,
    },
}

impl fmt::Display for WorkloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorkloadError::BadSize(e) => e.fmt(f),
            WorkloadError::Alloc(e) => e.fmt(f),
            WorkloadError::Io(e) => write!(f, "writing the workload's output failed: {e}"),
            WorkloadError::Check { workload, message } => {
                write!(f, "workload `{workload}` failed its check: {message}")
            }
        }
    }
}

impl std::error::Error for WorkloadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WorkloadError::BadSize(e) => Some(e),
            WorkloadError::Alloc(e) => Some(e),
            WorkloadError::Io(e) => Some(e),
            WorkloadError::Check { .. } => None,
        }
    }
}

impl From<SizeError> for WorkloadError {
    fn from(e: SizeError) -> Self {
        WorkloadError::BadSize(e)
    }
}

impl From<AllocError> for WorkloadError {
    fn from(e: AllocError) -> Self {
        WorkloadError::Alloc(e)
    }
}

impl From<io::Error> for WorkloadError {
    fn from(e: io::Error) -> Self {
        WorkloadError::Io(e)
    }
}
