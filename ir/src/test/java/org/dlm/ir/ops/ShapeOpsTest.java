package org.dlm.ir.ops;

import static org.dlm.ir.ops.OpTesting.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.ShapeException;
import org.dlm.ir.interp.InterpreterException;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

class ShapeOpsTest {
    static final long BIG = Long.MAX_VALUE;
    // [[0, 1, 2], [3, 4, 5]]
    static final NdArray A = f32(s(2, 3), 0, 1, 2, 3, 4, 5);

    static Shape shape(Object... dims) { return tt(DType.F32, dims).shape(); }

    // ------------------------------------------------------------ reshape, flatten

    @Test void reshapeSymbolic() {
        assertEquals(tt(DType.F32, "B", 400), type("reshape", Attrs.of("shape", shape("B", 400)), tt(DType.F32, "B", 16, 5, 5)));
        assertEquals(tt(DType.F32, "B", 400), type("reshape", Attrs.of("shape", shape(-1, 400)), tt(DType.F32, "B", 16, 5, 5)));
        assertEquals(tt(DType.F32, "B", 400), type("reshape", Attrs.of("shape", shape("B", -1)), tt(DType.F32, "B", 16, 5, 5)));
        assertEquals(tt(DType.F32, "B*T", 8), type("reshape", Attrs.of("shape", shape(-1, 8)), tt(DType.F32, "B", "T", 8)));
        assertEquals(tt(DType.F32, "B", 2, 4), type("reshape", Attrs.of("shape", shape("B", -1, 4)), tt(DType.F32, "B", 8)));
        assertEquals(tt(DType.F32, 6, 4), type("reshape", Attrs.of("shape", shape(-1, 4)), tt(DType.F32, 2, 3, 4)));
        assertEquals(tt(DType.F32, 0, 3), type("reshape", Attrs.of("shape", shape(-1, 3)), tt(DType.F32, 0, 6)));
    }

    @Test void reshapeErrors() {
        ShapeException e = shapeError("reshape", Attrs.of("shape", shape("B", 300)), tt(DType.F32, "B", 16, 5, 5));
        assertEquals("reshape cannot turn f32[B, 16, 5, 5] (400*B elements) into f32[B, 300] (300*B elements)", e.getMessage());
        assertNotNull(e.hint());
        e = shapeError("reshape", Attrs.of("shape", shape(7, -1)), tt(DType.F32, 30));
        assertEquals("reshape cannot infer the -1 in [7, -1] for f32[30]: 30 elements are not divisible by 7", e.getMessage());
        e = shapeError("reshape", Attrs.of("shape", shape(-1, -1)), tt(DType.F32, 4));
        assertTrue(e.getMessage().contains("more than one -1"), e.getMessage());
        e = shapeError("reshape", Attrs.of("shape", shape(-1, 0)), tt(DType.F32, 0));
        assertTrue(e.getMessage().contains("no elements"), e.getMessage());
        e = shapeError("reshape", Attrs.of("shape", shape(-2, 2)), tt(DType.F32, 4));
        assertTrue(e.getMessage().contains("negative dimension -2"), e.getMessage());
    }

    @Test void reshapeKernel() {
        assertValues(run("reshape", Attrs.of("shape", shape(3, -1)), A), s(3, 2), 0, 1, 2, 3, 4, 5);
        assertValues(run("reshape", Attrs.of("shape", shape(6)), i64(s(2, 3), 1, 2, 3, 4, 5, 6)), s(6), 1, 2, 3, 4, 5, 6);
        // symbolic: B bound from the input at run time
        Node x = input("x", DType.F32, "B", 2, 2);
        Node r = Node.of("reshape", List.of(x), Attrs.of("shape", shape(-1, 4)));
        assertEquals(tt(DType.F32, "B", 4), r.type());
        assertValues(eval(r, Map.of(x, f32(s(2, 2, 2), 1, 2, 3, 4, 5, 6, 7, 8))), s(2, 4), 1, 2, 3, 4, 5, 6, 7, 8);
    }

