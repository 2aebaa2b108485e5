//! `pyobjects`: a Python-like object model on the heap running a small program.
//!
//! The [`model`] lays out ints, strs, tuples, lists, dicts (open-addressing hash tables of
//! slots, with dummy keys for deletions) and class instances with an attribute dict, as
//! CPython does. The program, in Python terms:
//!
//! ```python
//! class Person: pass
//! registry = {}                        # name -> Person
//! groups = [None] * 32                 # the live groups, a ring
//! log = []
//! for i in range(n):
//!     if i % 64 == 0:                  # a new group retires the oldest one
//!         for p in groups[(i // 64) % 32] or []:
//!             del registry[p.name]     # its members become cyclic garbage
//!         group = groups[(i // 64) % 32] = []
//!     me = Person()
//!     me.name, me.age, me.friends, me.score = f"person-{i}", rng(90), [], 0
//!     registry[me.name] = me
//!     for _ in range(rng(1, 3)):       # befriend group members, both ways
//!         friend = registry[str(random.choice(group).name)]   # looked up by an equal str
//!         me.friends.append(friend)
//!         friend.friends.append(me)
//!         if len(friend.friends) > 8: del friend.friends[0]
//!         friend.score = friend.score + me.age
//!     group.append(me)
//!     log.append((me.name, me.age))
//!     if i % 4 == 0: me.tags = ("member", me.age)
//!     greeting = "hello, " + me.name
//!     if len(log) == 256: log = []     # after summing the ages in it
//! ```
//!
//! Friendships make cycles between instances (and through their lists and dicts), so each
//! retired group is an island of cyclic garbage: reference counting alone frees the ints,
//! strs and tuples that die, and the cycle detector (or a tracing collector) the groups.
//!
//! The program checks itself: every lookup by an equal name must find the very instance, every
//! retired member must be in the registry, and at the end the registry must hold exactly the
//! live groups' members. The checksum adds ages, scores, friend counts, registry sizes and
//! greeting hashes: values of the program, never addresses.
//!
//! It prints one line, e.g. for n = 1000 (`\t` stands for a tab):
//!
//! ```text
//! 1000 persons in 16 groups, 1000 in the registry at the end\t check: 33438877
//! ```

pub mod model;

use std::io::Write;

use gclab_core::Heap;

use self::model::{str_hash, DictAt, Model, Reg};
use crate::rng::SplitMix64;
use crate::{Workload, WorkloadError, WorkloadInfo};

/// Persons per group.
pub const GROUP_SIZE: u64 = 64;

/// Groups alive at once.
pub const LIVE_GROUPS: usize = 32;

/// The most friends a person keeps (older ones are dropped first).
pub const MAX_FRIENDS: usize = 8;

/// Records in the log before it is summed and replaced.
pub const LOG_LEN: usize = 256;

/// The generator's seed.
const SEED: u64 = 0x5eed_0b1e;

// The program's registers (0 and 1 belong to the model).
const PERSON: Reg = Reg(2);
const REGISTRY: Reg = Reg(3);
const GROUPS: Reg = Reg(4);
const LOG: Reg = Reg(5);
const K_NAME: Reg = Reg(6);
const K_AGE: Reg = Reg(7);
const K_FRIENDS: Reg = Reg(8);
const K_SCORE: Reg = Reg(9);
const K_TAGS: Reg = Reg(10);
const GROUP: Reg = Reg(11);
const ME: Reg = Reg(12);
const NAME: Reg = Reg(13);
const FRIEND: Reg = Reg(14);
const T0: Reg = Reg(15);
const T1: Reg = Reg(16);
const T2: Reg = Reg(17);
const REGISTERS: usize = 16;

/// The `pyobjects` workload; its size is the number of persons the program makes.
#[derive(Clone, Copy, Debug, Default)]
pub struct PyObjects;

impl Workload for PyObjects {
    const INFO: WorkloadInfo = WorkloadInfo {
        name: "pyobjects",
        description: "a Python-like object model (ints, strs, tuples, lists, dicts as hash tables, \
                      instances) running a program with cycles between instances",
        size_meaning: "the number of Person instances the program makes",
        default_size: 1_000_000,
        quick_size: 250_000,
        min_size: 1,
        max_size: 50_000_000,
    };

