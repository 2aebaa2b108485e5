//! Configuration of the refcount backend.

use gclab_core::{ConfigError, HeapConfig};
use gclab_space::PoolConfig;

/// CPython 3.13's default thresholds for generations 0, 1 and 2.
pub const DEFAULT_THRESHOLDS: [u32; 3] = [2000, 10, 10];

/// Configuration of a [`RefcountHeap`](crate::RefcountHeap).
#[derive(Clone, Debug, PartialEq)]
pub struct RefcountConfig {
    /// The heap limit (`initial_trigger` and `growth_factor` are not used: reference counting
    /// frees garbage as it appears, and the cycle detector runs by thresholds).
    pub heap: HeapConfig,
    /// Arena, pool and size-class geometry. Objects up to 512 bytes are served in CPython's
    /// 16-byte classes; up to `max_object_bytes` (default 8 KiB, where CPython would call
    /// `malloc`) in the coarser medium classes; larger ones by the large-object space. Set
    /// `max_object_bytes` to 512 for pymalloc's exact split.
    pub pools: PoolConfig,
    /// Cycle-detector thresholds (default `[2000, 10, 10]`); a first threshold of 0 disables
    /// automatic collection.
    pub thresholds: [u32; 3],
    /// Whether the cycle detector runs automatically (gc.enable / gc.disable).
    pub enabled: bool,
}

impl Default for RefcountConfig {
    fn default() -> Self {
        RefcountConfig {
            heap: HeapConfig::default(),
            pools: PoolConfig::default(),
            thresholds: DEFAULT_THRESHOLDS,
            enabled: true,
        }
    }
}

impl RefcountConfig {
    /// Checks every field, naming the first one at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.heap.validate()?;
        self.pools.validate()
    }
}
