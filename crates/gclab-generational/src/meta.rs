//! The generational backend's use of an object's 32-bit `meta` header word.
//!
//! ```text
//!  bit 31     30 .. 8          7 6   5        4          3 .. 0
//!  forwarded  identity hash    -     hashed   unlogged   age
//! ```
//!
//! - **age**: minor collections the object survived in the nursery.
//! - **unlogged**: set on an old object that is not in the remembered set. The write barrier
//!   takes its slow path when it stores a young reference into an object with this bit set;
//!   the slow path clears it and remembers the object (mmtk-core's "log bit", inverted so that
//!   young objects, born with meta 0, never take the slow path). Large arrays keep it set and
//!   are remembered by card instead.
//! - **hashed** and **identity hash**: set the first time `identity_hash` is asked for, kept
//!   by every copy, so the hash survives moves.
//! - **forwarded**: bit 31 belongs to `Object::forward_to` (core); this backend never sets it
//!   otherwise.

/// Mask of the age field.
pub const AGE: u32 = 0xf;
/// The oldest age the field holds.
pub const MAX_AGE: u8 = 15;
/// See the module documentation.
pub const UNLOGGED: u32 = 1 << 4;
/// See the module documentation.
pub const HASHED: u32 = 1 << 5;
/// Where the identity hash starts.
pub const HASH_SHIFT: u32 = 8;
/// Mask of the identity hash, once shifted down.
pub const HASH_MASK: u32 = (1 << 23) - 1;
/// What survives a promotion: the hash (and its flag).
pub const KEPT_ON_PROMOTION: u32 = HASHED | (HASH_MASK << HASH_SHIFT);
