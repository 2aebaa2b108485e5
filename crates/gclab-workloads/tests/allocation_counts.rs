//! `Heap::allocated` counts every allocation exactly on every backend, whether it counts per
//! object (nogc, refcount), per allocation run (marksweep, concurrent) or per nursery fill
//! (generational): after any workload, every backend reports what nogc, which counts each
//! allocation as it happens and never frees, reports.

use gclab_concurrent::ConcurrentHeap;
use gclab_core::{Allocated, CollectionKind, Heap, HeapConfig};
use gclab_generational::GenerationalHeap;
use gclab_marksweep::MarkSweepHeap;
use gclab_nogc::NoGcHeap;
use gclab_refcount::RefcountHeap;
use gclab_workloads::WorkloadId;

fn allocated<H: Heap>(workload: WorkloadId, size: u32, config: HeapConfig) -> Allocated {
    let mut heap = H::with_config(config).unwrap();
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

#[test]
fn every_backend_counts_what_nogc_counts() {
    // A low trigger, so that runs open and close and nurseries fill many times.
    let collecting = HeapConfig::default().heap_limit(512 << 20).initial_trigger(256 << 10);
    for &workload in WorkloadId::ALL {
        let size = workload.info().quick_size.min(match workload {
            WorkloadId::BinaryTrees | WorkloadId::GcBench => 10,
            WorkloadId::Large => 12,
            _ => 3_000,
        });
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
