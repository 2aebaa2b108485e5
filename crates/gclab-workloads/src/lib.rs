//! Workloads for gclab heaps: mutator programs written once against the [`Heap`] trait and
//! monomorphised for each backend, so no dynamic dispatch sits on their hot paths.
//!
//! Each workload implements [`Workload`]: a name, a one-line description, a default size and a
//! range of valid sizes, and `run::<H>(heap, size, out)`, which writes the program's output to
//! `out` and returns a checksum that does not depend on the backend. [`WorkloadId`] lists every
//! workload, for command lines and reports that choose one by name.
//!
//! Workloads so far:
//!
//! - [`BinaryTrees`] (`binary-trees`): the Computer Language Benchmarks Game program; its
//!   malloc baseline over `Box` is [`baseline::binary_trees`].
//!
//! ```
//! use gclab_workloads::{binary_trees, baseline};
//! let mut out = Vec::new();
//! let checksum = baseline::binary_trees(6, &mut out).unwrap();
//! let text = String::from_utf8(out).unwrap();
//! assert!(text.starts_with("stretch tree of depth 7\t check: 255\n"));
//! assert_eq!(checksum, binary_trees::expected_checksum(6));
//! ```
//!
//! [`Heap`]: gclab_core::Heap

#![warn(missing_docs)]

pub mod baseline;
pub mod binary_trees;
mod error;
mod workload;

pub use binary_trees::BinaryTrees;
pub use error::{SizeError, UnknownWorkload, WorkloadError};
pub use workload::{Workload, WorkloadId, WorkloadInfo};
