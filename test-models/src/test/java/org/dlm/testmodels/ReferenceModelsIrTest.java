package org.dlm.testmodels;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dlm.frontend.Compilation;
import org.dlm.frontend.Frontend;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Verifier;
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.interp.NdArray;
import org.dlm.ir.text.IrParser;
import org.dlm.ir.text.IrPrinter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reference models, compiled from .dlm with this standard library, are well-formed Graph IR
 * whose text reads back to the identical graph in both parser modes; the small ones run.
 */
class ReferenceModelsIrTest {
    private static Graph compile(String model) {
        String text;
        try (var in = ReferenceModelsIrTest.class.getClassLoader().getResourceAsStream("models/" + model + ".dlm")) {
            assertNotNull(in, "models/" + model + ".dlm on the class path");
            text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        Compilation c = Frontend.compile(model + ".dlm", text);
        assertTrue(c.ok(), () -> String.join("", c.diagnostics().stream().map(d -> d.render()).toList()));
        assertEquals(1, c.models().size());
        return c.models().values().iterator().next();
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "lenet", "resnet20", "mobilenet", "transformer"})
    void verifiesAndRoundTrips(String model) {
        Graph g = compile(model);
        assertEquals(List.of(), Verifier.verify(g));
        String text = IrPrinter.print(g);
        assertEquals(g, IrParser.parse(text));
        assertEquals(g, IrParser.parseChecked(text));
        assertEquals(text, IrPrinter.print(IrParser.parse(text)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "lenet"})
    void runsInTheInterpreterForTwoBatchSizes(String model) {
        Graph g = compile(model);
        Random r = new Random(11);
        Map<String, NdArray> params = new HashMap<>();
        for (Node p : g.params()) params.put(p.attrs().getString("name"), random(r, p.dtype(), p.shape().sizes()));
        for (long batch : new long[] {1, 2}) {
            Map<String, NdArray> inputs = new HashMap<>();
            for (Node in : g.inputs()) {
                long[] s = in.shape().substitute(Map.of("B", batch)).sizes();
                inputs.put(in.attrs().getString("name"), random(r, in.dtype(), s));
            }
            Map<String, NdArray> out = Interpreter.run(g, inputs, params);
            assertEquals(g.outputs().size(), out.size());
            NdArray first = out.values().iterator().next();
            assertEquals(batch, first.dim(0));
            for (double v : first.data()) assertTrue(Double.isFinite(v));
        }
    }

    private static NdArray random(Random r, org.dlm.ir.DType t, long... shape) {
        double[] d = new double[(int) NdArray.numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = r.nextGaussian() * 0.1;
        return new NdArray(t, shape, d);
    }
}
