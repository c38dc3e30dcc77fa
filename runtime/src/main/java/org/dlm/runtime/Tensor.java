package org.dlm.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.dlm.ir.DType;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;

/**
 * A dense row-major tensor in native memory with a static shape: what compiled code reads and
 * writes. The memory is 64-byte aligned (one cache line, one AVX-512 vector; large tensors are
 * on huge pages, see {@link HugePages}), zero-initialized,
 * owned by the tensor's own shared {@link Arena} (any thread may use it) and freed by
 * {@link #close()}; using a closed tensor throws {@link IllegalStateException}.
 *
 * <pre>{@code
 * try (Tensor x = Tensor.of(NdArray.of(DType.F32, new long[] {2, 2}, 1, 2, 3, 4))) {
 *     x.set(3, 5.0);
 *     NdArray back = x.toNdArray();   // [[1, 2], [3, 5]]
 * }
 * }</pre>
 */
public final class Tensor implements AutoCloseable {
    /** Alignment of every tensor's first element, in bytes. */
    public static final long ALIGNMENT = 64;

    private final DType dtype;
    private final long[] shape;
    private final long numel;
    private final Arena arena;
    private final MemorySegment data;

    private Tensor(DType dtype, long[] shape) {
        this.dtype = dtype;
        this.shape = shape.clone();
        this.numel = numel(this.shape);
        this.arena = Arena.ofShared();
        // Never zero bytes, so that every tensor has a distinct, valid, aligned address.
        this.data = HugePages.allocate(arena, Math.max(1, numel * dtype.byteSize()));
    }

    /** A zero-filled tensor. */
    public static Tensor zeros(DType dtype, long... shape) { return new Tensor(dtype, shape); }

    /** A zero-filled tensor of a static type; throws when the type has symbolic dimensions. */
    public static Tensor zeros(TensorType type) {
        if (!type.shape().isStatic()) throw new IllegalArgumentException("a tensor needs a static shape, got " + type);
        return new Tensor(type.dtype(), type.shape().sizes());
    }

    /** A copy of {@code array} in native memory. */
    public static Tensor of(NdArray array) {
        Tensor t = new Tensor(array.dtype(), array.shape());
        double[] d = array.data();
        for (int i = 0; i < d.length; i++) t.set(i, d[i]);
        return t;
    }

    /** An f32 tensor holding {@code values} (row-major). */
    public static Tensor ofFloats(long[] shape, float... values) {
        Tensor t = new Tensor(DType.F32, shape);
        if (values.length != t.numel) {
            t.close();
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + t.numel + " values, got " + values.length);
        }
        MemorySegment.copy(values, 0, t.data, ValueLayout.JAVA_FLOAT, 0, values.length);
        return t;
    }

    public DType dtype() { return dtype; }
    public long[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    public long dim(int i) { return shape[i < 0 ? i + shape.length : i]; }
    public long numel() { return numel; }
    public TensorType type() { return TensorType.of(dtype, shape); }
    public long byteSize() { return numel * dtype.byteSize(); }

    /** The elements as a native segment of exactly {@link #byteSize()} bytes, for kernels. */
    public MemorySegment segment() {
        checkOpen();
        return data.asSlice(0, byteSize());
    }

    /** Element {@code index} (row-major) as a double. */
    public double get(long index) {
        checkIndex(index);
        return switch (dtype) {
            case F32 -> data.getAtIndex(ValueLayout.JAVA_FLOAT, index);
            case F64 -> data.getAtIndex(ValueLayout.JAVA_DOUBLE, index);
            case F16 -> Float.float16ToFloat(data.getAtIndex(ValueLayout.JAVA_SHORT, index));
            case BF16 -> Float.intBitsToFloat((data.getAtIndex(ValueLayout.JAVA_SHORT, index) & 0xffff) << 16);
            case I8, BOOL -> data.get(ValueLayout.JAVA_BYTE, index);
            case U8 -> data.get(ValueLayout.JAVA_BYTE, index) & 0xff;
            case I32 -> data.getAtIndex(ValueLayout.JAVA_INT, index);
            case I64 -> data.getAtIndex(ValueLayout.JAVA_LONG, index);
        };
    }

    /** Stores {@code value} at {@code index}, converted to the dtype as {@link NdArray} rounds. */
    public void set(long index, double value) {
        checkIndex(index);
        switch (dtype) {
            case F32 -> data.setAtIndex(ValueLayout.JAVA_FLOAT, index, (float) value);
            case F64 -> data.setAtIndex(ValueLayout.JAVA_DOUBLE, index, value);
            case F16 -> data.setAtIndex(ValueLayout.JAVA_SHORT, index, Float.floatToFloat16((float) value));
            case BF16 -> data.setAtIndex(ValueLayout.JAVA_SHORT, index, toBf16((float) value));
            case BOOL -> data.set(ValueLayout.JAVA_BYTE, index, (byte) (value != 0 ? 1 : 0));
            case I8, U8 -> data.set(ValueLayout.JAVA_BYTE, index, (byte) (long) NdArray.round(dtype, value));
            case I32 -> data.setAtIndex(ValueLayout.JAVA_INT, index, (int) (long) NdArray.round(dtype, value));
            case I64 -> data.setAtIndex(ValueLayout.JAVA_LONG, index, (long) NdArray.round(dtype, value));
        }
    }

    /** A copy of the elements for the reference interpreter. */
    public NdArray toNdArray() {
        double[] d = new double[Math.toIntExact(numel)];
        for (int i = 0; i < d.length; i++) d[i] = get(i);
        return new NdArray(dtype, shape, d);
    }

    /** The f32 elements as a Java array. */
    public float[] toFloatArray() {
        if (dtype != DType.F32) throw new IllegalStateException("toFloatArray needs an f32 tensor, this is " + type());
        checkOpen();
        return data.asSlice(0, byteSize()).toArray(ValueLayout.JAVA_FLOAT);
    }

    public boolean isOpen() { return arena.scope().isAlive(); }

    /** Frees the native memory. Closing twice is allowed. */
    @Override public void close() {
        if (arena.scope().isAlive()) arena.close();
    }

    @Override public String toString() { return "Tensor" + (isOpen() ? "" : "(closed)") + " " + type(); }

    /** Round to nearest even, NaN stays NaN. */
    private static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    private void checkOpen() {
        if (!arena.scope().isAlive()) throw new IllegalStateException("tensor " + type() + " is closed");
    }

    private void checkIndex(long index) {
        checkOpen();
        if (index < 0 || index >= numel) throw new IndexOutOfBoundsException("index " + index + " out of " + numel + " elements of " + type());
    }

    private static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
