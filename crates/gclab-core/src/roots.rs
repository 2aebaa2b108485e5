//! Roots: the root stack (an interpreter's operand stack) and RAII handles for long-lived roots.
//!
//! Both are tables the collector owns, so a moving collector can rewrite every root in place.
//! A reference kept in a Rust local is not a root: across an allocation or a collection it
//! must be pushed on the root stack or held by a [`Root`], or later use of it is reported as a
//! stale reference.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::{ObjRef, ObjectMemory, RefError, VerifyError};

/// The root stack: a vector of nullable references that the mutator pushes, pops and
/// overwrites by index. Heaps own one and expose it through the `Heap` trait, which validates
/// every reference before it enters.
#[derive(Default, Debug)]
pub struct RootStack {
    slots: Vec<Option<ObjRef>>,
}

impl RootStack {
    /// An empty stack.
    pub fn new() -> Self {
        RootStack::default()
    }

    /// Pushes an entry, unvalidated ([`Roots::push`] validates).
    ///
    /// # Safety
    /// `obj` must be null or a live object of the heap that owns this stack: collectors trace
    /// and move roots without checking them.
    #[inline]
    pub unsafe fn push(&mut self, obj: Option<ObjRef>) {
        self.slots.push(obj);
    }

    /// Pops the top entry; `Err` on an empty stack.
    #[inline]
    pub fn pop(&mut self) -> Result<Option<ObjRef>, RefError> {
        self.slots.pop().ok_or(RefError::RootStackEmpty)
    }

    /// The entry at `index` (0 is the bottom).
    #[inline]
    pub fn get(&self, index: usize) -> Result<Option<ObjRef>, RefError> {
        self.slots.get(index).copied().ok_or_else(|| RefError::root_out_of_bounds(index, self.slots.len()))
    }

    /// Overwrites the entry at `index`, unvalidated, returning the old one.
    ///
    /// # Safety
    /// As [`RootStack::push`].
    #[inline]
    pub unsafe fn set(&mut self, index: usize, obj: Option<ObjRef>) -> Result<Option<ObjRef>, RefError> {
        let len = self.slots.len();
        match self.slots.get_mut(index) {
            Some(slot) => Ok(std::mem::replace(slot, obj)),
            None => Err(RefError::root_out_of_bounds(index, len)),
        }
    }

    /// The depth of the stack.
    #[inline]
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the stack is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Pops the top `n` entries, handing each to `f` with its position among them (0 for
    /// the deepest). Panics if the stack holds fewer than `n`.
    #[inline]
    pub fn take_top(&mut self, n: usize, mut f: impl FnMut(usize, Option<ObjRef>)) {
        let base = self.slots.len().checked_sub(n).expect("take_top: the root stack holds fewer entries");
        for (i, &value) in self.slots[base..].iter().enumerate() {
            f(i, value);
        }
        self.slots.truncate(base);
    }

    /// [`RootStack::take_top`], then `obj` takes the `n` entries' place (pushed when `n` is
    /// 0): one store and no capacity check when something was taken.
    ///
    /// # Safety
    /// As [`RootStack::push`] for `obj`.
    #[inline]
    pub unsafe fn replace_top(&mut self, n: usize, mut f: impl FnMut(usize, Option<ObjRef>), obj: Option<ObjRef>) {
        let len = self.slots.len();
        let base = len.checked_sub(n).expect("replace_top: the root stack holds fewer entries");
        for (i, &value) in self.slots[base..].iter().enumerate() {
            f(i, value);
        }
        if base < len {
            self.slots[base] = obj;
            self.slots.truncate(base + 1);
        } else {
            self.slots.push(obj);
        }
    }

    /// Pops entries until the depth is `len`, handing each popped entry to `dropped`. Panics,
    /// naming the mistake, if the stack is shallower than `len`.
    #[track_caller]
    pub fn truncate_with(&mut self, len: usize, mut dropped: impl FnMut(ObjRef)) {
        assert!(
            len <= self.slots.len(),
            "truncate_roots({len}) on a root stack of depth {}: the stack is shallower than the \
             depth asked for",
            self.slots.len()
        );
        while self.slots.len() > len {
            if let Some(Some(obj)) = self.slots.pop() {
                dropped(obj);
            }
        }
    }

    /// Every non-null entry, bottom first.
    pub fn iter(&self) -> impl Iterator<Item = ObjRef> + '_ {
        self.slots.iter().flatten().copied()
    }

    /// Every non-null entry, for a moving collector to rewrite.
    ///
    /// # Safety
    /// Every rewritten entry must satisfy the contract of [`RootStack::push`].
    pub unsafe fn iter_mut(&mut self) -> impl Iterator<Item = &mut ObjRef> + '_ {
        self.slots.iter_mut().flatten()
    }
}