    @Test void flatten() {
        assertEquals(tt(DType.F32, "B", 400), type("flatten", tt(DType.F32, "B", 16, 5, 5)));
        assertEquals(tt(DType.F32, "16*B", 25), type("flatten", Attrs.of("axis", 2), tt(DType.F32, "B", 16, 5, 5)));
        assertEquals(tt(DType.F32, 1, "400*B"), type("flatten", Attrs.of("axis", 0), tt(DType.F32, "B", 16, 5, 5)));
        assertEquals(tt(DType.F32, "400*B", 1), type("flatten", Attrs.of("axis", 4), tt(DType.F32, "B", 16, 5, 5)));
        assertEquals(tt(DType.F32, "16*B", 25), type("flatten", Attrs.of("axis", -2), tt(DType.F32, "B", 16, 5, 5)));
        ShapeException e = shapeError("flatten", Attrs.of("axis", 5), tt(DType.F32, "B", 16, 5, 5));
        assertEquals("flatten axis 5 is out of range for f32[B, 16, 5, 5]", e.getMessage());
        assertValues(run("flatten", f32(s(2, 1, 2), 1, 2, 3, 4)), s(2, 2), 1, 2, 3, 4);
    }

    // ------------------------------------------------------------ transpose

    @Test void transpose() {
        assertValues(run("transpose", A), s(3, 2), 0, 3, 1, 4, 2, 5);
        assertValues(run("transpose", Attrs.of("perm", List.of(1L, 0L)), A), s(3, 2), 0, 3, 1, 4, 2, 5);
        // x[i][j][k] = 4i + 2j + k, perm [2, 0, 1]: y[k][i][j] = x[i][j][k]
        NdArray x = i32(s(2, 2, 2), 0, 1, 2, 3, 4, 5, 6, 7);
        assertValues(run("transpose", Attrs.of("perm", List.of(2L, 0L, 1L)), x), s(2, 2, 2), 0, 2, 4, 6, 1, 3, 5, 7);
        assertEquals(tt(DType.F32, 10, "B"), type("transpose", tt(DType.F32, "B", 10)));
        assertEquals(tt(DType.F32, "B", "T", "H"), type("transpose", Attrs.of("perm", List.of(0L, 2L, 1L)), tt(DType.F32, "B", "H", "T")));
        ShapeException e = shapeError("transpose", Attrs.of("perm", List.of(0L, 0L)), tt(DType.F32, 2, 3));
        assertTrue(e.getMessage().contains("is not a permutation"), e.getMessage());
        e = shapeError("transpose", Attrs.of("perm", List.of(0L)), tt(DType.F32, 2, 3));
        assertEquals("transpose perm [0] has 1 entries for an operand of rank 2", e.getMessage());
        assertValues(run("transpose", f32(s(0, 2))), s(2, 0));
    }

    // ------------------------------------------------------------ concat

