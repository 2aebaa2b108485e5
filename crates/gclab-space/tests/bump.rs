//! The bump space on its own: contiguous allocation, page accounting, exhaustion, reset.

use gclab_core::{object_size, ObjectMemory, Tag, GRANULE, PAGE_SIZE};
use gclab_space::BumpSpace;

fn space(bytes: usize) -> (ObjectMemory, BumpSpace) {
    let mut memory = ObjectMemory::new(bytes.next_multiple_of(1 << 20)).unwrap();
    let space = BumpSpace::new(&mut memory, bytes);
    (memory, space)
}

fn alloc(memory: &mut ObjectMemory, space: &mut BumpSpace, slots: usize, bytes: usize) -> Option<usize> {
    let size = object_size(slots, bytes).unwrap();
    let granule = space.alloc(memory, size)?;
    // SAFETY: the space just handed out `size` fresh bytes at `granule`.
    unsafe { memory.init_object(granule, Tag(3), slots as u32, bytes as u32, true, false) };
    Some(granule)
}

#[test]
fn objects_are_laid_end_to_end_and_pages_counted() {
    let (mut memory, mut space) = space(1 << 20);
    assert_eq!(space.committed_bytes(), 0);
    let a = alloc(&mut memory, &mut space, 2, 0).unwrap(); // 32 bytes
    let b = alloc(&mut memory, &mut space, 0, 17).unwrap(); // 48 bytes
    let c = alloc(&mut memory, &mut space, 1, 0).unwrap(); // 32 bytes
    assert_eq!(b - a, 32 / GRANULE);
    assert_eq!(c - b, 48 / GRANULE);
    assert_eq!((space.used_bytes(), space.objects()), (112, 3));
    assert_eq!(space.committed_bytes(), PAGE_SIZE, "one page touched");
    assert!(space.contains_allocated(c) && !space.contains_allocated(c + 2));
    assert!(space.contains(c + 2));
    space.verify(&memory).unwrap();
    let mut seen = Vec::new();
    space.for_each_object(&memory, |g| seen.push(g));
    assert_eq!(seen, vec![a, b, c]);
    alloc(&mut memory, &mut space, 0, 5000).unwrap();
    assert_eq!(space.committed_bytes(), 2 * PAGE_SIZE);
}

#[test]
fn exhaustion_returns_none_and_leaves_the_space_intact() {
    let (mut memory, mut space) = space(64 << 10);
    let mut n = 0;
    while alloc(&mut memory, &mut space, 0, 1008).is_some() {
        n += 1;
    }
    assert_eq!(n, 64, "64 KiB holds exactly 64 objects of 1 KiB");
    assert_eq!(space.free_bytes(), 0);
    assert!(space.alloc(&memory, 16).is_none());
    space.verify(&memory).unwrap();
}

#[test]
fn reset_empties_the_space_and_clears_valid_bits() {
    let (mut memory, mut space) = space(1 << 20);
    let a = alloc(&mut memory, &mut space, 1, 8).unwrap();
    memory.data_mut(memory_ref(&memory, a)).unwrap().copy_from_slice(&[7; 8]);
    alloc(&mut memory, &mut space, 3, 0).unwrap();
    // SAFETY: nothing refers to the objects.
    unsafe { space.reset(&memory) };
    assert!(!memory.is_object(a));
    assert_eq!((space.used_bytes(), space.objects(), space.committed_bytes()), (0, 0, 0));
    space.verify(&memory).unwrap();
    let again = alloc(&mut memory, &mut space, 1, 8).unwrap();
    assert_eq!(again, a, "the cursor starts over");
    assert_eq!(memory.data(memory_ref(&memory, again)).unwrap(), &[0; 8], "reset pages read as zero");
}

#[test]
fn verify_notices_a_stray_valid_bit() {
    let (mut memory, mut space) = space(1 << 20);
    let a = alloc(&mut memory, &mut space, 0, 0).unwrap();
    // SAFETY: deliberately breaks the space's invariant, which `verify` must notice; nothing
    // reads the forged object but `verify` (which reads only its header: zero, in range).
    unsafe { memory.valid_bits_writer() }.set(a + 10);
    assert!(space.verify(&memory).is_err());
}

/// A reference to the object at `granule` (made by resolving the only sequence number used).
fn memory_ref(memory: &ObjectMemory, granule: usize) -> gclab_core::ObjRef {
    // SAFETY: an object starts at `granule` (the tests just made it).
    let seq = unsafe { memory.object(granule) }.seq();
    gclab_core::ObjRef::new(memory.heap_id(), seq, granule as u32)
}
