//! Memory *policies* shared by gclab backends, after mmtk-core's split of policies (how a
//! space hands out and takes back memory) from plans (which spaces a collector combines):
//!
//! - [`PoolSpace`]: CPython-obmalloc-style arenas, pools and size-class free lists for small
//!   and medium objects (up to 8 KiB by default);
//! - [`LargeObjectSpace`]: page-granular runs for larger objects, each returned to the system
//!   when freed;
//! - [`BumpSpace`]: one contiguous range handed out by a cursor and emptied all at once (the
//!   no-GC baseline's only space; a copying nursery's allocation policy);
//! - [`mark_transitive`]: the marking loop (explicit work list, no recursion);
//! - [`allocate_collecting_once`]: the allocation slow path's policy (collect once, then give
//!   up).
//!
//! Every space lives inside one heap's [`gclab_core::ObjectMemory`], sets the valid-object bit
//! of each object it hands out (through `ObjectMemory::init_object`, called by the plan) and
//! clears it when the object is freed, so the safe API can validate references.

#![warn(missing_docs)]

mod bump;
mod large;
mod pool;
mod size_class;
mod slow_path;
mod trace;

pub use bump::BumpSpace;
pub use large::LargeObjectSpace;
pub use pool::{LazySweep, PoolConfig, PoolSpace, SweepProgress};
pub use size_class::{SizeClasses, EXACT_CLASS_BYTES, MAX_CLASS_BYTES};
pub use slow_path::allocate_collecting_once;
pub use trace::{mark_transitive, PrefetchWindow};
