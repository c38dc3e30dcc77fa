package org.dlm.onnx;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.onnx.proto.OnnxProto.AttributeProto;
import org.dlm.onnx.proto.OnnxProto.NodeProto;

/**
 * Typed access to a node's attributes with ONNX defaults. Old models may leave the attribute's
 * {@code type} unset; values are then read from whichever field is present.
 */
final class OnnxAttrs {
    private final Map<String, AttributeProto> map = new LinkedHashMap<>();

    OnnxAttrs(NodeProto node) {
        for (AttributeProto a : node.getAttributeList()) map.put(a.getName(), a);
    }

    boolean has(String name) { return map.containsKey(name); }
    AttributeProto get(String name) { return map.get(name); }
    java.util.Set<String> names() { return map.keySet(); }

    long i(String name, long dflt) {
        AttributeProto a = map.get(name);
        return a == null ? dflt : a.getI();
    }

    double f(String name, double dflt) {
        AttributeProto a = map.get(name);
        return a == null ? dflt : a.getF();
    }

    String s(String name, String dflt) {
        AttributeProto a = map.get(name);
        return a == null ? dflt : a.getS().toStringUtf8();
    }

    /** The ints attribute, or null when absent. */
    long[] ints(String name) {
        AttributeProto a = map.get(name);
        if (a == null) return null;
        if (a.getIntsCount() == 0 && a.hasI()) return new long[] {a.getI()};
        return a.getIntsList().stream().mapToLong(Long::longValue).toArray();
    }

    long[] ints(String name, long[] dflt) {
        long[] v = ints(name);
        return v == null ? dflt : v;
    }

    /** The floats attribute, or null when absent. */
    double[] floats(String name) {
        AttributeProto a = map.get(name);
        if (a == null) return null;
        return a.getFloatsList().stream().mapToDouble(Float::doubleValue).toArray();
    }

    List<String> strings(String name) {
        AttributeProto a = map.get(name);
        return a == null ? null : a.getStringsList().stream().map(com.google.protobuf.ByteString::toStringUtf8).toList();
    }
}
