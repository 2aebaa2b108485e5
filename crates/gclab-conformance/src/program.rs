//! Mutator programs: the generated operations ([`Op`]), their resolved form ([`Step`]) and the
//! proptest strategies that generate them.
//!
//! Objects are always named by root-stack position or handle index, never by a reference kept
//! in a Rust local, because a local is not a root across an allocation. Generated indices are
//! arbitrary; [`crate::Model::resolve`] reduces them modulo the current lengths, and an op
//! that does not apply becomes a no-op. That keeps every shrunk program meaningful.

use proptest::collection::vec;
use proptest::prelude::*;

/// Slots of the "large by slots" shape: 16 KiB of slots, over the 8 KiB large-object limit.
pub const LARGE_SLOTS: usize = 2_000;

/// Bytes of the "large by data" shape, over the 8 KiB large-object limit.
pub const LARGE_BYTES: usize = 20_000;

/// Most ops in one generated program.
pub const MAX_PROGRAM_LEN: usize = 100;

/// One generated mutator operation. Indices are raw: they are reduced modulo the current
/// root-stack depth, slot count, data length or handle count when the op runs.
///
/// The `Debug` form is valid Rust after `use gclab_conformance::Op::*;`, so a shrunk program
/// printed by a failing test can be pasted into a regression test for
/// [`crate::run_program`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Allocates an object and pushes it on the root stack.
    Alloc {
        /// The tag.
        tag: u16,
        /// Reference slots.
        slots: usize,
        /// Data bytes.
        bytes: usize,
    },
    /// Allocates an object whose first slots take the top `take` root-stack entries (reduced
    /// modulo `min(slots, depth) + 1`), which are popped, and pushes it
    /// ([`gclab_core::Heap::allocate_from_roots`]).
    AllocFromRoots {
        /// The tag.
        tag: u16,
        /// Reference slots.
        slots: usize,
        /// Data bytes.
        bytes: usize,
        /// Root-stack entries moved into the slots.
        take: usize,
    },
    /// As [`Op::AllocFromRoots`], and the object's slots are immutable from then on
    /// ([`gclab_core::Heap::allocate_immutable`]): no later store targets it.
    AllocImmutable {
        /// The tag.
        tag: u16,
        /// Reference slots.
        slots: usize,
        /// Data bytes.
        bytes: usize,
        /// Root-stack entries moved into the slots.
        take: usize,
    },
    /// Allocates an object and stores it in slot `slot` of the object at root `root`
    /// (which must survive the allocation: it is on the root stack).
    AllocInto {
        /// Root-stack entry holding the object written.
        root: usize,
        /// The slot written.
        slot: usize,
        /// The new object's tag.
        tag: u16,
        /// The new object's slots.
        slots: usize,
        /// The new object's data bytes.
        bytes: usize,
    },
    /// Allocates `count` objects that are garbage as soon as the op ends: each points to the
    /// object at root `link` (slot 0) and to the previous one (slot 1), as far as it has
    /// slots. Fills pools, triggers collections, and frees objects that point to live ones.
    AllocGarbage {
        /// How many objects.
        count: usize,
        /// Reference slots of each.
        slots: usize,
        /// Data bytes of each.
        bytes: usize,
        /// Root-stack entry whose object the garbage points to.
        link: usize,
    },
    /// Stores the object at root `value` (or null) in slot `slot` of the object at root `root`.
    Store {
        /// Root-stack entry holding the object written.
        root: usize,
        /// The slot written.
        slot: usize,
        /// Root-stack entry holding the value.
        value: usize,
    },
    /// Stores the object at root `root` in one of its own slots.
    StoreSelf {
        /// Root-stack entry holding the object.
        root: usize,
        /// The slot written.
        slot: usize,
    },
    /// Stores null in slot `slot` of the object at root `root`.
    StoreNull {
        /// Root-stack entry holding the object written.
        root: usize,
        /// The slot written.
        slot: usize,
    },
    /// Loads slot `slot` of the object at root `root` and pushes the value on the root stack.
    Load {
        /// Root-stack entry holding the object read.
        root: usize,
        /// The slot read.
        slot: usize,
    },
    /// Pushes a copy of root-stack entry `root`.
    Dup {
        /// The entry copied.
        root: usize,
    },
    /// Pushes null.
    PushNull,
    /// Pops the top of the root stack.
    Pop,
    /// Overwrites root-stack entry `index` with entry `from` (`set_root`).
    SetRoot {
        /// The entry written.
        index: usize,
        /// The entry copied.
        from: usize,
    },
    /// Overwrites root-stack entry `index` with null.
    ClearRoot {
        /// The entry cleared.
        index: usize,
    },
    /// Truncates the root stack to `depth` entries (modulo depth + 1).
    Truncate {
        /// The depth kept.
        depth: usize,
    },
    /// Writes `value` at byte `offset` of the data of the object at root `root`.
    WriteData {
        /// Root-stack entry holding the object written.
        root: usize,
        /// The byte written.
        offset: usize,
        /// The value written.
        value: u8,
    },
    /// Makes an RAII handle (`Heap::root`) for the object at root `root`.
    CreateHandle {
        /// Root-stack entry holding the object.
        root: usize,
    },
    /// Drops handle `handle` (handles are kept in creation order).
    DropHandle {
        /// The handle dropped.
        handle: usize,
    },
    /// Pushes the object of handle `handle` on the root stack.
    LoadHandle {
        /// The handle read.
        handle: usize,
    },
    /// Runs a full collection.
    CollectFull,
    /// Runs a minor collection.
    CollectMinor,
}

