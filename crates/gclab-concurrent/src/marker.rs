//! The collector threads: parallel tri-color marking with work-stealing deques.
//!
//! Grey objects are granules whose mark bit is set and whose slots have not been scanned
//! yet. They sit in three places: the global [`Injector`] (filled only by the mutator: roots
//! at the initial handshake, batches of its barrier buffer), each marker's private stack
//! (what it found while scanning) and its LIFO [`Worker`] deque (the part of that stack it
//! shares, which other markers steal from), and the mutator's barrier buffer (flushed at
//! handshakes and when full).
//!
//! # Termination
//!
//! `busy` counts markers that may hold a grey object: a marker increments it *before* it
//! takes work from anywhere and decrements it only once its own deque is empty and it found
//! nothing to take. Markers push only to their own stacks and deques, never to the
//! injector. So when
//! the mutator, at a handshake, has just flushed its buffer and then sees the injector empty
//! and then `busy == 0` (both read with `SeqCst`), no grey object exists anywhere: the
//! injector could only have been refilled by the mutator itself, and a marker holding an
//! object (taken from the injector or stolen) was counted busy before it took it. Marking is
//! then complete. See docs/concurrent.md for why no new grey object can appear afterwards.
//!
//! # What collector threads touch
//!
//! Only the mark bitmap (atomic read-modify-write), object headers and slots (atomic loads)
//! of objects that are marked, and their own queues. They never write object memory, valid
//! bits or space bookkeeping, and never free, decommit or hand out a cell: so a `&[u8]` the
//! mutator got from `data()` can never change underneath it because of them.

use std::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam::deque::{Injector, Steal, Stealer, Worker};
use crossbeam::utils::{Backoff, CachePadded};
use gclab_core::{prefetch_read, Object, SideBitmap, GRANULE, HEADER_BYTES};
use gclab_space::PrefetchWindow;
use parking_lot::{Condvar, Mutex};

/// The heap's region base, shared with the markers. The markers only dereference it for
/// objects the mutator guarantees stay allocated while marking runs (see [`Shared`]).
struct Base(*mut u8);

// SAFETY: the pointer is only an address of the heap's region, which outlives the marker
// threads (the heap joins them before its memory is dropped); what is read through it is
// read atomically (headers and slots), and the protocol of `Shared` says when.
unsafe impl Send for Base {}
// SAFETY: as above.
unsafe impl Sync for Base {}

struct Control {
    /// Bumped by the mutator whenever it hands markers work.
    wake: u64,
    /// Markers wait before scanning while this is set (a test hook: `hold_markers`).
    held: bool,
    shutdown: bool,
}

/// State shared by the mutator and the marker threads of one heap.
///
/// The protocol that makes the markers' reads sound: a marker reads the header and slots of
/// a granule only after taking it as grey work, and grey work is only ever an object start
/// of the heap whose mark bit is set. The mutator frees no object while any marker may hold
/// work (it sweeps only after marking terminated, and sweeps only unmarked objects), and
/// joins the markers before it drops or unmaps its memory.
pub(crate) struct Shared {
    base: Base,
    /// Granules in the region (every grey granule is below it).
    granules: usize,
    /// The mark bitmap, one bit per granule.
    pub(crate) marks: SideBitmap,
    pub(crate) injector: Injector<u32>,
    stealers: Vec<Stealer<u32>>,
    /// Markers that may hold grey work (see the module documentation).
    busy: AtomicUsize,
    control: Mutex<Control>,
    wake_cv: Condvar,
    /// Markers in (or entering) their wait for a wake-up: [`Shared::wake`] takes the lock
    /// only when there is one.
    sleepers: AtomicUsize,
    idle_lock: Mutex<()>,
    idle_cv: Condvar,
    /// Set when `busy` drops to 0: the mutator's fast paths poll it to run the final handshake.
    pub(crate) quiescent: AtomicBool,
    stop: AtomicBool,
    /// Objects scanned by markers, and marker CPU time (ns), since the heap was made.
    /// `scanned` is added when a marker goes back to sleep; `progress` as it goes (every 32
    /// objects), for the pacer to compare with its schedule: one counter per marker, each
    /// on its own cache line and written only by its marker (a shared counter bounced
    /// between the markers' cores every 32 objects).
    pub(crate) scanned: AtomicU64,
    progress: Vec<CachePadded<AtomicU64>>,
    pub(crate) cpu_ns: AtomicU64,
    /// Grey objects taken from another marker's deque.
    pub(crate) steals: AtomicU64,
}

