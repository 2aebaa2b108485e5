//! Address space reserved from the operating system, made accessible and committed on demand.
//!
//! Two kinds of reservation:
//!
//! - [`VirtualRegion::reserve`]: **inaccessible** (`PROT_NONE`) until a space makes part of it
//!   accessible with [`VirtualRegion::commit`]. Object memory uses this, so a stray write into
//!   a part of the reservation that no space has handed out faults at once instead of silently
//!   committing memory, and memory a space has [released](VirtualRegion::release) faults too.
//! - [`VirtualRegion::reserve_accessible`]: readable and writable from the start, committed by
//!   the kernel page by page as it is first touched. Side metadata (bitmaps, side tables) uses
//!   this: it is indexed by granule over the whole reservation and read before it is written.
//!
//! Under Miri, which has no `mmap` flags nor `madvise`/`mprotect`, the region is one zeroed
//! allocation of the global allocator, decommitting writes zeros (which is what the kernel
//! makes the pages read as), and access changes are no-ops.

use std::ptr::NonNull;

use crate::ConfigError;

/// A contiguous range of virtual memory, reserved at once and committed page by page, so
/// reserving far more than is used costs nothing. See the module documentation.
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
// SAFETY: as above; the methods that take `&self` only hand out raw pointers or change page
// state under `unsafe` contracts.
unsafe impl Sync for VirtualRegion {}

/// The size of a page as the region manages it.
pub const PAGE_SIZE: usize = 4096;

/// The size of a transparent huge page on x86-64.
pub const HUGE_PAGE: usize = 2 << 20;

impl VirtualRegion {
    /// Reserves `len` bytes (rounded up to whole pages), inaccessible until committed.
    pub fn reserve(len: usize) -> Result<Self, ConfigError> {
        Self::map(len, false)
    }

    /// Reserves `len` bytes (rounded up to whole pages), readable, writable and zero.
    pub fn reserve_accessible(len: usize) -> Result<Self, ConfigError> {
        Self::map(len, true)
    }

    #[cfg(not(miri))]
    fn map(len: usize, accessible: bool) -> Result<Self, ConfigError> {
        let len = len.max(PAGE_SIZE).next_multiple_of(PAGE_SIZE);
        let prot = if accessible { libc::PROT_READ | libc::PROT_WRITE } else { libc::PROT_NONE };
        // SAFETY: an anonymous private mapping at an address of the kernel's choosing touches
        // no existing memory; the result is checked against MAP_FAILED below.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(refused(len));
        }
        let base = NonNull::new(ptr.cast::<u8>()).expect("mmap never returns null on success");
        Ok(VirtualRegion { base, len })
    }

    #[cfg(miri)]
    fn map(len: usize, _accessible: bool) -> Result<Self, ConfigError> {
        let len = len.max(PAGE_SIZE).next_multiple_of(PAGE_SIZE);
        let layout = std::alloc::Layout::from_size_align(len, PAGE_SIZE).map_err(|_| refused(len))?;
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
        let base = NonNull::new(ptr).ok_or_else(|| refused(len))?;
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

    /// Panics unless `offset..offset + len` is a page-aligned range inside the region.
    #[track_caller]
    fn check_range(&self, offset: usize, len: usize) {
        assert!(offset % PAGE_SIZE == 0 && len % PAGE_SIZE == 0, "page operation on an unaligned range");
        assert!(offset.checked_add(len).is_some_and(|end| end <= self.len), "page operation out of range");
    }

    /// Makes `offset..offset + len` (page-aligned) readable and writable; its pages read as
    /// zero if never touched or decommitted, and are committed by the kernel as they are
    /// touched. Returns `false` if the system refused (too many mappings, say): the caller
    /// must then not use the range. Safe: it only ever widens access to memory the region owns.
    #[track_caller]
    pub fn commit(&self, offset: usize, len: usize) -> bool {
        self.check_range(offset, len);
        if len == 0 {
            return true;
        }
        #[cfg(not(miri))]
        {
            // SAFETY: the range lies inside our mapping (checked above); changing its
            // protection to read-write invalidates no reference into it.
            let rc = unsafe {
                libc::mprotect(self.base.as_ptr().add(offset).cast(), len, libc::PROT_READ | libc::PROT_WRITE)
            };
            rc == 0
        }
        #[cfg(miri)]
        true
    }

    /// [`VirtualRegion::commit`] for memory that should be backed by transparent huge pages:
    /// the range is widened to whole 2 MiB blocks (within the region) before it is made
    /// accessible, and the kernel is asked to back it with huge pages (`MADV_HUGEPAGE`), so a
    /// first touch faults in 2 MiB at once instead of 4 KiB. Protection against stray
    /// accesses then works at 2 MiB granularity. Returns `false` if the system refused.
    #[track_caller]
    pub fn commit_huge(&self, offset: usize, len: usize) -> bool {
        self.check_range(offset, len);
        if len == 0 {
            return true;
        }
        let start = offset / HUGE_PAGE * HUGE_PAGE;
        let end = (offset + len).next_multiple_of(HUGE_PAGE).min(self.len);
        if !self.commit(start, end - start) {
            return false;
        }
        #[cfg(not(miri))]
        // SAFETY: the range lies inside our mapping; the advice changes no contents. A refusal
        // (no THP support) leaves ordinary pages, which is correct, only slower.
        unsafe {
            libc::madvise(self.base.as_ptr().add(start).cast(), end - start, libc::MADV_HUGEPAGE);
        }
        true
    }

    /// Returns the pages of `offset..offset + len` (page-aligned) to the system; they stay
    /// accessible and read as zero afterwards. If the system refuses, they are zeroed by hand,
    /// so callers may always rely on the zeros.
    ///
    /// # Safety
    /// The range must be accessible (committed), and no reference into it (a `&[u8]` from
    /// `data()`, a slot, an `Object` view) may be used afterwards: its contents vanish. The
    /// memory's owner must hold no live object there.
    #[track_caller]
    pub unsafe fn decommit(&self, offset: usize, len: usize) {
        self.check_range(offset, len);
        if len == 0 {
            return;
        }
        // SAFETY: in range (checked); the caller guarantees nothing uses the contents.
        let start = unsafe { self.base.as_ptr().add(offset) };
        #[cfg(not(miri))]
        {
            // SAFETY: MADV_DONTNEED on part of our private anonymous mapping drops its pages;
            // the mapping stays valid and reads as zero.
            let rc = unsafe { libc::madvise(start.cast(), len, libc::MADV_DONTNEED) };
            if rc == 0 {
                return;
            }
        }
        // SAFETY: the range is accessible and unused (the caller's contract).
        unsafe { std::ptr::write_bytes(start, 0, len) };
    }

    /// Returns the pages of `offset..offset + len` (page-aligned) to the system and makes the
    /// range inaccessible again, so a stray access faults; [`VirtualRegion::commit`] makes it
    /// usable (and zero) again.
    ///
    /// # Safety
    /// As [`VirtualRegion::decommit`]; in addition nothing may access the range at all until
    /// it is committed again.
    #[track_caller]
    pub unsafe fn release(&self, offset: usize, len: usize) {
        self.check_range(offset, len);
        if len == 0 {
            return;
        }
        #[cfg(not(miri))]
        {
            // SAFETY: in range (checked).
            let start = unsafe { self.base.as_ptr().add(offset) };
            // SAFETY: replacing part of our own mapping with a fresh inaccessible anonymous one
            // drops its pages in the same system call; the caller guarantees nothing uses it.
            let ptr = unsafe {
                libc::mmap(
                    start.cast(),
                    len,
                    libc::PROT_NONE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED,
                    -1,
                    0,
                )
            };
            if ptr != libc::MAP_FAILED {
                return;
            }
        }
        // The system refused a new mapping (or this is Miri): the pages are zeroed and stay
        // accessible, which is all that correctness needs; only the fault on stray access is lost.
        // SAFETY: forwarded to the caller.
        unsafe { self.decommit(offset, len) };
    }
}

