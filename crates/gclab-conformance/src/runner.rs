//! Runs mutator programs on the model and on a backend side by side, checking after every
//! step that the heap seen from the roots is the model's graph.

use std::collections::{HashMap, VecDeque};

use gclab_core::{AllocError, CollectionKind, ConfigError, Heap, HeapConfig, ObjRef, Root, Tag};
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};

use crate::{Model, Op, Step};

/// Random programs run per backend unless `GCLAB_PROPTEST_CASES` says otherwise.
pub const DEFAULT_CASES: u32 = 1_000;

/// The environment variable that overrides [`DEFAULT_CASES`].
pub const CASES_VAR: &str = "GCLAB_PROPTEST_CASES";

/// The number of random programs to run: `GCLAB_PROPTEST_CASES` if set, else
/// [`DEFAULT_CASES`]. Panics if the variable is set but not a number.
pub fn cases() -> u32 {
    match std::env::var(CASES_VAR) {
        Ok(v) => v.trim().parse().unwrap_or_else(|_| panic!("{CASES_VAR}={v:?} is not a number of cases")),
        Err(_) => DEFAULT_CASES,
    }
}

/// The configuration the suite uses unless told otherwise: a first collection after 4 KiB,
/// so that generated programs collect automatically now and then, and a 256 MiB limit, so
/// that a heap is cheap to make.
pub fn small_config() -> HeapConfig {
    HeapConfig::default().heap_limit(256 << 20).initial_trigger(4 << 10)
}

/// `config` made to collect as often as the trigger policy allows: a 1-byte first trigger
/// and a growth factor of 1, so a collection is due as soon as anything is allocated past the
/// live size. A backend that checks its trigger on every allocation then collects at nearly
/// every allocation; one that checks it on its slow path (a new pool, a large object) at each
/// of those. Every reference a program holds across an allocation is tested that way.
pub fn stress_config(config: HeapConfig) -> HeapConfig {
    config.initial_trigger(1).growth_factor(1.0)
}

/// Maps model object ids to heap references one-to-one while walking both graphs.
#[derive(Default)]
struct Bijection {
    to_heap: HashMap<usize, ObjRef>,
    to_model: HashMap<ObjRef, usize>,
    queue: VecDeque<(usize, ObjRef)>,
}

impl Bijection {
    /// Pairs a model value with a heap value found at the same place (`at` describes it).
    fn pair(&mut self, model: Option<usize>, heap: Option<ObjRef>, at: impl FnOnce() -> String) -> Result<(), String> {
        match (model, heap) {
            (None, None) => Ok(()),
            (Some(m), None) => Err(format!("{}: null in the heap, model object #{m}", at())),
            (None, Some(h)) => Err(format!("{}: {h:?} in the heap, null in the model", at())),
            (Some(m), Some(h)) => match (self.to_heap.get(&m), self.to_model.get(&h)) {
                (Some(&seen), _) if seen == h => Ok(()),
                (Some(&seen), _) => Err(format!("{}: model object #{m} is {seen:?} elsewhere but {h:?} here", at())),
                (None, Some(&other)) => {
                    Err(format!("{}: {h:?} is model object #{other} elsewhere but #{m} here", at()))
                }
                (None, None) => {
                    self.to_heap.insert(m, h);
                    self.to_model.insert(h, m);
                    self.queue.push_back((m, h));
                    Ok(())
                }
            },
        }
    }
}

