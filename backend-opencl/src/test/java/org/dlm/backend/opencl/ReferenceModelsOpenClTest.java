package org.dlm.backend.opencl;

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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reference models (test-models) on OpenCL, checked against the interpreter with random parameters. */
class ReferenceModelsOpenClTest {
    static Graph model(String file, String name) {
        try (InputStream in = ReferenceModelsOpenClTest.class.getClassLoader().getResourceAsStream("models/" + file + ".dlm")) {
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
    static Map<String, NdArray> params(Graph g, Random r) {
        Map<String, NdArray> ps = new LinkedHashMap<>();
        for (Node p : g.params()) {
            long[] s = p.shape().sizes();
            String name = p.attrs().getString("name");
            long fanIn = 1;
            for (int i = 1; i < s.length; i++) fanIn *= s[i];
            double bound = s.length > 1 ? 1 / Math.sqrt(fanIn) : 0.5;
            NdArray v = Diff.random(r, p.dtype(), s, -bound, bound);
            if (name.endsWith("running_var") || name.endsWith(".weight") && s.length == 1) v = Diff.random(r, p.dtype(), s, 0.5, 1.5);
            ps.put(name, v);
        }
        return ps;
    }

    @ParameterizedTest
    @CsvSource({"mlp,MLP,3", "lenet,LeNet,2", "resnet20,ResNet20,1", "mobilenet,MobileNet,1", "transformer,Transformer,1"})
    void modelMatchesTheInterpreter(String file, String name, long batch) {
        Graph g = model(file, name);
        assertNotNull(g, name);
        Random r = new Random(42);
        Map<String, NdArray> ps = params(g, r);
        Map<String, NdArray> in = new LinkedHashMap<>();
        for (Node x : g.inputs()) {
            long[] s = x.shape().substitute(Map.of("B", batch)).sizes();
            in.put(x.attrs().getString("name"), Diff.random(r, x.dtype(), s, -1, 1));
        }
        double worst = Diff.compare(g, in, ps, Map.of("B", batch), 1e-3);
        assertTrue(worst < 1e-3, "worst relative error " + worst);
    }
}
