//! What each heap operation costs, generic over [`Heap`]: the kernels that `gclab compare`'s
//! per-operation table and the criterion bench `benches/per_op.rs` both time, so that a new
//! backend gets its rows by implementing the trait.
//!
//! An [`OpRunner`] holds a heap set up for one [`Op`] and runs it in batches: everything a
//! batch needs (operands pushed, a fresh heap) is prepared before its timer starts, and
//! [`OpRunner::batch`] returns the time of the `n` operations alone. [`measure`] runs batches
//! for a given time and returns the mean cost of one operation, in nanoseconds.
//!
//! - [`Op::Allocate`]: a 2-slot, 0-byte object, left unrooted, on one heap kept across
//!   batches: the steady state, so reclamation is included as it falls (marksweep's
//!   collections, refcount freeing each object at the next allocation, nogc's fresh pages).
//!   A heap that runs out (nogc, never freeing) is replaced by a fresh one between batches.
//! - [`Op::AllocateFromRoots`]: a 2-slot node whose slots take the top two root-stack entries,
//!   as binary-trees builds its nodes; the operands (two rooted leaves, pushed again and again)
//!   are pushed before the batch.
//! - [`Op::Load`]: `Heap::load(obj, 0)` (each reference validated) around a rooted ring of
//!   [`RING`] 2-slot objects, hot in cache: the latency of one dependent step of a graph walk.
//! - [`Op::LiveLoad`]: the same walk with `Live::load(0)` after one `Heap::live` per batch.
//! - [`Op::Store`]: `Heap::store(holder, 0, Some(v))` into a rooted object, `v` alternating
//!   between two rooted objects, so each store changes the slot (refcount: an increment and a
//!   decrement).
//! - [`Op::PushPopRoot`]: `push_root(Some(obj))` then `pop_root()`; each batch ends, inside
//!   the timer, with one allocation, a safe point where refcount settles the popped
//!   references' deferred decrements (amortised over the batch, on every backend alike).
//!
//! ```
//! use gclab_core::{Heap, HeapConfig};
//! use gclab_marksweep::MarkSweepHeap;
//! use gclab_workloads::ops::{measure, Op};
//! use std::time::Duration;
//!
//! for op in Op::ALL {
//!     let ns = measure::<MarkSweepHeap>(op, &HeapConfig::default(), Duration::from_millis(1)).unwrap();
//!     assert!(ns > 0.0, "{op:?}");
//! }
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use gclab_core::{AllocError, ConfigError, Heap, HeapConfig, ObjRef, Tag};

/// Objects in the ring [`Op::Load`] and [`Op::LiveLoad`] walk (32 KiB of 2-slot objects).
pub const RING: usize = 1024;

/// The most operations [`measure`] times at once (one `Instant` pair per batch: about 25 ns,
/// under 0.3% of a batch of the cheapest operation).
pub const BATCH: u64 = 10_000;

/// A heap operation whose cost is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `allocate` of a 2-slot object, reclamation included.
    Allocate,
    /// `allocate_from_roots` of a 2-slot node from two rooted operands.
    AllocateFromRoots,
    /// `Heap::load`, validated.
    Load,
    /// `Live::load`, validated once per walk.
    LiveLoad,
    /// `Heap::store` of a reference (with its barrier or counts).
    Store,
    /// `push_root` and `pop_root`, a pair.
    PushPopRoot,
}

impl Op {
    /// Every operation, in table order.
    pub const ALL: [Op; 6] = [Op::Allocate, Op::AllocateFromRoots, Op::Load, Op::LiveLoad, Op::Store, Op::PushPopRoot];

