package org.dlm.ir.kernel;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.DType;

/**
 * Parses the text form {@link KernelPrinter} writes back into an equal {@link KernelModule}, so
 * Kernel IR can be written by hand in tests and dumps can be reloaded.
 *
 * <pre>{@code
 * KernelModule m = KernelParser.parse(KernelPrinter.print(module));   // equals module
 * }</pre>
 */
public final class KernelParser {
    private final String s;
    private int pos;
    private final Map<String, Buffer> buffers = new HashMap<>();
    private final Map<String, DType> vars = new HashMap<>();

    private KernelParser(String text) { this.s = text; }

    /** Throws {@link IllegalArgumentException} with the line and column of the first error. */
    public static KernelModule parse(String text) {
        return new KernelParser(text).module();
    }

    private KernelModule module() {
        word("kernel");
        String name = ident();
        word("arena=");
        long arena = number();
        word("params=");
        long params = number();
        expect('{');
        List<Buffer> bs = new ArrayList<>();
        while (peekWord("buffer")) {
            word("buffer");
            Buffer b = buffer();
            buffers.put(b.name(), b);
            bs.add(b);
        }
        List<Stmt> body = block();
        while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++;
        if (pos != s.length()) throw error("text after the end of the kernel");
        return new KernelModule(name, bs, body, arena, params);
    }

    private Buffer buffer() {
        String name = var();
        expect(':');
        Buffer.Kind kind = Buffer.Kind.valueOf(ident().toUpperCase());
        int slot = 0;
        long offset = 0;
        skip();
        if (s.charAt(pos) == '@') {
            pos++;
            offset = number();
        } else {
            slot = (int) number();
        }
        DType t = DType.fromText(ident());
        expect('[');
        long n = number();
        expect(']');
        return new Buffer(name, kind, t, n, slot, offset);
    }

    /** Statements up to and including the closing brace. */
    private List<Stmt> block() {
        List<Stmt> out = new ArrayList<>();
        while (true) {
            skip();
            if (s.charAt(pos) == '}') {
                pos++;
                return out;
            }
            out.add(stmt());
        }
    }

    private Stmt stmt() {
        if (peekWord("for")) {
            word("for");
            String v = var();
            word("in");
            expect('[');
            word("0");
            expect(',');
            Expr extent = expr();
            expect(')');
            word("step");
            long step = number();
            boolean parallel = peekWord("parallel");
            if (parallel) word("parallel");
            expect('{');
            DType saved = vars.put(v, DType.I64);
            List<Stmt> body = block();
            restore(v, saved);
            return new Stmt.Loop(v, extent, step, parallel, body);
        }
        if (peekWord("store")) {
            word("store");
            Buffer b = bufferRef();
            expect('[');
            Expr index = expr();
            expect(']');
            expect('=');
            return new Stmt.Store(b, index, expr());
        }
        if (peekWord("if")) {
            word("if");
            Expr c = expr();
            expect('{');
            Map<String, DType> saved = new HashMap<>(vars);
            List<Stmt> then = block();
            vars.clear();
            vars.putAll(saved);
            return new Stmt.If(c, then);
        }
        if (peekWord("call")) {
            word("call");
            String k = ident();
            expect('(');
            List<Stmt.Arg> args = new ArrayList<>();
            skip();
            if (s.charAt(pos) != ')') {
                do args.add(arg()); while (accept(','));
            }
            expect(')');
            return new Stmt.Call(k, args);
        }
        String name = var();
        if (accept(':')) {
            DType t = DType.fromText(ident());
            expect('=');
            Expr init = expr();
            vars.put(name, t);
            return new Stmt.Declare(name, t, init);
        }
        expect('=');
        return new Stmt.Assign(name, expr());
    }

    private void restore(String v, DType saved) {
        if (saved == null) vars.remove(v); else vars.put(v, saved);
    }

    private Stmt.Arg arg() {
        skip();
        if (accept('&')) {
            Buffer b = bufferRef();
            expect('[');
            Expr off = expr();
            expect(']');
            return new Stmt.PtrArg(b, off);
        }
        if (peekWord("null")) {
            word("null");
            return new Stmt.NullArg();
        }
        return new Stmt.ScalarArg(expr());
    }

