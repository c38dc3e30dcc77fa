package org.dlm.ir.ops;

import static org.dlm.ir.ops.OpTesting.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.ShapeException;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

class ReductionOpsTest {
    static final double INF = Double.POSITIVE_INFINITY, NAN = Double.NaN;
    // [[1, 2, 3], [4, 5, 6]]
    static final NdArray A = f64(s(2, 3), 1, 2, 3, 4, 5, 6);

    static Attrs axes(long... a) { return Attrs.of("axes", a); }

    @Test void sumOverAxes() {
        assertValues(run("reduce_sum", A), s(), 21);
        assertValues(run("reduce_sum", axes(0), A), s(3), 5, 7, 9);
        assertValues(run("reduce_sum", axes(1), A), s(2), 6, 15);
        assertValues(run("reduce_sum", axes(-1), A), s(2), 6, 15);
        assertValues(run("reduce_sum", axes(0, 1), A), s(), 21);
        assertValues(run("reduce_sum", Attrs.of("axes", List.of(1L), "keepdims", true), A), s(2, 1), 6, 15);
        assertValues(run("reduce_sum", Attrs.of("keepdims", true), A), s(1, 1), 21);
    }

    @Test void sumOverMiddleAxisOfRank3() {
        // x[i][j][k] = 100i + 10j + k, shape [2, 3, 2]
        double[] v = new double[12];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 2; k++) v[i * 6 + j * 2 + k] = 100 * i + 10 * j + k;
        NdArray x = f64(s(2, 3, 2), v);
        // sum over j: 3*100i + (0+10+20) + 3k
        assertValues(run("reduce_sum", axes(1), x), s(2, 2), 30, 33, 330, 333);
        assertValues(run("reduce_sum", axes(0, 2), x), s(3), 202, 242, 282);
    }

    @Test void otherReductions() {
        assertValues(run("reduce_mean", axes(1), A), s(2), 2, 5);
        assertValues(run("reduce_max", axes(0), A), s(3), 4, 5, 6);
        assertValues(run("reduce_min", axes(1), A), s(2), 1, 4);
        assertValues(run("reduce_prod", axes(1), A), s(2), 6, 120);
        assertClose(run("reduce_l2", axes(1), f64(s(2, 2), 3, 4, 5, 12)), s(2), 1e-15, 5, 13);
        assertClose(run("reduce_logsumexp", axes(1), f64(s(2, 2), 0, 0, 1000, 1000)), s(2), 1e-12, Math.log(2), 1000 + Math.log(2));
        assertClose(run("reduce_logsumexp", f64(s(3), 1, 2, 3)), s(), 1e-14, Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)));
    }

    @Test void nanPropagatesInMaxAndSum() {
        NdArray x = f64(s(3), 1, NAN, 3);
        assertValues(run("reduce_max", x), s(), NAN);
        assertValues(run("reduce_min", x), s(), NAN);
        assertValues(run("reduce_sum", x), s(), NAN);
    }

    @Test void emptyReductionsGiveIdentities() {
        NdArray e = f32(s(2, 0));
        assertValues(run("reduce_sum", axes(1), e), s(2), 0, 0);
        assertValues(run("reduce_prod", axes(1), e), s(2), 1, 1);
        assertValues(run("reduce_max", axes(1), e), s(2), -INF, -INF);
        assertValues(run("reduce_min", axes(1), e), s(2), INF, INF);
        assertValues(run("reduce_mean", axes(1), e), s(2), NAN, NAN);
        assertValues(run("reduce_l2", axes(1), e), s(2), 0, 0);
        assertValues(run("reduce_logsumexp", axes(1), e), s(2), -INF, -INF);
        assertValues(run("reduce_sum", axes(0), e), s(0));
        assertValues(run("reduce_max", axes(1), i32(s(1, 0))), s(1), Integer.MIN_VALUE);
    }

    @Test void integerAndBoolReductions() {
        NdArray x = i32(s(2, 2), 7, -2, 3, 4);
        NdArray r = run("reduce_sum", axes(1), x);
        assertEquals(DType.I32, r.dtype());
        assertValues(r, s(2), 5, 7);
        assertValues(run("reduce_mean", axes(1), x), s(2), 2, 3); // 5/2 truncates
        assertValues(run("reduce_mean", axes(1), i64(s(1, 2), -3, 0)), s(1), -1); // toward zero
        assertValues(run("reduce_prod", x), s(), -168);
        assertValues(run("reduce_max", x), s(), 7);
        assertValues(run("reduce_max", axes(0), bool(s(2, 2), 0, 1, 0, 0)), s(2), 0, 1);
        assertValues(run("reduce_sum", arr(DType.U8, s(2), 200, 100)), s(), 44); // wraps mod 256
    }

    @Test void reductionTypeRules() {
        assertEquals(tt(DType.F32, "B"), type("reduce_mean", axes(1), tt(DType.F32, "B", 10)));
        assertEquals(tt(DType.F32, "B", 1), type("reduce_sum", Attrs.of("axes", List.of(-1L), "keepdims", true), tt(DType.F32, "B", 10)));
        assertEquals(tt(DType.F32), type("reduce_sum", tt(DType.F32, "B", 10)));
        assertEquals(tt(DType.F32, 1, 1), type("reduce_max", Attrs.of("keepdims", true), tt(DType.F32, "B", "T")));
        ShapeException e = shapeError("reduce_sum", axes(2), tt(DType.F32, "B", 10));
        assertEquals("reduce_sum axis 2 is out of range for rank 2", e.getMessage());
        assertEquals("axes go from -2 to 1", e.hint());
        e = shapeError("reduce_sum", axes(1, -1), tt(DType.F32, "B", 10));
        assertTrue(e.getMessage().contains("lists axis 1 twice"), e.getMessage());
        e = shapeError("reduce_l2", Attrs.EMPTY, tt(DType.I32, 3));
        assertTrue(e.getMessage().contains("floating-point"), e.getMessage());
        e = shapeError("reduce_sum", Attrs.EMPTY, tt(DType.BOOL, 3));
        assertTrue(e.getMessage().contains("numeric"), e.getMessage());
        e = shapeError("reduce_sum", Attrs.of("axis", 1), tt(DType.F32, 3));
        assertTrue(e.getMessage().contains("no attribute 'axis'"), e.getMessage());
    }

    @Test void argmaxArgmin() {
        NdArray x = f32(s(2, 3), 1, 9, 9, 7, 2, 7);
        NdArray r = run("argmax", Attrs.of("axis", 1), x);
        assertEquals(DType.I64, r.dtype());
        assertValues(r, s(2), 1, 0); // first of ties
        assertValues(run("argmin", Attrs.of("axis", 1), x), s(2), 0, 1);
        assertValues(run("argmax", Attrs.of("axis", 0), x), s(3), 1, 0, 0);
        assertValues(run("argmax", Attrs.of("axis", -1, "keepdims", true), x), s(2, 1), 1, 0);
        assertValues(run("argmax", Attrs.of("axis", 0), f64(s(4), 1, NAN, 5, NAN)), s(), 1); // NaN wins, like numpy
        assertValues(run("argmin", Attrs.of("axis", 0), i32(s(3), 4, -2, -2)), s(), 1);
        assertEquals(tt(DType.I64, "B"), type("argmax", Attrs.of("axis", 1), tt(DType.F32, "B", 10)));
        ShapeException e = shapeError("argmax", Attrs.EMPTY, tt(DType.F32, 3));
        assertEquals("argmax needs attribute 'axis'", e.getMessage());
        e = shapeError("argmax", Attrs.of("axis", 0), tt(DType.F32, 0, 3));
        assertTrue(e.getMessage().contains("no elements"), e.getMessage());
        e = shapeError("argmin", Attrs.of("axis", -3), tt(DType.F32, 2, 3));
        assertEquals("argmin axis -3 is out of range for rank 2", e.getMessage());
    }

    @Test void cumsum() {
        assertValues(run("cumsum", Attrs.of("axis", 1), A), s(2, 3), 1, 3, 6, 4, 9, 15);
        assertValues(run("cumsum", Attrs.of("axis", 0), A), s(2, 3), 1, 2, 3, 5, 7, 9);
        assertValues(run("cumsum", Attrs.of("axis", -1), i64(s(4), 1, -1, 5, 0)), s(4), 1, 0, 5, 5);
        assertValues(run("cumsum", Attrs.of("axis", 0), f32(s(0))), s(0));
        assertEquals(tt(DType.F32, "B", "T"), type("cumsum", Attrs.of("axis", 1), tt(DType.F32, "B", "T")));
        ShapeException e = shapeError("cumsum", Attrs.of("axis", 2), tt(DType.F32, 2, 2));
        assertTrue(e.getMessage().contains("out of range"), e.getMessage());
    }
}
