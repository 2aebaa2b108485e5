//! Heap configuration shared by every backend, and the collection trigger it implies.

use crate::ConfigError;

/// The largest heap limit any backend accepts (16 GiB): references address 2^32 granules of
/// 16 bytes (64 GiB) and a heap reserves address space for several spaces of the limit's size.
pub const MAX_HEAP_LIMIT: usize = 16 << 30;

/// The smallest heap limit any backend accepts (1 MiB: one arena).
pub const MIN_HEAP_LIMIT: usize = 1 << 20;

/// Configuration common to every backend.
///
/// The trigger policy: a collection starts when the bytes allocated since the last one,
/// added to the bytes that survived it, exceed
/// `max(initial_trigger, live_after_last_collection * growth_factor)`; and whenever memory
/// taken from the system would exceed `heap_limit`. If a full collection cannot bring the heap
/// under the limit, allocation fails with `AllocError::HeapExhausted`.
///
/// ```
/// use gclab_core::HeapConfig;
/// let config = HeapConfig::default().heap_limit(64 << 20).growth_factor(3.0);
/// assert!(config.validate().is_ok());
/// assert!(HeapConfig::default().growth_factor(0.5).validate().is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct HeapConfig {
    /// Most bytes the heap may take from the system (default 4 GiB; at most 16 GiB).
    pub heap_limit: usize,
    /// Bytes allocated before the first collection, and the least the heap may grow to before
    /// any later one (default 64 MiB: marking cost is amortised over at least that much
    /// allocation, as a young generation of that size would).
    pub initial_trigger: usize,
    /// Heap growth allowed over the live size before the next collection (default 2.0; ≥ 1).
    pub growth_factor: f64,
    /// Ask the kernel for transparent huge pages (2 MiB, `madvise(MADV_HUGEPAGE)`) for the
    /// object spaces (default off). A heap then takes its memory 2 MiB at a time (one fault
    /// where there were 512) and the TLB covers more of it; the cost is coarser accounting of
    /// resident memory (RSS can exceed `heap_bytes` by up to a huge page per committed range).
    /// See docs/performance.md for the measured effect.
    pub huge_pages: bool,
}

impl Default for HeapConfig {
    fn default() -> Self {
        HeapConfig { heap_limit: 4 << 30, initial_trigger: 64 << 20, growth_factor: 2.0, huge_pages: false }
    }
}

impl HeapConfig {
    /// Sets `heap_limit`.
    pub fn heap_limit(mut self, bytes: usize) -> Self {
        self.heap_limit = bytes;
        self
    }

    /// Sets `initial_trigger`.
    pub fn initial_trigger(mut self, bytes: usize) -> Self {
        self.initial_trigger = bytes;
        self
    }

    /// Sets `huge_pages`.
    pub fn huge_pages(mut self, on: bool) -> Self {
        self.huge_pages = on;
        self
    }

    /// Sets `growth_factor`.
    pub fn growth_factor(mut self, factor: f64) -> Self {
        self.growth_factor = factor;
        self
    }

    /// Checks every field, naming the first one at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.heap_limit < MIN_HEAP_LIMIT || self.heap_limit > MAX_HEAP_LIMIT {
            return Err(ConfigError {
                field: "heap_limit",
                reason: format!(
                    "is {} bytes; it must lie between {MIN_HEAP_LIMIT} (1 MiB) and \
                     {MAX_HEAP_LIMIT} (16 GiB)",
                    self.heap_limit
                ),
            });
        }
        if self.initial_trigger == 0 {
            return Err(ConfigError { field: "initial_trigger", reason: "is 0; it must be at least 1 byte".into() });
        }
        if !(self.growth_factor >= 1.0 && self.growth_factor <= 1000.0) {
            return Err(ConfigError {
                field: "growth_factor",
                reason: format!("is {}; it must lie between 1.0 and 1000.0", self.growth_factor),
            });
        }
        Ok(())
    }
}

/// When the next collection is due, in bytes allocated: the trigger policy of [`HeapConfig`].
#[derive(Clone, Debug)]
pub struct Trigger {
    initial: usize,
    growth: f64,
    /// Bytes in objects that survived the last collection plus those allocated since.
    used: usize,
    /// `used` at which the next collection starts.
    next: usize,
}

impl Trigger {
    /// The trigger for a fresh heap.
    pub fn new(config: &HeapConfig) -> Self {
        Trigger { initial: config.initial_trigger, growth: config.growth_factor, used: 0, next: config.initial_trigger }
    }

    /// Counts `bytes` of new objects; true when a collection is due.
    #[inline]
    pub fn note_allocated(&mut self, bytes: usize) -> bool {
        self.used += bytes;
        self.used > self.next
    }

    /// Counts `bytes` freed outside a collection (by reference counting, say).
    #[inline]
    pub fn note_freed(&mut self, bytes: usize) {
        self.used = self.used.saturating_sub(bytes);
    }

    /// Whether a collection is due.
    #[inline]
    pub fn due(&self) -> bool {
        self.used > self.next
    }

    /// Resets after a collection that left `live_bytes` in objects.
    pub fn collected(&mut self, live_bytes: usize) {
        self.used = live_bytes;
        let grown = (live_bytes as f64 * self.growth) as usize;
        self.next = grown.max(self.initial);
    }

    /// Bytes at which the next collection starts.
    pub fn next(&self) -> usize {
        self.next
    }

    /// Bytes counted now.
    pub fn used(&self) -> usize {
        self.used
    }
}
