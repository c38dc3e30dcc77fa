package org.dlm.ir.text;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small FileCheck (as in LLVM's lit tests) for IR text: directives are read from comment
 * lines of a check file and matched, in order, against an output.
 *
 * <ul>
 *   <li>{@code // CHECK: text} — the next line at or after the current position containing it;</li>
 *   <li>{@code // CHECK-NEXT: text} — must be on the line right after the previous match;</li>
 *   <li>{@code // CHECK-SAME: text} — on the same line, after the previous match;</li>
 *   <li>{@code // CHECK-NOT: text} — must not appear between the previous and the next match
 *       (or the end of the output).</li>
 * </ul>
 *
 * In a pattern, {@code {{regex}}} matches a regular expression, {@code [[N:regex]]} captures into
 * variable {@code N} and {@code [[N]]} matches what {@code N} captured, so tests need not depend
 * on value numbering: {@code // CHECK: [[C:%[0-9]+]] = const} ... {@code // CHECK: return %y = [[C]]}.
 *
 * <pre>{@code
 * FileCheck.check(IrPrinter.print(folded), "// CHECK: const {value = dense<f32[2]>[4.0, 6.0]}");
 * }</pre>
 */
public final class FileCheck {
    private FileCheck() {}

    /** A failed directive, with the check line and what the output looked like there. */
    public static final class FileCheckException extends RuntimeException {
        public FileCheckException(String message) { super(message, null, false, false); }
    }

    private enum Kind { CHECK, NEXT, SAME, NOT }
    private record Directive(Kind kind, String pattern, int checkLine) {}

    private static final Pattern DIRECTIVE = Pattern.compile("//\\s*CHECK(-NEXT|-SAME|-NOT)?:\\s?(.*)$");

    /** The directives in {@code checks}; lines without one are ignored. */
    private static List<Directive> directives(String checks) {
        List<Directive> out = new ArrayList<>();
        String[] lines = checks.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher m = DIRECTIVE.matcher(lines[i]);
            if (!m.find()) continue;
            Kind k = m.group(1) == null ? Kind.CHECK : switch (m.group(1)) {
                case "-NEXT" -> Kind.NEXT; case "-SAME" -> Kind.SAME; default -> Kind.NOT;
            };
            out.add(new Directive(k, m.group(2).strip(), i + 1));
        }
        return out;
    }

    /** Whether {@code text} has at least one directive. */
    public static boolean hasChecks(String text) { return !directives(text).isEmpty(); }

    /** Matches every directive of {@code checks} against {@code output}; throws {@link FileCheckException} on the first failure. */
    public static void check(String output, String checks) {
        List<Directive> ds = directives(checks);
        if (ds.isEmpty()) throw new FileCheckException("no CHECK directives found");
        String[] lines = output.split("\n", -1);
        Map<String, String> vars = new HashMap<>();
        int line = 0, col = 0;         // where the search continues
        boolean matchedAny = false;
        List<Directive> nots = new ArrayList<>();
        for (Directive d : ds) {
            if (d.kind == Kind.NOT) { nots.add(d); continue; }
            int fromLine = line, fromCol = col;
            int foundLine = -1;
            Matcher found = null;
            Compiled c = compile(d, vars);
            if (d.kind == Kind.CHECK) {
                for (int l = line; l < lines.length && found == null; l++) {
                    Matcher m = c.matcher(lines[l]);
                    if (m.find(l == line ? col : 0)) { found = m; foundLine = l; }
                }
            } else {
                if (!matchedAny) throw fail(d, "CHECK-" + d.kind + " needs a previous CHECK", lines, 0);
                int l = d.kind == Kind.NEXT ? line + 1 : line;
                if (l < lines.length) {
                    Matcher m = c.matcher(lines[l]);
                    if (m.find(d.kind == Kind.SAME ? col : 0)) { found = m; foundLine = l; }
                }
                if (found == null)
                    throw fail(d, "expected on " + (d.kind == Kind.NEXT ? "the next line" : "the same line"), lines, Math.min(l, lines.length - 1));
            }
            if (found == null) throw fail(d, "not found after line " + (fromLine + 1) + " of the output", lines, fromLine);
            checkNots(nots, lines, fromLine, fromCol, foundLine, found.start(), vars);
            nots.clear();
            bind(c, found, vars);
            line = foundLine;
            col = found.end();
            matchedAny = true;
        }
        checkNots(nots, lines, line, col, lines.length - 1, Integer.MAX_VALUE, vars);
    }

    private static void checkNots(List<Directive> nots, String[] lines, int l0, int c0, int l1, int c1, Map<String, String> vars) {
        for (Directive n : nots) {
            for (int l = l0; l <= l1 && l < lines.length; l++) {
                String s = lines[l];
                int from = l == l0 ? Math.min(c0, s.length()) : 0;
                int to = l == l1 ? Math.min(c1, s.length()) : s.length();
                if (from > to) continue;
                Matcher m = compile(n, vars).matcher(s.substring(from, to));
                if (m.find()) throw fail(n, "found where it must not be", lines, l);
            }
        }
    }

    private static final Pattern PIECE = Pattern.compile("\\{\\{(.*?)}}|\\[\\[([A-Za-z_][A-Za-z0-9_]*)(?::(.*?))?]]");

    /** A directive's regex and the variables its groups {@code v1, v2, ...} capture. */
    private record Compiled(Pattern pattern, List<String> captures) {
        Matcher matcher(String s) { return pattern.matcher(s); }
    }

    private static Compiled compile(Directive d, Map<String, String> vars) {
        StringBuilder re = new StringBuilder();
        List<String> caps = new ArrayList<>();
        Matcher m = PIECE.matcher(d.pattern);
        int last = 0;
        while (m.find()) {
            re.append(Pattern.quote(d.pattern.substring(last, m.start())));
            if (m.group(1) != null) re.append("(?:").append(m.group(1)).append(')');
            else if (m.group(3) != null) {
                caps.add(m.group(2));
                re.append("(?<v").append(caps.size()).append('>').append(m.group(3)).append(')');
            } else {
                String v = vars.get(m.group(2));
                if (v == null) throw new FileCheckException("check line " + d.checkLine + ": variable " + m.group(2) + " used before it is defined");
                re.append(Pattern.quote(v));
            }
            last = m.end();
        }
        re.append(Pattern.quote(d.pattern.substring(last)));
        try {
            return new Compiled(Pattern.compile(re.toString()), caps);
        } catch (java.util.regex.PatternSyntaxException e) {
            throw new FileCheckException("check line " + d.checkLine + ": bad regular expression: " + e.getDescription());
        }
    }

    private static void bind(Compiled c, Matcher m, Map<String, String> vars) {
        List<String> caps = c.captures();
        for (int i = 0; i < caps.size(); i++) vars.put(caps.get(i), m.group("v" + (i + 1)));
    }

    private static FileCheckException fail(Directive d, String why, String[] lines, int near) {
        StringBuilder sb = new StringBuilder("check line " + d.checkLine + ": CHECK" + (d.kind == Kind.CHECK ? "" : "-" + d.kind)
                + ": '" + d.pattern + "' " + why + "\noutput near line " + (near + 1) + ":\n");
        for (int l = Math.max(0, near - 1); l < Math.min(lines.length, near + 3); l++) sb.append(l == near ? "> " : "  ").append(lines[l]).append('\n');
        return new FileCheckException(sb.toString());
    }
}
