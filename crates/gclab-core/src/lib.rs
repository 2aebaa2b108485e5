//! The shared ground of every gclab collector: the object model, the [`Heap`] trait, roots,
//! errors and statistics.
//!
//! An object is what a language runtime allocates: a [`Tag`] (its type, as the user numbers
//! types), `N` reference slots and `M` bytes of plain data, `N` and `M` chosen per object. A
//! reference is an [`ObjRef`], a `Copy` handle of 8 bytes, validated by the heap on every use.
//!
//! Backends (`gclab-marksweep` and the others) implement [`Heap`]; code written against the
//! trait runs on any of them, monomorphised. See `docs/architecture.md` for why the model is
//! what it is.

#![warn(missing_docs)]

mod bitmap;
mod config;
mod delegate;
mod error;
mod heap;
mod heap_id;
mod live;
mod memory;
mod object;
mod objref;
mod region;
mod roots;
mod side_table;
mod stats;

pub use bitmap::{SideBitmap, ValidBits};
pub use config::{HeapConfig, Trigger, MAX_HEAP_LIMIT, MIN_HEAP_LIMIT};
pub use delegate::AllocateObject;
pub use error::{
    AllocError, AllocErrorKind, ConfigError, DataOutOfBounds, RefError, RootOutOfBounds, SlotOutOfBounds, VerifyError,
};
pub use heap::{check_from_roots, Heap};
pub use heap_id::HeapId;
pub use live::Live;
pub use memory::{prefetch_read, ObjectMemory, CARVE_ALIGN, MAX_RESERVE};
pub use object::{object_size, Object, Slot, GRANULE, HEADER_BYTES, MAX_SLOTS};
pub use objref::{mix64, ObjRef, Tag};
pub use region::{VirtualRegion, HUGE_PAGE, PAGE_SIZE};
pub use roots::{Root, RootStack, RootTable, Roots};
pub use side_table::SideTable;
pub use stats::{Allocated, CollectionKind, Pause, PauseTimer, Stats};
