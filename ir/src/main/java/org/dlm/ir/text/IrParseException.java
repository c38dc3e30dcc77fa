package org.dlm.ir.text;

/**
 * Bad IR text: {@code source:line:col: message}. Lines and columns are 1-based. Never wraps an
 * internal exception; the message alone says what is wrong.
 */
public final class IrParseException extends RuntimeException {
    private final String source;
    private final int line, column;
    private final String detail;

    public IrParseException(String source, int line, int column, String detail) {
        super(source + ":" + line + ":" + column + ": " + detail, null, false, false);
        this.source = source;
        this.line = line;
        this.column = column;
        this.detail = detail;
    }

    public String source() { return source; }
    public int line() { return line; }
    public int column() { return column; }
    /** The message without the position prefix. */
    public String detail() { return detail; }
}
