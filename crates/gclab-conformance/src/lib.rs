//! The conformance suite every gclab backend must pass, written once against the
//! [`Heap`](gclab_core::Heap) trait.
//!
//! # What it checks
//!
//! * **Random mutator programs against a reference model.** proptest generates programs
//!   ([`Op`]): allocations of random shapes (small, slot-less, and large objects over the
//!   8 KiB large-object limit or right around it), batches of garbage that point to live
//!   objects, stores (cycles and self-references included), loads, root pushes, pops,
//!   overwrites and truncations, data writes, RAII handles made and dropped, and explicit
//!   full and minor collections. Objects are named by root-stack position or handle index,
//!   never by a Rust local (a local is not a root across an allocation). Each program runs
//!   on the plain-Rust [`Model`] and on a fresh heap that collects on its own now and then
//!   ([`small_config`]), and again on one that collects as often as its trigger allows
//!   ([`stress_config`]). After **every** step the graph reachable from the heap's roots
//!   must be isomorphic to the model's (same tags, slot counts, slot targets under a
//!   bijection, data bytes), `verify()` must pass and `live_objects()` must be at least the
//!   reachable count; right after a full collection it must equal it. A failure is shrunk
//!   to a minimal program, printed so it can be pasted into a regression test for
//!   [`run_program`]. [`DEFAULT_CASES`] programs run per property; the environment variable
//!   `GCLAB_PROPTEST_CASES` overrides the number (`PROPTEST_RNG_SEED` fixes the seed).
//! * **Structures** ([`structures`]): a linked list of a million nodes (which overflows a
//!   recursive marker), the same list built old-to-young, an object of 100,000 slots,
//!   garbage made only of cycles, self-references, and garbage churn under a small limit.
//! * **Heap limits** ([`limits`]): long random programs (thousands of ops) under tight limits
//!   (1 MiB and up), with small and large objects and small pool geometries; after every op
//!   `heap_bytes <= limit` (the backend's own figure, which `stats().heap_bytes` must equal),
//!   and for every `HeapExhausted`, proof that the request really could not fit, against a
//!   bound computed from the model's live set. And the hand-made programs that found each
//!   limit bug of issue 8.
//! * **Mutator mistakes** ([`safety`]): stale, reused and foreign references, slot and
//!   root-stack indices out of bounds, root-stack underflow, heap exhaustion and bad
//!   configurations must each be named (by panic message or error value), never abort.
//!
//! Nothing in the suite recurses over the object graph.
//!
//! # Enabling it for a backend
//!
//! One line per suite in an integration test of a crate that depends on the backend:
//!
//! ```ignore
//! // tests/conformance.rs
//! gclab_conformance::conformance_suite!(marksweep, gclab::MarkSweepHeap);
//! // tests/safety.rs (the reuse check needs the `checked` feature of gclab-core)
//! gclab_conformance::safety_suite!(marksweep, gclab::MarkSweepHeap);
//! // the heap-limit checks, with the backend's own figure and how it holds memory
//! gclab_conformance::limits_suite!(
//!     marksweep_limits,
//!     gclab::MarkSweepHeap,
//!     Backend::new("marksweep", gclab::MarkSweepHeap::heap_bytes, Footprint::DEFAULT_POOLS),
//!     limits: [1 << 20, 8 << 20],
//!     steps: 10_000,
//! );
//! ```
//!
//! Each expands to a module of `#[test]` functions (`marksweep::random_programs_match_the_model`,
//! `marksweep::deep_list_of_a_million_nodes`, …). The functions they call are public, for
//! backends that want to run a part with other parameters; a backend whose own
//! configuration goes beyond `HeapConfig` (a cycle detector's thresholds, say) runs the
//! random programs on heaps it makes with [`check_random_programs_made_by`], and gives the
//! limit checks a constructor ([`limits::Backend::made_by`]: a pool geometry, say).

#![warn(missing_docs)]

pub mod limits;
mod macros;
mod model;
mod program;
mod runner;
pub mod safety;
pub mod structures;

pub use model::{Model, ModelObject};
pub use program::{garbage, op, program, shape, Op, Step, LARGE_BYTES, LARGE_SLOTS, MAX_PROGRAM_LEN};
pub use runner::{
    cases, check_isomorphic, check_random_programs, check_random_programs_made_by, check_random_programs_with,
    format_program, run_program, run_program_made_by, small_config, stress_config, RunReport, CASES_VAR, DEFAULT_CASES,
};

#[doc(hidden)]
pub use gclab_core as __core;