/// Checks that the graph reachable from the heap's roots is isomorphic to the model's: the
/// same root-stack depth and handle count, and a bijection between reachable model objects
/// and heap objects preserving tag, slot count, slot targets and data bytes (a breadth-first
/// walk, no recursion). Returns the number of reachable objects.
pub fn check_isomorphic<H: Heap>(heap: &H, handles: &[Root], model: &Model) -> Result<usize, String> {
    if heap.root_depth() != model.roots.len() {
        return Err(format!("root stack depth is {}, the model's is {}", heap.root_depth(), model.roots.len()));
    }
    assert_eq!(handles.len(), model.handles.len(), "runner bug: handle count");
    let mut map = Bijection::default();
    for (i, &m) in model.roots.iter().enumerate() {
        let h = heap.try_root_at(i).map_err(|e| format!("root_at({i}): {e}"))?;
        map.pair(m, h, || format!("root stack entry {i}"))?;
    }
    for (i, (&m, root)) in model.handles.iter().zip(handles).enumerate() {
        map.pair(Some(m), Some(root.get()), || format!("handle {i}"))?;
    }
    while let Some((m, h)) = map.queue.pop_front() {
        let object = &model.objects[m];
        let bad = |e| format!("model object #{m} is {h:?}, which the heap rejects: {e}");
        let tag = heap.try_tag(h).map_err(bad)?;
        if tag != Tag(object.tag) {
            return Err(format!("model object #{m} ({h:?}): tag {tag:?}, expected Tag({})", object.tag));
        }
        let slots = heap.try_slot_count(h).map_err(bad)?;
        if slots != object.slots.len() {
            return Err(format!("model object #{m} ({h:?}): {slots} slots, expected {}", object.slots.len()));
        }
        let immutable = heap.memory().resolve(h).map_err(bad)?.is_immutable();
        if immutable != object.immutable {
            return Err(format!("model object #{m} ({h:?}): immutable {immutable}, expected {}", object.immutable));
        }
        let data = heap.try_data(h).map_err(bad)?;
        if data != object.data.as_slice() {
            let first = data.iter().zip(&object.data).position(|(a, b)| a != b);
            return Err(format!(
                "model object #{m} ({h:?}): data differs (heap length {}, model length {}, \
                 first differing byte {first:?})",
                data.len(),
                object.data.len()
            ));
        }
        for (i, &expected) in object.slots.iter().enumerate() {
            let found = heap.try_load(h, i).map_err(bad)?;
            map.pair(expected, found, || format!("slot {i} of model object #{m} ({h:?})"))?;
        }
        check_live_view(heap, h).map_err(|e| format!("model object #{m} ({h:?}) through Live: {e}"))?;
    }
    Ok(map.to_heap.len())
}

/// Checks that the unvalidated read path ([`gclab_core::Live`]) sees `obj` as the validated
/// one does: the same reference back, tag, slot count, immutability and data, each slot's
/// target (through `load`, `try_load` and `slots::<2>`), and the index check past the last
/// slot. Run on every reachable object after every step, so every backend's `Live` is
/// checked against its validated API in every state the property suite reaches.
fn check_live_view<H: Heap>(heap: &H, obj: ObjRef) -> Result<(), String> {
    let live = heap.try_live(obj).map_err(|e| format!("try_live rejects it: {e}"))?;
    let same = |what: &str, a: String, b: String| {
        if a == b {
            Ok(())
        } else {
            Err(format!("{what}: {a} through Live, {b} validated"))
        }
    };
    same("reference", format!("{:?}", live.obj_ref()), format!("{obj:?}"))?;
    same("tag", format!("{:?}", live.tag()), format!("{:?}", heap.tag(obj)))?;
    same("slot count", live.slot_count().to_string(), heap.slot_count(obj).to_string())?;
    same("immutable", live.is_immutable().to_string(), heap.memory().resolve(obj).unwrap().is_immutable().to_string())?;
    if live.data() != heap.data(obj) {
        return Err("the data bytes differ".into());
    }
    let target = |slot: Option<gclab_core::Live<'_>>| slot.map(|l| l.obj_ref());
    for i in 0..live.slot_count() {
        let validated = heap.load(obj, i);
        same(&format!("slot {i}"), format!("{:?}", target(live.load(i))), format!("{validated:?}"))?;
        let tried = live.try_load(i).map_err(|e| format!("try_load({i}): {e}"))?;
        same(&format!("slot {i} (try_load)"), format!("{:?}", target(tried)), format!("{validated:?}"))?;
    }
    if live.try_load(live.slot_count()).is_ok() {
        return Err(format!("try_load({}) past the last slot succeeded", live.slot_count()));
    }
    let pair = live.slots::<2>().map(|[a, b]| [target(a), target(b)]);
    let expected = (live.slot_count() >= 2).then(|| [heap.load(obj, 0), heap.load(obj, 1)]);
    same("slots::<2>()", format!("{pair:?}"), format!("{expected:?}"))
}

