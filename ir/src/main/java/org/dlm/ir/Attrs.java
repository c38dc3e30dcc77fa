package org.dlm.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Immutable, ordered attribute map of a node. Values are one of: {@link Long}, {@link Double},
 * {@link Boolean}, {@link String}, {@link DType}, {@link Shape}, {@code List<Long>},
 * {@code List<Double>}, {@code List<String>}, or {@link Constant} (literal tensor data).
 * Integers are always stored as Long and floats as Double so that equality is structural.
 */
public final class Attrs {
    public static final Attrs EMPTY = new Attrs(Map.of());

    private final Map<String, Object> map;

    private Attrs(Map<String, Object> map) {
        this.map = Collections.unmodifiableMap(new TreeMap<>(map));
    }

    public static Attrs of(Object... kv) {
        if (kv.length % 2 != 0) throw new IllegalArgumentException("Attrs.of needs key/value pairs");
        Map<String, Object> m = new TreeMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], normalize(kv[i + 1]));
        return new Attrs(m);
    }

    public static Attrs of(Map<String, ?> m) {
        Map<String, Object> r = new TreeMap<>();
        m.forEach((k, v) -> r.put(k, normalize(v)));
        return new Attrs(r);
    }

    /** Canonicalizes Java values: ints to Long, floats to Double, arrays to immutable lists. */
    public static Object normalize(Object v) {
        return switch (v) {
            case null -> throw new IllegalArgumentException("null attribute value");
            case Integer i -> (long) i;
            case Short s -> (long) s;
            case Float f -> (double) f;
            case int[] a -> java.util.Arrays.stream(a).mapToObj(x -> (long) x).toList();
            case long[] a -> java.util.Arrays.stream(a).boxed().toList();
            case double[] a -> java.util.Arrays.stream(a).boxed().toList();
            case List<?> l -> {
                List<Object> r = new ArrayList<>();
                for (Object o : l) r.add(normalize(o));
                yield List.copyOf(r);
            }
            default -> v;
        };
    }

    public Attrs with(String key, Object value) {
        Map<String, Object> m = new TreeMap<>(map);
        m.put(key, normalize(value));
        return new Attrs(m);
    }

    public Attrs without(String key) {
        Map<String, Object> m = new TreeMap<>(map);
        m.remove(key);
        return new Attrs(m);
    }

    public boolean has(String key) { return map.containsKey(key); }
    public Object get(String key) { return map.get(key); }
    public Map<String, Object> asMap() { return map; }
    public boolean isEmpty() { return map.isEmpty(); }

    public long getLong(String key, long dflt) { Object v = map.get(key); return v == null ? dflt : ((Number) v).longValue(); }
    public long getLong(String key) { return ((Number) require(key)).longValue(); }
    public double getDouble(String key, double dflt) { Object v = map.get(key); return v == null ? dflt : ((Number) v).doubleValue(); }
    public double getDouble(String key) { return ((Number) require(key)).doubleValue(); }
    public boolean getBool(String key, boolean dflt) { Object v = map.get(key); return v == null ? dflt : (Boolean) v; }
    public String getString(String key, String dflt) { Object v = map.get(key); return v == null ? dflt : (String) v; }
    public String getString(String key) { return (String) require(key); }
    public DType getDType(String key, DType dflt) { Object v = map.get(key); return v == null ? dflt : (DType) v; }
    public Shape getShape(String key) { return (Shape) require(key); }

    @SuppressWarnings("unchecked")
    public List<Long> getLongs(String key, List<Long> dflt) { Object v = map.get(key); return v == null ? dflt : (List<Long>) v; }

    @SuppressWarnings("unchecked")
    public List<Long> getLongs(String key) { return (List<Long>) require(key); }

    public long[] getLongArray(String key, long... dflt) {
        Object v = map.get(key);
        if (v == null) return dflt;
        return ((List<?>) v).stream().mapToLong(x -> ((Number) x).longValue()).toArray();
    }

    private Object require(String key) {
        Object v = map.get(key);
        if (v == null) throw new IllegalArgumentException("missing attribute '" + key + "'");
        return v;
    }

    @Override public boolean equals(Object o) { return o instanceof Attrs a && a.map.equals(map); }
    @Override public int hashCode() { return map.hashCode(); }
    @Override public String toString() { return map.toString(); }
}
