package org.dlm.onnx;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.NdArray;

/**
 * ONNX RNN, GRU and LSTM, unrolled over a static sequence length into linear/sigmoid/tanh steps
 * (the catalogue keeps recurrent cells out of the primitive ops). Forward, reverse and
 * bidirectional; layout 0 and 1; clip; peepholes; GRU's linear_before_reset.
 */
final class RnnConverters {
    private RnnConverters() {}

    private enum Cell {
        RNN(1, List.of("Tanh")), GRU(3, List.of("Sigmoid", "Tanh")), LSTM(4, List.of("Sigmoid", "Tanh", "Tanh"));
        final int gates;
        final List<String> defaultActivations;
        Cell(int gates, List<String> acts) { this.gates = gates; this.defaultActivations = acts; }
    }

    static void register(ConverterTable t) {
        for (Cell c : Cell.values()) t.put(c.name(), cx -> unroll(cx, c));
    }

    private static List<Node> unroll(OpContext cx, Cell cell) {
        Node x = cx.in(0), w = cx.in(1), r = cx.in(2);
        boolean batchFirst = cx.attrInt("layout", 0) != 0;
        if (x.shape().rank() != 3) throw cx.error("needs a 3-D input, got " + x.shape());
        if (batchFirst) x = cx.op("transpose", List.of(x), "perm", new long[] {1, 0, 2});
        Dim seqDim = x.shape().dim(0), batch = x.shape().dim(1);
        if (!seqDim.isConst()) throw cx.unsupported("over a symbolic sequence length " + seqDim);
        int seq = (int) seqDim.value();
        long hidden = cx.attrInt("hidden_size", r.shape().dim(-1).isConst() ? r.shape().dim(-1).value() : 0);
        if (hidden <= 0) throw cx.error("needs hidden_size");
        String direction = cx.attrString("direction", "forward");
        int dirs = direction.equals("bidirectional") ? 2 : 1;
        if (!List.of("forward", "reverse", "bidirectional").contains(direction)) throw cx.error("unknown direction '" + direction + "'");
        if (cx.hasInput(4)) {
            NdArray lens = cx.staticIn(4);
            if (lens == null) throw cx.unsupported("with computed sequence_lens");
            for (double v : lens.data()) if (v != seq) throw cx.unsupported("with sequence_lens shorter than the sequence");
        }
        if (cell == Cell.LSTM && cx.attrInt("input_forget", 0) != 0) throw cx.unsupported("input_forget=1");
        List<String> acts = cx.attrs().strings("activations");
        if (acts == null || acts.isEmpty()) {
            acts = new ArrayList<>();
            for (int d = 0; d < dirs; d++) acts.addAll(cell.defaultActivations);
        }
        if (acts.size() != cell.defaultActivations.size() * dirs) throw cx.error("needs " + cell.defaultActivations.size() * dirs + " activations");
        if (cx.attrs().has("activation_alpha") || cx.attrs().has("activation_beta")) throw cx.unsupported("with activation_alpha/beta");
        double clip = cx.attrFloat("clip", Double.NaN);
        DType dt = x.dtype();
        Shape state = Shape.of(batch, Dim.of(hidden));

        List<List<Node>> ys = new ArrayList<>();
        List<Node> lastH = new ArrayList<>(), lastC = new ArrayList<>();
        for (int d = 0; d < dirs; d++) {
            boolean reverse = direction.equals("reverse") || d == 1;
            Node wd = pick(cx, w, d), rd = pick(cx, r, d);
            Node bd = cx.hasInput(3) ? pick(cx, cx.in(3), d) : null;
            Node h = cx.hasInput(5) ? pick(cx, cx.in(5), d) : zeros(cx, dt, state);
            Node c = cell == Cell.LSTM ? (cx.hasInput(6) ? pick(cx, cx.in(6), d) : zeros(cx, dt, state)) : null;
            Node p = cell == Cell.LSTM && cx.hasInput(7) ? pick(cx, cx.in(7), d) : null;
            List<String> a = acts.subList(d * cell.defaultActivations.size(), (d + 1) * cell.defaultActivations.size());
            Node[] wg = new Node[cell.gates], rg = new Node[cell.gates], bg = new Node[cell.gates], rbg = new Node[cell.gates];
            for (int g = 0; g < cell.gates; g++) {
                wg[g] = rows(cx, wd, g, hidden);
                rg[g] = rows(cx, rd, g, hidden);
                if (bd != null) {
                    bg[g] = rows(cx, bd, g, hidden);
                    rbg[g] = rows(cx, bd, cell.gates + g, hidden);
                }
            }
            Node[] out = new Node[seq];
            for (int k = 0; k < seq; k++) {
                int step = reverse ? seq - 1 - k : k;
                Node xt = cx.op("squeeze", List.of(cx.op("slice", List.of(x), "starts", List.of((long) step), "ends", List.of((long) step + 1),
                        "axes", List.of(0L), "steps", List.of(1L))), "axes", List.of(0L));
                switch (cell) {
                    case RNN -> h = act(cx, a.get(0), clip(cx, gate(cx, xt, wg[0], bg[0], h, rg[0], rbg[0]), clip));
                    case GRU -> {
                        // gate order z, r, h
                        Node z = act(cx, a.get(0), clip(cx, gate(cx, xt, wg[0], bg[0], h, rg[0], rbg[0]), clip));
                        Node rr = act(cx, a.get(0), clip(cx, gate(cx, xt, wg[1], bg[1], h, rg[1], rbg[1]), clip));
                        Node xh = lin(cx, xt, wg[2], bg[2]);
                        Node hh = cx.attrInt("linear_before_reset", 0) != 0
                                ? cx.op("mul", rr, lin(cx, h, rg[2], rbg[2]))
                                : lin(cx, cx.op("mul", rr, h), rg[2], rbg[2]);
                        Node cand = act(cx, a.get(1), clip(cx, cx.op("add", xh, hh), clip));
                        h = cx.op("add", cx.op("mul", cx.op("sub", cx.scalar(dt, 1), z), cand), cx.op("mul", z, h));
                    }
                    case LSTM -> {
                        // gate order i, o, f, c; peepholes P = [Pi, Po, Pf]
                        Node i = gate(cx, xt, wg[0], bg[0], h, rg[0], rbg[0]);
                        Node f = gate(cx, xt, wg[2], bg[2], h, rg[2], rbg[2]);
                        if (p != null) {
                            i = cx.op("add", i, cx.op("mul", rows(cx, p, 0, hidden), c));
                            f = cx.op("add", f, cx.op("mul", rows(cx, p, 2, hidden), c));
                        }
                        i = act(cx, a.get(0), clip(cx, i, clip));
                        f = act(cx, a.get(0), clip(cx, f, clip));
                        Node g = act(cx, a.get(1), clip(cx, gate(cx, xt, wg[3], bg[3], h, rg[3], rbg[3]), clip));
                        c = cx.op("add", cx.op("mul", f, c), cx.op("mul", i, g));
                        Node o = gate(cx, xt, wg[1], bg[1], h, rg[1], rbg[1]);
                        if (p != null) o = cx.op("add", o, cx.op("mul", rows(cx, p, 1, hidden), c));
                        o = act(cx, a.get(0), clip(cx, o, clip));
                        h = cx.op("mul", o, act(cx, a.get(2), c));
                    }
                }
                out[step] = h;
            }
            ys.add(List.of(out));
            lastH.add(h);
            if (c != null) lastC.add(c);
        }
        // Y [seq, dirs, batch, hidden]
        List<Node> steps = new ArrayList<>();
        for (int s = 0; s < seq; s++) {
            List<Node> perDir = new ArrayList<>();
            for (int d = 0; d < dirs; d++) perDir.add(cx.op("unsqueeze", List.of(ys.get(d).get(s)), "axes", List.of(0L, 1L)));
            steps.add(perDir.size() == 1 ? perDir.getFirst() : cx.op("concat", perDir, "axis", 1L));
        }
        Node y = steps.size() == 1 ? steps.getFirst() : cx.op("concat", steps, "axis", 0L);
        Node yh = stack(cx, lastH), yc = lastC.isEmpty() ? null : stack(cx, lastC);
        if (batchFirst) {
            y = cx.op("transpose", List.of(y), "perm", new long[] {2, 0, 1, 3});
            yh = cx.op("transpose", List.of(yh), "perm", new long[] {1, 0, 2});
            if (yc != null) yc = cx.op("transpose", List.of(yc), "perm", new long[] {1, 0, 2});
        }
        List<Node> outs = new ArrayList<>(List.of(y, yh));
        if (yc != null) outs.add(yc);
        return outs;
    }

