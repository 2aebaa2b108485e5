//! The per-operation costs `gclab compare` measures after the workloads: what one
//! `allocate`, `allocate_from_roots`, `load`, `Live::load`, `store` and `push_root` +
//! `pop_root` cost on each backend, in nanoseconds, so that a regression in one operation on
//! one backend shows as one cell.
//!
//! The kernels are [`gclab_workloads::ops`], generic over the `Heap` trait (the criterion bench
//! `benches/per_op.rs` times the same ones), and each backend's are monomorphised through
//! [`Backend::with_heap`], so a new backend gets its row without code here. They run in this
//! process, one fresh heap per operation, with the comparison's heap options; each cell is
//! the mean over batches of 10,000 operations for `--op-time` milliseconds (a collection that
//! falls in the window counts at its share), and with `--repeat N` the table shows the median
//! of the N repetitions (interleaved like the workloads' runs) and its spread.

use std::time::Duration;

use gclab::{Heap, HeapConfig};
use gclab_workloads::ops::{measure, Op};
use serde::{Deserialize, Serialize};

use crate::backend::{Backend, WithHeap};
use crate::spread::Spread;
use crate::table::Table;

/// One repetition of one operation on one backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpCost {
    /// The backend's name.
    pub backend: String,
    /// The operation's name ([`Op::name`]).
    pub op: String,
    /// Which repetition, from 1.
    pub repetition: u32,
    /// Nanoseconds per operation, if it could be measured.
    pub ns: Option<f64>,
    /// Why it could not (the heap could not hold the setup or a batch), if it could not.
    pub error: Option<String>,
}

/// The operations measured on one backend, at one repetition.
struct Measure<'a> {
    config: &'a HeapConfig,
    budget: Duration,
}

impl WithHeap for Measure<'_> {
    type Output = Vec<(Op, Result<f64, String>)>;

    fn call<H: Heap>(self) -> Self::Output {
        Op::ALL.iter().map(|&op| (op, measure::<H>(op, self.config, self.budget).map_err(|e| e.to_string()))).collect()
    }
}

/// Measures every operation on `backend` with `config`, each for `budget` of timed batches.
pub fn measure_backend(backend: Backend, config: &HeapConfig, budget: Duration, repetition: u32) -> Vec<OpCost> {
    backend
        .with_heap(Measure { config, budget })
        .into_iter()
        .map(|(op, result)| OpCost {
            backend: backend.name().to_owned(),
            op: op.name().to_owned(),
            repetition,
            ns: result.as_ref().ok().copied(),
            error: result.err(),
        })
        .collect()
}

/// The median and spread of `op` on `backend` over the repetitions, if every one measured it.
pub fn op_spread(costs: &[OpCost], backend: &str, op: &str) -> Option<Spread> {
    let cells: Vec<&OpCost> = costs.iter().filter(|c| c.backend == backend && c.op == op).collect();
    let values: Option<Vec<f64>> = cells.iter().map(|c| c.ns).collect();
    Spread::of(&values?)
}

/// Formats nanoseconds with three significant digits (at least one decimal below 100).
///
/// ```
/// use gclab_cli::op_costs::format_ns;
/// assert_eq!(format_ns(17.345), "17.3");
/// assert_eq!(format_ns(3.312), "3.31");
/// assert_eq!(format_ns(123.4), "123");
/// ```
pub fn format_ns(ns: f64) -> String {
    if ns >= 100.0 {
        format!("{ns:.0}")
    } else if ns >= 10.0 {
        format!("{ns:.1}")
    } else {
        format!("{ns:.2}")
    }
}

/// The per-operation table: one row per backend, one column per operation, each cell the
/// median nanoseconds per operation followed by its spread with repetitions (`17.3 ±4%`).
pub fn op_rows(costs: &[OpCost], repeat: u32) -> Table {
    let mut backends: Vec<&str> = Vec::new();
    for c in costs {
        if !backends.contains(&c.backend.as_str()) {
            backends.push(&c.backend);
        }
    }
    let mut header = vec!["backend".to_owned()];
    header.extend(Op::ALL.iter().map(|op| op.name().to_owned()));
    let mut notes = Vec::new();
    let rows = backends
        .iter()
        .map(|&backend| {
            let mut row = vec![backend.to_owned()];
            for op in Op::ALL {
                row.push(match op_spread(costs, backend, op.name()) {
                    Some(s) if repeat > 1 => format!("{} ±{:.0}%", format_ns(s.median), s.relative() * 100.0),
                    Some(s) => format_ns(s.median),
                    None => {
                        if let Some(e) = costs.iter().find(|c| c.backend == backend && c.op == op.name()) {
                            if let Some(error) = &e.error {
                                notes.push(format!("{backend} {}: {error}", op.name()));
                            }
                        }
                        "—".to_owned()
                    }
                });
            }
            row
        })
        .collect();
    notes.push(
        "each cell: the mean over batches of 10,000 operations, reclamation included; ± the spread of the repetitions"
            .to_owned(),
    );
    let runs = if repeat > 1 { format!(", median of {repeat} runs") } else { String::new() };
    Table { title: format!("per-operation costs (ns per operation{runs})"), header, rows, notes }
}

/// What each operation's column times, for the legends.
pub fn op_legend() -> Vec<(&'static str, &'static str)> {
    Op::ALL.iter().map(|op| (op.name(), op.description())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(backend: &str, op: Op, repetition: u32, ns: Option<f64>) -> OpCost {
        OpCost {
            backend: backend.into(),
            op: op.name().into(),
            repetition,
            ns,
            error: ns.is_none().then(|| "heap exhausted".to_owned()),
        }
    }

    #[test]
    fn the_table_has_a_row_per_backend_and_a_column_per_operation() {
        let mut costs = Vec::new();
        for rep in 1..=3 {
            for op in Op::ALL {
                costs.push(cost("a", op, rep, Some(10.0 * rep as f64)));
                costs.push(cost("b", op, rep, (op != Op::Store).then_some(2.0)));
            }
        }
        let table = op_rows(&costs, 3);
        assert_eq!(table.header.len(), 1 + Op::ALL.len());
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.rows[0][1], "20.0 ±50%", "the median of 10, 20, 30, and its spread");
        assert_eq!(table.rows[1][5], "—", "b's store failed");
        assert!(table.notes.iter().any(|n| n == "b store: heap exhausted"), "{:?}", table.notes);
        assert_eq!(op_spread(&costs, "b", "load").unwrap().median, 2.0);
        assert!(op_spread(&costs, "b", "store").is_none());
    }

    #[test]
    fn every_backend_built_in_measures_every_operation() {
        for &backend in Backend::ALL {
            let costs = measure_backend(backend, &HeapConfig::default(), Duration::ZERO, 1);
            assert_eq!(costs.len(), Op::ALL.len());
            for c in costs {
                assert!(c.ns.is_some_and(|ns| ns > 0.0), "{c:?}");
            }
        }
    }
}