/// An [`Op`] resolved against the current state: every index is in bounds, every named
/// root-stack entry that must hold an object does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Allocate and push.
    Alloc {
        /// The tag.
        tag: u16,
        /// Reference slots.
        slots: usize,
        /// Data bytes.
        bytes: usize,
    },
    /// Allocate, moving the top `take` root-stack entries into the first slots, and push.
    AllocFromRoots {
        /// The tag.
        tag: u16,
        /// Reference slots.
        slots: usize,
        /// Data bytes.
        bytes: usize,
        /// Root-stack entries moved (at most `slots` and the depth).
        take: usize,
    },
    /// Allocate, moving the top `take` root-stack entries into the first slots, make the
    /// slots immutable, and push.
    AllocImmutable {
        /// The tag.
        tag: u16,
        /// Reference slots.
        slots: usize,
        /// Data bytes.
        bytes: usize,
        /// Root-stack entries moved (at most `slots` and the depth).
        take: usize,
    },
    /// Allocate and store into `slot` of the object at root `root`.
    AllocInto {
        /// Root-stack entry holding the object written.
        root: usize,
        /// The slot written.
        slot: usize,
        /// The tag.
        tag: u16,
        /// Reference slots.
        slots: usize,
        /// Data bytes.
        bytes: usize,
    },
    /// Allocate `count` objects, each pointing to the entry at root `link` (slot 0) and to the
    /// previous one (slot 1), and drop them all (the model does not change).
    AllocGarbage {
        /// How many objects.
        count: usize,
        /// Reference slots of each.
        slots: usize,
        /// Data bytes of each.
        bytes: usize,
        /// Root-stack entry the garbage points to, if the stack is not empty.
        link: Option<usize>,
    },
    /// Store the entry at root `value` (`None`: null) into `slot` of the object at `root`.
    Store {
        /// Root-stack entry holding the object written.
        root: usize,
        /// The slot written.
        slot: usize,
        /// Root-stack entry holding the value, or `None` for null.
        value: Option<usize>,
    },
    /// Load `slot` of the object at `root` and push the value.
    Load {
        /// Root-stack entry holding the object read.
        root: usize,
        /// The slot read.
        slot: usize,
    },
    /// Push a copy of entry `root`.
    Dup {
        /// The entry copied.
        root: usize,
    },
    /// Push null.
    PushNull,
    /// Pop.
    Pop,
    /// Overwrite entry `index` with entry `from` (`None`: null).
    SetRoot {
        /// The entry written.
        index: usize,
        /// The entry copied, or `None` for null.
        from: Option<usize>,
    },
    /// Truncate the root stack to `depth`.
    Truncate {
        /// The depth kept.
        depth: usize,
    },
    /// Write one data byte of the object at `root`.
    WriteData {
        /// Root-stack entry holding the object written.
        root: usize,
        /// The byte written.
        offset: usize,
        /// The value written.
        value: u8,
    },
    /// Make a handle for the object at `root`.
    CreateHandle {
        /// Root-stack entry holding the object.
        root: usize,
    },
    /// Drop handle `handle`.
    DropHandle {
        /// The handle dropped.
        handle: usize,
    },
    /// Push the object of handle `handle`.
    LoadHandle {
        /// The handle read.
        handle: usize,
    },
    /// Full collection.
    CollectFull,
    /// Minor collection.
    CollectMinor,
}

