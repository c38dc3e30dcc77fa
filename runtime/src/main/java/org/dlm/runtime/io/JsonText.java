package org.dlm.runtime.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The small JSON subset file headers need (safetensors): objects keep key order, integers become
 * {@code Long}, other numbers {@code Double}. Depth is bounded so hostile input cannot overflow
 * the stack. Also the JSON string quoting of the training log ({@link #quote}).
 */
public final class JsonText {
    private final String s;
    private int pos;

    private JsonText(String s) { this.s = s; }

    static final class SyntaxError extends Exception {
        SyntaxError(String message) { super(message); }
    }

    static Object parse(String text) throws SyntaxError {
        JsonText p = new JsonText(text);
        Object v = p.value(0);
        p.space();
        if (p.pos < p.s.length()) throw new SyntaxError("unexpected text at offset " + p.pos + " after the JSON value");
        return v;
    }

    private void space() {
        while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\n' || s.charAt(pos) == '\r' || s.charAt(pos) == '\t')) pos++;
    }

    private char peek() throws SyntaxError {
        if (pos >= s.length()) throw new SyntaxError("JSON ends early");
        return s.charAt(pos);
    }

    private Object value(int depth) throws SyntaxError {
        if (depth > 64) throw new SyntaxError("JSON nests too deeply");
        space();
        char c = peek();
        if (c == '{') {
            pos++;
            Map<String, Object> m = new LinkedHashMap<>();
            space();
            if (peek() == '}') { pos++; return m; }
            while (true) {
                space();
                if (peek() != '"') throw new SyntaxError("expected a string key at offset " + pos);
                String k = string();
                space();
                if (peek() != ':') throw new SyntaxError("expected ':' at offset " + pos);
                pos++;
                if (m.put(k, value(depth + 1)) != null) throw new SyntaxError("duplicate key \"" + k + "\"");
                space();
                char d = peek();
                pos++;
                if (d == '}') return m;
                if (d != ',') throw new SyntaxError("expected ',' or '}' at offset " + (pos - 1));
            }
        }
        if (c == '[') {
            pos++;
            List<Object> l = new ArrayList<>();
            space();
            if (peek() == ']') { pos++; return l; }
            while (true) {
                l.add(value(depth + 1));
                space();
                char d = peek();
                pos++;
                if (d == ']') return l;
                if (d != ',') throw new SyntaxError("expected ',' or ']' at offset " + (pos - 1));
            }
        }
        if (c == '"') return string();
        if (s.startsWith("true", pos)) { pos += 4; return Boolean.TRUE; }
        if (s.startsWith("false", pos)) { pos += 5; return Boolean.FALSE; }
        if (s.startsWith("null", pos)) { pos += 4; return null; }
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        throw new SyntaxError("unexpected " + PyLiteral.show(c) + " at offset " + pos);
    }

    private Object number() throws SyntaxError {
        int start = pos;
        boolean integral = true;
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c >= '0' && c <= '9' || c == '-') pos++;
            else if (c == '.' || c == 'e' || c == 'E' || c == '+') { integral = false; pos++; }
            else break;
        }
        String t = s.substring(start, pos);
        try {
            return integral ? (Object) Long.parseLong(t) : (Object) Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw new SyntaxError("bad number '" + t + "' at offset " + start);
        }
    }

    private String string() throws SyntaxError {
        pos++;
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= s.length()) throw new SyntaxError("unterminated string");
            char c = s.charAt(pos++);
            if (c == '"') return sb.toString();
            if (c != '\\') { sb.append(c); continue; }
            if (pos >= s.length()) throw new SyntaxError("unterminated string");
            char e = s.charAt(pos++);
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (pos + 4 > s.length()) throw new SyntaxError("bad \\u escape at offset " + pos);
                    try {
                        sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                    } catch (NumberFormatException ex) {
                        throw new SyntaxError("bad \\u escape at offset " + pos);
                    }
                    pos += 4;
                }
                default -> throw new SyntaxError("bad escape '\\" + e + "' at offset " + (pos - 1));
            }
        }
    }

    /** A JSON string literal for {@code v}. */
    public static String quote(String v) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }
}