impl Shared {
    /// Shared state for `markers` marker threads over a region at `base` of `granules`
    /// granules; returns it and the markers' own deques (handed to [`spawn`]).
    pub(crate) fn new(
        base: *mut u8,
        granules: usize,
        marks: SideBitmap,
        markers: usize,
    ) -> (Arc<Shared>, Vec<Worker<u32>>) {
        assert!(marks.len() >= granules, "the mark bitmap ({} bits) must cover the {granules} granules", marks.len());
        let workers: Vec<Worker<u32>> = (0..markers).map(|_| Worker::new_lifo()).collect();
        let stealers = workers.iter().map(Worker::stealer).collect();
        let shared = Shared {
            base: Base(base),
            granules,
            marks,
            injector: Injector::new(),
            stealers,
            busy: AtomicUsize::new(0),
            control: Mutex::new(Control { wake: 0, held: false, shutdown: false }),
            wake_cv: Condvar::new(),
            sleepers: AtomicUsize::new(0),
            idle_lock: Mutex::new(()),
            idle_cv: Condvar::new(),
            quiescent: AtomicBool::new(true),
            stop: AtomicBool::new(false),
            scanned: AtomicU64::new(0),
            progress: (0..markers).map(|_| CachePadded::new(AtomicU64::new(0))).collect(),
            cpu_ns: AtomicU64::new(0),
            steals: AtomicU64::new(0),
        };
        (Arc::new(shared), workers)
    }

    /// Grey work the mutator hands over: `granule` must be an object start of the heap whose
    /// mark bit the caller set, and the object must stay allocated until marking terminates.
    /// Call [`Shared::wake`] after a batch.
    #[inline]
    pub(crate) fn push(&self, granule: u32) {
        debug_assert!((granule as usize) < self.granules);
        self.quiescent.store(false, Ordering::Relaxed);
        self.injector.push(granule);
    }

    /// Wakes the markers to take the work pushed.
    ///
    /// Takes the wake-up lock only when a marker sleeps, or is about to: a mutator that
    /// takes it while a marker holds it waits for that marker, and a marker descheduled
    /// inside it (on 2 busy cores, for milliseconds) made the mutator's pause as long. Awake
    /// markers find the work themselves. This is Dekker's pattern: the mutator pushes, then
    /// (after a `SeqCst` fence) reads `sleepers`; a marker counts itself in `sleepers`, then
    /// (after a `SeqCst` fence) looks for work before it waits. So either the mutator sees
    /// the sleeper and wakes it under the lock, or the marker sees the work and does not
    /// sleep. The loom models in `tests/loom.rs` run both orders; with the marker's look for work
    /// after counting itself removed, they deadlock (a lost wake-up).
    pub(crate) fn wake(&self) {
        fence(Ordering::SeqCst);
        if self.sleepers.load(Ordering::SeqCst) == 0 {
            return;
        }
        let mut control = self.control.lock();
        control.wake = control.wake.wrapping_add(1);
        self.wake_cv.notify_all();
    }

    /// Whether no grey object is left anywhere but possibly in the mutator's own buffer
    /// (which the caller has just flushed). See the module documentation.
    pub(crate) fn terminated(&self) -> bool {
        self.injector.is_empty() && self.busy.load(Ordering::SeqCst) == 0
    }

    /// Blocks the mutator until [`Shared::terminated`] (it checks at least every
    /// millisecond, and at once when a marker goes idle).
    pub(crate) fn wait_terminated(&self) {
        self.set_held(false);
        let mut guard = self.idle_lock.lock();
        while !self.terminated() {
            self.idle_cv.wait_for(&mut guard, Duration::from_millis(1));
        }
    }

