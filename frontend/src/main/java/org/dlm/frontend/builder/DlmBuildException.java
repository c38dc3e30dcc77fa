package org.dlm.frontend.builder;

/**
 * A model built with {@link GraphBuilder} is wrong: a shape or type error, an unknown op or
 * attribute, a duplicate name. The message starts with the user's own call site
 * ({@code Mlp.java:42: linear expects ...}) and the {@link #hint()}, when there is one, follows on
 * a second line.
 */
public final class DlmBuildException extends RuntimeException {
    private final String file;
    private final int line;
    private final String problem;
    private final String hint;

    DlmBuildException(String file, int line, String problem, String hint) {
        super((file == null ? "" : file + ":" + line + ": ") + problem + (hint == null ? "" : "\n  hint: " + hint), null, false, true);
        this.file = file;
        this.line = line;
        this.problem = problem;
        this.hint = hint;
    }

    /** Source file of the call that failed ({@code Mlp.java}), or null when unknown. */
    public String file() { return file; }
    public int line() { return line; }
    /** The message without location and hint. */
    public String problem() { return problem; }
    /** A suggestion for fixing it, or null. */
    public String hint() { return hint; }
}
