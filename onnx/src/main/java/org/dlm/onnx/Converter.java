package org.dlm.onnx;

import java.util.List;
import java.util.function.Function;
import org.dlm.ir.Node;

/**
 * Turns one ONNX node into Graph IR: returns one node per ONNX output (trailing optional outputs
 * may be left out; the importer reports them as unsupported only when something reads them).
 */
@FunctionalInterface
public interface Converter {
    List<Node> convert(OpContext cx);

    /** A converter for single-output ops. */
    static Converter of(Function<OpContext, Node> f) { return cx -> List.of(f.apply(cx)); }
}
