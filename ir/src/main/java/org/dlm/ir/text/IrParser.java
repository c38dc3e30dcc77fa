package org.dlm.ir.text;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Attrs;
import org.dlm.ir.Constant;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.OpDef;
import org.dlm.ir.OpTable;
import org.dlm.ir.Shape;
import org.dlm.ir.ShapeException;
import org.dlm.ir.TensorType;
import org.dlm.ir.Verifier;

/**
 * Reads the text {@link IrPrinter} writes. {@code //} starts a comment to the end of the line.
 *
 * <pre>{@code
 * Graph g = IrParser.parse("""
 *     graph Tiny(%x: f32[B, 4]) {
 *       %0 = relu(%x) : f32[B, 4]
 *       return %y = %0
 *     }
 *     """);
 * }</pre>
 *
 * <p>{@link Mode#UNCHECKED} (the default) builds every node with {@link Node#unchecked} and the
 * stated type, re-inferring nothing, so a broken graph reads back broken and the {@link Verifier}
 * can report it. {@link Mode#CHECKED} builds nodes with {@link Node#of} (which fills in attribute
 * defaults), requires each stated type to equal the inferred one and runs the verifier, reporting
 * the first problem at the line of the node concerned. Either way every error is an
 * {@link IrParseException} with line and column.
 */
public final class IrParser {
    public enum Mode { UNCHECKED, CHECKED }

    private final String src, text;
    private final Mode mode;
    private int pos;
    /** Nesting of list values; bounded so hostile text cannot overflow the stack. */
    private int depth;
    private static final int MAX_DEPTH = 64;
    /** Largest constant the text may spell out (a splat could otherwise ask for gigabytes). */
    private static final long MAX_CONSTANT = 1L << 24;
    private final Map<Ref, Node> values = new HashMap<>();
    private final Map<Ref, Integer> defined = new HashMap<>();
    private final Map<Node, Integer> nodePos = new IdentityHashMap<>();

    /** A value name: numbered ({@code %3}) or named ({@code %x}, {@code %"a b"}). */
    private record Ref(String name, boolean numbered) {
        @Override public String toString() { return "%" + (numbered ? name : ValueNames.quoteIfNeeded(name)); }
    }

    private IrParser(String source, String text, Mode mode) {
        this.src = source;
        this.text = text;
        if (text.startsWith("\uFEFF")) pos = 1;   // a byte-order mark some editors write
        this.mode = mode;
    }

    public static Graph parse(String text) { return parse("<ir>", text, Mode.UNCHECKED); }

    public static Graph parseChecked(String text) { return parse("<ir>", text, Mode.CHECKED); }

    /** Parses one graph; {@code source} names the text in error messages. */
    public static Graph parse(String source, String text, Mode mode) {
        IrParser p = new IrParser(source, text, mode);
        Graph g = p.graph();
        int end = p.skipWs();
        if (end < text.length()) throw p.error(end, "unexpected text after the end of graph " + g.name());
        return g;
    }

    /** Parses a file of zero or more graphs (e.g. several models printed one after another). */
    public static List<Graph> parseAll(String source, String text, Mode mode) {
        List<Graph> out = new ArrayList<>();
        IrParser p = new IrParser(source, text, mode);
        java.util.Set<String> names = new java.util.HashSet<>();
        while (p.skipWs() < text.length()) {
            int at = p.pos;
            p.values.clear();
            p.defined.clear();
            Graph g = p.graph();
            if (!names.add(g.name())) throw p.error(at, "graph " + g.name() + " is defined twice");
            out.add(g);
        }
        return out;
    }

    // ---------------------------------------------------------------- graph structure

    private Graph graph() {
        ws();
        keyword("graph");
        String name = nameText("a graph name");
        expect('(');
        List<Node> inputs = decls("input");
        List<Node> params = List.of();
        ws();
        if (peekWord("params")) {
            keyword("params");
            expect('(');
            params = decls("param");
        }
        Map<String, String> meta = new LinkedHashMap<>();
        ws();
        if (peekWord("meta")) {
            keyword("meta");
            expect('{');
            if (!tryEat('}')) {
                do {
                    int at = skipWs();
                    String k = nameText("a metadata key");
                    expect('=');
                    ws();
                    if (peek() != '"') throw error(pos, "metadata values are strings, e.g. source = \"lenet.dlm\"");
                    if (meta.put(k, string()) != null) throw error(at, "metadata key '" + k + "' given twice");
                } while (tryEat(','));
                expect('}');
            }
        }
        expect('{');
        List<Graph.Output> outputs = new ArrayList<>();
        while (true) {
            int at = skipWs();
            if (at >= text.length()) throw error(at, "missing 'return' and '}' at the end of graph " + name);
            if (peekWord("return")) {
                keyword("return");
                skipWs();
                if (peek() == '%') {
                    do {
                        int oat = skipWs();
                        Ref out = ref();
                        if (out.numbered()) throw error(oat, "output names are identifiers or strings, e.g. %logits");
                        expect('=');
                        outputs.add(new Graph.Output(out.name(), use()));
                    } while (tryEat(','));
                }
                expect('}');
                break;
            }
            nodeLine();
        }
        Graph g = new Graph(name, inputs, params, outputs, meta);
        if (mode == Mode.CHECKED) {
            var problems = Verifier.verify(g);
            if (!problems.isEmpty()) {
                Verifier.Problem p = problems.get(0);
                Integer at = p.node() == null ? null : nodePos.get(p.node());
                throw error(at == null ? 0 : at, p.toString() + (problems.size() > 1 ? " (and " + (problems.size() - 1) + " more problems)" : ""));
            }
        }
        return g;
    }

