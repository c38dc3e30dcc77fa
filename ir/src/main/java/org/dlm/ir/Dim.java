package org.dlm.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A tensor dimension: an integer, a symbol ({@code B}, {@code T}) or a polynomial over symbols
 * with floor division by constants ({@code B*T}, {@code (H-3)/2+1}). Values are canonical, so
 * structural equality is semantic equality for the expressions shape rules produce.
 *
 * <pre>{@code
 * Dim h = Dim.sym("H");
 * Dim out = h.minus(Dim.of(3)).floorDiv(2).plus(Dim.of(1));   // (H-3)/2+1
 * out.eval(Map.of("H", 28L));                                  // 13
 * }</pre>
 */
public final class Dim implements Comparable<Dim> {
    /** A factor of a monomial: a symbol or a floor division of a non-constant dim by a constant. */
    public sealed interface Atom extends Comparable<Atom> permits Sym, FloorDiv {
        long eval(Map<String, Long> env);
        default int compareTo(Atom o) { return toString().compareTo(o.toString()); }
    }
    public record Sym(String name) implements Atom {
        public long eval(Map<String, Long> env) {
            Long v = env.get(name);
            if (v == null) throw new IllegalArgumentException("symbol " + name + " has no value");
            return v;
        }
        @Override public String toString() { return name; }
    }
    public record FloorDiv(Dim num, long den) implements Atom {
        public long eval(Map<String, Long> env) { return Math.floorDiv(num.eval(env), den); }
        @Override public String toString() { return "(" + num + ")/" + den; }
    }

    /** Monomial (sorted atoms, possibly repeated) → coefficient. The empty monomial is the constant. */
    private final Map<List<Atom>, Long> terms;
    private final int hash;

    private Dim(Map<List<Atom>, Long> terms) {
        TreeMap<List<Atom>, Long> t = new TreeMap<>(Dim::compareMonomials);
        for (var e : terms.entrySet()) if (e.getValue() != 0) t.put(e.getKey(), e.getValue());
        this.terms = Collections.unmodifiableMap(t);
        this.hash = this.terms.hashCode();
    }

    private static int compareMonomials(List<Atom> a, List<Atom> b) {
        if (a.size() != b.size()) return Integer.compare(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            int c = a.get(i).compareTo(b.get(i));
            if (c != 0) return c;
        }
        return 0;
    }

    public static Dim of(long value) {
        return new Dim(value == 0 ? Map.of() : Map.of(List.of(), value));
    }

    public static Dim sym(String name) {
        return new Dim(Map.of(List.of(new Sym(name)), 1L));
    }

    public boolean isConst() { return terms.isEmpty() || (terms.size() == 1 && terms.containsKey(List.of())); }

    /** The value of a constant dim; throws if symbolic. */
    public long value() {
        if (!isConst()) throw new IllegalStateException("dimension " + this + " is symbolic");
        return terms.getOrDefault(List.of(), 0L);
    }

    public Dim plus(Dim o) {
        Map<List<Atom>, Long> r = new TreeMap<>(Dim::compareMonomials);
        r.putAll(terms);
        o.terms.forEach((k, v) -> r.merge(k, v, Math::addExact));
        return new Dim(r);
    }

    public Dim plus(long c) { return plus(of(c)); }
    public Dim minus(Dim o) { return plus(o.times(-1)); }
    public Dim minus(long c) { return plus(of(-c)); }

    public Dim times(long c) {
        Map<List<Atom>, Long> r = new TreeMap<>(Dim::compareMonomials);
        terms.forEach((k, v) -> r.put(k, Math.multiplyExact(v, c)));
        return new Dim(r);
    }

    public Dim times(Dim o) {
        Map<List<Atom>, Long> r = new TreeMap<>(Dim::compareMonomials);
        for (var a : terms.entrySet()) {
            for (var b : o.terms.entrySet()) {
                List<Atom> m = new ArrayList<>(a.getKey());
                m.addAll(b.getKey());
                Collections.sort(m);
                r.merge(List.copyOf(m), Math.multiplyExact(a.getValue(), b.getValue()), Math::addExact);
            }
        }
        return new Dim(r);
    }

    /** Floor division by a positive constant; exact when every coefficient divides. */
    public Dim floorDiv(long d) {
        if (d <= 0) throw new IllegalArgumentException("division by " + d);
        if (d == 1) return this;
        if (isConst()) return of(Math.floorDiv(value(), d));
        boolean exact = terms.values().stream().allMatch(v -> v % d == 0);
        if (exact) {
            Map<List<Atom>, Long> r = new TreeMap<>(Dim::compareMonomials);
            terms.forEach((k, v) -> r.put(k, v / d));
            return new Dim(r);
        }
        return new Dim(Map.of(List.of(new FloorDiv(this, d)), 1L));
    }

    /** Ceiling division by a positive constant. */
    public Dim ceilDiv(long d) { return plus(d - 1).floorDiv(d); }

