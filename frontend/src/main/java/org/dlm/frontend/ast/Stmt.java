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
    /** {@code forward(x: ...) -> logits: f32[B, 10] { ... }}; resultName names a model's graph output (may be null). */
    record Forward(Span span, List<ParamSpec> params, String resultName, TypeExpr result, List<Stmt> body) implements Stmt {}
    record Return(Span span, Expr value) implements Stmt {}
    /** {@code assert cond, "message"}: a compile-time check; message may be null. */
    record Assert(Span span, Expr cond, Expr message) implements Stmt {}
    record If(Span span, Expr cond, List<Stmt> then, List<Stmt> otherwise) implements Stmt {}
    record For(Span span, Span varSpan, String var, Expr iterable, List<Stmt> body) implements Stmt {}
}
