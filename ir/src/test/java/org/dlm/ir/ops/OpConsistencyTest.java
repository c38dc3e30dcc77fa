package org.dlm.ir.ops;

import static org.dlm.ir.ops.OpTesting.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

/**
 * Properties across ops on random data, and symbolic shape rules against the kernels: a node
 * typed with symbols is evaluated for several sizes, and the interpreter checks every result
 * against the type with the symbols substituted.
 */
class OpConsistencyTest {
    final Random rnd = new Random(7);

    NdArray random(DType t, long... shape) {
        double[] v = new double[(int) NdArray.numel(shape)];
        for (int i = 0; i < v.length; i++) v[i] = t.isFloating() ? rnd.nextGaussian() : rnd.nextInt(19) - 9;
        return NdArray.of(t, shape, v);
    }

    @Test void symbolicShapeRulesAgreeWithKernels() {
        Node x = input("x", DType.F32, "B", "T", 3);
        Node v = input("v", DType.F32, "T", 1);
        List<Node> nodes = new ArrayList<>();
        nodes.add(Node.of("add", x, v));
        nodes.add(Node.of("where", Node.of("gt", x, v), x, v));
        nodes.add(Node.of("reduce_mean", List.of(x), Attrs.of("axes", s(1))));
        nodes.add(Node.of("reduce_max", List.of(x), Attrs.of("axes", s(0, 2), "keepdims", true)));
        nodes.add(Node.of("argmax", List.of(x), Attrs.of("axis", 1)));
        nodes.add(Node.of("cumsum", List.of(x), Attrs.of("axis", 1)));
        nodes.add(Node.of("reshape", List.of(x), Attrs.of("shape", tt(DType.F32, -1, 3).shape())));
        nodes.add(Node.of("flatten", x));
        nodes.add(Node.of("flatten", List.of(x), Attrs.of("axis", 2)));
        nodes.add(Node.of("transpose", List.of(x), Attrs.of("perm", s(2, 0, 1))));
        nodes.add(Node.of("concat", List.of(x, x, x), Attrs.of("axis", 1)));
        nodes.add(Node.of("slice", List.of(x), Attrs.of("starts", s(1), "ends", s(Long.MAX_VALUE), "axes", s(1))));
        nodes.add(Node.of("slice", List.of(x), Attrs.of("starts", s(-2), "ends", s(Long.MAX_VALUE), "axes", s(1))));
        nodes.add(Node.of("slice", List.of(x), Attrs.of("starts", s(0), "ends", s(-1), "axes", s(1))));
        nodes.add(Node.of("slice", List.of(x), Attrs.of("starts", s(0), "ends", s(Long.MAX_VALUE), "axes", s(1), "steps", s(2))));
        nodes.add(Node.of("slice", List.of(x), Attrs.of("starts", s(1), "ends", s(Long.MAX_VALUE), "axes", s(1), "steps", s(3))));
        nodes.add(Node.of("slice", List.of(x), Attrs.of("starts", s(-1), "ends", s(Long.MIN_VALUE), "axes", s(1), "steps", s(-2))));
        nodes.add(Node.of("expand", List.of(v), Attrs.of("shape", tt(DType.F32, "B", "T", 3).shape())));
        nodes.add(Node.of("unsqueeze", List.of(x), Attrs.of("axes", s(1))));
        nodes.add(Node.of("pad", List.of(x), Attrs.of("pads", s(0, 1, 0, 2, 0, 1), "mode", "edge")));
        nodes.add(Node.of("tile", List.of(x), Attrs.of("repeats", s(2, 1, 3))));
        nodes.add(Node.of("one_hot", List.of(Node.of("argmax", List.of(x), Attrs.of("axis", 2))), Attrs.of("depth", 3)));
        nodes.add(Node.of("shape_of", x));
        for (long b : new long[] {1, 2, 3})
            for (long t : new long[] {2, 3, 5, 6}) {
                Map<Node, NdArray> bind = Map.of(x, random(DType.F32, b, t, 3), v, random(DType.F32, t, 1));
                for (Node n : nodes) {
                    NdArray r = eval(n, bind);
                    assertArrayEquals(n.shape().substitute(Map.of("B", b, "T", t)).sizes(), r.shape(), n.opName());
                }
            }
    }

    @Test void transposeByInverseIsIdentity() {
        for (int trial = 0; trial < 20; trial++) {
            int r = 1 + rnd.nextInt(4);
            long[] shape = new long[r];
            for (int i = 0; i < r; i++) shape[i] = 1 + rnd.nextInt(4);
            List<Long> perm = new ArrayList<>();
            for (long i = 0; i < r; i++) perm.add(i);
            java.util.Collections.shuffle(perm, rnd);
            long[] inv = new long[r];
            for (int i = 0; i < r; i++) inv[perm.get(i).intValue()] = i;
            NdArray a = random(DType.I32, shape);
            NdArray t = run("transpose", Attrs.of("perm", perm), a);
            for (int i = 0; i < r; i++) assertEquals(shape[perm.get(i).intValue()], t.dim(i));
            assertEquals(a, run("transpose", Attrs.of("perm", inv), t));
        }
    }