    /// The name, as tables, reports and the criterion groups spell it.
    ///
    /// ```
    /// assert_eq!(gclab_workloads::ops::Op::PushPopRoot.name(), "push_pop_root");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Op::Allocate => "allocate",
            Op::AllocateFromRoots => "allocate_from_roots",
            Op::Load => "load",
            Op::LiveLoad => "live_load",
            Op::Store => "store",
            Op::PushPopRoot => "push_pop_root",
        }
    }

    /// One line saying what is timed.
    pub fn description(self) -> &'static str {
        match self {
            Op::Allocate => "allocate a 2-slot object left unrooted, reclamation included (collections, frees)",
            Op::AllocateFromRoots => "allocate_from_roots: a 2-slot node from the top two roots, as binary-trees does",
            Op::Load => "Heap::load, each reference validated: one step around a ring of 1,024 objects",
            Op::LiveLoad => "Live::load, validated once per walk: one step around the same ring",
            Op::Store => "Heap::store of a reference into a rooted object (with the backend's barrier or counts)",
            Op::PushPopRoot => "push_root then pop_root (refcount: the deferred decrements settled once per batch)",
        }
    }
}

/// A heap set up to run one [`Op`] in timed batches.
pub struct OpRunner<H: Heap> {
    op: Op,
    config: HeapConfig,
    heap: H,
    /// The ring's first object ([`Op::Load`], [`Op::LiveLoad`]), the store's holder
    /// ([`Op::Store`]) or the pushed object ([`Op::PushPopRoot`]); unused otherwise.
    obj: Option<ObjRef>,
    /// The two values a store alternates between.
    values: [Option<ObjRef>; 2],
}

impl<H: Heap> OpRunner<H> {
    /// A fresh heap of `config`, set up for `op` (the ring, the rooted operands).
    pub fn new(op: Op, config: &HeapConfig) -> Result<Self, OpError> {
        let heap = H::with_config(config.clone())?;
        let mut runner = OpRunner { op, config: config.clone(), heap, obj: None, values: [None; 2] };
        runner.set_up()?;
        Ok(runner)
    }

    fn set_up(&mut self) -> Result<(), AllocError> {
        let heap = &mut self.heap;
        match self.op {
            Op::Allocate | Op::AllocateFromRoots => {}
            Op::Load | Op::LiveLoad => {
                let first = heap.allocate(Tag(1), 2, 0)?;
                heap.push_root(Some(first));
                let mut last = first;
                for _ in 1..RING {
                    // `last` is reachable from the root through the ring's slots, and it is
                    // used only after the allocation by `store`, which validates it.
                    let next = heap.allocate(Tag(1), 2, 0)?;
                    heap.store(last, 0, Some(next));
                    last = next;
                }
                heap.store(last, 0, Some(first));
                self.obj = Some(first);
            }
            Op::Store => {
                let mut rooted = || -> Result<ObjRef, AllocError> {
                    let obj = heap.allocate(Tag(1), 2, 0)?;
                    heap.push_root(Some(obj));
                    Ok(obj)
                };
                self.obj = Some(rooted()?);
                self.values = [Some(rooted()?), Some(rooted()?)];
            }
            Op::PushPopRoot => {
                let obj = heap.allocate(Tag(1), 2, 0)?;
                heap.push_root(Some(obj));
                self.obj = Some(obj);
            }
        }
        Ok(())
    }

    /// The heap.
    pub fn heap(&self) -> &H {
        &self.heap
    }

    /// Runs `n` operations and returns the time they took; the setup is outside the timer.
    /// An allocation bench whose heap cannot hold the batch (nogc never frees) starts again
    /// on a fresh heap, untimed; `Err` only if a fresh heap cannot hold it either.
    pub fn batch(&mut self, n: u64) -> Result<Duration, AllocError> {
        match self.try_batch(n) {
            Err(e) if e.is_heap_exhausted() && matches!(self.op, Op::Allocate | Op::AllocateFromRoots) => {
                self.heap = H::with_config(self.config.clone()).expect("the configuration made a heap before");
                self.try_batch(n)
            }
            other => other,
        }
    }

