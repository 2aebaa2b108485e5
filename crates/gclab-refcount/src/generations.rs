//! Which generation each tracked container belongs to, kept on the side.
//!
//! CPython links every container into its generation's list through a 16-byte `PyGC_Head`
//! in front of the object, and a collection writes `gc_refs` into every header it scans. Here
//! each generation is a vector of granules and a side table holds, per granule, the state of
//! the container there: which list it is on and at what position, or, while a collection
//! analyses it, its scratch count. A collection writes only this side table and its own
//! vectors: scanning never writes an object.
//!
//! Untracking is lazy: a container freed by its count has its side entry cleared (one write)
//! and stays on its list as a *stale* entry, recognised because the side entry no longer
//! names that list and position. Each list keeps an exact count of the containers really on
//! it (the 25% rule and `gc.get_count()` need exact figures), and is compacted when stale
//! entries outnumber live ones; a collection drops the stale entries of the lists it takes.

use gclab_core::SideTable;

/// The state of a tracked container: the list it is on, or its part in a collection.
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
    /// In the set being collected, not (yet) found reachable: the entry's low bits count the
    /// references from other members. What is still in this state once reachability is
    /// settled is garbage.
    Collecting = 5,
    /// In the set being collected, and found reachable.
    Reached = 6,
}

/// The lists proper (containers between collections are on one of these).
pub(crate) const REAL_LISTS: usize = 5;

const STATES: [List; 7] =
    [List::Young, List::Middle, List::OldPending, List::Old, List::Frozen, List::Collecting, List::Reached];
const LOW_BITS: u32 = 29;
/// The largest position, and the most internal references a collection counts (a member
/// with more is treated as referenced from outside the set).
pub(crate) const LOW_MASK: u32 = (1 << LOW_BITS) - 1;
/// The entry of a member of the set being collected with no internal reference counted.
const COLLECTING: u32 = (List::Collecting as u32 + 1) << LOW_BITS;
/// The entry of a member found reachable.
const REACHED: u32 = (List::Reached as u32 + 1) << LOW_BITS;

/// Stale entries tolerated on a list before it is compacted, beyond one per live entry.
const SLACK: usize = 1024;

/// The generation lists and the side index into them.
#[derive(Debug)]
pub(crate) struct Generations {
    /// The lists, stale entries included.
    lists: [Vec<u32>; REAL_LISTS],
    /// Containers really on each list.
    live: [usize; REAL_LISTS],
    /// The length at which each list is next compacted: twice its live entries at the last
    /// compaction, plus slack (so compaction costs O(1) per push, amortized).
    compact_at: [usize; REAL_LISTS],
    index: SideTable,
}

impl Generations {
    pub fn new(granules: usize) -> Result<Self, gclab_core::ConfigError> {
        Ok(Generations {
            lists: Default::default(),
            live: [0; REAL_LISTS],
            compact_at: [SLACK; REAL_LISTS],
            index: SideTable::new(granules)?,
        })
    }

    /// The state and low bits (position or scratch count) of the container at `granule`;
    /// `None` if untracked.
    #[inline]
    pub fn entry(&self, granule: usize) -> Option<(List, usize)> {
        let e = self.index.get(granule);
        (e != 0).then(|| (STATES[(e >> LOW_BITS) as usize - 1], (e & LOW_MASK) as usize))
    }

    #[inline]
    fn encode(list: List, low: usize) -> u32 {
        assert!(low <= LOW_MASK as usize, "more than 2^29 containers in one generation");
        (list as u32 + 1) << LOW_BITS | low as u32
    }

    /// Whether position `position` of `list` is a live entry (not stale).
    #[inline]
    fn is_live(&self, list: List, position: usize, granule: u32) -> bool {
        self.index.get(granule as usize) == Self::encode(list, position)
    }

    /// Appends the container at `granule` to `list` (one of the five real lists).
    #[inline]
    pub fn push(&mut self, granule: u32, list: List) {
        let l = list as usize;
        if self.lists[l].len() >= self.compact_at[l] {
            self.compact(list);
        }
        let v = &mut self.lists[l];
        v.push(granule);
        let position = v.len() - 1;
        self.index.set(granule as usize, Self::encode(list, position));
        self.live[l] += 1;
    }

