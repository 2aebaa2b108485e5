//! The concurrent plan: pool and large-object spaces, a shared mark bitmap, marker threads,
//! a snapshot-at-the-beginning write barrier and a lazy sweep.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam::deque::Worker;
use gclab_core::{
    ensure, object_size, AllocError, AllocateObject, CollectionKind, ConfigError, Heap, HeapConfig, ObjRef, Object,
    ObjectMemory, RefError, Root, Roots, SideBitmap, Stats, Tag, Trigger, VerifyError, HEADER_BYTES,
};
use gclab_space::{LargeObjectSpace, LazySweep, PoolConfig, PoolSpace};

use crate::marker::{self, Shared};

/// Entries of the mutator's barrier buffer handed to the markers in one batch.
const BUFFER_BATCH: usize = 256;

/// The longest a mutator assist marks (checked every 16 objects), and the most objects it
/// scans: the bound on one assist pause, give or take one object's scan and the hand-over.
const ASSIST_TIME: Duration = Duration::from_micros(50);
const ASSIST_OBJECTS: u64 = 4096;

/// The pacer aims to finish marking when this share (in 1/16) of the allocation budget is
/// spent, leaving the rest as a margin for its errors.
const PACE_SIXTEENTHS: u128 = 14;

/// How long before the pacer's start the markers are woken (see `ConcurrentHeap::prewake`);
/// well within the time a marker lingers before it sleeps.
const PREWAKE: Duration = Duration::from_millis(5);

/// The most slots of an object the barrier looks at to shade it black at once (see
/// `ConcurrentHeap::children_marked`).
const BLACK_SHORTCUT_SLOTS: usize = 16;

/// The markers may lag the pacer's schedule by 1/`PACE_SLACK` of the expected work before the
/// mutator assists.
const PACE_SLACK: u128 = 16;

/// Configuration of a [`ConcurrentHeap`].
#[derive(Clone, Debug, PartialEq)]
pub struct ConcurrentConfig {
    /// Limit, trigger and growth (shared by every backend). The trigger is the heap *goal*
    /// (grown from the bytes the last marking traced): marking starts before it (see the
    /// crate documentation's pacing), and while marking is behind schedule, or the goal is
    /// passed, allocation slow paths run bounded mutator assists (logged pauses).
    pub heap: HeapConfig,
    /// Arena, pool and largest-small-object sizes.
    pub pools: PoolConfig,
    /// Marker threads; 0 means the available cores minus one, at least one.
    pub markers: usize,
    /// Pools swept per increment of the lazy sweep (each allocation slow path and
    /// safepoint runs one).
    pub sweep_budget: usize,
    /// Stress mode: a new cycle starts at every allocation and safepoint that finds none in
    /// progress, and the final handshake is attempted at random allocations and stores (one
    /// in four), so marking is nearly always running under the mutator.
    pub stress: bool,
    /// Checkmark oracle (a test mode, as Go's `gccheckmark`): at every final handshake the
    /// heap is marked again from the roots with the mutator stopped, and any reachable
    /// object that concurrent marking left white panics with its path from a root. Costs a
    /// full stop-the-world mark per cycle.
    pub checkmark: bool,
    /// Test hook: the write barrier and root shading do nothing. Unsound on its own, so it
    /// is accepted only with `checkmark`, whose panic at the final handshake comes before
    /// any object is freed: the test that shows the oracle catches a broken barrier.
    #[doc(hidden)]
    pub unsound_no_barrier: bool,
}

impl Default for ConcurrentConfig {
    fn default() -> Self {
        ConcurrentConfig {
            heap: HeapConfig::default(),
            pools: PoolConfig::default(),
            markers: 0,
            sweep_budget: 32,
            stress: false,
            checkmark: false,
            unsound_no_barrier: false,
        }
    }
}

impl ConcurrentConfig {
    /// Checks the configuration, naming the field at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.heap.validate()?;
        self.pools.validate()?;
        if self.markers > 256 {
            return Err(ConfigError { field: "markers", reason: format!("is {}; at most 256", self.markers) });
        }
        if self.sweep_budget == 0 {
            return Err(ConfigError { field: "sweep_budget", reason: "is 0; it must be at least 1".into() });
        }
        if self.unsound_no_barrier && !self.checkmark {
            return Err(ConfigError {
                field: "unsound_no_barrier",
                reason: "frees reachable objects unless the checkmark oracle stops the cycle first".into(),
            });
        }
        Ok(())
    }

    /// The marker threads this configuration starts.
    pub fn marker_threads(&self) -> usize {
        if self.markers > 0 {
            return self.markers;
        }
        std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// No cycle: every mark bit clear, every pool swept.
    Idle,
    /// Markers run; the barrier shades; new small objects are allocated white, large ones black.
    Marking,
    /// Marking is over; the lazy sweep runs (see `gclab_space`'s `lazy.rs`).
    Sweeping,
}

/// Figures of the cycle in progress and totals for the counters.
#[derive(Debug, Default)]
struct Counters {
    mark_started: Option<Instant>,
    used_at_start: usize,
    cycles: u64,
    mark_ns: u64,
    sweep_ns: u64,
    barrier_slow_path: u64,
    allocated_black: u64,
    handshake_retries: u64,
    objects_freed: u64,
    bytes_freed: u64,
    floating_garbage: u64,
    last_mark: Duration,
    /// Wall and mutator-thread CPU time inside the logged handshakes: where the wall time
    /// exceeds the CPU time, the mutator was descheduled by the system mid-pause.
    handshake_wall_ns: u64,
    handshake_cpu_ns: u64,
    /// Objects the mutator scanned itself (in assists, and waiting for marking to end).
    mutator_marked: u64,
    /// Mutator assists, and their wall and mutator CPU time.
    assists: u64,
    assist_wall_ns: u64,
    assist_cpu_ns: u64,
    /// The most mutator CPU time one assist took.
    assist_cpu_max_ns: u64,
    /// The longest large-space step of one sweep increment (invalidating the cycle's dead
    /// large objects, releasing the pages of a few) and the most large objects one cycle
    /// freed.
    large_sweep_max_ns: u64,
    large_freed_max: u64,
    /// Handshakes and assists whose wall time exceeded the mutator's CPU time in them by
    /// more than 200 µs: the system ran something else on the mutator's core mid-pause.
    descheduled_pauses: u64,
    /// Wake-ups of the markers ahead of a cycle's start.
    prewakes: u64,
    /// Objects the barrier shaded black at once (their referents all marked).
    shaded_black: u64,
}

