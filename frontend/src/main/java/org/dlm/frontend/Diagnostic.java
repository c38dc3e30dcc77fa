package org.dlm.frontend;

/**
 * A message for the user about their source: {@code file:line:col: error: message}, the source
 * line, a caret under the span, and a hint where one helps. Lines and columns are 1-based.
 */
public record Diagnostic(Severity severity, String file, int line, int column, int length,
                         String message, String hint, String sourceLine) {
    public enum Severity { ERROR, WARNING, NOTE }

    /** Longer source lines are shown as a window around the column. */
    private static final int MAX_LINE = 160;

    /** Renders in the compiler style described in DESIGN.md. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append(file).append(':').append(line).append(':').append(column).append(": ")
          .append(severity.name().toLowerCase()).append(": ").append(message).append('\n');
        if (sourceLine != null) {
            String num = String.valueOf(line);
            // tabs become one space each so the caret lines up; very long lines show a window around the column
            String text = sourceLine.replace('\t', ' ');
            int caret = Math.max(0, column - 1);
            int carets = Math.max(1, Math.min(length, 80));
            if (text.length() > MAX_LINE) {
                int from = Math.max(0, caret - 40);
                int to = Math.min(text.length(), from + MAX_LINE);
                text = (from > 0 ? "..." : "") + text.substring(from, to) + (to < text.length() ? "..." : "");
                caret = caret - from + (from > 0 ? 3 : 0);
            }
            sb.append(' ').append(num).append(" | ").append(text).append('\n');
            sb.append(' ').append(" ".repeat(num.length())).append(" | ")
              .append(" ".repeat(caret)).append("^".repeat(carets)).append('\n');
        }
        if (hint != null) sb.append("   hint: ").append(hint).append('\n');
        return sb.toString();
    }
}
