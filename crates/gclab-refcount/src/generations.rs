//! Which generation each tracked container belongs to, kept on the side.
//!
//! CPython links every container into its generation's list through a 16-byte `PyGC_Head`
//! in front of the object, and a collection writes `gc_refs` into every header it scans. Here
//! each generation is a vector of granules and a side table maps a granule to (list,
//! position), so tracking, untracking (swap-remove) and moving are O(1), and a collection
//! writes only side metadata and its own scratch vectors: scanning never writes an object.

use gclab_core::SideTable;

/// The lists a container can be on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum List {
    /// Generation 0: new containers.
    Young = 0,
    /// Generation 1: survivors of one generation-0 collection.
    Middle = 1,
    /// Generation 2, promoted since the last full collection (CPython's `long_lived_pending`).
    OldPending = 2,
    /// Generation 2, survivors of the last full collection (`long_lived_total`).
    Old = 3,
    /// The permanent generation of `freeze()`: never scanned.
    Frozen = 4,
    /// In the set being collected now.
    Collecting = 5,
    /// Found to be cyclic garbage by the collection running now.
    Garbage = 6,
}

const LISTS: [List; 7] =
    [List::Young, List::Middle, List::OldPending, List::Old, List::Frozen, List::Collecting, List::Garbage];
const POSITION_BITS: u32 = 29;
const POSITION_MASK: u32 = (1 << POSITION_BITS) - 1;

/// The generation lists and the side index into them.
#[derive(Debug)]
pub(crate) struct Generations {
    pub lists: [Vec<u32>; 5],
    index: SideTable,
}

impl Generations {
    pub fn new(granules: usize) -> Result<Self, gclab_core::ConfigError> {
        Ok(Generations { lists: Default::default(), index: SideTable::new(granules)? })
    }

    /// The list and position of the container at `granule`; `None` if untracked.
    #[inline]
    pub fn entry(&self, granule: usize) -> Option<(List, usize)> {
        let e = self.index.get(granule);
        (e != 0).then(|| (LISTS[(e >> POSITION_BITS) as usize - 1], (e & POSITION_MASK) as usize))
    }

    /// The list of the container at `granule`.
    #[inline]
    pub fn list_of(&self, granule: usize) -> Option<List> {
        self.entry(granule).map(|(list, _)| list)
    }

    #[inline]
    pub fn set_entry(&self, granule: usize, list: List, position: usize) {
        assert!(position <= POSITION_MASK as usize, "more than 2^29 containers in one generation");
        self.index.set(granule, (list as u32 + 1) << POSITION_BITS | position as u32);
    }

    #[inline]
    pub fn clear_entry(&self, granule: usize) {
        self.index.set(granule, 0);
    }

    /// Appends the container at `granule` to `list` (one of the five real lists).
    #[inline]
    pub fn push(&mut self, granule: u32, list: List) {
        let v = &mut self.lists[list as usize];
        v.push(granule);
        let position = v.len() - 1;
        self.set_entry(granule as usize, list, position);
    }

    /// Removes the container at `granule` from whatever list it is on.
    #[inline]
    pub fn untrack(&mut self, granule: usize) {
        if let Some((list, position)) = self.entry(granule) {
            if (list as usize) < self.lists.len() {
                let v = &mut self.lists[list as usize];
                v.swap_remove(position);
                if let Some(&moved) = v.get(position) {
                    self.set_entry(moved as usize, list, position);
                }
            }
            self.clear_entry(granule);
        }
    }

    /// Moves every container of `from` to the end of `to`.
    pub fn move_all(&mut self, from: List, to: List) {
        let moved = std::mem::take(&mut self.lists[from as usize]);
        for g in moved {
            self.push(g, to);
        }
    }

    /// Tracked containers on the five real lists.
    pub fn tracked(&self) -> usize {
        self.lists.iter().map(Vec::len).sum()
    }
}
