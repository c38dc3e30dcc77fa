package org.dlm.frontend.parse;

import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.dlm.frontend.ast.Decl;
import org.dlm.frontend.ast.Expr;
import org.dlm.frontend.ast.Import;
import org.dlm.frontend.ast.ParamSpec;
import org.dlm.frontend.ast.Source;
import org.dlm.frontend.ast.SourceFile;
import org.dlm.frontend.ast.Span;
import org.dlm.frontend.ast.Stmt;
import org.dlm.frontend.ast.TypeExpr;
import org.dlm.frontend.check.Reporter;
import org.dlm.grammar.DlmBaseVisitor;
import org.dlm.grammar.DlmParser;
import org.dlm.grammar.DlmParser.*;

/** Builds the immutable AST from an error-free parse tree; expressions through the ANTLR visitor. */
final class AstBuilder extends DlmBaseVisitor<Expr> {
    private final Source source;
    private final Reporter reporter;

    /** Deeper expressions (e.g. a chain of 10,000 '+') are refused: they only slow every later phase down. */
    static final int MAX_EXPR_DEPTH = 1000;

    private int depth;
    private boolean tooDeep;

    AstBuilder(Source source, Reporter reporter) {
        this.source = source;
        this.reporter = reporter;
    }

    @Override public Expr visit(org.antlr.v4.runtime.tree.ParseTree tree) {
        if (tooDeep) return new Expr.NoneLit(source.span(0, 0));
        if (++depth > MAX_EXPR_DEPTH) {
            tooDeep = true;
            Span s = tree instanceof ParserRuleContext c ? span(c) : source.span(0, 0);
            reporter.error(source.span(s.start(), s.start() + 1), "expression nested more than " + MAX_EXPR_DEPTH + " levels deep",
                    "split it with let bindings");
            depth--;
            return new Expr.NoneLit(s);
        }
        try {
            return super.visit(tree);
        } finally {
            depth--;
        }
    }

    private Span span(ParserRuleContext c) {
        Token a = c.getStart(), b = c.getStop();
        int start = a.getStartIndex();
        int end = b == null || b.getType() == Token.EOF ? start : Math.max(b.getStopIndex() + 1, start);
        return source.span(start, end);
    }

    private Span span(Token t) { return source.span(t.getStartIndex(), t.getStopIndex() + 1); }

    SourceFile file(FileContext c) {
        List<Import> imports = new ArrayList<>();
        List<Decl> decls = new ArrayList<>();
        for (var child : c.children) {
            if (child instanceof ImportDeclContext i) imports.add(importDecl(i));
            else if (child instanceof DeclContext d) decls.add(decl(d));
        }
        return new SourceFile(source, List.copyOf(imports), List.copyOf(decls));
    }

    private Import importDecl(ImportDeclContext c) {
        String module = String.join(".", c.modulePath().ident().stream().map(i -> i.getText()).toList());
        List<Import.Item> items = new ArrayList<>();
        for (ImportItemContext it : c.importItem())
            items.add(new Import.Item(span(it), it.ident(0).getText(), it.ident().size() > 1 ? it.ident(1).getText() : null));
        return new Import(span(c), module, List.copyOf(items), c.STAR() != null);
    }

    private Decl decl(DeclContext c) {
        if (c.modelDecl() != null) {
            ModelDeclContext m = c.modelDecl();
            List<ParamSpec> params = m.paramList() == null ? List.of() : params(m.paramList());
            return new Decl.Fn(span(m), span(m.ident()), m.ident().getText(), true, params, null, null, stmts(m.stmt()));
        }
        if (c.fnDecl() != null) {
            FnDeclContext f = c.fnDecl();
            TypeExpr result = f.typeExpr() == null ? null : type(f.typeExpr());
            Expr body = f.expr() == null ? null : visit(f.expr());
            return new Decl.Fn(span(f), span(f.ident()), f.ident().getText(), false, params(f.paramList()), result, body,
                    f.expr() == null ? stmts(f.stmt()) : null);
        }
        TrainDeclContext t = c.trainDecl();
        List<Decl.Setting> settings = new ArrayList<>();
        for (SettingContext s : t.setting())
            settings.add(new Decl.Setting(span(s), span(s.ident()), s.ident().getText(), s.expr().stream().map(this::visit).toList()));
        return new Decl.Train(span(t), span(t.ident()), t.ident().getText(), List.copyOf(settings));
    }