/// The pacer's state (see [`ConcurrentHeap`]'s pacing in the crate documentation).
#[derive(Debug)]
struct Pacer {
    /// Objects this marking is expected to scan (the last marking's count).
    work_expected: u64,
    /// Objects scanned (markers and mutator) when this marking started.
    progress_at_start: u64,
    /// Markers' progress when this marking started.
    marker_progress_at_start: u64,
    /// `stats.allocated_bytes` when this cycle's marking ended.
    allocated_at_mark_end: u64,
    /// Objects the last marking scanned (markers and mutator).
    last_work: u64,
    /// The markers' own rate in the last marking, in objects per second.
    marker_rate: f64,
    /// The mutator's allocation rate over the last whole cycle, in bytes per second, and
    /// where its measurement started (the last initial handshake).
    alloc_rate: f64,
    rate_from: Option<(Instant, u64)>,
}

/// A heap whose marking runs on collector threads while the mutator runs. See the crate
/// documentation for the algorithm, its invariants and its costs.
pub struct ConcurrentHeap {
    memory: ObjectMemory,
    pools: PoolSpace,
    large: LargeObjectSpace,
    roots: Roots,
    trigger: Trigger,
    stats: Stats,
    limit: usize,
    shared: Arc<Shared>,
    /// The markers' deques until the threads start (at the first cycle).
    workers: Vec<Worker<u32>>,
    threads: Vec<JoinHandle<()>>,
    markers: usize,
    phase: Phase,
    /// `phase == Marking`: the barrier and the colouring of new objects test it.
    marking: bool,
    /// `phase != Idle || stress`: the one flag the allocation and store fast paths test.
    attention: bool,
    /// Large objects are allocated marked (from the initial mark until the large space is
    /// swept, at the end of the invalidate stage).
    large_black: bool,
    /// The barrier buffer: granules the mutator shaded, not yet handed to the markers.
    buffer: Vec<u32>,
    /// The newest small object allocated (white) during this marking: the one unrooted
    /// reference the mutator may still use after a final handshake run at a store or a
    /// safepoint (the contract lets any *allocation* invalidate unrooted references, and no
    /// other call); that handshake marks it.
    last_new: Option<u32>,
    /// The mutator's mark stack when it helps marking.
    assist_stack: Vec<u32>,
    stress: bool,
    checkmark: bool,
    no_barrier: bool,
    sweep_budget: usize,
    rng: u64,
    /// Marking starts when the trigger's bytes in use reach this (the pacer's choice).
    start_at: usize,
    /// The markers were woken ahead of this cycle's start.
    prewoken: bool,
    pacer: Pacer,
    counters: Counters,
}

impl std::fmt::Debug for ConcurrentHeap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConcurrentHeap")
            .field("heap_id", &self.memory.heap_id())
            .field("phase", &self.phase)
            .field("live_objects", &self.live_objects())
            .field("heap_bytes", &self.heap_bytes())
            .finish_non_exhaustive()
    }
}

