//! The reference model: the object graph a heap must behave like, in plain Rust.
//!
//! Objects are never freed in the model; an object is "live" when it is reachable from the
//! root stack or a handle. Object ids are indices into [`Model::objects`], assigned in
//! allocation order.

use crate::program::{Op, Step};

/// One object of the model: what a heap object holds, with slots naming model object ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelObject {
    /// The object's tag.
    pub tag: u16,
    /// The reference slots: `None` is null, `Some(id)` names a model object.
    pub slots: Vec<Option<usize>>,
    /// The data bytes (zeroed at allocation, like a heap object's).
    pub data: Vec<u8>,
    /// Whether the slots are immutable (no store may target them).
    pub immutable: bool,
}

/// The reference model of a heap seen by one mutator: every object ever allocated, the root
/// stack and the RAII handles.
#[derive(Clone, Debug, Default)]
pub struct Model {
    /// Every object ever allocated; the index is the object's id.
    pub objects: Vec<ModelObject>,
    /// The root stack, bottom first.
    pub roots: Vec<Option<usize>>,
    /// The objects held by RAII handles, in creation order (a dropped handle is removed).
    pub handles: Vec<usize>,
}

impl Model {
    /// An empty model.
    pub fn new() -> Self {
        Model::default()
    }

    /// The object id at root-stack `index`, if the entry is non-null.
    fn root_object(&self, index: usize) -> Option<usize> {
        self.roots.get(index).copied().flatten()
    }

    /// Picks the root-stack entry `raw` names (modulo the depth) if it holds an object with at
    /// least one slot, and the slot `slot` names (modulo the slot count).
    fn slot_target(&self, raw: usize, slot: usize) -> Option<(usize, usize)> {
        let root = raw.checked_rem(self.roots.len())?;
        let count = self.objects[self.root_object(root)?].slots.len();
        Some((root, slot.checked_rem(count)?))
    }

    /// [`Model::slot_target`] for a store: `None` also when the object is immutable.
    fn store_target(&self, raw: usize, slot: usize) -> Option<(usize, usize)> {
        let (root, slot) = self.slot_target(raw, slot)?;
        (!self.objects[self.expect_root(root)].immutable).then_some((root, slot))
    }

    /// Resolves a generated [`Op`] against the current state: indices are reduced modulo the
    /// current lengths, and an op that does not apply (an empty stack, a null entry, an
    /// object without slots or data) becomes `None`, a no-op.
    pub fn resolve(&self, op: &Op) -> Option<Step> {
        let depth = self.roots.len();
        let handles = self.handles.len();
        let step = match *op {
            Op::Alloc { tag, slots, bytes } => Step::Alloc { tag, slots, bytes },
            Op::AllocFromRoots { tag, slots, bytes, take } => {
                Step::AllocFromRoots { tag, slots, bytes, take: take % (slots.min(depth) + 1) }
            }
            Op::AllocImmutable { tag, slots, bytes, take } => {
                Step::AllocImmutable { tag, slots, bytes, take: take % (slots.min(depth) + 1) }
            }
            Op::AllocInto { root, slot, tag, slots, bytes } => {
                let (root, slot) = self.store_target(root, slot)?;
                Step::AllocInto { root, slot, tag, slots, bytes }
            }
            Op::AllocGarbage { count, slots, bytes, link } => {
                Step::AllocGarbage { count, slots, bytes, link: link.checked_rem(depth) }
            }
            Op::Store { root, slot, value } => {
                let (root, slot) = self.store_target(root, slot)?;
                Step::Store { root, slot, value: Some(value % depth) }
            }
            Op::StoreSelf { root, slot } => {
                let (root, slot) = self.store_target(root, slot)?;
                Step::Store { root, slot, value: Some(root) }
            }
            Op::StoreNull { root, slot } => {
                let (root, slot) = self.store_target(root, slot)?;
                Step::Store { root, slot, value: None }
            }
            Op::Load { root, slot } => {
                let (root, slot) = self.slot_target(root, slot)?;
                Step::Load { root, slot }
            }
            Op::Dup { root } => Step::Dup { root: root.checked_rem(depth)? },
            Op::PushNull => Step::PushNull,
            Op::Pop => {
                if depth == 0 {
                    return None;
                }
                Step::Pop
            }
            Op::SetRoot { index, from } => Step::SetRoot { index: index.checked_rem(depth)?, from: Some(from % depth) },
            Op::ClearRoot { index } => Step::SetRoot { index: index.checked_rem(depth)?, from: None },
            Op::Truncate { depth: keep } => Step::Truncate { depth: keep % (depth + 1) },
            Op::WriteData { root, offset, value } => {
                let root = root.checked_rem(depth)?;
                let len = self.objects[self.root_object(root)?].data.len();
                Step::WriteData { root, offset: offset.checked_rem(len)?, value }
            }
            Op::CreateHandle { root } => {
                let root = root.checked_rem(depth)?;
                self.root_object(root)?;
                Step::CreateHandle { root }
            }
            Op::DropHandle { handle } => Step::DropHandle { handle: handle.checked_rem(handles)? },
            Op::LoadHandle { handle } => Step::LoadHandle { handle: handle.checked_rem(handles)? },
            Op::CollectFull => Step::CollectFull,
            Op::CollectMinor => Step::CollectMinor,
        };
        Some(step)
    }

