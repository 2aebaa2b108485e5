//! Heap ids: 16-bit numbers carried by every reference, recycled when a heap is dropped.

use parking_lot::Mutex;

use crate::ConfigError;

/// Ids in use, one bit per id (id 0 is reserved for the null reference), and where the
/// search for a free one resumes: ids are handed out round-robin, so a dropped heap's id is
/// reused as late as possible and a reference outliving its heap is most likely reported as
/// foreign rather than resolving on a newer heap.
struct Registry {
    used: [u64; 1024],
    next: u16,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry { used: [0; 1024], next: 1 });

/// A heap id held by one live heap (each `ObjectMemory` takes one), returned to the registry when dropped. No two live heaps
/// share an id, so a reference made by one heap is always recognised as foreign by another.
#[derive(Debug)]
pub struct HeapId(u16);

impl HeapId {
    /// Takes a free id; fails, naming the mistake, when all 65,535 are held by live heaps.
    pub fn take() -> Result<HeapId, ConfigError> {
        let mut registry = REGISTRY.lock();
        let start = registry.next;
        let mut id = start;
        loop {
            let (word, bit) = (id as usize / 64, id % 64);
            if registry.used[word] & (1 << bit) == 0 {
                registry.used[word] |= 1 << bit;
                registry.next = id.checked_add(1).unwrap_or(1);
                return Ok(HeapId(id));
            }
            id = id.checked_add(1).unwrap_or(1);
            if id == start {
                return Err(ConfigError {
                    field: "heap",
                    reason: "cannot be made: 65,535 heaps are alive, and every heap id (16 bits, carried \
                             by each reference) is in use; drop a heap first"
                        .into(),
                });
            }
        }
    }

    /// The id.
    #[inline]
    pub fn get(&self) -> u16 {
        self.0
    }
}

impl Drop for HeapId {
    fn drop(&mut self) {
        let mut registry = REGISTRY.lock();
        registry.used[self.0 as usize / 64] &= !(1 << (self.0 % 64));
    }
}