/// Object shapes `(slots, bytes)`: mostly small, some without slots, some over the 8 KiB
/// large-object limit (by slots or by data) and some right around it.
pub fn shape() -> impl Strategy<Value = (usize, usize)> {
    prop_oneof![
        24 => (0usize..8, 0usize..48),
        4 => (Just(0usize), 0usize..64),
        1 => (Just(LARGE_SLOTS), 0usize..64),
        1 => (0usize..4, Just(LARGE_BYTES)),
        1 => (Just(0usize), 8_160usize..8_200),
        1 => (1_016usize..1_024, 0usize..16),
    ]
}

/// Garbage batches `(count, slots, bytes)`: many small objects, or a few large ones.
pub fn garbage() -> impl Strategy<Value = (usize, usize, usize)> {
    prop_oneof![
        8 => (0usize..800, 0usize..4, 0usize..100),
        1 => (0usize..40, 0usize..3, 8_200usize..LARGE_BYTES),
    ]
}

/// A raw root-stack, slot, offset or handle index (reduced modulo a length when used).
fn index() -> impl Strategy<Value = usize> {
    0usize..64
}

/// One generated [`Op`], weighted towards allocation, stores and loads.
pub fn op() -> impl Strategy<Value = Op> {
    let alloc = (0u16..1_000, shape()).prop_map(|(tag, (slots, bytes))| Op::Alloc { tag, slots, bytes });
    let alloc_into = (index(), index(), 0u16..1_000, shape())
        .prop_map(|(root, slot, tag, (slots, bytes))| Op::AllocInto { root, slot, tag, slots, bytes });
    let alloc_from_roots = (0u16..1_000, shape(), 0usize..4)
        .prop_map(|(tag, (slots, bytes), take)| Op::AllocFromRoots { tag, slots, bytes, take });
    let alloc_immutable = (0u16..1_000, shape(), 0usize..4)
        .prop_map(|(tag, (slots, bytes), take)| Op::AllocImmutable { tag, slots, bytes, take });
    prop_oneof![
        20 => alloc,
        6 => alloc_into,
        4 => alloc_from_roots,
        4 => alloc_immutable,
        2 => (garbage(), index())
            .prop_map(|((count, slots, bytes), link)| Op::AllocGarbage { count, slots, bytes, link }),
        12 => (index(), index(), index())
            .prop_map(|(root, slot, value)| Op::Store { root, slot, value }),
        2 => (index(), index()).prop_map(|(root, slot)| Op::StoreSelf { root, slot }),
        3 => (index(), index()).prop_map(|(root, slot)| Op::StoreNull { root, slot }),
        10 => (index(), index()).prop_map(|(root, slot)| Op::Load { root, slot }),
        3 => index().prop_map(|root| Op::Dup { root }),
        1 => Just(Op::PushNull),
        5 => Just(Op::Pop),
        3 => (index(), index()).prop_map(|(index, from)| Op::SetRoot { index, from }),
        2 => index().prop_map(|index| Op::ClearRoot { index }),
        1 => index().prop_map(|depth| Op::Truncate { depth }),
        5 => (index(), 0usize..20_000, any::<u8>())
            .prop_map(|(root, offset, value)| Op::WriteData { root, offset, value }),
        3 => index().prop_map(|root| Op::CreateHandle { root }),
        2 => index().prop_map(|handle| Op::DropHandle { handle }),
        2 => index().prop_map(|handle| Op::LoadHandle { handle }),
        3 => Just(Op::CollectFull),
        2 => Just(Op::CollectMinor),
    ]
}

/// A generated program of up to [`MAX_PROGRAM_LEN`] ops; shrinking removes ops and simplifies
/// the rest.
pub fn program() -> impl Strategy<Value = Vec<Op>> {
    vec(op(), 0..=MAX_PROGRAM_LEN)
}