    @Test void concat() {
        NdArray b = f32(s(2, 1), 10, 11);
        assertValues(run("concat", Attrs.of("axis", 1), A, b), s(2, 4), 0, 1, 2, 10, 3, 4, 5, 11);
        assertValues(run("concat", Attrs.of("axis", 0), A, f32(s(1, 3), 7, 8, 9)), s(3, 3), 0, 1, 2, 3, 4, 5, 7, 8, 9);
        assertValues(run("concat", Attrs.of("axis", -1), i64(s(1), 1), i64(s(0)), i64(s(2), 2, 3)), s(3), 1, 2, 3);
        assertValues(run("concat", Attrs.of("axis", 0), A), s(2, 3), 0, 1, 2, 3, 4, 5);
        assertEquals(tt(DType.F32, "B", "T+3"), type("concat", Attrs.of("axis", 1), tt(DType.F32, "B", "T"), tt(DType.F32, "B", 3)));
        assertEquals(tt(DType.F32, "2*B", 4), type("concat", Attrs.of("axis", 0), tt(DType.F32, "B", 4), tt(DType.F32, "B", 4)));
        ShapeException e = shapeError("concat", Attrs.of("axis", 1), tt(DType.F32, "B", 3), tt(DType.F32, 4, 3));
        assertEquals("concat needs equal sizes except on axis 1, got f32[B, 3], f32[4, 3]", e.getMessage());
        e = shapeError("concat", Attrs.of("axis", 0), tt(DType.F32, 3), tt(DType.F32, 3, 1));
        assertTrue(e.getMessage().startsWith("concat needs equal sizes except on axis 0"), e.getMessage());
        e = shapeError("concat", Attrs.of("axis", 0), tt(DType.F32, 3), tt(DType.I32, 3));
        assertEquals("concat needs operands of one dtype, got f32[3] and i32[3]", e.getMessage());
        e = shapeError("concat", Attrs.EMPTY, tt(DType.F32, 3));
        assertEquals("concat needs attribute 'axis'", e.getMessage());
        e = shapeError("concat", Attrs.of("axis", 0));
        assertEquals("concat takes at least 1 operands, got 0", e.getMessage());
    }

    // ------------------------------------------------------------ slice

    static Attrs slice(long[] starts, long[] ends, long[] axes, long[] steps) {
        return Attrs.of("starts", starts, "ends", ends, "axes", axes, "steps", steps);
    }

    @Test void sliceBasics() {
        NdArray v = i64(s(6), 0, 1, 2, 3, 4, 5);
        assertValues(run("slice", Attrs.of("starts", s(1), "ends", s(4)), v), s(3), 1, 2, 3);
        assertValues(run("slice", Attrs.of("starts", s(-2), "ends", s(BIG)), v), s(2), 4, 5);
        assertValues(run("slice", Attrs.of("starts", s(0), "ends", s(-1)), v), s(5), 0, 1, 2, 3, 4);
        assertValues(run("slice", slice(s(0), s(BIG), s(0), s(2)), v), s(3), 0, 2, 4);
        assertValues(run("slice", slice(s(1), s(6), s(0), s(2)), v), s(3), 1, 3, 5);
        assertValues(run("slice", Attrs.of("starts", s(-100), "ends", s(100)), v), s(6), 0, 1, 2, 3, 4, 5); // clamped
        assertValues(run("slice", Attrs.of("starts", s(4), "ends", s(2)), v), s(0)); // empty
        assertValues(run("slice", Attrs.of("starts", s(10), "ends", s(20)), v), s(0));
    }

    @Test void sliceNegativeSteps() {
        NdArray v = i64(s(5), 0, 1, 2, 3, 4);
        assertValues(run("slice", slice(s(-1), s(Long.MIN_VALUE), s(0), s(-1)), v), s(5), 4, 3, 2, 1, 0); // reverse
        assertValues(run("slice", slice(s(BIG), s(-BIG), s(0), s(-2)), v), s(3), 4, 2, 0);
        assertValues(run("slice", slice(s(3), s(0), s(0), s(-1)), v), s(3), 3, 2, 1);
        assertValues(run("slice", slice(s(1), s(3), s(0), s(-1)), v), s(0));
        assertValues(run("slice", slice(s(3), s(-6), s(0), s(-3)), v), s(2), 3, 0);
    }

    @Test void sliceOnAxes() {
        assertValues(run("slice", slice(s(1), s(3), s(1), s(1)), A), s(2, 2), 1, 2, 4, 5);
        assertValues(run("slice", slice(s(1, 0), s(2, 1), s(0, -1), s(1, 1)), A), s(1, 1), 3);
        assertValues(run("slice", slice(s(-1), s(-BIG), s(1), s(-1)), A), s(2, 3), 2, 1, 0, 5, 4, 3);
    }

