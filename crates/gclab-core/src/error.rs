//! Errors, and the mutator mistakes that the heap reports by name.

use std::fmt;

use crate::ObjRef;

/// Why an allocation failed. Allocation never aborts the process: it collects, and if the
/// configured limit still cannot be met it returns one of these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllocError {
    /// The heap limit cannot be met, even after the backend freed and returned all it could
    /// (a full collection, where the backend collects).
    HeapExhausted {
        /// Bytes the failed request needed (rounded to the space's unit).
        requested: usize,
        /// Bytes the heap holds from the system now.
        heap_bytes: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The object's shape cannot be represented (too many slots or data bytes).
    TooLarge {
        /// Slots requested.
        slots: usize,
        /// Data bytes requested.
        bytes: usize,
        /// The largest object size, in bytes, that this heap can hold.
        max_bytes: usize,
    },
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllocError::HeapExhausted { requested, heap_bytes, limit } => write!(
                f,
                "heap exhausted: an allocation of {requested} bytes does not fit under the heap \
                 limit of {limit} bytes ({heap_bytes} bytes held, after freeing and returning \
                 all the backend could: a full collection where it collects)"
            ),
            AllocError::TooLarge { slots, bytes, max_bytes } => write!(
                f,
                "object too large: {slots} slots and {bytes} data bytes exceed the largest \
                 object this heap can hold ({max_bytes} bytes)"
            ),
        }
    }
}

impl std::error::Error for AllocError {}

/// A configuration the heap cannot work with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The field at fault.
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad heap configuration: `{}` {}", self.field, self.reason)
    }
}

impl std::error::Error for ConfigError {}

/// A mutator mistake in using a reference. The safe API panics with this error's message;
/// the `try_` methods return it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefError {
    /// The reference was made by another heap.
    Foreign {
        /// The reference.
        obj: ObjRef,
        /// The id of the heap it was used with.
        heap_id: u16,
    },
    /// No object lives where the reference points: it was freed by a collection, or moved by
    /// one while the reference sat unrooted in a Rust local.
    Stale {
        /// The reference.
        obj: ObjRef,
    },
    /// The object the reference was made for was freed, and its memory now holds another
    /// object (detected by sequence numbers under the `checked` feature).
    Reused {
        /// The reference.
        obj: ObjRef,
        /// The sequence number of the object now in the cell.
        found_seq: u16,
    },
    /// A slot index past the object's slot count.
    SlotOutOfBounds {
        /// The object.
        obj: ObjRef,
        /// The index used.
        index: usize,
        /// The object's slot count.
        slots: usize,
    },
    /// A data range past the object's data length.
    DataOutOfBounds {
        /// The object.
        obj: ObjRef,
        /// One past the last byte used.
        end: usize,
        /// The object's data length.
        len: usize,
    },
    /// A store into an object made immutable (by [`crate::Heap::allocate_immutable`]).
    Immutable {
        /// The object.
        obj: ObjRef,
        /// The slot the store named.
        index: usize,
    },
    /// A pop from an empty root stack.
    RootStackEmpty,
    /// A root-stack index past the stack's depth.
    RootOutOfBounds {
        /// The index used.
        index: usize,
        /// The stack's depth.
        len: usize,
    },
}

impl fmt::Display for RefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefError::Foreign { obj, heap_id } => {
                write!(f, "foreign reference: {obj:?} was made by heap {} but used with heap {heap_id}", obj.heap_id())
            }
            RefError::Stale { obj } => write!(
                f,
                "stale reference: {obj:?} points to no live object; it was freed or moved by a \
                 collection (a reference kept in a Rust local across an allocation or \
                 collection must be rooted)"
            ),
            RefError::Reused { obj, found_seq } => write!(
                f,
                "stale reference: {obj:?} points to a freed object whose memory was reused by \
                 another object (seq {found_seq}); a reference kept in a Rust local across an \
                 allocation or collection must be rooted"
            ),
            RefError::SlotOutOfBounds { obj, index, slots } => {
                write!(f, "slot index out of bounds: slot {index} of {obj:?}, which has {slots} slots")
            }
            RefError::DataOutOfBounds { obj, end, len } => write!(
                f,
                "data index out of bounds: byte range ending at {end} of {obj:?}, which has \
                 {len} data bytes"
            ),
            RefError::Immutable { obj, index } => write!(
                f,
                "store into an immutable object: slot {index} of {obj:?}, whose slots were fixed \
                 when it was allocated (allocate_immutable)"
            ),
            RefError::RootStackEmpty => write!(f, "root stack underflow: pop from an empty root stack"),
            RefError::RootOutOfBounds { index, len } => {
                write!(f, "root index out of bounds: root {index} of a root stack of depth {len}")
            }
        }
    }
}

impl std::error::Error for RefError {}

/// A broken internal invariant found by `verify()`: always a collector bug, never a mutator
/// mistake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyError(pub String);

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "heap invariant broken: {}", self.0)
    }
}

impl std::error::Error for VerifyError {}

/// Returns a `VerifyError` from the enclosing function unless `cond` holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err($crate::VerifyError(format!($($fmt)+)));
        }
    };
}
