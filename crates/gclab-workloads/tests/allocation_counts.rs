//! `Heap::allocated` counts every allocation exactly on every backend, whether it counts per
//! object (nogc, refcount, concurrent), per allocation run (marksweep) or per nursery fill
//! (generational): after any workload, every backend reports what nogc, which counts each
//! allocation as it happens and never frees, reports. Also with pools that end below 512
//! bytes, where small objects go to the large-object space.

use gclab_concurrent::{ConcurrentConfig, ConcurrentHeap};
use gclab_core::{Allocated, CollectionKind, Heap, HeapConfig};
use gclab_generational::{GenerationalConfig, GenerationalHeap};
use gclab_marksweep::{MarkSweepConfig, MarkSweepHeap};
use gclab_nogc::NoGcHeap;
use gclab_refcount::{RefcountConfig, RefcountHeap};
use gclab_space::PoolConfig;
use gclab_workloads::WorkloadId;

fn allocated<H: Heap>(workload: WorkloadId, size: u32, config: HeapConfig) -> Allocated {
    counted(H::with_config(config).unwrap(), workload, size)
}

fn counted<H: Heap>(mut heap: H, workload: WorkloadId, size: u32) -> Allocated {
    workload.run(&mut heap, size, &mut Vec::new()).unwrap();
    let allocated = heap.allocated();
    // A collection settles the statistics, and allocates nothing.
    heap.collect(CollectionKind::Full);
    assert_eq!(heap.allocated(), allocated, "{workload} on {}: a collection allocated", H::NAME);
    let stats = heap.stats();
    assert_eq!(
        Allocated { objects: stats.allocated_objects, bytes: stats.allocated_bytes },
        allocated,
        "{workload} on {}: the statistics after a collection",
        H::NAME
    );
    allocated
}

fn size(workload: WorkloadId) -> u32 {
    workload.info().quick_size.min(match workload {
        WorkloadId::BinaryTrees | WorkloadId::GcBench => 10,
        WorkloadId::Large => 12,
        _ => 3_000,
    })
}

#[test]
fn every_backend_counts_what_nogc_counts() {
    // A low trigger, so that runs open and close and nurseries fill many times.
    let collecting = HeapConfig::default().heap_limit(512 << 20).initial_trigger(256 << 10);
    for &workload in WorkloadId::ALL {
        let size = size(workload);
        let expected = allocated::<NoGcHeap>(workload, size, HeapConfig::default().heap_limit(1 << 30));
        assert!(expected.objects > 0 && expected.bytes >= 16 * expected.objects, "{workload}: {expected:?}");
        assert_eq!(allocated::<MarkSweepHeap>(workload, size, collecting.clone()), expected, "{workload} on marksweep");
        assert_eq!(allocated::<RefcountHeap>(workload, size, collecting.clone()), expected, "{workload} on refcount");
        assert_eq!(
            allocated::<GenerationalHeap>(workload, size, collecting.clone()),
            expected,
            "{workload} on generational"
        );
        assert_eq!(
            allocated::<ConcurrentHeap>(workload, size, collecting.clone()),
            expected,
            "{workload} on concurrent"
        );
    }
}

#[test]
fn pools_that_end_below_512_bytes_count_exactly_too() {
    // Objects of 272 to 512 bytes then live in the large-object space, not in a pool.
    let heap = HeapConfig::default().heap_limit(512 << 20).initial_trigger(256 << 10);
    let pools = PoolConfig { max_object_bytes: 256, ..PoolConfig::default() };
    for &workload in WorkloadId::ALL {
        let size = size(workload);
        let expected = allocated::<NoGcHeap>(workload, size, HeapConfig::default().heap_limit(1 << 30));
        let marksweep =
            MarkSweepHeap::with_backend_config(MarkSweepConfig { heap: heap.clone(), pools: pools.clone() }).unwrap();
        assert_eq!(counted(marksweep, workload, size), expected, "{workload} on marksweep");
        let refcount = RefcountHeap::with_backend_config(RefcountConfig {
            heap: heap.clone(),
            pools: pools.clone(),
            ..RefcountConfig::default()
        })
        .unwrap();
        assert_eq!(counted(refcount, workload, size), expected, "{workload} on refcount");
        let generational = GenerationalHeap::with_backend_config(GenerationalConfig {
            heap: heap.clone(),
            pools: pools.clone(),
            ..GenerationalConfig::default()
        })
        .unwrap();
        assert_eq!(counted(generational, workload, size), expected, "{workload} on generational");
        let concurrent = ConcurrentHeap::with_backend_config(ConcurrentConfig {
            heap: heap.clone(),
            pools: pools.clone(),
            ..ConcurrentConfig::default()
        })
        .unwrap();
        assert_eq!(counted(concurrent, workload, size), expected, "{workload} on concurrent");
    }
}