    /// Holds the markers before their next scan (`true`) or releases them.
    pub(crate) fn set_held(&self, held: bool) {
        let mut control = self.control.lock();
        if control.held != held {
            control.held = held;
            self.wake_cv.notify_all();
        }
    }

    /// Tells the markers to exit (after the object each is scanning).
    pub(crate) fn shut_down(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let mut control = self.control.lock();
        control.shutdown = true;
        self.wake_cv.notify_all();
    }

    /// Scans the grey object at `granule`: every referent whose mark bit this call sets is
    /// pushed on `stack`. Returns nothing; the caller counts.
    ///
    /// # Safety
    /// `granule` must be grey work (see [`Shared`]): an object start of the heap, marked,
    /// allocated until marking terminates; every non-null slot of it holds an object start.
    #[inline]
    unsafe fn scan(&self, granule: u32, stack: &mut Vec<u32>) {
        // SAFETY: the caller's contract: the granule is an object start inside the region.
        let addr = unsafe { self.base.0.add(granule as usize * GRANULE) };
        // SAFETY: as above; the object stays allocated while marking runs. Its header was
        // written before the object was published to the marker (by the initial handshake or
        // a buffer flush, both of which synchronise through the injector, or by a release
        // store of a slot read below with acquire).
        let object = unsafe { Object::from_addr(addr) };
        let slots = object.slot_count();
        for i in 0..slots {
            // SAFETY: slot `i` of the object, inside it, 8-aligned, accessed only atomically.
            let slot = unsafe { &*addr.add(HEADER_BYTES + i * 8).cast::<AtomicU64>() };
            // Acquire pairs with the mutator's release store: whatever the mutator did before
            // publishing a new object (its header and slots, written non-atomically when it
            // was allocated) is visible here, before this marker may scan it.
            let bits = slot.load(Ordering::Acquire);
            let child = bits as u32 as usize;
            // SAFETY: a non-null slot holds a reference of this heap (every value stored is
            // validated; new objects' slots are zero or moved from validated roots), whose
            // granule is below `granules`, which the bitmap covers (asserted in `new`).
            if bits != 0 && !unsafe { self.marks.test_and_fetch_set_unchecked(child) } {
                stack.push(child as u32);
            }
        }
    }

    /// Takes grey work from the injector or another marker.
    fn find(&self, local: &Worker<u32>) -> Option<u32> {
        loop {
            let mut retry = false;
            match self.injector.steal_batch_and_pop(local) {
                Steal::Success(g) => return Some(g),
                Steal::Retry => retry = true,
                Steal::Empty => {}
            }
            for stealer in &self.stealers {
                match stealer.steal() {
                    Steal::Success(g) => {
                        self.steals.fetch_add(1, Ordering::Relaxed);
                        return Some(g);
                    }
                    Steal::Retry => retry = true,
                    Steal::Empty => {}
                }
            }
            if !retry {
                return None;
            }
        }
    }

    /// Marks until no work is found. Work is kept on a private stack (`stack`, a plain
    /// `Vec`: no fence per push or pop); every 32 objects, if the marker's stealable deque
    /// `local` is empty, the older half of the stack moves there for idle markers to steal
    /// (the oldest entries, nearest the roots, head the largest subgraphs). When both are
    /// empty it takes from the injector and steals. Each object popped passes through a
    /// [`PrefetchWindow`] before it is scanned (its header is prefetched as it enters), and
    /// the window is empty whenever this looks for more work or returns. The caller has
    /// counted itself busy, which covers whatever the stack and the window hold. Returns the
    /// objects scanned.
    fn drain(&self, local: &Worker<u32>, stack: &mut Vec<u32>, progress: &AtomicU64) -> u64 {
        let mut scanned = 0u64;
        let mut window = PrefetchWindow::new();
        loop {
            while let Some(g) = self.next_to_scan(stack, &mut window) {
                // SAFETY: every granule on a stack, in a window, a deque or the injector is
                // grey work (pushed by `scan`, which pushes referents read from slots, or by
                // the mutator, which pushes marked object starts).
                unsafe { self.scan(g, stack) };
                scanned += 1;
                if scanned % 32 == 0 {
                    // Only this marker writes its counter: no read-modify-write needed.
                    progress.store(progress.load(Ordering::Relaxed) + 32, Ordering::Relaxed);
                    if stack.len() > 1 && local.is_empty() {
                        let half = stack.len() / 2;
                        stack.drain(..half).for_each(|g| local.push(g));
                    }
                    if scanned % 4096 == 0 && self.stop.load(Ordering::Relaxed) {
                        return scanned; // shutting down: the grey work left is dropped
                    }
                }
            }
            match local.pop().or_else(|| self.find(local)) {
                Some(g) => stack.push(g),
                None => {
                    progress.store(progress.load(Ordering::Relaxed) + scanned % 32, Ordering::Relaxed);
                    return scanned;
                }
            }
        }
    }

