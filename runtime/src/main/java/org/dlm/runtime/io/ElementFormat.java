package org.dlm.runtime.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.dlm.ir.DType;

/**
 * How elements are stored in a file: kind ('f' float, 'i' signed, 'u' unsigned, 'b' bool,
 * 'B' bfloat16 bit patterns), byte size and byte order. Decodes to the {@link DType} that holds
 * the values exactly: i16 and u16 widen to i32, u32 widens to i64; u64 has no such dtype.
 */
record ElementFormat(char kind, int size, ByteOrder order) {
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** The format a dtype is written in (little-endian, its own size). */
    static ElementFormat of(DType t) {
        return switch (t) {
            case F16, F32, F64 -> new ElementFormat('f', t.byteSize(), LE);
            case BF16 -> new ElementFormat('B', 2, LE);
            case I8, I32, I64 -> new ElementFormat('i', t.byteSize(), LE);
            case U8 -> new ElementFormat('u', 1, LE);
            case BOOL -> new ElementFormat('b', 1, LE);
        };
    }

    /** The dtype these elements decode to, or null when none holds them exactly. */
    DType target() {
        return switch (kind) {
            case 'f' -> size == 2 ? DType.F16 : size == 4 ? DType.F32 : size == 8 ? DType.F64 : null;
            case 'B' -> size == 2 ? DType.BF16 : null;
            case 'i' -> size == 1 ? DType.I8 : size == 2 || size == 4 ? DType.I32 : size == 8 ? DType.I64 : null;
            case 'u' -> size == 1 ? DType.U8 : size == 2 ? DType.I32 : size == 4 ? DType.I64 : null;
            case 'b' -> size == 1 ? DType.BOOL : null;
            default -> null;
        };
    }

    /** Human name for messages: float32, int16, uint8, bool, bfloat16. */
    String describe() {
        return switch (kind) {
            case 'f' -> "float" + size * 8;
            case 'i' -> "int" + size * 8;
            case 'u' -> "uint" + size * 8;
            case 'b' -> size == 1 ? "bool" : "bool" + size * 8;
            case 'B' -> "bfloat16";
            default -> "'" + kind + "'" + size;
        };
    }

    /**
     * Converts {@code raw} (C order, this format) into a little-endian tensor of {@link #target()}.
     * The caller has checked the byte count.
     */
    RawTensor decode(byte[] raw, long[] shape) {
        DType t = target();
        int n = Math.toIntExact(raw.length / size);
        boolean same = t.byteSize() == size && (size == 1 || order == LE) && kind != 'b';
        if (same) return new RawTensor(t, shape, ByteBuffer.wrap(raw));
        ByteBuffer in = ByteBuffer.wrap(raw).order(order);
        ByteBuffer out = ByteBuffer.allocate(Math.multiplyExact(n, t.byteSize())).order(LE);
        switch (kind) {
            case 'b' -> { for (int i = 0; i < n; i++) out.put(raw[i] != 0 ? (byte) 1 : 0); }
            case 'f' -> {
                switch (size) {
                    case 2 -> { for (int i = 0; i < n; i++) out.putShort(in.getShort(i * 2)); }
                    case 4 -> { for (int i = 0; i < n; i++) out.putFloat(in.getFloat(i * 4)); }
                    default -> { for (int i = 0; i < n; i++) out.putDouble(in.getDouble(i * 8)); }
                }
            }
            case 'B' -> { for (int i = 0; i < n; i++) out.putShort(in.getShort(i * 2)); }
            case 'i' -> {
                switch (size) {
                    case 2 -> { for (int i = 0; i < n; i++) out.putInt(in.getShort(i * 2)); }
                    case 4 -> { for (int i = 0; i < n; i++) out.putInt(in.getInt(i * 4)); }
                    default -> { for (int i = 0; i < n; i++) out.putLong(in.getLong(i * 8)); }
                }
            }
            case 'u' -> {
                switch (size) {
                    case 2 -> { for (int i = 0; i < n; i++) out.putInt(in.getShort(i * 2) & 0xffff); }
                    default -> { for (int i = 0; i < n; i++) out.putLong(in.getInt(i * 4) & 0xffffffffL); }
                }
            }
            default -> throw new IllegalStateException("no decoder for " + this);
        }
        return new RawTensor(t, shape, out.flip());
    }
}
