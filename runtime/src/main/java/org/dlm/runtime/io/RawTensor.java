package org.dlm.runtime.io;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.Tensor;

/**
 * Tensor data as it sits in a file once decoded: a dtype, a shape and the elements as
 * little-endian, row-major bytes. Every reader in this package produces it and every writer
 * consumes it. {@link #toTensor()} and {@link #of(Tensor)} move it to and from native memory with
 * one copy (native tensors are little-endian, like the platforms DLM runs on); {@link #toNdArray()}
 * and {@link #of(NdArray)} convert to and from the reference interpreter's arrays.
 *
 * <pre>{@code
 * RawTensor t = Npy.read(Path.of("x.npy"));
 * NdArray a = t.toNdArray();
 * }</pre>
 */
public final class RawTensor {
    private final DType dtype;
    private final long[] shape;
    private final ByteBuffer data;

    /** {@code data} (read-only view taken, position 0) must hold exactly numel × itemsize bytes. */
    public RawTensor(DType dtype, long[] shape, ByteBuffer data) {
        this.dtype = dtype;
        this.shape = shape.clone();
        long bytes = byteSize(dtype, shape);
        if (bytes != data.remaining())
            throw new IllegalArgumentException(dtype + Arrays.toString(shape) + " needs " + bytes + " bytes, got " + data.remaining());
        this.data = data.slice().order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    public DType dtype() { return dtype; }
    public long[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    public long numel() { return numel(shape); }
    /** The elements, little-endian, row-major; a fresh read-only view positioned at 0. */
    public ByteBuffer data() { return data.duplicate().order(ByteOrder.LITTLE_ENDIAN); }

    /** Element count of {@code shape}; throws ArithmeticException on overflow. */
    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Byte size of a tensor, or -1 when it overflows a long or a dimension is negative. */
    static long byteSize(DType dtype, long[] shape) {
        try {
            for (long d : shape) if (d < 0) return -1;
            return Math.multiplyExact(numel(shape), (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            return -1;
        }
    }

    /** Decodes the elements into an interpreter array (bf16/f16 widen exactly; i64 beyond 2^53 rounds). */
    public NdArray toNdArray() {
        int n = Math.toIntExact(numel());
        double[] v = new double[n];
        ByteBuffer b = data();
        switch (dtype) {
            case F32 -> { for (int i = 0; i < n; i++) v[i] = b.getFloat(i * 4); }
            case F64 -> { for (int i = 0; i < n; i++) v[i] = b.getDouble(i * 8); }
            case F16 -> { for (int i = 0; i < n; i++) v[i] = Float.float16ToFloat(b.getShort(i * 2)); }
            case BF16 -> { for (int i = 0; i < n; i++) v[i] = Float.intBitsToFloat((b.getShort(i * 2) & 0xffff) << 16); }
            case I8 -> { for (int i = 0; i < n; i++) v[i] = b.get(i); }
            case U8 -> { for (int i = 0; i < n; i++) v[i] = b.get(i) & 0xff; }
            case BOOL -> { for (int i = 0; i < n; i++) v[i] = b.get(i) != 0 ? 1 : 0; }
            case I32 -> { for (int i = 0; i < n; i++) v[i] = b.getInt(i * 4); }
            case I64 -> { for (int i = 0; i < n; i++) v[i] = b.getLong(i * 8); }
        }
        return new NdArray(dtype, shape, v);
    }

    /** Encodes an interpreter array (its values are already rounded to its dtype). */
    public static RawTensor of(NdArray a) {
        DType t = a.dtype();
        double[] v = a.data();
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(v.length, t.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
        switch (t) {
            case F32 -> { for (double x : v) b.putFloat((float) x); }
            case F64 -> { for (double x : v) b.putDouble(x); }
            case F16 -> { for (double x : v) b.putShort(Float.floatToFloat16((float) x)); }
            case BF16 -> { for (double x : v) b.putShort(bf16Bits((float) x)); }
            case I8, U8, BOOL -> { for (double x : v) b.put((byte) (long) x); }
            case I32 -> { for (double x : v) b.putInt((int) (long) x); }
            case I64 -> { for (double x : v) b.putLong((long) x); }
        }
        return new RawTensor(t, a.shape(), b.flip());
    }

    /** A new native tensor holding these elements; the caller owns (closes) it. */
    public Tensor toTensor() {
        requireLittleEndianPlatform();
        Tensor t = Tensor.zeros(dtype, shape);
        MemorySegment.copy(MemorySegment.ofBuffer(data()), 0, t.segment(), 0, t.byteSize());
        return t;
    }

    /** A copy of a native tensor's elements. */
    public static RawTensor of(Tensor t) {
        requireLittleEndianPlatform();
        byte[] b = new byte[Math.toIntExact(t.byteSize())];
        MemorySegment.copy(t.segment(), 0, MemorySegment.ofArray(b), 0, b.length);
        return new RawTensor(t.dtype(), t.shape(), ByteBuffer.wrap(b));
    }

    private static void requireLittleEndianPlatform() {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)
            throw new UnsupportedOperationException("native tensors on a big-endian platform");
    }

    /** Upper 16 bits of the f32, rounded to nearest even (NaN stays NaN). */
    static short bf16Bits(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        bits += 0x7fff + ((bits >>> 16) & 1);
        return (short) (bits >>> 16);
    }

    /** Same dtype, shape and bytes. */
    @Override public boolean equals(Object o) {
        return o instanceof RawTensor r && r.dtype == dtype && Arrays.equals(r.shape, shape) && r.data().equals(data());
    }
    @Override public int hashCode() { return Arrays.hashCode(shape) * 31 + dtype.hashCode(); }
    @Override public String toString() { return dtype + Arrays.toString(shape); }
}