    private List<Node> decls(String op) {
        List<Node> out = new ArrayList<>();
        if (tryEat(')')) return out;
        do {
            int at = skipWs();
            Ref r = ref();
            if (r.numbered()) throw error(at, op + "s are named, e.g. %x or %conv1.weight; %" + r.name() + " is a numbered value");
            expect(':');
            TensorType t = type();
            ws();
            Node n;
            if (tryEat('=')) {
                // explicit form: the full attribute set, for leaves the short form cannot express
                int opAt = skipWs();
                OpDef def = opDef(opAt);
                ws();
                Attrs attrs = peek() == '{' ? attrDict() : Attrs.EMPTY;
                n = build(def, List.of(), attrs, t, opAt);
            } else {
                Map<String, Object> m = new LinkedHashMap<>();
                if (peek() == '{') m.putAll(attrDict().asMap());
                m.put("name", r.name());
                m.put("dtype", t.dtype());
                m.put("shape", t.shape());
                n = build(OpTable.require(op), List.of(), Attrs.of(m), t, at);
            }
            define(r, n, at);
            out.add(n);
        } while (tryEat(','));
        expect(')');
        return out;
    }

    private void nodeLine() {
        int at = skipWs();
        if (peek() != '%') throw error(at, "expected a node definition (%N = op(...) : type), 'return' or '}'");
        Ref r = ref();
        expect('=');
        int opAt = skipWs();
        OpDef def = opDef(opAt);
        List<Node> operands = new ArrayList<>();
        ws();
        if (tryEat('(')) {
            if (!tryEat(')')) {
                do operands.add(use()); while (tryEat(','));
                expect(')');
            }
        }
        ws();
        Attrs attrs = peek() == '{' ? attrDict() : Attrs.EMPTY;
        expect(':');
        TensorType t = type();
        define(r, build(def, operands, attrs, t, opAt), at);
    }

    private Node build(OpDef def, List<Node> operands, Attrs attrs, TensorType stated, int at) {
        Node n;
        if (mode == Mode.UNCHECKED) {
            n = Node.unchecked(def, operands, attrs, stated);
        } else {
            try {
                n = Node.of(def, operands, attrs);
            } catch (ShapeException e) {
                throw error(at, e.getMessage() + (e.hint() == null ? "" : " (hint: " + e.hint() + ")"));
            } catch (RuntimeException e) {
                throw error(at, def.name() + ": shape rule failed: " + e);
            }
            if (!n.type().equals(stated))
                throw error(at, def.name() + " produces " + n.type() + " but the text says " + stated);
        }
        nodePos.putIfAbsent(n, at);
        return n;
    }

    private OpDef opDef(int at) {
        String op = ident("an op name");
        OpDef def = OpTable.get(op);
        if (def == null) throw error(at, "unknown op '" + op + "'");
        return def;
    }

    private void define(Ref r, Node n, int at) {
        Integer prev = defined.putIfAbsent(r, at);
        if (prev != null) throw error(at, "value " + r + " is already defined at " + lineCol(prev));
        values.put(r, n);
    }

    private Node use() {
        int at = skipWs();
        Ref r = ref();
        Node n = values.get(r);
        if (n == null) throw error(at, "undefined value " + r + (r.numbered() ? "" : " (inputs and params are declared in the graph header)"));
        return n;
    }

    private Ref ref() {
        int at = skipWs();
        if (!tryEat('%')) throw error(at, "expected a value name such as %x or %3");
        char c = peek();
        if (Character.isDigit(c)) {
            int s = pos;
            while (pos < text.length() && Character.isDigit(text.charAt(pos))) pos++;
            return new Ref(text.substring(s, pos), true);
        }
        if (c == '"') return new Ref(string(), false);
        if (isIdentStart(c)) return new Ref(identRaw(), false);
        throw error(pos, "expected a name after '%'");
    }

    // ---------------------------------------------------------------- types and values

