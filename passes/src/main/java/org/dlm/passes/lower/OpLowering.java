package org.dlm.passes.lower;

import org.dlm.ir.Node;
import org.dlm.ir.kernel.Expr;

/** How one op becomes Kernel IR. Entries live in {@link LoweringTable}, keyed by op name. */
public sealed interface OpLowering {
    /**
     * An op whose element at an output index is an expression of its operands' elements
     * (elementwise math, broadcasting, index remapping such as transpose or pad). Such ops fuse:
     * a single-use producer is inlined into its consumer's loop instead of being stored.
     * {@code pointwise} ops read operands of their own shape at the same index, so a chain of them
     * runs as one flat loop.
     */
    record Elementwise(boolean pointwise, ExprRule rule) implements OpLowering {}

    /** An op whose result is written by statements (loops with accumulators, microkernel calls). */
    record Statements(StmtRule rule) implements OpLowering {}

    /** An op whose result shares its operand's storage (reshape and friends). */
    record View() implements OpLowering {}

    @FunctionalInterface interface ExprRule {
        /** The value of {@code n} at {@code idx}; operands are read through {@link Lowerer#read}. */
        Expr value(Node n, Index idx, Lowerer cx);
    }

    @FunctionalInterface interface StmtRule {
        /** Emits statements that write {@code n}'s result into {@code cx.storage(n)}. */
        void emit(Node n, Lowerer cx);
    }
}