    @Test void sliceMatchesIndexByIndexDefinition() {
        // ONNX: x[start + k*step] for k in [0, len), with start/end clamped as the spec says
        long[] probes = {-9, -5, -4, -1, 0, 1, 3, 4, 5, 9, Long.MAX_VALUE, Long.MIN_VALUE};
        NdArray v = i64(s(5), 10, 11, 12, 13, 14);
        for (long st : probes)
            for (long en : probes)
                for (long step : new long[] {-3, -2, -1, 1, 2, 3}) {
                    NdArray r = run("slice", Attrs.of("starts", s(st), "ends", s(en), "steps", s(step)), v);
                    List<Double> want = new ArrayList<>();
                    long start = st < 0 ? st + 5 : st, end = en < 0 ? en + 5 : en;
                    if (step > 0) {
                        start = Math.clamp(start, 0, 5);
                        end = Math.clamp(end, 0, 5);
                        for (long k = start; k < end; k += step) want.add(10.0 + k);
                    } else {
                        start = Math.clamp(start, 0, 4);
                        end = Math.clamp(end, -1, 4);
                        for (long k = start; k > end; k += step) want.add(10.0 + k);
                    }
                    assertEquals(want.size(), r.size(), "slice " + st + ":" + en + ":" + step);
                    for (int i = 0; i < want.size(); i++) assertEquals(want.get(i), r.get(i), "slice " + st + ":" + en + ":" + step);
                }
    }

    @Test void multiAxisReductionEqualsSuccessiveReductions() {
        NdArray a = random(DType.F64, 3, 4, 5);
        NdArray both = run("reduce_sum", Attrs.of("axes", s(0, 2)), a);
        NdArray seq = run("reduce_sum", Attrs.of("axes", s(1)), run("reduce_sum", Attrs.of("axes", s(0)), a));
        assertTrue(both.maxAbsDiff(seq) < 1e-12);
        NdArray mx = run("reduce_max", Attrs.of("axes", s(2, 0)), a);
        assertEquals(mx, run("reduce_max", Attrs.of("axes", s(0)), run("reduce_max", Attrs.of("axes", s(2)), a)));
        // logsumexp(x) = log(sum(exp(x)))
        NdArray lse = run("reduce_logsumexp", Attrs.of("axes", s(1)), a);
        assertTrue(lse.maxAbsDiff(run("log", run("reduce_sum", Attrs.of("axes", s(1)), run("exp", a)))) < 1e-12);
    }

    @Test void concatThenSliceGivesThePiecesBack() {
        NdArray a = random(DType.I64, 2, 3, 2), b = random(DType.I64, 2, 1, 2);
        NdArray c = run("concat", Attrs.of("axis", 1), a, b);
        assertEquals(a, run("slice", Attrs.of("starts", s(0), "ends", s(3), "axes", s(1)), c));
        assertEquals(b, run("slice", Attrs.of("starts", s(3), "ends", s(4), "axes", s(1)), c));
        // tile along an axis is concat of copies
        assertEquals(run("concat", Attrs.of("axis", 2), a, a, a), run("tile", Attrs.of("repeats", s(1, 1, 3)), a));
        // expand is broadcasting against zeros
        NdArray e = run("expand", Attrs.of("shape", Shape.of(2, 3, 2)), b);
        assertEquals(e, run("add", b, NdArray.zeros(DType.I64, 2, 3, 2)));
    }

    @Test void gatherEqualsOneHotContraction() {
        NdArray table = random(DType.F64, 5, 3);
        NdArray ids = i64(s(4), 4, 0, -2, 1);
        NdArray g = run("gather", table, ids);
        NdArray oh = run("one_hot", Attrs.of("depth", 5, "dtype", DType.F64), ids);
        // sum_v onehot[i, v] * table[v, d]
        NdArray prod = run("mul", run("unsqueeze", Attrs.of("axes", s(2)), oh), run("unsqueeze", Attrs.of("axes", s(0)), table));
        assertTrue(g.maxAbsDiff(run("reduce_sum", Attrs.of("axes", s(1)), prod)) < 1e-15);
    }

    @Test void halfPrecisionRoundsEachResult() {
        // 1 + 2^-11 is not representable in f16 (10 mantissa bits) nor bf16 (7): it rounds to 1
        assertValues(run("add", arr(DType.F16, s(1), 1), arr(DType.F16, s(1), Math.pow(2, -11))), s(1), 1);
        assertValues(run("add", arr(DType.F16, s(1), 1), arr(DType.F16, s(1), Math.pow(2, -10))), s(1), 1 + Math.pow(2, -10));
        assertValues(run("add", arr(DType.BF16, s(1), 1), arr(DType.BF16, s(1), Math.pow(2, -9))), s(1), 1);
        NdArray r = run("exp", arr(DType.F16, s(1), 1));
        assertEquals(DType.F16, r.dtype());
        assertEquals(2.71875, r.get(0)); // e rounded to f16
        assertValues(run("isnan", arr(DType.BF16, s(2), Double.NaN, 1)), s(2), 1, 0);
    }
}
