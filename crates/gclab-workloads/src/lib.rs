//! Workloads for gclab heaps: mutator programs written once against the [`Heap`] trait and
//! monomorphised for each backend, so no dynamic dispatch sits on their hot paths.
//!
//! Each workload implements [`Workload`]: a name, a one-line description, a default size and a
//! range of valid sizes, and `run::<H>(heap, size, out)`, which writes the program's output to
//! `out` and returns a checksum that does not depend on the backend. [`WorkloadId`] lists every
//! workload, for command lines and reports that choose one by name.
//!
//! The workloads (`docs/harness.md` describes each and what it stresses):
//!
//! - [`BinaryTrees`] (`binary-trees`): the Computer Language Benchmarks Game program; its
//!   malloc baseline over `Box` is [`baseline::binary_trees`];
//! - [`GcBench`] (`gcbench`): Boehm's GCBench, trees built top-down and bottom-up beside a
//!   long-lived tree and array;
//! - [`Cycles`] (`cycles`): CPython's cycle-collection test, rings of 21 nodes dropped in
//!   batches, all garbage cyclic;
//! - [`Lists`] (`lists`): a long-lived FIFO queue with steady churn;
//! - [`PyObjects`] (`pyobjects`): a Python-like object model running a small program;
//! - [`Large`] (`large`): arrays of 10,000 to 1,000,000 slots among small objects;
//! - [`Churn`] (`churn`): the pause-time workload, a large live graph under mutation.
//!
//! [`ops`] holds the per-operation kernels (allocate, load, store, push and pop a root, …) that
//! `gclab compare` and the criterion bench `per_op` time on every backend.
//!
//! Every workload checks its own results ([`WorkloadError::Check`] when they are wrong), and
//! its checksum depends only on the program, never on the backend. Those that draw random
//! choices use [`rng::SplitMix64`] with a fixed seed.
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
pub mod churn;
pub mod cycles;
mod error;
pub mod gcbench;
pub mod large;
pub mod lists;
pub mod ops;
pub mod pyobjects;
pub mod rng;
mod workload;

pub use binary_trees::BinaryTrees;
pub use churn::Churn;
pub use cycles::Cycles;
pub use error::{SizeError, UnknownWorkload, WorkloadError};
pub use gcbench::GcBench;
pub use large::Large;
pub use lists::Lists;
pub use pyobjects::PyObjects;
pub use workload::{Workload, WorkloadId, WorkloadInfo};
