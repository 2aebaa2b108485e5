//! The JSON report of one run.

use std::collections::BTreeMap;
use std::time::Duration;

use gclab::{HeapConfig, Pause, Stats};
use serde::{Deserialize, Serialize};

use crate::mmu::Utilisation;
use crate::percentile::PauseSummary;

/// The windows minimum mutator utilisation is reported for.
pub const MMU_WINDOWS: [Duration; 3] =
    [Duration::from_millis(1), Duration::from_millis(10), Duration::from_millis(100)];

/// One collection of the pause log, as reports write it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PauseRecord {
    /// `minor` or `full`.
    pub kind: String,
    /// When the mutator stopped, in microseconds since the workload started.
    pub start_us: f64,
    /// How long it stayed stopped, in microseconds.
    pub duration_us: f64,
    /// Bytes in objects before the collection.
    pub bytes_before: usize,
    /// Bytes in objects after it.
    pub bytes_after: usize,
}

/// The pauses of one kind (phase) in a run: how many, their total and the longest.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseSummary {
    /// Pauses of this kind.
    pub count: u64,
    /// Their total, in microseconds.
    pub total_us: f64,
    /// The longest, in microseconds.
    pub max_us: f64,
}

/// What `gclab run --json PATH` writes: one JSON object. Times are in milliseconds (`_ms`) or
/// microseconds (`_us`), as floating-point numbers; pause figures are 0 when no collection ran.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// The backend's name (`marksweep`).
    pub backend: String,
    /// The workload's name (`binary-trees`).
    pub workload: String,
    /// The workload's size.
    pub size: u32,
    /// The heap's configured limit, in bytes.
    pub heap_limit: usize,
    /// The heap's configured first trigger, in bytes.
    pub initial_trigger: usize,
    /// The heap's configured growth factor.
    pub growth_factor: f64,
    /// Time the workload ran, collections included.
    pub wall_ms: f64,
    /// Time the mutator was stopped for collection (the pause log's total).
    pub gc_ms: f64,
    /// `wall_ms - gc_ms`.
    pub mutator_ms: f64,
    /// Collections run, minor and full.
    pub collections: u64,
    /// Minor collections run.
    pub minor_collections: u64,
    /// Full collections run.
    pub full_collections: u64,
    /// The longest pause.
    pub pause_max_us: f64,
    /// The median pause (nearest rank).
    pub pause_p50_us: f64,
    /// The 90th-percentile pause (nearest rank).
    pub pause_p90_us: f64,
    /// The 99th-percentile pause (nearest rank).
    pub pause_p99_us: f64,
    /// Minimum mutator utilisation over 1 ms windows (0 to 1; see `mmu`).
    pub mmu_1ms: f64,
    /// Minimum mutator utilisation over 10 ms windows.
    pub mmu_10ms: f64,
    /// Minimum mutator utilisation over 100 ms windows.
    pub mmu_100ms: f64,
    /// Objects allocated.
    pub allocated_objects: u64,
    /// Bytes allocated (object sizes as laid out, headers included).
    pub allocated_bytes: u64,
    /// The most bytes the heap held from the system.
    pub peak_heap_bytes: usize,
    /// Bytes the heap held from the system at the end.
    pub heap_bytes: usize,
    /// Bytes in objects (live or not yet collected) when the workload returned: measured by a
    /// full collection after the run, which no other figure counts (for a heap that never
    /// collects, the bytes allocated).
    pub heap_end_bytes: u64,
    /// The process's peak resident set size (`VmHWM`), in bytes; 0 where unavailable. `run`
    /// runs one workload per process, so this is the run's.
    pub peak_rss_bytes: u64,
    /// Objects alive after the last collection (0 if none ran).
    pub live_objects_after_gc: u64,
    /// Bytes in objects alive after the last collection (0 if none ran).
    pub live_bytes_after_gc: u64,
    /// Objects allocated and not yet freed when the workload returned.
    pub live_objects_at_end: u64,
    /// The workload's checksum (the same on every backend).
    pub checksum: u64,
    /// The backend's own counters.
    pub counters: BTreeMap<String, u64>,
    /// The pauses by kind (`full`, `minor`, `free-burst`, and a concurrent collector's
    /// phases `initial-mark`, `final-mark`, `allocation-stall`, `assist`).
    #[serde(default)]
    pub pauses_by_kind: BTreeMap<String, PhaseSummary>,
    /// Every pause, in order.
    pub pause_log: Vec<PauseRecord>,
}

// From whole nanoseconds, divided once: the nearest double to the decimal number of ms or µs,
// which serialises as that decimal (`163.485`, not `163.48499999999999`).
fn ms(d: Duration) -> f64 {
    d.as_nanos() as f64 / 1e6
}

fn us(d: Duration) -> f64 {
    d.as_nanos() as f64 / 1e3
}

/// What a run measured, besides the heap's statistics.
#[derive(Clone, Copy, Debug)]
pub struct RunFacts<'a> {
    /// The backend's name.
    pub backend: &'a str,
    /// The workload's name.
    pub workload: &'a str,
    /// The workload's size.
    pub size: u32,
    /// The heap's configuration.
    pub config: &'a HeapConfig,
    /// Time the workload ran.
    pub wall: Duration,
    /// Objects alive when the workload returned.
    pub live_objects_at_end: u64,
    /// The workload's checksum.
    pub checksum: u64,
    /// When the workload started, measured from the heap's creation (pause starts are
    /// measured from there).
    pub started: Duration,
    /// Bytes in objects when the workload returned.
    pub heap_end_bytes: u64,
    /// The process's peak resident set size in bytes.
    pub peak_rss_bytes: u64,
}