/// Why [`apply`] could not apply a step.
#[derive(Debug)]
pub(crate) enum ApplyError {
    /// An allocation failed. Nothing changed, except for `Step::AllocGarbage`: its scratch
    /// root is still on the stack (above the model's entries), holding the newest of the
    /// `done` garbage objects allocated before the failure (and, through slot 1, the older
    /// ones when the objects have two slots or more). The caller pops it.
    Alloc {
        /// What the heap returned.
        error: AllocError,
        /// The shape of the refused object.
        slots: usize,
        /// The data bytes of the refused object.
        bytes: usize,
        /// Garbage objects allocated before the failure (`Step::AllocGarbage` only).
        done: usize,
        /// Whether a scratch root is left on the stack (`Step::AllocGarbage` only).
        scratch: bool,
    },
    /// Anything else: a difference from the model, described.
    Other(String),
}

impl From<String> for ApplyError {
    fn from(message: String) -> Self {
        ApplyError::Other(message)
    }
}

impl std::fmt::Display for ApplyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApplyError::Alloc { error, slots, bytes, .. } => {
                write!(f, "allocate({slots} slots, {bytes} bytes): {error}")
            }
            ApplyError::Other(message) => f.write_str(message),
        }
    }
}

/// Applies a resolved step to the heap and its handles.
pub(crate) fn apply<H: Heap>(heap: &mut H, handles: &mut Vec<Root>, step: &Step) -> Result<(), ApplyError> {
    let object_at = |heap: &H, index: usize| -> Result<ObjRef, String> {
        heap.try_root_at(index)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("root stack entry {index} is null, the model's is not"))
    };
    let value_at = |heap: &H, index: Option<usize>| -> Result<Option<ObjRef>, String> {
        match index {
            Some(i) => heap.try_root_at(i).map_err(|e| e.to_string()),
            None => Ok(None),
        }
    };
    let refused = |error, slots, bytes| ApplyError::Alloc { error, slots, bytes, done: 0, scratch: false };
    match *step {
        Step::Alloc { tag, slots, bytes } => {
            let obj = heap.allocate(Tag(tag), slots, bytes).map_err(|e| refused(e, slots, bytes))?;
            heap.try_push_root(Some(obj)).map_err(|e| e.to_string())?;
        }
        Step::AllocFromRoots { tag, slots, bytes, take } => {
            let obj = heap.allocate_from_roots(Tag(tag), slots, bytes, take).map_err(|e| refused(e, slots, bytes))?;
            heap.try_push_root(Some(obj)).map_err(|e| e.to_string())?;
        }
        // Half the time (odd tags) through `allocate_immutable_onto_roots`, which pushes the
        // object itself, unvalidated: the model cannot tell the two apart.
        Step::AllocImmutable { tag, slots, bytes, take } if tag % 2 == 1 => {
            heap.allocate_immutable_onto_roots(Tag(tag), slots, bytes, take).map_err(|e| refused(e, slots, bytes))?;
        }
        Step::AllocImmutable { tag, slots, bytes, take } => {
            let obj = heap.allocate_immutable(Tag(tag), slots, bytes, take).map_err(|e| refused(e, slots, bytes))?;
            heap.try_push_root(Some(obj)).map_err(|e| e.to_string())?;
        }
        Step::AllocInto { root, slot, tag, slots, bytes } => {
            let obj = heap.allocate(Tag(tag), slots, bytes).map_err(|e| refused(e, slots, bytes))?;
            let target = object_at(heap, root)?;
            heap.try_store(target, slot, Some(obj)).map_err(|e| e.to_string())?;
        }
        Step::AllocGarbage { count, slots, bytes, link } => {
            // The previous garbage object must survive the next allocation: a scratch root.
            let scratch = heap.root_depth();
            heap.try_push_root(None).map_err(|e| e.to_string())?;
            for done in 0..count {
                let obj = heap.allocate(Tag(0xbad), slots, bytes).map_err(|error| ApplyError::Alloc {
                    error,
                    slots,
                    bytes,
                    done,
                    scratch: true,
                })?;
                if slots > 0 {
                    let live = value_at(heap, link)?;
                    heap.try_store(obj, 0, live).map_err(|e| e.to_string())?;
                }
                if slots > 1 {
                    let previous = value_at(heap, Some(scratch))?;
                    heap.try_store(obj, 1, previous).map_err(|e| e.to_string())?;
                }
                heap.try_set_root(scratch, Some(obj)).map_err(|e| e.to_string())?;
            }
            heap.try_pop_root().map_err(|e| e.to_string())?;
        }
        Step::Store { root, slot, value } => {
            let target = object_at(heap, root)?;
            let value = value_at(heap, value)?;
            heap.try_store(target, slot, value).map_err(|e| e.to_string())?;
        }
        Step::Load { root, slot } => {
            let target = object_at(heap, root)?;
            let value = heap.try_load(target, slot).map_err(|e| e.to_string())?;
            heap.try_push_root(value).map_err(|e| e.to_string())?;
        }
        Step::Dup { root } => {
            let value = value_at(heap, Some(root))?;
            heap.try_push_root(value).map_err(|e| e.to_string())?;
        }
        Step::PushNull => heap.try_push_root(None).map_err(|e| e.to_string())?,
        Step::Pop => {
            heap.try_pop_root().map_err(|e| e.to_string())?;
        }
        Step::SetRoot { index, from } => {
            let value = value_at(heap, from)?;
            heap.try_set_root(index, value).map_err(|e| e.to_string())?;
        }
        Step::Truncate { depth } => heap.truncate_roots(depth),
        Step::WriteData { root, offset, value } => {
            let target = object_at(heap, root)?;
            let data = heap.try_data_mut(target).map_err(|e| e.to_string())?;
            let len = data.len();
            *data.get_mut(offset).ok_or_else(|| format!("data of {target:?} has only {len} bytes"))? = value;
        }
        Step::CreateHandle { root } => {
            let target = object_at(heap, root)?;
            handles.push(heap.root(target));
        }
        Step::DropHandle { handle } => drop(handles.remove(handle)),
        Step::LoadHandle { handle } => {
            let obj = handles[handle].get();
            heap.try_push_root(Some(obj)).map_err(|e| e.to_string())?;
        }
        Step::CollectFull => heap.collect(CollectionKind::Full),
        Step::CollectMinor => heap.collect(CollectionKind::Minor),
    }
    Ok(())
}