    /// The next grey object to scan, through the prefetch `window`
    /// ([`PrefetchWindow::next_from`]). `None` when the stack and the window are empty.
    #[inline(always)]
    fn next_to_scan(&self, stack: &mut Vec<u32>, window: &mut PrefetchWindow) -> Option<u32> {
        // A hint only (never faults); `wrapping_add` as the address is not dereferenced.
        window.next_from(stack, |g| prefetch_read(self.base.0.wrapping_add(g as usize * GRANULE)))
    }

    /// The mutator helps marking (when it must wait for marking to end: a full collection,
    /// `start_cycle` during a cycle): it marks like a marker until it finds no grey work anywhere, counted
    /// busy while it may hold some, on its own private `stack`, which nobody steals from.
    /// It pushes nothing to the injector, so the termination argument is unchanged.
    /// Returns the objects it scanned.
    pub(crate) fn assist(&self, stack: &mut Vec<u32>) -> u64 {
        self.go_busy();
        let mut scanned = 0;
        let mut window = PrefetchWindow::new();
        loop {
            while let Some(g) = self.next_to_scan(stack, &mut window) {
                // SAFETY: as in `drain`: only grey work is ever on a stack or in a window.
                unsafe { self.scan(g, stack) };
                scanned += 1;
            }
            match self.steal_any() {
                Some(g) => stack.push(g),
                None => break,
            }
        }
        self.go_idle();
        scanned
    }

    /// A mutator **assist**: the mutator marks like a marker, but only a bounded increment:
    /// at most `max_objects` objects and (checked every 16 objects) until `deadline`. Counted
    /// busy meanwhile, on its private `stack`; whatever grey work is left on that stack when
    /// it stops is handed to the injector before it counts itself idle (the mutator is the
    /// injector's only producer, so the termination argument is unchanged), and the caller
    /// wakes the markers if this returns `true` in its second field. Returns the objects
    /// scanned and whether work was handed over.
    ///
    /// The time is checked every 256 units of work (an object and each of its slots count
    /// one), and an object of more than [`ASSIST_MAX_SLOTS`] slots is not scanned but handed
    /// back to the markers with the rest (one object of a million slots would take a
    /// millisecond), so an assist overruns its deadline by at most about 4,400 slot reads.
    pub(crate) fn assist_bounded(&self, stack: &mut Vec<u32>, max_objects: u64, deadline: Instant) -> (u64, bool) {
        self.go_busy();
        let mut scanned = 0;
        let mut deferred = Vec::new();
        let mut window = PrefetchWindow::new();
        let (mut work, mut next_check) = (0, 64);
        while scanned < max_objects {
            let Some(g) = self.next_to_scan(stack, &mut window).or_else(|| self.steal_any()) else { break };
            // SAFETY: as in `drain`: only grey work is ever on a stack, in a window, a deque
            // or the injector, and grey work is an allocated object start.
            let slots = unsafe { self.slots_of(g) };
            if slots > ASSIST_MAX_SLOTS {
                deferred.push(g);
                work += 1;
            } else {
                // SAFETY: as above.
                unsafe { self.scan(g, stack) };
                scanned += 1;
                work += 1 + slots;
            }
            if work >= next_check {
                // The grey objects left on the stack go to the injector one push each when
                // the assist ends, so a deep stack ends it too: that hand-over is part of the
                // pause.
                if stack.len() >= ASSIST_MAX_STACK || Instant::now() >= deadline {
                    break;
                }
                next_check = work + 64;
            }
        }
        let handed = !stack.is_empty() || !window.is_empty() || !deferred.is_empty();
        for g in window.drain().chain(stack.drain(..)).chain(deferred) {
            self.push(g);
        }
        self.go_idle();
        (scanned, handed)
    }

