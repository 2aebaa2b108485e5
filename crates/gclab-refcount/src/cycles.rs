//! The cycle detector: CPython's generational trial deletion, and the gc-module API.

use std::time::{Duration, Instant};

use gclab_core::{CollectionKind, Heap, ObjRef, ObjectMemory};

use crate::generations::List;
use crate::generations::LOW_MASK;
use crate::heap::COUNT_MASK;
use crate::RefcountHeap;

/// When a collection callback is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GcPhase {
    /// Before the collection touches anything.
    Start,
    /// After it has freed its garbage.
    Stop,
}

/// What a callback is told (CPython's `info` dict).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GcInfo {
    /// The generation collected (0, 1 or 2).
    pub generation: usize,
    /// Containers found unreachable and freed (0 at `Start`).
    pub collected: usize,
    /// Containers found unreachable but kept (always 0: there are no finalizers yet).
    pub uncollectable: usize,
    /// Containers in the collected generations at `Start`.
    pub examined: usize,
    /// How long the collection took (zero at `Start`).
    pub duration: Duration,
}

/// Figures for one generation (CPython's `gc.get_stats()`, plus time).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GenerationStats {
    /// Collections of this generation.
    pub collections: u64,
    /// Containers they freed.
    pub collected: u64,
    /// Containers found unreachable but kept (always 0).
    pub uncollectable: u64,
    /// Total time spent in them.
    pub time: Duration,
}

type Callback = Box<dyn FnMut(GcPhase, &GcInfo)>;

/// The cycle detector's state: thresholds, counts, per-generation figures, callbacks.
pub(crate) struct GcState {
    thresholds: [u32; 3],
    /// `count[0]`: tracked allocations minus deallocations since generation 0 was last
    /// collected; `count[g]`: collections of generation `g - 1` since generation `g` was.
    count: [u32; 3],
    enabled: bool,
    /// `count[0]` above this makes a collection due: the first threshold, or `u32::MAX` when
    /// automatic collection is off (one compare per allocation).
    trigger: u32,
    generation_stats: [GenerationStats; 3],
    callbacks: Vec<Callback>,
}

impl GcState {
    pub fn new(thresholds: [u32; 3], enabled: bool) -> Self {
        let mut gc = GcState {
            thresholds,
            count: [0; 3],
            enabled,
            trigger: u32::MAX,
            generation_stats: Default::default(),
            callbacks: Vec::new(),
        };
        gc.update_trigger();
        gc
    }

    #[inline]
    pub fn note_tracked(&mut self) {
        self.count[0] = self.count[0].saturating_add(1);
    }

    /// Counts `n` tracked containers freed (the count stays at or above zero, as CPython's).
    #[inline]
    pub fn note_untracked(&mut self, n: u32) {
        self.count[0] = self.count[0].saturating_sub(n);
    }

    /// Whether an automatic collection is due (checked when a container is allocated).
    #[inline]
    pub fn due(&self) -> bool {
        self.count[0] > self.trigger
    }

    fn update_trigger(&mut self) {
        self.trigger = if self.enabled && self.thresholds[0] != 0 { self.thresholds[0] } else { u32::MAX };
    }
}

impl RefcountHeap {
    /// Runs the collection the thresholds call for, as CPython's `collect_generations`: the
    /// oldest generation whose count exceeds its threshold, except that generation 2 runs
    /// only when the containers promoted into it since the last full collection exceed 25%
    /// of those that survived it.
    pub(crate) fn collect_generations(&mut self) {
        for generation in (0..3).rev() {
            if self.gc.count[generation] > self.gc.thresholds[generation] {
                let pending = self.gens.len(List::OldPending);
                let total = self.gens.len(List::Old);
                if generation == 2 && pending <= total / 4 {
                    self.stats.bump("full_collections_skipped", 1);
                    continue;
                }
                self.collect_generation(generation);
                return;
            }
        }
    }

