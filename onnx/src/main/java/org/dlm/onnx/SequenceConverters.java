package org.dlm.onnx;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;

/**
 * ONNX sequence ops inside a graph, resolved at import time: a sequence is a list of Graph IR
 * nodes the importer keeps beside the tensor values, so {@code SplitToSequence → SequenceAt} or
 * {@code SequenceConstruct → ConcatFromSequence} become plain slices and concats. Positions,
 * split sizes and lengths must be known at import time; a sequence that leaves the graph (a graph
 * input or output of sequence type) is refused.
 */
final class SequenceConverters {
    static final Set<String> OPS = Set.of("SequenceEmpty", "SequenceConstruct", "SequenceInsert", "SequenceAt", "SequenceErase",
            "SequenceLength", "ConcatFromSequence", "SplitToSequence");

    /** A converted node's output: a sequence or a tensor. */
    sealed interface Value {}
    record Seq(List<Node> items) implements Value {}
    record Tensor(Node node) implements Value {}

    /** Reads the sequence operand {@code i}. */
    interface Sequences { List<Node> get(OpContext cx, int i); }

    private SequenceConverters() {}

    static Value convert(OpContext cx, Sequences seq) {
        return switch (cx.opType()) {
            case "SequenceEmpty" -> new Seq(List.of());
            case "SequenceConstruct" -> {
                List<Node> items = cx.ins();
                for (Node n : items)
                    if (n.dtype() != items.getFirst().dtype())
                        throw cx.error("mixes element types " + items.getFirst().dtype().text() + " and " + n.dtype().text());
                yield new Seq(items);
            }
            case "SequenceInsert" -> {
                List<Node> items = new ArrayList<>(seq.get(cx, 0));
                Node t = cx.in(1);
                if (!items.isEmpty() && t.dtype() != items.getFirst().dtype())
                    throw cx.error("inserts " + t.dtype().text() + " into a sequence of " + items.getFirst().dtype().text());
                int at = cx.hasInput(2) ? position(cx, 2, items.size() + 1) : items.size();
                items.add(at, t);
                yield new Seq(items);
            }
            case "SequenceAt" -> {
                List<Node> items = seq.get(cx, 0);
                yield new Tensor(items.get(position(cx, 1, items.size())));
            }
            case "SequenceErase" -> {
                List<Node> items = new ArrayList<>(seq.get(cx, 0));
                if (items.isEmpty()) throw cx.error("erases from an empty sequence");
                items.remove(cx.hasInput(1) ? position(cx, 1, items.size()) : items.size() - 1);
                yield new Seq(items);
            }
            case "SequenceLength" -> new Tensor(cx.constant(NdArray.scalar(DType.I64, seq.get(cx, 0).size())));
            case "ConcatFromSequence" -> {
                List<Node> items = seq.get(cx, 0);
                if (items.isEmpty()) throw cx.error("concatenates an empty sequence");
                boolean newAxis = cx.attrInt("new_axis", 0) != 0;
                int rank = items.getFirst().shape().rank() + (newAxis ? 1 : 0);
                int axis = cx.axis(requiredAxis(cx), rank);
                List<Node> parts = new ArrayList<>();
                for (Node n : items) parts.add(newAxis ? cx.op("unsqueeze", List.of(n), "axes", new long[] {axis}) : n);
                yield new Tensor(parts.size() == 1 ? parts.getFirst() : cx.op("concat", parts, "axis", (long) axis));
            }
            case "SplitToSequence" -> new Seq(split(cx));
            default -> throw cx.unsupported("sequence op");
        };
    }

    private static long requiredAxis(OpContext cx) {
        if (!cx.hasAttr("axis")) throw cx.error("needs the axis attribute");
        return cx.attrInt("axis", 0);
    }

    /** A static position operand, negative counting from the end, within [0, size). */
    private static int position(OpContext cx, int input, int size) {
        long[] p = cx.constInts(input, "position");
        if (p.length != 1) throw cx.error("position must be a scalar, got " + p.length + " values");
        long at = p[0] < 0 ? p[0] + size : p[0];
        if (at < 0 || at >= size) throw cx.error("position " + p[0] + " is outside a sequence of " + (input == 2 ? size - 1 : size));
        return (int) at;
    }

    private static List<Node> split(OpContext cx) {
        Node x = cx.in(0);
        int axis = cx.axis(cx.attrInt("axis", 0), x.shape().rank());
        Dim d = x.shape().dim(axis);
        if (!d.isConst()) throw cx.unsupported("SplitToSequence along symbolic dim " + d);
        long len = d.value();
        List<Long> sizes = new ArrayList<>();
        boolean squeeze = false;
        if (!cx.hasInput(1)) {
            for (long i = 0; i < len; i++) sizes.add(1L);
            squeeze = cx.attrInt("keepdims", 1) == 0;
        } else {
            NdArray s = cx.constIn(1, "split");
            if (s.rank() == 0) {
                long each = (long) s.get(0);
                if (each <= 0) throw cx.error("split size must be positive, got " + each);
                for (long at = 0; at < len; at += each) sizes.add(Math.min(each, len - at));
            } else {
                long total = 0;
                for (double v : s.data()) { sizes.add((long) v); total += (long) v; }
                if (total != len) throw cx.error("split sizes add up to " + total + ", not to dim " + len);
            }
        }
        List<Node> out = new ArrayList<>();
        long start = 0;
        for (long s : sizes) {
            Node part = cx.op("slice", List.of(x), "starts", List.of(start), "ends", List.of(start + s), "axes", List.of((long) axis), "steps", List.of(1L));
            out.add(squeeze ? cx.op("squeeze", List.of(part), "axes", new long[] {axis}) : part);
            start += s;
        }
        return out;
    }
}