    /// Untracks the container at `granule`. If it is the last entry of its list, the entry
    /// goes, with any stale entries before it; otherwise it becomes stale. Containers
    /// freed in the reverse of the order they were tracked (a structure dropped from the top,
    /// as the refcount backend frees) therefore leave no stale entry at all. Must not be
    /// called during a collection's analysis (on `Collecting` or `Reached` containers).
    #[inline]
    pub fn untrack(&mut self, granule: usize) {
        let e = self.index.get(granule);
        if e != 0 {
            let l = (e >> LOW_BITS) as usize - 1;
            debug_assert!(l < REAL_LISTS, "untrack of a container in a collection");
            self.live[l] -= 1;
            self.index.set(granule, 0);
            if (e & LOW_MASK) as usize + 1 == self.lists[l].len() {
                self.lists[l].pop();
                self.pop_stale(STATES[l]);
            }
        }
    }

    /// Pops the stale entries at the end of `list`.
    #[inline]
    fn pop_stale(&mut self, list: List) {
        let v = &self.lists[list as usize];
        let mut len = v.len();
        while len > 0 && !self.is_live(list, len - 1, v[len - 1]) {
            len -= 1;
        }
        self.lists[list as usize].truncate(len);
    }

    /// Drops the stale entries of `list`, renumbering the live ones.
    #[cold]
    fn compact(&mut self, list: List) {
        let mut v = std::mem::take(&mut self.lists[list as usize]);
        let mut kept = 0;
        for position in 0..v.len() {
            let g = v[position];
            if self.is_live(list, position, g) {
                v[kept] = g;
                self.index.set(g as usize, Self::encode(list, kept));
                kept += 1;
            }
        }
        v.truncate(kept);
        debug_assert_eq!(kept, self.live[list as usize]);
        self.lists[list as usize] = v;
        self.compact_at[list as usize] = 2 * kept + SLACK;
    }

    /// Empties `list`, calling `f` with each container really on it, in list order. The
    /// caller must give each a new side entry.
    #[inline]
    pub fn drain(&mut self, list: List, mut f: impl FnMut(u32)) {
        let l = list as usize;
        let mut v = std::mem::take(&mut self.lists[l]);
        for (position, &g) in v.iter().enumerate() {
            if self.is_live(list, position, g) {
                f(g);
            }
        }
        self.live[l] = 0;
        // Keep the allocation: generation 0 is drained at every collection.
        v.clear();
        self.lists[l] = v;
    }

    /// Empties `list` into `set`: each container really on it joins the set being
    /// collected, with no internal references counted yet.
    #[inline]
    pub fn drain_into_set(&mut self, list: List, set: &mut Vec<u32>) {
        let l = list as usize;
        let mut v = std::mem::take(&mut self.lists[l]);
        for (position, &g) in v.iter().enumerate() {
            if self.is_live(list, position, g) {
                self.index.set(g as usize, COLLECTING);
                set.push(g);
            }
        }
        self.live[l] = 0;
        v.clear();
        self.lists[l] = v;
    }

    /// Calls `f` with every container really on `list`.
    pub fn for_each(&self, list: List, mut f: impl FnMut(u32)) {
        for (position, &g) in self.lists[list as usize].iter().enumerate() {
            if self.is_live(list, position, g) {
                f(g);
            }
        }
    }

    /// Moves every container of `from` to the end of `to`.
    pub fn move_all(&mut self, from: List, to: List) {
        let mut moved = Vec::with_capacity(self.live[from as usize]);
        self.drain(from, |g| moved.push(g));
        for g in moved {
            self.push(g, to);
        }
    }

    /// Containers really on `list`.
    #[inline]
    pub fn len(&self, list: List) -> usize {
        self.live[list as usize]
    }

    /// Tracked containers on the five real lists.
    pub fn tracked(&self) -> usize {
        self.live.iter().sum()
    }

    // During a collection, a member of the set is `Collecting`, with the references to it
    // from other members counted in the low bits, until it is found reachable (`Reached`).
    // Garbage stays `Collecting` until freed.

    /// Counts one reference from inside the set to `granule`, if it is a member (saturating
    /// at `LOW_MASK`).
    #[inline]
    pub fn count_internal(&self, granule: u32) {
        let e = self.index.get(granule as usize);
        if e & !LOW_MASK == COLLECTING && e != COLLECTING | LOW_MASK {
            self.index.set(granule as usize, e + 1);
        }
    }

    /// For a member not yet found reachable: the references to it from inside the set
    /// (`LOW_MASK` if saturated: unknown, at least that many).
    #[inline]
    pub fn unreached_internal(&self, granule: u32) -> Option<u32> {
        let e = self.index.get(granule as usize);
        (e & !LOW_MASK == COLLECTING).then_some(e & LOW_MASK)
    }

    /// Whether `granule` is a member not (yet) found reachable.
    #[inline]
    pub fn is_unreached(&self, granule: u32) -> bool {
        self.index.get(granule as usize) & !LOW_MASK == COLLECTING
    }

