package org.dlm.runtime.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.NdArray;

/**
 * Loads and saves the parameters of a {@link Graph} by name. Loading checks everything at once
 * and reports every problem together: parameters the file lacks, tensors the model does not
 * have, and each shape or dtype that differs, e.g.
 * {@code weights.npz: tensor 'fc1.weight' has shape [512, 784] but the model expects [120, 400]}.
 *
 * <pre>{@code
 * Map<String, NdArray> params = ParamStore.load(graph, Path.of("lenet.safetensors"));
 * ParamStore.save(Path.of("ckpt.safetensors"), graph, params);
 * }</pre>
 */
public final class ParamStore {
    private ParamStore() {}

    /** Reads {@code .safetensors} or {@code .npz} and matches it against {@code g}'s params (graph order). */
    public static Map<String, NdArray> load(Graph g, Path file) throws IOException {
        return match(g, file.toString(), TensorFiles.readAll(file));
    }

    /** Checks {@code tensors} against the params of {@code g}; {@code where} names their file in messages. */
    public static Map<String, NdArray> match(Graph g, String where, Map<String, RawTensor> tensors) throws DataFormatException {
        List<String> problems = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        Map<String, NdArray> out = new LinkedHashMap<>();
        for (Node p : g.params()) {
            String name = p.attrs().getString("name");
            RawTensor t = tensors.get(name);
            if (t == null) { missing.add(name); continue; }
            if (!fits(p.shape(), t.shape()))
                problems.add("tensor '" + name + "' has shape " + Arrays.toString(t.shape()) + " but the model expects " + p.shape());
            else if (t.dtype() != p.dtype())
                problems.add("tensor '" + name + "' has dtype " + t.dtype() + " but the model expects " + p.dtype());
            else out.put(name, t.toNdArray());
        }
        List<String> unexpected = new ArrayList<>();
        for (String n : tensors.keySet()) if (g.param(n) == null) unexpected.add(n);
        if (!missing.isEmpty())
            problems.add(count(missing.size(), "parameter") + " of model '" + g.name() + "' " + (missing.size() == 1 ? "is" : "are") + " missing: " + String.join(", ", missing));
        if (!unexpected.isEmpty())
            problems.add(count(unexpected.size(), "tensor") + " in the file " + (unexpected.size() == 1 ? "is not a parameter" : "are not parameters") + " of model '" + g.name() + "': " + String.join(", ", unexpected));
        if (!problems.isEmpty()) throw new DataFormatException(where, String.join("\n" + where + ": ", problems));
        return out;
    }

    /**
     * Writes a safetensors checkpoint atomically, params in graph order, with metadata
     * {@code model} = the graph's name. Every param of {@code g} must have a value of its type.
     */
    public static void save(Path file, Graph g, Map<String, NdArray> values) throws IOException {
        Map<String, RawTensor> ts = new LinkedHashMap<>();
        for (var e : values.entrySet()) ts.put(e.getKey(), RawTensor.of(e.getValue()));
        match(g, file.toString(), ts);
        Map<String, RawTensor> ordered = new LinkedHashMap<>();
        for (Node p : g.params()) {
            String n = p.attrs().getString("name");
            ordered.put(n, ts.get(n));
        }
        Safetensors.write(file, ordered, Map.of("model", g.name(), "format", "dlm"));
    }

    /** Symbolic dims (not expected in params, but harmless) match any size. */
    private static boolean fits(Shape expected, long[] actual) {
        if (expected.rank() != actual.length) return false;
        for (int i = 0; i < actual.length; i++) {
            Dim d = expected.dim(i);
            if (d.isConst() && d.value() != actual[i]) return false;
        }
        return true;
    }

    private static String count(int n, String noun) { return n + " " + noun + (n == 1 ? "" : "s"); }

}