    /// Collects `generation` (0, 1 or 2) and every younger one, as CPython's `gc.collect`:
    /// returns the number of unreachable containers found and freed.
    ///
    /// Trial deletion: the references from one member of the set to another are counted in
    /// each member's side entry; a member whose reference count is higher is referenced from
    /// outside the set (other generations, roots, handles) and is reachable, as is everything
    /// it reaches within the set; the rest is cyclic garbage. (CPython copies each count and
    /// subtracts the internal references; comparing the two is the same test.) Survivors move
    /// one generation up, in their list order. Only side entries are written while the set is
    /// analysed — never a real count or an object header — so a panic cannot corrupt them.
    /// A member with 2^29 - 1 or more internal references is treated as reachable.
    ///
    /// Panics if `generation` is above 2.
    pub fn collect_generation(&mut self, generation: usize) -> usize {
        assert!(generation <= 2, "generation {generation} out of range: the cycle detector has generations 0, 1 and 2");
        self.safepoint();
        let members: &[List] = match generation {
            0 => &[List::Young],
            1 => &[List::Young, List::Middle],
            _ => &[List::Young, List::Middle, List::OldPending, List::Old],
        };
        let examined = members.iter().map(|&l| self.gens.len(l)).sum();
        let mut info = GcInfo { generation, collected: 0, uncollectable: 0, examined, duration: Duration::ZERO };
        for callback in &mut self.gc.callbacks {
            callback(GcPhase::Start, &info);
        }
        let started = Instant::now();
        let kind = if generation == 2 { CollectionKind::Full } else { CollectionKind::Minor };
        let timer = self.stats.begin_pause(self.live_bytes());

        // The set. Each member's side entry counts the references to it from other members;
        // a member with more references than that is referenced from outside the set (other
        // generations, roots, handles). Only side entries are written.
        let mut set: Vec<u32> = Vec::with_capacity(examined);
        for &list in members {
            self.gens.drain_into_set(list, &mut set);
        }
        for (i, &g) in set.iter().enumerate() {
            // The set is scanned in order: fetch headers ahead (old generations are cold).
            if let Some(&ahead) = set.get(i + PREFETCH_DISTANCE) {
                self.memory.prefetch(ahead as usize);
            }
            for_each_referent(&self.memory, g, |r| self.gens.count_internal(r));
        }
        // Reachable: referenced from outside, or from something reachable. The newest
        // members first: a container is usually tracked after what it refers to (built
        // bottom up), so tracing from it marks those before their turn, which then costs a
        // side-entry read instead of a header read.
        let mut work: Vec<u32> = Vec::new();
        for &g in set.iter().rev() {
            let Some(internal) = self.gens.unreached_internal(g) else { continue };
            // SAFETY: set members are live containers.
            let count = unsafe { self.memory.object(g as usize) }.meta() & COUNT_MASK;
            if count <= internal && internal != LOW_MASK {
                continue;
            }
            self.gens.set_reached(g);
            work.push(g);
            while let Some(g) = work.pop() {
                for_each_referent(&self.memory, g, |r| {
                    if self.gens.is_unreached(r) {
                        self.gens.set_reached(r);
                        work.push(r);
                    }
                });
            }
        }
        // Survivors move up, in their order on the lists (allocation order, mostly, which
        // the next collection's scans follow); what was not reached is garbage.
        let destination = match generation {
            0 => List::Middle,
            1 => List::OldPending,
            _ => List::Old,
        };
        let mut garbage = Vec::new();
        for &g in &set {
            if self.gens.is_reached(g) {
                self.gens.push(g, destination);
            } else {
                garbage.push(g);
            }
        }
        drop(set);
        // Break the cycles: release every reference garbage holds to the outside (which may
        // free more by count), then free the garbage itself. Garbage is still `Collecting`.
        for &g in &garbage {
            // SAFETY: garbage containers are live until freed below.
            let object = unsafe { self.memory.object(g as usize) };
            for i in 0..object.slot_count() {
                // SAFETY: `i` is below the slot count.
                let slot = unsafe { object.slot_unchecked(i) };
                if let Some(target) = slot.get() {
                    // SAFETY: clearing a slot of an object about to be freed.
                    unsafe { slot.set(None) };
                    if !self.gens.is_unreached(target.granule()) {
                        crate::heap::decrement(&self.memory, &mut self.doomed, target.granule() as usize);
                    }
                }
            }
        }
        self.free_doomed_in_pause();
        for &g in &garbage {
            self.gens.forget_garbage(g);
            // SAFETY: garbage is unreachable: nothing outside refers to it, and its own slots
            // were cleared above.
            unsafe { self.free_object(g as usize, false) };
        }
        if generation == 2 {
            // Also closes the open allocation runs, which pin their pools.
            self.flush_cell_cache();
        }
        self.release_spare_arenas();
        if generation == 2 && self.pools.free_pool_bytes() > self.pools.committed_bytes() / 4 {
            // A few survivors pin their arenas (CPython keeps such memory for good): return
            // the free pools inside them.
            let decommitted = self.pools.decommit_free_pools(&self.memory);
            self.stats.bump("pools_decommitted", decommitted as u64);
        }

        let gc = &mut self.gc;
        gc.count[..=generation].iter_mut().for_each(|c| *c = 0);
        if generation < 2 {
            gc.count[generation + 1] += 1;
        }
        info.collected = garbage.len();
        info.duration = started.elapsed();
        let figures = &mut gc.generation_stats[generation];
        figures.collections += 1;
        figures.collected += garbage.len() as u64;
        figures.time += info.duration;
        self.stats.bump("cycles_found", garbage.len() as u64);
        self.publish_freed();
        self.stats.live_objects_after_gc = self.live_objects() as u64;
        self.stats.live_bytes_after_gc = self.live_bytes() as u64;
        self.stats.set_heap_bytes(self.heap_bytes());
        self.stats.end_pause(timer, kind, self.live_bytes());
        for callback in &mut self.gc.callbacks {
            callback(GcPhase::Stop, &info);
        }
        garbage.len()
    }

