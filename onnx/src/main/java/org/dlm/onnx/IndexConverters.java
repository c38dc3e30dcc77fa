package org.dlm.onnx;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.NdArray;

/**
 * ONNX TopK, Einsum and GatherND, composed from catalogue ops: TopK as K rounds of
 * argmax-and-mask, Einsum as a broadcast product summed over contracted letters, GatherND as a
 * gather on the flattened indexed dims (indices known at import time).
 */
final class IndexConverters {
    private IndexConverters() {}

    static void register(ConverterTable t) {
        t.put("TopK", IndexConverters::topK);
        t.one("Einsum", IndexConverters::einsum);
        t.one("GatherND", IndexConverters::gatherNd);
    }

    private static List<Node> topK(OpContext cx) {
        Node x = cx.in(0);
        int r = x.shape().rank();
        long k = cx.opset() < 10 ? cx.attrInt("k", 0) : (long) cx.constIn(1, "K").get(0);
        int axis = cx.axis(cx.attrInt("axis", -1), r);
        boolean largest = cx.attrInt("largest", 1) != 0;
        Dim n = x.shape().dim(axis);
        if (!n.isConst()) throw cx.unsupported("along symbolic dim " + n);
        if (k < 0 || k > n.value()) throw cx.error("K=" + k + " is out of range for a dim of " + n);
        if (k > 256) throw cx.unsupported("with K=" + k + " (at most 256)");
        if (!x.dtype().isFloating()) throw cx.unsupported("on " + x.dtype());
        // work with the axis last
        long[] perm = new long[r];
        for (int i = 0; i < r; i++) perm[i] = i;
        perm[axis] = r - 1;
        perm[r - 1] = axis;
        Node v = axis == r - 1 ? x : cx.op("transpose", List.of(x), "perm", perm);
        Node sentinel = cx.scalar(x.dtype(), largest ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
        List<Node> vals = new ArrayList<>(), idxs = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            Node idx = cx.op(largest ? "argmax" : "argmin", List.of(v), "axis", -1L, "keepdims", true);
            Node hot = cx.op("squeeze", List.of(cx.op("one_hot", List.of(idx), "depth", n.value(), "dtype", DType.BOOL)), "axes", List.of((long) r - 1));
            Node picked = cx.op(largest ? "reduce_max" : "reduce_min", List.of(cx.op("where", hot, v, sentinel)), "axes", List.of(-1L), "keepdims", true);
            vals.add(picked);
            idxs.add(idx);
            v = cx.op("where", hot, sentinel, v);
        }
        Node values, indices;
        if (k == 0) {
            List<Dim> s = new ArrayList<>(v.shape().dims());
            s.set(r - 1, Dim.of(0));
            values = cx.op("slice", List.of(v), "starts", List.of(0L), "ends", List.of(0L), "axes", List.of((long) r - 1), "steps", List.of(1L));
            indices = cx.op("cast", List.of(values), "dtype", DType.I64);
        } else {
            values = vals.size() == 1 ? vals.getFirst() : cx.op("concat", vals, "axis", -1L);
            indices = idxs.size() == 1 ? idxs.getFirst() : cx.op("concat", idxs, "axis", -1L);
        }
        if (axis != r - 1) {
            values = cx.op("transpose", List.of(values), "perm", perm);
            indices = cx.op("transpose", List.of(indices), "perm", perm);
        }
        return List.of(values, indices);
    }