    private Expr expr() {
        skip();
        char c = s.charAt(pos);
        if (c == '%') {
            String v = var();
            DType t = vars.get(v);
            if (t == null) throw error("unknown variable %" + v);
            return new Expr.Var(v, t);
        }
        if (c == '-' || Character.isDigit(c) || s.startsWith("Infinity", pos) || s.startsWith("NaN", pos)) {
            int start = pos;
            while (pos < s.length() && "0123456789.-+EInfinityaN".indexOf(s.charAt(pos)) >= 0) pos++;
            String num = s.substring(start, pos);
            if (accept(':')) return new Expr.Const(DType.fromText(ident()), Double.parseDouble(num));
            return new Expr.Const(DType.I64, Long.parseLong(num));
        }
        String op = ident();
        switch (op) {
            case "load" -> {
                Buffer b = bufferRef();
                expect('[');
                Expr i = expr();
                expect(']');
                return new Expr.Load(b, i);
            }
            case "select" -> {
                expect('(');
                Expr a = expr();
                expect(',');
                Expr x = expr();
                expect(',');
                Expr y = expr();
                expect(')');
                return new Expr.Select(a, x, y);
            }
            case "cast" -> {
                expect('<');
                DType t = DType.fromText(ident());
                expect('>');
                expect('(');
                Expr a = expr();
                expect(')');
                return new Expr.Cast(t, a);
            }
            default -> {
                expect('(');
                Expr a = expr();
                if (accept(',')) {
                    Expr b = expr();
                    expect(')');
                    return new Expr.Binary(enumOf(Expr.BinOp.class, op), a, b);
                }
                expect(')');
                return new Expr.Unary(enumOf(Expr.UnOp.class, op), a);
            }
        }
    }

    private <E extends Enum<E>> E enumOf(Class<E> type, String name) {
        try {
            return Enum.valueOf(type, name.toUpperCase());
        } catch (IllegalArgumentException e) {
            throw error("unknown operation " + name);
        }
    }

    private Buffer bufferRef() {
        String name = var();
        Buffer b = buffers.get(name);
        if (b == null) throw error("undeclared buffer %" + name);
        return b;
    }

    // ---- lexing

    private void skip() {
        while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++;
        if (pos >= s.length()) throw error("unexpected end of text");
    }

    private boolean accept(char c) {
        skip();
        if (s.charAt(pos) != c) return false;
        pos++;
        return true;
    }

    private void expect(char c) {
        if (!accept(c)) throw error("expected '" + c + "'");
    }

    private boolean peekWord(String w) {
        int save = pos;
        while (save < s.length() && Character.isWhitespace(s.charAt(save))) save++;
        return s.startsWith(w, save) && (save + w.length() >= s.length() || !Character.isLetterOrDigit(s.charAt(save + w.length())) || w.endsWith("="));
    }

    private void word(String w) {
        skip();
        if (!s.startsWith(w, pos)) throw error("expected '" + w + "'");
        pos += w.length();
    }

    private String ident() {
        skip();
        int start = pos;
        while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')) pos++;
        if (start == pos) throw error("expected a name");
        return s.substring(start, pos);
    }

    private String var() {
        expect('%');
        int start = pos;
        while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')) pos++;
        if (start == pos) throw error("expected a name after %");
        return s.substring(start, pos);
    }

    private long number() {
        skip();
        int start = pos;
        if (s.charAt(pos) == '-') pos++;
        while (pos < s.length() && Character.isDigit(s.charAt(pos))) pos++;
        if (start == pos) throw error("expected a number");
        return Long.parseLong(s.substring(start, pos));
    }

    private IllegalArgumentException error(String message) {
        int line = 1, col = 1;
        for (int i = 0; i < Math.min(pos, s.length()); i++) {
            if (s.charAt(i) == '\n') { line++; col = 1; } else col++;
        }
        return new IllegalArgumentException("kernel IR " + line + ":" + col + ": " + message);
    }
}