    fn new_object(&mut self, tag: u16, slots: usize, bytes: usize) -> usize {
        self.objects.push(ModelObject { tag, slots: vec![None; slots], data: vec![0; bytes], immutable: false });
        self.objects.len() - 1
    }

    fn expect_root(&self, index: usize) -> usize {
        self.root_object(index).expect("resolved steps name non-null root entries")
    }

    /// Applies a resolved step (from [`Model::resolve`] on this state).
    pub fn apply(&mut self, step: &Step) {
        match *step {
            Step::Alloc { tag, slots, bytes } => {
                let id = self.new_object(tag, slots, bytes);
                self.roots.push(Some(id));
            }
            Step::AllocFromRoots { tag, slots, bytes, take } | Step::AllocImmutable { tag, slots, bytes, take } => {
                let id = self.new_object(tag, slots, bytes);
                self.objects[id].immutable = matches!(step, Step::AllocImmutable { .. });
                let base = self.roots.len() - take;
                for (i, value) in self.roots.drain(base..).enumerate() {
                    self.objects[id].slots[i] = value;
                }
                self.roots.push(Some(id));
            }
            Step::AllocInto { root, slot, tag, slots, bytes } => {
                let target = self.expect_root(root);
                let id = self.new_object(tag, slots, bytes);
                self.objects[target].slots[slot] = Some(id);
            }
            Step::Store { root, slot, value } => {
                let target = self.expect_root(root);
                let value = value.and_then(|i| self.roots[i]);
                self.objects[target].slots[slot] = value;
            }
            Step::AllocGarbage { .. } => {}
            Step::Load { root, slot } => {
                let value = self.objects[self.expect_root(root)].slots[slot];
                self.roots.push(value);
            }
            Step::Dup { root } => self.roots.push(self.roots[root]),
            Step::PushNull => self.roots.push(None),
            Step::Pop => {
                self.roots.pop();
            }
            Step::SetRoot { index, from } => {
                self.roots[index] = from.and_then(|i| self.roots[i]);
            }
            Step::Truncate { depth } => self.roots.truncate(depth),
            Step::WriteData { root, offset, value } => {
                let target = self.expect_root(root);
                self.objects[target].data[offset] = value;
            }
            Step::CreateHandle { root } => {
                let target = self.expect_root(root);
                self.handles.push(target);
            }
            Step::DropHandle { handle } => {
                self.handles.remove(handle);
            }
            Step::LoadHandle { handle } => self.roots.push(Some(self.handles[handle])),
            Step::CollectFull | Step::CollectMinor => {}
        }
    }

