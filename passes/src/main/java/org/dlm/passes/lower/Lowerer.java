package org.dlm.passes.lower;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;
import org.dlm.ir.kernel.Buffer;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.Stmt;

/**
 * The state of lowering one graph: where each node's value lives (a buffer, shared with the
 * operand for views, or nowhere for fused elementwise nodes), the statements emitted so far, and
 * the parameter data (including data derived at compile time, such as folded batch norms).
 * Lowering rules use it to read operands at an index, allocate scratch buffers and emit loops.
 */
public final class Lowerer {
    private final LoweringTable table;
    private final Map<String, Long> env;
    private final Map<Node, Integer> uses = new IdentityHashMap<>();
    private final Map<Node, Node> soleUser = new IdentityHashMap<>();
    private final Map<Node, Buffer> storage = new IdentityHashMap<>();
    private final Map<Node, Boolean> inlined = new IdentityHashMap<>();
    private final Map<String, NdArray> givenParams;
    final Map<String, NdArray> paramData = new LinkedHashMap<>();
    final List<Buffer> buffers = new ArrayList<>();
    private final Map<String, Integer> names = new HashMap<>();
    private List<Stmt> out = new ArrayList<>();
    private long paramBytes;

    /** Parameters may change between runs: never read their values at compile time. */
    private final boolean mutableParams;

    Lowerer(LoweringTable table, Map<String, Long> env, Map<String, NdArray> params) {
        this(table, env, params, false);
    }

    Lowerer(LoweringTable table, Map<String, Long> env, Map<String, NdArray> params, boolean mutableParams) {
        this.mutableParams = mutableParams;
        this.table = table;
        this.env = env;
        this.givenParams = params;
    }

    // ---- shapes

    public long[] shape(Node n) {
        long[] s = new long[n.shape().rank()];
        for (int i = 0; i < s.length; i++) s[i] = n.shape().dim(i).eval(env);
        return s;
    }

    public static long numel(long[] shape) {
        long p = 1;
        for (long d : shape) p *= d;
        return p;
    }

    // ---- storage decisions

    void countUses(Graph g, List<Node> order) {
        for (Node n : order)
            for (Node in : n.inputs()) {
                uses.merge(in, 1, Integer::sum);
                soleUser.put(in, n);
            }
        for (Graph.Output o : g.outputs()) uses.merge(o.node(), 2, Integer::sum);   // outputs are always stored
    }

    /** True when {@code n} is an elementwise op computed inside its only consumer's loop. */
    public boolean isInlined(Node n) {
        Boolean b = inlined.get(n);
        if (b != null) return b;
        boolean r = false;
        if (table.get(n.opName()) instanceof OpLowering.Elementwise && uses.getOrDefault(n, 0) == 1) {
            Node user = soleUser.get(n);
            r = user != null && table.get(user.opName()) instanceof OpLowering.Elementwise;
        }
        if (n.opName().equals("const") && numel(shape(n)) == 1) r = true;
        inlined.put(n, r);
        return r;
    }

    /**
     * True when {@code n} is a compile-time transposed weight ({@link LinearWeightTranspose}) read
     * only as the weight of a linear: the linear multiplies by the stored parameter untransposed,
     * so the transpose itself is never computed.
     */
    public boolean isLinearWeight(Node n) {
        Node user = soleUser.get(n);
        return LinearWeightTranspose.isTransposedWeight(n) && uses.getOrDefault(n, 0) == 1
                && user != null && user.opName().equals("linear") && user.input(1) == n;
    }

    private final Map<Node, Node> reluEpilogue = new IdentityHashMap<>();

