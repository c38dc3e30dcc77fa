package org.dlm.ir;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A value in Graph IR: an op applied to operand nodes with attributes, and its result type.
 * Nodes are immutable and hash-consed: building the same op on the same operands with the same
 * attributes yields the identical object, so equality is identity and common subexpressions are
 * shared by construction. Graph inputs, parameters and constants are nodes too (ops
 * {@code input}, {@code param}, {@code const}).
 *
 * <pre>{@code
 * Node x = Node.of("input", List.of(), Attrs.of("name", "x", "type", ...));
 * Node y = Node.of("relu", List.of(x), Attrs.EMPTY);   // type inferred by relu's shape rule
 * }</pre>
 */
public final class Node {
    private final OpDef op;
    private final List<Node> inputs;
    private final Attrs attrs;
    private final TensorType type;
    private final int hash;

    private Node(OpDef op, List<Node> inputs, Attrs attrs, TensorType type) {
        this.op = op;
        this.inputs = inputs;
        this.attrs = attrs;
        this.type = type;
        this.hash = Objects.hash(op.name(), inputs.stream().mapToInt(System::identityHashCode).boxed().toList(), attrs, type);
    }

    /** Applies op {@code opName}, inferring the result type with its shape rule (throws {@link ShapeException}). */
    public static Node of(String opName, List<Node> inputs, Attrs attrs) {
        return of(OpTable.require(opName), inputs, attrs);
    }

    public static Node of(String opName, Node... inputs) { return of(opName, List.of(inputs), Attrs.EMPTY); }

    /** Applies {@code op}, checking arity and attributes and inferring the result type. */
    public static Node of(OpDef op, List<Node> inputs, Attrs attrs) {
        Attrs full = op.checkAttrs(attrs);
        op.checkArity(inputs.size());
        TensorType t = op.shapeRule().infer(inputs.stream().map(Node::type).toList(), full);
        return intern(op, List.copyOf(inputs), full, t);
    }

    /**
     * Builds a node with a given type and no checks at all. For parsers of already-typed IR and for
     * tests that hand-break graphs; the {@link Verifier} finds what is wrong with such nodes.
     */
    public static Node unchecked(OpDef op, List<Node> inputs, Attrs attrs, TensorType type) {
        return intern(op, List.copyOf(inputs), attrs, type);
    }

    public OpDef op() { return op; }
    public String opName() { return op.name(); }
    public List<Node> inputs() { return inputs; }
    public Node input(int i) { return inputs.get(i); }
    public Attrs attrs() { return attrs; }
    public TensorType type() { return type; }
    public DType dtype() { return type.dtype(); }
    public Shape shape() { return type.shape(); }

    /** Same op and attributes on other operands (type re-inferred). */
    public Node withInputs(List<Node> newInputs) { return of(op, newInputs, attrs); }

    @Override public boolean equals(Object o) { return this == o; }
    @Override public int hashCode() { return hash; }
    @Override public String toString() { return op.name() + attrs + " : " + type; }

    // --- hash-consing: a weak intern table, so graphs nobody holds are collected ---

    private record Key(OpDef op, List<Node> inputs, Attrs attrs, TensorType type) {
        @Override public boolean equals(Object o) {
            if (!(o instanceof Key k) || k.op != op || k.inputs.size() != inputs.size()) return false;
            for (int i = 0; i < inputs.size(); i++) if (k.inputs.get(i) != inputs.get(i)) return false;
            return k.attrs.equals(attrs) && k.type.equals(type);
        }
        @Override public int hashCode() {
            return Objects.hash(op.name(), inputs.stream().mapToInt(System::identityHashCode).boxed().toList(), attrs, type);
        }
    }

    private static final class Ref extends WeakReference<Node> {
        final Key key;
        Ref(Node n, Key key, ReferenceQueue<Node> q) { super(n, q); this.key = key; }
    }

    private static final ConcurrentHashMap<Key, Ref> TABLE = new ConcurrentHashMap<>();
    private static final ReferenceQueue<Node> QUEUE = new ReferenceQueue<>();

    private static Node intern(OpDef op, List<Node> inputs, Attrs attrs, TensorType type) {
        for (Object r; (r = QUEUE.poll()) != null; ) TABLE.remove(((Ref) r).key, r);
        Key key = new Key(op, inputs, attrs, type);
        while (true) {
            Ref ref = TABLE.get(key);
            Node n = ref == null ? null : ref.get();
            if (n != null) return n;
            Node fresh = new Node(op, inputs, attrs, type);
            Ref nr = new Ref(fresh, key, QUEUE);
            if (ref == null ? TABLE.putIfAbsent(key, nr) == null : TABLE.replace(key, ref, nr)) return fresh;
        }
    }
}
