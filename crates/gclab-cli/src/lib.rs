//! The `gclab` command line: run a workload on a backend, print exactly the workload's output,
//! and optionally write a JSON report of pauses, throughput and heap sizes.
//!
//! ```text
//! gclab run --backend marksweep --workload binary-trees --size 21 --json report.json
//! gclab list
//! ```
//!
//! The binary is `src/main.rs`; this library holds its parts so they can be tested: the
//! argument definitions ([`args`]), the backends built in ([`backend`]), running and
//! measuring ([`runner`]), the report ([`report`]), pause percentiles ([`percentile`]) and
//! byte-size arguments ([`byte_size`]).

#![warn(missing_docs)]

pub mod args;
pub mod backend;
pub mod byte_size;
pub mod listing;
pub mod percentile;
pub mod report;
pub mod runner;