    /// The generation counts (CPython's `gc.get_count()`).
    pub fn count(&self) -> [u32; 3] {
        self.gc.count
    }

    /// The thresholds (`gc.get_threshold()`).
    pub fn thresholds(&self) -> [u32; 3] {
        self.gc.thresholds
    }

    /// Sets the thresholds (`gc.set_threshold()`); a first threshold of 0 disables automatic
    /// collection.
    pub fn set_thresholds(&mut self, thresholds: [u32; 3]) {
        self.gc.thresholds = thresholds;
        self.gc.update_trigger();
    }

    /// Turns automatic collection on (`gc.enable()`).
    pub fn enable(&mut self) {
        self.gc.enabled = true;
        self.gc.update_trigger();
    }

    /// Turns automatic collection off (`gc.disable()`); counting still frees acyclic garbage.
    pub fn disable(&mut self) {
        self.gc.enabled = false;
        self.gc.update_trigger();
    }

    /// Whether automatic collection is on (`gc.isenabled()`).
    pub fn is_enabled(&self) -> bool {
        self.gc.enabled
    }

    /// Moves every tracked container to the permanent generation, which no collection scans
    /// (`gc.freeze()`): for a pre-fork server, nothing it holds is touched again.
    ///
    /// Reference counting still frees a frozen object whose count reaches zero, but a frozen
    /// cycle that becomes garbage stays allocated until [`RefcountHeap::unfreeze`] and the next
    /// full collection, so `live_objects()` may then exceed the reachable objects (the
    /// `Heap::live_objects` contract says so).
    pub fn freeze(&mut self) {
        for list in [List::Young, List::Middle, List::OldPending, List::Old] {
            self.gens.move_all(list, List::Frozen);
        }
        self.gc.count[0] = 0;
    }

    /// Moves the permanent generation back into the oldest (`gc.unfreeze()`).
    pub fn unfreeze(&mut self) {
        self.gens.move_all(List::Frozen, List::Old);
    }

    /// Containers in the permanent generation (`gc.get_freeze_count()`).
    pub fn frozen_count(&self) -> usize {
        self.gens.len(List::Frozen)
    }

    /// Tracked containers in generations 0, 1 and 2.
    pub fn generation_sizes(&self) -> [usize; 3] {
        let g = &self.gens;
        [g.len(List::Young), g.len(List::Middle), g.len(List::OldPending) + g.len(List::Old)]
    }

    /// Whether the cycle detector tracks `obj` (`gc.is_tracked()`): containers that have held
    /// a reference (a container whose slots were always null cannot be in a cycle, so it is
    /// tracked only from its first non-null store — as CPython untracks tuples and dicts that
    /// hold no containers).
    #[track_caller]
    pub fn is_tracked(&self, obj: ObjRef) -> bool {
        self.memory.resolve(obj).unwrap_or_else(|e| panic!("{e}"));
        self.gens.entry(obj.granule() as usize).is_some()
    }

    /// Per-generation figures (`gc.get_stats()`).
    pub fn generation_stats(&self) -> [GenerationStats; 3] {
        self.gc.generation_stats
    }

    /// Registers a callback called at the start and end of every collection (`gc.callbacks`).
    pub fn add_callback(&mut self, callback: impl FnMut(GcPhase, &GcInfo) + 'static) {
        self.gc.callbacks.push(Box::new(callback));
    }

    /// The objects `obj` refers to (`gc.get_referents()`).
    #[track_caller]
    pub fn referents(&self, obj: ObjRef) -> Vec<ObjRef> {
        let object = self.memory.resolve(obj).unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        object.for_each_ref(|r| out.push(r));
        out
    }

    /// The tracked containers that refer to `obj` (`gc.get_referrers()`): a scan of every
    /// generation, linear in the containers.
    #[track_caller]
    pub fn referrers(&self, obj: ObjRef) -> Vec<ObjRef> {
        self.memory.resolve(obj).unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        for list in [List::Young, List::Middle, List::OldPending, List::Old, List::Frozen] {
            self.gens.for_each(list, |g| {
                // SAFETY: tracked granules are live containers.
                let object = unsafe { self.memory.object(g as usize) };
                let mut refers = false;
                object.for_each_ref(|r| refers |= r.granule() == obj.granule());
                if refers {
                    out.push(ObjRef::new(self.memory.heap_id(), object.seq(), g));
                }
            });
        }
        out
    }
}

/// How many members ahead of the scan their headers are prefetched.
const PREFETCH_DISTANCE: usize = 16;

/// Calls `f` with the granule of every referent of the container at `granule`.
#[inline]
fn for_each_referent(memory: &ObjectMemory, granule: u32, mut f: impl FnMut(u32)) {
    // SAFETY: set members are live containers.
    let object = unsafe { memory.object(granule as usize) };
    for i in 0..object.slot_count() {
        // SAFETY: `i` is below the slot count.
        let bits = unsafe { object.slot_unchecked(i) }.bits();
        if bits != 0 {
            f(bits as u32);
        }
    }
}
