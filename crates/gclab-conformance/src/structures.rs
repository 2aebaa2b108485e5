//! Deep, wide and cyclic structures: what breaks a recursive marker, a slot scanner with an
//! off-by-one, or a collector that cannot free cycles. Each check makes its own heap.
//!
//! Every walk here is a loop; nothing recurses over the object graph.

use gclab_core::{CollectionKind, Heap, HeapConfig, ObjRef, Tag};

const LIST_TAG: Tag = Tag(0x11);
const WIDE_TAG: Tag = Tag(0x22);
const ITEM_TAG: Tag = Tag(0x33);
const RING_TAG: Tag = Tag(0x44);
const KEEP_TAG: Tag = Tag(0x55);

fn make<H: Heap>(config: HeapConfig) -> H {
    H::with_config(config).unwrap_or_else(|e| panic!("{}: {e}", H::NAME))
}

fn alloc<H: Heap>(heap: &mut H, tag: Tag, slots: usize, bytes: usize) -> ObjRef {
    heap.allocate(tag, slots, bytes).unwrap_or_else(|e| panic!("{}: allocate({slots}, {bytes}): {e}", H::NAME))
}

fn verify<H: Heap>(heap: &H, when: &str) {
    if let Err(e) = heap.verify() {
        panic!("{}: verify() {when}: {e}", H::NAME);
    }
}

fn collect_and_verify<H: Heap>(heap: &mut H, kind: CollectionKind) {
    heap.collect(kind);
    verify(heap, &format!("after a {} collection", kind.name()));
}

fn read_u64<H: Heap>(heap: &H, obj: ObjRef) -> u64 {
    let data: [u8; 8] = heap.data(obj).try_into().expect("8 data bytes");
    u64::from_le_bytes(data)
}

/// Walks the list from `head` through slot 0, checking that node `k` (from the head) carries
/// `expected(k)`; returns the length.
fn walk_list<H: Heap>(heap: &H, head: Option<ObjRef>, expected: impl Fn(u64) -> u64) -> usize {
    let mut count = 0u64;
    let mut cur = head;
    while let Some(node) = cur {
        assert_eq!(heap.tag(node), LIST_TAG, "node {count}: tag");
        assert_eq!(read_u64(heap, node), expected(count), "node {count}: data");
        cur = heap.load(node, 0);
        count += 1;
    }
    count as usize
}

/// Drops every root, collects, and checks that nothing is left.
fn drop_all<H: Heap>(heap: &mut H) {
    heap.truncate_roots(0);
    collect_and_verify(heap, CollectionKind::Full);
    assert_eq!(heap.live_objects(), 0, "{}: objects left with no roots", H::NAME);
}

/// A singly linked list of `len` nodes built by prepending (each new node points to the
/// older head), kept by one root-stack entry: a full collection keeps exactly `len` objects,
/// an iterative walk finds every node with its data, and dropping the root frees them all.
/// A marker that recurses overflows the stack here.
pub fn deep_list<H: Heap>(config: HeapConfig, len: usize) {
    let mut heap: H = make(config);
    heap.push_root(None);
    for i in 0..len {
        let node = alloc(&mut heap, LIST_TAG, 1, 8);
        heap.data_mut(node).copy_from_slice(&(i as u64).to_le_bytes());
        let head = heap.root_at(0);
        heap.store(node, 0, head);
        heap.set_root(0, Some(node));
    }
    collect_and_verify(&mut heap, CollectionKind::Minor);
    collect_and_verify(&mut heap, CollectionKind::Full);
    assert_eq!(heap.live_objects(), len, "{}: live objects", H::NAME);
    let top = len as u64 - 1;
    let found = walk_list(&heap, heap.root_at(0), |k| top - k);
    assert_eq!(found, len, "{}: list length", H::NAME);
    drop_all(&mut heap);
}

