package org.dlm.onnx;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;

/** ONNX Det, composed from catalogue ops for small static matrices. */
final class LinalgConverters {
    private LinalgConverters() {}

    /** Largest matrix Det expands (n! products). */
    static final int MAX_DET = 4;

    static void register(ConverterTable t) {
        t.one("Det", LinalgConverters::det);
    }

    /** det(x[..., n, n]) = Σ over permutations σ of sign(σ)·Π_i x[..., i, σ(i)] (Leibniz), for n ≤ 4. */
    private static Node det(OpContext cx) {
        Node x = cx.in(0);
        int r = x.shape().rank();
        if (r < 2) throw cx.error("needs [..., n, n], got " + x.shape());
        Dim rows = x.shape().dim(r - 2), cols = x.shape().dim(r - 1);
        if (!rows.isConst() || !rows.equals(cols)) throw cx.unsupported("on " + x.shape() + " (square matrices of known size are supported)");
        int n = (int) rows.value();
        if (n < 1 || n > MAX_DET) throw cx.unsupported("of a " + n + "x" + n + " matrix (1x1 to " + MAX_DET + "x" + MAX_DET + " are supported)");
        if (!x.dtype().isFloating()) throw cx.error("needs a floating input, got " + x.dtype());
        Node[][] a = new Node[n][n];
        for (int i = 0; i < n; i++) {
            Node row = cx.op("gather", List.of(x, cx.scalar(org.dlm.ir.DType.I64, i)), "axis", (long) r - 2);
            for (int j = 0; j < n; j++) a[i][j] = cx.op("gather", List.of(row, cx.scalar(org.dlm.ir.DType.I64, j)), "axis", (long) r - 2);
        }
        Node plus = null, minus = null;
        for (int[] p : permutations(n)) {
            Node term = a[0][p[0]];
            for (int i = 1; i < n; i++) term = cx.op("mul", term, a[i][p[i]]);
            if (even(p)) plus = plus == null ? term : cx.op("add", plus, term);
            else minus = minus == null ? term : cx.op("add", minus, term);
        }
        return minus == null ? plus : cx.op("sub", plus, minus);
    }

    private static List<int[]> permutations(int n) {
        List<int[]> r = new ArrayList<>();
        permute(new int[n], new boolean[n], 0, r);
        return r;
    }

    private static void permute(int[] p, boolean[] used, int k, List<int[]> out) {
        if (k == p.length) { out.add(p.clone()); return; }
        for (int v = 0; v < p.length; v++) {
            if (used[v]) continue;
            used[v] = true;
            p[k] = v;
            permute(p, used, k + 1, out);
            used[v] = false;
        }
    }

    private static boolean even(int[] p) {
        int inversions = 0;
        for (int i = 0; i < p.length; i++) for (int j = i + 1; j < p.length; j++) if (p[i] > p[j]) inversions++;
        return inversions % 2 == 0;
    }
}