    private List<ParamSpec> params(ParamListContext c) {
        List<ParamSpec> out = new ArrayList<>();
        for (ParamSpecContext p : c.paramSpec())
            out.add(new ParamSpec(span(p), p.ident().getText(), p.typeExpr() == null ? null : type(p.typeExpr()),
                    p.expr() == null ? null : visit(p.expr())));
        return List.copyOf(out);
    }

    private TypeExpr type(TypeExprContext c) {
        if (c.LBRACK() == null) return new TypeExpr(span(c), c.ident().getText(), null);
        List<Expr> dims = new ArrayList<>();
        for (DimExprContext d : c.dimExpr()) dims.add(d.ELLIPSIS() != null ? null : visit(d.expr()));
        return new TypeExpr(span(c), c.ident().getText(), java.util.Collections.unmodifiableList(dims));
    }

    private List<Stmt> stmts(List<StmtContext> cs) {
        List<Stmt> out = new ArrayList<>();
        for (StmtContext s : cs) {
            Stmt st = stmt(s);
            if (st != null) out.add(st);
        }
        return List.copyOf(out);
    }

    private List<Stmt> block(BlockContext b) { return stmts(b.stmt()); }

    private List<Stmt.Result> results(ResultListContext r) {
        if (r == null) return List.of();
        if (r.typeExpr() != null)
            return List.of(new Stmt.Result(span(r), r.ident() == null ? null : r.ident().getText(), type(r.typeExpr())));
        return r.resultSpec().stream().map(s -> new Stmt.Result(span(s), s.ident().getText(), type(s.typeExpr()))).toList();
    }

    private Stmt stmt(StmtContext c) {
        return switch (c) {
            case LetStmtContext l -> new Stmt.Let(span(l), span(l.ident()), l.ident().getText(),
                    l.typeExpr() == null ? null : type(l.typeExpr()), visit(l.expr()));
            case ParamStmtContext p -> new Stmt.ParamDecl(span(p), span(p.ident()), p.kind.getType() == DlmParser.BUFFER,
                    p.ident().getText(), type(p.typeExpr()), p.expr() == null ? null : visit(p.expr()));
            case ForwardStmtContext f -> new Stmt.Forward(span(f), params(f.paramList()), results(f.resultList()), block(f.block()));
            case ReturnStmtContext r -> new Stmt.Return(span(r), r.expr().stream().map(this::visit).toList());
            case AssertStmtContext a -> new Stmt.Assert(span(a), visit(a.expr(0)), a.expr().size() > 1 ? visit(a.expr(1)) : null);
            case IfStmtContext i -> ifStmt(span(i), i.expr(), i.block(), i.ifTail());
            case ForStmtContext f -> new Stmt.For(span(f), span(f.ident()), f.ident().getText(), visit(f.expr()), block(f.block()));
            case AssignStmtContext a -> new Stmt.Assign(span(a), span(a.ident()), a.ident().getText(), visit(a.expr()));
            default -> null;
        };
    }

    private Stmt.If ifStmt(Span span, ExprContext cond, List<BlockContext> blocks, IfTailContext tail) {
        List<Stmt> otherwise = List.of();
        if (tail != null) otherwise = List.of(ifStmt(span(tail), tail.expr(), tail.block(), tail.ifTail()));
        else if (blocks.size() > 1) otherwise = block(blocks.get(1));
        return new Stmt.If(span, visit(cond), block(blocks.get(0)), otherwise);
    }

    // --- expressions ---

    @Override public Expr visitPrimaryExpr(PrimaryExprContext c) { return visit(c.primary()); }

    @Override public Expr visitMemberExpr(MemberExprContext c) {
        return new Expr.Member(span(c), visit(c.expr()), c.ident().getText());
    }

    @Override public Expr visitCallExpr(CallExprContext c) {
        List<Expr.Arg> args = new ArrayList<>();
        for (ArgContext a : c.arg())
            args.add(new Expr.Arg(span(a), a.ident() == null ? null : a.ident().getText(), visit(a.expr())));
        return new Expr.Call(span(c), visit(c.expr()), List.copyOf(args));
    }

    @Override public Expr visitIndexExpr(IndexExprContext c) {
        List<Expr.IndexItem> items = new ArrayList<>();
        for (IndexContext i : c.index()) {
            if (i instanceof PointIndexContext p) items.add(new Expr.Point(span(p), visit(p.expr())));
            else if (i instanceof SliceIndexContext s)
                items.add(new Expr.Slice(span(s), s.lo == null ? null : visit(s.lo), s.hi == null ? null : visit(s.hi),
                        s.step == null ? null : visit(s.step)));
        }
        return new Expr.Index(span(c), visit(c.expr()), List.copyOf(items));
    }