    /// Marks the member at `granule` reachable.
    #[inline]
    pub fn set_reached(&self, granule: u32) {
        self.index.set(granule as usize, REACHED);
    }

    /// Whether the member at `granule` was found reachable.
    #[inline]
    pub fn is_reached(&self, granule: u32) -> bool {
        self.index.get(granule as usize) == REACHED
    }

    /// Untracks a garbage container about to be freed (its entry is `Collecting`).
    #[inline]
    pub fn forget_garbage(&self, granule: u32) {
        self.index.set(granule as usize, 0);
    }

    /// Checks that the lists and their counts agree with the side entries.
    pub fn verify(&self) -> Result<(), gclab_core::VerifyError> {
        for (&list, &counted) in STATES.iter().zip(&self.live) {
            let mut live = 0;
            self.for_each(list, |_| live += 1);
            gclab_core::ensure!(live == counted, "list {list:?} holds {live} live entries but counts {counted}");
        }
        Ok(())
    }

    /// Whether `granule`'s side entry is a live entry of its list (for verify).
    pub fn entry_is_listed(&self, granule: usize) -> bool {
        match self.entry(granule) {
            Some((list, position)) if (list as usize) < REAL_LISTS => {
                self.lists[list as usize].get(position) == Some(&(granule as u32))
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untracked_entries_go_stale_and_are_compacted_away() {
        let mut gens = Generations::new(1 << 20).unwrap();
        // Track and untrack many containers, keeping every tenth: the young list would grow
        // without bound if stale entries were never dropped.
        for g in 1..200_000u32 {
            gens.push(g, List::Young);
            if g % 10 != 0 {
                gens.untrack(g as usize);
            }
        }
        assert_eq!(gens.len(List::Young), 19_999);
        assert!(
            gens.lists[List::Young as usize].len() <= 2 * 19_999 + 2 * SLACK,
            "{} entries kept for 19,999 containers",
            gens.lists[List::Young as usize].len()
        );
        gens.verify().unwrap();
        // Every live container is found where its side entry says, and only those.
        let mut seen = Vec::new();
        gens.for_each(List::Young, |g| seen.push(g));
        assert_eq!(seen, (1..200_000).filter(|g| g % 10 == 0).collect::<Vec<_>>());
        assert!(seen.iter().all(|&g| gens.entry_is_listed(g as usize)));
        // A reused granule re-tracked elsewhere is not mistaken for its stale entry.
        gens.push(1, List::Middle);
        let mut young = 0;
        gens.for_each(List::Young, |_| young += 1);
        assert_eq!(young, 19_999);
        assert_eq!(gens.tracked(), 20_000);
        gens.move_all(List::Young, List::Old);
        assert_eq!((gens.len(List::Young), gens.len(List::Old)), (0, 19_999));
        gens.verify().unwrap();
    }

    #[test]
    fn untracking_in_reverse_order_leaves_no_stale_entry() {
        let mut gens = Generations::new(1 << 10).unwrap();
        for g in 1..=100u32 {
            gens.push(g, List::Young);
        }
        gens.untrack(50); // not last: goes stale
        assert_eq!(gens.lists[List::Young as usize].len(), 100);
        for g in (51..=100).rev() {
            gens.untrack(g);
        }
        // 51 left the end, and the stale entry of 50 went with it.
        assert_eq!(gens.lists[List::Young as usize].len(), 49);
        assert_eq!(gens.len(List::Young), 49);
        gens.verify().unwrap();
        for g in (1..50).rev() {
            gens.untrack(g);
        }
        assert!(gens.lists[List::Young as usize].is_empty());
        assert_eq!(gens.tracked(), 0);
    }

    #[test]
    fn collection_states_count_internal_references_and_saturate() {
        let mut gens = Generations::new(64).unwrap();
        for g in 1..4 {
            gens.push(g, List::Young);
        }
        let mut set = Vec::new();
        gens.drain_into_set(List::Young, &mut set);
        assert_eq!(set, [1, 2, 3]);
        gens.count_internal(2);
        gens.count_internal(2);
        gens.count_internal(9); // not a member: no effect
        assert_eq!(gens.unreached_internal(2), Some(2));
        assert_eq!(gens.unreached_internal(1), Some(0));
        assert_eq!(gens.unreached_internal(9), None);
        gens.index.set(3, COLLECTING | (LOW_MASK - 1));
        gens.count_internal(3);
        gens.count_internal(3);
        assert_eq!(gens.unreached_internal(3), Some(LOW_MASK), "saturates");
        gens.set_reached(2);
        assert!(!gens.is_unreached(2) && gens.is_reached(2));
        assert!(gens.is_unreached(1));
    }
}