/// Checks the heap against the model after a step: `verify()` passes, the graph seen from the
/// roots is isomorphic to the model's, `live_objects()` is at least the reachable count, and
/// exactly that count right after a full collection.
pub(crate) fn check_after<H: Heap>(heap: &H, handles: &[Root], model: &Model, step: &Step) -> Result<(), String> {
    heap.verify().map_err(|e| format!("verify(): {e}"))?;
    let reachable = check_isomorphic(heap, handles, model)?;
    let live = heap.live_objects();
    if live < reachable {
        return Err(format!("live_objects() is {live}, but {reachable} objects are reachable"));
    }
    if *step == Step::CollectFull && live != reachable {
        return Err(format!(
            "live_objects() is {live} right after a full collection, but {reachable} objects \
             are reachable"
        ));
    }
    Ok(())
}

/// What one program did, as [`run_program`] reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Ops that applied (the others were no-ops in the state they met).
    pub steps: u64,
    /// Collections the program asked for (`CollectFull`, `CollectMinor`).
    pub explicit_collections: u64,
    /// Collections the heap ran on its own (its statistics' count less the explicit ones).
    pub automatic_collections: u64,
}

impl RunReport {
    /// Adds another report's counts to this one.
    pub fn add(&mut self, other: RunReport) {
        self.steps += other.steps;
        self.explicit_collections += other.explicit_collections;
        self.automatic_collections += other.automatic_collections;
    }
}

