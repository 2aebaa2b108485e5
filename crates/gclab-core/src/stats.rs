//! Statistics every backend reports: collections, the pause log, allocation and heap sizes.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// What a collection covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CollectionKind {
    /// The young objects only (a nursery evacuation, or a young-generation cycle scan).
    Minor,
    /// The whole heap.
    Full,
    /// Not a collection: a pause of reference counting's own, a cascade of frees long enough
    /// to log (one decrement that freed a large structure). Counted in neither
    /// `minor_collections` nor `full_collections`; `Heap::collect` treats it as `Minor`.
    FreeBurst,
    /// A concurrent collector's first handshake: the roots are shaded grey and marking
    /// starts on collector threads. A pause of a cycle, not a collection: counted in neither
    /// `minor_collections` nor `full_collections` (the cycle is counted when it completes,
    /// with [`Stats::count_collection`]). Passed to `Heap::collect`, it runs what
    /// [`CollectionKind::Minor`] runs.
    InitialMark,
    /// A concurrent collector's last handshake: barrier buffers drained, termination
    /// confirmed, marking ends. Counted like [`CollectionKind::InitialMark`].
    FinalMark,
    /// The mutator waited for a concurrent collector (allocation outran marking or sweeping).
    /// Counted like [`CollectionKind::InitialMark`].
    AllocationStall,
    /// A concurrent collector's mutator assist: the mutator, allocating while marking is
    /// behind the pacer's schedule, marks a bounded increment itself before it goes on.
    /// Counted like [`CollectionKind::InitialMark`].
    Assist,
}

impl CollectionKind {
    /// A short lowercase name (`minor`, `full`, `free-burst`).
    pub fn name(self) -> &'static str {
        match self {
            CollectionKind::Minor => "minor",
            CollectionKind::Full => "full",
            CollectionKind::FreeBurst => "free-burst",
            CollectionKind::InitialMark => "initial-mark",
            CollectionKind::FinalMark => "final-mark",
            CollectionKind::AllocationStall => "allocation-stall",
            CollectionKind::Assist => "assist",
        }
    }
}

/// One stop of the mutator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pause {
    /// What the collection covered.
    pub kind: CollectionKind,
    /// When the mutator stopped, since the heap was made.
    pub start: Duration,
    /// How long it stayed stopped.
    pub duration: Duration,
    /// Bytes in objects before the collection.
    pub bytes_before: usize,
    /// Bytes in objects after it.
    pub bytes_after: usize,
}

/// A running pause, from [`Stats::begin_pause`].
#[must_use = "a pause must be ended with Stats::end_pause"]
pub struct PauseTimer {
    started: Instant,
    bytes_before: usize,
}

impl PauseTimer {
    /// Time since the pause began: what [`Stats::end_pause`] would log now, or less.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

/// Objects and bytes allocated since a heap was made: [`Heap::allocated`](crate::Heap::allocated).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Allocated {
    /// Objects allocated.
    pub objects: u64,
    /// Their bytes, as laid out (headers included).
    pub bytes: u64,
}

/// Statistics of one heap.
#[derive(Clone, Debug)]
pub struct Stats {
    /// When the heap was made; pause starts count from here.
    pub created: Instant,
    /// Minor collections run.
    pub minor_collections: u64,
    /// Full collections run.
    pub full_collections: u64,
    /// Every pause, in order.
    pub pauses: Vec<Pause>,
    /// Total time the mutator was stopped for collection.
    pub gc_time: Duration,
    /// Objects allocated since the heap was made, as counted so far: a backend that counts
    /// allocation in bulk (marksweep per allocation run, the generational nursery per fill)
    /// settles its count at each collection; [`Heap::allocated`](crate::Heap::allocated) is
    /// exact at any moment.
    pub allocated_objects: u64,
    /// Bytes allocated since the heap was made (object sizes as laid out, headers included),
    /// counted as `allocated_objects` is.
    pub allocated_bytes: u64,
    /// Objects alive after the last collection.
    pub live_objects_after_gc: u64,
    /// Bytes in objects alive after the last collection.
    pub live_bytes_after_gc: u64,
    /// Bytes the heap holds from the system now.
    pub heap_bytes: usize,
    /// The most bytes the heap ever held from the system.
    pub peak_heap_bytes: usize,
    /// Backend-specific counters (named, e.g. `"arenas_released"`).
    pub counters: BTreeMap<&'static str, u64>,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            created: Instant::now(),
            minor_collections: 0,
            full_collections: 0,
            pauses: Vec::new(),
            gc_time: Duration::ZERO,
            allocated_objects: 0,
            allocated_bytes: 0,
            live_objects_after_gc: 0,
            live_bytes_after_gc: 0,
            heap_bytes: 0,
            peak_heap_bytes: 0,
            counters: BTreeMap::new(),
        }
    }
}

