package org.dlm.frontend.ast;

import java.util.List;

/** Statements of model, layer, function and forward bodies. */
public sealed interface Stmt {
    Span span();

    record Let(Span span, Span nameSpan, String name, TypeExpr type, Expr value) implements Stmt {}
    /** {@code param}/{@code buffer} (buffer = not trainable); init may be null (zeros). */
    record ParamDecl(Span span, Span nameSpan, boolean buffer, String name, TypeExpr type, Expr init) implements Stmt {}
    /** {@code name = value}: a field in a layer body, a re-assignment elsewhere. */
    record Assign(Span span, Span nameSpan, String name, Expr value) implements Stmt {}
    /**
     * {@code forward(x: ...) -> logits: f32[B, 10] { ... }} or, with several results (a model's graph
     * outputs), {@code -> (logits: f32[B, 10], probs: f32[B, 10])}. Results are empty when none is declared.
     */
    record Forward(Span span, List<ParamSpec> params, List<Result> results, List<Stmt> body) implements Stmt {
        /** The name of the single result (a model's graph output), or null. */
        public String resultName() { return results.size() == 1 ? results.getFirst().name() : null; }
        /** The type of the single result, or null. */
        public TypeExpr result() { return results.size() == 1 ? results.getFirst().type() : null; }
        public boolean severalResults() { return results.size() > 1; }
    }
    /** A declared result: {@code logits: f32[B, 10]}; name is null for an unnamed single result. */
    record Result(Span span, String name, TypeExpr type) {}
    /** {@code return e}, or {@code return (a, b)} in a forward with several results. */
    record Return(Span span, List<Expr> values) implements Stmt {
        public Expr value() { return values.getFirst(); }
        public boolean several() { return values.size() > 1; }
    }
    /** {@code assert cond, "message"}: a compile-time check; message may be null. */
    record Assert(Span span, Expr cond, Expr message) implements Stmt {}
    record If(Span span, Expr cond, List<Stmt> then, List<Stmt> otherwise) implements Stmt {}
    record For(Span span, Span varSpan, String var, Expr iterable, List<Stmt> body) implements Stmt {}
}
