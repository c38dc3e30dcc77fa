package org.dlm.frontend.ast;

import java.util.Arrays;

/** The text of one source file and its name as shown in diagnostics. */
public final class Source {
    private final String name;
    private final String text;
    private final int[] lineStarts;

    public Source(String name, String text) {
        this.name = name;
        this.text = text;
        int[] starts = new int[16];
        int n = 0;
        starts[n++] = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                if (n == starts.length) starts = Arrays.copyOf(starts, n * 2);
                starts[n++] = i + 1;
            }
        }
        this.lineStarts = Arrays.copyOf(starts, n);
    }

    public String name() { return name; }
    public String text() { return text; }
    public int lineCount() { return lineStarts.length; }

    /** Line {@code line} (1-based) without its line terminator, or "" when out of range. */
    public String line(int line) {
        if (line < 1 || line > lineStarts.length) return "";
        int s = lineStarts[line - 1];
        int e = line < lineStarts.length ? lineStarts[line] - 1 : text.length();
        if (e > s && text.charAt(e - 1) == '\r') e--;
        return text.substring(s, Math.max(s, e));
    }

    /** 1-based line of a character offset. */
    public int lineOf(int offset) {
        int i = Arrays.binarySearch(lineStarts, offset);
        return i >= 0 ? i + 1 : -i - 1;
    }

    /** 1-based column of a character offset. */
    public int columnOf(int offset) { return offset - lineStarts[lineOf(offset) - 1] + 1; }

    /** A span from offsets. */
    public Span span(int start, int end) {
        int s = Math.max(0, Math.min(start, text.length()));
        return new Span(this, s, Math.max(s, Math.min(end, text.length())), lineOf(s), columnOf(s));
    }

    @Override public String toString() { return name; }
}
