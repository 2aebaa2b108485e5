//! Address space reserved from the operating system, committed lazily, returned on demand.

use std::ptr::NonNull;

use crate::ConfigError;

/// A contiguous range of virtual memory, reserved at once and committed page by page by the
/// kernel as it is first touched (`MAP_NORESERVE`), so reserving far more than is used costs
/// nothing. [`VirtualRegion::decommit`] gives pages back; they read as zero afterwards.
///
/// Reserving one range per heap is what lets a reference be a 32-bit granule offset and a
/// validity check be a bounds test plus a bitmap lookup.
#[derive(Debug)]
pub struct VirtualRegion {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: the region is plain memory owned by this value; access to its contents is
// synchronised by its users (atomics or `&mut`).
unsafe impl Send for VirtualRegion {}
// SAFETY: as above; the methods that take `&self` only hand out raw pointers.
unsafe impl Sync for VirtualRegion {}

/// The size of a page as the region manages it.
pub const PAGE_SIZE: usize = 4096;

impl VirtualRegion {
    /// Reserves `len` bytes (rounded up to whole pages), zero-filled.
    pub fn reserve(len: usize) -> Result<Self, ConfigError> {
        let len = len.max(PAGE_SIZE).next_multiple_of(PAGE_SIZE);
        // SAFETY: an anonymous private mapping at an address of the kernel's choosing touches
        // no existing memory; the result is checked against MAP_FAILED below.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(ConfigError {
                field: "heap_limit",
                reason: format!(
                    "asks for {len} bytes of address space, which the system refused ({})",
                    std::io::Error::last_os_error()
                ),
            });
        }
        let base = NonNull::new(ptr.cast::<u8>()).expect("mmap never returns null on success");
        Ok(VirtualRegion { base, len })
    }

    /// The first byte.
    #[inline]
    pub fn base(&self) -> *mut u8 {
        self.base.as_ptr()
    }

    /// The length in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the region is empty (never: regions hold at least a page).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Returns the pages of `offset..offset + len` to the system. They read as zero when next
    /// touched. Both ends must be page-aligned.
    pub fn decommit(&self, offset: usize, len: usize) {
        assert!(offset % PAGE_SIZE == 0 && len % PAGE_SIZE == 0, "decommit of unaligned range");
        assert!(offset.checked_add(len).is_some_and(|end| end <= self.len), "decommit out of range");
        // SAFETY: the range lies inside our mapping (checked above). MADV_DONTNEED on a private
        // anonymous mapping drops the pages; the mapping stays valid and reads as zero. Callers
        // hold no references into the range (they only free memory that holds no live object).
        let rc = unsafe { libc::madvise(self.base.as_ptr().add(offset).cast(), len, libc::MADV_DONTNEED) };
        debug_assert_eq!(rc, 0, "madvise failed: {}", std::io::Error::last_os_error());
    }
}

impl Drop for VirtualRegion {
    fn drop(&mut self) {
        // SAFETY: `base..base+len` is exactly the mapping made in `reserve`, and no reference
        // into it outlives `self` (every user borrows the region or its owner).
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserve_write_decommit() {
        let r = VirtualRegion::reserve(1 << 30).unwrap();
        // SAFETY: offsets are inside the reserved range.
        unsafe {
            *r.base().add(PAGE_SIZE) = 7;
            assert_eq!(*r.base().add(PAGE_SIZE), 7);
        }
        r.decommit(0, 2 * PAGE_SIZE);
        // SAFETY: as above; decommitted pages read as zero.
        unsafe { assert_eq!(*r.base().add(PAGE_SIZE), 0) };
    }
}