    private static Node stack(OpContext cx, List<Node> states) {
        List<Node> u = states.stream().map(s -> cx.op("unsqueeze", List.of(s), "axes", List.of(0L))).toList();
        return u.size() == 1 ? u.getFirst() : cx.op("concat", u, "axis", 0L);
    }

    /** Direction {@code d} of a [dirs, ...] operand. */
    private static Node pick(OpContext cx, Node v, int d) {
        Node s = cx.op("slice", List.of(v), "starts", List.of((long) d), "ends", List.of((long) d + 1), "axes", List.of(0L), "steps", List.of(1L));
        return cx.op("squeeze", List.of(s), "axes", List.of(0L));
    }

    /** Rows g·hidden .. (g+1)·hidden of a matrix or vector. */
    private static Node rows(OpContext cx, Node m, int g, long hidden) {
        return cx.op("slice", List.of(m), "starts", List.of(g * hidden), "ends", List.of((g + 1) * hidden), "axes", List.of(0L), "steps", List.of(1L));
    }

    private static Node zeros(OpContext cx, DType dt, Shape s) {
        return cx.op("expand", List.of(cx.scalar(dt, 0)), "shape", s);
    }

    private static Node lin(OpContext cx, Node x, Node w, Node b) {
        return b == null ? cx.op("linear", x, w) : cx.op("linear", x, w, b);
    }

    /** x·Wᵀ + Wb + h·Rᵀ + Rb. */
    private static Node gate(OpContext cx, Node x, Node w, Node wb, Node h, Node r, Node rb) {
        return cx.op("add", lin(cx, x, w, wb), lin(cx, h, r, rb));
    }

    private static Node clip(OpContext cx, Node v, double clip) {
        return Double.isNaN(clip) ? v : cx.op("clip", List.of(v), "min", -clip, "max", clip);
    }

    private static Node act(OpContext cx, String name, Node v) {
        return switch (name) {
            case "Sigmoid" -> cx.op("sigmoid", v);
            case "Tanh" -> cx.op("tanh", v);
            case "Relu" -> cx.op("relu", v);
            default -> throw cx.unsupported("activation " + name);
        };
    }
}