/// A list of `len` nodes built by appending (each new node is stored into the previous tail,
/// so older objects point to younger ones: what a generational write barrier must see),
/// kept by its head; then the same checks as [`deep_list`].
pub fn deep_list_appended<H: Heap>(config: HeapConfig, len: usize) {
    let mut heap: H = make(config);
    let first = alloc(&mut heap, LIST_TAG, 1, 8);
    heap.push_root(Some(first)); // 0: head
    heap.push_root(Some(first)); // 1: tail
    for i in 1..len {
        let node = alloc(&mut heap, LIST_TAG, 1, 8);
        heap.data_mut(node).copy_from_slice(&(i as u64).to_le_bytes());
        let tail = heap.root_at(1).expect("the tail is rooted");
        heap.store(tail, 0, Some(node));
        heap.set_root(1, Some(node));
    }
    heap.pop_root();
    collect_and_verify(&mut heap, CollectionKind::Minor);
    collect_and_verify(&mut heap, CollectionKind::Full);
    assert_eq!(heap.live_objects(), len, "{}: live objects", H::NAME);
    let found = walk_list(&heap, heap.root_at(0), |k| k);
    assert_eq!(found, len, "{}: list length", H::NAME);
    drop_all(&mut heap);
}

/// One object of `width` slots (a large object), each slot pointing to its own small
/// object: a full collection keeps all `width + 1`, each slot still reaches its item.
pub fn wide_object<H: Heap>(config: HeapConfig, width: usize) {
    let mut heap: H = make(config);
    let wide = alloc(&mut heap, WIDE_TAG, width, 0);
    heap.push_root(Some(wide));
    for i in 0..width {
        let item = alloc(&mut heap, ITEM_TAG, 0, 8);
        heap.data_mut(item).copy_from_slice(&(i as u64).to_le_bytes());
        let wide = heap.root_at(0).expect("the wide object is rooted");
        heap.store(wide, i, Some(item));
    }
    collect_and_verify(&mut heap, CollectionKind::Minor);
    collect_and_verify(&mut heap, CollectionKind::Full);
    assert_eq!(heap.live_objects(), width + 1, "{}: live objects", H::NAME);
    let wide = heap.root_at(0).expect("the wide object is rooted");
    assert_eq!(heap.slot_count(wide), width);
    for i in 0..width {
        let item = heap.load(wide, i).unwrap_or_else(|| panic!("{}: slot {i} of the wide object is null", H::NAME));
        assert_eq!(heap.tag(item), ITEM_TAG, "item {i}: tag");
        assert_eq!(read_u64(&heap, item), i as u64, "item {i}: data");
    }
    drop_all(&mut heap);
}

/// Rooted "keeper" nodes, and `rings` unrooted rings of 1 to 8 nodes (a ring of one is a
/// self-loop), some of large objects, some pointing into the keepers: a full collection
/// frees every ring and keeps every keeper.
pub fn cycle_garbage<H: Heap>(config: HeapConfig, rings: usize) {
    const KEEPERS: usize = 10;
    let mut heap: H = make(config);
    for i in 0..KEEPERS {
        let keeper = alloc(&mut heap, KEEP_TAG, 1, 8);
        heap.data_mut(keeper).copy_from_slice(&(i as u64).to_le_bytes());
        heap.push_root(Some(keeper));
    }
    for r in 0..rings {
        let size = 1 + r % 8;
        let slots = if r % 97 == 0 { 2_000 } else { 2 };
        let first = alloc(&mut heap, RING_TAG, slots, 0);
        heap.push_root(Some(first)); // KEEPERS: the first node
        heap.push_root(Some(first)); // KEEPERS + 1: the newest node
        for _ in 1..size {
            let node = alloc(&mut heap, RING_TAG, slots, 0);
            let newest = heap.root_at(KEEPERS + 1);
            heap.store(node, 0, newest);
            heap.set_root(KEEPERS + 1, Some(node));
        }
        let first = heap.root_at(KEEPERS).expect("rooted");
        let newest = heap.root_at(KEEPERS + 1);
        heap.store(first, 0, newest); // closes the ring (a self-loop when size is 1)
        if r % 3 == 0 {
            let keeper = heap.root_at(r % KEEPERS);
            heap.store(first, 1, keeper);
        }
        heap.truncate_roots(KEEPERS);
    }
    collect_and_verify(&mut heap, CollectionKind::Full);
    assert_eq!(heap.live_objects(), KEEPERS, "{}: garbage cycles survived", H::NAME);
    collect_and_verify(&mut heap, CollectionKind::Minor);
    for i in 0..KEEPERS {
        let keeper = heap.root_at(i).expect("rooted");
        assert_eq!(read_u64(&heap, keeper), i as u64, "keeper {i}: data");
        assert_eq!(heap.load(keeper, 0), None, "keeper {i}: slot");
    }
    drop_all(&mut heap);
}

