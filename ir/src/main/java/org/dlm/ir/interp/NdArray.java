package org.dlm.ir.interp;

import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;
import org.dlm.ir.DType;

/**
 * Dense row-major tensor data for the reference interpreter. Values are held as doubles and
 * rounded to the dtype on construction ({@link #round}), so an f32 result is exactly an f32 value;
 * integers are exact up to 2^53. Plain and slow on purpose: this is the oracle.
 */
public final class NdArray {
    private final DType dtype;
    private final long[] shape;
    private final double[] data;

    /** Wraps {@code data} (not copied) after rounding every value to {@code dtype}. */
    public NdArray(DType dtype, long[] shape, double[] data) {
        this.dtype = dtype;
        this.shape = shape.clone();
        long n = numel(shape);
        if (n != data.length)
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
        for (int i = 0; i < data.length; i++) data[i] = round(dtype, data[i]);
        this.data = data;
    }

    public static NdArray zeros(DType dtype, long... shape) { return new NdArray(dtype, shape, new double[(int) numel(shape)]); }

    public static NdArray full(DType dtype, double v, long... shape) {
        double[] d = new double[(int) numel(shape)];
        Arrays.fill(d, v);
        return new NdArray(dtype, shape, d);
    }

    public static NdArray scalar(DType dtype, double v) { return new NdArray(dtype, new long[0], new double[] {v}); }

    public static NdArray of(DType dtype, long[] shape, double... values) { return new NdArray(dtype, shape, values.clone()); }

    public DType dtype() { return dtype; }
    public long[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    public long dim(int i) { return shape[i < 0 ? i + shape.length : i]; }
    public int size() { return data.length; }
    /** The backing values (row-major). Callers must not modify them. */
    public double[] data() { return data; }
    public double get(int flatIndex) { return data[flatIndex]; }

    public double get(long... idx) { return data[offset(idx)]; }

    public int offset(long... idx) {
        if (idx.length != shape.length) throw new IllegalArgumentException("index rank " + idx.length + " != " + shape.length);
        long off = 0;
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= shape[i]) throw new IndexOutOfBoundsException("index " + Arrays.toString(idx) + " out of " + Arrays.toString(shape));
            off = off * shape[i] + idx[i];
        }
        return (int) off;
    }

    /** Row-major strides in elements. */
    public long[] strides() { return strides(shape); }

    public static long[] strides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensor of shape " + Arrays.toString(shape) + " is too large for the interpreter");
        return n;
    }

    public NdArray map(DoubleUnaryOperator f) {
        double[] d = new double[data.length];
        for (int i = 0; i < d.length; i++) d[i] = f.applyAsDouble(data[i]);
        return new NdArray(dtype, shape, d);
    }

    public NdArray reshape(long... newShape) { return new NdArray(dtype, newShape, data.clone()); }

    public NdArray cast(DType to) { return new NdArray(to, shape, data.clone()); }

    /** Rounds {@code v} to a value representable in {@code t} (round to nearest even for floats, truncation toward zero for ints). */
    public static double round(DType t, double v) {
        return switch (t) {
            case F64 -> v;
            case F32 -> (float) v;
            case F16 -> Float.float16ToFloat(Float.floatToFloat16((float) v));
            case BF16 -> bf16((float) v);
            case BOOL -> v != 0 && !Double.isNaN(v) ? 1 : (Double.isNaN(v) ? 1 : 0);
            case I8 -> Double.isNaN(v) ? 0 : (byte) (long) v;
            case U8 -> Double.isNaN(v) ? 0 : ((long) v) & 0xff;
            case I32 -> Double.isNaN(v) ? 0 : (int) (long) v;
            case I64 -> Double.isNaN(v) ? 0 : (double) (long) v;
        };
    }

    private static double bf16(float f) {
        if (Float.isNaN(f)) return f;
        int bits = Float.floatToRawIntBits(f);
        int lsb = (bits >>> 16) & 1;
        bits += 0x7fff + lsb;
        return Float.intBitsToFloat(bits & 0xffff0000);
    }

    /** Largest |a-b| over elements; shapes must match. */
    public double maxAbsDiff(NdArray o) {
        if (!Arrays.equals(shape, o.shape)) throw new IllegalArgumentException("shapes differ: " + Arrays.toString(shape) + " vs " + Arrays.toString(o.shape));
        double m = 0;
        for (int i = 0; i < data.length; i++) {
            double d = Math.abs(data[i] - o.data[i]);
            if (Double.isNaN(d)) return Double.NaN;
            m = Math.max(m, d);
        }
        return m;
    }

    @Override public boolean equals(Object o) {
        return o instanceof NdArray a && a.dtype == dtype && Arrays.equals(a.shape, shape) && Arrays.equals(a.data, data);
    }
    @Override public int hashCode() { return Arrays.hashCode(shape) * 31 + Arrays.hashCode(data); }
    @Override public String toString() {
        return dtype + Arrays.toString(shape) + (data.length <= 16 ? Arrays.toString(data) : "");
    }
}