    /// The slot count of the grey object at `granule`.
    ///
    /// # Safety
    /// As [`Shared::scan`].
    #[inline]
    unsafe fn slots_of(&self, granule: u32) -> usize {
        // SAFETY: the caller's contract: an allocated object start inside the region, whose
        // header was written before it became grey work (see `scan`).
        unsafe { Object::from_addr(self.base.0.add(granule as usize * GRANULE)) }.slot_count()
    }

    /// Objects scanned so far by the markers (as of their last update, every 32 objects).
    pub(crate) fn progress(&self) -> u64 {
        self.progress.iter().map(|p| p.load(Ordering::Relaxed)).sum()
    }

    /// Objects scanned so far by each marker.
    pub(crate) fn progress_by_marker(&self) -> Vec<u64> {
        self.progress.iter().map(|p| p.load(Ordering::Relaxed)).collect()
    }

    /// Whether grey work is visible to an assist (in the injector or a marker's deque).
    pub(crate) fn work_visible(&self) -> bool {
        self.has_work()
    }

    /// Takes one grey object from the injector or a marker's deque.
    fn steal_any(&self) -> Option<u32> {
        loop {
            let mut retry = false;
            match self.injector.steal() {
                Steal::Success(g) => return Some(g),
                Steal::Retry => retry = true,
                Steal::Empty => {}
            }
            for stealer in &self.stealers {
                match stealer.steal() {
                    Steal::Success(g) => return Some(g),
                    Steal::Retry => retry = true,
                    Steal::Empty => {}
                }
            }
            if !retry {
                return None;
            }
        }
    }

    /// Counts the caller busy. The first one busy clears `quiescent`, so that the mutator
    /// does not try a final handshake at every allocation while a marker works (it did:
    /// 4.4 million failed tries in one run of binary-trees 18). The flag is still set again
    /// by the last one to go idle: that store comes after every clearing store in the
    /// happens-before order (each clearing thread's later `fetch_sub` is in the release
    /// sequence the last `fetch_sub` reads from), so a quiescent heap is never missed.
    fn go_busy(&self) {
        if self.busy.fetch_add(1, Ordering::SeqCst) == 0 {
            self.quiescent.store(false, Ordering::Relaxed);
        }
    }

    /// Counts the caller idle. The last one idle sets `quiescent` (the mutator's cue to try
    /// the final handshake) unless the injector still holds work, as it does after an assist
    /// that handed its leftovers over: a marker will take them, and set the flag when it is
    /// done.
    fn go_idle(&self) {
        if self.busy.fetch_sub(1, Ordering::SeqCst) == 1 && self.injector.is_empty() {
            self.quiescent.store(true, Ordering::Release);
            let _guard = self.idle_lock.lock();
            self.idle_cv.notify_all();
        }
    }

    fn has_work(&self) -> bool {
        !self.injector.is_empty() || self.stealers.iter().any(|s| !s.is_empty())
    }
}

/// The most slots of an object a mutator assist scans; larger objects are left to the
/// markers.
pub(crate) const ASSIST_MAX_SLOTS: usize = 4096;

/// The deepest an assist lets its stack grow before it stops: what is left on it is handed to
/// the injector one push at a time, inside the pause.
const ASSIST_MAX_STACK: usize = 256;

/// Starts one marker thread per deque.
pub(crate) fn spawn(shared: &Arc<Shared>, workers: Vec<Worker<u32>>) -> Vec<JoinHandle<()>> {
    workers
        .into_iter()
        .enumerate()
        .map(|(i, local)| {
            let shared = Arc::clone(shared);
            std::thread::Builder::new()
                .name(format!("gclab-marker-{i}"))
                .spawn(move || marker_loop(&shared, &local, i))
                .expect("spawning a marker thread")
        })
        .collect()
}

