//! A self-test of the suite: a deliberately simple, obviously correct backend (bump allocation
//! with exact-size free lists, an iterative full mark and a sweep over a list of objects)
//! must pass everything, so a failure on a real backend is the backend's, not the suite's.

use std::collections::{HashMap, HashSet};

use gclab_core::{
    object_size, AllocError, CollectionKind, ConfigError, Heap, HeapConfig, ObjRef, ObjectMemory, RefError, Root,
    Roots, Stats, Tag, Trigger, VerifyError, GRANULE,
};

/// The toy backend.
pub struct ToyHeap {
    memory: ObjectMemory,
    top: usize,
    end: usize,
    objects: Vec<usize>,
    free: HashMap<usize, Vec<usize>>,
    roots: Roots,
    trigger: Trigger,
    stats: Stats,
    used: usize,
    limit: usize,
    marked: HashSet<usize>,
    work: Vec<usize>,
}

impl ToyHeap {
    fn size_of(&self, granule: usize) -> usize {
        // SAFETY: only called on granules in `objects`, which hold live objects.
        unsafe { self.memory.object(granule) }.size()
    }

    fn place(&mut self, size: usize) -> Option<usize> {
        let granules = size / GRANULE;
        if let Some(g) = self.free.get_mut(&granules).and_then(Vec::pop) {
            return Some(g);
        }
        if self.top + granules > self.end {
            return None;
        }
        self.top += granules;
        Some(self.top - granules)
    }
}

impl Heap for ToyHeap {
    const NAME: &'static str = "toy";

    fn with_config(config: HeapConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let reserve = 2 * config.heap_limit;
        let mut memory = ObjectMemory::new(reserve)?;
        let start = memory.carve(reserve);
        // The toy takes its whole range at once (the kernel still commits pages as touched).
        assert!(memory.commit(start, reserve), "the system refused to make the toy heap accessible");
        Ok(ToyHeap {
            memory,
            top: start / GRANULE + 1,
            end: (start + reserve) / GRANULE,
            objects: Vec::new(),
            free: HashMap::new(),
            roots: Roots::new(false),
            trigger: Trigger::new(&config),
            stats: Stats::default(),
            used: 0,
            limit: config.heap_limit,
            marked: HashSet::new(),
            work: Vec::new(),
        })
    }

    fn allocate(&mut self, tag: Tag, slots: usize, bytes: usize) -> Result<ObjRef, AllocError> {
        let size = object_size(slots, bytes).ok_or_else(|| AllocError::too_large(slots, bytes, self.limit))?;
        let exhausted = |heap: &ToyHeap| AllocError::heap_exhausted(size, heap.used, heap.limit);
        if self.trigger.due() || self.used + size > self.limit {
            self.collect(CollectionKind::Full);
        }
        if self.used + size > self.limit {
            return Err(exhausted(self));
        }
        let granule = self.place(size).ok_or_else(|| exhausted(self))?;
        // SAFETY: `place` hands out granules in the carved range that hold no object.
        let obj = unsafe { self.memory.init_object(granule, tag, slots as u32, bytes as u32, false, false) };
        self.objects.push(granule);
        self.used += size;
        self.trigger.note_allocated(size);
        self.stats.note_allocation(size);
        Ok(obj)
    }

    fn memory(&self) -> &ObjectMemory {
        &self.memory
    }

    fn try_store(&mut self, obj: ObjRef, index: usize, value: Option<ObjRef>) -> Result<(), RefError> {
        self.memory.check_value(value)?;
        let (_, slot) = self.memory.writable_slot(obj, index)?;
        // SAFETY: `value` was validated, the object is not immutable; this backend has no barrier.
        unsafe { slot.set(value) };
        Ok(())
    }

    fn try_data_mut(&mut self, obj: ObjRef) -> Result<&mut [u8], RefError> {
        self.memory.data_mut(obj)
    }

    fn try_push_root(&mut self, obj: Option<ObjRef>) -> Result<(), RefError> {
        self.roots.push(&self.memory, obj)
    }

    fn try_pop_root(&mut self) -> Result<Option<ObjRef>, RefError> {
        self.roots.stack.pop()
    }

    fn try_set_root(&mut self, index: usize, obj: Option<ObjRef>) -> Result<(), RefError> {
        self.roots.set(&self.memory, index, obj).map(|_| ())
    }

    fn try_root_at(&self, index: usize) -> Result<Option<ObjRef>, RefError> {
        self.roots.stack.get(index)
    }

    fn root_depth(&self) -> usize {
        self.roots.stack.len()
    }

    fn truncate_roots(&mut self, depth: usize) {
        self.roots.stack.truncate_with(depth, |_| {});
    }

    fn root(&mut self, obj: ObjRef) -> Root {
        self.roots.handle(&self.memory, obj)
    }

    fn collect(&mut self, kind: CollectionKind) {
        let timer = self.stats.begin_pause(self.used);
        let (mut marked, mut stack) = (std::mem::take(&mut self.marked), std::mem::take(&mut self.work));
        marked.clear();
        self.roots.for_each(|r| stack.push(r.granule() as usize));
        while let Some(g) = stack.pop() {
            if marked.insert(g) {
                // SAFETY: roots and slots only hold live objects.
                unsafe { self.memory.object(g) }.for_each_ref(|r| stack.push(r.granule() as usize));
            }
        }
        let mut i = 0;
        while i < self.objects.len() {
            let g = self.objects[i];
            if marked.contains(&g) {
                i += 1;
            } else {
                let size = self.size_of(g);
                // SAFETY: unmarked, so nothing reachable refers to it.
                unsafe { self.memory.free_object(g) };
                self.free.entry(size / GRANULE).or_default().push(g);
                self.used -= size;
                self.objects.swap_remove(i);
            }
        }
        (self.marked, self.work) = (marked, stack);
        self.trigger.collected(self.used);
        self.stats.end_pause(timer, kind, self.used);
    }

    fn stats(&self) -> &Stats {
        &self.stats
    }

    fn live_objects(&self) -> usize {
        self.objects.len()
    }

    fn verify(&self) -> Result<(), VerifyError> {
        let mut used = 0;
        for &g in &self.objects {
            gclab_core::ensure!(self.memory.is_object(g), "granule {g} has no valid bit");
            // SAFETY: checked just above.
            let object = unsafe { self.memory.object(g) };
            used += object.size();
            let mut bad = None;
            object.for_each_ref(|r| {
                if self.memory.resolve(r).is_err() {
                    bad = Some(r);
                }
            });
            gclab_core::ensure!(bad.is_none(), "granule {g} points to dead {bad:?}");
        }
        gclab_core::ensure!(used == self.used, "used {} != {used}", self.used);
        Ok(())
    }
}

gclab_conformance::conformance_suite!(toy, ToyHeap);
gclab_conformance::safety_suite!(toy_safety, ToyHeap);

/// A shrunk program as a failing property prints it, replayed as a regression test.
#[test]
fn replayed_program() {
    use gclab_conformance::Op::*;
    let program = vec![
        AllocGarbage { count: 2, slots: 2, bytes: 1, link: 0 },
        Alloc { tag: 0, slots: 2, bytes: 1 },
        StoreSelf { root: 0, slot: 1 },
        CollectFull,
    ];
    let config = gclab_conformance::stress_config(gclab_conformance::small_config());
    let report = gclab_conformance::run_program::<ToyHeap>(config, &program).unwrap();
    assert_eq!((report.steps, report.explicit_collections), (4, 1));
    assert!(report.automatic_collections > 0);
}