    /** Einsum: each operand aligned to the union of letters (diagonals taken first), multiplied, summed over letters not in the output. */
    private static Node einsum(OpContext cx) {
        String eq = cx.attrString("equation", "").replace(" ", "");
        List<Node> in = cx.ins();
        String[] sides = eq.split("->", -1);
        String[] terms = sides[0].split(",", -1);
        if (terms.length != in.size()) throw cx.error("equation '" + eq + "' names " + terms.length + " operands, got " + in.size());
        if (eq.contains("...")) {
            // the ellipsis stands for leading dims, aligned from the right across operands: name them A, B, ...
            int most = 0;
            for (int o = 0; o < terms.length; o++)
                if (terms[o].contains("...")) most = Math.max(most, in.get(o).shape().rank() - (terms[o].length() - 3));
            String letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ".substring(0, Math.min(most, 26));
            for (int o = 0; o < terms.length; o++) {
                if (!terms[o].contains("...")) continue;
                int n = in.get(o).shape().rank() - (terms[o].length() - 3);
                if (n < 0) throw cx.error("term '" + terms[o] + "' does not match operand " + in.get(o).shape());
                terms[o] = terms[o].replace("...", letters.substring(most - n));
            }
            if (sides.length > 1) sides[1] = sides[1].replace("...", letters);
            else sides = new String[] {sides[0], letters + implicitOutput(String.join("", terms).replaceAll("[A-Z]", ""))};
        }
        if ((String.join(",", terms) + (sides.length > 1 ? sides[1] : "")).contains(".")) throw cx.error("malformed ellipsis in '" + eq + "'");
        Map<Character, Dim> sizes = new LinkedHashMap<>();
        List<Node> aligned = new ArrayList<>();
        String out = sides.length > 1 ? sides[1] : implicitOutput(String.join("", terms));
        for (int o = 0; o < terms.length; o++) {
            String term = terms[o];
            Node x = in.get(o);
            if (term.length() != x.shape().rank()) throw cx.error("term '" + term + "' does not match operand " + x.shape());
            // repeated letters: keep the diagonal
            StringBuilder letters = new StringBuilder(term);
            for (int i = 0; i < letters.length(); i++) {
                for (int j = letters.length() - 1; j > i; j--) {
                    if (letters.charAt(j) != letters.charAt(i)) continue;
                    Dim d = x.shape().dim(i);
                    if (!d.isConst()) throw cx.unsupported("diagonal over symbolic dim " + d);
                    int rank = x.shape().rank();
                    double[] eye = new double[(int) (d.value() * d.value())];
                    for (int q = 0; q < d.value(); q++) eye[(int) (q * d.value() + q)] = 1;
                    List<Dim> ms = new ArrayList<>();
                    for (int q = 0; q < rank; q++) ms.add(q == i || q == j ? d : Dim.of(1));
                    Node mask = cx.op("reshape", List.of(cx.constant(new NdArray(x.dtype(), new long[] {d.value(), d.value()}, eye))), "shape", new Shape(ms));
                    x = cx.op("reduce_sum", List.of(cx.op("mul", x, mask)), "axes", List.of((long) j), "keepdims", false);
                    letters.deleteCharAt(j);
                }
            }
            for (int i = 0; i < letters.length(); i++) sizes.putIfAbsent(letters.charAt(i), x.shape().dim(i));
            aligned.add(x);
            terms[o] = letters.toString();
        }
        String union = sizes.keySet().stream().map(String::valueOf).reduce("", String::concat);
        Node product = null;
        for (int o = 0; o < terms.length; o++) {
            Node x = aligned.get(o);
            String term = terms[o];
            // transpose to union order, then unsqueeze the missing letters
            List<Character> present = new ArrayList<>();
            for (char c : union.toCharArray()) if (term.indexOf(c) >= 0) present.add(c);
            long[] perm = new long[term.length()];
            for (int i = 0; i < perm.length; i++) perm[i] = term.indexOf(present.get(i));
            if (perm.length > 1) x = cx.op("transpose", List.of(x), "perm", perm);
            List<Long> missing = new ArrayList<>();
            for (int i = 0; i < union.length(); i++) if (term.indexOf(union.charAt(i)) < 0) missing.add((long) i);
            if (!missing.isEmpty()) x = cx.op("unsqueeze", List.of(x), "axes", missing);
            product = product == null ? x : cx.op("mul", product, x);
        }
        List<Long> summed = new ArrayList<>();
        for (int i = 0; i < union.length(); i++) if (out.indexOf(union.charAt(i)) < 0) summed.add((long) i);
        Node y = summed.isEmpty() ? product : cx.op("reduce_sum", List.of(product), "axes", summed, "keepdims", false);
        String rest = union.chars().filter(c -> out.indexOf(c) >= 0).collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        if (out.length() > 1) {
            long[] perm = new long[out.length()];
            for (int i = 0; i < perm.length; i++) perm[i] = rest.indexOf(out.charAt(i));
            y = cx.op("transpose", List.of(y), "perm", perm);
        }
        return y;
    }

    /** Einsum's implicit output: the letters used once, alphabetically. */
    private static String implicitOutput(String all) {
        StringBuilder sb = new StringBuilder();
        all.chars().distinct().sorted().filter(c -> all.indexOf(c) == all.lastIndexOf(c)).forEach(c -> sb.append((char) c));
        return sb.toString();
    }

    private static Node gatherNd(OpContext cx) {
        Node data = cx.in(0);
        NdArray idx = cx.constIn(1, "indices");
        int b = (int) cx.attrInt("batch_dims", 0);
        if (!data.shape().isStatic()) throw cx.unsupported("on symbolic shape " + data.shape());
        long[] ds = data.shape().sizes(), is = idx.shape();
        int q = is.length, k = (int) is[q - 1], r = ds.length;
        if (b + k > r) throw cx.error("indices reach past the data's rank");
        // flatten data to [batch·indexed, rest...], turn each index tuple into one flat row index
        long batch = 1, block = 1;
        for (int i = 0; i < b; i++) batch *= ds[i];
        for (int i = b; i < b + k; i++) block *= ds[i];
        List<Dim> flat = new ArrayList<>(List.of(Dim.of(batch * block)));
        for (int i = b + k; i < r; i++) flat.add(Dim.of(ds[i]));
        Node src = cx.op("reshape", List.of(data), "shape", new Shape(flat));
        int tuples = idx.size() / Math.max(k, 1);
        long perBatch = tuples / Math.max(batch, 1);
        double[] rows = new double[tuples];
        for (int t = 0; t < tuples; t++) {
            long row = 0;
            for (int j = 0; j < k; j++) {
                long v = (long) idx.get(t * k + j), dim = ds[b + j];
                if (v < 0) v += dim;
                if (v < 0 || v >= dim) throw cx.error("index " + (long) idx.get(t * k + j) + " is out of range for dim " + dim);
                row = row * dim + v;
            }
            rows[t] = (t / perBatch) * block + row;
        }
        long[] outIdx = java.util.Arrays.copyOf(is, q - 1);
        return cx.op("gather", List.of(src, cx.constant(new NdArray(DType.I64, outIdx, rows))), "axis", 0L);
    }
}
