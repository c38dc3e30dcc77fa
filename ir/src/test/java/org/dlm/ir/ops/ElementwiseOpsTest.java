package org.dlm.ir.ops;

import static org.dlm.ir.ops.OpTesting.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.OpTable;
import org.dlm.ir.ShapeException;
import org.dlm.ir.interp.InterpreterException;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

class ElementwiseOpsTest {
    static final double INF = Double.POSITIVE_INFINITY, NAN = Double.NaN;

    @Test void everyCatalogueOpIsDefined() {
        for (String op : List.of("neg", "abs", "exp", "log", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "tanh", "sigmoid",
                "relu", "relu6", "gelu", "softplus", "erf", "floor", "ceil", "round", "sign", "not", "isnan", "leaky_relu", "elu",
                "hard_sigmoid", "silu", "clip", "cast", "add", "sub", "mul", "div", "pow", "max", "min", "mod",
                "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "xor", "where"))
            assertNotNull(OpTable.get(op), op);
    }

    // ------------------------------------------------------------ unary values

    @Test void simpleUnaryF64() {
        NdArray x = f64(s(4), -2, -0.5, 0, 3);
        assertValues(run("neg", x), s(4), 2, 0.5, 0, -3);
        assertValues(run("abs", x), s(4), 2, 0.5, 0, 3);
        assertValues(run("relu", x), s(4), 0, 0, 0, 3);
        assertValues(run("sign", x), s(4), -1, -1, 0, 1);
        assertValues(run("floor", x), s(4), -2, -1, 0, 3);
        assertValues(run("ceil", x), s(4), -2, -0, 0, 3);
        assertValues(run("relu6", f64(s(4), -1, 2, 6, 7)), s(4), 0, 2, 6, 6);
        assertValues(run("reciprocal", f64(s(3), 2, -4, 0)), s(3), 0.5, -0.25, INF);
        assertValues(run("sqrt", f64(s(3), 4, 2.25, -1)), s(3), 2, 1.5, NAN);
        assertValues(run("rsqrt", f64(s(2), 4, 0.25)), s(2), 0.5, 2);
    }

    @Test void roundIsHalfToEven() {
        assertValues(run("round", f32(s(7), 0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6)), s(7), 0, 2, 2, -0, -2, 2, -3);
    }

    @Test void transcendentalF64() {
        NdArray x = f64(s(3), 0, 1, -1);
        assertClose(run("exp", x), s(3), 1e-15, 1, Math.E, 1 / Math.E);
        assertClose(run("log", f64(s(4), 1, Math.E, 0, -1)), s(4), 1e-15, 0, 1, -INF, NAN);
        assertClose(run("sin", f64(s(2), 0, Math.PI / 2)), s(2), 1e-15, 0, 1);
        assertClose(run("cos", f64(s(2), 0, Math.PI)), s(2), 1e-15, 1, -1);
        assertClose(run("tan", f64(s(2), 0, Math.PI / 4)), s(2), 1e-15, 0, 1);
        assertClose(run("tanh", f64(s(3), 0, 100, -100)), s(3), 1e-15, 0, 1, -1);
    }

    @Test void inverseTrigonometry() {
        NdArray x = f64(s(5), 0, 0.5, -1, 1, 2);
        assertClose(run("asin", x), s(5), 1e-15, 0, Math.PI / 6, -Math.PI / 2, Math.PI / 2, NAN);
        assertClose(run("acos", x), s(5), 1e-15, Math.PI / 2, Math.PI / 3, Math.PI, 0, NAN);
        assertClose(run("atan", f64(s(4), 0, 1, -1, INF)), s(4), 1e-15, 0, Math.PI / 4, -Math.PI / 4, Math.PI / 2);
        // f32 results are rounded to f32
        NdArray a = run("atan", NdArray.of(org.dlm.ir.DType.F32, s(1), 0.3));
        assertEquals((double) (float) Math.atan((float) 0.3), a.get(0));
    }

    @Test void sigmoidAndSoftplusAreStable() {
        NdArray x = f64(s(5), 0, 2, -2, 1000, -1000);
        double s2 = 1 / (1 + Math.exp(-2));
        assertClose(run("sigmoid", x), s(5), 1e-15, 0.5, s2, 1 - s2, 1, 0);
        assertClose(run("softplus", x), s(5), 1e-12, Math.log(2), Math.log(1 + Math.exp(2)), Math.log(1 + Math.exp(-2)), 1000, 0);
        assertClose(run("silu", f64(s(3), 0, 2, -2)), s(3), 1e-15, 0, 2 * s2, -2 * (1 - s2));
    }

    @Test void activationsWithAttributes() {
        NdArray x = f64(s(4), -2, -0.5, 0, 3);
        assertClose(run("leaky_relu", x), s(4), 1e-15, -0.02, -0.005, 0, 3);
        assertValues(run("leaky_relu", Attrs.of("alpha", 0.5), x), s(4), -1, -0.25, 0, 3);
        assertClose(run("elu", x), s(4), 1e-15, Math.exp(-2) - 1, Math.exp(-0.5) - 1, 0, 3);
        assertClose(run("elu", Attrs.of("alpha", 2.0), x), s(4), 1e-15, 2 * (Math.exp(-2) - 1), 2 * (Math.exp(-0.5) - 1), 0, 3);
        // hard_sigmoid: max(0, min(1, 0.2x + 0.5))
        assertClose(run("hard_sigmoid", f64(s(4), -3, 0, 1, 3)), s(4), 1e-15, 0, 0.5, 0.7, 1);
        assertValues(run("hard_sigmoid", Attrs.of("alpha", 0.5, "beta", 0.0), f64(s(2), 1, 4)), s(2), 0.5, 1);
    }

    @Test void clip() {
        NdArray x = f64(s(5), -5, -1, 0, 2, NAN);
        assertValues(run("clip", Attrs.of("min", -1.0, "max", 1.0), x), s(5), -1, -1, 0, 1, NAN);
        assertValues(run("clip", Attrs.of("min", 0.0), x), s(5), 0, 0, 0, 2, NAN);
        assertValues(run("clip", x), s(5), -5, -1, 0, 2, NAN);
        // min > max: every element becomes max (numpy)
        assertValues(run("clip", Attrs.of("min", 3.0, "max", 1.0), f64(s(2), 0, 5)), s(2), 1, 1);
        NdArray r = run("clip", Attrs.of("min", 0, "max", 10), i32(s(3), -7, 5, 12));
        assertEquals(DType.I32, r.dtype());
        assertValues(r, s(3), 0, 5, 10);
    }

    @Test void geluExactAndTanh() {
        NdArray x = f64(s(4), 0, 1, -1, 2);
        // exact: 0.5 x (1 + erf(x/sqrt 2)); erf(1/sqrt2) = 0.6826894921370859, erf(sqrt2) = 0.9544997361036416
        assertClose(run("gelu", x), s(4), 1e-14, 0, 0.8413447460685429, -0.15865525393145707, 0.5 * 2 * (1 + 0.9544997361036416));
        double u = Math.sqrt(2 / Math.PI) * (1 + 0.044715);
        assertClose(run("gelu", Attrs.of("approximate", "tanh"), f64(s(2), 0, 1)), s(2), 1e-15, 0, 0.5 * (1 + Math.tanh(u)));
        ShapeException e = shapeError("gelu", Attrs.of("approximate", "fast"), tt(DType.F32, 3));
        assertTrue(e.getMessage().contains("\"none\" or \"tanh\""), e.getMessage());
    }

    @Test void erfMatchesReferenceValues() {
        // reference values from a correctly rounded erf (CPython math.erf)
        double[] xs = {0.1, 0.5, 0.7, 1, 2, 3.5, 4.5, -1.3, 1e-20};
        double[] erf = {0.1124629160182849, 0.5204998778130465, 0.6778011938374184, 0.8427007929497149, 0.9953222650189527,
                0.9999992569016276, 0.9999999998033839, -0.9340079449406524, 1.1283791670955126e-20};
        NdArray r = run("erf", f64(s(xs.length), xs));
        for (int i = 0; i < xs.length; i++) assertEquals(erf[i], r.get(i), Math.abs(erf[i]) * 1e-14, "erf(" + xs[i] + ")");
        double[] erfcx = {0.7, 2, 3.5, 4.5, 6};
        double[] erfc = {0.32219880616258156, 0.004677734981047265, 7.430983723414128e-07, 1.9661604415428873e-10, 2.1519736712498916e-17};
        for (int i = 0; i < erfcx.length; i++) assertEquals(erfc[i], Erf.erfc(erfcx[i]), erfc[i] * 1e-13, "erfc(" + erfcx[i] + ")");
        assertEquals(1.0, Erf.erf(30));
        assertEquals(-1.0, Erf.erf(-INF));
        assertTrue(Double.isNaN(Erf.erf(NAN)));
    }

    @Test void f32ResultsAreRoundedToF32() {
        NdArray r = run("exp", f32(s(1), 1));
        assertEquals(DType.F32, r.dtype());
        assertEquals((double) (float) Math.E, r.get(0));
    }

    @Test void integerUnaryWraps() {
        assertValues(run("neg", i32(s(3), 1, -5, 0)), s(3), -1, 5, 0);
        assertValues(run("abs", arr(DType.I8, s(2), -128, -3)), s(2), -128, 3); // |-128| wraps in i8, as in C
        assertValues(run("neg", arr(DType.U8, s(2), 3, 0)), s(2), 253, 0);
        assertValues(run("relu", i64(s(3), -4, 0, 9)), s(3), 0, 0, 9);
    }

    @Test void notAndIsnan() {
        assertValues(run("not", bool(s(3), 1, 0, 1)), s(3), 0, 1, 0);
        NdArray r = run("isnan", f32(s(3), 1, NAN, INF));
        assertEquals(DType.BOOL, r.dtype());
        assertValues(r, s(3), 0, 1, 0);
    }

    @Test void castConvertsLikeOnnx() {
        assertValues(run("cast", Attrs.of("dtype", DType.I32), f32(s(5), 2.7, -2.7, 0.5, -0.0, 1e3)), s(5), 2, -2, 0, 0, 1000);
        assertValues(run("cast", Attrs.of("dtype", DType.U8), i32(s(3), 256, -1, 7)), s(3), 0, 255, 7);
        assertValues(run("cast", Attrs.of("dtype", DType.BOOL), f32(s(4), 0, 2, -0.5, NAN)), s(4), 0, 1, 1, 1);
        assertValues(run("cast", Attrs.of("dtype", DType.F32), bool(s(2), 1, 0)), s(2), 1, 0);
        assertValues(run("cast", Attrs.of("dtype", DType.F32), f64(s(1), 0.1)), s(1), (double) 0.1f);
        assertEquals(tt(DType.I64, "B", 3), type("cast", Attrs.of("dtype", DType.I64), tt(DType.F32, "B", 3)));
    }

    @Test void emptyTensors() {
        NdArray e = f32(s(0, 3));
        assertValues(run("exp", e), s(0, 3));
        assertValues(run("add", e, f32(s(3), 1, 2, 3)), s(0, 3));
        assertValues(run("where", bool(s(1), 1), e, f32(s(1), 0)), s(0, 3));
    }

    // ------------------------------------------------------------ unary type rules

    @Test void unaryTypeRules() {
        assertEquals(tt(DType.F32, "B", 10), type("relu", tt(DType.F32, "B", 10)));
        assertEquals(tt(DType.BOOL, "B"), type("isnan", tt(DType.F16, "B")));
        assertEquals(tt(DType.I32, 4), type("abs", tt(DType.I32, 4)));
        ShapeException e = shapeError("exp", Attrs.EMPTY, tt(DType.I32, "B", 3));
        assertEquals("exp needs a floating-point operand, got i32[B, 3]", e.getMessage());
        assertNotNull(e.hint());
        e = shapeError("not", Attrs.EMPTY, tt(DType.F32, 2));
        assertTrue(e.getMessage().contains("not needs a bool operand"), e.getMessage());
        e = shapeError("neg", Attrs.EMPTY, tt(DType.BOOL, 2));
        assertTrue(e.getMessage().contains("numeric"), e.getMessage());
        e = shapeError("isnan", Attrs.EMPTY, tt(DType.I64, 2));
        assertTrue(e.getMessage().contains("floating-point"), e.getMessage());
        e = shapeError("leaky_relu", Attrs.of("slope", 0.1), tt(DType.F32, 2));
        assertTrue(e.getMessage().contains("no attribute 'slope'"), e.getMessage());
    }

    // ------------------------------------------------------------ binary

    @Test void arithmeticBroadcastsAcrossRanks() {
        NdArray a = f32(s(2, 3), 1, 2, 3, 4, 5, 6);
        NdArray row = f32(s(3), 10, 20, 30);
        NdArray col = f32(s(2, 1), 100, 200);
        assertValues(run("add", a, row), s(2, 3), 11, 22, 33, 14, 25, 36);
        assertValues(run("sub", a, col), s(2, 3), -99, -98, -97, -196, -195, -194);
        assertValues(run("mul", row, col), s(2, 3), 1000, 2000, 3000, 2000, 4000, 6000);
        assertValues(run("mul", a, f32(s(), 2)), s(2, 3), 2, 4, 6, 8, 10, 12);
        assertValues(run("div", a, f32(s(1, 1), 2)), s(2, 3), 0.5, 1, 1.5, 2, 2.5, 3);
        assertValues(run("max", a, row.map(v -> v / 10 + 1.5)), s(2, 3), 2.5, 3.5, 4.5, 4, 5, 6);
        assertValues(run("min", f64(s(3), 1, NAN, 3), f64(s(3), 2, 0, -3)), s(3), 1, NAN, -3);
        assertValues(run("pow", f64(s(4), 2, 9, -2, 0), f64(s(4), 3, 0.5, 2, 0)), s(4), 8, 3, 4, 1);
    }

    @Test void integerArithmetic() {
        NdArray a = i32(s(6), 7, -7, 7, -7, 0, 5);
        NdArray b = i32(s(6), 2, 2, -2, -2, 3, 5);
        assertValues(run("div", a, b), s(6), 3, -3, -3, 3, 0, 1);
        assertValues(run("mod", a, b), s(6), 1, 1, -1, -1, 0, 0);
        assertValues(run("mod", Attrs.of("fmod", true), a, b), s(6), 1, -1, 1, -1, 0, 0);
        assertValues(run("add", i32(s(1), 2147483647), i32(s(1), 1)), s(1), -2147483648); // wraps
        assertValues(run("mul", arr(DType.U8, s(1), 20), arr(DType.U8, s(1), 13)), s(1), 4); // 260 mod 256
        assertValues(run("pow", i64(s(2), 3, 2), i64(s(2), 4, 10)), s(2), 81, 1024);
        InterpreterException e = assertThrows(InterpreterException.class, () -> run("div", i32(s(1), 1), i32(s(1), 0)));
        assertTrue(e.getMessage().endsWith("integer division by zero"), e.getMessage());
        e = assertThrows(InterpreterException.class, () -> run("mod", i64(s(1), 1), i64(s(1), 0)));
        assertTrue(e.getMessage().endsWith("integer modulo by zero"), e.getMessage());
    }

    @Test void floatMod() {
        NdArray a = f64(s(4), 5.5, -5.5, 5.5, -5.5);
        NdArray b = f64(s(4), 2, 2, -2, -2);
        assertValues(run("mod", a, b), s(4), 1.5, 0.5, -0.5, -1.5);
        assertValues(run("mod", Attrs.of("fmod", true), a, b), s(4), 1.5, -1.5, 1.5, -1.5);
        assertValues(run("div", f64(s(2), 1, -1), f64(s(2), 0, 0)), s(2), INF, -INF);
    }

    @Test void comparisonsGiveBool() {
        NdArray a = i64(s(3), 1, 2, 3);
        NdArray b = i64(s(), 2);
        assertValues(run("eq", a, b), s(3), 0, 1, 0);
        assertValues(run("ne", a, b), s(3), 1, 0, 1);
        assertValues(run("lt", a, b), s(3), 1, 0, 0);
        assertValues(run("le", a, b), s(3), 1, 1, 0);
        assertValues(run("gt", a, b), s(3), 0, 0, 1);
        NdArray r = run("ge", a, b);
        assertEquals(DType.BOOL, r.dtype());
        assertValues(r, s(3), 0, 1, 1);
        assertValues(run("eq", f32(s(2), NAN, 1), f32(s(2), NAN, 1)), s(2), 0, 1);
        assertValues(run("ne", f32(s(1), NAN), f32(s(1), NAN)), s(1), 1);
        assertValues(run("eq", bool(s(2), 1, 0), bool(s(2), 1, 1)), s(2), 1, 0);
    }

    @Test void logical() {
        NdArray a = bool(s(4), 0, 0, 1, 1), b = bool(s(4), 0, 1, 0, 1);
        assertValues(run("and", a, b), s(4), 0, 0, 0, 1);
        assertValues(run("or", a, b), s(4), 0, 1, 1, 1);
        assertValues(run("xor", a, b), s(4), 0, 1, 1, 0);
        assertValues(run("and", bool(s(2, 1), 1, 0), bool(s(2), 1, 1)), s(2, 2), 1, 1, 0, 0);
        ShapeException e = shapeError("and", Attrs.EMPTY, tt(DType.F32, 2), tt(DType.F32, 2));
        assertTrue(e.getMessage().startsWith("and needs a bool operand, got f32[2]"), e.getMessage());
    }

    @Test void where() {
        NdArray c = bool(s(2, 1), 1, 0);
        NdArray a = i64(s(3), 1, 2, 3);
        NdArray b = i64(s(), -1);
        assertValues(run("where", c, a, b), s(2, 3), 1, 2, 3, -1, -1, -1);
        assertEquals(tt(DType.F32, "B", 4, 5), type("where", tt(DType.BOOL, "B", 1, 1), tt(DType.F32, 4, 1), tt(DType.F32, 5)));
        ShapeException e = shapeError("where", Attrs.EMPTY, tt(DType.F32, 2), tt(DType.F32, 2), tt(DType.F32, 2));
        assertTrue(e.getMessage().startsWith("where (condition) needs a bool operand"), e.getMessage());
        e = shapeError("where", Attrs.EMPTY, tt(DType.BOOL, 2), tt(DType.F32, 2), tt(DType.F64, 2));
        assertEquals("where needs operands of one dtype, got f32[2] and f64[2]", e.getMessage());
    }

    @Test void binaryTypeRules() {
        assertEquals(tt(DType.F32, "B", 10), type("add", tt(DType.F32, "B", 10), tt(DType.F32, 10)));
        assertEquals(tt(DType.F32, "B", "T", 8), type("mul", tt(DType.F32, "B", 1, 8), tt(DType.F32, "T", 1)));
        assertEquals(tt(DType.BOOL, 2, 3), type("lt", tt(DType.I32, 2, 1), tt(DType.I32, 3)));
        assertEquals(tt(DType.F32, 0, 3), type("add", tt(DType.F32, 0, 1), tt(DType.F32, 3)));
        ShapeException e = shapeError("add", Attrs.EMPTY, tt(DType.F32, "B", 10), tt(DType.F32, 12));
        assertTrue(e.getMessage().contains("add cannot broadcast [B, 10] and [12]"), e.getMessage());
        e = shapeError("add", Attrs.EMPTY, tt(DType.F32, "B"), tt(DType.F32, "T"));
        assertTrue(e.getMessage().contains("cannot broadcast"), e.getMessage());
        e = shapeError("sub", Attrs.EMPTY, tt(DType.F32, 3), tt(DType.I64, 3));
        assertEquals("sub needs operands of one dtype, got f32[3] and i64[3]", e.getMessage());
        assertTrue(e.hint().contains("cast"), e.hint());
        e = shapeError("add", Attrs.EMPTY, tt(DType.BOOL, 3), tt(DType.BOOL, 3));
        assertTrue(e.getMessage().contains("numeric"), e.getMessage());
        e = shapeError("add", Attrs.EMPTY, tt(DType.F32, 3));
        assertEquals("add takes 2 operands, got 1", e.getMessage());
    }
}
