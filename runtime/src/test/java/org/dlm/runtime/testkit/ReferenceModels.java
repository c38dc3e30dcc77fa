package org.dlm.runtime.testkit;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.dlm.frontend.Compilation;
import org.dlm.frontend.Frontend;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;

/** The five reference models shipped in test-models, for every backend's end-to-end tests against the interpreter. */
public final class ReferenceModels {
    private ReferenceModels() {}

    /** Model {@code name} of {@code models/<file>.dlm} on the class path (test-models), compiled by the frontend. */
    public static Graph model(String file, String name) {
        try (InputStream in = ReferenceModels.class.getClassLoader().getResourceAsStream("models/" + file + ".dlm")) {
            assertNotNull(in, "models/" + file + ".dlm on the class path");
            Compilation c = Frontend.compile(file + ".dlm", new String(in.readAllBytes(), StandardCharsets.UTF_8));
            StringBuilder sb = new StringBuilder();
            c.diagnostics().forEach(d -> sb.append(d.render()));
            assertTrue(c.ok(), sb.toString());
            return c.models().get(name);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Parameters like PyTorch's default init scale (uniform ±1/sqrt(fan_in)); norm variances positive. */
    public static Map<String, NdArray> params(Graph g, Random r) {
        Map<String, NdArray> ps = new LinkedHashMap<>();
        for (Node p : g.params()) {
            long[] s = p.shape().sizes();
            String name = p.attrs().getString("name");
            long fanIn = 1;
            for (int i = 1; i < s.length; i++) fanIn *= s[i];
            double bound = s.length > 1 ? 1 / Math.sqrt(fanIn) : 0.5;
            NdArray v = BackendDiff.random(r, p.dtype(), s, -bound, bound);
            if (name.endsWith("running_var") || name.endsWith(".weight") && s.length == 1) v = BackendDiff.random(r, p.dtype(), s, 0.5, 1.5);
            ps.put(name, v);
        }
        return ps;
    }

    /** Random inputs in [-1, 1) for every input of {@code g}, its batch dim {@code B} set to {@code batch}. */
    public static Map<String, NdArray> inputs(Graph g, Random r, long batch) {
        Map<String, NdArray> in = new LinkedHashMap<>();
        for (Node x : g.inputs()) {
            long[] s = x.shape().substitute(Map.of("B", batch)).sizes();
            in.put(x.attrs().getString("name"), BackendDiff.random(r, x.dtype(), s, -1, 1));
        }
        return in;
    }
}