fn marker_loop(shared: &Shared, local: &Worker<u32>, index: usize) {
    let progress = &shared.progress[index];
    background_priority();
    let mut seen = 0;
    let mut stack = Vec::new();
    loop {
        let cpu = thread_cpu_ns();
        linger(shared);
        {
            let mut control = shared.control.lock();
            // Counted before looking for work (see `Shared::wake`): from here on, work
            // handed over either is seen below or comes with a wake-up.
            shared.sleepers.fetch_add(1, Ordering::SeqCst);
            fence(Ordering::SeqCst);
            while !control.shutdown && (control.held || (control.wake == seen && !shared.has_work())) {
                shared.wake_cv.wait(&mut control);
            }
            shared.sleepers.fetch_sub(1, Ordering::SeqCst);
            if control.shutdown {
                return;
            }
            seen = control.wake;
        }
        let mut scanned = 0;
        // Mark, and keep stealing while other markers are busy (they may have work to share).
        'work: loop {
            shared.go_busy();
            scanned += shared.drain(local, &mut stack, progress);
            shared.go_idle();
            let backoff = Backoff::new();
            loop {
                if shared.stop.load(Ordering::Relaxed) {
                    break 'work;
                }
                if shared.has_work() {
                    continue 'work;
                }
                if shared.busy.load(Ordering::SeqCst) == 0 {
                    break 'work;
                }
                if backoff.is_completed() {
                    std::thread::yield_now();
                } else {
                    backoff.snooze();
                }
            }
        }
        shared.scanned.fetch_add(scanned, Ordering::Relaxed);
        shared.cpu_ns.fetch_add(thread_cpu_ns().saturating_sub(cpu), Ordering::Relaxed);
    }
}

/// How long a marker out of work keeps looking for more before it sleeps on the condition
/// variable, and how often it looks meanwhile.
const LINGER: Duration = Duration::from_millis(if cfg!(miri) { 0 } else { 20 });
const LINGER_POLL: Duration = Duration::from_micros(50);

/// A marker out of work polls for more (every [`LINGER_POLL`], sleeping between looks) for
/// up to [`LINGER`] before it sleeps until woken. While it lingers it is not counted among
/// the `sleepers`, so the mutator hands it work with a plain push and no wake-up: no system
/// call, no lock, in a pause. A wake-up from a pause cost the mutator up to 3.5 ms on a
/// 2-core VM (the system ran something else on its core meanwhile), in one pause of ten or
/// so; lingering covers the short gaps of a marking (the mutator's barrier buffer filling,
/// an assist's leftovers) and, when cycles follow each other closely, the gap before the
/// next initial handshake. Its cost is a timer wake-up every 50 µs for at most 20 ms after
/// each marking, counted in the markers' CPU time.
fn linger(shared: &Shared) {
    let until = Instant::now() + LINGER;
    while !shared.has_work() && !shared.stop.load(Ordering::Relaxed) && Instant::now() < until {
        std::thread::sleep(LINGER_POLL);
    }
}

/// Marks the calling thread as background work where the system allows (Linux's
/// `SCHED_BATCH`: the scheduler does not let it preempt a running thread when it wakes up).
/// Waking the markers at the initial handshake then does not hand the mutator's core to a
/// marker in the middle of the pause, on a machine whose cores are all busy.
fn background_priority() {
    #[cfg(all(target_os = "linux", not(miri)))]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: `param` is a valid sched_param; pid 0 is the calling thread. A refusal
        // leaves the thread as it was, which is only slower, never wrong.
        unsafe { libc::sched_setscheduler(0, libc::SCHED_BATCH, &param) };
    }
}

/// CPU time of the calling thread, in nanoseconds (0 where unavailable).
pub(crate) fn thread_cpu_ns() -> u64 {
    #[cfg(all(unix, not(miri)))]
    {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid, writable timespec.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0 {
            return ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64;
        }
    }
    0
}
