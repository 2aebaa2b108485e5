//! Size classes of the pool space.

use gclab_core::GRANULE;

/// The largest object any size class serves; larger objects go to the large-object space.
pub const MAX_CLASS_BYTES: usize = 8192;

/// Up to this size the classes step by 16 bytes, the granule every object size is a multiple
/// of: each such class holds objects of exactly its cell size, so counting its cells counts
/// its objects' bytes.
pub const EXACT_CLASS_BYTES: usize = 512;

/// The size classes, smallest first.
///
/// Up to 512 bytes they step by 16 bytes, as CPython's obmalloc does (32 classes, so a
/// 100-byte object wastes at most 15 bytes). Above 512 bytes, where obmalloc hands requests to
/// `malloc`, they step by a quarter of the power of two below (640, 768, 896, 1024, 1280, …,
/// 8192): at most 25% internal waste, and medium objects still avoid the page-granular
/// large-object space.
#[derive(Clone, Debug)]
pub struct SizeClasses {
    sizes: Vec<u32>,
    /// Class index for each size in granules (index 0 unused).
    by_granules: Vec<u8>,
    max_bytes: usize,
}

impl SizeClasses {
    /// The classes up to `max_bytes` (a multiple of 16, from 16 to [`MAX_CLASS_BYTES`]).
    pub fn new(max_bytes: usize) -> Self {
        assert!(
            (GRANULE..=MAX_CLASS_BYTES).contains(&max_bytes) && max_bytes % GRANULE == 0,
            "size classes must end at a multiple of 16 between 16 and {MAX_CLASS_BYTES}"
        );
        let mut sizes: Vec<u32> = (1..=32).map(|g| g * GRANULE as u32).collect();
        let mut power = 512u32;
        while power < MAX_CLASS_BYTES as u32 {
            for quarter in 1..=4 {
                sizes.push(power + quarter * power / 4);
            }
            power *= 2;
        }
        sizes.retain(|&s| s as usize <= max_bytes);
        if *sizes.last().expect("at least the 16-byte class") as usize != max_bytes {
            sizes.push(max_bytes as u32);
        }
        let mut by_granules = vec![0u8; max_bytes / GRANULE + 1];
        let mut class = 0;
        for (g, slot) in by_granules.iter_mut().enumerate().skip(1) {
            while (sizes[class] as usize) < g * GRANULE {
                class += 1;
            }
            *slot = class as u8;
        }
        SizeClasses { sizes, by_granules, max_bytes }
    }

    /// The class serving objects of `bytes`, or `None` above the largest. Always below
    /// [`SizeClasses::len`]. Up to 512 bytes the classes step by 16, so the class is worked out
    /// rather than looked up: when `bytes` is known at compile time (the usual case: a runtime
    /// allocates objects of fixed shapes), the whole computation folds away.
    #[inline]
    pub fn class_of(&self, bytes: usize) -> Option<usize> {
        if bytes > self.max_bytes {
            return None;
        }
        let granules = bytes.div_ceil(GRANULE);
        if bytes <= EXACT_CLASS_BYTES {
            return Some(granules.saturating_sub(1));
        }
        self.by_granules.get(granules).map(|&c| c as usize)
    }

    /// The cell size of `class`.
    #[inline]
    pub fn size(&self, class: usize) -> usize {
        self.sizes[class] as usize
    }

    /// How many classes there are.
    pub fn len(&self) -> usize {
        self.sizes.len()
    }

    /// Whether there are no classes (never).
    pub fn is_empty(&self) -> bool {
        self.sizes.is_empty()
    }

    /// The largest object the classes serve.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obmalloc_steps_then_quarters() {
        let c = SizeClasses::new(MAX_CLASS_BYTES);
        assert_eq!(c.len(), 48);
        assert_eq!(c.size(0), 16);
        assert_eq!(c.size(31), 512);
        assert_eq!(c.size(32), 640);
        assert_eq!(c.size(47), 8192);
        for bytes in (16..=MAX_CLASS_BYTES).step_by(16) {
            let class = c.class_of(bytes).unwrap();
            assert!(c.size(class) >= bytes);
            assert!(class == 0 || c.size(class - 1) < bytes, "{bytes} not in the tightest class");
        }
        assert_eq!(c.class_of(MAX_CLASS_BYTES + 16), None);
    }

    #[test]
    fn pymalloc_configuration() {
        let c = SizeClasses::new(512);
        assert_eq!(c.len(), 32);
        assert_eq!(c.class_of(512), Some(31));
        assert_eq!(c.class_of(528), None);
    }
}
