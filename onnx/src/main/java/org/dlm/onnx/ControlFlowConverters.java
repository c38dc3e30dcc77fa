package org.dlm.onnx;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.NdArray;

/**
 * ONNX control flow: If, Loop and Scan. Graph IR has no control flow, so subgraphs are inlined:
 * an If with a known condition takes one branch, one with a computed condition evaluates both and
 * selects with {@code where}; Loop and Scan are unrolled over a trip count or sequence length
 * known at import time, a Loop condition computed at run time becoming a running "active" flag
 * that {@code where}-selects the loop-carried values.
 */
final class ControlFlowConverters {
    private ControlFlowConverters() {}

    /** Most iterations an unrolled Loop or Scan may have. */
    static final int MAX_ITERATIONS = 10_000;

    static void register(ConverterTable t) {
        t.put("If", ControlFlowConverters::ifNode);
        t.put("Loop", ControlFlowConverters::loop);
        t.put("Scan", ControlFlowConverters::scan);
    }

    /**
     * A known condition inlines the branch taken. A computed one inlines both branches and selects
     * each output with {@code where}, so both branches are evaluated: their outputs must agree in
     * dtype and shape.
     */
    private static List<Node> ifNode(OpContext cx) {
        NdArray cond = cx.staticIn(0);
        if (cond != null) {
            if (cond.size() != 1) throw cx.error("condition must hold one value");
            return cx.inline(cond.get(0) != 0 ? "then_branch" : "else_branch", List.of());
        }
        Node c = scalarCondition(cx, cx.in(0), "condition");
        List<Node> then = cx.inline("then_branch", List.of());
        List<Node> other = cx.inline("else_branch", List.of());
        if (then.size() != other.size())
            throw cx.error("then_branch has " + then.size() + " outputs but else_branch has " + other.size());
        List<String> differ = new ArrayList<>();
        for (int k = 0; k < then.size(); k++)
            if (!then.get(k).type().equals(other.get(k).type()))
                differ.add("output " + (k + 1) + " is " + then.get(k).type() + " in then_branch, " + other.get(k).type() + " in else_branch");
        if (!differ.isEmpty())
            throw cx.unsupported("with a condition computed at run time whose branches give different types (" + String.join("; ", differ)
                    + "): both branches are evaluated and selected element-wise, which needs equal types");
        List<Node> r = new ArrayList<>();
        for (int k = 0; k < then.size(); k++) r.add(then.get(k) == other.get(k) ? then.get(k) : cx.op("where", c, then.get(k), other.get(k)));
        return r;
    }

    /**
     * Unrolled: needs the trip count M, or a condition known at import time after each iteration.
     * A condition computed at run time is folded into a running "active" flag: every one of the M
     * iterations is evaluated, and a carried value keeps its previous value once the flag is off.
     */
    private static List<Node> loop(OpContext cx) {
        Long trips = null;
        if (cx.hasInput(0)) {
            NdArray m = cx.staticIn(0);
            if (m == null) throw cx.unsupported("with a trip count M computed at run time (the loop is unrolled: M must be known at import time)");
            if (m.size() != 1) throw cx.error("trip count M must hold one value");
            trips = (long) m.get(0);
        }
        Node active = cx.hasInput(1) ? scalarCondition(cx, cx.in(1), "cond") : cx.constant(NdArray.scalar(DType.BOOL, 1));
        List<Node> carried = new ArrayList<>();
        for (int i = 2; i < cx.inputCount(); i++) carried.add(cx.in(i));
        int nScan = cx.subgraphOutputs("body") - 1 - carried.size();
        if (nScan < 0) throw cx.error("body has fewer outputs than loop-carried values");
        List<List<Node>> scans = new ArrayList<>();
        for (int k = 0; k < nScan; k++) scans.add(new ArrayList<>());
        for (long i = 0; trips == null || i < trips; i++) {
            NdArray a = cx.session().staticValue(active);
            if (a != null && a.get(0) == 0) break;
            boolean dynamic = a == null;
            if (dynamic && trips == null)
                throw cx.unsupported("with a condition computed at run time and no trip count M (the loop is unrolled: it needs a maximum number of iterations known at import time)");
            if (dynamic && nScan > 0)
                throw cx.unsupported("with scan outputs and a condition computed at run time (the scan outputs' length would depend on the data)");
            if (dynamic && trips > MAX_ITERATIONS)   // every one of the M iterations would be unrolled
                throw cx.unsupported("with a condition computed at run time and trip count M = " + trips + ", more than the " + MAX_ITERATIONS + " iterations the importer unrolls");
            if (i >= MAX_ITERATIONS) throw cx.unsupported("running more than " + MAX_ITERATIONS + " iterations (the loop is unrolled)");
            List<Node> in = new ArrayList<>(List.of(cx.scalar(DType.I64, i), active));
            in.addAll(carried);
            List<Node> out = cx.inline("body", in);
            Node c = scalarCondition(cx, out.getFirst(), "body's condition output");
            List<Node> next = new ArrayList<>(out.subList(1, 1 + carried.size()));
            if (dynamic) {
                for (int k = 0; k < next.size(); k++) {
                    Node prev = carried.get(k), now = next.get(k);
                    if (!prev.type().equals(now.type()))
                        throw cx.unsupported("with a condition computed at run time whose loop-carried value " + (k + 1) + " changes type from "
                                + prev.type() + " to " + now.type() + " (carried values are selected element-wise, which needs equal types)");
                    if (prev != now) next.set(k, cx.op("where", active, now, prev));
                }
                active = cx.op("and", active, c);
            } else {
                active = c;
            }
            carried = next;
            for (int k = 0; k < nScan; k++) scans.get(k).add(cx.op("unsqueeze", List.of(out.get(1 + carried.size() + k)), "axes", List.of(0L)));
        }
        List<Node> results = new ArrayList<>(carried);
        for (List<Node> sc : scans) {
            if (sc.isEmpty()) throw cx.unsupported("with scan outputs and zero iterations");
            results.add(sc.size() == 1 ? sc.getFirst() : cx.op("concat", sc, "axis", 0L));
        }
        return results;
    }

