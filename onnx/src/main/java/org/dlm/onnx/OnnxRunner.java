package org.dlm.onnx;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.backend.llvm.LlvmBackend;
import org.dlm.backend.opencl.OpenClBackend;
import org.dlm.runtime.Executable;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.interp.NdArray;
import org.dlm.onnx.proto.OnnxProto.ModelProto;
import org.dlm.passes.lower.LoweringException;
import org.dlm.runtime.Tensor;

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
        return run(m, modelDir, inputs, "interp");
    }

    /**
     * Runs with a backend: {@code interp} (the reference interpreter), {@code llvm} (compiled to
     * native code for this CPU) or {@code opencl} (an OpenCL device, see
     * {@link org.dlm.backend.opencl.OpenClDevice#select}); ops a backend cannot lower are reported as
     * unsupported, a missing OpenCL device as {@link org.dlm.backend.opencl.OpenClException}.
     */
    public static Map<String, NdArray> run(ModelProto m, Path modelDir, Map<String, NdArray> inputs, String backend) {
        ImportedModel im = OnnxImporter.importModel(m, modelDir, OnnxImporter.Options.specializedTo(inputs));
        return run(im, inputs, backend);
    }

    /**
     * Runs an already imported model (e.g. one imported once with {@link OnnxImporter.Options#DEFAULT},
     * whose graph keeps computed conditions and symbolic dims) on {@code interp} or {@code llvm}.
     */
    public static Map<String, NdArray> run(ImportedModel im, Map<String, NdArray> inputs, String backend) {
        checkInputs(im, inputs);
        return switch (backend) {
            case "interp" -> evaluate(im, inputs);
            case "llvm" -> compileAndRun("llvm", () -> LlvmBackend.compile(im.graph(), im.weights(), LlvmBackend.Options.dims(Map.of())
                    .withThreads(Runtime.getRuntime().availableProcessors())), inputs);
            case "opencl" -> compileAndRun("opencl", () -> OpenClBackend.compile(im.graph(), im.weights(), OpenClBackend.Options.dims(Map.of())), inputs);
            default -> throw OnnxException.unsupported("backend", backend + " is not available for onnx-run (use --backend interp, llvm or opencl)");
        };
    }

    /** The importer specializes every shape to the given inputs, so the graph compiles in static mode. */
    private static Map<String, NdArray> compileAndRun(String backend, java.util.function.Supplier<Executable> compile, Map<String, NdArray> inputs) {
        List<Tensor> owned = new ArrayList<>();
        try (Executable exe = compile.get()) {
            Map<String, Tensor> in = new LinkedHashMap<>();
            for (var e : inputs.entrySet()) {
                Tensor t = Tensor.of(e.getValue());
                owned.add(t);
                in.put(e.getKey(), t);
            }
            Map<String, NdArray> out = new LinkedHashMap<>();
            for (var e : exe.run(in).entrySet()) {
                owned.add(e.getValue());
                out.put(e.getKey(), e.getValue().toNdArray());
            }
            return out;
        } catch (LoweringException e) {
            throw new OnnxException(e.problems().stream().map(p -> OnnxIssue.unsupported(backend, p)).toList());
        } finally {
            owned.forEach(Tensor::close);
        }
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

    private static void checkInputs(ImportedModel im, Map<String, NdArray> inputs) {
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
    }

    static Map<String, NdArray> evaluate(ImportedModel im, Map<String, NdArray> inputs) {
        Graph g = im.graph();
        checkInputs(im, inputs);
        try {
            return Interpreter.run(g, inputs, im.weights());
        } catch (OnnxException e) {
            throw e;
        } catch (RuntimeException e) {
            throw OnnxException.error("runtime", "evaluation failed: " + OnnxImporter.Session.describe(e));
        }
    }
}
