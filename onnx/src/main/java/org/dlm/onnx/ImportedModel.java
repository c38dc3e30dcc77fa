package org.dlm.onnx;

import java.util.List;
import java.util.Map;
import org.dlm.ir.Graph;
import org.dlm.ir.interp.NdArray;

/**
 * An ONNX model in Graph IR: the graph (inputs named as in ONNX, initializers as {@code param}
 * nodes named as in ONNX), the initializer values for those params, and the opset it was read at.
 */
public record ImportedModel(Graph graph, Map<String, NdArray> weights, int opset) {
    public ImportedModel {
        weights = Map.copyOf(weights);
    }

    /** ONNX names of the graph inputs (initializers excluded), in order. */
    public List<String> inputNames() {
        return graph.inputs().stream().map(n -> n.attrs().getString("name")).toList();
    }

    /** ONNX names of the graph outputs, in order. */
    public List<String> outputNames() {
        return graph.outputs().stream().map(Graph.Output::name).toList();
    }
}
