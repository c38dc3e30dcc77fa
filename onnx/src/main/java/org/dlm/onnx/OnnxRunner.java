package org.dlm.onnx;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.interp.NdArray;
import org.dlm.onnx.proto.OnnxProto.ModelProto;

/**
 * Runs an ONNX model on given arrays through the importer and the reference interpreter. The graph
 * is imported specialized to the inputs' concrete shapes (so every shape computation folds), and
 * operands the converters need at import time (shapes, axes, pads) may be computed from input values.
 *
 * <pre>{@code
 * Map<String, NdArray> out = OnnxRunner.run(Path.of("model.onnx"), Map.of("x", x));
 * }</pre>
 *
 * Every failure is an {@link OnnxException}: unsupported content (exit 3 in the CLI) or an error.
 */
public final class OnnxRunner {
    private OnnxRunner() {}

    /** {@code java org.dlm.onnx.OnnxRunner MODEL --input-dir IN --output-dir OUT ...}; see {@link OnnxRunCommand}. */
    public static void main(String[] args) {
        System.exit(OnnxRunCommand.run(args));
    }

    public static Map<String, NdArray> run(Path model, Map<String, NdArray> inputs) {
        ModelProto m = OnnxImporter.load(model);
        return run(m, model.toAbsolutePath().getParent(), inputs);
    }

    /** @param inputs by ONNX input name; every graph input (initializers excluded) must be given */
    public static Map<String, NdArray> run(ModelProto m, Path modelDir, Map<String, NdArray> inputs) {
        ImportedModel im = OnnxImporter.importModel(m, modelDir, OnnxImporter.Options.specializedTo(inputs));
        return evaluate(im, inputs);
    }

    /** The graph inputs of a model in order (ONNX names, initializers excluded). */
    public static List<String> inputNames(ModelProto m) {
        var inits = new java.util.HashSet<String>();
        m.getGraph().getInitializerList().forEach(t -> inits.add(t.getName()));
        return m.getGraph().getInputList().stream().map(vi -> vi.getName()).filter(n -> !inits.contains(n)).toList();
    }

    /** The graph outputs of a model in order, with their ONNX element type codes. */
    public static Map<String, Integer> outputTypes(ModelProto m) {
        Map<String, Integer> r = new LinkedHashMap<>();
        m.getGraph().getOutputList().forEach(vi -> r.put(vi.getName(), vi.getType().getTensorType().getElemType()));
        return r;
    }

    static Map<String, NdArray> evaluate(ImportedModel im, Map<String, NdArray> inputs) {
        Graph g = im.graph();
        for (Node in : g.inputs()) {
            String name = in.attrs().getString("name");
            NdArray a = inputs.get(name);
            if (a == null) throw OnnxException.error("input", "'" + name + "' was not given");
            if (a.dtype() != in.dtype())
                throw OnnxException.error("input", "'" + name + "' is " + a.dtype() + " but the model expects " + in.dtype());
            if (!in.shape().equals(Shape.of(a.shape())))
                throw OnnxException.error("input", "'" + name + "' has shape " + Arrays.toString(a.shape()) + " but the model expects " + in.shape());
        }
        try {
            return Interpreter.run(g, inputs, im.weights());
        } catch (OnnxException e) {
            throw e;
        } catch (RuntimeException e) {
            throw OnnxException.error("runtime", "evaluation failed: " + OnnxImporter.Session.describe(e));
        }
    }
}
