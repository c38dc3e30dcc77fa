package org.dlm.ir.ops;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.dlm.ir.Attrs;
import org.dlm.ir.Dim;
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

    /** Requires a floating-point operand. */
    static void requireFloat(String op, String what, TensorType t) {
        if (!t.dtype().isFloating())
            throw new ShapeException(op + " needs a floating-point " + what + ", got " + t,
                    "insert cast(" + what + ", dtype = f32)");
    }

    /** Requires {@code other} to have the dtype of {@code main}: mixed dtypes are an error. */
    static void sameDType(String op, String mainName, TensorType main, String otherName, TensorType other) {
        if (main.dtype() != other.dtype())
            throw new ShapeException(op + ": " + otherName + " is " + other + " but " + mainName + " is " + main,
                    "mixed dtypes are not converted implicitly; insert cast(" + otherName + ", dtype = " + main.dtype() + ")");
    }

    /** Requires an exact rank. */
    static void requireRank(String op, String what, TensorType t, int rank, String layout) {
        if (t.rank() != rank)
            throw new ShapeException(op + " expects " + what + " of rank " + rank + " (" + layout + "), got " + t);
    }

    /** Requires a 1-D operand of length {@code n} (per-channel parameters). */
    static void requireVector(String op, String what, TensorType t, Dim n) {
        if (t.rank() != 1 || !t.shape().dim(0).equals(n))
            throw new ShapeException(op + " expects " + what + " of shape [" + n + "], got " + t);
    }

    /** An integer-list attribute of exactly {@code len} values, each at least {@code min}. */
    static long[] ints(String op, Attrs a, String name, int len, long min, String layout) {
        long[] v = a.getLongArray(name);
        if (v.length != len)
            throw new ShapeException(op + " attribute '" + name + "' needs " + len + " values (" + layout + "), got " + v.length,
                    null);
        for (long x : v)
            if (x < min)
                throw new ShapeException(op + " attribute '" + name + "' must be " + (min == 0 ? "non-negative" : "at least " + min)
                        + ", got " + a.getLongs(name));
        return v;
    }

    /** The loss reduction attribute: one of none, mean, sum. */
    static String reduction(String op, Attrs a) {
        String r = a.getString("reduction", "mean");
        if (!List.of("mean", "sum", "none").contains(r))
            throw new ShapeException(op + " reduction must be \"mean\", \"sum\" or \"none\", got \"" + r + "\"");
        return r;
    }
}
