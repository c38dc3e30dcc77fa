package org.dlm.onnx;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.dlm.ir.Node;

/** Registry of ONNX op converters (default domain), filled by the converter families. */
public final class ConverterTable {
    private final Map<String, Converter> map = new TreeMap<>();

    private static final ConverterTable DEFAULT = new ConverterTable();

    static {
        ElementwiseConverters.register(DEFAULT);
        ReductionConverters.register(DEFAULT);
        ShapeConverters.register(DEFAULT);
        NnConverters.register(DEFAULT);
        QuantizeConverters.register(DEFAULT);
        SignalConverters.register(DEFAULT);
        ResizeConverters.register(DEFAULT);
        RnnConverters.register(DEFAULT);
        IndexConverters.register(DEFAULT);
        ScatterConverters.register(DEFAULT);
        ControlFlowConverters.register(DEFAULT);
        DetectionConverters.register(DEFAULT);
        TextConverters.register(DEFAULT);
        LinalgConverters.register(DEFAULT);
    }

    public static ConverterTable standard() { return DEFAULT; }

    void put(String onnxOp, Converter c) {
        if (map.put(onnxOp, c) != null) throw new IllegalStateException("ONNX op " + onnxOp + " registered twice");
    }

    void one(String onnxOp, Function<OpContext, Node> f) { put(onnxOp, Converter.of(f)); }

    public Converter get(String onnxOp) { return map.get(onnxOp); }

    /** ONNX op types this table converts, sorted. */
    public java.util.Set<String> opTypes() { return Collections.unmodifiableSet(map.keySet()); }
}