    @Override public Expr visitPowExpr(PowExprContext c) { return binary(c, "**", c.expr(0), c.expr(1)); }
    @Override public Expr visitMulExpr(MulExprContext c) { return binary(c, c.op.getText(), c.expr(0), c.expr(1)); }
    @Override public Expr visitAddExpr(AddExprContext c) { return binary(c, c.op.getText(), c.expr(0), c.expr(1)); }
    @Override public Expr visitCmpExpr(CmpExprContext c) { return binary(c, c.op.getText(), c.expr(0), c.expr(1)); }
    @Override public Expr visitAndExpr(AndExprContext c) { return binary(c, "and", c.expr(0), c.expr(1)); }
    @Override public Expr visitOrExpr(OrExprContext c) { return binary(c, "or", c.expr(0), c.expr(1)); }

    private Expr binary(ParserRuleContext c, String op, ExprContext l, ExprContext r) {
        return new Expr.Binary(span(c), op, visit(l), visit(r));
    }

    @Override public Expr visitRangeExpr(RangeExprContext c) { return new Expr.Range(span(c), visit(c.expr(0)), visit(c.expr(1))); }

    @Override public Expr visitUnaryExpr(UnaryExprContext c) {
        // fold "-<int>" so that the most negative integer can be written
        if (c.op.getType() == DlmParser.MINUS && c.expr() instanceof PrimaryExprContext p && p.primary() instanceof IntLitContext i) {
            Long v = parseInt(i.INT().getText(), true, span(c));
            return new Expr.IntLit(span(c), v == null ? 0 : v);
        }
        return new Expr.Unary(span(c), c.op.getText(), visit(c.expr()));
    }

    @Override public Expr visitNotExpr(NotExprContext c) { return new Expr.Unary(span(c), "not", visit(c.expr())); }

    @Override public Expr visitIfExpr(IfExprContext c) {
        return new Expr.If(span(c), visit(c.expr(0)), visit(c.expr(1)), visit(c.expr(2)));
    }

    @Override public Expr visitIntLit(IntLitContext c) {
        Long v = parseInt(c.INT().getText(), false, span(c));
        return new Expr.IntLit(span(c), v == null ? 0 : v);
    }

    private Long parseInt(String text, boolean negative, Span span) {
        String digits = text.replace("_", "");
        try {
            return Long.parseLong(negative ? "-" + digits : digits);
        } catch (NumberFormatException e) {
            reporter.error(span, "integer literal " + SyntaxErrorListener.shorten(text) + " is too large",
                    "integers must lie between -2^63 and 2^63-1");
            return null;
        }
    }

    @Override public Expr visitFloatLit(FloatLitContext c) {
        double v = Double.parseDouble(c.FLOAT().getText().replace("_", ""));
        if (Double.isInfinite(v)) {
            reporter.error(span(c), "number " + SyntaxErrorListener.shorten(c.getText()) + " is too large", "the largest number is about 1.8e308");
            v = 0;
        }
        return new Expr.FloatLit(span(c), v);
    }

    @Override public Expr visitStringLit(StringLitContext c) {
        String t = c.STRING().getText();
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i < t.length() - 1; i++) {
            char ch = t.charAt(i);
            if (ch != '\\') { sb.append(ch); continue; }
            char e = t.charAt(++i);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                default -> reporter.error(source.span(c.getStart().getStartIndex() + i - 1, c.getStart().getStartIndex() + i + 1),
                        "unknown escape '\\" + e + "' in string", "known escapes: \\n \\t \\\" \\\\");
            }
        }
        return new Expr.StringLit(span(c), sb.toString());
    }

    @Override public Expr visitTrueLit(TrueLitContext c) { return new Expr.BoolLit(span(c), true); }
    @Override public Expr visitFalseLit(FalseLitContext c) { return new Expr.BoolLit(span(c), false); }
    @Override public Expr visitNoneLit(NoneLitContext c) { return new Expr.NoneLit(span(c)); }
    @Override public Expr visitNameRef(NameRefContext c) { return new Expr.Name(span(c), c.getText()); }
    @Override public Expr visitParenExpr(ParenExprContext c) { return visit(c.expr()); }

    @Override public Expr visitListLit(ListLitContext c) {
        return new Expr.ListLit(span(c), c.expr().stream().map(this::visit).toList());
    }

    @Override public Expr visitListComp(ListCompContext c) {
        return new Expr.ListComp(span(c), visit(c.expr(0)), c.ident().getText(), visit(c.expr(1)),
                c.expr().size() > 2 ? visit(c.expr(2)) : null);
    }
}
