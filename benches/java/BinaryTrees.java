// The Benchmarks Game's binary-trees, single-threaded (gclab is), for scripts/vs-hotspot.
public final class BinaryTrees {
    record Node(Node left, Node right) {
        int check() { return left == null ? 1 : 1 + left.check() + right.check(); }
    }

    static Node make(int d) { return d == 0 ? new Node(null, null) : new Node(make(d - 1), make(d - 1)); }

    public static void main(String[] args) {
        int max = Math.max(6, args.length > 0 ? Integer.parseInt(args[0]) : 10);
        System.out.println("stretch tree of depth " + (max + 1) + "\t check: " + make(max + 1).check());
        Node longLived = make(max);
        for (int d = 4; d <= max; d += 2) {
            int iterations = 1 << (max - d + 4), check = 0;
            for (int i = 0; i < iterations; i++) check += make(d).check();
            System.out.println(iterations + "\t trees of depth " + d + "\t check: " + check);
        }
        System.out.println("long lived tree of depth " + max + "\t check: " + longLived.check());
    }
}