    fn try_batch(&mut self, n: u64) -> Result<Duration, AllocError> {
        let heap = &mut self.heap;
        let obj = self.obj;
        Ok(match self.op {
            Op::Allocate => {
                let start = Instant::now();
                for _ in 0..n {
                    black_box(heap.allocate(Tag(1), 2, 0)?);
                }
                start.elapsed()
            }
            Op::AllocateFromRoots => {
                let depth = heap.root_depth();
                let leaves = (|| -> Result<_, AllocError> {
                    let left = heap.allocate(Tag(1), 0, 0)?;
                    heap.push_root(Some(left));
                    let right = heap.allocate(Tag(1), 0, 0)?;
                    heap.push_root(Some(right));
                    Ok((left, right))
                })();
                let (left, right) = match leaves {
                    Ok(leaves) => leaves,
                    Err(e) => {
                        heap.truncate_roots(depth);
                        return Err(e);
                    }
                };
                for _ in 0..n {
                    heap.push_root(Some(left));
                    heap.push_root(Some(right));
                }
                let start = Instant::now();
                let mut result = Ok(());
                for _ in 0..n {
                    if let Err(e) = heap.allocate_from_roots(Tag(2), 2, 0, 2) {
                        result = Err(e);
                        break;
                    }
                }
                let elapsed = start.elapsed();
                heap.truncate_roots(depth);
                result?;
                elapsed
            }
            Op::Load => {
                let mut at = black_box(obj.expect("the ring"));
                let start = Instant::now();
                for _ in 0..n {
                    at = heap.load(at, 0).expect("a ring");
                }
                let elapsed = start.elapsed();
                black_box(at);
                elapsed
            }
            Op::LiveLoad => {
                let mut at = heap.live(black_box(obj.expect("the ring")));
                let start = Instant::now();
                for _ in 0..n {
                    at = at.load(0).expect("a ring");
                }
                let elapsed = start.elapsed();
                black_box(at);
                elapsed
            }
            Op::Store => {
                let holder = obj.expect("the holder");
                let values = self.values;
                let start = Instant::now();
                for i in 0..n {
                    heap.store(black_box(holder), 0, values[(i & 1) as usize]);
                }
                start.elapsed()
            }
            Op::PushPopRoot => {
                let obj = obj.expect("the rooted object");
                let start = Instant::now();
                for _ in 0..n {
                    heap.push_root(Some(black_box(obj)));
                    black_box(heap.pop_root());
                }
                // A safe point: refcount settles the deferred decrements of the pops here.
                black_box(heap.allocate(Tag(1), 0, 0)?);
                start.elapsed()
            }
        })
    }
}

/// Why an operation could not be measured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpError {
    /// The heap configuration was refused.
    Config(ConfigError),
    /// The heap could not hold the setup or one batch, even fresh.
    Alloc(AllocError),
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpError::Config(e) => e.fmt(f),
            OpError::Alloc(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for OpError {}

impl From<ConfigError> for OpError {
    fn from(e: ConfigError) -> Self {
        OpError::Config(e)
    }
}

impl From<AllocError> for OpError {
    fn from(e: AllocError) -> Self {
        OpError::Alloc(e)
    }
}

/// The mean cost of one `op` on a fresh heap of type `H` and `config`, in nanoseconds.
///
/// First a warm-up, untimed: one batch of [`BATCH`]; for the two allocation benches, batches
/// until the heap has collected once (so that they measure the steady state, reusing memory a
/// collection freed, rather than a fresh heap's first touch of its pages), or for at most
/// `budget` (nogc never collects). Then batches until their timed total reaches `budget`
/// (at least one). The mean, not a median of batches, so that the collections an allocation
/// pays for now and then are counted at their share.
pub fn measure<H: Heap>(op: Op, config: &HeapConfig, budget: Duration) -> Result<f64, OpError> {
    let mut runner = OpRunner::<H>::new(op, config)?;
    let warm_up = Instant::now();
    loop {
        runner.batch(BATCH)?;
        let stats = runner.heap().stats();
        let allocates = matches!(op, Op::Allocate | Op::AllocateFromRoots);
        if !allocates || stats.minor_collections + stats.full_collections > 0 || warm_up.elapsed() >= budget {
            break;
        }
    }
    let (mut total, mut ops) = (Duration::ZERO, 0u64);
    while total < budget || ops == 0 {
        total += runner.batch(BATCH)?;
        ops += BATCH;
    }
    Ok(total.as_secs_f64() * 1e9 / ops as f64)
}