/// Runs `program` on a fresh heap made with `config` and on the model, checking after every
/// step (see the crate documentation). `Err` describes the first difference, naming the op.
pub fn run_program<H: Heap>(config: HeapConfig, program: &[Op]) -> Result<RunReport, String> {
    run_program_made_by(|| H::with_config(config), program)
}

/// [`run_program`] on a heap made by `make`, for a backend-specific configuration (say, a
/// cycle detector's thresholds) that `HeapConfig` cannot express.
pub fn run_program_made_by<H: Heap>(
    make: impl FnOnce() -> Result<H, ConfigError>,
    program: &[Op],
) -> Result<RunReport, String> {
    let mut heap = make().map_err(|e| format!("making the heap: {e}"))?;
    let mut handles: Vec<Root> = Vec::new();
    let mut model = Model::new();
    let mut report = RunReport::default();
    for (n, op) in program.iter().enumerate() {
        let Some(step) = model.resolve(op) else {
            continue;
        };
        let context = |e: String| format!("op {n} ({op:?}, resolved as {step:?}): {e}");
        apply(&mut heap, &mut handles, &step).map_err(|e| context(e.to_string()))?;
        model.apply(&step);
        check_after(&heap, &handles, &model, &step).map_err(context)?;
        report.steps += 1;
        if matches!(step, Step::CollectFull | Step::CollectMinor) {
            report.explicit_collections += 1;
        }
    }
    drop(handles);
    let stats = heap.stats();
    let all = stats.full_collections + stats.minor_collections;
    report.automatic_collections = all.saturating_sub(report.explicit_collections);
    Ok(report)
}

/// Formats a program one op per line, as Rust source for a regression test.
pub fn format_program(program: &[Op]) -> String {
    let mut out = String::from("vec![\n");
    for op in program {
        out.push_str(&format!("    {op:?},\n"));
    }
    out.push(']');
    out
}

/// Runs [`cases()`] random programs with [`run_program`] on backend `H`; on a failure, panics
/// with the shrunk (minimal) program and what went wrong. Returns the programs' summed
/// [`RunReport`] (also printed to stderr).
pub fn check_random_programs<H: Heap>(config: HeapConfig) -> RunReport {
    check_random_programs_with::<H>(config, cases())
}

/// [`check_random_programs`] with an explicit number of cases.
pub fn check_random_programs_with<H: Heap>(config: HeapConfig, cases: u32) -> RunReport {
    let replay = format!("run_program::<{}>(config, &program) with config = {config:?}", std::any::type_name::<H>());
    check_programs(|| H::with_config(config.clone()), cases, &replay)
}

/// [`check_random_programs`] on heaps made by `make` (see [`run_program_made_by`]).
pub fn check_random_programs_made_by<H: Heap>(make: impl Fn() -> Result<H, ConfigError>, cases: u32) -> RunReport {
    check_programs(make, cases, "run_program_made_by(make, &program) with the same `make`")
}

fn check_programs<H: Heap>(make: impl Fn() -> Result<H, ConfigError>, cases: u32, replay: &str) -> RunReport {
    let mut proptest_config = Config::with_cases(cases);
    proptest_config.failure_persistence = None;
    let mut runner = TestRunner::new(proptest_config);
    let total = std::cell::Cell::new(RunReport::default());
    let result = runner.run(&crate::program(), |program| {
        let report = run_program_made_by(&make, &program).map_err(TestCaseError::fail)?;
        let mut sum = total.get();
        sum.add(report);
        total.set(sum);
        Ok(())
    });
    match result {
        Ok(()) => {
            let total = total.get();
            eprintln!(
                "{}: {cases} random programs passed: {} steps, {} explicit and {} automatic collections",
                H::NAME,
                total.steps,
                total.explicit_collections,
                total.automatic_collections
            );
            total
        }
        Err(TestError::Fail(reason, program)) => panic!(
            "{name} failed a random program.\nfailure: {reason}\nminimal program (replay: \
             `use gclab_conformance::{{*, Op::*}};` then {replay}):\n{listing}",
            name = H::NAME,
            listing = format_program(&program)
        ),
        Err(TestError::Abort(reason)) => panic!("{}: proptest aborted: {reason}", H::NAME),
    }
}
