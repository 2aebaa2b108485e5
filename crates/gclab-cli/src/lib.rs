//! The `gclab` command line: run a workload on a backend, print exactly the workload's output,
//! and optionally write a JSON report of pauses, throughput and heap sizes; or compare every
//! backend on every workload and write a report folder.
//!
//! ```text
//! gclab run --backend marksweep --workload binary-trees --size 18 --json report.json
//! gclab compare --quick --out target/gclab-report
//! gclab list
//! ```
//!
//! The binary is `src/main.rs`; this library holds its parts so they can be tested: the
//! argument definitions ([`args`]), the backends built in ([`backend`]), running and
//! measuring ([`runner`]), the report of a run ([`report`]), pause percentiles
//! ([`percentile`]), minimum mutator utilisation ([`mmu`]), peak RSS ([`rss`]), byte-size
//! arguments ([`byte_size`]), the comparison ([`compare`]) with its repetitions' medians and
//! spreads ([`spread`]) and per-operation costs ([`op_costs`]), progress ([`progress`]), tables ([`table`]), data files ([`results`]),
//! charts ([`charts`]), HTML report ([`html`]), machine description ([`machine`]) and report
//! folder ([`report_folder`]), the `GCLAB_LOG` check ([`log_setting`]), and `list`
//! ([`listing`]).

#![warn(missing_docs)]

pub mod args;
pub mod backend;
pub mod byte_size;
pub mod charts;
pub mod compare;
pub mod html;
pub mod jitter;
pub mod listing;
pub mod log_setting;
pub mod machine;
pub mod mmu;
pub mod op_costs;
pub mod percentile;
pub mod progress;
pub mod report;
pub mod report_folder;
pub mod results;
pub mod rss;
pub mod runner;
pub mod spread;
pub mod table;
