package org.dlm.runtime.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the Python literal that is a .npy header: a dict of strings, booleans, integers and
 * tuples, e.g. {@code {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }}.
 * Tuples and lists both become {@code List}, integers {@code Long}, True/False {@code Boolean},
 * None {@code null}.
 */
final class PyLiteral {
    private final String s;
    private int pos;

    private PyLiteral(String s) { this.s = s; }

    /** Thrown with a message saying what was expected where; callers add the file name. */
    static final class SyntaxError extends Exception {
        SyntaxError(String message) { super(message); }
    }

    static Object parse(String text) throws SyntaxError {
        PyLiteral p = new PyLiteral(text);
        Object v = p.value(0);
        p.skipSpace();
        if (p.pos != p.s.length()) throw new SyntaxError("unexpected " + show(p.s.charAt(p.pos)) + " at offset " + p.pos + " after the header dict");
        return v;
    }

    private void skipSpace() {
        while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++;
    }

    private Object value(int depth) throws SyntaxError {
        if (depth > 32) throw new SyntaxError("header nests too deeply");
        skipSpace();
        if (pos >= s.length()) throw new SyntaxError("header ends early");
        char c = s.charAt(pos);
        switch (c) {
            case '{': return dict(depth);
            case '(': return sequence(')', depth);
            case '[': return sequence(']', depth);
            case '\'', '"': return string();
            default:
                if (c == '-' || c == '+' || Character.isDigit(c)) return integer();
                if (Character.isLetter(c)) return word();
                throw new SyntaxError("unexpected " + show(c) + " at offset " + pos);
        }
    }

    private Map<String, Object> dict(int depth) throws SyntaxError {
        pos++;
        Map<String, Object> m = new LinkedHashMap<>();
        while (true) {
            skipSpace();
            if (peek() == '}') { pos++; return m; }
            Object k = value(depth + 1);
            if (!(k instanceof String key)) throw new SyntaxError("dict keys must be strings, got " + k);
            skipSpace();
            expect(':');
            m.put(key, value(depth + 1));
            skipSpace();
            char c = peek();
            if (c == ',') pos++;
            else if (c != '}') throw new SyntaxError("expected ',' or '}' at offset " + pos);
        }
    }

    private List<Object> sequence(char close, int depth) throws SyntaxError {
        pos++;
        List<Object> l = new ArrayList<>();
        while (true) {
            skipSpace();
            if (peek() == close) { pos++; return l; }
            l.add(value(depth + 1));
            skipSpace();
            char c = peek();
            if (c == ',') pos++;
            else if (c != close) throw new SyntaxError("expected ',' or '" + close + "' at offset " + pos);
        }
    }

    private String string() throws SyntaxError {
        char q = s.charAt(pos++);
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= s.length()) throw new SyntaxError("unterminated string in header");
            char c = s.charAt(pos++);
            if (c == q) return sb.toString();
            if (c == '\\') {
                if (pos >= s.length()) throw new SyntaxError("unterminated string in header");
                sb.append(s.charAt(pos++));
            } else sb.append(c);
        }
    }

    private Long integer() throws SyntaxError {
        int start = pos;
        if (s.charAt(pos) == '-' || s.charAt(pos) == '+') pos++;
        while (pos < s.length() && Character.isDigit(s.charAt(pos))) pos++;
        String digits = s.substring(start, pos);
        if (pos < s.length() && (s.charAt(pos) == 'L' || s.charAt(pos) == 'l')) pos++; // Python 2 long
        if (pos < s.length() && (s.charAt(pos) == '.' || s.charAt(pos) == 'e' || s.charAt(pos) == 'E'))
            throw new SyntaxError("unexpected number '" + s.substring(start, Math.min(s.length(), pos + 8)) + "' (only integers belong in a header)");
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new SyntaxError("bad integer '" + digits + "' at offset " + start);
        }
    }

    private Object word() throws SyntaxError {
        int start = pos;
        while (pos < s.length() && Character.isLetterOrDigit(s.charAt(pos))) pos++;
        String w = s.substring(start, pos);
        return switch (w) {
            case "True" -> Boolean.TRUE;
            case "False" -> Boolean.FALSE;
            case "None" -> null;
            default -> throw new SyntaxError("unexpected word '" + w + "' at offset " + start);
        };
    }

    /** A character for a message: quoted when printable, else as a \\xNN escape. */
    static String show(char c) {
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("\\x%02x", (int) c);
    }

    private char peek() throws SyntaxError {
        if (pos >= s.length()) throw new SyntaxError("header ends early");
        return s.charAt(pos);
    }

    private void expect(char c) throws SyntaxError {
        if (peek() != c) throw new SyntaxError("expected '" + c + "' at offset " + pos);
        pos++;
    }
}
