//! loom models of the concurrent collector's protocol: the snapshot-at-the-beginning write
//! barrier, the mutator's buffer flush, the publication of an object allocated white (its body
//! written, then a release store; the barrier shades it as the value written), and
//! the termination check of the final handshake, on a small graph with the mutator's stores
//! racing the markers. loom runs every interleaving (and every weak-memory outcome it
//! models) of the threads.
//!
//! The model mirrors `src/marker.rs` and `src/plan.rs` step for step, with loom's atomics:
//! mark bits set with `fetch_or`, slots read with `Acquire` and written with `Release`,
//! `busy` incremented before a marker takes work and decremented when it holds none, the
//! injector filled only by the mutator, termination = injector empty then `busy == 0`; and
//! the mutator's bounded assists (counted busy, leftovers handed to the injector before
//! going idle); and the wake-up that takes the lock only when a marker sleeps (Dekker's
//! pattern on `sleepers`, a marker looking for work after counting itself a sleeper), whose
//! lost wake-ups loom would report as a deadlock of the final handshake. (The model's
//! injector is a mutex, which orders the two sides by itself; the real one is lock-free,
//! and the `SeqCst` fences do it.)
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p gclab-concurrent --test loom --release`
//! (with `CARGO_TARGET_DIR=target/loom` to keep the normal build).

#![cfg(loom)]

use loom::cell::UnsafeCell;
use loom::sync::atomic::{fence, AtomicU64, AtomicUsize, Ordering::*};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

/// Objects 0..N, one slot each (0 = null, else target + 1); object `NEW` is allocated by the
/// mutator during marking, white. `payload` stands for the object's non-atomic body (its
/// header and zeroed slots written at allocation): a marker that scans the new object once it
/// is published reads it, which loom reports as a data race unless the publication (the
/// release store, or the buffer's hand-over) orders the write before the read.
const N: usize = 4;
const NEW: usize = 3;

struct Control {
    wake: u64,
    stop: bool,
}

struct Heap {
    slots: [AtomicUsize; N],
    payload: [UnsafeCell<u64>; N],
    marks: AtomicU64,
    injector: Mutex<Vec<usize>>,
    busy: AtomicUsize,
    control: Mutex<Control>,
    wake_cv: Condvar,
    sleepers: AtomicUsize,
    idle_lock: Mutex<()>,
    idle_cv: Condvar,
}

impl Heap {
    fn new() -> Self {
        Heap {
            slots: std::array::from_fn(|_| AtomicUsize::new(0)),
            payload: std::array::from_fn(|_| UnsafeCell::new(0)),
            marks: AtomicU64::new(0),
            injector: Mutex::new(Vec::new()),
            busy: AtomicUsize::new(0),
            control: Mutex::new(Control { wake: 0, stop: false }),
            wake_cv: Condvar::new(),
            sleepers: AtomicUsize::new(0),
            idle_lock: Mutex::new(()),
            idle_cv: Condvar::new(),
        }
    }

    /// Sets `o`'s mark bit; whether it was clear (the caller then owns it as grey work).
    fn shade(&self, o: usize) -> bool {
        self.marks.fetch_or(1 << o, Relaxed) & (1 << o) == 0
    }

    fn marked(&self, o: usize) -> bool {
        self.marks.load(Relaxed) & (1 << o) != 0
    }

    /// `Shared::wake`: the lock and the wake-up only when a marker sleeps or is about to
    /// (Dekker's pattern with `sleepers`; the work was pushed before).
    fn wake(&self) {
        fence(SeqCst);
        if self.sleepers.load(SeqCst) == 0 {
            return;
        }
        let mut control = self.control.lock().unwrap();
        control.wake += 1;
        self.wake_cv.notify_all();
    }

    fn has_work(&self) -> bool {
        !self.injector.lock().unwrap().is_empty()
    }

    /// `Shared::go_idle`: the last one idle tells a waiting mutator, unless the injector
    /// still holds work (a marker will take it, and tell it then).
    fn go_idle(&self) {
        if self.busy.fetch_sub(1, SeqCst) == 1 && !self.has_work() {
            let _guard = self.idle_lock.lock().unwrap();
            self.idle_cv.notify_all();
        }
    }

    /// `Shared::terminated`: the injector empty, then no marker busy.
    fn terminated(&self) -> bool {
        self.injector.lock().unwrap().is_empty() && self.busy.load(SeqCst) == 0
    }

    /// `marker_loop`: park until woken; count busy before taking work; scan; push what it
    /// marks to its own list; idle (and tell the mutator) when it holds none.
    fn marker(&self) {
        let mut seen = 0;
        let mut local: Vec<usize> = Vec::new();
        loop {
            // `linger`: one look for work handed over without a wake-up.
            if !self.has_work() {
                let mut control = self.control.lock().unwrap();
                self.sleepers.fetch_add(1, SeqCst);
                fence(SeqCst);
                while control.wake == seen && !control.stop && !self.has_work() {
                    control = self.wake_cv.wait(control).unwrap();
                }
                self.sleepers.fetch_sub(1, SeqCst);
                if control.stop {
                    return;
                }
                seen = control.wake;
            } else if self.control.lock().unwrap().stop {
                return;
            }
            self.busy.fetch_add(1, SeqCst);
            loop {
                let grey = match local.pop() {
                    Some(o) => o,
                    None => match self.injector.lock().unwrap().pop() {
                        Some(o) => o,
                        None => break,
                    },
                };
                // SAFETY: the cell is valid; loom checks this read against the mutator's write
                // of a new object's body (a race unless its publication orders the two).
                self.payload[grey].with(|p| unsafe { *p });
                let child = self.slots[grey].load(Acquire);
                if child != 0 && self.shade(child - 1) {
                    local.push(child - 1);
                }
            }
            self.go_idle();
        }
    }
}

/// The mutator's store with the barrier: shade the old referent (Yuasa) and the new value,
/// into its buffer.
fn store(heap: &Heap, buffer: &mut Vec<usize>, obj: usize, value: Option<usize>) {
    let old = heap.slots[obj].load(Relaxed);
    heap.slots[obj].store(value.map_or(0, |v| v + 1), Release);
    if old != 0 && heap.shade(old - 1) {
        buffer.push(old - 1);
    }
    if let Some(v) = value {
        if heap.shade(v) {
            buffer.push(v);
        }
    }
}

/// A bounded mutator assist (`Shared::assist_bounded`, run by `ConcurrentHeap::assist`):
/// counted busy first; its barrier buffer becomes its own stack; it scans at most `max`
/// objects (from its stack, else taken from the injector); whatever is left grey on its
/// stack goes to the injector *before* it counts itself idle, and the markers are woken.
fn assist(heap: &Heap, buffer: &mut Vec<usize>, max: usize) {
    heap.busy.fetch_add(1, SeqCst);
    let mut stack = std::mem::take(buffer);
    for _ in 0..max {
        let grey = match stack.pop() {
            Some(o) => o,
            None => match heap.injector.lock().unwrap().pop() {
                Some(o) => o,
                None => break,
            },
        };
        // SAFETY: as in `Heap::marker`.
        heap.payload[grey].with(|p| unsafe { *p });
        let child = heap.slots[grey].load(Acquire);
        if child != 0 && heap.shade(child - 1) {
            stack.push(child - 1);
        }
    }
    let handed = !stack.is_empty();
    heap.injector.lock().unwrap().append(&mut stack);
    heap.go_idle();
    if handed {
        heap.wake();
    }
}

/// The final handshake (`finish_marking`): flush the buffer (waking the markers), then
/// block until the termination check holds. No timeout: loom checks that no wake-up is lost.
fn final_handshake(heap: &Heap, buffer: &mut Vec<usize>) {
    if !buffer.is_empty() {
        heap.injector.lock().unwrap().append(buffer);
        heap.wake();
    }
    let mut guard = heap.idle_lock.lock().unwrap();
    while !heap.terminated() {
        guard = heap.idle_cv.wait(guard).unwrap();
    }
}

/// Graph 0 -> 1 -> 2, root 0. During marking the mutator moves 1 to a root (unshaded: roots
/// are not rescanned) and cuts it from 0, allocates `NEW` white and publishes it in 0, and
/// cuts 2 from 1. At termination every object reachable from the roots must be marked, `NEW`
/// among them.
/// The preemption bound: `GCLAB_LOOM_PREEMPTIONS`, default 2.
fn preemptions() -> usize {
    std::env::var("GCLAB_LOOM_PREEMPTIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(2)
}

fn model(markers: usize) {
    model_with(markers, false);
}

/// `model`; with `assists` the mutator runs an assist after its first two stores: one that
/// scans nothing and only hands its buffer (object 1, whose child 2 is still white) to the
/// injector, then one that scans an object; and it does not cut 2, so 2 stays reachable
/// through 1 and is marked only if the grey object 1 the first assist handed over is
/// scanned (an assist that dropped its leftovers fails here).
fn model_with(markers: usize, assists: bool) {
    let mut builder = loom::model::Builder::new();
    // Bounded preemption (loom's advice for models of this size): every interleaving with up
    // to `PREEMPTIONS` preemptions is explored.
    builder.preemption_bound = Some(preemptions());
    builder.check(move || {
        let heap = Arc::new(Heap::new());
        heap.slots[0].store(2, Relaxed); // 0 -> 1
        heap.slots[1].store(3, Relaxed); // 1 -> 2
        let threads: Vec<_> = (0..markers)
            .map(|_| {
                let heap = Arc::clone(&heap);
                thread::spawn(move || heap.marker())
            })
            .collect();
        // Initial handshake: root 0 grey, markers woken.
        assert!(heap.shade(0));
        heap.injector.lock().unwrap().push(0);
        heap.wake();
        let mut buffer = Vec::new();
        let mut roots = vec![0];
        // The mutator: move 1 into the roots, then cut it from the heap.
        let one = heap.slots[0].load(Relaxed) - 1;
        roots.push(one);
        store(&heap, &mut buffer, 0, None);
        if assists {
            assist(&heap, &mut buffer, 0);
        }
        // Allocate NEW, white: its body written, then published with release (the barrier
        // shades it: the value written).
        // SAFETY: the cell is valid; loom checks this write against any marker's read.
        heap.payload[NEW].with_mut(|p| unsafe { *p = 7 });
        store(&heap, &mut buffer, 0, Some(NEW));
        if assists {
            assist(&heap, &mut buffer, 1);
        }
        // Cut 2 (floating garbage now, but it was reachable at the snapshot).
        if !assists {
            store(&heap, &mut buffer, one, None);
        }
        final_handshake(&heap, &mut buffer);
        // Marking is over: everything reachable from the roots is marked.
        let mut stack = roots.clone();
        while let Some(o) = stack.pop() {
            assert!(heap.marked(o), "object {o} is reachable but white at termination");
            let child = heap.slots[o].load(Relaxed);
            if child != 0 {
                stack.push(child - 1);
            }
        }
        assert!(heap.marked(2), "snapshot-reachable object 2 was not preserved");
        {
            let mut control = heap.control.lock().unwrap();
            control.stop = true;
            heap.wake_cv.notify_all();
        }
        for t in threads {
            t.join().unwrap();
        }
    });
}

#[test]
fn barrier_flush_and_handshake_with_one_marker() {
    model(1);
}

#[test]
fn barrier_flush_and_handshake_with_two_markers() {
    model(2);
}

#[test]
fn bounded_assists_with_one_marker() {
    model_with(1, true);
}

#[test]
fn bounded_assists_with_two_markers() {
    model_with(2, true);
}
