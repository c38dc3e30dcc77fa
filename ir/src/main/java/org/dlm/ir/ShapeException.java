package org.dlm.ir;

/**
 * A shape or type rule refused its operands. The message is one sentence for a user
 * ("matmul needs inner dimensions to agree, got f32[B, 400] and f32[120, 84]"); the hint, when
 * present, says how to fix it. Frontends attach the source position.
 */
public class ShapeException extends RuntimeException {
    private final String hint;

    public ShapeException(String message) { this(message, null); }

    public ShapeException(String message, String hint) {
        super(message, null, false, false);
        this.hint = hint;
    }

    /** A suggestion for the user, or null. */
    public String hint() { return hint; }
}
