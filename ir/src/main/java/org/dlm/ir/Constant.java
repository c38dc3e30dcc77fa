package org.dlm.ir;

import java.util.Arrays;

/**
 * Literal tensor data carried as an attribute (the {@code const} op). Values are held as doubles
 * (integers up to 2^53 exactly), rounded to {@code type}'s dtype on construction.
 */
public record Constant(TensorType type, double[] values) {
    public Constant {
        if (!type.shape().isStatic()) throw new IllegalArgumentException("constant with symbolic shape " + type);
        long n = type.shape().numel().value();
        if (n != values.length) throw new IllegalArgumentException("constant of " + type + " needs " + n + " values, got " + values.length);
        values = values.clone();
        // canonical: values are exact in the dtype (as NdArray makes them), so equal constants
        // hash-cons to one node and every consumer sees the same numbers
        for (int i = 0; i < values.length; i++) values[i] = org.dlm.ir.interp.NdArray.round(type.dtype(), values[i]);
    }

    public static Constant scalar(DType dtype, double v) { return new Constant(new TensorType(dtype, Shape.SCALAR), new double[] {v}); }

    @Override public double[] values() { return values.clone(); }
    public double value(int i) { return values[i]; }
    public int size() { return values.length; }

    @Override public boolean equals(Object o) {
        return o instanceof Constant c && c.type.equals(type) && Arrays.equals(c.values, values);
    }
    @Override public int hashCode() { return type.hashCode() * 31 + Arrays.hashCode(values); }
    @Override public String toString() { return "dense<" + type + ">"; }
}
