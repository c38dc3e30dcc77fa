package org.dlm.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** An ordered list of dimensions; immutable. {@code Shape.of(2, 3)}, {@code Shape.of(Dim.sym("B"), Dim.of(10))}. */
public record Shape(List<Dim> dims) {
    public Shape {
        dims = List.copyOf(dims);
    }

    public static Shape of(long... sizes) {
        List<Dim> d = new ArrayList<>();
        for (long s : sizes) d.add(Dim.of(s));
        return new Shape(d);
    }

    public static Shape of(Dim... dims) { return new Shape(List.of(dims)); }

    public static final Shape SCALAR = new Shape(List.of());

    public int rank() { return dims.size(); }
    public Dim dim(int i) { return dims.get(i < 0 ? i + dims.size() : i); }
    public boolean isStatic() { return dims.stream().allMatch(Dim::isConst); }

    /** Number of elements as a dim (symbolic when the shape is). */
    public Dim numel() {
        Dim n = Dim.of(1);
        for (Dim d : dims) n = n.times(d);
        return n;
    }

    /** Static sizes; throws if any dim is symbolic. */
    public long[] sizes() {
        long[] s = new long[dims.size()];
        for (int i = 0; i < s.length; i++) s[i] = dims.get(i).value();
        return s;
    }

    public Shape substitute(Map<String, Long> env) {
        return new Shape(dims.stream().map(d -> d.substitute(env)).toList());
    }

    public Shape with(int axis, Dim d) {
        List<Dim> l = new ArrayList<>(dims);
        l.set(axis, d);
        return new Shape(l);
    }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < dims.size(); i++) {
            if (i > 0) sb.append(", ");
            sb.append(dims.get(i));
        }
        return sb.append("]").toString();
    }
}