    @Test void sliceSymbolic() {
        assertEquals(tt(DType.F32, "B", "T-2"), type("slice", slice(s(2), s(BIG), s(1), s()), tt(DType.F32, "B", "T")));
        assertEquals(tt(DType.F32, "B", 3), type("slice", slice(s(-3), s(BIG), s(1), s()), tt(DType.F32, "B", "T")));
        assertEquals(tt(DType.F32, "B", "T-1"), type("slice", slice(s(0), s(-1), s(1), s()), tt(DType.F32, "B", "T")));
        assertEquals(tt(DType.F32, "B", "T"), type("slice", slice(s(-1), s(Long.MIN_VALUE), s(1), s(-1)), tt(DType.F32, "B", "T")));
        assertEquals(tt(DType.F32, "B", 4), type("slice", slice(s(0), s(4), s(1), s()), tt(DType.F32, "B", "T")));
        Dim half = Dim.sym("T").plus(1).floorDiv(2);
        assertEquals(new Shape(List.of(Dim.sym("B"), half)), type("slice", slice(s(0), s(BIG), s(1), s(2)), tt(DType.F32, "B", "T")).shape());
    }

    @Test void sliceOnSymbolicDimChecksItsAssumptionAtRunTime() {
        Node x = input("sx", DType.I64, "T");
        Node y = Node.of("slice", List.of(x), Attrs.of("starts", s(0), "ends", s(4)));
        assertEquals(tt(DType.I64, 4), y.type());
        assertValues(eval(y, Map.of(x, i64(s(5), 1, 2, 3, 4, 5))), s(4), 1, 2, 3, 4);
        InterpreterException e = assertThrows(InterpreterException.class, () -> eval(y, Map.of(x, i64(s(3), 1, 2, 3))));
        assertTrue(e.getMessage().contains("gives 3 elements on axis 0 of size 3, but its symbolic type promised 4"), e.getMessage());
    }

    @Test void sliceErrors() {
        ShapeException e = shapeError("slice", Attrs.of("starts", s(0, 1), "ends", s(1)), tt(DType.F32, 3, 3));
        assertEquals("slice has 2 starts but 1 ends", e.getMessage());
        e = shapeError("slice", slice(s(0), s(1), s(0), s(0)), tt(DType.F32, 3));
        assertEquals("slice step must not be 0", e.getMessage());
        e = shapeError("slice", slice(s(0), s(1), s(2), s(1)), tt(DType.F32, 3, 3));
        assertEquals("slice axis 2 is out of range for rank 2", e.getMessage());
        e = shapeError("slice", Attrs.of("starts", s(0, 0, 0), "ends", s(1, 1, 1)), tt(DType.F32, 3, 3));
        assertTrue(e.getMessage().contains("3 starts for an operand of rank 2"), e.getMessage());
        e = shapeError("slice", slice(s(0, 0), s(1, 1), s(1, -1), s()), tt(DType.F32, 3, 3));
        assertTrue(e.getMessage().contains("twice"), e.getMessage());
    }

    // ------------------------------------------------------------ gather

