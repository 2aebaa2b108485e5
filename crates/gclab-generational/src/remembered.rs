//! The remembered set: the old objects that may refer to young ones, and, for large arrays,
//! the chunks of their slots that may.

use gclab_core::{ConfigError, Object, SideBitmap};

use crate::meta::UNLOGGED;

/// Old objects with more slots than this are remembered by chunk (card), not whole, so a
/// minor collection scans only the chunks written since the last one.
pub const CARDED_SLOTS: usize = 1024;

/// Slots in one card: what a minor collection scans for one remembered chunk of a large array.
pub const CARD_SLOTS: usize = 128;

/// Granules covered by one card's slots: a card's bit is indexed by the granule of the
/// object's start plus this many granules per chunk, which stays inside the object (its slots
/// alone span 8 bytes each), so distinct chunks of distinct objects never share a bit.
const CARD_GRANULES: usize = CARD_SLOTS * 8 / gclab_core::GRANULE;

/// The write barrier's log.
///
/// Invariant (checked by `verify`): every old object that holds a young reference is in
/// `objects` (and its `UNLOGGED` bit is clear), or, if it has more than [`CARDED_SLOTS`]
/// slots, every chunk of its slots holding a young reference is in `cards` (and its bit in
/// `card_bits` is set). Every other old object has `UNLOGGED` set.
#[derive(Debug)]
pub(crate) struct RememberedSet {
    /// Granules of logged old objects, each once.
    pub objects: Vec<u32>,
    /// `(object granule, chunk)` pairs of large arrays, each once.
    pub cards: Vec<(u32, u32)>,
    /// One bit per `(object, chunk)`: whether it is in `cards`.
    pub card_bits: SideBitmap,
    /// Stores that took the barrier's slow path since the heap was made.
    pub slow_path_hits: u64,
}

impl RememberedSet {
    pub fn new(granules: usize) -> Result<Self, ConfigError> {
        Ok(RememberedSet {
            objects: Vec::new(),
            cards: Vec::new(),
            card_bits: SideBitmap::new(granules)?,
            slow_path_hits: 0,
        })
    }

    /// The card bit of chunk `chunk` of the object at `granule`.
    #[inline]
    pub fn card_bit(granule: u32, chunk: u32) -> usize {
        granule as usize + chunk as usize * CARD_GRANULES
    }

    /// The barrier's slow path: a young reference is being stored into slot `index` of the
    /// old, unlogged `object` at `granule`. Logs the object, or the slot's chunk for a large
    /// array.
    #[cold]
    #[inline(never)]
    pub fn remember(&mut self, object: Object<'_>, granule: u32, index: usize) {
        self.slow_path_hits += 1;
        if object.slot_count() > CARDED_SLOTS {
            let chunk = (index / CARD_SLOTS) as u32;
            if !self.card_bits.test_and_set(Self::card_bit(granule, chunk)) {
                self.cards.push((granule, chunk));
            }
        } else {
            // SAFETY: the backend owns its objects' meta words; clearing `UNLOGGED` and
            // listing the object keep the remembered-set invariant.
            unsafe { object.set_meta(object.meta() & !UNLOGGED) };
            self.objects.push(granule);
        }
    }

    /// Entries now.
    pub fn len(&self) -> usize {
        self.objects.len() + self.cards.len()
    }
}
