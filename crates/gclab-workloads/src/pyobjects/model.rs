//! A Python-like object model on a gclab heap, driven through *registers*: entries of the
//! heap's root stack, as an interpreter's frame holds its locals. Every operation names its
//! operands by register and re-reads them after each allocation, so nothing the program needs
//! is ever held only in a Rust local across a collection.
//!
//! | type | tag | slots | data |
//! |---|---|---|---|
//! | int | [`INT`] | 0 | the value, `i64` |
//! | str | [`STR`] | 0 | its hash (`u64`, FNV-1a), then its UTF-8 bytes |
//! | tuple | [`TUPLE`] | its items | — |
//! | list | [`LIST`] | 1: the item array (or null) | its length, `u64` |
//! | item array | [`ARRAY`] | its capacity | — |
//! | dict | [`DICT`] | 1: the table | active entries, filled entries (`u64` each) |
//! | dict table | [`TABLE`] | 2 × capacity: key, value, key, value, … | — |
//! | dummy | [`DUMMY`] | 0 | — (the key left where an entry was deleted) |
//! | class | [`CLASS`] | 2: name, dict | — |
//! | instance | [`INSTANCE`] | 2: class, dict of attributes | — |
//!
//! Dicts are CPython's open-addressing tables in miniature: a power-of-two capacity, linear
//! probing from the key's hash, deletion by a dummy key (a *tombstone*), and a rebuild into a
//! fresh table when active plus dummy entries pass two thirds of the capacity. Lists
//! over-allocate by half as CPython's do.

use gclab_core::{AllocError, Heap, ObjRef, Tag};

/// The tag of an int.
pub const INT: Tag = Tag(20);
/// The tag of a str.
pub const STR: Tag = Tag(21);
/// The tag of a tuple.
pub const TUPLE: Tag = Tag(22);
/// The tag of a list.
pub const LIST: Tag = Tag(23);
/// The tag of a list's item array.
pub const ARRAY: Tag = Tag(24);
/// The tag of a dict.
pub const DICT: Tag = Tag(25);
/// The tag of a dict's table.
pub const TABLE: Tag = Tag(26);
/// The tag of the dummy key.
pub const DUMMY: Tag = Tag(27);
/// The tag of a class.
pub const CLASS: Tag = Tag(28);
/// The tag of an instance.
pub const INSTANCE: Tag = Tag(29);

/// The smallest dict capacity (entries).
const MIN_DICT: usize = 8;

/// A register: an index into the frame of root-stack entries the model owns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reg(pub usize);

/// The register holding the dummy key.
const DUMMY_REG: Reg = Reg(0);
/// The register operations use for an object under construction.
const SCRATCH: Reg = Reg(1);
/// The first register free for the program.
pub const FIRST_FREE: usize = 2;

/// Where a dict is: in a register, or as the attribute dict of the instance in a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DictAt {
    /// The dict in this register.
    Reg(Reg),
    /// The attribute dict of the instance in this register.
    AttrsOf(Reg),
}

/// The object model over a heap: a frame of registers on its root stack.
pub struct Model<'h, H: Heap> {
    heap: &'h mut H,
    base: usize,
    registers: usize,
}

/// FNV-1a, 64-bit: the hash of a str's bytes.
pub fn str_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