/// Objects whose slots point to themselves, rooted and unrooted: the rooted ones survive
/// with their self-references intact (current across moving collections), the unrooted one
/// is freed.
pub fn self_references<H: Heap>(config: HeapConfig) {
    let mut heap: H = make(config);
    let a = alloc(&mut heap, KEEP_TAG, 1, 0);
    heap.store(a, 0, Some(a));
    heap.push_root(Some(a));
    let b = alloc(&mut heap, KEEP_TAG, 3, 5);
    heap.store(b, 0, Some(b));
    heap.store(b, 2, Some(b));
    heap.push_root(Some(b));
    let garbage = alloc(&mut heap, RING_TAG, 1, 0);
    heap.store(garbage, 0, Some(garbage));
    let large = alloc(&mut heap, RING_TAG, 2_000, 0);
    heap.store(large, 1_999, Some(large));
    for kind in [CollectionKind::Minor, CollectionKind::Full, CollectionKind::Full] {
        collect_and_verify(&mut heap, kind);
        let a = heap.root_at(0).expect("rooted");
        let b = heap.root_at(1).expect("rooted");
        assert_eq!(heap.load(a, 0), Some(a), "a's self-reference");
        assert_eq!([heap.load(b, 0), heap.load(b, 1), heap.load(b, 2)], [Some(b), None, Some(b)], "b's slots");
    }
    assert_eq!(heap.live_objects(), 2, "{}: unrooted self-loops survived", H::NAME);
    drop_all(&mut heap);
}

/// Allocates about `total_bytes` of unrooted garbage (small objects, and every 50th a
/// 64 KiB large one) in a heap limited to `heap_limit`, with a small rooted structure
/// alongside: garbage never exhausts the heap, and the rooted structure survives.
pub fn garbage_churn<H: Heap>(config: HeapConfig, heap_limit: usize, total_bytes: usize) {
    let mut heap: H = make(config.heap_limit(heap_limit));
    let keeper = alloc(&mut heap, KEEP_TAG, 1, 8);
    heap.data_mut(keeper).copy_from_slice(&7u64.to_le_bytes());
    heap.push_root(Some(keeper));
    let mut allocated = 0usize;
    let mut n = 0usize;
    while allocated < total_bytes {
        let (slots, bytes) = if n % 50 == 49 { (0, 64 << 10) } else { (n % 8, (n * 7) % 40) };
        let obj = alloc(&mut heap, RING_TAG, slots, bytes);
        if slots > 0 {
            let keeper = heap.root_at(0);
            heap.store(obj, 0, keeper);
        }
        allocated += 16 + slots * 8 + bytes;
        n += 1;
    }
    collect_and_verify(&mut heap, CollectionKind::Full);
    assert_eq!(heap.live_objects(), 1, "{}: live objects", H::NAME);
    let keeper = heap.root_at(0).expect("rooted");
    assert_eq!(read_u64(&heap, keeper), 7);
    drop_all(&mut heap);
}