    @Test void gather() {
        NdArray table = f32(s(3, 2), 1, 2, 3, 4, 5, 6);
        assertValues(run("gather", table, i64(s(2), 2, 0)), s(2, 2), 5, 6, 1, 2);
        assertValues(run("gather", table, i32(s(2, 2), 0, -1, 1, 1)), s(2, 2, 2), 1, 2, 5, 6, 3, 4, 3, 4);
        assertValues(run("gather", Attrs.of("axis", 1), table, i64(s(), 1)), s(3), 2, 4, 6);
        assertValues(run("gather", Attrs.of("axis", -1), table, i64(s(3), 1, 0, -2)), s(3, 3), 2, 1, 1, 4, 3, 3, 6, 5, 5);
        assertValues(run("gather", table, i64(s(0))), s(0, 2));
        InterpreterException e = assertThrows(InterpreterException.class, () -> run("gather", table, i64(s(1), 3)));
        assertTrue(e.getMessage().endsWith(": gather index 3 is out of range for axis 0 of size 3"), e.getMessage());
        assertThrows(InterpreterException.class, () -> run("gather", table, i64(s(1), -4)));
        assertEquals(tt(DType.F32, "B", "T", 512), type("gather", tt(DType.F32, 1000, 512), tt(DType.I64, "B", "T")));
        assertEquals(tt(DType.F32, "B", 7, 3), type("gather", Attrs.of("axis", 1), tt(DType.F32, "B", 10, 3), tt(DType.I32, 7)));
        ShapeException se = shapeError("gather", Attrs.EMPTY, tt(DType.F32, 10, 3), tt(DType.F32, 2));
        assertEquals("gather needs integer indices, got f32[2]", se.getMessage());
        se = shapeError("gather", Attrs.of("axis", 2), tt(DType.F32, 10, 3), tt(DType.I64, 2));
        assertEquals("gather axis 2 is out of range for rank 2", se.getMessage());
    }

    // ------------------------------------------------------------ expand, squeeze, unsqueeze, tile

    @Test void expand() {
        assertValues(run("expand", Attrs.of("shape", shape(2, 3)), f32(s(3), 1, 2, 3)), s(2, 3), 1, 2, 3, 1, 2, 3);
        assertValues(run("expand", Attrs.of("shape", shape(2, 2)), f32(s(2, 1), 1, 2)), s(2, 2), 1, 1, 2, 2);
        assertValues(run("expand", Attrs.of("shape", shape(1)), f32(s(2), 1, 2)), s(2), 1, 2); // ONNX: result may be larger than shape
        assertValues(run("expand", Attrs.of("shape", shape(2, 0)), f32(s(1), 4)), s(2, 0));
        assertEquals(tt(DType.F32, "B", 10), type("expand", Attrs.of("shape", shape("B", 10)), tt(DType.F32, 10)));
        ShapeException e = shapeError("expand", Attrs.of("shape", shape(4)), tt(DType.F32, 3));
        assertTrue(e.getMessage().startsWith("expand cannot broadcast [3] and [4]"), e.getMessage());
    }

    @Test void squeezeUnsqueeze() {
        assertEquals(tt(DType.F32, "B", 3), type("squeeze", tt(DType.F32, "B", 1, 3, 1)));
        assertEquals(tt(DType.F32, "B", 3, 1), type("squeeze", Attrs.of("axes", s(1)), tt(DType.F32, "B", 1, 3, 1)));
        assertEquals(tt(DType.F32, "B", 3), type("squeeze", Attrs.of("axes", s(-1, 1)), tt(DType.F32, "B", 1, 3, 1)));
        ShapeException e = shapeError("squeeze", Attrs.of("axes", s(0)), tt(DType.F32, "B", 1));
        assertEquals("squeeze axis 0 of f32[B, 1] has size B, not 1", e.getMessage());
        assertValues(run("squeeze", f32(s(1, 2, 1), 7, 8)), s(2), 7, 8);

        assertEquals(tt(DType.F32, 1, "B", 1, 3), type("unsqueeze", Attrs.of("axes", s(0, 2)), tt(DType.F32, "B", 3)));
        assertEquals(tt(DType.F32, "B", 3, 1), type("unsqueeze", Attrs.of("axes", s(-1)), tt(DType.F32, "B", 3)));
        assertEquals(tt(DType.I64, 1), type("unsqueeze", Attrs.of("axes", s(0)), tt(DType.I64)));
        e = shapeError("unsqueeze", Attrs.of("axes", s(3)), tt(DType.F32, "B", 3));
        assertEquals("unsqueeze axis 3 is out of range for rank 3", e.getMessage());
        e = shapeError("unsqueeze", Attrs.EMPTY, tt(DType.F32, 3));
        assertEquals("unsqueeze needs attribute 'axes'", e.getMessage());
        assertValues(run("unsqueeze", Attrs.of("axes", s(1)), i32(s(2), 7, 8)), s(2, 1), 7, 8);
    }