/// The hash of an int (a multiplicative mix, so consecutive ints spread over the table).
pub fn int_hash(value: i64) -> u64 {
    (value as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl<'h, H: Heap> Model<'h, H> {
    /// Pushes a frame of `registers` registers (all null, plus the model's own two) on the
    /// heap's root stack and makes the dummy key. Call [`Model::finish`] to pop it.
    pub fn new(heap: &'h mut H, registers: usize) -> Result<Self, AllocError> {
        let base = heap.root_depth();
        let registers = registers + FIRST_FREE;
        for _ in 0..registers {
            heap.push_root(None);
        }
        let mut model = Model { heap, base, registers };
        let dummy = model.heap.allocate(DUMMY, 0, 0);
        match dummy {
            Ok(dummy) => {
                model.set(DUMMY_REG, Some(dummy));
                Ok(model)
            }
            Err(e) => {
                model.finish();
                Err(e)
            }
        }
    }

    /// Pops the frame, leaving the root stack as it was before [`Model::new`].
    pub fn finish(self) {
        self.heap.truncate_roots(self.base);
    }

    /// The heap, for reads.
    pub fn heap(&self) -> &H {
        self.heap
    }

    /// The object in register `r`.
    #[inline]
    pub fn get(&self, r: Reg) -> Option<ObjRef> {
        debug_assert!(r.0 < self.registers, "register {} of {}", r.0, self.registers);
        self.heap.root_at(self.base + r.0)
    }

    /// The object in register `r`, which must not be null.
    #[inline]
    #[track_caller]
    pub fn obj(&self, r: Reg) -> ObjRef {
        self.get(r).unwrap_or_else(|| panic!("register {} is null", r.0))
    }

    /// Puts `value` in register `r`.
    #[inline]
    pub fn set(&mut self, r: Reg, value: Option<ObjRef>) {
        self.heap.set_root(self.base + r.0, value);
    }

    /// Copies register `from` into register `to`.
    pub fn copy(&mut self, to: Reg, from: Reg) {
        let value = self.get(from);
        self.set(to, value);
    }

    /// Allocates into register `dst`.
    fn alloc(&mut self, dst: Reg, tag: Tag, slots: usize, bytes: usize) -> Result<ObjRef, AllocError> {
        let obj = self.heap.allocate(tag, slots, bytes)?;
        self.set(dst, Some(obj));
        Ok(obj)
    }

    // ---- ints and strs ----

    /// `dst = int(value)`.
    pub fn int(&mut self, dst: Reg, value: i64) -> Result<(), AllocError> {
        let obj = self.alloc(dst, INT, 0, 8)?;
        self.heap.data_mut(obj).copy_from_slice(&value.to_le_bytes());
        Ok(())
    }

    /// The value of the int in register `r`.
    pub fn int_value(&self, r: Reg) -> i64 {
        self.int_of(self.obj(r))
    }

    fn int_of(&self, obj: ObjRef) -> i64 {
        i64::from_le_bytes(self.heap.data(obj)[..8].try_into().expect("an int has 8 bytes"))
    }

    /// `dst = str(bytes)`, its hash computed once and kept in the object.
    pub fn str(&mut self, dst: Reg, bytes: &[u8]) -> Result<(), AllocError> {
        let obj = self.alloc(dst, STR, 0, 8 + bytes.len())?;
        let data = self.heap.data_mut(obj);
        data[..8].copy_from_slice(&str_hash(bytes).to_le_bytes());
        data[8..].copy_from_slice(bytes);
        Ok(())
    }

    /// `dst = a + b` for the strs in registers `a` and `b`.
    pub fn concat(&mut self, dst: Reg, a: Reg, b: Reg) -> Result<(), AllocError> {
        let mut bytes = self.str_bytes(a).to_vec();
        bytes.extend_from_slice(self.str_bytes(b));
        self.str(dst, &bytes)
    }

    /// The bytes of the str in register `r`.
    pub fn str_bytes(&self, r: Reg) -> &[u8] {
        &self.heap.data(self.obj(r))[8..]
    }

    /// The hash a dict uses for `key`.
    fn hash(&self, key: ObjRef) -> u64 {
        let tag = self.heap.tag(key);
        if tag == STR {
            u64::from_le_bytes(self.heap.data(key)[..8].try_into().expect("a str has a hash"))
        } else if tag == INT {
            int_hash(self.int_of(key))
        } else {
            // Other objects hash by identity, as Python's default `__hash__`: `identity_hash`,
            // which a moving collector keeps across copies (the reference's bits change when
            // the object moves). Their order would depend on the hash, so the program never
            // iterates a dict keyed by them.
            self.heap.identity_hash(key)
        }
    }

    /// Python's `==` for dict keys: identity, or equal ints, or equal strs.
    fn key_eq(&self, a: ObjRef, b: ObjRef) -> bool {
        if a == b {
            return true;
        }
        let tag = self.heap.tag(a);
        if tag != self.heap.tag(b) {
            return false;
        }
        if tag == INT {
            self.int_of(a) == self.int_of(b)
        } else if tag == STR {
            self.heap.data(a) == self.heap.data(b) // the hash, then the bytes
        } else {
            false
        }
    }

    // ---- tuples ----

    /// `dst = (items…)`, the items read from registers.
    pub fn tuple(&mut self, dst: Reg, items: &[Reg]) -> Result<(), AllocError> {
        let tuple = self.alloc(dst, TUPLE, items.len(), 0)?;
        for (i, &item) in items.iter().enumerate() {
            let value = self.get(item);
            self.heap.store(tuple, i, value);
        }
        Ok(())
    }

    /// `dst = tuple[index]`.
    pub fn tuple_get(&mut self, dst: Reg, tuple: Reg, index: usize) {
        let value = self.heap.load(self.obj(tuple), index);
        self.set(dst, value);
    }

    // ---- lists ----

    /// `dst = []`.
    pub fn list(&mut self, dst: Reg) -> Result<(), AllocError> {
        self.alloc(dst, LIST, 1, 8)?;
        Ok(())
    }

    /// `len(list)`.
    pub fn list_len(&self, list: Reg) -> usize {
        self.list_len_of(self.obj(list))
    }

    fn list_len_of(&self, list: ObjRef) -> usize {
        u64::from_le_bytes(self.heap.data(list)[..8].try_into().expect("a list has a length")) as usize
    }

    fn set_list_len(&mut self, list: ObjRef, len: usize) {
        self.heap.data_mut(list).copy_from_slice(&(len as u64).to_le_bytes());
    }

    /// `list.append(item)`: grows the item array by half (at least to 4) when it is full.
    pub fn list_append(&mut self, list: Reg, item: Reg) -> Result<(), AllocError> {
        let obj = self.obj(list);
        let len = self.list_len_of(obj);
        let capacity = self.heap.load(obj, 0).map_or(0, |items| self.heap.slot_count(items));
        if len == capacity {
            let grown = (capacity + capacity / 2).max(4);
            let new = self.alloc(SCRATCH, ARRAY, grown, 0)?;
            // The list may have moved during the allocation: read it back.
            let obj = self.obj(list);
            if let Some(old) = self.heap.load(obj, 0) {
                for i in 0..len {
                    let value = self.heap.load(old, i);
                    self.heap.store(new, i, value);
                }
            }
            self.heap.store(obj, 0, Some(new));
            self.set(SCRATCH, None);
        }
        let obj = self.obj(list);
        let items = self.heap.load(obj, 0).expect("the list has room");
        let value = self.get(item);
        self.heap.store(items, len, value);
        self.set_list_len(obj, len + 1);
        Ok(())
    }

    /// `dst = list[index]` (`index < len(list)`).
    pub fn list_get(&mut self, dst: Reg, list: Reg, index: usize) {
        let value = self.list_item(list, index);
        self.set(dst, value);
    }

    /// `list[index]`, without a register (the reference is valid until the next allocation
    /// or store).
    pub fn list_item(&self, list: Reg, index: usize) -> Option<ObjRef> {
        let obj = self.obj(list);
        assert!(index < self.list_len_of(obj), "list index {index} out of range");
        self.heap.load(self.heap.load(obj, 0).expect("a non-empty list has items"), index)
    }

    /// `list[index] = item` (`index < len(list)`).
    pub fn list_set(&mut self, list: Reg, index: usize, item: Reg) {
        let obj = self.obj(list);
        assert!(index < self.list_len_of(obj), "list index {index} out of range");
        let items = self.heap.load(obj, 0).expect("a non-empty list has items");
        let value = self.get(item);
        self.heap.store(items, index, value);
    }

    /// `del list[0]`: shifts the rest down, as CPython's `list.pop(0)` does.
    pub fn list_pop_front(&mut self, list: Reg) {
        let obj = self.obj(list);
        let len = self.list_len_of(obj);
        assert!(len > 0, "pop from an empty list");
        let items = self.heap.load(obj, 0).expect("a non-empty list has items");
        for i in 1..len {
            let value = self.heap.load(items, i);
            self.heap.store(items, i - 1, value);
        }
        self.heap.store(items, len - 1, None);
        self.set_list_len(obj, len - 1);
    }

    // ---- dicts ----

    /// `dst = {}`.
    pub fn dict(&mut self, dst: Reg) -> Result<(), AllocError> {
        self.alloc(dst, DICT, 1, 16)?;
        let table = self.heap.allocate(TABLE, 2 * MIN_DICT, 0)?;
        let dict = self.obj(dst);
        self.heap.store(dict, 0, Some(table));
        Ok(())
    }

    /// The dict at `at`, read afresh.
    fn dict_ref(&self, at: DictAt) -> ObjRef {
        match at {
            DictAt::Reg(r) => self.obj(r),
            DictAt::AttrsOf(r) => self.heap.load(self.obj(r), 1).expect("an instance has a dict"),
        }
    }

    fn counts(&self, dict: ObjRef) -> (usize, usize) {
        let data = self.heap.data(dict);
        let active = u64::from_le_bytes(data[..8].try_into().expect("16 bytes"));
        let filled = u64::from_le_bytes(data[8..16].try_into().expect("16 bytes"));
        (active as usize, filled as usize)
    }

    fn set_counts(&mut self, dict: ObjRef, active: usize, filled: usize) {
        let data = self.heap.data_mut(dict);
        data[..8].copy_from_slice(&(active as u64).to_le_bytes());
        data[8..16].copy_from_slice(&(filled as u64).to_le_bytes());
    }

    /// `len(dict)`.
    pub fn dict_len(&self, at: DictAt) -> usize {
        self.counts(self.dict_ref(at)).0
    }

    /// Probes `table` for `key`: `Ok(index)` of the entry holding an equal key, or
    /// `Err(index)` of the entry where it would go (the first dummy passed, else the empty
    /// entry that ended the probe).
    fn probe(&self, table: ObjRef, key: ObjRef) -> Result<usize, usize> {
        let dummy = self.get(DUMMY_REG);
        let mask = self.heap.slot_count(table) / 2 - 1;
        let mut i = self.hash(key) as usize & mask;
        let mut first_dummy = None;
        loop {
            match self.heap.load(table, 2 * i) {
                None => return Err(first_dummy.unwrap_or(i)),
                Some(k) if Some(k) == dummy => {
                    first_dummy.get_or_insert(i);
                }
                Some(k) if self.key_eq(k, key) => return Ok(i),
                Some(_) => {}
            }
            i = (i + 1) & mask;
        }
    }

    /// `dst = dict.get(key)`; returns whether the key was found (`dst` is null if not).
    pub fn dict_get(&mut self, dst: Reg, at: DictAt, key: Reg) -> bool {
        let value = self.dict_lookup(at, key);
        self.set(dst, value.flatten());
        value.is_some()
    }

    /// `dict.get(key)` without a register: `Some(value)` if found (valid until the next
    /// allocation or store).
    pub fn dict_lookup(&self, at: DictAt, key: Reg) -> Option<Option<ObjRef>> {
        let table = self.heap.load(self.dict_ref(at), 0).expect("a dict has a table");
        let index = self.probe(table, self.obj(key)).ok()?;
        Some(self.heap.load(table, 2 * index + 1))
    }

    /// `dict[key] = value`; rebuilds the table first when it is two-thirds full.
    pub fn dict_set(&mut self, at: DictAt, key: Reg, value: Reg) -> Result<(), AllocError> {
        let dict = self.dict_ref(at);
        let (active, filled) = self.counts(dict);
        let capacity = self.heap.slot_count(self.heap.load(dict, 0).expect("a dict has a table")) / 2;
        if (filled + 1) * 3 > capacity * 2 {
            self.resize(at, ((active + 1) * 3).next_power_of_two().max(MIN_DICT))?;
        }
        let dict = self.dict_ref(at);
        let table = self.heap.load(dict, 0).expect("a dict has a table");
        let (active, filled) = self.counts(dict);
        let value = self.get(value);
        match self.probe(table, self.obj(key)) {
            Ok(index) => self.heap.store(table, 2 * index + 1, value),
            Err(index) => {
                let reused_dummy = self.heap.load(table, 2 * index).is_some();
                let key = self.get(key);
                self.heap.store(table, 2 * index, key);
                self.heap.store(table, 2 * index + 1, value);
                self.set_counts(dict, active + 1, if reused_dummy { filled } else { filled + 1 });
            }
        }
        Ok(())
    }

    /// `del dict[key]`, leaving a dummy key; returns whether the key was there.
    pub fn dict_del(&mut self, at: DictAt, key: Reg) -> bool {
        let dict = self.dict_ref(at);
        let table = self.heap.load(dict, 0).expect("a dict has a table");
        let Ok(index) = self.probe(table, self.obj(key)) else {
            return false;
        };
        let dummy = self.get(DUMMY_REG);
        self.heap.store(table, 2 * index, dummy);
        self.heap.store(table, 2 * index + 1, None);
        let (active, filled) = self.counts(dict);
        self.set_counts(dict, active - 1, filled);
        true
    }

    /// Moves the dict's active entries into a fresh table of `capacity` entries.
    fn resize(&mut self, at: DictAt, capacity: usize) -> Result<(), AllocError> {
        let new = self.alloc(SCRATCH, TABLE, 2 * capacity, 0)?;
        // The dict may have moved during the allocation: read it back.
        let dict = self.dict_ref(at);
        let old = self.heap.load(dict, 0).expect("a dict has a table");
        let dummy = self.get(DUMMY_REG);
        let mask = capacity - 1;
        for i in 0..self.heap.slot_count(old) / 2 {
            let Some(key) = self.heap.load(old, 2 * i).filter(|&k| Some(k) != dummy) else {
                continue;
            };
            let mut j = self.hash(key) as usize & mask;
            while self.heap.load(new, 2 * j).is_some() {
                j = (j + 1) & mask;
            }
            let value = self.heap.load(old, 2 * i + 1);
            self.heap.store(new, 2 * j, Some(key));
            self.heap.store(new, 2 * j + 1, value);
        }
        self.heap.store(dict, 0, Some(new));
        let (active, _) = self.counts(dict);
        self.set_counts(dict, active, active);
        self.set(SCRATCH, None);
        Ok(())
    }

    /// Calls `f` with every (key, value) of the dict at `at`, in table order. `f` may read the
    /// heap but not change it.
    pub fn dict_for_each(&self, at: DictAt, mut f: impl FnMut(&H, ObjRef, Option<ObjRef>)) {
        let table = self.heap.load(self.dict_ref(at), 0).expect("a dict has a table");
        let dummy = self.get(DUMMY_REG);
        for i in 0..self.heap.slot_count(table) / 2 {
            if let Some(key) = self.heap.load(table, 2 * i).filter(|&k| Some(k) != dummy) {
                f(self.heap, key, self.heap.load(table, 2 * i + 1));
            }
        }
    }

    // ---- classes and instances ----

    /// `dst = class name: pass`, with an empty class dict.
    pub fn class(&mut self, dst: Reg, name: Reg) -> Result<(), AllocError> {
        let class = self.alloc(dst, CLASS, 2, 0)?;
        let name = self.get(name);
        self.heap.store(class, 0, name);
        self.dict(SCRATCH)?;
        let (class, dict) = (self.obj(dst), self.get(SCRATCH));
        self.heap.store(class, 1, dict);
        self.set(SCRATCH, None);
        Ok(())
    }

    /// `dst = class()`: an instance with an empty attribute dict.
    pub fn instance(&mut self, dst: Reg, class: Reg) -> Result<(), AllocError> {
        let instance = self.alloc(dst, INSTANCE, 2, 0)?;
        let class = self.get(class);
        self.heap.store(instance, 0, class);
        self.dict(SCRATCH)?;
        let (instance, dict) = (self.obj(dst), self.get(SCRATCH));
        self.heap.store(instance, 1, dict);
        self.set(SCRATCH, None);
        Ok(())
    }

    /// `dst = obj.name`; returns whether the attribute exists.
    pub fn getattr(&mut self, dst: Reg, obj: Reg, name: Reg) -> bool {
        self.dict_get(dst, DictAt::AttrsOf(obj), name)
    }

    /// `obj.name = value`.
    pub fn setattr(&mut self, obj: Reg, name: Reg, value: Reg) -> Result<(), AllocError> {
        self.dict_set(DictAt::AttrsOf(obj), name, value)
    }
}
