package org.dlm.backend.llvm;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GemmTest {
    static HostTarget host;
    static Gemm single, dual;

    @BeforeAll
    static void compile() {
        host = HostTarget.detect();
        single = Gemm.compile(host, 1);
        dual = Gemm.compile(host, 2);
    }

    @AfterAll
    static void free() {
        single.close();
        dual.close();
        host.close();
    }

    static MemorySegment random(Arena arena, Random rnd, long count) {
        MemorySegment s = arena.allocate(Math.max(1, count) * 4, 64);
        for (long i = 0; i < count; i++) s.setAtIndex(JAVA_FLOAT, i, rnd.nextFloat() * 2 - 1);
        return s;
    }

    /** Plain reference in double precision, then the same epilogue. */
    static double[] reference(int m, int n, int k, MemorySegment a, int lda, MemorySegment b, int ldb,
                              MemorySegment c, int ldc, int flags, MemorySegment bias, boolean transA, boolean transB) {
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = (flags & GemmFlags.ACCUMULATE) != 0 ? c.getAtIndex(JAVA_FLOAT, (long) i * ldc + j) : 0;
                for (int p = 0; p < k; p++)
                    s += (double) a.getAtIndex(JAVA_FLOAT, transA ? (long) p * lda + i : (long) i * lda + p)
                            * b.getAtIndex(JAVA_FLOAT, transB ? (long) j * ldb + p : (long) p * ldb + j);
                if ((flags & GemmFlags.BIAS_COLUMNS) != 0) s += bias.getAtIndex(JAVA_FLOAT, j);
                if ((flags & GemmFlags.BIAS_ROWS) != 0) s += bias.getAtIndex(JAVA_FLOAT, i);
                if ((flags & GemmFlags.RELU) != 0) s = Math.max(s, 0);
                if ((flags & GemmFlags.RELU6) != 0) s = Math.min(Math.max(s, 0), 6);
                out[i * n + j] = s;
            }
        return out;
    }

    static void check(Gemm gemm, int m, int n, int k, int pad, int flags, long seed) {
        check(gemm, m, n, k, pad, flags, 0, seed);
    }

    /** {@code prepacked}: {@link GemmFlags#PACKED_A} and/or {@link GemmFlags#PACKED_B}, operands packed once before the call. */
    static void check(Gemm gemm, int m, int n, int k, int pad, int flags, int prepacked, long seed) {
        Random rnd = new Random(seed);
        try (Arena arena = Arena.ofConfined()) {
            boolean ta = gemm.config().transA(), tb = gemm.config().transB();
            int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
            MemorySegment a = random(arena, rnd, (long) (ta ? k : m) * lda), b = random(arena, rnd, (long) (tb ? n : k) * ldb);
            MemorySegment c = random(arena, rnd, (long) m * ldc);
            MemorySegment bias = (flags & GemmFlags.BIAS_COLUMNS) != 0 ? random(arena, rnd, n)
                    : (flags & GemmFlags.BIAS_ROWS) != 0 ? random(arena, rnd, m) : MemorySegment.NULL;
            double[] want = reference(m, n, k, a, lda, b, ldb, c, ldc, flags, bias, ta, tb);
            float[] padding = new float[m * ldc];
            for (int i = 0; i < padding.length; i++) padding[i] = c.getAtIndex(JAVA_FLOAT, i);
            MemorySegment pa = (prepacked & GemmFlags.PACKED_A) != 0 ? gemm.prepackA(m, k, a, lda, arena) : a;
            MemorySegment pb = (prepacked & GemmFlags.PACKED_B) != 0 ? gemm.prepackB(n, k, b, ldb, arena) : b;
            gemm.multiply(m, n, k, pa, lda, pb, ldb, c, ldc, flags | prepacked, bias);
            double tol = 1e-5 * (k + 4);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < ldc; j++) {
                    float got = c.getAtIndex(JAVA_FLOAT, (long) i * ldc + j);
                    if (j < n) {
                        int ii = i, jj = j;
                        assertEquals(want[i * n + j], got, tol, () -> "C[" + ii + "," + jj + "] of " + m + "x" + n + "x" + k + " flags " + flags
                                + " prepacked " + prepacked + " " + gemm.config());
                    } else {
                        assertEquals(padding[i * ldc + j], got, 0f, "padding column written");
                    }
                }
        }
    }

    @Test
    void randomOddSizesMatchReference() {
        Random rnd = new Random(7);
        for (int t = 0; t < 40; t++) {
            int m = 1 + rnd.nextInt(300), n = 1 + rnd.nextInt(300), k = 1 + rnd.nextInt(300);
            check(t % 2 == 0 ? single : dual, m, n, k, rnd.nextInt(3), t % 3 == 0 ? GemmFlags.ACCUMULATE : 0, t);
        }
    }

    @Test
    void tileAndBlockEdges() {
        GemmConfig cfg = single.config();
        int[] ms = {1, cfg.mr() - 1, cfg.mr(), cfg.mr() + 1, cfg.mc() + 1};
        int[] ns = {1, cfg.lanes() - 1, cfg.nr(), cfg.nr() + 1, 2 * cfg.nr() + cfg.lanes() + 3};
        int[] ks = {1, 2, cfg.kc(), cfg.kc() + 1};
        long seed = 0;
        for (int m : ms) for (int n : ns) for (int k : ks) check(single, m, n, k, 0, GemmFlags.ACCUMULATE, seed++);
    }

    @Test
    void largerThanOneBlockInEveryDimension() {
        GemmConfig def = single.config();
        // Small cache blocks, so that several NC, KC and MC blocks are cheap to check.
        GemmConfig small = new GemmConfig(def.mr(), def.nr(), def.lanes(), 24, def.mr() * 2, def.nr() * 2);
        // Both micro-panel orders: B micro-panel kept in L1 over the rows, or A micro-panel over the columns.
        for (GemmConfig cfg : new GemmConfig[] {small, small.withBlocks(24, def.mr() * 2, def.nr() * 2, false),
                small.withBlocks(24, def.mr() * 3, def.nr() * 2, true).withTransposes(true, false),
                small.withBlocks(24, def.mr() * 2, def.nr() * 3, false).withTransposes(false, true)})
            try (Gemm g = Gemm.compile(host, cfg, 2)) {
                check(g, cfg.mc() * 3 + 5, cfg.nc() * 2 + 7, cfg.kc() * 3 + 1, 1, 0, 99);
                check(g, 17, cfg.nc() * 3 + 1, cfg.kc() * 2, 0, GemmFlags.ACCUMULATE | GemmFlags.BIAS_COLUMNS | GemmFlags.RELU, 98);
                check(g, cfg.mc() * 4 + 1, 9, cfg.kc() + 3, 0, GemmFlags.BIAS_ROWS, 97);
            }
    }

    @Test
    void fusedBiasAndReluEpilogue() {
        int[] flags = {GemmFlags.BIAS_COLUMNS, GemmFlags.BIAS_ROWS, GemmFlags.RELU, GemmFlags.BIAS_COLUMNS | GemmFlags.RELU,
                GemmFlags.BIAS_ROWS | GemmFlags.RELU | GemmFlags.ACCUMULATE, GemmFlags.RELU6, GemmFlags.BIAS_COLUMNS | GemmFlags.RELU6 | GemmFlags.ACCUMULATE};
        long seed = 500;
        for (int f : flags) {
            check(single, 37, 45, single.config().kc() + 9, 0, f, seed++);   // epilogue after the last of two k blocks
            check(dual, 50, 29, 13, 2, f, seed++);
            check(dual, 9, 70, 13, 0, f, seed++);   // split by columns
        }
    }

    @Test
    void transposedOperands() {
        GemmConfig def = single.config();
        GemmConfig small = new GemmConfig(def.mr(), def.nr(), def.lanes(), 24, def.mr() * 2, def.nr() * 2);
        Random rnd = new Random(11);
        for (boolean ta : new boolean[] {false, true})
            for (boolean tb : new boolean[] {false, true}) {
                if (!ta && !tb) continue;
                for (GemmConfig cfg : new GemmConfig[] {def.withTransposes(ta, tb), small.withTransposes(ta, tb)})
                    try (Gemm g = Gemm.compile(host, cfg, 2)) {
                        for (int t = 0; t < 4; t++)
                            check(g, 1 + rnd.nextInt(90), 1 + rnd.nextInt(90), 1 + rnd.nextInt(90), t % 2,
                                    t % 2 == 0 ? 0 : GemmFlags.ACCUMULATE | GemmFlags.BIAS_COLUMNS, t * 7 + 1);
                    }
            }
    }

    /** The one-vector-wide tile (28×16 on AVX-512; what compiled models use for N ≤ 16), every transpose, packed per call and prepacked. */
    @Test
    void narrowTileMatchesReference() {
        GemmConfig narrow = single.config().narrow();
        assertEquals(narrow.lanes(), narrow.nr());
        assertEquals(single.config().mr() * single.config().vectorsPerRow(), narrow.mr());
        long seed = 900;
        for (boolean ta : new boolean[] {false, true})
            for (boolean tb : new boolean[] {false, true})
                for (GemmConfig cfg : new GemmConfig[] {narrow.withTransposes(ta, tb), narrow.forRows(27).withTransposes(ta, tb)})
                    try (Gemm g1 = Gemm.compile(host, cfg, 1); Gemm g2 = Gemm.compile(host, cfg, 2)) {
                        for (int kind : new int[] {0, GemmFlags.PACKED_A, GemmFlags.PACKED_B}) {
                            check(g1, 512, 16, 37, 0, GemmFlags.BIAS_ROWS | GemmFlags.RELU, kind, seed++);
                            check(g1, 100, 16, 300, 0, GemmFlags.BIAS_ROWS | GemmFlags.RELU6, kind, seed++);
                            check(g1, cfg.mr() + 1, 13, cfg.kc() + 3, 1, GemmFlags.ACCUMULATE, kind, seed++);
                            check(g1, 9, 2 * cfg.nr() + 5, 7, 0, GemmFlags.BIAS_COLUMNS, kind, seed++);
                            check(g2, 3 * cfg.mr() + 2, 16, 50, 0, GemmFlags.BIAS_ROWS, kind, seed++);   // split by rows
                            check(g2, 10, 4 * cfg.nr() + 3, 31, 2, GemmFlags.ACCUMULATE, kind, seed++);   // split by columns
                        }
                    }
    }

    @Test
    void gemmEmittedIntoAModuleWithOtherKernels() {
        GemmConfig cfg = GemmConfig.forTarget(host);
        try (ModuleBuilder mb = new ModuleBuilder("model", host); Jit jit = new Jit()) {
            JitTest.axpy(mb);
            new GemmGenerator(mb, cfg).emit("layer1_matmul");
            new GemmGenerator(mb, cfg.withTransposes(false, true)).emit("layer2_matmul");
            mb.optimize();
            jit.add(mb);
            try (Gemm g1 = Gemm.bind(jit.address("layer1_matmul"), cfg, 1);
                 Gemm g2 = Gemm.bind(jit.address("layer2_matmul"), cfg.withTransposes(false, true), 2)) {
                check(g1, 33, 47, 19, 0, GemmFlags.RELU, 21);
                check(g2, 33, 47, 19, 1, GemmFlags.BIAS_COLUMNS, 22);
            }
        }
    }

    @Test
    void fewRowsRunUnpacked() {
        int[] flags = {0, GemmFlags.ACCUMULATE, GemmFlags.BIAS_COLUMNS | GemmFlags.RELU, GemmFlags.BIAS_ROWS | GemmFlags.ACCUMULATE};
        long seed = 300;
        for (int m = 1; m <= GemmGenerator.DIRECT_MAX_ROWS + 1; m++)
            for (int f : flags) {
                check(single, m, 1 + (int) (seed * 37 % 150), 1 + (int) (seed * 53 % 300), (int) (seed % 3), f, seed);
                seed++;
                check(dual, m, 200 + m, 17, 0, f, seed++);   // split by columns
            }
    }

    @Test
    void prepackedOperandsMatchReference() {
        GemmConfig def = single.config();
        GemmConfig small = new GemmConfig(def.mr(), def.nr(), def.lanes(), 24, def.mr() * 2, def.nr() * 2);
        int[] kinds = {GemmFlags.PACKED_A, GemmFlags.PACKED_B, GemmFlags.PACKED_A | GemmFlags.PACKED_B};
        long seed = 700;
        for (boolean ta : new boolean[] {false, true})
            for (boolean tb : new boolean[] {false, true})
                for (GemmConfig cfg : new GemmConfig[] {def.withTransposes(ta, tb), small.withTransposes(ta, tb),
                        small.withBlocks(24, def.mr() * 2, def.nr() * 2, true).withTransposes(ta, tb)})
                    try (Gemm g1 = Gemm.compile(host, cfg, 1); Gemm g2 = Gemm.compile(host, cfg, 2)) {
                        for (int kind : kinds) {
                            // edges of tiles and blocks, a few rows (the unpacked path is skipped when an operand is prepacked)
                            check(g1, cfg.mr() + 1, cfg.nr() - 1, cfg.kc() + 1, 1, GemmFlags.ACCUMULATE, kind, seed++);
                            check(g1, 1, 2 * cfg.nr() + 5, 7, 0, GemmFlags.BIAS_COLUMNS | GemmFlags.RELU, kind, seed++);
                            check(g1, cfg.mc() + 3, 2 * cfg.nc() + 1, 2 * cfg.kc() + 5, 0, GemmFlags.BIAS_ROWS, kind, seed++);
                            check(g2, 64, 130, 77, 0, GemmFlags.BIAS_COLUMNS | GemmFlags.RELU, kind, seed++);   // split by rows
                            check(g2, 9, 3 * cfg.nr() + 3, 31, 2, GemmFlags.ACCUMULATE, kind, seed++);   // split by columns
                            check(g2, 1, 1, 1, 0, 0, kind, seed++);
                        }
                    }
    }

    @Test
    void emptyInnerDimensionGivesEpilogueOfZero() {
        check(single, 5, 7, 0, 0, 0, 1);
        check(single, 5, 7, 0, 0, GemmFlags.ACCUMULATE | GemmFlags.BIAS_COLUMNS, 2);
    }

    @Test
    void tooSmallSegmentIsRejectedBeforeNativeCode() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment small = arena.allocate(16);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> single.multiply(4, 4, 4, small, 4, small, 4, small, 4, 0, MemorySegment.NULL));
            assertTrue(e.getMessage().startsWith("A (4x4, ld 4) needs 64 bytes"), e.getMessage());
        }
    }

    @Test
    void avx2ConfigurationIsAlsoCorrect() {
        try (HostTarget avx2 = HostTarget.of("haswell", "+avx2,+fma,+avx,+sse4.2"); Gemm g = Gemm.compile(avx2, 1)) {
            assertEquals(8, g.config().lanes());
            Random rnd = new Random(3);
            for (int t = 0; t < 8; t++)
                check(g, 1 + rnd.nextInt(120), 1 + rnd.nextInt(120), 1 + rnd.nextInt(300), t % 2, t % 2 == 0 ? 0 : GemmFlags.ACCUMULATE | GemmFlags.RELU, t);
        }
    }
}