    /** Evaluates with values for every symbol. */
    public long eval(Map<String, Long> env) {
        long s = 0;
        for (var e : terms.entrySet()) {
            long p = e.getValue();
            for (Atom a : e.getKey()) p = Math.multiplyExact(p, a.eval(env));
            s = Math.addExact(s, p);
        }
        return s;
    }

    /** Substitutes known symbol values; unknown symbols stay symbolic. */
    public Dim substitute(Map<String, Long> env) {
        Dim r = of(0);
        for (var e : terms.entrySet()) {
            Dim p = of(e.getValue());
            for (Atom a : e.getKey()) {
                Dim f = switch (a) {
                    case Sym s -> env.containsKey(s.name()) ? of(env.get(s.name())) : sym(s.name());
                    case FloorDiv fd -> fd.num().substitute(env).floorDiv(fd.den());
                };
                p = p.times(f);
            }
            r = r.plus(p);
        }
        return r;
    }

    /** The symbols this dim mentions, sorted. */
    public List<String> symbols() {
        var out = new java.util.TreeSet<String>();
        for (var m : terms.keySet())
            for (Atom a : m)
                switch (a) {
                    case Sym s -> out.add(s.name());
                    case FloorDiv fd -> out.addAll(fd.num().symbols());
                }
        return List.copyOf(out);
    }

    @Override public boolean equals(Object o) { return o instanceof Dim d && d.terms.equals(terms); }
    @Override public int hashCode() { return hash; }
    @Override public int compareTo(Dim o) { return toString().compareTo(o.toString()); }

    /** Text form, parseable by {@link #parse}: {@code 28}, {@code B}, {@code B*T}, {@code 2*B+1}, {@code (H-3)/2+1}. */
    @Override public String toString() {
        if (terms.isEmpty()) return "0";
        StringBuilder sb = new StringBuilder();
        // non-constant monomials first, constant last: reads like "B*T+1"
        List<Map.Entry<List<Atom>, Long>> es = new ArrayList<>(terms.entrySet());
        es.sort((x, y) -> x.getKey().isEmpty() == y.getKey().isEmpty() ? 0 : x.getKey().isEmpty() ? 1 : -1);
        for (var e : es) {
            long c = e.getValue();
            List<Atom> m = e.getKey();
            if (sb.length() > 0) sb.append(c < 0 ? "-" : "+");
            else if (c < 0) sb.append("-");
            long ac = Math.abs(c);
            if (m.isEmpty()) { sb.append(ac); continue; }
            if (ac != 1) sb.append(ac).append("*");
            for (int i = 0; i < m.size(); i++) {
                if (i > 0) sb.append("*");
                // "2*(H-3)/2" would read back as (2*(H-3))/2: a floor division after a factor or a
                // unary minus needs its own parentheses
                boolean wrap = m.get(i) instanceof FloorDiv && (i > 0 || ac != 1 || c < 0);
                sb.append(wrap ? "(" + m.get(i) + ")" : m.get(i));
            }
        }
        return sb.toString();
    }

    /** Parses the text form of {@link #toString()}: integers, identifiers, + - * and / by constants, parentheses. */
    public static Dim parse(String text) {
        var p = new DimParser(text);
        Dim d = p.expr();
        p.skipWs();
        if (p.pos != text.length()) throw new IllegalArgumentException("bad dimension '" + text + "' at " + p.pos);
        return d;
    }

    private static final class DimParser {
        final String s;
        int pos;
        DimParser(String s) { this.s = s; }
        void skipWs() { while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++; }
        boolean eat(char c) { skipWs(); if (pos < s.length() && s.charAt(pos) == c) { pos++; return true; } return false; }
        Dim expr() {
            Dim d = term();
            while (true) {
                if (eat('+')) d = d.plus(term());
                else if (eat('-')) d = d.minus(term());
                else return d;
            }
        }
        Dim term() {
            Dim d = factor();
            while (true) {
                if (eat('*')) d = d.times(factor());
                else if (eat('/')) {
                    Dim den = factor();
                    if (!den.isConst()) throw new IllegalArgumentException("division by symbolic dimension in '" + s + "'");
                    d = d.floorDiv(den.value());
                } else return d;
            }
        }
        Dim factor() {
            skipWs();
            if (eat('(')) { Dim d = expr(); if (!eat(')')) throw new IllegalArgumentException("missing ) in '" + s + "'"); return d; }
            if (eat('-')) return factor().times(-1);
            int start = pos;
            if (pos < s.length() && Character.isDigit(s.charAt(pos))) {
                while (pos < s.length() && Character.isDigit(s.charAt(pos))) pos++;
                return of(Long.parseLong(s.substring(start, pos)));
            }
            while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')) pos++;
            if (start == pos) throw new IllegalArgumentException("bad dimension '" + s + "' at " + pos);
            return sym(s.substring(start, pos));
        }
    }
}
