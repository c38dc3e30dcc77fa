package org.dlm.backend.llvm;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.OpTable;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The JIT-compiled convolution against the reference interpreter's conv2d (+ relu). */
class Conv2dTest {
    static HostTarget host;

    @BeforeAll static void detect() { host = HostTarget.detect(); }
    @AfterAll static void free() { host.close(); }

    static NdArray random(Random rnd, long... shape) {
        double[] d = new double[(int) NdArray.numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = rnd.nextFloat() * 2 - 1;
        return new NdArray(DType.F32, shape, d);
    }

    static MemorySegment copy(Arena arena, NdArray x) {
        MemorySegment s = arena.allocate(Math.max(4, 4L * x.size()), 64);
        for (int i = 0; i < x.size(); i++) s.setAtIndex(JAVA_FLOAT, i, (float) x.get(i));
        return s;
    }

    static void check(Conv2dSpec s, boolean bias, boolean relu, int threads, long seed) {
        Random rnd = new Random(seed);
        NdArray x = random(rnd, s.n(), s.c(), s.h(), s.w()), w = random(rnd, s.cout(), s.c(), s.kh(), s.kw()), b = random(rnd, s.cout());
        Attrs attrs = Attrs.of("stride", List.of((long) s.strideH(), (long) s.strideW()),
                "padding", List.of((long) s.padH(), (long) s.padW(), (long) s.padH(), (long) s.padW()),
                "dilation", List.of((long) s.dilationH(), (long) s.dilationW()), "groups", 1L);
        TensorType outType = TensorType.of(DType.F32, s.n(), s.cout(), s.outH(), s.outW());
        NdArray want = OpTable.require("conv2d").kernel().eval(bias ? List.of(x, w, b) : List.of(x, w), attrs, outType);
        if (relu) want = OpTable.require("relu").kernel().eval(List.of(want), Attrs.EMPTY, outType);
        try (Arena arena = Arena.ofConfined(); Conv2d conv = Conv2d.compile(host, s, threads)) {
            MemorySegment out = arena.allocate(4L * want.size(), 64);
            conv.run(copy(arena, x), copy(arena, w), bias ? copy(arena, b) : MemorySegment.NULL, out, relu);
            double tol = 1e-5 * (s.patch() + 4);
            for (int i = 0; i < want.size(); i++) {
                int at = i;
                assertEquals(want.get(i), out.getAtIndex(JAVA_FLOAT, i), tol, () -> s + " element " + at);
            }
        }
    }

    @Test
    void paddedStridedDilatedAndPointwise() {
        check(Conv2dSpec.of(2, 3, 11, 9, 5, 3, 1, 1), true, true, 2, 1);
        check(Conv2dSpec.of(3, 4, 12, 12, 6, 3, 2, 1), true, false, 2, 2);
        check(Conv2dSpec.of(1, 1, 28, 28, 6, 5, 1, 2), true, true, 1, 3);     // lenet conv1
        check(new Conv2dSpec(2, 3, 10, 13, 4, 3, 2, 2, 1, 2, 1, 2, 2), false, false, 1, 4);   // asymmetric, dilated
        check(Conv2dSpec.of(2, 16, 8, 8, 33, 1, 1, 0), true, true, 2, 5);     // pointwise: no im2col
        check(Conv2dSpec.of(1, 2, 3, 3, 2, 3, 1, 0), false, true, 1, 6);      // one output pixel
    }

    @Test
    void layersShareOneGemmThroughTheCache() {
        try (KernelCache kernels = new KernelCache(host)) {
            Conv2dSpec a = Conv2dSpec.of(1, 4, 9, 9, 28, 3, 1, 1), b = Conv2dSpec.of(2, 8, 5, 5, 28, 1, 1, 0), c = Conv2dSpec.of(1, 4, 6, 6, 16, 3, 2, 0);
            try (Conv2d ca = Conv2d.compile(kernels, a, 1); Conv2d cb = Conv2d.compile(kernels, b, 2); Conv2d cc = Conv2d.compile(kernels, c, 1)) {
                assertEquals(2, kernels.size());   // 28 channels share one tile height, 16 gets another
                Random rnd = new Random(5);
                for (Conv2d conv : new Conv2d[] {ca, cb, cc}) {
                    Conv2dSpec s = conv.spec();
                    NdArray x = random(rnd, s.n(), s.c(), s.h(), s.w()), w = random(rnd, s.cout(), s.c(), s.kh(), s.kw());
                    Attrs attrs = Attrs.of("stride", List.of((long) s.strideH(), (long) s.strideW()),
                            "padding", List.of((long) s.padH(), (long) s.padW(), (long) s.padH(), (long) s.padW()),
                            "dilation", List.of(1L, 1L), "groups", 1L);
                    NdArray want = OpTable.require("conv2d").kernel().eval(List.of(x, w), attrs, TensorType.of(DType.F32, s.n(), s.cout(), s.outH(), s.outW()));
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment out = arena.allocate(4L * want.size(), 64);
                        conv.run(copy(arena, x), copy(arena, w), MemorySegment.NULL, out, false);
                        for (int i = 0; i < want.size(); i++) assertEquals(want.get(i), out.getAtIndex(JAVA_FLOAT, i), 1e-4);
                    }
                }
            }
        }
    }

    @Test
    void wrongSizesAreRejectedBeforeNativeCode() {
        try (Arena arena = Arena.ofConfined(); Conv2d conv = Conv2d.compile(host, Conv2dSpec.of(1, 2, 4, 4, 3, 3, 1, 1), 1)) {
            MemorySegment small = arena.allocate(8);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> conv.run(small, small, MemorySegment.NULL, small, false));
            assertEquals("conv2d input needs 32 floats, segment has 2", e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Conv2dSpec.of(1, 1, 2, 2, 1, 5, 1, 0));
        assertTrue(e.getMessage().startsWith("conv2d kernel larger than the padded input"), e.getMessage());
    }
}