    fn run<H: Heap, W: Write>(heap: &mut H, size: u32, out: &mut W) -> Result<u64, WorkloadError> {
        pyobjects(heap, size, out)
    }
}

/// A failed check of the program.
fn check_failed(message: String) -> WorkloadError {
    WorkloadError::Check { workload: PyObjects::INFO.name, message }
}

/// Runs `pyobjects` making `n` persons on `heap`, writing its line to `out`; returns the
/// checksum. The root stack is left as it was found, also on error.
pub fn pyobjects<H: Heap, W: Write>(heap: &mut H, n: u32, out: &mut W) -> Result<u64, WorkloadError> {
    PyObjects::INFO.check_size(n)?;
    let mut model = Model::new(heap, REGISTERS)?;
    let mut program = Program { rng: SplitMix64::new(SEED), checksum: 0 };
    let result = program.run(&mut model, n as u64);
    model.finish();
    let registry = result?;
    let groups = (n as u64).div_ceil(GROUP_SIZE);
    writeln!(
        out,
        "{n} persons in {groups} groups, {registry} in the registry at the end\t check: {}",
        program.checksum
    )?;
    Ok(program.checksum)
}

/// The program's state outside the heap.
struct Program {
    rng: SplitMix64,
    checksum: u64,
}

impl Program {
    fn add(&mut self, value: u64) {
        self.checksum = self.checksum.wrapping_add(value);
    }

    /// Runs the program; returns the registry's final size.
    fn run<H: Heap>(&mut self, m: &mut Model<'_, H>, n: u64) -> Result<usize, WorkloadError> {
        m.str(T0, b"Person")?;
        m.class(PERSON, T0)?;
        m.dict(REGISTRY)?;
        m.list(GROUPS)?;
        m.set(T0, None);
        for _ in 0..LIVE_GROUPS {
            m.list_append(GROUPS, T0)?;
        }
        m.list(LOG)?;
        for (key, name) in
            [(K_NAME, "name"), (K_AGE, "age"), (K_FRIENDS, "friends"), (K_SCORE, "score"), (K_TAGS, "tags")]
        {
            m.str(key, name.as_bytes())?;
        }
        for i in 0..n {
            if i % GROUP_SIZE == 0 {
                self.new_group(m, ((i / GROUP_SIZE) % LIVE_GROUPS as u64) as usize)?;
            }
            self.new_person(m, i)?;
        }
        self.final_check(m)
    }

    /// Retires the group in ring slot `slot` (its members leave the registry) and starts a
    /// new one there.
    fn new_group<H: Heap>(&mut self, m: &mut Model<'_, H>, slot: usize) -> Result<(), WorkloadError> {
        m.list_get(T0, GROUPS, slot);
        if m.get(T0).is_some() {
            for k in 0..m.list_len(T0) {
                m.list_get(ME, T0, k);
                m.getattr(NAME, ME, K_NAME);
                if !m.dict_del(DictAt::Reg(REGISTRY), NAME) {
                    return Err(check_failed(format!(
                        "retiring member {:?} not in the registry",
                        String::from_utf8_lossy(m.str_bytes(NAME))
                    )));
                }
                m.getattr(T1, ME, K_SCORE);
                self.add(m.int_value(T1) as u64);
                m.getattr(T1, ME, K_FRIENDS);
                self.add(m.list_len(T1) as u64);
            }
        }
        m.list(GROUP)?;
        m.list_set(GROUPS, slot, GROUP);
        self.add(m.dict_len(DictAt::Reg(REGISTRY)) as u64);
        Ok(())
    }

