package org.dlm.runtime;

import java.util.Arrays;
import java.util.Map;
import org.dlm.ir.TensorType;

/**
 * Compiled code for a graph (or a part of one), ready to run: named input tensors in, named
 * output tensors out. Backends (LLVM JIT, OpenCL, an AOT library's binding) implement it; closing
 * it frees the machine code and any buffers it owns. Output tensors belong to the caller.
 *
 * <pre>{@code
 * try (Executable exe = backend.compile(graph);
 *      Tensor x = Tensor.zeros(exe.inputs().get("x"))) {
 *     Map<String, Tensor> out = exe.run(Map.of("x", x));
 *     try (Tensor y = out.get("y")) { System.out.println(y.toNdArray()); }
 * }
 * }</pre>
 */
public interface Executable extends AutoCloseable {
    /** Input names and their static types, in signature order. */
    Map<String, TensorType> inputs();

    /** Output names and their static types, in signature order. */
    Map<String, TensorType> outputs();

    /** Runs once; throws {@link IllegalArgumentException} for missing, extra or mistyped inputs. */
    Map<String, Tensor> run(Map<String, Tensor> inputs);

    @Override void close();

    /** The argument check every implementation starts with: one clear sentence per mismatch. */
    static void checkInputs(Map<String, TensorType> expected, Map<String, Tensor> given) {
        StringBuilder errors = new StringBuilder();
        for (var e : expected.entrySet()) {
            Tensor t = given.get(e.getKey());
            if (t == null) errors.append("missing input '").append(e.getKey()).append("' of type ").append(e.getValue()).append('\n');
            else if (!t.isOpen()) errors.append("input '").append(e.getKey()).append("' is closed\n");
            else if (t.dtype() != e.getValue().dtype() || !Arrays.equals(t.shape(), e.getValue().shape().sizes()))
                errors.append("input '").append(e.getKey()).append("' should be ").append(e.getValue()).append(", got ").append(t.type()).append('\n');
        }
        for (String name : given.keySet())
            if (!expected.containsKey(name)) errors.append("unexpected input '").append(name).append("' (inputs: ").append(expected.keySet()).append(")\n");
        if (!errors.isEmpty()) throw new IllegalArgumentException(errors.toString().strip());
    }
}
