package org.dlm.ir.text;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;

/**
 * The names values get in the textual IR: a declared input or parameter is {@code %name} (its
 * {@code name} attribute), every other node is numbered {@code %0, %1, ...} in topological order.
 * The printer, the verifier and the interpreter's error messages all use these names, so a
 * message about {@code %7} points at the line {@code %7 = ...} of the printed graph.
 *
 * <p>A declared leaf whose attributes do not match its header form (no string name, a name used
 * twice, dtype/shape attributes that disagree with its type) gets a synthetic quoted name and is
 * printed in the explicit form, so even broken graphs print and parse back exactly.
 */
public final class ValueNames {
    private static final Pattern IDENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*");

    private final Map<Node, String> refs = new HashMap<>();
    private final Map<Node, Integer> numbers = new HashMap<>();
    private final List<Node> body = new ArrayList<>();
    /** Declaration refs in order, inputs then params; a node declared twice has two entries. */
    private final List<Decl> inputDecls = new ArrayList<>(), paramDecls = new ArrayList<>();

    /** A header declaration: the ref it is printed under and whether it uses the short form. */
    public record Decl(Node node, String ref, boolean canonical) {}

    public ValueNames(Graph g) {
        Set<String> used = new HashSet<>();
        for (Node n : g.inputs()) if (canonical(n, "input", used)) used.add(n.attrs().getString("name"));
        for (Node n : g.params()) if (canonical(n, "param", used)) used.add(n.attrs().getString("name"));
        Set<String> taken = new HashSet<>();
        int synth = 0;
        for (int k = 0; k < 2; k++) {
            List<Node> decls = k == 0 ? g.inputs() : g.params();
            String op = k == 0 ? "input" : "param";
            for (Node n : decls) {
                String ref;
                boolean canon = canonical(n, op, taken);
                if (canon) {
                    ref = "%" + quoteIfNeeded(n.attrs().getString("name"));
                    taken.add(n.attrs().getString("name"));
                } else {
                    String s;
                    do s = op + "#" + synth++; while (used.contains(s));
                    ref = "%" + quote(s);
                }
                refs.putIfAbsent(n, ref);
                (k == 0 ? inputDecls : paramDecls).add(new Decl(n, ref, canon));
            }
        }
        int i = 0;
        for (Node n : g.topoOrder()) {
            if (refs.containsKey(n)) continue;
            numbers.put(n, i);
            refs.put(n, "%" + i++);
            body.add(n);
        }
    }

    private static boolean canonical(Node n, String op, Set<String> taken) {
        if (!n.opName().equals(op) || !n.inputs().isEmpty()) return false;
        return n.attrs().get("name") instanceof String s && !taken.contains(s)
                && n.attrs().get("dtype") instanceof DType d && d == n.dtype()
                && n.attrs().get("shape") instanceof Shape sh && sh.equals(n.shape());
    }

    /** The ref of {@code n} ({@code %x}, {@code %conv1.weight}, {@code %12}), or null if not in the graph. */
    public String ref(Node n) { return refs.get(n); }

    /** How a message names a node: {@code %3 = conv2d} for an op, {@code %x} for a declared leaf. */
    public String describe(Node n) {
        String r = refs.get(n);
        if (r == null) return n.opName() + " node (not in graph)";
        return numbers.containsKey(n) ? r + " = " + n.opName() : r;
    }

    /** Non-declared nodes in topological order (the lines of the body). */
    public List<Node> body() { return body; }
    public List<Decl> inputDecls() { return inputDecls; }
    public List<Decl> paramDecls() { return paramDecls; }

    static boolean isIdent(String s) { return IDENT.matcher(s).matches(); }

    /** {@code s} as is when it is an identifier, else as a quoted string. */
    public static String quoteIfNeeded(String s) { return isIdent(s) ? s : quote(s); }

    /** A double-quoted string literal with escapes for quote, backslash and control characters. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) && !validSurrogate(s, i))
                        sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }

    private static boolean validSurrogate(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    /** Sorted copy of a string map, for deterministic printing. */
    static Map<String, String> sorted(Map<String, String> m) {
        Map<String, String> r = new LinkedHashMap<>();
        m.keySet().stream().sorted().forEach(k -> r.put(k, m.get(k)));
        return r;
    }
}