impl Drop for ConcurrentHeap {
    fn drop(&mut self) {
        // The markers read this heap's memory: they must be gone before it is unmapped.
        self.shared.shut_down();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

impl ConcurrentHeap {
    /// Makes a heap with backend-specific settings.
    pub fn with_backend_config(config: ConcurrentConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let limit = config.heap.heap_limit;
        let pool_reserve = limit.next_multiple_of(config.pools.arena_bytes);
        let large_reserve = LargeObjectSpace::reserve_for(limit, pool_reserve);
        let mut memory = ObjectMemory::new(
            pool_reserve.next_multiple_of(gclab_core::CARVE_ALIGN)
                + large_reserve.next_multiple_of(gclab_core::CARVE_ALIGN),
        )?;
        memory.set_huge_pages(config.heap.huge_pages);
        let pools = PoolSpace::new(&mut memory, pool_reserve, config.pools.clone())?;
        let large = LargeObjectSpace::new(&mut memory, large_reserve);
        let granules = memory.valid_bits().len();
        let marks = SideBitmap::new(granules)?;
        let markers = config.marker_threads();
        let (shared, workers) = Shared::new(memory.region().base(), granules, marks, markers);
        let trigger = Trigger::new(&config.heap);
        let next = trigger.next();
        Ok(ConcurrentHeap {
            memory,
            pools,
            large,
            roots: Roots::new(false),
            trigger,
            stats: Stats::default(),
            limit,
            shared,
            workers,
            threads: Vec::new(),
            markers,
            phase: Phase::Idle,
            marking: false,
            attention: config.stress,
            large_black: false,
            buffer: Vec::with_capacity(BUFFER_BATCH),
            last_new: None,
            assist_stack: Vec::new(),
            stress: config.stress,
            checkmark: config.checkmark,
            no_barrier: config.unsound_no_barrier,
            sweep_budget: config.sweep_budget,
            rng: 0x9e37_79b9_7f4a_7c15 ^ config.heap.heap_limit as u64,
            start_at: next - next * 3 / 8,
            prewoken: false,
            pacer: Pacer {
                work_expected: 0,
                progress_at_start: 0,
                marker_progress_at_start: 0,
                allocated_at_mark_end: 0,
                last_work: 0,
                marker_rate: 0.0,
                alloc_rate: 0.0,
                rate_from: None,
            },
            counters: Counters::default(),
        })
    }

    /// Bytes held from the system by the object spaces.
    pub fn heap_bytes(&self) -> usize {
        self.pools.committed_bytes() + self.large.committed_bytes()
    }

    /// The number of marker threads.
    pub fn markers(&self) -> usize {
        self.markers
    }

    /// Whether a concurrent cycle is marking now.
    pub fn is_marking(&self) -> bool {
        self.marking
    }

    /// Whether a cycle is in progress (marking, or sweeping lazily).
    pub fn cycle_in_progress(&self) -> bool {
        self.phase != Phase::Idle
    }

    /// The wall time of the last cycle's marking, from the moment its initial handshake
    /// starts shading the roots (a marker may take them at once) to its final handshake.
    pub fn last_mark_time(&self) -> Duration {
        self.counters.last_mark
    }

    /// Starts a concurrent cycle now unless one is in progress (finishing the previous
    /// cycle's lazy sweep first, if any: an allocation stall). Returns at once: marking runs
    /// on the marker threads, and ends at a later handshake (allocation, store, safepoint).
    pub fn start_cycle(&mut self) {
        if self.phase != Phase::Idle {
            self.stall(true);
        }
        self.initial_mark(true);
    }

    /// Benchmark hook: waits, without marking, for the markers to finish the marking in
    /// progress (the mutator blocks on the markers' idle condition variable, so the marking
    /// is theirs alone), then runs the final handshake; logged as one allocation stall.
    /// Returns at once when no marking runs. The parallel-marking benchmark uses it to time
    /// 1 and 2 markers without the mutator's help.
    #[doc(hidden)]
    pub fn wait_for_markers(&mut self) {
        if !self.marking {
            return;
        }
        let timer = self.stats.begin_pause(self.live_bytes());
        while self.marking {
            self.flush_buffer();
            self.shared.wait_terminated();
            self.final_mark(false);
        }
        self.stats.end_pause(timer, CollectionKind::AllocationStall, self.live_bytes());
    }

    /// Benchmark hook: one marking by the marker threads alone, timed. Starts a cycle, waits
    /// for the markers without marking ([`ConcurrentHeap::wait_for_markers`]), then finishes
    /// it with a full collection (which marks again, untimed); returns the marking's wall
    /// time ([`ConcurrentHeap::last_mark_time`]). The marking benchmarks time 1 and 2 markers
    /// with it.
    #[doc(hidden)]
    pub fn mark_with_markers_alone(&mut self) -> Duration {
        self.start_cycle();
        self.wait_for_markers();
        let marking = self.last_mark_time();
        self.collect(CollectionKind::Full);
        marking
    }

    /// Objects scanned by each marker thread since the heap was made (updated every 32
    /// objects): how the markers shared the work.
    #[doc(hidden)]
    pub fn scanned_by_marker(&self) -> Vec<u64> {
        self.shared.progress_by_marker()
    }

    /// Test hook: holds the markers before their next scan (`true`), or lets them go. Held
    /// markers are released whenever the mutator must wait for them (a full collection, a
    /// stall), so this can delay marking but never block the mutator for good.
    #[doc(hidden)]
    pub fn hold_markers(&mut self, held: bool) {
        self.shared.set_held(held);
    }

    fn live_bytes(&self) -> usize {
        self.pools.live_bytes() + self.large.live_bytes()
    }

    fn exhausted(&self, requested: usize) -> AllocError {
        AllocError::heap_exhausted(requested, self.heap_bytes(), self.limit)
    }

    fn random(&mut self) -> u64 {
        // SplitMix64.
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    // ---- handshakes -------------------------------------------------------------------

    /// The initial handshake: shade every root grey and wake the markers. Time proportional
    /// to the roots, not to the heap.
    fn initial_mark(&mut self, log_pause: bool) {
        debug_assert_eq!(self.phase, Phase::Idle);
        // Starting the marker threads is a one-time cost of the heap (about 150 µs measured),
        // paid at its first cycle, outside the pause: no later handshake pays it.
        if self.threads.is_empty() {
            self.threads = marker::spawn(&self.shared, std::mem::take(&mut self.workers));
        }
        // Mutator CPU time around the handshake, read outside the timed pause (the read is
        // a system call, a point where the system may deschedule the thread).
        let cpu_before = marker::thread_cpu_ns();
        let timer = self.stats.begin_pause(self.live_bytes());
        self.phase = Phase::Marking;
        self.marking = true;
        self.last_new = None;
        self.attention = true;
        self.large_black = true;
        // Marking starts here: a marker still awake from the last cycle may take the first
        // root at once, and the woken ones may run before this handshake returns (so the
        // mark time is not read after the wake-up, which would miss what they did by then).
        self.counters.mark_started = Some(Instant::now());
        let shared = &self.shared;
        self.roots.for_each(|root| {
            let granule = root.granule();
            if !shared.marks.fetch_set(granule as usize) {
                shared.push(granule);
            }
        });
        shared.wake();
        self.prewoken = false;
        self.counters.used_at_start = self.trigger.used();
        self.pacer_start_marking();
        if log_pause {
            self.stats.end_pause(timer, CollectionKind::InitialMark, self.live_bytes());
            self.note_handshake(cpu_before);
        }
    }

    /// Adds the handshake just logged to the wall and CPU totals.
    fn note_handshake(&mut self, cpu_before: u64) {
        let wall = self.stats.pauses.last().map_or(Duration::ZERO, |p| p.duration).as_nanos() as u64;
        let cpu = marker::thread_cpu_ns().saturating_sub(cpu_before);
        self.counters.handshake_wall_ns += wall;
        self.counters.handshake_cpu_ns += cpu;
        self.counters.descheduled_pauses += u64::from(wall > cpu + 200_000);
    }

    /// Hands the barrier buffer to the markers.
    fn flush_buffer(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        for &granule in &self.buffer {
            self.shared.push(granule);
        }
        self.buffer.clear();
        self.shared.wake();
    }

    /// The final handshake: flushes the barrier buffer and, if no grey object is left,
    /// ends marking and starts the lazy sweep. Returns whether marking ended.
    fn final_mark(&mut self, log_pause: bool) -> bool {
        debug_assert_eq!(self.phase, Phase::Marking);
        if self.buffer.is_empty() && !self.shared.terminated() {
            // Nothing to hand over and the markers are still at work: not a handshake.
            self.counters.handshake_retries += 1;
            return false;
        }
        // Mutator CPU time around the handshake, read outside the timed pause (the read is
        // a system call, a point where the system may deschedule the thread).
        let cpu_before = marker::thread_cpu_ns();
        let timer = self.stats.begin_pause(self.live_bytes());
        self.flush_buffer();
        if !self.shared.terminated() {
            self.counters.handshake_retries += 1;
            return false;
        }
        if let Some(started) = self.counters.mark_started.take() {
            self.counters.last_mark = started.elapsed();
            self.counters.mark_ns += self.counters.last_mark.as_nanos() as u64;
        }
        // The newest object may still be held unrooted by the mutator (this handshake may
        // run at a store or a safepoint, not only at an allocation): black, and floating if
        // it is garbage. Its slots refer only to marked objects, so it needs no scan.
        if let Some(granule) = self.last_new.take() {
            self.shared.marks.fetch_set(granule as usize);
        }
        self.pacer_end_marking();
        if self.checkmark {
            self.checkmark();
        }
        self.marking = false;
        self.phase = Phase::Sweeping;
        self.pools.begin_lazy_sweep();
        if log_pause {
            self.stats.end_pause(timer, CollectionKind::FinalMark, self.live_bytes());
            self.note_handshake(cpu_before);
        }
        true
    }

    /// Marks alongside the markers until marking terminates, then runs the final handshake.
    fn finish_marking(&mut self) {
        while self.marking {
            self.flush_buffer();
            self.counters.mutator_marked += self.shared.assist(&mut self.assist_stack);
            self.shared.wait_terminated();
            self.final_mark(false);
        }
    }

    /// One increment of the lazy sweep (`budget` pools); ends the cycle when the sweep is done.
    fn sweep_increment(&mut self, budget: usize, count_cycle: bool) {
        debug_assert_eq!(self.phase, Phase::Sweeping);
        let started = Instant::now();
        // SAFETY: marking of this cycle has terminated (phase Sweeping): every object whose
        // mark is clear was unreachable at the snapshot and never written anywhere since
        // (the barrier shades every value written while marking), and stores since marking
        // ended refuse dead objects (`check_storable`); no marker touches the bitmap now.
        let progress = unsafe { self.pools.sweep_some(&self.memory, &self.shared.marks, budget) };
        self.counters.objects_freed += progress.objects as u64;
        self.counters.bytes_freed += progress.bytes as u64;
        let large_started = Instant::now();
        if progress.invalidated_all {
            // Every dead small object is invalid now; invalidate the dead large objects too
            // before any small cell is freed (a dead large object may refer to a dead small
            // one): a bit test per large object, a bit clear per dead one, no system call.
            // SAFETY: as above, for the large space.
            let (objects, bytes) = unsafe { self.large.invalidate_dead(&self.memory, &self.shared.marks) };
            self.large_black = false;
            self.counters.objects_freed += objects as u64;
            self.counters.bytes_freed += bytes as u64;
            self.counters.large_freed_max = self.counters.large_freed_max.max(objects as u64);
        }
        if self.large.invalidated_objects() > 0 {
            // Their pages go back to the system one object per increment (a system call,
            // proportional to its pages), all at once when finishing the sweep.
            let objects = if budget == usize::MAX { usize::MAX } else { 1 };
            self.large.release_invalidated(&self.memory, objects);
            self.stats.set_heap_bytes(self.heap_bytes());
        }
        let large_ns = large_started.elapsed().as_nanos() as u64;
        self.counters.large_sweep_max_ns = self.counters.large_sweep_max_ns.max(large_ns);
        self.counters.sweep_ns += started.elapsed().as_nanos() as u64;
        if self.pools.lazy_sweep() == LazySweep::Done && self.large.invalidated_objects() == 0 {
            self.end_cycle(count_cycle);
        }
    }

    fn finish_sweep(&mut self, count_cycle: bool) {
        while self.phase == Phase::Sweeping {
            self.sweep_increment(usize::MAX, count_cycle);
        }
    }

    /// The sweep is done: the cycle's figures, the trigger and the pacer.
    fn end_cycle(&mut self, count_cycle: bool) {
        self.phase = Phase::Idle;
        self.attention = self.stress;
        let live_bytes = self.live_bytes();
        // The goal grows from what marking found live (`traced`: the marked objects, among
        // them those allocated while marking that the mutator published), not from what the
        // sweep phase allocated meanwhile (black, or into swept pools, so kept by this cycle
        // whether or not it is still reachable): counting that floating garbage as live
        // would raise the goal, lengthen the next cycle, float more, and so on. Nor does
        // the next cycle's budget pay for it: the trigger counts from `traced`, and those
        // bytes are freed by the next cycle if dead (or traced by it if not).
        let allocated = self.stats.allocated_bytes.saturating_sub(self.pacer.allocated_at_mark_end) as usize;
        let marked_bytes = live_bytes.saturating_sub(allocated);
        // The bytes of the objects marking *scanned*, estimated at the live objects' mean
        // size: objects allocated while marking and published are marked without a scan, and
        // most die soon (binary-trees roots its new trees as it builds them); counted as
        // traced, they raised the goal (binary-trees' heap peaked at 454 MB, not 70 MB).
        let live_objects = self.live_objects().max(1) as u128;
        let scanned_bytes = (self.pacer.last_work as u128 * live_bytes as u128 / live_objects) as usize;
        let traced = marked_bytes.min(scanned_bytes);
        self.trigger.collected(traced);
        let next = self.trigger.next();
        self.start_at = self.pacer_start_at(next, traced);
        let (released, decommitted) = self.pools.trim_after_collection(&self.memory, next.saturating_sub(live_bytes));
        if decommitted > 0 {
            self.stats.bump("pools_decommitted", decommitted as u64);
        }
        self.counters.cycles += 1;
        if count_cycle {
            self.stats.count_collection(CollectionKind::Full);
        }
        let stats = &mut self.stats;
        stats.live_objects_after_gc = (self.pools.live_objects() + self.large.live_objects()) as u64;
        stats.live_bytes_after_gc = live_bytes as u64;
        stats.set_heap_bytes(self.pools.committed_bytes() + self.large.committed_bytes());
        stats.bump("arenas_released", released as u64);
        self.publish_counters();
    }

    /// Copies the running totals into the statistics' counters.
    fn publish_counters(&mut self) {
        let c = &self.counters;
        let shared = &self.shared;
        let values = [
            ("markers", self.markers as u64),
            ("cycles", c.cycles),
            ("concurrent_mark_us", c.mark_ns / 1000),
            ("lazy_sweep_us", c.sweep_ns / 1000),
            ("marker_cpu_us", shared.cpu_ns.load(Ordering::Relaxed) / 1000),
            ("objects_marked", shared.scanned.load(Ordering::Relaxed)),
            ("marker_steals", shared.steals.load(Ordering::Relaxed)),
            ("objects_marked_by_mutator", c.mutator_marked),
            ("assists", c.assists),
            ("assist_wall_us", c.assist_wall_ns / 1000),
            ("assist_cpu_us", c.assist_cpu_ns / 1000),
            ("assist_cpu_max_us", c.assist_cpu_max_ns / 1000),
            ("descheduled_pauses", c.descheduled_pauses),
            ("marker_prewakes", c.prewakes),
            ("barrier_shaded_black", c.shaded_black),
            ("large_sweep_max_us", c.large_sweep_max_ns / 1000),
            ("large_freed_max", c.large_freed_max),
            ("barrier_slow_path", c.barrier_slow_path),
            ("allocated_black", c.allocated_black),
            ("handshake_retries", c.handshake_retries),
            ("objects_freed", c.objects_freed),
            ("handshake_wall_us", c.handshake_wall_ns / 1000),
            ("handshake_cpu_us", c.handshake_cpu_ns / 1000),
            ("bytes_freed", c.bytes_freed),
        ];
        for (name, value) in values {
            self.stats.counters.insert(name, value);
        }
        if self.checkmark {
            self.stats.counters.insert("floating_garbage", c.floating_garbage);
        }
    }

    /// The mutator waits for the cycle in progress to end (marking, helping the markers, and
    /// with `and_sweep` the sweep too), logged as an allocation stall.
    fn stall(&mut self, and_sweep: bool) {
        let timer = self.stats.begin_pause(self.live_bytes());
        self.finish_marking();
        if and_sweep {
            self.finish_sweep(true);
        }
        self.stats.end_pause(timer, CollectionKind::AllocationStall, self.live_bytes());
    }

    /// A full collection with the mutator stopped: ends the cycle in progress, then runs a
    /// whole new one (so `live_objects()` is exact afterwards), logged as one `Full` pause.
    fn collect_full_now(&mut self) {
        let timer = self.stats.begin_pause(self.live_bytes());
        self.finish_marking();
        self.finish_sweep(true);
        self.initial_mark(false);
        self.finish_marking();
        self.finish_sweep(false);
        self.stats.end_pause(timer, CollectionKind::Full, self.live_bytes());
    }

    // ---- pacing -----------------------------------------------------------------------

    /// Objects scanned so far by the markers and the mutator.
    fn mark_progress(&self) -> u64 {
        self.shared.progress() + self.counters.mutator_marked
    }

    /// At the initial handshake: the work this marking is expected to do, and the allocation
    /// rate since the last marking ended.
    fn pacer_start_marking(&mut self) {
        let progress = self.mark_progress();
        let pacer = &mut self.pacer;
        pacer.work_expected = if pacer.last_work > 0 { pacer.last_work } else { self.pools.live_objects() as u64 + 1 };
        pacer.progress_at_start = progress;
        pacer.marker_progress_at_start = self.shared.progress();
        // Over a whole cycle (from the last initial handshake), marking and sweeping
        // included: measured from the end of marking only, the rate swung with the length of
        // the gap (the sweep's increments slow allocation down), and so did the start.
        let now = Instant::now();
        if let Some((since, allocated)) = pacer.rate_from {
            let elapsed = now.duration_since(since).as_secs_f64();
            if elapsed > 0.001 {
                let rate = (self.stats.allocated_bytes - allocated) as f64 / elapsed;
                pacer.alloc_rate = smoothed(pacer.alloc_rate, rate);
            }
        }
        pacer.rate_from = Some((now, self.stats.allocated_bytes));
    }

    /// At the end of marking: the work it did and the markers' rate.
    fn pacer_end_marking(&mut self) {
        let progress = self.mark_progress();
        let marker_progress = self.shared.progress();
        let pacer = &mut self.pacer;
        pacer.allocated_at_mark_end = self.stats.allocated_bytes;
        pacer.last_work = progress.saturating_sub(pacer.progress_at_start).max(1);
        let seconds = self.counters.last_mark.as_secs_f64();
        let by_markers = marker_progress.saturating_sub(pacer.marker_progress_at_start);
        if seconds > 0.0005 && by_markers > 0 {
            pacer.marker_rate = smoothed(pacer.marker_rate, by_markers as f64 / seconds);
        }
    }

    /// Where the next marking starts, for a goal of `next` bytes with `traced` bytes found
    /// live: early enough that the markers alone, at the last marking's rate, finish the
    /// last marking's work before the mutator, at its allocation rate over the last cycle, fills
    /// the goal (plus a quarter for safety). Never before the live bytes (at once, that is,
    /// when the markers cannot keep up: assists then do the rest), never later than
    /// `next − next / 16`.
    fn pacer_start_at(&self, next: usize, traced: usize) -> usize {
        let pacer = &self.pacer;
        let headroom = if pacer.marker_rate > 0.0 && pacer.alloc_rate > 0.0 {
            let seconds = pacer.last_work as f64 / pacer.marker_rate;
            (pacer.alloc_rate * seconds * 1.25) as usize
        } else {
            next * 3 / 8
        };
        next - headroom.clamp(next / 16, next.saturating_sub(traced).max(next / 16))
    }

    /// Whether marking is behind the pacer's schedule: the share of the expected work done
    /// is below the share of the allocation budget (goal less the bytes in use when marking
    /// started) spent, aiming to finish at 14/16 of the budget; always once past the goal.
    /// In stress mode, at random (one slow path in four), to exercise assists.
    fn behind_schedule(&mut self) -> bool {
        if self.stress {
            return self.random() % 4 == 0;
        }
        let start = self.counters.used_at_start;
        let allocated = self.trigger.used().saturating_sub(start) as u128;
        let budget = self.trigger.next().saturating_sub(start).max(1) as u128;
        if allocated >= budget {
            return true;
        }
        let done = self.mark_progress().saturating_sub(self.pacer.progress_at_start) as u128;
        // The markers may lag the schedule by a slack of the expected work: they publish
        // their progress every 32 objects and a woken marker takes a while to be scheduled,
        // so without it the first slow paths of every cycle assisted.
        let expected = self.pacer.work_expected as u128;
        (done + expected / PACE_SLACK) * budget * PACE_SIXTEENTHS < expected * allocated * 16
    }

    /// A mutator assist: a bounded increment of marking (at most [`ASSIST_TIME`] and
    /// [`ASSIST_OBJECTS`]; a few objects in stress mode, so that work is often handed back),
    /// starting with the barrier buffer, logged as a pause of its own kind. Nothing happens
    /// (no pause) when no grey work is visible to the mutator: the markers hold it all.
    fn assist(&mut self) {
        if self.buffer.is_empty() && !self.shared.work_visible() {
            return;
        }
        let max_objects = if self.stress { 1 + self.random() % 8 } else { ASSIST_OBJECTS };
        let cpu_before = marker::thread_cpu_ns();
        let timer = self.stats.begin_pause(self.live_bytes());
        // The buffered grey objects are the assist's first work (no trip through the injector).
        self.assist_stack.append(&mut self.buffer);
        let deadline = Instant::now() + ASSIST_TIME;
        let (scanned, handed) = self.shared.assist_bounded(&mut self.assist_stack, max_objects, deadline);
        if handed {
            self.shared.wake();
        }
        self.counters.mutator_marked += scanned;
        self.counters.assists += 1;
        self.stats.end_pause(timer, CollectionKind::Assist, self.live_bytes());
        let wall = self.stats.pauses.last().map_or(Duration::ZERO, |p| p.duration).as_nanos() as u64;
        let cpu = marker::thread_cpu_ns().saturating_sub(cpu_before);
        let c = &mut self.counters;
        c.assist_wall_ns += wall;
        c.assist_cpu_ns += cpu;
        c.assist_cpu_max_ns = c.assist_cpu_max_ns.max(cpu);
        c.descheduled_pauses += u64::from(wall > cpu + 200_000);
    }

    // ---- polling ----------------------------------------------------------------------

    /// At every allocation while `attention` is set, before the cell is taken.
    #[cold]
    fn poll_allocation(&mut self) {
        if self.marking {
            self.poll_marking();
        }
        if self.stress {
            match self.phase {
                Phase::Idle => self.initial_mark(true),
                Phase::Sweeping => self.sweep_increment(4, true),
                Phase::Marking => {}
            }
        }
    }

    /// While marking: the final handshake when the markers have gone quiet (or, under
    /// stress, at random).
    fn poll_marking(&mut self) {
        let attempt = self.shared.quiescent.load(Ordering::Acquire) || (self.stress && self.random() % 4 == 0);
        if attempt {
            self.final_mark(true);
        }
    }

    /// At each allocation slow path (a new run or a large object): the handshake, an assist
    /// if marking is behind the pacer's schedule, a sweep increment (eight times larger once
    /// allocation has passed the goal), the pacer's start.
    fn poll_slow(&mut self) {
        if self.marking {
            self.poll_marking();
        }
        if self.marking && self.behind_schedule() {
            self.assist();
            if self.marking {
                self.poll_marking();
            }
        }
        if self.phase == Phase::Sweeping {
            // Eight times larger once the pacer wants the next marking to start (or the goal
            // is passed): the sweep must end before it can.
            let hurry = self.trigger.used() >= self.start_at || self.trigger.due();
            let budget = if hurry { self.sweep_budget * 8 } else { self.sweep_budget };
            self.sweep_increment(budget, true);
        }
        if self.phase == Phase::Idle {
            if self.stress || self.trigger.used() >= self.start_at {
                self.initial_mark(true);
            } else {
                self.prewake();
            }
        }
    }

    /// Wakes the markers a little ahead of the pacer's start (when, at the allocation rate
    /// of the last cycle, about [`PREWAKE`] of allocation is left before it, or 1/16 of the
    /// bytes to the start), so that the
    /// initial handshake finds them lingering (see `marker::linger`) and hands them the roots
    /// with plain pushes. The wake-up, a system call that on a 2-core VM sometimes cost the
    /// mutator a millisecond, is then done at this allocation slow path, outside the
    /// handshake; the mutator still pays for it (it shows in its time and the MMU, not in
    /// the pause log), once per cycle. Does nothing when no marker sleeps.
    fn prewake(&mut self) {
        if self.prewoken || self.pacer.alloc_rate <= 0.0 {
            return;
        }
        // Or within 1/16 of the start: one large object can take the allocation past both
        // the window and the start at once (the `large` workload's arrays of up to 8 MB).
        let left = self.start_at.saturating_sub(self.trigger.used());
        if left as f64 <= self.pacer.alloc_rate * PREWAKE.as_secs_f64() || left <= self.start_at / 16 {
            self.prewoken = true;
            self.counters.prewakes += 1;
            self.shared.wake();
        }
    }

    // ---- allocation -------------------------------------------------------------------

    #[cold]
    #[inline(never)]
    fn alloc_small_slow(&mut self, class: usize) -> Result<usize, AllocError> {
        self.poll_slow();
        let refill = |heap: &mut Self| {
            let room = heap.limit.saturating_sub(heap.heap_bytes());
            // SAFETY: the lazy sweep's bitmap is `shared.marks`, as for `sweep_some`.
            let (run, objects, bytes) =
                unsafe { heap.pools.refill_lazy(&heap.memory, &heap.shared.marks, class, room) };
            heap.counters.objects_freed += objects as u64;
            heap.counters.bytes_freed += bytes as u64;
            let run_bytes = run?;
            heap.trigger.note_allocated(run_bytes);
            heap.stats.set_heap_bytes(heap.heap_bytes());
            // SAFETY: as in `allocate_object`.
            Some(unsafe { heap.pools.alloc_fast(&heap.memory, class) }.expect("a new run has a free cell"))
        };
        // Concurrent cycles start from the pacer (`poll_slow`); a full collection here is the
        // last resort, when no pool can be had.
        gclab_space::allocate_collecting_once(self, false, refill, Self::collect_full_now)
            .ok_or_else(|| self.exhausted(self.pools.config().pool_bytes))
    }

    #[cold]
    fn alloc_large(&mut self, slots: usize, bytes: usize, size: usize) -> Result<usize, AllocError> {
        if size > self.limit {
            return Err(AllocError::too_large(slots, bytes, self.limit));
        }
        self.poll_slow();
        let footprint = LargeObjectSpace::footprint(size);
        let take = |heap: &mut Self| {
            let granule = heap.large.alloc_within(&mut heap.pools, &heap.memory, size, heap.limit);
            heap.stats.set_heap_bytes(heap.heap_bytes());
            if granule.is_some() {
                heap.trigger.note_allocated(footprint);
            }
            granule
        };
        gclab_space::allocate_collecting_once(self, false, take, Self::collect_full_now)
            .ok_or_else(|| self.exhausted(footprint))
    }

    /// After an object is made while `attention` is set: allocate black if the cycle needs it.
    #[cold]
    fn colour_new_object(&mut self, granule: usize, small: bool) {
        let black = match self.phase {
            Phase::Idle => false,
            // White: unless the mutator publishes it (a store, a root: both shade it), it dies
            // with this cycle. Its slots can only ever refer to marked objects (values
            // stored are shaded; moved roots are marked), so marking it later, without a
            // scan, is always sound.
            Phase::Marking if small => {
                self.last_new = Some(granule as u32);
                false
            }
            Phase::Marking => true,
            Phase::Sweeping if small => self.pools.needs_black(granule),
            Phase::Sweeping => self.large_black,
        };
        if black {
            self.shared.marks.fetch_set(granule);
            self.counters.allocated_black += 1;
        }
    }

    // ---- barrier ----------------------------------------------------------------------

    /// Shades `granule` grey (marks it and queues it for the markers) unless it is marked.
    #[inline]
    fn shade(&mut self, granule: u32) {
        if self.no_barrier {
            return;
        }
        let marks = &self.shared.marks;
        if !marks.get(granule as usize) && !marks.fetch_set(granule as usize) {
            self.counters.barrier_slow_path += 1;
            if self.children_marked(granule) {
                // Black at once: nothing to scan. Every object allocated while marking is
                // of this kind when it is published (see `colour_new_object`), so the new
                // objects a mutator roots or stores do not become the markers' work.
                self.counters.shaded_black += 1;
                return;
            }
            self.buffer.push(granule);
            if self.buffer.len() >= BUFFER_BATCH {
                self.flush_buffer();
            }
        }
    }

    /// Whether every referent of the small object at `granule` is marked (objects of more
    /// than [`BLACK_SHORTCUT_SLOTS`] slots are not looked at: `false`). A marked object
    /// whose referents are all marked may be black without a scan: no black object then
    /// refers to a white one, and later stores into it go through the barrier.
    fn children_marked(&self, granule: u32) -> bool {
        // SAFETY: `shade` is given only references of this heap's valid objects (validated
        // values, or slot values of valid objects: the closure invariant), so `granule` is
        // an object start.
        let object = unsafe { self.memory.object(granule as usize) };
        let slots = object.slot_count();
        slots <= BLACK_SHORTCUT_SLOTS
            && (0..slots).all(|i| {
                // SAFETY: `i` is below the slot count.
                let bits = unsafe { object.slot_unchecked(i) }.bits();
                bits == 0 || self.shared.marks.get(bits as u32 as usize)
            })
    }

    /// Whether the valid object at `granule` is dead: unmarked by the last marking, its
    /// sweep not yet done (it is still a valid reference but will be freed).
    fn is_dead(&self, granule: usize) -> bool {
        if self.phase != Phase::Sweeping {
            return false;
        }
        if self.pools.contains(granule) {
            self.pools.is_dead(granule, &self.shared.marks)
        } else {
            self.large_black && !self.shared.marks.get(granule)
        }
    }

    /// Validates a reference about to be stored in a slot or a root: it must be live, and,
    /// while the lazy sweep runs, not one of the objects it is about to free.
    #[inline]
    fn check_storable(&self, value: Option<ObjRef>) -> Result<(), RefError> {
        self.memory.check_value(value)?;
        match value {
            Some(obj) if self.is_dead(obj.granule() as usize) => Err(RefError::Stale { obj }),
            _ => Ok(()),
        }
    }

    #[cold]
    fn store_slow(&mut self, obj: ObjRef, index: usize, value: Option<ObjRef>) -> Result<(), RefError> {
        // Handshakes first: a final handshake may free dead large objects, so validate after.
        if self.marking {
            self.poll_marking();
        }
        self.check_storable(value)?;
        let (object, _) = self.memory.writable_slot(obj, index)?;
        let slot = slot_word(object, index);
        // Release pairs with the markers' acquire loads (see `marker::Shared::scan`).
        // (Only the mutator writes slots, so a load then a store is exact.)
        let old = slot.load(Ordering::Relaxed);
        slot.store(value.map_or(0, ObjRef::bits), Ordering::Release);
        if self.marking {
            // Yuasa's deletion barrier: the overwritten referent is shaded, so everything
            // reachable at the snapshot stays reachable from a grey or black object. (After
            // the store is as good as before it: only the mutator checks termination, at a
            // handshake, after flushing what it shaded.)
            if old != 0 {
                self.shade(old as u32);
            }
            // And the value written: an object the mutator held unrooted across the
            // snapshot (legal, if a mistake) must not be freed from under the slot.
            if let Some(value) = value {
                self.shade(value.granule());
            }
        }
        Ok(())
    }

    /// Shades a reference entering the roots while marking runs (roots are scanned once, at
    /// the initial handshake).
    #[inline]
    fn root_entering(&mut self, obj: Option<ObjRef>) {
        if let (true, Some(obj)) = (self.marking, obj) {
            self.shade(obj.granule());
        }
    }

    // ---- checkmark --------------------------------------------------------------------

    /// The checkmark oracle: marks the heap again from the roots, with the mutator stopped
    /// and the markers idle, and panics with the path from a root to the first reachable
    /// object that concurrent marking left white. Depth-first with an explicit stack of
    /// (object, next slot), which is the path.
    fn checkmark(&mut self) {
        let marks = &self.shared.marks;
        let checks = SideBitmap::new(marks.len()).expect("a checkmark bitmap");
        let mut roots = Vec::new();
        self.roots.for_each(|root| roots.push(root.granule()));
        let mut stack: Vec<(u32, usize)> = Vec::new();
        let mut reachable = 0u64;
        for (n, &root) in roots.iter().enumerate() {
            if checks.test_and_set(root as usize) {
                continue;
            }
            reachable += 1;
            if !marks.get(root as usize) {
                self.checkmark_failed(n, &[], root);
            }
            stack.push((root, 0));
            while let Some(top) = stack.last_mut() {
                // SAFETY: every granule on the stack is a root or read from a slot of an
                // object on it: an object start (slots and roots hold live objects).
                let object = unsafe { self.memory.object(top.0 as usize) };
                if top.1 == object.slot_count() {
                    stack.pop();
                    continue;
                }
                // SAFETY: below the slot count, checked just above.
                let child = unsafe { object.slot_unchecked(top.1) }.bits() as u32;
                top.1 += 1;
                if child != 0 && !checks.test_and_set(child as usize) {
                    reachable += 1;
                    if !marks.get(child as usize) {
                        self.checkmark_failed(n, &stack, child);
                    }
                    stack.push((child, 0));
                }
            }
        }
        let mut marked = 0u64;
        let mut count = |granule: usize| marked += u64::from(marks.get(granule));
        self.pools.for_each_object(&self.memory, &mut count);
        self.large.for_each_object(&mut count);
        self.counters.floating_garbage += marked.saturating_sub(reachable);
    }

    fn checkmark_failed(&self, root: usize, path: &[(u32, usize)], white: u32) -> ! {
        let describe = |granule: u32| {
            // SAFETY: path entries and `white` are object starts (see `checkmark`).
            let object = unsafe { self.memory.object(granule as usize) };
            format!("object at granule {granule:#x} (tag {}, {} slots)", object.tag().0, object.slot_count())
        };
        let mut text = format!("root #{root}: ");
        for &(granule, next) in path {
            text.push_str(&format!("{}\n  -> slot {}: ", describe(granule), next - 1));
        }
        text.push_str(&describe(white));
        text.push_str(", white");
        panic!("checkmark: concurrent marking left a reachable object white; its path from a root:\n  {text}");
    }
}

/// A rate measured over the last cycle, averaged with the rate before (halving the weight of
/// each older cycle). One cycle's figure alone made the start oscillate: a cycle that started
/// at once after the last sweep measured a low allocation rate (the mutator shared its
/// cycle with marking and sweeping), so the next one started late, had to be helped by
/// assists, measured a high rate, so the one after started at once again, and so on.
fn smoothed(before: f64, measured: f64) -> f64 {
    if before > 0.0 {
        (before + measured) / 2.0
    } else {
        measured
    }
}

/// Slot `index` of `object` (in bounds: the caller validated it) as an atomic word.
#[inline]
fn slot_word(object: Object<'_>, index: usize) -> &AtomicU64 {
    debug_assert!(index < object.slot_count());
    // SAFETY: the caller validated `index < slot_count`; slots are 8-aligned words right
    // after the header, accessed only atomically.
    unsafe { &*object.addr().add(HEADER_BYTES + index * 8).cast::<AtomicU64>() }
}

// SAFETY: `allocate_object` returns only objects it has just initialised in `self.memory`
// with `init_object_filled`, with exactly the slots and bytes asked for.
unsafe impl AllocateObject for ConcurrentHeap {
    #[inline(always)]
    unsafe fn allocate_object(
        &mut self,
        tag: Tag,
        slots: usize,
        bytes: usize,
        immutable: bool,
        filled: usize,
    ) -> Result<ObjRef, AllocError> {
        let Some(size) = object_size(slots, bytes) else {
            return Err(AllocError::too_large(slots, bytes, self.limit));
        };
        // Handshakes happen before a cell is taken, never between taking and initialising it.
        if self.attention {
            self.poll_allocation();
        }
        let (granule, small) = match self.pools.classes().class_of(size) {
            Some(class) => {
                // SAFETY: the pool space was carved from `self.memory`; `class_of` returns a
                // class of the space.
                let granule = match unsafe { self.pools.alloc_fast(&self.memory, class) } {
                    Some(granule) => granule,
                    None => self.alloc_small_slow(class)?,
                };
                (granule, true)
            }
            None => (self.alloc_large(slots, bytes, size)?, false),
        };
        self.stats.note_allocation(size);
        // SAFETY: the space just handed out `granule` for an object of `size` bytes; it holds
        // no live object (pool cells come from free lists, never from a pool whose dead cells
        // are not yet freed, and no valid object refers to a free cell). Large-space pages
        // are fresh (zero); pool cells are cleared but for the first `filled` slots, which
        // the caller writes at once.
        let obj = unsafe {
            self.memory.init_object_filled(granule, tag, slots as u32, bytes as u32, !small, immutable, filled)
        };
        if self.attention {
            self.colour_new_object(granule, small);
        }
        Ok(obj)
    }
}

impl Heap for ConcurrentHeap {
    const NAME: &'static str = "concurrent";

    fn with_config(config: HeapConfig) -> Result<Self, ConfigError> {
        Self::with_backend_config(ConcurrentConfig { heap: config, ..ConcurrentConfig::default() })
    }

    #[inline]
    fn allocate(&mut self, tag: Tag, slots: usize, bytes: usize) -> Result<ObjRef, AllocError> {
        // SAFETY: `filled = 0`: no slot is left for us to write.
        unsafe { self.allocate_object(tag, slots, bytes, false, 0) }
    }

    #[track_caller]
    #[inline(always)]
    fn allocate_from_roots(
        &mut self,
        tag: Tag,
        slots: usize,
        bytes: usize,
        from_roots: usize,
    ) -> Result<ObjRef, AllocError> {
        // The object is new: moving the roots' references into it needs no barrier, since
        // while marking every root refers to a marked object (roots are marked at the initial
        // handshake and shaded as they enter), so its slots, like every new object's, hold
        // only marked objects; and its stale slots were never references.
        gclab_core::plain_roots_and_memory!(@move self, tag, slots, bytes, from_roots, false)
    }

    #[track_caller]
    #[inline(always)]
    fn allocate_immutable(
        &mut self,
        tag: Tag,
        slots: usize,
        bytes: usize,
        from_roots: usize,
    ) -> Result<ObjRef, AllocError> {
        gclab_core::plain_roots_and_memory!(@move self, tag, slots, bytes, from_roots, true)
    }

    #[inline]
    fn memory(&self) -> &ObjectMemory {
        &self.memory
    }

    #[inline]
    fn try_store(&mut self, obj: ObjRef, index: usize, value: Option<ObjRef>) -> Result<(), RefError> {
        if self.attention {
            return self.store_slow(obj, index, value);
        }
        // SAFETY: no cycle is in progress: no marker runs and no sweep is pending, so a plain
        // validated store needs no barrier.
        unsafe { self.memory.store_without_barrier(obj, index, value) }
    }

    fn try_data_mut(&mut self, obj: ObjRef) -> Result<&mut [u8], RefError> {
        self.memory.data_mut(obj)
    }

    #[inline]
    fn try_push_root(&mut self, obj: Option<ObjRef>) -> Result<(), RefError> {
        self.check_storable(obj)?;
        self.root_entering(obj);
        // SAFETY: validated (and not dead) just above.
        unsafe { self.roots.stack.push(obj) };
        Ok(())
    }

    #[inline]
    fn try_pop_root(&mut self) -> Result<Option<ObjRef>, RefError> {
        self.roots.stack.pop()
    }

    fn try_set_root(&mut self, index: usize, obj: Option<ObjRef>) -> Result<(), RefError> {
        self.check_storable(obj)?;
        // SAFETY: validated (and not dead) just above.
        unsafe { self.roots.stack.set(index, obj) }?;
        self.root_entering(obj);
        Ok(())
    }

    #[inline]
    fn try_root_at(&self, index: usize) -> Result<Option<ObjRef>, RefError> {
        self.roots.stack.get(index)
    }

    fn root_depth(&self) -> usize {
        self.roots.stack.len()
    }

    fn truncate_roots(&mut self, depth: usize) {
        self.roots.stack.truncate_with(depth, |_| {});
    }

    #[track_caller]
    fn root(&mut self, obj: ObjRef) -> Root {
        self.check_storable(Some(obj)).unwrap_or_else(|e| panic!("{e}"));
        self.root_entering(Some(obj));
        // SAFETY: validated (and not dead) just above.
        unsafe { self.roots.table.add(obj) }
    }

    fn safepoint(&mut self) {
        if self.marking {
            self.poll_marking();
        }
        match self.phase {
            Phase::Sweeping => self.sweep_increment(self.sweep_budget, true),
            Phase::Idle if self.stress || self.trigger.used() >= self.start_at => self.initial_mark(true),
            _ => {}
        }
    }

    fn collect(&mut self, _kind: CollectionKind) {
        // No generations: every kind runs a full collection.
        self.collect_full_now();
    }

    fn stats(&self) -> &Stats {
        &self.stats
    }

    fn live_objects(&self) -> usize {
        self.pools.live_objects() + self.large.live_objects()
    }

    fn verify(&self) -> Result<(), VerifyError> {
        let marks = &self.shared.marks;
        let sweeping = self.phase == Phase::Sweeping;
        self.pools.verify_lazy(&self.memory, sweeping.then_some(marks))?;
        self.large.verify(&self.memory)?;
        let mut objects = 0;
        let mut problem = None;
        let mut check = |granule: usize| {
            objects += 1;
            if problem.is_some() {
                return;
            }
            let small = self.pools.contains(granule);
            let stray_mark = match self.phase {
                Phase::Idle => marks.get(granule),
                Phase::Marking => false,
                Phase::Sweeping => small && self.pools.is_swept(granule) && marks.get(granule),
            };
            if stray_mark {
                problem =
                    Some(format!("object at granule {granule:#x} is marked outside a marking ({:?})", self.phase));
            }
            if self.is_dead(granule) {
                return; // dead, awaiting the sweep: its referents may be invalid already
            }
            // SAFETY: the spaces report only granules whose valid bit is set.
            let object = unsafe { self.memory.object(granule) };
            for i in 0..object.slot_count() {
                // SAFETY: `i` is below the slot count.
                if let Some(target) = unsafe { object.slot_unchecked(i) }.get() {
                    if let Err(e) = self.memory.resolve(target) {
                        problem =
                            Some(format!("slot {i} of the object at granule {granule:#x} holds a bad reference: {e}"));
                        return;
                    }
                    if self.is_dead(target.granule() as usize) {
                        problem = Some(format!(
                            "slot {i} of the live object at granule {granule:#x} refers to a dead object"
                        ));
                        return;
                    }
                }
            }
        };
        self.pools.for_each_object(&self.memory, &mut check);
        self.large.for_each_object(&mut check);
        if let Some(problem) = problem {
            return Err(VerifyError(problem));
        }
        if !sweeping {
            ensure!(objects == self.live_objects(), "{objects} objects found, {} counted", self.live_objects());
        }
        self.roots.verify(&self.memory)?;
        let mut dead_root = None;
        self.roots.for_each(|root| {
            if self.is_dead(root.granule() as usize) {
                dead_root = Some(root);
            }
        });
        ensure!(dead_root.is_none(), "a root holds a dead object: {dead_root:?}");
        ensure!(
            self.heap_bytes() <= self.limit,
            "heap holds {} bytes over its limit {}",
            self.heap_bytes(),
            self.limit
        );
        Ok(())
    }
}
