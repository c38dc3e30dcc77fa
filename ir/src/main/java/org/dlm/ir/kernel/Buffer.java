package org.dlm.ir.kernel;

import org.dlm.ir.DType;

/**
 * A flat, row-major array the kernel reads or writes. Inputs and outputs are addressed by their
 * slot in the entry function's pointer tables; parameters live at a byte offset in the parameter
 * block (filled once at compile time); temporaries at a byte offset in the arena that memory
 * planning laid out by liveness.
 */
public record Buffer(String name, Kind kind, DType dtype, long elements, int slot, long offset) {
    public enum Kind { INPUT, OUTPUT, PARAM, TEMP }

    public Buffer {
        if (elements < 0) throw new IllegalArgumentException("buffer " + name + " has negative size " + elements);
    }

    public long byteSize() { return elements * dtype.byteSize(); }

    /** The same buffer placed at {@code offset} (memory planning). */
    public Buffer at(long offset) { return new Buffer(name, kind, dtype, elements, slot, offset); }

    public String text() {
        String where = switch (kind) {
            case INPUT, OUTPUT -> " " + slot;
            case PARAM, TEMP -> " @" + offset;
        };
        return "%" + name + ": " + kind.name().toLowerCase() + where + " " + dtype.text() + "[" + elements + "]";
    }
}
