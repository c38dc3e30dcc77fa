package org.dlm.passes.lower;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;
import org.dlm.ir.kernel.Buffer;
import org.dlm.ir.kernel.KernelModule;
import org.dlm.ir.kernel.KernelVerifier;
import org.dlm.ir.kernel.Stmt;

/**
 * Lowers a whole graph to Kernel IR in static mode: every symbolic dim is bound (from
 * {@code dims}), each node is lowered by its op's entry in {@link LoweringTable} in topological
 * order, chains of elementwise ops fuse into one loop nest, reshape-like ops alias their operand,
 * and the temporaries are laid out by {@link MemoryPlanner}.
 *
 * <pre>{@code
 * Lowered low = GraphLowering.lower(graph, Map.of("B", 1L), params);
 * System.out.println(low.module());            // Kernel IR text
 * }</pre>
 *
 * Dynamic mode (symbolic dims kept as i64 entry arguments) would bind dims to {@code Expr.Var}s
 * instead of constants here; the loop extents already are expressions.
 */
public final class GraphLowering {
    /** Output name prefix of a parameter's next value (a training step's {@code new/<p>}). */
    public static final String UPDATE_PREFIX = org.dlm.passes.train.TrainStep.NEW;

    private GraphLowering() {}

    public static Lowered lower(Graph g, Map<String, Long> dims, Map<String, NdArray> params) {
        return lower(g, dims, params, LoweringTable.standard());
    }

    public static Lowered lower(Graph g, Map<String, Long> dims, Map<String, NdArray> params, LoweringTable table) {
        return lower(g, dims, params, table, false);
    }

    /**
     * With {@code mutableParams} (training), every parameter keeps its own buffer in the parameter
     * block ({@link Lowered#params()}) and nothing is derived from parameter values at compile
     * time: no batch-norm folding, no pre-transposed linear weights, no parameter read as a
     * constant — so the values may be rewritten between runs.
     */
    public static Lowered lower(Graph g, Map<String, Long> dims, Map<String, NdArray> params, LoweringTable table, boolean mutableParams) {
        return lower(g, dims, params, table, mutableParams, false);
    }

