//! Test support shared by the workload tests.

use gclab_core::{
    AllocError, CollectionKind, ConfigError, Heap, HeapConfig, ObjRef, ObjectMemory, RefError, Root, Stats, Tag,
    VerifyError,
};

/// A heap that runs a full collection before every allocation: any reference left unrooted
/// across an allocation is then freed, and its later use reported as stale (on a reference-
/// counting heap, whatever is unreferenced is freed at once anyway).
pub struct CollectEveryAlloc<H>(pub H);

impl<H: Heap> Heap for CollectEveryAlloc<H> {
    const NAME: &'static str = "collect-every-alloc";

    fn with_config(config: HeapConfig) -> Result<Self, ConfigError> {
        H::with_config(config).map(CollectEveryAlloc)
    }

    fn allocate(&mut self, tag: Tag, slots: usize, bytes: usize) -> Result<ObjRef, AllocError> {
        self.0.collect(CollectionKind::Full);
        self.0.allocate(tag, slots, bytes)
    }

    fn memory(&self) -> &ObjectMemory {
        self.0.memory()
    }

    fn try_store(&mut self, obj: ObjRef, index: usize, value: Option<ObjRef>) -> Result<(), RefError> {
        self.0.try_store(obj, index, value)
    }

    fn try_data_mut(&mut self, obj: ObjRef) -> Result<&mut [u8], RefError> {
        self.0.try_data_mut(obj)
    }

    fn try_push_root(&mut self, obj: Option<ObjRef>) -> Result<(), RefError> {
        self.0.try_push_root(obj)
    }

    fn try_pop_root(&mut self) -> Result<Option<ObjRef>, RefError> {
        self.0.try_pop_root()
    }

    fn try_set_root(&mut self, index: usize, obj: Option<ObjRef>) -> Result<(), RefError> {
        self.0.try_set_root(index, obj)
    }

    fn try_root_at(&self, index: usize) -> Result<Option<ObjRef>, RefError> {
        self.0.try_root_at(index)
    }

    fn root_depth(&self) -> usize {
        self.0.root_depth()
    }

    fn truncate_roots(&mut self, depth: usize) {
        self.0.truncate_roots(depth)
    }

    fn root(&mut self, obj: ObjRef) -> Root {
        self.0.root(obj)
    }

    fn collect(&mut self, kind: CollectionKind) {
        self.0.collect(kind)
    }

    fn stats(&self) -> &Stats {
        self.0.stats()
    }

    fn allocated(&self) -> gclab_core::Allocated {
        self.0.allocated()
    }

    fn live_objects(&self) -> usize {
        self.0.live_objects()
    }

    fn verify(&self) -> Result<(), VerifyError> {
        self.0.verify()
    }
}
