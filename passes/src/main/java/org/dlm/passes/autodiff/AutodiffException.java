package org.dlm.passes.autodiff;

/**
 * The graph cannot be differentiated as asked: unknown or non-scalar loss, unknown frozen
 * parameter names, or ops without a gradient rule between the loss and trainable parameters.
 * The message is one sentence for a user; the hint says how to fix it.
 */
public class AutodiffException extends RuntimeException {
    private final String hint;

    public AutodiffException(String message, String hint) {
        super(message, null, false, false);
        this.hint = hint;
    }

    /** A suggestion for the user, or null. */
    public String hint() { return hint; }
}