    /**
     * Scan, unrolled over its sequence length (which must be known at import time). Opset 8 has a
     * leading batch axis on every operand and scans axis 1 per batch entry; opset 9 and later scan
     * the given axes in the given directions.
     */
    private static List<Node> scan(OpContext cx) {
        if (!cx.hasAttr("num_scan_inputs")) throw cx.error("needs attribute 'num_scan_inputs'");
        int nScanIn = (int) cx.attrInt("num_scan_inputs", 0);
        boolean batched = cx.opset() < 9;
        List<Node> operands = new ArrayList<>();
        for (int i = batched ? 1 : 0; i < cx.inputCount(); i++) operands.add(cx.in(i));
        int nState = operands.size() - nScanIn;
        if (nScanIn < 1 || nState < 0) throw cx.error("num_scan_inputs " + nScanIn + " does not fit its " + operands.size() + " operands");
        int nScanOut = cx.subgraphOutputs("body") - nState;
        if (nScanOut < 0) throw cx.error("body has fewer outputs than state variables");
        List<Node> states = operands.subList(0, nState), xs = operands.subList(nState, operands.size());
        if (!batched) {
            long[] inAxes = cx.attrs().ints("scan_input_axes", new long[nScanIn]);
            long[] inDirs = cx.attrs().ints("scan_input_directions", new long[nScanIn]);
            long[] outAxes = cx.attrs().ints("scan_output_axes", new long[nScanOut]);
            long[] outDirs = cx.attrs().ints("scan_output_directions", new long[nScanOut]);
            if (inAxes.length != nScanIn || inDirs.length != nScanIn) throw cx.error("scan_input_axes/directions need " + nScanIn + " entries");
            if (outAxes.length != nScanOut || outDirs.length != nScanOut) throw cx.error("scan_output_axes/directions need " + nScanOut + " entries");
            return scanSteps(cx, states, xs, inAxes, inDirs, outAxes, outDirs);
        }
        // opset 8: the batch entries are independent scans over axis 1, restacked along axis 0
        long[] dirs = cx.attrs().ints("directions", new long[nScanIn]);
        if (dirs.length != nScanIn) throw cx.error("directions needs " + nScanIn + " entries");
        Dim b = operands.getFirst().shape().rank() == 0 ? Dim.of(0) : operands.getFirst().shape().dim(0);
        if (!b.isConst()) throw cx.unsupported("(opset 8) on a symbolic batch size " + b + " (the scan is unrolled per batch entry)");
        Dim seq = xs.getFirst().shape().rank() < 2 ? Dim.of(0) : xs.getFirst().shape().dim(1);
        if (cx.hasInput(0)) {
            NdArray lens = cx.staticIn(0);
            if (lens == null) throw cx.unsupported("(opset 8) with sequence_lens computed at run time");
            for (int k = 0; k < lens.size(); k++)
                if (!seq.isConst() || lens.get(k) != seq.value())
                    throw cx.unsupported("(opset 8) with sequence_lens shorter than the sequence axis (" + (long) lens.get(k) + " < " + seq + ")");
        }
        List<List<Node>> perBatch = new ArrayList<>();
        for (int k = 0; k < nState + nScanOut; k++) perBatch.add(new ArrayList<>());
        for (long e = 0; e < b.value(); e++) {
            Node idx = cx.scalar(DType.I64, e);
            List<Node> s = new ArrayList<>(), x = new ArrayList<>();
            for (Node n : states) s.add(cx.op("gather", List.of(n, idx), "axis", 0L));
            for (Node n : xs) x.add(cx.op("gather", List.of(n, idx), "axis", 0L));
            List<Node> r = scanSteps(cx, s, x, new long[nScanIn], dirs, new long[nScanOut], new long[nScanOut]);
            for (int k = 0; k < r.size(); k++) perBatch.get(k).add(cx.op("unsqueeze", List.of(r.get(k)), "axes", List.of(0L)));
        }
        List<Node> results = new ArrayList<>();
        for (List<Node> parts : perBatch) {
            if (parts.isEmpty()) throw cx.unsupported("(opset 8) with an empty batch");
            results.add(parts.size() == 1 ? parts.getFirst() : cx.op("concat", parts, "axis", 0L));
        }
        return results;
    }