fn gc_log_enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var("GCLAB_LOG").is_ok_and(|v| v.split(',').any(|part| part.trim() == "gc")))
}

impl Stats {
    /// Collections of `kind` run so far (for the kinds that are pauses, not collections —
    /// `FreeBurst`, `InitialMark`, `FinalMark`, `AllocationStall`, `Assist` — the pauses
    /// logged).
    pub fn collections(&self, kind: CollectionKind) -> u64 {
        match kind {
            CollectionKind::Minor => self.minor_collections,
            CollectionKind::Full => self.full_collections,
            _ => self.pauses.iter().filter(|p| p.kind == kind).count() as u64,
        }
    }

    /// Counts a collection that was not one pause: a concurrent cycle, whose pauses
    /// (`InitialMark`, `FinalMark`) are logged apart and counted in neither total.
    pub fn count_collection(&mut self, kind: CollectionKind) {
        match kind {
            CollectionKind::Minor => self.minor_collections += 1,
            CollectionKind::Full => self.full_collections += 1,
            _ => {}
        }
    }

    /// Counts an allocation.
    #[inline]
    pub fn note_allocation(&mut self, bytes: usize) {
        self.allocated_objects += 1;
        self.allocated_bytes += bytes as u64;
    }

    /// Records a change in bytes held from the system, keeping the peak.
    #[inline]
    pub fn set_heap_bytes(&mut self, bytes: usize) {
        self.heap_bytes = bytes;
        self.peak_heap_bytes = self.peak_heap_bytes.max(bytes);
    }

    /// Adds `n` to a backend counter.
    pub fn bump(&mut self, counter: &'static str, n: u64) {
        *self.counters.entry(counter).or_insert(0) += n;
    }

    /// Starts timing a pause; `bytes_before` is the bytes in objects now.
    pub fn begin_pause(&self, bytes_before: usize) -> PauseTimer {
        PauseTimer { started: Instant::now(), bytes_before }
    }

    /// Ends a pause and logs it. With `GCLAB_LOG=gc` in the environment, prints one line per
    /// collection to stderr, like Go's `GODEBUG=gctrace=1`.
    pub fn end_pause(&mut self, timer: PauseTimer, kind: CollectionKind, bytes_after: usize) {
        let duration = timer.started.elapsed();
        let pause = Pause {
            kind,
            start: timer.started.duration_since(self.created),
            duration,
            bytes_before: timer.bytes_before,
            bytes_after,
        };
        match kind {
            CollectionKind::Minor => self.minor_collections += 1,
            CollectionKind::Full => self.full_collections += 1,
            _ => {}
        }
        self.gc_time += duration;
        if gc_log_enabled() {
            eprintln!(
                "gc {} {} @{:.3}s: {} KiB -> {} KiB, heap {} KiB, pause {:.3} ms",
                self.minor_collections + self.full_collections,
                kind.name(),
                pause.start.as_secs_f64(),
                pause.bytes_before / 1024,
                pause.bytes_after / 1024,
                self.heap_bytes / 1024,
                duration.as_secs_f64() * 1e3
            );
        }
        self.pauses.push(pause);
    }

    /// The longest pause.
    pub fn max_pause(&self) -> Duration {
        self.pauses.iter().map(|p| p.duration).max().unwrap_or_default()
    }
}