    /**
     * Finds activations whose operand is a single-use conv2d or linear: the producer applies them
     * in its epilogue and the activation becomes an alias of the producer's result. A linear
     * takes only relu (its GEMM's epilogue flag); a conv2d also takes relu6 and clip, which it
     * applies while the image it just computed is still in cache (see {@link ConvLowering}).
     */
    void findReluEpilogues(Graph g, List<Node> order) {
        java.util.Set<Node> outputs = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Graph.Output o : g.outputs()) outputs.add(o.node());
        for (Node n : order) {
            String op = n.opName();
            if (!op.equals("relu") && !op.equals("relu6") && !op.equals("clip")) continue;
            Node p = n.input(0);
            boolean fusable = p.opName().equals("conv2d") || (p.opName().equals("linear") && op.equals("relu"));
            if (fusable && p.dtype() == DType.F32 && uses.getOrDefault(p, 0) == 1 && !outputs.contains(p)) reluEpilogue.put(p, n);
        }
    }

    /** The activation (relu; for conv2d also relu6 or clip) fused into {@code producer}'s epilogue, or null. */
    public Node fusedRelu(Node producer) { return reluEpilogue.get(producer); }

    /** Whether {@code act} is computed by its operand's epilogue. */
    boolean isFusedRelu(Node act) {
        return !act.inputs().isEmpty() && reluEpilogue.get(act.input(0)) == act;
    }

    private Map<Node, Buffer> outputFor = Map.of();

    /** The graph output buffers, by the node each one is written from in place. */
    void setOutputs(Map<Node, Buffer> outputFor) { this.outputFor = outputFor; }

    /** The output buffer {@code n} is computed into, or null. */
    Buffer outputFor(Node n) { return outputFor.get(n); }

    /**
     * Storage for {@code s}, another node of the graph that the lowering under way computes on
     * the way (such as batch_mean by batch_var, the gamma gradient by the batch-norm input
     * gradient): {@code s} is then stored here and not lowered by itself. {@code s} must need
     * nothing that the current node does not (the same operands). Null when {@code s} is not in
     * the graph or already computed.
     */
    public Buffer sibling(Node s) {
        if (uses.getOrDefault(s, 0) == 0 || hasStorage(s)) return null;
        Buffer b = outputFor.get(s);
        if (b == null) b = temp(s.opName(), s.dtype(), numel(shape(s)));
        setStorage(s, b);
        return b;
    }

    boolean hasStorage(Node n) { return storage.containsKey(n); }
    void setStorage(Node n, Buffer b) { storage.put(n, b); }

    /** The buffer holding {@code n} (contiguous, row-major, of n's static shape). */
    public Buffer storage(Node n) {
        Buffer b = storage.get(n);
        if (b == null) throw new IllegalStateException("no storage for " + n);
        return b;
    }

    // ---- reading values

    /** The value of {@code n} at {@code idx} (an index into n's own shape). */
    public Expr read(Node n, Index idx) {
        if (n.opName().equals("const") && numel(shape(n)) == 1)
            return Expr.c(n.dtype(), n.attrs().get("value") instanceof org.dlm.ir.Constant c ? c.value(0) : 0);
        if (isInlined(n)) {
            OpLowering.Elementwise e = (OpLowering.Elementwise) table.get(n.opName());
            return e.rule().value(n, idx, this);
        }
        return Expr.load(storage(n), numel(shape(n)) == 1 ? Expr.i64(0) : idx.flat());
    }

    /** Operand {@code i} of {@code n} at the output index {@code idx}, with numpy broadcasting. */
    public Expr operand(Node n, int i, Index idx) {
        Node in = n.input(i);
        return read(in, broadcast(idx, shape(in)));
    }

    /** Maps an index of a result to the index of an operand broadcast to it (trailing dims aligned, size-1 dims pinned to 0). */
    public static Index broadcast(Index idx, long[] operand) {
        if (Arrays.equals(idx.shape(), operand)) return idx;
        if (numel(operand) == 1) return Index.ofFlat(operand, Expr.i64(0));
        int offset = idx.rank() - operand.length;
        List<Expr> dims = new ArrayList<>();
        for (int k = 0; k < operand.length; k++) dims.add(operand[k] == 1 ? Expr.i64(0) : idx.dim(k + offset));
        return Index.ofDims(operand, dims);
    }

    /** Whether the fused expression tree of {@code n} reads every operand at the same flat index (one flat loop suffices). */
    boolean flatFusable(Node n) {
        if (!(table.get(n.opName()) instanceof OpLowering.Elementwise e) || !e.pointwise()) return false;
        long[] s = shape(n);
        for (Node in : n.inputs()) {
            long[] si = shape(in);
            if (numel(si) == 1) continue;
            if (!Arrays.equals(si, s)) return false;
            if (isInlined(in) && !(in.opName().equals("const")) && !flatFusable(in)) return false;
        }
        return true;
    }

    // ---- parameters and constants

    private final Map<Object, Buffer> derived = new HashMap<>();

    /** A parameter derived at compile time (e.g. a folded batch norm's scale), made once per key. */
    public Buffer derived(Object key, String hint, java.util.function.Supplier<NdArray> data) {
        Buffer b = derived.get(key);
        if (b == null) derived.put(key, b = param(hint, data.get()));
        return b;
    }

    /**
     * The compile-time value of a param or const node, or null when it is computed at run time
     * (also for params compiled as mutable).
     */
    public NdArray constant(Node n) {
        if (n.opName().equals("param")) return mutableParams ? null : givenParams.get(n.attrs().getString("name"));
        if (n.opName().equals("const")) {
            org.dlm.ir.Constant c = (org.dlm.ir.Constant) n.attrs().get("value");
            return new NdArray(c.type().dtype(), shape(n), c.values());
        }
        return null;
    }

    /** A parameter buffer filled with {@code data} once, at compile time. */
    public Buffer param(String hint, NdArray data) {
        Buffer b = new Buffer(fresh(hint), Buffer.Kind.PARAM, data.dtype(), data.size(), 0, paramBytes);
        paramBytes = align(paramBytes + b.byteSize());
        buffers.add(b);
        paramData.put(b.name(), data);
        return b;
    }

    long paramBytes() { return paramBytes; }

    static long align(long bytes) { return (bytes + 63) / 64 * 64; }

    /** A temporary in the arena (placed later by memory planning). */
    public Buffer temp(String hint, DType dtype, long elements) {
        Buffer b = new Buffer(fresh(hint), Buffer.Kind.TEMP, dtype, elements, 0, 0);
        buffers.add(b);
        return b;
    }

    Buffer addBuffer(Buffer b) {
        buffers.add(b);
        names.merge(b.name(), 1, Integer::sum);
        return b;
    }

    public String fresh(String hint) {
        String base = hint.replaceAll("[^A-Za-z0-9_]", "_");
        if (base.isEmpty() || Character.isDigit(base.charAt(0))) base = "v" + base;
        int k = names.merge(base, 1, Integer::sum);
        return k == 1 ? base : base + "_" + (k - 1);
    }

    // ---- emitting statements

    public void emit(Stmt s) { out.add(s); }

    List<Stmt> take() {
        List<Stmt> r = out;
        out = new ArrayList<>();
        return r;
    }

    /** Statements emitted by {@code body} collected as a list instead of into the module (loop bodies). */
    public List<Stmt> collect(Runnable body) {
        List<Stmt> saved = out;
        out = new ArrayList<>();
        try {
            body.run();
            return out;
        } finally {
            out = saved;
        }
    }

    /**
     * A nest of loops over {@code shape} (outermost first) around the statements {@code body} emits
     * for each index; with {@code parallel} the outermost loop emitted (size-1 dims get none) is
     * marked parallel: its iterations must be independent (see docs/kernel-ir.md).
     */
    public void loops(long[] shape, boolean parallel, Function<Index, List<Stmt>> body) {
        List<Expr> dims = new ArrayList<>();
        String[] vars = new String[shape.length];
        for (int k = 0; k < shape.length; k++) {
            vars[k] = fresh("i");
            dims.add(shape[k] == 1 ? Expr.i64(0) : new Expr.Var(vars[k], DType.I64));
        }
        List<Stmt> inner = body.apply(Index.ofDims(shape, dims));
        int outermost = 0;
        while (outermost < shape.length - 1 && shape[outermost] == 1) outermost++;
        for (int k = shape.length - 1; k >= 0; k--) {
            if (shape[k] == 1) continue;
            inner = List.of(new Stmt.Loop(vars[k], Expr.i64(shape[k]), 1, parallel && k == outermost, inner));
        }
        inner.forEach(this::emit);
    }

    /** One flat loop over {@code n} elements. */
    public void flatLoop(long[] shape, boolean parallel, Function<Index, List<Stmt>> body) {
        long n = numel(shape);
        if (n == 1) {
            body.apply(Index.ofFlat(shape, Expr.i64(0))).forEach(this::emit);
            return;
        }
        String v = fresh("i");
        emit(new Stmt.Loop(v, Expr.i64(n), 1, parallel, body.apply(Index.ofFlat(shape, new Expr.Var(v, DType.I64)))));
    }

    /** {@code for var in [0, n)}, the body emitted by {@code body} given the loop variable. */
    public void loop(long n, Function<Expr, List<Stmt>> body) { loop(n, false, body); }

    /** {@code for var in [0, n) [parallel]}: a parallel loop's iterations must be independent. */
    public void loop(long n, boolean parallel, Function<Expr, List<Stmt>> body) {
        if (n == 1) {
            body.apply(Expr.i64(0)).forEach(this::emit);
            return;
        }
        String v = fresh("i");
        emit(new Stmt.Loop(v, Expr.i64(n), 1, parallel, body.apply(new Expr.Var(v, DType.I64))));
    }

    /** Declares a local and returns it as a variable. */
    public Expr.Var local(String hint, DType type, Expr init) {
        String name = fresh(hint);
        emit(new Stmt.Declare(name, type, init));
        return new Expr.Var(name, type);
    }

    public void assign(Expr.Var v, Expr value) { emit(new Stmt.Assign(v.name(), value)); }
}