    /** One unrolled scan: the body runs once per element along each scan input's axis. */
    private static List<Node> scanSteps(OpContext cx, List<Node> states, List<Node> xs,
                                        long[] inAxes, long[] inDirs, long[] outAxes, long[] outDirs) {
        int[] axes = new int[xs.size()];
        Long len = null;
        for (int j = 0; j < xs.size(); j++) {
            Node x = xs.get(j);
            axes[j] = cx.axis(inAxes[j], x.shape().rank());
            Dim d = x.shape().dim(axes[j]);
            if (!d.isConst()) throw cx.unsupported("over a symbolic sequence length " + d + " (the scan is unrolled: its length must be known at import time)");
            if (len != null && len != d.value()) throw cx.error("scan inputs have different sequence lengths (" + len + " and " + d.value() + ")");
            len = d.value();
        }
        if (len == 0) throw cx.unsupported("over an empty sequence (the scan outputs' shapes come from running the body)");
        if (len > MAX_ITERATIONS) throw cx.unsupported("over " + len + " steps, more than the " + MAX_ITERATIONS + " the importer unrolls");
        List<Node> state = new ArrayList<>(states);
        List<List<Node>> outs = new ArrayList<>();
        for (int k = 0; k < outAxes.length; k++) outs.add(new ArrayList<>());
        for (long t = 0; t < len; t++) {
            List<Node> in = new ArrayList<>(state);
            for (int j = 0; j < xs.size(); j++) {
                long at = inDirs[j] != 0 ? len - 1 - t : t;
                in.add(cx.op("gather", List.of(xs.get(j), cx.scalar(DType.I64, at)), "axis", (long) axes[j]));
            }
            List<Node> out = cx.inline("body", in);
            state = new ArrayList<>(out.subList(0, state.size()));
            for (int k = 0; k < outAxes.length; k++) outs.get(k).add(out.get(state.size() + k));
        }
        List<Node> results = new ArrayList<>(state);
        for (int k = 0; k < outAxes.length; k++) {
            List<Node> steps = new ArrayList<>(outs.get(k));
            if (outDirs[k] != 0) Collections.reverse(steps);
            long axis = cx.axis(outAxes[k], steps.getFirst().shape().rank() + 1);
            List<Node> parts = steps.stream().map(s -> cx.op("unsqueeze", List.of(s), "axes", List.of(axis))).toList();
            results.add(parts.size() == 1 ? parts.getFirst() : cx.op("concat", parts, "axis", axis));
        }
        return results;
    }

    /** A one-element condition as a bool scalar, so that {@code where} selects whole tensors. */
    private static Node scalarCondition(OpContext cx, Node c, String what) {
        if (c.shape().isStatic() && c.shape().numel().value() != 1)
            throw cx.error(what + " must hold one value, got " + c.type());
        if (!c.shape().isStatic()) throw cx.unsupported("with a " + what + " of symbolic shape " + c.shape());
        Node s = c.shape().rank() == 0 ? c : cx.op("reshape", List.of(c), "shape", Shape.SCALAR);
        return s.dtype() == DType.BOOL ? s : cx.op("cast", List.of(s), "dtype", DType.BOOL);
    }
}