#[derive(Debug, Default)]
struct TableInner {
    entries: Vec<Option<ObjRef>>,
    free: Vec<u32>,
    /// References whose `Root` was dropped, kept for backends that count references.
    released: Vec<ObjRef>,
    live: usize,
}

/// The table behind [`Root`] handles. It is shared (behind a lock) between the heap and the
/// handles, because a handle must be able to leave the table when dropped without a borrow
/// of the heap.
#[derive(Debug, Clone)]
pub struct RootTable {
    inner: Arc<Mutex<TableInner>>,
    /// Set when a dropped handle left a reference in `released`: checked without the lock.
    pending: Arc<AtomicBool>,
    track_releases: bool,
}

impl RootTable {
    /// An empty table. With `track_releases`, references of dropped handles are kept until
    /// [`RootTable::drain_released`] (a reference-counting heap decrements them there).
    pub fn new(track_releases: bool) -> Self {
        RootTable { inner: Arc::default(), pending: Arc::default(), track_releases }
    }

    /// Adds an entry for `obj`, unvalidated ([`Roots::handle`] validates), and returns its
    /// handle.
    ///
    /// # Safety
    /// `obj` must be a live object of the heap that owns this table: collectors trace and
    /// move handles without checking them.
    pub unsafe fn add(&self, obj: ObjRef) -> Root {
        let mut inner = self.inner.lock();
        inner.live += 1;
        let index = match inner.free.pop() {
            Some(index) => {
                inner.entries[index as usize] = Some(obj);
                index
            }
            None => {
                inner.entries.push(Some(obj));
                u32::try_from(inner.entries.len() - 1).expect("more than 2^32 root handles")
            }
        };
        Root { table: self.clone(), index }
    }

    /// Calls `f` on every rooted reference.
    pub fn for_each(&self, mut f: impl FnMut(ObjRef)) {
        self.inner.lock().entries.iter().flatten().for_each(|&r| f(r));
    }

    /// Rewrites every rooted reference (for a moving collector).
    ///
    /// # Safety
    /// Every reference `f` returns must satisfy the contract of [`RootTable::add`].
    pub unsafe fn update(&self, mut f: impl FnMut(ObjRef) -> ObjRef) {
        for entry in self.inner.lock().entries.iter_mut().flatten() {
            *entry = f(*entry);
        }
    }

    /// Hands each reference released by a dropped handle since the last call to `f`.
    pub fn drain_released(&self, mut f: impl FnMut(ObjRef)) {
        if !self.pending.swap(false, Ordering::Acquire) {
            return;
        }
        let released = std::mem::take(&mut self.inner.lock().released);
        released.into_iter().for_each(&mut f);
    }

    /// Whether a dropped handle left a reference to drain (one relaxed load, no lock).
    #[inline]
    pub fn has_released(&self) -> bool {
        self.pending.load(Ordering::Relaxed)
    }

    /// Calls `f` with each reference released by a dropped handle and not yet drained.
    pub fn for_each_released(&self, f: impl FnMut(&ObjRef)) {
        self.inner.lock().released.iter().for_each(f);
    }

    /// How many handles are alive.
    pub fn len(&self) -> usize {
        self.inner.lock().live
    }

    /// Whether no handle is alive.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An RAII root: the object stays alive, and its reference current across moving
/// collections, until the handle is dropped.
///
/// Made by `Heap::root`; read with [`Root::get`] after any allocation or collection.
#[derive(Debug)]
pub struct Root {
    table: RootTable,
    index: u32,
}

impl Root {
    /// The rooted object's current reference.
    pub fn get(&self) -> ObjRef {
        self.table.inner.lock().entries[self.index as usize].expect("a live Root's entry is set")
    }

    /// Whether this handle belongs to `table`.
    pub fn belongs_to(&self, table: &RootTable) -> bool {
        Arc::ptr_eq(&self.table.inner, &table.inner)
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        let track = self.table.track_releases;
        let mut inner = self.table.inner.lock();
        let old = inner.entries[self.index as usize].take();
        inner.free.push(self.index);
        inner.live -= 1;
        if let (true, Some(old)) = (track, old) {
            inner.released.push(old);
            self.table.pending.store(true, Ordering::Release);
        }
    }
}

/// The roots of one heap: its root stack and its handle table, with every reference that
/// enters validated against the heap's memory. Backends that need no bookkeeping on root
/// changes use it as is.
#[derive(Debug)]
pub struct Roots {
    /// The root stack.
    pub stack: RootStack,
    /// The table behind `Root` handles.
    pub table: RootTable,
}

impl Roots {
    /// Empty roots; see [`RootTable::new`] for `track_releases`.
    pub fn new(track_releases: bool) -> Self {
        Roots { stack: RootStack::new(), table: RootTable::new(track_releases) }
    }

