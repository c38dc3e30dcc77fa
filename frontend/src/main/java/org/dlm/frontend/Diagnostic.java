package org.dlm.frontend;

/**
 * A message for the user about their source: {@code file:line:col: error: message}, the source
 * line, a caret under the span, and a hint where one helps. Lines and columns are 1-based.
 */
public record Diagnostic(Severity severity, String file, int line, int column, int length,
                         String message, String hint, String sourceLine) {
    public enum Severity { ERROR, WARNING, NOTE }

    /** Renders in the compiler style described in DESIGN.md. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append(file).append(':').append(line).append(':').append(column).append(": ")
          .append(severity.name().toLowerCase()).append(": ").append(message).append('\n');
        if (sourceLine != null) {
            String num = String.valueOf(line);
            sb.append(' ').append(num).append(" | ").append(sourceLine).append('\n');
            sb.append(' ').append(" ".repeat(num.length())).append(" | ")
              .append(" ".repeat(Math.max(0, column - 1))).append("^".repeat(Math.max(1, length))).append('\n');
        }
        if (hint != null) sb.append("   hint: ").append(hint).append('\n');
        return sb.toString();
    }
}
