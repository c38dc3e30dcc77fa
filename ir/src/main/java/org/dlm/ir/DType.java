package org.dlm.ir;

/** Element types of tensors. Names are the ones the textual IR and the .dlm language use. */
public enum DType {
    F32("f32", 4, true), F64("f64", 8, true), F16("f16", 2, true), BF16("bf16", 2, true),
    I8("i8", 1, false), U8("u8", 1, false), I32("i32", 4, false), I64("i64", 8, false), BOOL("bool", 1, false);

    private final String text;
    private final int byteSize;
    private final boolean floating;

    DType(String text, int byteSize, boolean floating) {
        this.text = text;
        this.byteSize = byteSize;
        this.floating = floating;
    }

    public String text() { return text; }
    public int byteSize() { return byteSize; }
    public boolean isFloating() { return floating; }
    public boolean isInteger() { return !floating && this != BOOL; }

    /** The dtype named {@code text} ("f32", "i64", ...), or null when there is none. */
    public static DType fromText(String text) {
        for (DType d : values()) if (d.text.equals(text)) return d;
        return null;
    }

    @Override public String toString() { return text; }
}
