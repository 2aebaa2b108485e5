//! The generational heap's settings.

use gclab_core::{ConfigError, HeapConfig, GRANULE};
use gclab_space::PoolConfig;

/// Configuration of a [`GenerationalHeap`](crate::GenerationalHeap).
///
/// ```
/// use gclab_generational::GenerationalConfig;
/// let config = GenerationalConfig { nursery_bytes: 1 << 20, tenuring_age: 1, ..Default::default() };
/// assert!(config.validate().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct GenerationalConfig {
    /// Limit, initial trigger and growth. The trigger and growth factor govern *major*
    /// collections: one runs when the old space's bytes in use pass
    /// `max(initial_trigger, live after the last major × growth_factor)`.
    pub heap: HeapConfig,
    /// Arena, pool and largest-small-object sizes of the old space.
    pub pools: PoolConfig,
    /// Bytes of eden, where every object of up to 8 KiB is born (default 32 MiB, chosen by
    /// measurement: see docs/generational.md). Clamped to a quarter of the heap limit. At
    /// least 256 bytes; a multiple of 16.
    pub nursery_bytes: usize,
    /// Each of the two survivor spaces holds `nursery_bytes / survivor_ratio` bytes (default
    /// 8, HotSpot's `SurvivorRatio`). Survivors that do not fit are promoted early.
    pub survivor_ratio: usize,
    /// The most minor collections an object survives in the nursery before it is promoted
    /// (0 to 15; default 15, HotSpot's `MaxTenuringThreshold`). 0 promotes every survivor of
    /// its first minor collection.
    pub tenuring_age: u8,
    /// Adapt the tenuring threshold after each minor collection, as HotSpot's DefNew does:
    /// the lowest age at which the survivors of that age or younger fill half a survivor
    /// space, capped by `tenuring_age` (default on). Off, the threshold is `tenuring_age`.
    pub adaptive_tenuring: bool,
}

impl Default for GenerationalConfig {
    fn default() -> Self {
        GenerationalConfig {
            heap: HeapConfig::default(),
            pools: PoolConfig::default(),
            nursery_bytes: DEFAULT_NURSERY_BYTES,
            survivor_ratio: 8,
            tenuring_age: 15,
            adaptive_tenuring: true,
        }
    }
}

/// The default eden size.
pub const DEFAULT_NURSERY_BYTES: usize = 32 << 20;

/// The environment variable that sets eden's size for heaps made by `Heap::with_config`.
pub const NURSERY_VAR: &str = "GCLAB_NURSERY_BYTES";

/// Parses `4194304`, `4096k` or `4m`.
pub(crate) fn parse_bytes(text: &str) -> Option<usize> {
    let text = text.trim().to_ascii_lowercase();
    let (number, unit) = match text.strip_suffix('m') {
        Some(n) => (n, 1 << 20),
        None => match text.strip_suffix('k') {
            Some(n) => (n, 1 << 10),
            None => (text.as_str(), 1),
        },
    };
    number.trim().parse::<usize>().ok()?.checked_mul(unit)
}

/// The smallest eden accepted.
pub const MIN_NURSERY_BYTES: usize = 256;

impl GenerationalConfig {
    /// Checks every field, naming the first one at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.heap.validate()?;
        self.pools.validate()?;
        if self.nursery_bytes < MIN_NURSERY_BYTES || self.nursery_bytes % GRANULE != 0 {
            return Err(ConfigError {
                field: "nursery_bytes",
                reason: format!(
                    "is {}; it must be a multiple of {GRANULE} of at least {MIN_NURSERY_BYTES}",
                    self.nursery_bytes
                ),
            });
        }
        if self.survivor_ratio < 1 || self.survivor_ratio > 1024 {
            return Err(ConfigError {
                field: "survivor_ratio",
                reason: format!("is {}; it must lie between 1 and 1024", self.survivor_ratio),
            });
        }
        if self.tenuring_age > crate::meta::MAX_AGE {
            return Err(ConfigError {
                field: "tenuring_age",
                reason: format!("is {}; it must lie between 0 and {}", self.tenuring_age, crate::meta::MAX_AGE),
            });
        }
        Ok(())
    }

    /// Eden and survivor bytes as laid out for this configuration: eden clamped to a quarter
    /// of the heap limit, every size a multiple of 16 and at least one 16-byte granule.
    pub(crate) fn layout(&self) -> (usize, usize) {
        let eden = self.nursery_bytes.min(self.heap.heap_limit / 4).max(MIN_NURSERY_BYTES) / GRANULE * GRANULE;
        let survivor = (eden / self.survivor_ratio / GRANULE * GRANULE).max(GRANULE);
        (eden, survivor)
    }
}

#[cfg(test)]
mod tests {
    use super::parse_bytes;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_bytes("4096"), Some(4096));
        assert_eq!(parse_bytes("64k"), Some(64 << 10));
        assert_eq!(parse_bytes(" 32M "), Some(32 << 20));
        assert_eq!(parse_bytes("lots"), None);
        assert_eq!(parse_bytes("99999999999999999999m"), None);
    }
}