fn refused(len: usize) -> ConfigError {
    ConfigError {
        field: "heap_limit",
        reason: format!(
            "asks for {len} bytes of address space, which the system refused ({})",
            std::io::Error::last_os_error()
        ),
    }
}

impl Drop for VirtualRegion {
    fn drop(&mut self) {
        // SAFETY: `base..base+len` is exactly the mapping made in `map`, and no reference
        // into it outlives `self` (every user borrows the region or its owner).
        #[cfg(not(miri))]
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.len);
        }
        // SAFETY: as above; the allocation was made with this layout in `map`.
        #[cfg(miri)]
        unsafe {
            std::alloc::dealloc(self.base.as_ptr(), std::alloc::Layout::from_size_align_unchecked(self.len, PAGE_SIZE));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_write_decommit_release() {
        let r = VirtualRegion::reserve(1 << 24).unwrap();
        assert!(r.commit(0, 4 * PAGE_SIZE));
        // SAFETY: offsets are inside the committed range.
        unsafe {
            *r.base().add(PAGE_SIZE) = 7;
            assert_eq!(*r.base().add(PAGE_SIZE), 7);
        }
        // SAFETY: nothing refers into the range.
        unsafe { r.decommit(0, 2 * PAGE_SIZE) };
        // SAFETY: as above; decommitted pages stay accessible and read as zero.
        unsafe { assert_eq!(*r.base().add(PAGE_SIZE), 0) };
        // SAFETY: nothing refers into the range, and nothing touches it until committed.
        unsafe {
            *r.base().add(3 * PAGE_SIZE) = 9;
            r.release(2 * PAGE_SIZE, 2 * PAGE_SIZE);
        }
        assert!(r.commit(2 * PAGE_SIZE, 2 * PAGE_SIZE));
        // SAFETY: committed again; released pages come back zero.
        unsafe { assert_eq!(*r.base().add(3 * PAGE_SIZE), 0) };
    }

    #[test]
    fn huge_commits_widen_to_whole_huge_pages() {
        let r = VirtualRegion::reserve(8 << 20).unwrap();
        assert!(r.commit_huge(3 << 20, PAGE_SIZE));
        // SAFETY: the whole 2 MiB block around the committed page is accessible now.
        unsafe {
            *r.base().add(2 << 20) = 1;
            *r.base().add((4 << 20) - 1) = 2;
            assert_eq!(*r.base().add(3 << 20), 0);
        }
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn page_operations_check_their_range() {
        let r = VirtualRegion::reserve(PAGE_SIZE).unwrap();
        r.commit(0, 2 * PAGE_SIZE);
    }

    /// A write into the reservation outside every committed range faults: checked in a child
    /// process, which must die of SIGSEGV.
    #[cfg(not(miri))]
    #[test]
    fn uncommitted_memory_faults() {
        if std::env::var_os("GCLAB_FAULT_CHILD").is_some() {
            let r = VirtualRegion::reserve(1 << 20).unwrap();
            // SAFETY: none; this child process exists to fault here.
            unsafe { std::ptr::write_volatile(r.base().add(PAGE_SIZE), 1) };
            std::process::exit(0);
        }
        let exe = std::env::current_exe().unwrap();
        let status = std::process::Command::new(exe)
            .args(["--exact", "region::tests::uncommitted_memory_faults", "--nocapture", "--test-threads=1"])
            .env("GCLAB_FAULT_CHILD", "1")
            .status()
            .unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGSEGV), "a write into uncommitted memory must fault: {status:?}");
    }
}