    @Test void tile() {
        assertValues(run("tile", Attrs.of("repeats", s(2)), f32(s(2), 1, 2)), s(4), 1, 2, 1, 2);
        assertValues(run("tile", Attrs.of("repeats", s(2, 2)), f32(s(1, 2), 1, 2)), s(2, 4), 1, 2, 1, 2, 1, 2, 1, 2);
        assertValues(run("tile", Attrs.of("repeats", s(1, 0)), A), s(2, 0));
        assertValues(run("tile", Attrs.of("repeats", s(2, 1)), A), s(4, 3), 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5);
        assertEquals(tt(DType.F32, "2*B", 3), type("tile", Attrs.of("repeats", s(2, 1)), tt(DType.F32, "B", 3)));
        ShapeException e = shapeError("tile", Attrs.of("repeats", s(2)), tt(DType.F32, "B", 3));
        assertEquals("tile repeats [2] has 1 entries for f32[B, 3]", e.getMessage());
        e = shapeError("tile", Attrs.of("repeats", s(-1)), tt(DType.F32, 3));
        assertTrue(e.getMessage().contains("negative"), e.getMessage());
    }

    // ------------------------------------------------------------ pad

    @Test void padModes() {
        NdArray v = f32(s(3), 1, 2, 3);
        assertValues(run("pad", Attrs.of("pads", s(2, 1)), v), s(6), 0, 0, 1, 2, 3, 0);
        assertValues(run("pad", Attrs.of("pads", s(1, 1), "value", -1.5), v), s(5), -1.5, 1, 2, 3, -1.5);
        assertValues(run("pad", Attrs.of("pads", s(2, 2), "mode", "reflect"), v), s(7), 3, 2, 1, 2, 3, 2, 1);
        assertValues(run("pad", Attrs.of("pads", s(2, 1), "mode", "edge"), v), s(6), 1, 1, 1, 2, 3, 3);
        assertValues(run("pad", Attrs.of("pads", s(-1, 0)), v), s(2), 2, 3); // negative pads crop
        // 2-D: [[0,1,2],[3,4,5]] padded by one row on top, one column on the right
        assertValues(run("pad", Attrs.of("pads", s(1, 0, 0, 1)), A), s(3, 4), 0, 0, 0, 0, 0, 1, 2, 0, 3, 4, 5, 0);
        assertValues(run("pad", Attrs.of("pads", s(1, 1, 1, 1), "mode", "reflect"), A), s(4, 5),
                4, 3, 4, 5, 4, 1, 0, 1, 2, 1, 4, 3, 4, 5, 4, 1, 0, 1, 2, 1);
        assertValues(run("pad", Attrs.of("pads", s(0, 1, 0, 1), "mode", "edge"), i32(s(1, 2), 5, 6)), s(1, 4), 5, 5, 6, 6);
    }

    @Test void padTypesAndErrors() {
        assertEquals(tt(DType.F32, "B", 3, "H+2", "W+2"), type("pad", Attrs.of("pads", s(0, 0, 1, 1, 0, 0, 1, 1)), tt(DType.F32, "B", 3, "H", "W")));
        ShapeException e = shapeError("pad", Attrs.of("pads", s(1, 1)), tt(DType.F32, 2, 2));
        assertEquals("pad needs 4 pads (begin and end of each of 2 dims), got 2", e.getMessage());
        e = shapeError("pad", Attrs.of("pads", s(3, 0), "mode", "reflect"), tt(DType.F32, 3));
        assertEquals("reflect padding 3 on dim 0 of f32[3] needs the dim to be larger than the pad", e.getMessage());
        e = shapeError("pad", Attrs.of("pads", s(1, 0), "mode", "wrap"), tt(DType.F32, 3));
        assertEquals("pad mode must be constant, reflect or edge, got \"wrap\"", e.getMessage());
        e = shapeError("pad", Attrs.of("pads", s(-2, -2)), tt(DType.F32, 3));
        assertTrue(e.getMessage().contains("crops more"), e.getMessage());
        e = shapeError("pad", Attrs.of("pads", s(1, 0), "mode", "edge"), tt(DType.F32, 0));
        assertTrue(e.getMessage().contains("empty dim"), e.getMessage());
    }

