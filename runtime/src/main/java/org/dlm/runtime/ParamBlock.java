package org.dlm.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dlm.ir.interp.NdArray;
import org.dlm.ir.kernel.Buffer;

/**
 * The parameter block every backend keeps: parameter values laid out at their Kernel IR buffers'
 * offsets, in the buffers' dtypes (bool as one byte).
 *
 * <pre>{@code
 * for (Buffer b : module.buffers(Buffer.Kind.PARAM)) ParamBlock.fill(block, b, values.get(b.name()));
 * }</pre>
 */
public final class ParamBlock {
    private ParamBlock() {}

    /** Writes {@code data} into {@code block} at {@code b}'s offset, converted to {@code b}'s dtype. */
    public static void fill(MemorySegment block, Buffer b, NdArray data) {
        double[] d = data.data();
        long off = b.offset();
        switch (b.dtype()) {
            case F32 -> { for (int i = 0; i < d.length; i++) block.set(ValueLayout.JAVA_FLOAT, off + 4L * i, (float) d[i]); }
            case F64 -> { for (int i = 0; i < d.length; i++) block.set(ValueLayout.JAVA_DOUBLE, off + 8L * i, d[i]); }
            case I32 -> { for (int i = 0; i < d.length; i++) block.set(ValueLayout.JAVA_INT, off + 4L * i, (int) d[i]); }
            case I64 -> { for (int i = 0; i < d.length; i++) block.set(ValueLayout.JAVA_LONG, off + 8L * i, (long) d[i]); }
            case I8, U8 -> { for (int i = 0; i < d.length; i++) block.set(ValueLayout.JAVA_BYTE, off + i, (byte) d[i]); }
            case BOOL -> { for (int i = 0; i < d.length; i++) block.set(ValueLayout.JAVA_BYTE, off + i, (byte) (d[i] != 0 ? 1 : 0)); }
            default -> throw new IllegalArgumentException("parameter %" + b.name() + " has unsupported dtype " + b.dtype().text());
        }
    }

    /** Parameter values given as {@link NdArray} or {@link Tensor} (copied), by name, as NdArrays. */
    public static Map<String, NdArray> values(Map<String, ?> params) {
        Map<String, NdArray> values = new LinkedHashMap<>();
        for (var e : params.entrySet()) {
            Object v = e.getValue();
            if (v instanceof NdArray a) values.put(e.getKey(), a);
            else if (v instanceof Tensor t) values.put(e.getKey(), t.toNdArray());
            else throw new IllegalArgumentException("parameter '" + e.getKey() + "' must be an NdArray or a Tensor, got " + (v == null ? "null" : v.getClass().getSimpleName()));
        }
        return values;
    }
}
