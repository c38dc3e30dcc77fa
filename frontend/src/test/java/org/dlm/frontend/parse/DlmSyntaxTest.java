package org.dlm.frontend.parse;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.dlm.frontend.ast.Decl;
import org.dlm.frontend.ast.Expr;
import org.dlm.frontend.ast.Import;
import org.dlm.frontend.ast.Source;
import org.dlm.frontend.ast.SourceFile;
import org.dlm.frontend.ast.Stmt;
import org.dlm.frontend.check.Reporter;
import org.junit.jupiter.api.Test;

/** The parser builds the AST with the documented precedence and exact spans. */
class DlmSyntaxTest {
    static SourceFile parse(String text) {
        Reporter r = new Reporter();
        SourceFile f = DlmSyntax.parse(new Source("t.dlm", text), r);
        assertFalse(r.hasErrors(), () -> r.diagnostics().toString());
        return f;
    }

    /** The expression of {@code fn f(...) = <expr>}, printed fully parenthesized. */
    static String expr(String e) {
        Decl.Fn fn = (Decl.Fn) parse("fn f(x, y, z, n) = " + e).decls().get(0);
        return show(fn.exprBody());
    }

    static String show(Expr e) {
        return switch (e) {
            case Expr.IntLit i -> Long.toString(i.value());
            case Expr.FloatLit f -> Double.toString(f.value());
            case Expr.StringLit s -> '"' + s.value() + '"';
            case Expr.BoolLit b -> Boolean.toString(b.value());
            case Expr.NoneLit n -> "none";
            case Expr.Name n -> n.name();
            case Expr.Member m -> show(m.target()) + "." + m.name();
            case Expr.Call c -> show(c.callee()) + "(" + String.join(", ", c.args().stream()
                    .map(a -> (a.name() == null ? "" : a.name() + "=") + show(a.value())).toList()) + ")";
            case Expr.Index i -> show(i.target()) + "[" + String.join(", ", i.items().stream().map(it -> switch (it) {
                case Expr.Point p -> show(p.index());
                case Expr.Slice s -> (s.lo() == null ? "" : show(s.lo())) + ":" + (s.hi() == null ? "" : show(s.hi()))
                        + (s.step() == null ? "" : ":" + show(s.step()));
            }).toList()) + "]";
            case Expr.Unary u -> "(" + u.op() + " " + show(u.operand()) + ")";
            case Expr.Binary b -> "(" + show(b.left()) + " " + b.op() + " " + show(b.right()) + ")";
            case Expr.If i -> "(if " + show(i.cond()) + " then " + show(i.then()) + " else " + show(i.otherwise()) + ")";
            case Expr.ListLit l -> "[" + String.join(", ", l.items().stream().map(DlmSyntaxTest::show).toList()) + "]";
            case Expr.ListComp c -> "[" + show(c.body()) + " for " + c.var() + " in " + show(c.iterable())
                    + (c.cond() == null ? "" : " if " + show(c.cond())) + "]";
            case Expr.Range r -> "(" + show(r.lo()) + ".." + show(r.hi()) + ")";
        };
    }

    @Test
    void precedenceAndAssociativity() {
        assertEquals("(x + (y * z))", expr("x + y * z"));
        assertEquals("((x - y) - z)", expr("x - y - z"));
        assertEquals("(- (x ** 2))", expr("-x ** 2"));
        assertEquals("(x ** (y ** z))", expr("x ** y ** z"));
        assertEquals("(x ** -1)", expr("x ** -1"));
        assertEquals("(- (2 ** 2))", expr("-2 ** 2"));
        assertEquals("((x @ y) + z)", expr("x @ y + z"));
        assertEquals("((x < y) and (not (y == z)))", expr("x < y and not y == z"));
        assertEquals("((x or y) or z)", expr("x or y or z"));
        assertEquals("(0..(n + 1))", expr("0..n + 1"));
        assertEquals("(if (x > 0) then x else (- x))", expr("if x > 0 then x else -x"));
        assertEquals("-9223372036854775808", expr("-9223372036854775808"));
        assertEquals("0.001", expr("1e-3"));
        assertEquals("1000000", expr("1_000_000"));
    }

    @Test
    void postfixCallsIndexingAndLists() {
        assertEquals("prim.conv2d(x, y, stride=[1, 1])", expr("prim.conv2d(x, y, stride = [1, 1])"));
        assertEquals("x[:, 0, 1:n, ::2]", expr("x[:, 0, 1:n, ::2]"));
        assertEquals("f(x)(y)[0].z", expr("f(x)(y)[0].z"));
        assertEquals("[(x * 2) for in in (0..n) if (in != 1)]", expr("[x * 2 for in in 0..n if in != 1]"));
        assertEquals("\"a\\\"b\"", expr("\"a\\\"b\"").replace("\"", "\"").replace("a\"b", "a\\\"b"));
    }

    @Test
    void declarationsStatementsAndSpans() {
        String src = """
                import std.nn.{Linear as Dense, Conv2d}
                import std.ops.*
                // a layer
                fn Linear(in: int, out: int, bias: bool = true) {
                    param weight: f32[out, in] = kaiming_uniform(fan_in = in)
                    buffer count: i64[] = zeros()
                    if bias { param bias: f32[out] = zeros() } else { let bias = none }
                    forward(x: f32[..., in]) -> f32[..., out] { return x }
                }
                model M { fc = Linear(2, 3); forward(x: f32[B, 2]) -> logits: f32[B, 3] { return fc(x) } }
                train M { epochs = 3; schedule = warmup(1) then cosine() }
                """;
        SourceFile f = parse(src);
        assertEquals(List.of(new Import.Item(f.imports().get(0).items().get(0).span(), "Linear", "Dense"),
                new Import.Item(f.imports().get(0).items().get(1).span(), "Conv2d", null)), f.imports().get(0).items());
        assertTrue(f.imports().get(1).star());
        Decl.Fn linear = (Decl.Fn) f.decls().get(0);
        assertTrue(linear.isLayer());
        assertEquals(List.of("in", "out", "bias"), linear.params().stream().map(p -> p.name()).toList());
        Stmt.ParamDecl w = (Stmt.ParamDecl) linear.body().get(0);
        assertEquals(5, w.span().line());
        assertEquals(5, w.span().column());
        assertEquals("weight", src.substring(w.nameSpan().start(), w.nameSpan().end()));
        assertTrue(((Stmt.ParamDecl) linear.body().get(1)).buffer());
        Stmt.Forward fwd = (Stmt.Forward) linear.body().get(3);
        assertNull(fwd.resultName());
        assertNull(fwd.params().get(0).type().dims().get(0), "... is a null dim");
        Decl.Fn m = (Decl.Fn) f.decls().get(1);
        assertTrue(m.isModel());
        assertEquals("logits", ((Stmt.Forward) m.body().get(1)).resultName());
        Decl.Train t = (Decl.Train) f.decls().get(2);
        assertEquals(2, t.settings().get(1).values().size());
    }

    @Test
    void syntaxErrorsAreAllReported() {
        Reporter r = new Reporter();
        SourceFile f = DlmSyntax.parse(new Source("t.dlm", """
                model M {
                    let a = (1 +
                    let b = 2
                }
                fn g(x) = x +* 2
                """), r);
        assertNull(f);
        assertTrue(r.errorCount() >= 2, r.diagnostics().toString());
        assertTrue(r.diagnostics().stream().allMatch(d -> d.line() >= 1 && d.column() >= 1 && d.sourceLine() != null));
        assertTrue(r.diagnostics().stream().anyMatch(d -> d.line() == 5), r.diagnostics().toString());
    }
}
