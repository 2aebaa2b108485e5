//! Errors, and the mutator mistakes that the heap reports by name.

use std::fmt;

use crate::ObjRef;

/// Why an allocation failed. Allocation never aborts the process: it collects, and if the
/// configured limit still cannot be met it returns one of these.
///
/// One pointer to an [`AllocErrorKind`] in a box: `Result<ObjRef, AllocError>` is two words,
/// returned in registers, so the allocation fast path and every caller that passes an
/// allocation's result up (a recursive tree builder at each level) never spill a 32-byte
/// result to memory. The box is made only on the cold path that fails
/// ([`AllocError::heap_exhausted`], [`AllocError::too_large`], or `From<AllocErrorKind>`).
///
/// ```
/// use gclab_core::{AllocError, AllocErrorKind, ObjRef};
/// assert_eq!(std::mem::size_of::<Result<ObjRef, AllocError>>(), 16);
/// let e = AllocError::heap_exhausted(4096, 1 << 20, 1 << 20);
/// assert!(matches!(e.kind(), AllocErrorKind::HeapExhausted { limit, .. } if *limit == 1 << 20));
/// assert_eq!(e, AllocErrorKind::HeapExhausted { requested: 4096, heap_bytes: 1 << 20, limit: 1 << 20 }.into());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllocError(Box<AllocErrorKind>);

/// What an [`AllocError`] says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllocErrorKind {
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

impl AllocError {
    /// [`AllocErrorKind::HeapExhausted`]. Out of line and cold: only a failing allocation
    /// calls it.
    #[cold]
    #[inline(never)]
    pub fn heap_exhausted(requested: usize, heap_bytes: usize, limit: usize) -> Self {
        AllocError(Box::new(AllocErrorKind::HeapExhausted { requested, heap_bytes, limit }))
    }

    /// [`AllocErrorKind::TooLarge`]. Out of line and cold.
    #[cold]
    #[inline(never)]
    pub fn too_large(slots: usize, bytes: usize, max_bytes: usize) -> Self {
        AllocError(Box::new(AllocErrorKind::TooLarge { slots, bytes, max_bytes }))
    }

    /// What it says.
    pub fn kind(&self) -> &AllocErrorKind {
        &self.0
    }

    /// Whether the heap limit could not be met ([`AllocErrorKind::HeapExhausted`]).
    pub fn is_heap_exhausted(&self) -> bool {
        matches!(*self.0, AllocErrorKind::HeapExhausted { .. })
    }

    /// Whether the shape cannot be represented ([`AllocErrorKind::TooLarge`]).
    pub fn is_too_large(&self) -> bool {
        matches!(*self.0, AllocErrorKind::TooLarge { .. })
    }
}

impl From<AllocErrorKind> for AllocError {
    #[cold]
    fn from(kind: AllocErrorKind) -> Self {
        AllocError(Box::new(kind))
    }
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for AllocErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllocErrorKind::HeapExhausted { requested, heap_bytes, limit } => write!(
                f,
                "heap exhausted: an allocation of {requested} bytes does not fit under the heap \
                 limit of {limit} bytes ({heap_bytes} bytes held, after freeing and returning \
                 all the backend could: a full collection where it collects)"
            ),
            AllocErrorKind::TooLarge { slots, bytes, max_bytes } => write!(
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
///
/// Two words: the variants whose figures would not fit beside the reference keep them in a
/// box (made on the cold path, by the constructors below), so `Result<Option<ObjRef>,
/// RefError>` and `Result<(), RefError>` are returned in registers.
///
/// ```
/// use gclab_core::{ObjRef, RefError};
/// assert_eq!(std::mem::size_of::<Result<Option<ObjRef>, RefError>>(), 16);
/// let e = RefError::root_out_of_bounds(3, 1);
/// assert_eq!(e.to_string(), "root index out of bounds: root 3 of a root stack of depth 1");
/// ```
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
    SlotOutOfBounds(Box<SlotOutOfBounds>),
    /// A data range past the object's data length.
    DataOutOfBounds(Box<DataOutOfBounds>),
    /// A store into an object made immutable (by [`crate::Heap::allocate_immutable`]).
    Immutable {
        /// The object.
        obj: ObjRef,
        /// The slot the store named (in bounds: a slot count is below 2^31).
        index: u32,
    },
    /// A pop from an empty root stack.
    RootStackEmpty,
    /// A root-stack index past the stack's depth.
    RootOutOfBounds(Box<RootOutOfBounds>),
}

/// The figures of [`RefError::SlotOutOfBounds`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotOutOfBounds {
    /// The object.
    pub obj: ObjRef,
    /// The index used.
    pub index: usize,
    /// The object's slot count.
    pub slots: usize,
}

/// The figures of [`RefError::DataOutOfBounds`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataOutOfBounds {
    /// The object.
    pub obj: ObjRef,
    /// One past the last byte used.
    pub end: usize,
    /// The object's data length.
    pub len: usize,
}

/// The figures of [`RefError::RootOutOfBounds`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootOutOfBounds {
    /// The index used.
    pub index: usize,
    /// The stack's depth.
    pub len: usize,
}

impl RefError {
    /// [`RefError::SlotOutOfBounds`] with its figures. Out of line and cold.
    #[cold]
    #[inline(never)]
    pub fn slot_out_of_bounds(obj: ObjRef, index: usize, slots: usize) -> Self {
        RefError::SlotOutOfBounds(Box::new(SlotOutOfBounds { obj, index, slots }))
    }

    /// [`RefError::DataOutOfBounds`] with its figures. Out of line and cold.
    #[cold]
    #[inline(never)]
    pub fn data_out_of_bounds(obj: ObjRef, end: usize, len: usize) -> Self {
        RefError::DataOutOfBounds(Box::new(DataOutOfBounds { obj, end, len }))
    }

    /// [`RefError::RootOutOfBounds`] with its figures. Out of line and cold.
    #[cold]
    #[inline(never)]
    pub fn root_out_of_bounds(index: usize, len: usize) -> Self {
        RefError::RootOutOfBounds(Box::new(RootOutOfBounds { index, len }))
    }
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
            RefError::SlotOutOfBounds(e) => {
                write!(f, "slot index out of bounds: slot {} of {:?}, which has {} slots", e.index, e.obj, e.slots)
            }
            RefError::DataOutOfBounds(e) => write!(
                f,
                "data index out of bounds: byte range ending at {} of {:?}, which has \
                 {} data bytes",
                e.end, e.obj, e.len
            ),
            RefError::Immutable { obj, index } => write!(
                f,
                "store into an immutable object: slot {index} of {obj:?}, whose slots were fixed \
                 when it was allocated (allocate_immutable)"
            ),
            RefError::RootStackEmpty => write!(f, "root stack underflow: pop from an empty root stack"),
            RefError::RootOutOfBounds(e) => {
                write!(f, "root index out of bounds: root {} of a root stack of depth {}", e.index, e.len)
            }
        }
    }
}

impl std::error::Error for RefError {}

// The point of the boxes: every result of the hot paths is two words, returned in registers.
const _: () = {
    use std::mem::size_of;
    assert!(size_of::<AllocError>() == 8);
    assert!(size_of::<RefError>() == 16);
    assert!(size_of::<Result<ObjRef, AllocError>>() == 16);
    assert!(size_of::<Result<Option<ObjRef>, RefError>>() == 16);
    assert!(size_of::<Result<(), RefError>>() == 16);
};

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