    /**
     * With {@code updateInPlace} as well (a training step run by {@code runUpdating}), each output
     * {@code new/<p>} that {@link InPlaceUpdates#safe} allows is written straight into parameter
     * {@code p}'s buffer: its {@link Lowered.Port} then is that {@link Buffer.Kind#PARAM} buffer
     * and running the program updates the parameter. Other {@code new/} outputs keep their own
     * buffers (to be copied by the caller).
     */
    public static Lowered lower(Graph g, Map<String, Long> dims, Map<String, NdArray> params, LoweringTable table, boolean mutableParams,
                                boolean updateInPlace) {
        List<String> problems = new ArrayList<>();
        g = TrainingBatchNorm.rewrite(g);
        List<Node> order = g.topoOrder();
        // ---- check what can be checked before lowering anything: dims, params, ops
        Set<String> unbound = new TreeSet<>();
        for (Node n : order)
            for (Dim d : n.shape().dims())
                for (String s : d.symbols()) if (!dims.containsKey(s)) unbound.add(s);
        if (!unbound.isEmpty()) problems.add("dimension" + (unbound.size() > 1 ? "s " : " ") + String.join(", ", unbound)
                + " must be bound for static compilation (e.g. B=1)");
        Set<String> unsupported = new TreeSet<>();
        for (Node n : order) {
            String op = n.opName();
            if (!op.equals("input") && !op.equals("param") && !op.equals("const") && table.get(op) == null) unsupported.add(op);
            if (n.dtype() == DType.F16 || n.dtype() == DType.BF16) unsupported.add(op + " on " + n.dtype().text());
            if (op.equals("param")) {
                String name = n.attrs().getString("name");
                NdArray v = params.get(name);
                if (v == null) problems.add("missing value for parameter '" + name + "' of type " + n.type());
                else if (unbound.isEmpty() && !Arrays.equals(v.shape(), n.shape().substitute(dims).sizes()))
                    problems.add("parameter '" + name + "' should have shape " + n.shape() + ", got " + Arrays.toString(v.shape()));
            }
        }
        if (!unsupported.isEmpty()) problems.add("the LLVM backend cannot lower op" + (unsupported.size() > 1 ? "s " : " ") + String.join(", ", unsupported));
        if (!problems.isEmpty()) throw new LoweringException(problems);

        if (!mutableParams) {
            ConvBatchNormFolding.Result folded = ConvBatchNormFolding.fold(g, params);
            g = folded.graph();
            params = folded.params();
            LinearWeightTranspose.Result transposed = LinearWeightTranspose.apply(g, params);
            g = transposed.graph();
            params = transposed.params();
            order = g.topoOrder();
        }
        Lowerer cx = new Lowerer(table, dims, params, mutableParams);
        Map<String, Buffer> paramBuffers = new LinkedHashMap<>();
        cx.countUses(g, order);
        cx.findReluEpilogues(g, order);
        List<Lowered.Port> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        int slot = 0;
        for (Node in : g.inputs()) {
            TensorType t = in.type().withShape(in.shape().substitute(dims));
            Buffer b = cx.addBuffer(new Buffer(cx.fresh(in.attrs().getString("name")), Buffer.Kind.INPUT, t.dtype(), Lowerer.numel(cx.shape(in)), slot++, 0));
            cx.setStorage(in, b);
            inputs.add(new Lowered.Port(in.attrs().getString("name"), t, b));
        }
        // outputs: the first output naming a computed node writes straight into it
        Map<Node, Buffer> outputFor = new HashMap<>();
        slot = 0;
        for (Graph.Output o : g.outputs()) {
            Node n = o.node();
            TensorType t = n.type().withShape(n.shape().substitute(dims));
            Buffer b = cx.addBuffer(new Buffer(cx.fresh("out_" + o.name()), Buffer.Kind.OUTPUT, t.dtype(), Lowerer.numel(cx.shape(n)), slot++, 0));
            outputs.add(new Lowered.Port(o.name(), t, b));
            outputFor.putIfAbsent(n, b);
        }
        cx.setOutputs(outputFor);

        List<Stmt> body = new ArrayList<>();
        Set<Buffer> written = new LinkedHashSet<>();
        for (Node n : order) {
            String op = n.opName();
            if (op.equals("input")) continue;
            try {
                if (op.equals("param") || op.equals("const")) {
                    if (op.equals("const") && cx.isInlined(n)) continue;
                    if (op.equals("param")) {
                        String name = n.attrs().getString("name");
                        Buffer b = cx.param(name, params.get(name));
                        paramBuffers.put(name, b);
                        cx.setStorage(n, b);
                    } else {
                        cx.setStorage(n, cx.param("const", cx.constant(n)));
                    }
                    continue;
                }
                if (cx.hasStorage(n)) continue;   // computed with another node (Lowerer.sibling)
                OpLowering rule = table.get(op);
                if (rule instanceof OpLowering.View) {
                    cx.setStorage(n, cx.storage(n.input(0)));
                    continue;
                }
                if (cx.isLinearWeight(n)) continue;   // read untransposed by its linear
                if (cx.isFusedRelu(n)) {
                    cx.setStorage(n, cx.storage(n.input(0)));
                    continue;
                }
                if (rule instanceof OpLowering.Elementwise && cx.isInlined(n)) continue;
                Buffer target = outputFor.get(n);
                if (target == null && cx.fusedRelu(n) != null) target = outputFor.get(cx.fusedRelu(n));
                if (target == null) target = cx.temp(op, n.dtype(), Lowerer.numel(cx.shape(n)));
                cx.setStorage(n, target);
                written.add(target);
                if (rule instanceof OpLowering.Elementwise e) {
                    Buffer out = target;
                    long[] shape = cx.shape(n);
                    if (cx.flatFusable(n)) cx.flatLoop(shape, true, idx -> List.of(new Stmt.Store(out, idx.flat(), e.rule().value(n, idx, cx))));
                    else cx.loops(shape, true, idx -> List.of(new Stmt.Store(out, idx.flat(), e.rule().value(n, idx, cx))));
                } else if (rule instanceof OpLowering.Statements s) {
                    s.rule().emit(n, cx);
                }
                body.addAll(cx.take());
            } catch (UnsupportedOperationException e) {
                problems.add(op + ": " + e.getMessage());
                cx.take();
            }
        }
        if (!problems.isEmpty()) throw new LoweringException(problems);

        // outputs not written in place (views, inputs, params, repeated nodes) are copied
        for (int i = 0; i < outputs.size(); i++) {
            Node n = g.outputs().get(i).node();
            Buffer dst = outputs.get(i).buffer();
            if (cx.hasStorage(n) && cx.storage(n).equals(dst)) continue;
            long[] shape = cx.shape(n);
            cx.flatLoop(shape, true, idx -> List.of(new Stmt.Store(dst, idx.flat(), cx.read(n, idx))));
            body.addAll(cx.take());
        }

        if (mutableParams && updateInPlace) body = updateInPlace(body, outputs, paramBuffers);
        if (mutableParams) body = LoopFusion.fuseAdjacent(body);   // training: an optimizer's updates of one parameter in one pass

        // ---- memory planning
        List<Buffer> temps = cx.buffers.stream().filter(b -> b.kind() == Buffer.Kind.TEMP).toList();
        MemoryPlanner.Plan plan = MemoryPlanner.plan(temps, body);
        Map<String, Buffer> placed = new LinkedHashMap<>();
        List<Buffer> all = new ArrayList<>();
        for (Buffer b : cx.buffers) {
            Buffer f = b.kind() == Buffer.Kind.TEMP ? b.at(plan.offsets().get(b.name())) : b;
            placed.put(f.name(), f);
            all.add(f);
        }
        List<Stmt> planned = BufferRebinder.rebind(body, placed);
        KernelModule m = new KernelModule(sanitize(g.name()), all, planned, plan.arenaBytes(), Math.max(cx.paramBytes(), 0));
        KernelVerifier.verify(m);
        List<Lowered.Port> ins = inputs.stream().map(p -> new Lowered.Port(p.name(), p.type(), placed.get(p.buffer().name()))).toList();
        List<Lowered.Port> outs = outputs.stream().map(p -> new Lowered.Port(p.name(), p.type(), placed.get(p.buffer().name()))).toList();
        Map<String, Buffer> paramPorts = new LinkedHashMap<>();
        paramBuffers.forEach((name, b) -> paramPorts.put(name, placed.get(b.name())));
        return new Lowered(m, cx.paramData, ins, outs, plan.arenaBytes(), paramPorts);
    }

    /** Renames each {@code new/<p>} output that may share {@code p}'s memory to {@code p}, in the body and in {@code outputs}. */
    private static List<Stmt> updateInPlace(List<Stmt> body, List<Lowered.Port> outputs, Map<String, Buffer> paramBuffers) {
        Map<String, Buffer> renamed = new HashMap<>();
        for (int i = 0; i < outputs.size(); i++) {
            Lowered.Port o = outputs.get(i);
            if (!o.name().startsWith(UPDATE_PREFIX)) continue;
            Buffer p = paramBuffers.get(o.name().substring(UPDATE_PREFIX.length()));
            if (p == null || renamed.containsKey(o.buffer().name()) || !InPlaceUpdates.safe(body, o.buffer(), p)) continue;
            renamed.put(o.buffer().name(), p);
            outputs.set(i, new Lowered.Port(o.name(), o.type(), p));
        }
        return renamed.isEmpty() ? body : BufferRebinder.rebind(body, renamed);
    }

    private static String sanitize(String name) {
        String s = name == null ? "graph" : name.replaceAll("[^A-Za-z0-9_]", "_");
        return s.isEmpty() ? "graph" : s;
    }

}