impl RunReport {
    /// The report of a run, from what it measured and the heap's statistics after it.
    pub fn new(facts: RunFacts<'_>, stats: &Stats) -> Self {
        let pauses = PauseSummary::from_pauses(&stats.pauses);
        let since_start = |p: &Pause| p.start.saturating_sub(facts.started);
        let utilisation = Utilisation::new(facts.wall, stats.pauses.iter().map(|p| (since_start(p), p.duration)));
        let [mmu_1ms, mmu_10ms, mmu_100ms] = MMU_WINDOWS.map(|w| utilisation.mmu(w));
        RunReport {
            backend: facts.backend.into(),
            workload: facts.workload.into(),
            size: facts.size,
            heap_limit: facts.config.heap_limit,
            initial_trigger: facts.config.initial_trigger,
            growth_factor: facts.config.growth_factor,
            wall_ms: ms(facts.wall),
            gc_ms: ms(stats.gc_time),
            mutator_ms: ms(facts.wall.saturating_sub(stats.gc_time)),
            collections: stats.minor_collections + stats.full_collections,
            minor_collections: stats.minor_collections,
            full_collections: stats.full_collections,
            pause_max_us: us(pauses.max),
            pause_p50_us: us(pauses.p50),
            pause_p90_us: us(pauses.p90),
            pause_p99_us: us(pauses.p99),
            mmu_1ms,
            mmu_10ms,
            mmu_100ms,
            allocated_objects: stats.allocated_objects,
            allocated_bytes: stats.allocated_bytes,
            peak_heap_bytes: stats.peak_heap_bytes,
            heap_bytes: stats.heap_bytes,
            heap_end_bytes: facts.heap_end_bytes,
            peak_rss_bytes: facts.peak_rss_bytes,
            live_objects_after_gc: stats.live_objects_after_gc,
            live_bytes_after_gc: stats.live_bytes_after_gc,
            live_objects_at_end: facts.live_objects_at_end,
            checksum: facts.checksum,
            counters: stats.counters.iter().map(|(&name, &value)| (name.to_owned(), value)).collect(),
            pauses_by_kind: stats.pauses.iter().fold(BTreeMap::new(), |mut kinds, p| {
                let kind: &mut PhaseSummary = kinds.entry(p.kind.name().to_owned()).or_default();
                kind.count += 1;
                kind.total_us += us(p.duration);
                kind.max_us = kind.max_us.max(us(p.duration));
                kinds
            }),
            pause_log: stats
                .pauses
                .iter()
                .map(|p| PauseRecord {
                    kind: p.kind.name().to_owned(),
                    start_us: us(since_start(p)),
                    duration_us: us(p.duration),
                    bytes_before: p.bytes_before,
                    bytes_after: p.bytes_after,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gclab::{CollectionKind, Pause};

    #[test]
    fn report_from_stats() {
        let mut stats = Stats::default();
        for (i, micros) in [300u64, 100, 200].into_iter().enumerate() {
            stats.pauses.push(Pause {
                kind: if i == 0 { CollectionKind::Minor } else { CollectionKind::Full },
                start: Duration::from_millis(i as u64),
                duration: Duration::from_micros(micros),
                bytes_before: 0,
                bytes_after: 0,
            });
        }
        stats.minor_collections = 1;
        stats.full_collections = 2;
        stats.gc_time = Duration::from_micros(600);
        stats.bump("sweeps", 2);
        let config = HeapConfig::default();
        let report = RunReport::new(
            RunFacts {
                backend: "marksweep",
                workload: "binary-trees",
                size: 10,
                config: &config,
                wall: Duration::from_millis(10),
                live_objects_at_end: 5,
                checksum: 42,
                started: Duration::from_micros(500),
                heap_end_bytes: 4096,
                peak_rss_bytes: 1 << 20,
            },
            &stats,
        );
        assert_eq!(report.collections, 3);
        assert!((report.gc_ms - 0.6).abs() < 1e-9);
        assert!((report.mutator_ms - 9.4).abs() < 1e-9);
        assert!((report.pause_max_us - 300.0).abs() < 1e-6);
        assert!((report.pause_p50_us - 200.0).abs() < 1e-6);
        assert!((report.pause_p90_us - 300.0).abs() < 1e-6);
        let json: serde_json::Value = serde_json::to_value(&report).unwrap();
        // Pauses at 0, 1 and 2 ms since the heap's creation, the workload started at 0.5 ms:
        // the log counts from the workload's start (the first pause clipped to it).
        let starts: Vec<f64> = report.pause_log.iter().map(|p| p.start_us).collect();
        assert_eq!(starts, [0.0, 500.0, 1500.0]);
        assert_eq!(report.pause_log[0].kind, "minor");
        assert_eq!(report.pauses_by_kind["full"], PhaseSummary { count: 2, total_us: 300.0, max_us: 200.0 });
        assert_eq!(report.pauses_by_kind["minor"].count, 1);
        // A 10 ms run with pauses at 0–0.3, 0.5–0.6 and 1.5–1.7 ms: the worst 1 ms window is
        // 0–1 ms, with 400 µs of pause; 10 ms and longer windows see the whole run (0.6 ms).
        assert!((report.mmu_1ms - 0.6).abs() < 1e-9, "{}", report.mmu_1ms);
        assert!((report.mmu_10ms - 0.94).abs() < 1e-9, "{}", report.mmu_10ms);
        assert!((report.mmu_100ms - 0.94).abs() < 1e-9, "{}", report.mmu_100ms);
        let back: RunReport = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, report);
        assert_eq!(json["peak_rss_bytes"], 1 << 20);
        assert_eq!(json["counters"]["sweeps"], 2);
        assert_eq!(json["backend"], "marksweep");
    }
}