    private TensorType type() {
        int at = skipWs();
        String dt = ident("an element type such as f32");
        DType d = DType.fromText(dt);
        if (d == null) throw error(at, "unknown element type '" + dt + "' (known: f32 f64 f16 bf16 i8 u8 i32 i64 bool)");
        return new TensorType(d, shape());
    }

    private Shape shape() {
        expect('[');
        List<Dim> dims = new ArrayList<>();
        ws();
        if (tryEat(']')) return new Shape(dims);
        while (true) {
            int at = skipWs();
            int depth = 0;
            while (true) {
                if (pos >= text.length() || text.charAt(pos) == '\n') throw error(at, "unterminated shape: missing ']'");
                char c = text.charAt(pos);
                if (c == '(' && ++depth > MAX_DEPTH) throw error(pos, "dimension nested more than " + MAX_DEPTH + " deep");
                else if (c == ')') depth--;
                else if (depth == 0 && (c == ',' || c == ']')) break;
                pos++;
            }
            String dt = text.substring(at, pos).strip();
            if (dt.isEmpty()) throw error(at, "empty dimension");
            try {
                dims.add(Dim.parse(dt));
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw error(at, "bad dimension '" + dt + "': use integers, symbols, + - * and / by integers");
            }
            if (tryEat(']')) return new Shape(dims);
            expect(',');
        }
    }

    private Attrs attrDict() {
        expect('{');
        Map<String, Object> m = new LinkedHashMap<>();
        if (tryEat('}')) return Attrs.EMPTY;
        do {
            int at = skipWs();
            String k = nameText("an attribute name");
            expect('=');
            if (m.put(k, value()) != null) throw error(at, "attribute '" + k + "' given twice");
        } while (tryEat(','));
        expect('}');
        return Attrs.of(m);
    }

    private Object value() {
        int at = skipWs();
        char c = peek();
        if (c == '"') return string();
        if (c == '[') {
            if (++depth > MAX_DEPTH) throw error(at, "attribute value nested more than " + MAX_DEPTH + " deep");
            pos++;
            List<Object> l = new ArrayList<>();
            if (!tryEat(']')) {
                do l.add(value()); while (tryEat(','));
                expect(']');
            }
            depth--;
            return List.copyOf(l);
        }
        if (c == '-' || c == '+' || Character.isDigit(c)) return number(true);
        if (isIdentStart(c)) {
            String w = identRaw();
            switch (w) {
                case "true": return Boolean.TRUE;
                case "false": return Boolean.FALSE;
                case "inf": return Double.POSITIVE_INFINITY;
                case "nan": return Double.NaN;
                case "shape": return shape();
                case "dense": return constant(at);
                default:
                    DType d = DType.fromText(w);
                    if (d != null) return d;
                    throw error(at, "unexpected '" + w + "' in an attribute value (strings are quoted: \"" + w + "\")");
            }
        }
        throw error(at, c == 0 ? "unexpected end of text, expected an attribute value" : "expected an attribute value, got '" + c + "'");
    }

