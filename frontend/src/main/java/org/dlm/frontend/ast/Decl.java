package org.dlm.frontend.ast;

import java.util.List;

/** Top-level declarations of a file. */
public sealed interface Decl {
    Span span();
    String name();

    /**
     * A {@code model} or {@code fn}. A body containing {@code forward}, {@code param} or
     * {@code buffer} makes it a layer (calling it builds an instance); otherwise it is a plain
     * function that returns a value. {@code exprBody} is set for {@code fn f(x) = expr}.
     */
    record Fn(Span span, Span nameSpan, String name, boolean isModel, List<ParamSpec> params, TypeExpr result,
              Expr exprBody, List<Stmt> body) implements Decl {
        public boolean isLayer() {
            return isModel || (body != null && body.stream().anyMatch(Fn::declaresLayer));
        }

        private static boolean declaresLayer(Stmt s) {
            return switch (s) {
                case Stmt.Forward f -> true;
                case Stmt.ParamDecl p -> true;
                case Stmt.If i -> i.then().stream().anyMatch(Fn::declaresLayer) || i.otherwise().stream().anyMatch(Fn::declaresLayer);
                default -> false;
            };
        }
    }

    /** {@code train Model { setting = value ... }}; a setting may chain values with {@code then}. */
    record Train(Span span, Span nameSpan, String name, List<Setting> settings) implements Decl {}

    record Setting(Span span, Span nameSpan, String name, List<Expr> values) {}
}
