package org.dlm.backend.opencl;

import java.util.Map;
import org.dlm.ir.Graph;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.ParamBlock;
import org.dlm.runtime.Tensor;

/**
 * The OpenCL backend's entry point: a graph and its parameter values in, an
 * {@link OpenClExecutable} on an OpenCL device out. The graph is lowered exactly as for the LLVM
 * backend; the Kernel IR becomes one OpenCL C program ({@link OpenClCodegen}).
 *
 * <pre>{@code
 * Map<String, NdArray> params = ...;   // or Tensors, by parameter name
 * try (OpenClExecutable exe = OpenClBackend.compile(graph, params, OpenClBackend.Options.dims(Map.of("B", 64L)))) {
 *     System.out.printf("%s: compiled in %.1f ms%n", exe.device(), exe.compileNanos() / 1e6);
 * }
 * }</pre>
 */
public final class OpenClBackend {
    private OpenClBackend() {}

    /**
     * @param dims   a value for every symbolic dim of the graph (static mode)
     * @param device which device (see {@link OpenClDevice#select}); null: {@code DLM_OPENCL_DEVICE}, else the first GPU, else the first device
     */
    public record Options(Map<String, Long> dims, String device) {
        public Options { dims = Map.copyOf(dims); }
        public static Options dims(Map<String, Long> dims) { return new Options(dims, null); }
        public Options withDevice(String d) { return new Options(dims, d); }
    }

    /**
     * Compiles {@code g}; {@code params} maps parameter names to {@link NdArray} or {@link Tensor}
     * values (tensors are copied). Throws {@link org.dlm.passes.lower.LoweringException} listing
     * every op or parameter problem, {@link OpenClException} when there is no usable device.
     */
    public static OpenClExecutable compile(Graph g, Map<String, ?> params, Options options) {
        Map<String, NdArray> values = ParamBlock.values(params);
        return OpenClExecutable.compile(g, values, options);
    }
}