    // ------------------------------------------------------------ one_hot, iota, shape_of

    @Test void oneHot() {
        NdArray r = run("one_hot", Attrs.of("depth", 3), i64(s(4), 0, 2, -1, 5));
        assertEquals(DType.F32, r.dtype());
        assertValues(r, s(4, 3), 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0);
        r = run("one_hot", Attrs.of("depth", 2, "dtype", DType.I64), i32(s(2, 1), 1, 0));
        assertEquals(DType.I64, r.dtype());
        assertValues(r, s(2, 1, 2), 0, 1, 1, 0);
        assertEquals(tt(DType.F32, "B", 10), type("one_hot", Attrs.of("depth", 10), tt(DType.I64, "B")));
        ShapeException e = shapeError("one_hot", Attrs.of("depth", 10), tt(DType.F32, "B"));
        assertEquals("one_hot needs integer indices, got f32[B]", e.getMessage());
        e = shapeError("one_hot", Attrs.EMPTY, tt(DType.I64, "B"));
        assertEquals("one_hot needs attribute 'depth'", e.getMessage());
    }

    @Test void iota() {
        Node n = Node.of("iota", List.of(), Attrs.of("dtype", DType.I64, "shape", shape(5)));
        assertEquals(tt(DType.I64, 5), n.type());
        assertValues(eval(n, Map.of()), s(5), 0, 1, 2, 3, 4);
        n = Node.of("iota", List.of(), Attrs.of("dtype", DType.F32, "shape", shape(2, 3), "axis", 1));
        assertValues(eval(n, Map.of()), s(2, 3), 0, 1, 2, 0, 1, 2);
        n = Node.of("iota", List.of(), Attrs.of("dtype", DType.F32, "shape", shape(2, 3), "axis", -2));
        assertValues(eval(n, Map.of()), s(2, 3), 0, 0, 0, 1, 1, 1);
        assertEquals(tt(DType.I32, "T"), Node.of("iota", List.of(), Attrs.of("dtype", DType.I32, "shape", shape("T"))).type());
        ShapeException e = assertThrows(ShapeException.class,
                () -> Node.of("iota", List.of(), Attrs.of("dtype", DType.I32, "shape", Shape.SCALAR)));
        assertEquals("iota axis 0 is out of range for rank 0", e.getMessage());
    }

    @Test void shapeOf() {
        NdArray r = run("shape_of", A);
        assertEquals(DType.I64, r.dtype());
        assertValues(r, s(2), 2, 3);
        assertValues(run("shape_of", f64(s(), 1)), s(0));
        assertEquals(tt(DType.I64, 4), type("shape_of", tt(DType.F32, "B", 3, "H", "W")));
    }

    @Test void shapeOpsKeepIntegerAndBoolData() {
        assertValues(run("transpose", bool(s(2, 2), 1, 0, 0, 1)), s(2, 2), 1, 0, 0, 1);
        NdArray big = i64(s(2), 1L << 52, -(1L << 52));
        assertValues(run("concat", Attrs.of("axis", 0), big, big), s(4), 1L << 52, -(1L << 52), 1L << 52, -(1L << 52));
        assertValues(run("slice", Attrs.of("starts", s(1), "ends", s(2)), arr(DType.U8, s(3), 0, 255, 7)), s(1), 255);
    }
}
