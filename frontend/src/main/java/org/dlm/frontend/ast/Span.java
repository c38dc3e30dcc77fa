package org.dlm.frontend.ast;

/**
 * A region of a source file: character offsets {@code [start, end)} and the 1-based line and
 * column of {@code start}. Diagnostics put their caret under it.
 */
public record Span(Source source, int start, int end, int line, int column) {
    public Span {
        if (end < start) end = start;
    }

    /** The smallest span covering both. */
    public Span to(Span other) {
        if (other == null) return this;
        return other.start < start ? new Span(source, other.start, Math.max(end, other.end), other.line, other.column)
                : new Span(source, start, Math.max(end, other.end), line, column);
    }

    public int length() { return end - start; }
}
