package org.dlm.ir.ops;

import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.ShapeException;
import org.dlm.ir.TensorType;

/**
 * Operand and attribute checks shared by the shape rules of the linalg, nn and loss families.
 * Every failure is a {@link ShapeException} worded for the person who wrote the model.
 */
final class OpChecks {
    private OpChecks() {}

    /** Requires a floating-point operand. */
    static void requireFloat(String op, String what, TensorType t) {
        if (!t.dtype().isFloating())
            throw new ShapeException(op + " needs a floating-point " + what + ", got " + t,
                    "insert cast(" + what + ", dtype = f32)");
    }

    /** Requires an integer operand (class ids, token ids). */
    static void requireInteger(String op, String what, TensorType t) {
        if (!t.dtype().isInteger())
            throw new ShapeException(op + " needs integer " + what + " (i32 or i64), got " + t,
                    "insert cast(" + what + ", dtype = i64)");
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

    /** Normalizes a possibly negative axis against {@code rank}. */
    static int axis(String op, long axis, int rank) {
        if (axis < -rank || axis >= rank)
            throw new ShapeException(op + " axis " + axis + " is out of range for rank " + rank,
                    rank == 0 ? null : "axes run from " + (-rank) + " to " + (rank - 1));
        return (int) (axis < 0 ? axis + rank : axis);
    }

    /** The loss reduction attribute: one of none, mean, sum. */
    static String reduction(String op, Attrs a) {
        String r = a.getString("reduction", "mean");
        if (!List.of("mean", "sum", "none").contains(r))
            throw new ShapeException(op + " reduction must be \"mean\", \"sum\" or \"none\", got \"" + r + "\"");
        return r;
    }

    /** Reads a static dim for a kernel-side assertion-free computation. */
    static boolean isConst(Dim d, long v) { return d.isConst() && d.value() == v; }

    static DType floatDType(String op, String what, TensorType t) {
        requireFloat(op, what, t);
        return t.dtype();
    }
}
