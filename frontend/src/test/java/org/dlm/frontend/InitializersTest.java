package org.dlm.frontend;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import java.util.Random;
import org.dlm.ir.Graph;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;

/** The init specs the frontend writes can be executed, with PyTorch's bounds. */
class InitializersTest {
    @Test
    void parsesCanonicalSpecs() {
        assertEquals(new Initializers.Spec("kaiming_uniform", Map.of("fan_in", 400.0, "a", 2.23606797749979)),
                Initializers.parse("kaiming_uniform(fan_in=400, a=2.23606797749979)"));
        assertEquals(new Initializers.Spec("zeros", Map.of()), Initializers.parse("zeros()"));
        assertThrows(IllegalArgumentException.class, () -> Initializers.parse("zeros"));
        assertThrows(IllegalArgumentException.class, () -> Initializers.parse("uniform(low=x)"));
    }

    @Test
    void valuesFollowTheDeclaredInitializers() {
        Compilation c = Frontend.compile("i.dlm", """
                model M {
                    param w: f32[64, 100] = kaiming_uniform(fan_in = 100, a = 2.23606797749979)
                    param b: f32[64] = uniform(-0.1, 0.1)
                    param g: f32[1000] = normal(mean = 1.0, std = 0.5)
                    param x: f32[30, 20] = xavier_uniform(fan_in = 20, fan_out = 30)
                    buffer k: f32[3] = constant(7)
                    buffer o: f32[3] = ones()
                    forward(x: f32[B, 2]) { return x }
                }
                """);
        assertTrue(c.ok(), DiagnosticsTest.render(c));
        Graph g = c.models().get("M");
        Random rnd = new Random(1);
        NdArray w = Initializers.create(g.param("w"), rnd);
        double bound = Math.sqrt(2.0 / 6.0) * Math.sqrt(3.0 / 100);   // = 1/sqrt(100), PyTorch's Linear weight bound
        assertEquals(0.1, bound, 1e-12);
        assertTrue(max(w) <= bound && min(w) >= -bound && max(w) > 0.9 * bound);
        NdArray b = Initializers.create(g.param("b"), rnd);
        assertTrue(max(b) <= 0.1 && min(b) >= -0.1);
        NdArray n = Initializers.create(g.param("g"), rnd);
        assertEquals(1.0, mean(n), 0.06);
        NdArray x = Initializers.create(g.param("x"), rnd);
        assertTrue(max(x) <= Math.sqrt(6.0 / 50) && min(x) >= -Math.sqrt(6.0 / 50));
        assertArrayEquals(new double[] {7, 7, 7}, data(Initializers.create(g.param("k"), rnd)));
        assertArrayEquals(new double[] {1, 1, 1}, data(Initializers.create(g.param("o"), rnd)));
        assertArrayEquals(new long[] {64, 100}, w.shape());
    }

    static double[] data(NdArray a) {
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) d[i] = a.get(i);
        return d;
    }

    static double max(NdArray a) { return java.util.Arrays.stream(data(a)).max().orElseThrow(); }
    static double min(NdArray a) { return java.util.Arrays.stream(data(a)).min().orElseThrow(); }
    static double mean(NdArray a) { return java.util.Arrays.stream(data(a)).average().orElseThrow(); }
}
