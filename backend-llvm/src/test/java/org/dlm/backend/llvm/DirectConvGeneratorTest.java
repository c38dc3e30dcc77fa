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
 * The direct convolution kernel on its own, for the host (AVX-512 here: register compress) and for
 * an AVX2 target (4×3 ymm tile, LLVM's generic compressing store), against a scalar reference on
 * the phase-plane input layout of {@code sconv_direct}: channel counts off the tile height,
 * strides, dilation, a single input channel, with and without bias and ReLU.
 */
class DirectConvGeneratorTest {
    record Case(long o, long c, long ih, long iw, long kh, long kw, long sh, long sw, long dh, long dw, int flags) {}

    static final Case[] CASES = {
            new Case(13, 3, 9, 11, 3, 3, 1, 1, 1, 1, GemmFlags.BIAS_ROWS | GemmFlags.RELU),
            new Case(8, 5, 20, 19, 3, 3, 1, 1, 1, 1, 0),
            new Case(5, 4, 13, 12, 3, 2, 2, 3, 1, 1, GemmFlags.BIAS_ROWS),
            new Case(9, 2, 15, 17, 3, 3, 1, 2, 2, 3, GemmFlags.RELU),
            new Case(6, 1, 32, 32, 5, 5, 1, 1, 1, 1, GemmFlags.BIAS_ROWS | GemmFlags.RELU),
            new Case(3, 1, 14, 16, 3, 4, 2, 2, 2, 1, GemmFlags.BIAS_ROWS)};

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void matchesScalarReference(boolean avx2) {
        try (HostTarget target = avx2 ? HostTarget.of("haswell", "+avx2,+fma,+avx,+sse4.2") : HostTarget.detect();
             Jit jit = new Jit(); Arena arena = Arena.ofConfined()) {
            Random r = new Random(7);
            for (int n = 0; n < CASES.length; n++) {
                Case k = CASES[n];
                var cfg = new DirectConvGenerator.Config(k.o(), k.c(), k.ih(), k.iw(), k.kh(), k.kw(), k.sh(), k.sw(), k.dh(), k.dw(), target.f32Lanes());
                String name = "conv" + n;
                try (ModuleBuilder mb = new ModuleBuilder(name, target)) {
                    DirectConvGenerator.emit(mb, cfg, name);
                    mb.verify();
                    mb.optimize("default<O3>", false);
                    jit.add(mb);
                }
                MethodHandle f = jit.function(name, FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
                float[] image = random(r, k.c() * k.ih() * k.iw()), w = random(r, k.o() * k.c() * k.kh() * k.kw()), bias = random(r, k.o());
                long oh = cfg.oh(), ow = cfg.ow(), ph = cfg.ph(), pw = cfg.pw();
                // the image in phase planes [c, sh, sw, ph, pw], zero past the image
                MemorySegment x = arena.allocate(4 * k.c() * cfg.channelStride(), 64);
                for (long ci = 0; ci < k.c(); ci++)
                    for (long yy = 0; yy < k.ih(); yy++)
                        for (long xx = 0; xx < k.iw(); xx++)
                            x.setAtIndex(JAVA_FLOAT, ci * cfg.channelStride() + ((yy % k.sh()) * k.sw() + xx % k.sw()) * ph * pw + (yy / k.sh()) * pw + xx / k.sw(),
                                    image[(int) ((ci * k.ih() + yy) * k.iw() + xx)]);
                MemorySegment ws = arena.allocateFrom(JAVA_FLOAT, w), bs = arena.allocateFrom(JAVA_FLOAT, bias);
                MemorySegment y = arena.allocate(4 * (k.o() * oh * ow + 16), 64);
                y.fill((byte) 0x7f);   // the guard past the output must survive
                MemorySegment b = (k.flags() & GemmFlags.BIAS_ROWS) != 0 ? bs : MemorySegment.NULL;
                try {
                    f.invokeExact(x, ws, y, b, k.flags());
                } catch (Throwable t) {
                    throw new AssertionError(t);
                }
                for (long oc = 0; oc < k.o(); oc++)
                    for (long oy = 0; oy < oh; oy++)
                        for (long ox = 0; ox < ow; ox++) {
                            double s = (k.flags() & GemmFlags.BIAS_ROWS) != 0 ? bias[(int) oc] : 0;
                            for (long ci = 0; ci < k.c(); ci++)
                                for (long ky = 0; ky < k.kh(); ky++)
                                    for (long kx = 0; kx < k.kw(); kx++)
                                        s += w[(int) (((oc * k.c() + ci) * k.kh() + ky) * k.kw() + kx)]
                                                * image[(int) ((ci * k.ih() + oy * k.sh() + ky * k.dh()) * k.iw() + ox * k.sw() + kx * k.dw())];
                            if ((k.flags() & GemmFlags.RELU) != 0) s = Math.max(s, 0);
                            assertEquals(s, y.getAtIndex(JAVA_FLOAT, (oc * oh + oy) * ow + ox), 1e-4, k + " at " + oc + "," + oy + "," + ox + (avx2 ? " (AVX2)" : ""));
                        }
                for (long g = k.o() * oh * ow; g < k.o() * oh * ow + 16; g++) assertEquals(0x7f7f7f7f, y.getAtIndex(JAVA_INT, g), k + ": wrote past Y");
            }
        }
    }

    private static float[] random(Random r, long n) {
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = r.nextFloat() - 0.5f;
        return v;
    }
}