    /// Validates and pushes.
    #[inline]
    pub fn push(&mut self, memory: &ObjectMemory, obj: Option<ObjRef>) -> Result<(), RefError> {
        memory.check_value(obj)?;
        // SAFETY: validated against the heap's memory just above.
        unsafe { self.stack.push(obj) };
        Ok(())
    }

    /// Validates and overwrites entry `index`, returning the old entry.
    #[inline]
    pub fn set(
        &mut self,
        memory: &ObjectMemory,
        index: usize,
        obj: Option<ObjRef>,
    ) -> Result<Option<ObjRef>, RefError> {
        memory.check_value(obj)?;
        // SAFETY: validated against the heap's memory just above.
        unsafe { self.stack.set(index, obj) }
    }

    /// Validates and makes a handle. Panics, naming the mistake, on a bad reference.
    #[track_caller]
    pub fn handle(&self, memory: &ObjectMemory, obj: ObjRef) -> Root {
        memory.check_value(Some(obj)).unwrap_or_else(|e| panic!("{e}"));
        // SAFETY: validated against the heap's memory just above.
        unsafe { self.table.add(obj) }
    }

    /// Calls `f` with every root: stack entries, then handles.
    pub fn for_each(&self, mut f: impl FnMut(ObjRef)) {
        self.stack.iter().for_each(&mut f);
        self.table.for_each(f);
    }

    /// Checks that every root (stack entry and handle) is a live object of `memory`, for a
    /// backend's `verify()`.
    pub fn verify(&self, memory: &ObjectMemory) -> Result<(), VerifyError> {
        let mut bad_root = None;
        self.for_each(|root| {
            if let Err(e) = memory.resolve(root) {
                bad_root.get_or_insert(e);
            }
        });
        match bad_root {
            Some(e) => Err(VerifyError(format!("a root holds a bad reference: {e}"))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_top_takes_n_entries_and_leaves_one() {
        let mut s = RootStack::new();
        let [a, b, c, d] = [4, 6, 8, 10].map(|g| ObjRef::new(1, 0, g));
        // SAFETY: this stack belongs to no heap; nothing traces it.
        unsafe {
            s.push(Some(a));
            s.push(Some(b));
            s.push(None);
            let mut taken = Vec::new();
            s.replace_top(2, |i, v| taken.push((i, v)), Some(c));
            assert_eq!(taken, [(0, Some(b)), (1, None)]);
            assert_eq!(s.iter().collect::<Vec<_>>(), [a, c]);
            s.replace_top(0, |_, _| unreachable!("nothing is taken"), Some(d));
            assert_eq!(s.iter().collect::<Vec<_>>(), [a, c, d]);
        }
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn stack_reports_bad_indices() {
        let mut s = RootStack::new();
        let r = ObjRef::new(1, 0, 4);
        // SAFETY: this stack belongs to no heap; nothing traces it.
        unsafe {
            s.push(Some(r));
            s.push(None);
        }
        assert_eq!(s.get(0), Ok(Some(r)));
        assert_eq!(s.get(2), Err(RefError::root_out_of_bounds(2, 2)));
        // SAFETY: as above.
        assert_eq!(unsafe { s.set(1, Some(r)) }, Ok(None));
        assert_eq!(s.iter().count(), 2);
        let mut dropped = 0;
        s.truncate_with(0, |_| dropped += 1);
        assert_eq!(dropped, 2);
        assert_eq!(s.pop(), Err(RefError::RootStackEmpty));
        let deeper = std::panic::catch_unwind(move || s.truncate_with(1, |_| {}));
        assert!(deeper.is_err(), "truncating to a depth above the stack's is a named mistake");
    }

    #[test]
    fn handles_leave_the_table_when_dropped() {
        let table = RootTable::new(true);
        // SAFETY (all blocks): this table belongs to no heap; nothing traces it.
        let a = unsafe { table.add(ObjRef::new(1, 0, 1)) };
        let b = unsafe { table.add(ObjRef::new(1, 0, 2)) };
        assert_eq!(table.len(), 2);
        drop(a);
        let c = unsafe { table.add(ObjRef::new(1, 0, 3)) };
        assert_eq!(c.get().granule(), 3);
        unsafe { table.update(|r| r.with_granule(r.granule() + 10)) };
        assert_eq!(b.get().granule(), 12);
        let mut released = vec![];
        table.drain_released(|r| released.push(r.granule()));
        assert_eq!(released, vec![1]);
        assert!(c.belongs_to(&table));
        assert!(!c.belongs_to(&RootTable::new(false)));
    }
}
