// Boehm's GCBench (after John Ellis and Pete Kovac), as gclab's `gcbench` workload runs it
// (crates/gclab-workloads/src/gcbench.rs), for scripts/vs-hotspot --workload gcbench.
//
// At size s (16 is GCBench's): a stretch tree of depth s + 2 built bottom-up and dropped; a
// long-lived tree of depth s built top-down and a long-lived array of 500,000 * 2^(s - 16)
// doubles (at least 4,000), array[i] = 1.0 / i for the first half; for depths d = 4, 6, ..., s,
// numIters(d) = 2 * treeSize(s + 2) / treeSize(d) trees built top-down (Populate: a node, then
// its children stored into it, young into old) and as many bottom-up (MakeTree), each walked
// once (its nodes counted) and dropped; finally the long-lived tree and array are checked.
// A node has two references and GCBench's two int fields. It prints GCBench's deterministic
// lines only (no timings), byte for byte what `gclab run --workload gcbench --size s` prints,
// and fails if the node count of every tree walked is not the one gclab's checksum works out.
public final class GCBench {
    static final class Node {
        Node left, right;
        int i, j;
        Node(Node l, Node r) { left = l; right = r; }
        Node() { }
    }

    static final int MIN_TREE_DEPTH = 4;

    static long treeSize(int d) { return (1L << (d + 1)) - 1; }

    static long numIters(int stretch, int d) { return 2 * treeSize(stretch) / treeSize(d); }

    static void populate(int depth, Node node) {
        if (depth <= 0) return;
        depth--;
        node.left = new Node();
        node.right = new Node();
        populate(depth, node.left);
        populate(depth, node.right);
    }

    static Node makeTree(int depth) {
        return depth <= 0 ? new Node() : new Node(makeTree(depth - 1), makeTree(depth - 1));
    }

    static long count(Node n) { return n == null ? 0 : 1 + count(n.left) + count(n.right); }

    public static void main(String[] args) {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        int stretch = size + 2;
        System.out.println("Garbage Collector Test");
        System.out.println(" Stretching memory with a binary tree of depth " + stretch);
        long checksum = count(makeTree(stretch));

        System.out.println(" Creating a long-lived binary tree of depth " + size);
        Node longLived = new Node();
        populate(size, longLived);

        int len = Math.max(4000, size >= 16 ? 500_000 << (size - 16) : 500_000 >> (16 - size));
        System.out.println(" Creating a long-lived array of " + len + " doubles");
        double[] array = new double[len];
        for (int i = 0; i < len / 2; i++) array[i] = 1.0 / i;

        long expected = treeSize(stretch) + treeSize(size);
        for (int d = MIN_TREE_DEPTH; d <= size; d += 2) {
            long iters = numIters(stretch, d);
            System.out.println("Creating " + iters + " trees of depth " + d);
            for (long k = 0; k < iters; k++) {
                Node top = new Node();
                populate(d, top);
                checksum += count(top);
            }
            for (long k = 0; k < iters; k++) checksum += count(makeTree(d));
            expected += 2 * iters * treeSize(d);
        }

        long nodes = count(longLived);
        checksum += nodes;
        if (nodes != treeSize(size) || array[1000] != 1.0 / 1000) {
            throw new IllegalStateException("the long-lived data is damaged: " + nodes + " nodes, array[1000] = " + array[1000]);
        }
        if (checksum != expected) throw new IllegalStateException("counted " + checksum + " nodes, expected " + expected);
    }
}