    /** A number: Long unless it has a dot or exponent (or is inf/nan); with {@code keepInts=false} always a Double. */
    private Object number(boolean keepInts) {
        int at = skipWs();
        int s = pos;
        if (peek() == '-' || peek() == '+') pos++;
        if (text.startsWith("inf", pos) || text.startsWith("nan", pos)) {
            boolean neg = text.charAt(s) == '-';
            boolean inf = text.startsWith("inf", pos);
            pos += 3;
            if (pos < text.length() && isIdentPart(text.charAt(pos))) throw error(at, "bad number");
            return inf ? (neg ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY) : Double.NaN;
        }
        boolean real = false;
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (Character.isDigit(c)) pos++;
            else if (c == '.' || c == 'e' || c == 'E') { real = true; pos++; }
            else if ((c == '-' || c == '+') && (text.charAt(pos - 1) == 'e' || text.charAt(pos - 1) == 'E')) pos++;
            else break;
        }
        String num = text.substring(s, pos);
        if (pos < text.length() && isIdentPart(text.charAt(pos))) throw error(at, "bad number '" + num + text.charAt(pos) + "'");
        try {
            if (real || !keepInts) return Double.parseDouble(num);
            return Long.parseLong(num.startsWith("+") ? num.substring(1) : num);
        } catch (NumberFormatException e) {
            throw error(at, "bad number '" + num + "'" + (real ? "" : " (integers must fit in 64 bits)"));
        }
    }

    private Constant constant(int at) {
        expect('<');
        TensorType t = type();
        expect('>');
        if (!t.shape().isStatic()) throw error(at, "a dense constant needs a static shape, got " + t);
        long n;
        try {
            n = t.shape().numel().value();
        } catch (ArithmeticException e) {
            throw error(at, "dense constant " + t + " is too large");
        }
        if (n < 0) throw error(at, "dense constant " + t + " has a negative size");
        if (n > MAX_CONSTANT) throw error(at, "dense constant " + t + " has " + n + " elements; the text form allows at most " + MAX_CONSTANT);
        ws();
        double[] v;
        if (peekWord("splat")) {
            keyword("splat");
            expect('(');
            double x = element();
            expect(')');
            v = new double[(int) n];
            java.util.Arrays.fill(v, x);
        } else {
            expect('[');
            List<Double> l = new ArrayList<>();
            if (!tryEat(']')) {
                do l.add(element()); while (tryEat(','));
                expect(']');
            }
            if (l.size() != n) throw error(at, "dense<" + t + "> needs " + n + " values, got " + l.size());
            v = l.stream().mapToDouble(Double::doubleValue).toArray();
        }
        return new Constant(t, v);
    }

    private double element() {
        int at = skipWs();
        char c = peek();
        if (!(c == '-' || c == '+' || Character.isDigit(c) || text.startsWith("inf", pos) || text.startsWith("nan", pos)))
            throw error(at, "expected a number in a dense constant");
        return (Double) number(false);
    }

    // ---------------------------------------------------------------- lexical helpers

    private String string() {
        int at = skipWs();
        expect('"');
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= text.length() || text.charAt(pos) == '\n') throw error(at, "unterminated string");
            char c = text.charAt(pos++);
            if (c == '"') return sb.toString();
            if (c != '\\') { sb.append(c); continue; }
            if (pos >= text.length()) throw error(at, "unterminated string");
            char e = text.charAt(pos++);
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'u' -> {
                    if (pos + 4 > text.length()) throw error(pos - 2, "bad \\u escape: needs 4 hex digits");
                    try {
                        sb.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                    } catch (NumberFormatException ex) {
                        throw error(pos - 2, "bad \\u escape: needs 4 hex digits");
                    }
                    pos += 4;
                }
                default -> throw error(pos - 2, "unknown escape '\\" + e + "' (known: \\\" \\\\ \\n \\t \\r \\uXXXX)");
            }
        }
    }

    /** An identifier or a quoted string (names of graphs, attributes, metadata keys). */
    private String nameText(String what) {
        skipWs();
        return peek() == '"' ? string() : ident(what);
    }

    private String ident(String what) {
        int at = skipWs();
        if (!isIdentStart(peek())) throw error(at, "expected " + what + found(at));
        return identRaw();
    }

    private String identRaw() {
        int s = pos;
        while (pos < text.length() && isIdentPart(text.charAt(pos))) pos++;
        return text.substring(s, pos);
    }

    private static boolean isIdentStart(char c) { return c < 128 && (Character.isLetter(c) || c == '_'); }
    private static boolean isIdentPart(char c) { return c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '.'); }

    private boolean peekWord(String w) {
        return text.startsWith(w, pos) && (pos + w.length() >= text.length() || !isIdentPart(text.charAt(pos + w.length())));
    }

    private void keyword(String w) {
        int at = skipWs();
        if (!peekWord(w)) throw error(at, "expected '" + w + "'" + found(at));
        pos += w.length();
    }

    private char peek() { return pos < text.length() ? text.charAt(pos) : 0; }

    private boolean tryEat(char c) {
        skipWs();
        if (peek() == c) { pos++; return true; }
        return false;
    }

    private void expect(char c) {
        int at = skipWs();
        if (peek() != c) throw error(at, "expected '" + c + "'" + found(at));
        pos++;
    }

    private String found(int at) {
        if (at >= text.length()) return " but the text ended";
        int e = at;
        while (e < text.length() && e - at < 12 && !Character.isWhitespace(text.charAt(e))) e++;
        return ", found '" + text.substring(at, Math.max(e, at + 1)) + "'";
    }

    private void ws() { skipWs(); }

    /** Skips blanks and comments; returns the new position. */
    private int skipWs() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (Character.isWhitespace(c)) pos++;
            else if (c == '/' && pos + 1 < text.length() && text.charAt(pos + 1) == '/') {
                while (pos < text.length() && text.charAt(pos) != '\n') pos++;
            } else break;
        }
        return pos;
    }

    private String lineCol(int offset) {
        int[] lc = lineCol0(offset);
        return lc[0] + ":" + lc[1];
    }

    private int[] lineCol0(int offset) {
        int line = 1, col = 1;
        for (int i = 0; i < offset && i < text.length(); i++) {
            if (text.charAt(i) == '\n') { line++; col = 1; } else col++;
        }
        return new int[] {line, col};
    }

    private IrParseException error(int offset, String message) {
        int[] lc = lineCol0(offset);
        return new IrParseException(src, lc[0], lc[1], message);
    }
}
