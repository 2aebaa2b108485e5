//! The GC work each tenuring policy does on binary-trees and GCBench: bytes copied between
//! survivor spaces, bytes promoted, collections and objects marked by full collections. These
//! counts are deterministic, unlike wall time on a shared machine, so they compare policies
//! when timings cannot.
//!
//! `cargo run --release -p gclab-generational --example tenuring [EDEN_MIB]`

use std::io;

use gclab_core::Heap;
use gclab_generational::{GenerationalConfig, GenerationalHeap};
use gclab_workloads::WorkloadId;

fn main() {
    let eden_mib: usize = std::env::args().nth(1).map_or(32, |a| a.parse().expect("EDEN_MIB is a number"));
    let policies: [(&str, u8, bool); 5] = [
        ("adaptive (max 15)", 15, true),
        ("fixed 1", 1, false),
        ("fixed 2", 2, false),
        ("fixed 4", 4, false),
        ("fixed 15", 15, false),
    ];
    println!("eden {eden_mib} MiB");
    println!("| workload | policy | copied MiB | promoted MiB | minor | full | marked by full |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for (workload, size) in [(WorkloadId::BinaryTrees, 18), (WorkloadId::GcBench, 16)] {
        for (name, tenuring_age, adaptive_tenuring) in policies {
            let mut heap = GenerationalHeap::with_backend_config(GenerationalConfig {
                nursery_bytes: eden_mib << 20,
                tenuring_age,
                adaptive_tenuring,
                ..Default::default()
            })
            .expect("valid");
            workload.run(&mut heap, size, &mut io::sink()).expect("runs");
            let g = heap.generational_stats();
            let stats = heap.stats();
            println!(
                "| {} {size} | {name} | {:.1} | {:.1} | {} | {} | {} |",
                workload.info().name,
                g.bytes_copied as f64 / (1 << 20) as f64,
                g.bytes_promoted as f64 / (1 << 20) as f64,
                stats.minor_collections,
                stats.full_collections,
                stats.counters.get("objects_marked").copied().unwrap_or(0),
            );
        }
    }
}
