package org.dlm.ir.kernel;

import java.util.List;
import org.dlm.ir.DType;

/** A statement of Kernel IR: loops, stores, scalar locals (accumulators), conditionals and microkernel calls. */
public sealed interface Stmt {
    /** {@code for var in [0, extent) step step}; {@code parallel} marks iterations as independent. */
    record Loop(String var, Expr extent, long step, boolean parallel, List<Stmt> body) implements Stmt {
        public Loop {
            if (step < 1) throw new IllegalArgumentException("loop " + var + " has step " + step);
            body = List.copyOf(body);
        }
        public Expr.Var iv() { return new Expr.Var(var, DType.I64); }
    }

    record Store(Buffer buffer, Expr index, Expr value) implements Stmt {}

    /** A scalar local, e.g. a reduction's accumulator; visible to the rest of the enclosing block. */
    record Declare(String name, DType type, Expr init) implements Stmt {
        public Expr.Var var() { return new Expr.Var(name, type); }
    }

    record Assign(String name, Expr value) implements Stmt {}

    record If(Expr cond, List<Stmt> then) implements Stmt {
        public If { then = List.copyOf(then); }
    }

    /**
     * A call of a microkernel the backend provides, e.g. {@code sgemm_nn(m, n, k, A, lda, B, ldb,
     * C, ldc, flags, bias)} (see {@link Microkernels}).
     */
    record Call(String kernel, List<Arg> args) implements Stmt {
        public Call { args = List.copyOf(args); }
    }

    /** An argument of a microkernel call. */
    sealed interface Arg {}
    record ScalarArg(Expr value) implements Arg {}
    /** The address of element {@code offset} of {@code buffer}. */
    record PtrArg(Buffer buffer, Expr offset) implements Arg {}
    record NullArg() implements Arg {}
}
