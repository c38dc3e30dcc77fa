package org.dlm.backend.llvm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The stride-1 weight-gradient kernel on its own, for the host and for an AVX2 target, against a
 * scalar reference: output channels off the tile height, several images, dilation, kernels of one
 * row, one column and five columns, a grid position count that is and is not a multiple of the
 * vector.
 */
class ConvWeightGradGeneratorTest {
    record Case(long o, long c, long ih, long iw, long kh, long kw, long dh, long dw, long n) {}

    static final Case[] CASES = {
            new Case(13, 3, 9, 11, 3, 3, 1, 1, 2),
            new Case(16, 4, 10, 10, 3, 3, 1, 1, 3),
            new Case(6, 1, 32, 32, 5, 5, 1, 1, 1),
            new Case(9, 2, 15, 17, 3, 3, 2, 3, 2),
            new Case(5, 3, 12, 12, 1, 3, 1, 1, 1),
            new Case(7, 2, 12, 20, 4, 1, 1, 1, 2)};

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void matchesScalarReference(boolean avx2) {
        try (HostTarget target = avx2 ? HostTarget.of("haswell", "+avx2,+fma,+avx,+sse4.2") : HostTarget.detect();
             Jit jit = new Jit(); Arena arena = Arena.ofConfined()) {
            Random r = new Random(11);
            for (int i = 0; i < CASES.length; i++) {
                Case k = CASES[i];
                var cfg = new ConvWeightGradGenerator.Config(k.o(), k.c(), k.ih(), k.iw(), k.kh(), k.kw(), k.dh(), k.dw(), k.n(), target.f32Lanes());
                String name = "wgrad" + i;
                try (ModuleBuilder mb = new ModuleBuilder(name, target)) {
                    ConvWeightGradGenerator.emit(mb, cfg, name);
                    mb.verify();
                    mb.optimize("default<O3>", false);
                    jit.add(mb);
                }
                MethodHandle f = jit.function(name, FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS));
                long oh = cfg.oh(), ow = cfg.ow(), plane = k.ih() * k.iw(), taps = k.kh() * k.kw();
                float[] x = random(r, k.n() * k.c() * plane), gy = random(r, k.n() * k.o() * oh * ow);
                // the output gradient on the row grid [n, o, oh, iw], zero past ow
                MemorySegment g = arena.allocate(4 * k.n() * k.o() * oh * k.iw(), 64);
                for (long p = 0; p < k.n() * k.o(); p++)
                    for (long oy = 0; oy < oh; oy++)
                        for (long ox = 0; ox < ow; ox++)
                            g.setAtIndex(JAVA_FLOAT, (p * oh + oy) * k.iw() + ox, gy[(int) ((p * oh + oy) * ow + ox)]);
                MemorySegment xs = arena.allocateFrom(JAVA_FLOAT, x);
                long size = k.o() * k.c() * taps;
                MemorySegment dw = arena.allocate(4 * (size + 16), 64);
                dw.fill((byte) 0x7f);   // set, not accumulated; the guard past dW must survive
                try {
                    f.invokeExact(xs, g, dw);
                } catch (Throwable t) {
                    throw new AssertionError(t);
                }
                for (long oc = 0; oc < k.o(); oc++)
                    for (long ci = 0; ci < k.c(); ci++)
                        for (long ky = 0; ky < k.kh(); ky++)
                            for (long kx = 0; kx < k.kw(); kx++) {
                                double s = 0;
                                for (long img = 0; img < k.n(); img++)
                                    for (long oy = 0; oy < oh; oy++)
                                        for (long ox = 0; ox < ow; ox++)
                                            s += gy[(int) (((img * k.o() + oc) * oh + oy) * ow + ox)]
                                                    * x[(int) ((img * k.c() + ci) * plane + (oy + ky * k.dh()) * k.iw() + ox + kx * k.dw())];
                                long at = ((oc * k.c() + ci) * k.kh() + ky) * k.kw() + kx;
                                assertEquals(s, dw.getAtIndex(JAVA_FLOAT, at), 1e-4, k + " at " + oc + "," + ci + "," + ky + "," + kx + (avx2 ? " (AVX2)" : ""));
                            }
                for (long p = size; p < size + 16; p++) assertEquals(0x7f7f7f7f, dw.getAtIndex(JAVA_INT, p), k + ": wrote past dW");
            }
        }
    }

    private static float[] random(Random r, long n) {
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = r.nextFloat() - 0.5f;
        return v;
    }
}
