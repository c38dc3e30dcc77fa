package org.dlm.ir.ops;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.dlm.ir.DType;
import org.dlm.ir.ShapeException;
import org.dlm.ir.TensorType;

/**
 * Operand checks shared by shape rules: dtype classes, equal dtypes, axis normalization. Each
 * failure is a {@link ShapeException} phrased for the person who wrote the model.
 */
final class OpChecks {
    private OpChecks() {}

    /** Floating-point operand (transcendental functions and the like). */
    static void requireFloat(String op, TensorType t) {
        if (!t.dtype().isFloating())
            throw new ShapeException(op + " needs a floating-point operand, got " + t, "cast it first: cast(x, dtype=f32)");
    }

    /** Number: integer or floating point, not bool. */
    static void requireNumeric(String op, TensorType t) {
        if (t.dtype() == DType.BOOL)
            throw new ShapeException(op + " needs a numeric operand, got " + t, "cast the bool tensor to a number type first");
    }

    static void requireBool(String op, TensorType t) {
        if (t.dtype() != DType.BOOL)
            throw new ShapeException(op + " needs a bool operand, got " + t, "compare first, e.g. gt(x, 0), or cast to bool");
    }

    static void requireInteger(String op, String what, TensorType t) {
        if (!t.dtype().isInteger())
            throw new ShapeException(op + " needs integer " + what + ", got " + t, "cast the " + what + " to i64");
    }

    /** All operands share one dtype (mixed dtypes are an error: the IR never converts implicitly). */
    static DType sameDType(String op, List<TensorType> ts) {
        DType d = ts.get(0).dtype();
        for (TensorType t : ts)
            if (t.dtype() != d)
                throw new ShapeException(op + " needs operands of one dtype, got " + String.join(" and ", ts.stream().map(TensorType::toString).toList()),
                        "insert a cast, e.g. cast(x, dtype=" + d + ")");
        return d;
    }

    /** Normalizes a possibly negative axis into [0, rank). */
    static int axis(String op, long axis, int rank) {
        if (axis < -rank || axis >= rank)
            throw new ShapeException(op + " axis " + axis + " is out of range for rank " + rank,
                    rank == 0 ? "a scalar has no axes" : "axes go from " + (-rank) + " to " + (rank - 1));
        return (int) (axis < 0 ? axis + rank : axis);
    }

    /** Normalizes a list of axes; duplicates are an error. */
    static int[] axes(String op, List<Long> axes, int rank) {
        int[] r = new int[axes.size()];
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < r.length; i++) {
            r[i] = axis(op, axes.get(i), rank);
            if (!seen.add(r[i])) throw new ShapeException(op + " lists axis " + r[i] + " twice (axes " + axes + ")");
        }
        return r;
    }

    static List<Long> longs(long[] a) {
        List<Long> l = new ArrayList<>();
        for (long v : a) l.add(v);
        return l;
    }
}