    /// Every root: the non-null root-stack entries, bottom first, then the handles.
    pub fn root_ids(&self) -> impl Iterator<Item = usize> + '_ {
        self.roots.iter().flatten().copied().chain(self.handles.iter().copied())
    }

    /// Which objects are reachable from the roots, indexed by id (an iterative search).
    pub fn reachable(&self) -> Vec<bool> {
        let mut seen = vec![false; self.objects.len()];
        let mut stack: Vec<usize> = self.root_ids().collect();
        while let Some(id) = stack.pop() {
            if std::mem::replace(&mut seen[id], true) {
                continue;
            }
            stack.extend(self.objects[id].slots.iter().flatten().filter(|&&next| !seen[next]));
        }
        seen
    }

    /// How many objects are reachable from the roots: what `live_objects()` must report right
    /// after a full collection.
    pub fn reachable_count(&self) -> usize {
        self.reachable().into_iter().filter(|&r| r).count()
    }

    /// Forgets every unreachable object and renumbers the others (keeping their order), so a
    /// long program's model holds what is live rather than everything ever allocated. Ids
    /// change; the roots, handles and slots are rewritten to match, so the graph seen from
    /// the roots is the same. Returns how many objects were forgotten.
    pub fn forget_unreachable(&mut self) -> usize {
        let reachable = self.reachable();
        let mut new_id = vec![usize::MAX; self.objects.len()];
        let mut kept = 0;
        for (id, &live) in reachable.iter().enumerate() {
            if live {
                new_id[id] = kept;
                kept += 1;
            }
        }
        let before = self.objects.len();
        let mut id = 0;
        self.objects.retain(|_| {
            id += 1;
            reachable[id - 1]
        });
        for object in &mut self.objects {
            object.slots.iter_mut().flatten().for_each(|target| *target = new_id[*target]);
        }
        self.roots.iter_mut().flatten().for_each(|target| *target = new_id[*target]);
        self.handles.iter_mut().for_each(|target| *target = new_id[*target]);
        before - kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reachability_follows_cycles_without_recursion() {
        let mut m = Model::new();
        for step in [
            Step::Alloc { tag: 1, slots: 1, bytes: 0 },
            Step::Alloc { tag: 2, slots: 1, bytes: 2 },
            Step::Store { root: 0, slot: 0, value: Some(1) },
            Step::Store { root: 1, slot: 0, value: Some(0) },
            Step::Pop,
        ] {
            m.apply(&step);
        }
        assert_eq!(m.reachable_count(), 2);
        m.apply(&Step::SetRoot { index: 0, from: None });
        assert_eq!(m.reachable_count(), 0);
    }

    #[test]
    fn forgetting_unreachable_objects_keeps_the_graph() {
        let mut m = Model::new();
        for step in [
            Step::Alloc { tag: 1, slots: 1, bytes: 0 },
            Step::Alloc { tag: 2, slots: 2, bytes: 3 },
            Step::Alloc { tag: 3, slots: 0, bytes: 0 },
            Step::Store { root: 1, slot: 0, value: Some(1) },
            Step::Store { root: 1, slot: 1, value: Some(2) },
            Step::CreateHandle { root: 2 },
            Step::SetRoot { index: 0, from: None },
            Step::Pop,
        ] {
            m.apply(&step);
        }
        let before = m.clone();
        assert_eq!(m.forget_unreachable(), 1, "only object #0 is unreachable");
        assert_eq!(m.objects.len(), 2);
        assert_eq!(m.roots, vec![None, Some(0)]);
        assert_eq!(m.handles, vec![1]);
        assert_eq!(m.objects[0].slots, vec![Some(0), Some(1)]);
        assert_eq!(m.objects[0].tag, before.objects[1].tag);
        assert_eq!(m.reachable_count(), before.reachable_count());
    }

    #[test]
    fn ops_that_do_not_apply_resolve_to_none() {
        let mut m = Model::new();
        assert_eq!(m.resolve(&Op::Pop), None);
        assert_eq!(m.resolve(&Op::Load { root: 3, slot: 0 }), None);
        assert_eq!(m.resolve(&Op::DropHandle { handle: 0 }), None);
        let zero_slots = Op::Alloc { tag: 0, slots: 0, bytes: 0 };
        let step = m.resolve(&zero_slots).unwrap();
        m.apply(&step);
        assert_eq!(m.resolve(&Op::StoreSelf { root: 7, slot: 9 }), None);
        assert_eq!(m.resolve(&Op::Truncate { depth: 3 }), Some(Step::Truncate { depth: 1 }));
    }
}
