//! The holes of the soundness review (issue 8) that were closed by making a call `unsafe` or
//! removing it: each reproducer, as it was written against the old API, must no longer
//! compile. Run by `cargo test --doc -p gclab`.
//!
//! 1. Forging an object start through the valid-object bitmap:
//!
//! ```compile_fail
//! # use gclab::{Heap, MarkSweepHeap, Tag};
//! let mut heap = MarkSweepHeap::new();
//! let obj = heap.allocate(Tag(1), 0, 64).unwrap();
//! heap.memory().valid_bits().set(obj.granule() as usize + 1); // read-only view: no `set`
//! ```
//!
//! ```compile_fail
//! # use gclab::{Heap, MarkSweepHeap};
//! let heap = MarkSweepHeap::new();
//! heap.memory().valid_bits().word(0).store(!0, std::sync::atomic::Ordering::Relaxed); // no `word`
//! ```
//!
//! The writer exists, but only as an `unsafe fn`:
//!
//! ```compile_fail,E0133
//! # use gclab::{Heap, MarkSweepHeap};
//! let heap = MarkSweepHeap::new();
//! heap.memory().valid_bits_writer().set(4);
//! ```
//!
//! 2. Decommitting memory under live objects:
//!
//! ```compile_fail,E0133
//! # use gclab::{Heap, MarkSweepHeap};
//! let heap = MarkSweepHeap::new();
//! heap.memory().decommit(0, 1 << 20);
//! ```
//!
//! ```compile_fail,E0133
//! # use gclab::{Heap, MarkSweepHeap};
//! let heap = MarkSweepHeap::new();
//! heap.memory().region().decommit(0, 1 << 20);
//! ```
//!
//! 3. Rewriting a reference count through the header word:
//!
//! ```compile_fail
//! # use gclab::{Heap, RefcountHeap, Tag};
//! let mut heap = RefcountHeap::new();
//! let obj = heap.allocate(Tag(1), 1, 0).unwrap();
//! let meta = heap.memory().resolve(obj).unwrap().meta();
//! meta.store(0, std::sync::atomic::Ordering::Relaxed); // `meta()` is a `u32` now
//! ```
//!
//! ```compile_fail,E0133
//! # use gclab::{Heap, RefcountHeap, Tag};
//! let mut heap = RefcountHeap::new();
//! let obj = heap.allocate(Tag(1), 1, 0).unwrap();
//! heap.memory().resolve(obj).unwrap().set_meta(0);
//! ```
//!
//! Making a mutable object immutable behind the backend's back:
//!
//! ```compile_fail,E0133
//! # use gclab::{Heap, RefcountHeap, Tag};
//! let mut heap = RefcountHeap::new();
//! let obj = heap.allocate(Tag(1), 1, 0).unwrap();
//! heap.memory().resolve(obj).unwrap().make_immutable();
//! ```
//!
//! 4. Unchecked address arithmetic is `unsafe` (the safe `addr_of` is bounds-checked):
//!
//! ```compile_fail,E0133
//! # use gclab::{Heap, MarkSweepHeap};
//! let heap = MarkSweepHeap::new();
//! let _ = heap.memory().addr_of_unchecked(usize::MAX / 16);
//! ```
//!
//! 5. Filling a root stack with unvalidated references (the collector traces them blindly):
//!
//! ```compile_fail,E0133
//! # use gclab::backend::RootStack;
//! let mut stack = RootStack::new();
//! stack.push(gclab::ObjRef::from_bits(0xdead_beef));
//! ```
//!
//! 6. `plain_roots_and_memory!` moving roots into whatever a safe `allocate_object` returned:
//! the macro now calls `AllocateObject::allocate_object`, an `unsafe trait` whose implementor
//! promises a fresh object with the slots asked for; without `unsafe impl` the backend does
//! not compile (the `compile_fail` example on `gclab::backend::AllocateObject`). Calling the
//! method is `unsafe` too, since it may leave slots for the caller to fill:
//!
//! ```compile_fail,E0133
//! use gclab::backend::AllocateObject;
//! # use gclab::{Heap, MarkSweepHeap, Tag};
//! let mut heap = MarkSweepHeap::new();
//! let _ = heap.allocate_object(Tag(1), 2, 0, false, 2); // two slots of stale bits
//! ```
//!
//! The same reproducers with `unsafe` blocks added compile, which shows the failures above
//! are the `unsafe` requirements and not typos:
//!
//! ```no_run
//! # use gclab::{Heap, MarkSweepHeap, Tag};
//! let mut heap = MarkSweepHeap::new();
//! let obj = heap.allocate(Tag(1), 0, 64).unwrap();
//! // SAFETY: none; this example is never run.
//! unsafe {
//!     heap.memory().valid_bits_writer().set(obj.granule() as usize + 1);
//!     heap.memory().decommit(0, 1 << 20);
//!     heap.memory().region().decommit(0, 1 << 20);
//!     heap.memory().resolve(obj).unwrap().set_meta(0);
//! }
//! ```
