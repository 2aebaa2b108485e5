//! How 1 or 2 marker threads share a full marking, and how long it takes: the rooted binary
//! tree of `benches/parallel_marking.rs` (1,048,575 objects), marked 30 times by the markers
//! alone (the mutator waits without marking: `ConcurrentHeap::wait_for_markers`).
//!
//! `cargo run --release -p gclab-concurrent --example marking_split -- 2` prints each
//! marker's share of the objects and the marking's wall time (min, median, max); with
//! `CHECKMARK=1` in the environment every marking is checked by the checkmark oracle. Where the wall time does not fall with a second marker although the shares are
//! even, the second marker did not have a core of its own (look at the load average).

use gclab_concurrent::{ConcurrentConfig, ConcurrentHeap};
use gclab_core::{CollectionKind, Heap, ObjRef, Tag};

fn tree(heap: &mut ConcurrentHeap, depth: u32) -> ObjRef {
    if depth == 0 {
        return heap.allocate(Tag(1), 2, 0).expect("the tree fits");
    }
    let left = tree(heap, depth - 1);
    heap.push_root(Some(left));
    let right = tree(heap, depth - 1);
    heap.push_root(Some(right));
    heap.allocate_from_roots(Tag(1), 2, 0, 2).expect("the tree fits")
}

fn main() {
    let markers: usize = std::env::args().nth(1).map_or(2, |m| m.parse().expect("markers: a number"));
    let checkmark = std::env::var_os("CHECKMARK").is_some();
    let config = ConcurrentConfig { markers, checkmark, ..ConcurrentConfig::default() };
    let mut heap = ConcurrentHeap::with_backend_config(config).expect("a valid configuration");
    let root = tree(&mut heap, 19);
    heap.push_root(Some(root));
    heap.collect(CollectionKind::Full);
    let (mut times, mut shares) = (Vec::new(), vec![0u64; markers]);
    for _ in 0..30 {
        let before = heap.scanned_by_marker();
        heap.start_cycle();
        heap.wait_for_markers();
        times.push(heap.last_mark_time().as_micros());
        for (share, (after, before)) in shares.iter_mut().zip(heap.scanned_by_marker().iter().zip(&before)) {
            *share += after - before;
        }
        heap.collect(CollectionKind::Full); // ends the sweep (and marks again, not counted)
    }
    times.sort_unstable();
    println!(
        "{markers} marker(s): objects per marker {:?} (30 markings), wall µs min {} median {} max {}",
        shares, times[0], times[15], times[29]
    );
}