    /// Makes person `i`, registers it, befriends members of its group, and logs it.
    fn new_person<H: Heap>(&mut self, m: &mut Model<'_, H>, i: u64) -> Result<(), WorkloadError> {
        m.str(NAME, format!("person-{i}").as_bytes())?;
        m.instance(ME, PERSON)?;
        m.setattr(ME, K_NAME, NAME)?;
        let age = self.rng.below(90) as i64;
        m.int(T0, age)?;
        m.setattr(ME, K_AGE, T0)?;
        m.list(T0)?;
        m.setattr(ME, K_FRIENDS, T0)?;
        m.int(T0, 0)?;
        m.setattr(ME, K_SCORE, T0)?;
        m.dict_set(DictAt::Reg(REGISTRY), NAME, ME)?;

        let members = m.list_len(GROUP) as u64;
        if members > 0 {
            for _ in 0..self.rng.between(1, 3) {
                let j = self.rng.below(members) as usize;
                self.befriend(m, j, age)?;
            }
        }
        m.list_append(GROUP, ME)?;

        m.int(T0, age)?;
        m.tuple(T1, &[NAME, T0])?;
        m.list_append(LOG, T1)?;
        if i % 4 == 0 {
            m.str(T2, b"member")?;
            m.tuple(T1, &[T2, T0])?;
            m.setattr(ME, K_TAGS, T1)?;
        }
        m.str(T1, b"hello, ")?;
        m.concat(T2, T1, NAME)?;
        self.add(str_hash(m.str_bytes(T2)) & 0xffff);
        if m.list_len(LOG) == LOG_LEN {
            for k in 0..LOG_LEN {
                m.list_get(T1, LOG, k);
                m.tuple_get(T2, T1, 1);
                self.add(m.int_value(T2) as u64);
            }
            m.list(LOG)?;
        }
        Ok(())
    }

    /// Makes `ME` and member `j` of the group friends, finding the member by an equal name.
    fn befriend<H: Heap>(&mut self, m: &mut Model<'_, H>, j: usize, age: i64) -> Result<(), WorkloadError> {
        m.list_get(FRIEND, GROUP, j);
        m.getattr(T1, FRIEND, K_NAME);
        let name = m.str_bytes(T1).to_vec();
        m.str(T1, &name)?;
        if !m.dict_get(T2, DictAt::Reg(REGISTRY), T1) || m.get(T2) != m.get(FRIEND) {
            return Err(check_failed(format!(
                "looking up {:?} by an equal name did not find the member",
                String::from_utf8_lossy(&name)
            )));
        }
        m.getattr(T1, ME, K_FRIENDS);
        m.list_append(T1, FRIEND)?;
        m.getattr(T1, FRIEND, K_FRIENDS);
        m.list_append(T1, ME)?;
        if m.list_len(T1) > MAX_FRIENDS {
            m.list_pop_front(T1);
        }
        m.getattr(T1, FRIEND, K_SCORE);
        let score = m.int_value(T1) + age;
        m.int(T1, score)?;
        m.setattr(FRIEND, K_SCORE, T1)?;
        Ok(())
    }

    /// Checks that the registry holds exactly the live groups' members; returns its size.
    fn final_check<H: Heap>(&mut self, m: &mut Model<'_, H>) -> Result<usize, WorkloadError> {
        let mut members = 0;
        for slot in 0..LIVE_GROUPS {
            m.list_get(GROUP, GROUPS, slot);
            if m.get(GROUP).is_none() {
                continue;
            }
            for k in 0..m.list_len(GROUP) {
                m.list_get(ME, GROUP, k);
                m.getattr(NAME, ME, K_NAME);
                if !m.dict_get(T0, DictAt::Reg(REGISTRY), NAME) || m.get(T0) != m.get(ME) {
                    return Err(check_failed(format!(
                        "live member {:?} is missing from the registry",
                        String::from_utf8_lossy(m.str_bytes(NAME))
                    )));
                }
                m.getattr(T1, ME, K_SCORE);
                self.add(m.int_value(T1) as u64);
                members += 1;
            }
        }
        let registry = m.dict_len(DictAt::Reg(REGISTRY));
        if registry != members {
            return Err(check_failed(format!("the registry holds {registry} persons, the live groups {members}")));
        }
        self.add(registry as u64);
        Ok(registry)
    }
}
