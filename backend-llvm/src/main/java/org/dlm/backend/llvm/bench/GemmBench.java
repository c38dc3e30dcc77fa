package org.dlm.backend.llvm.bench;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dlm.backend.llvm.Gemm;
import org.dlm.backend.llvm.GemmConfig;
import org.dlm.backend.llvm.GemmFlags;
import org.dlm.backend.llvm.GemmGenerator;
import org.dlm.backend.llvm.ModuleBuilder;
import org.dlm.runtime.HugePages;
import org.dlm.backend.llvm.HostTarget;

/**
 * fp32 GEMM throughput of the generated kernel, M=N=K, optionally next to numpy/OpenBLAS measured
 * in the same run (ratios are only meaningful within one run).
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp ... org.dlm.backend.llvm.bench.GemmBench \
 *     [--sizes 256,512,1024,2048] [--shapes 1x512x784,64x512x784 (MxNxK)] [--threads 1] [--openblas /usr/lib/x86_64-linux-gnu/libopenblas.so.0] [--numpy /usr/bin/python3] [--rounds 3] [--seconds 1] [--tile 14x32] [--kc 512 --mc 672 --nc 512] [--order a|b (micro-panel kept in L1)] [--prepack a|b|ab]
 * </pre>
 *
 * <p>{@code --prepack b} (or {@code a}, {@code ab}) times every paired size twice: as usual, then
 * with that operand packed once before the timed calls ({@link org.dlm.backend.llvm.GemmFlags#PACKED_B}),
 * as compiled inference models call their weights.
 */
public final class GemmBench {
    public static void main(String[] args) throws Throwable {
        Map<String, String> opt = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                System.err.println("error: unexpected argument " + args[i] + "\nusage: GemmBench [--sizes 256,512] [--threads N] [--numpy PYTHON] [--tile MRxNR] [--kc N] [--mc N] [--nc N]");
                System.exit(2);
            }
            opt.put(args[i].substring(2), args[i + 1]);
        }
        int[] sizes = Arrays.stream(opt.getOrDefault("sizes", "256,512,1024,2048").split(",")).mapToInt(Integer::parseInt).toArray();
        int threads = Integer.parseInt(opt.getOrDefault("threads", "1"));
        double minSeconds = Double.parseDouble(opt.getOrDefault("seconds", "1.0"));
        try (HostTarget host = HostTarget.detect()) {
            GemmConfig cfg = GemmConfig.forTarget(host);
            if (opt.containsKey("tile")) {
                String[] t = opt.get("tile").split("x");
                int mr = Integer.parseInt(t[0]), nr = Integer.parseInt(t[1]);
                cfg = new GemmConfig(mr, nr, cfg.lanes(), cfg.kc(), mr * (cfg.mc() / cfg.mr()), nr * (cfg.nc() / cfg.nr()), cfg.bPanelInL1(), false, false);
            }
            cfg = cfg.withBlocks(Integer.parseInt(opt.getOrDefault("kc", "" + cfg.kc())), Integer.parseInt(opt.getOrDefault("mc", "" + cfg.mc())),
                    Integer.parseInt(opt.getOrDefault("nc", "" + cfg.nc())), !opt.getOrDefault("order", cfg.bPanelInL1() ? "b" : "a").equals("a"));
            System.out.printf("host %s, config %s, threads %d%n", host, cfg, threads);
            if (opt.containsKey("emit")) {   // --emit llvm|asm: print the generated module instead of timing it
                try (ModuleBuilder mb = new ModuleBuilder("dlm_sgemm", host)) {
                    new GemmGenerator(mb, cfg).emit("dlm_sgemm");
                    mb.optimize();
                    System.out.println(opt.get("emit").equals("asm") ? mb.assembly() : mb.llvmIr());
                }
                return;
            }
            int rounds = Integer.parseInt(opt.getOrDefault("rounds", "3"));
            try (Gemm gemm = Gemm.compile(host, cfg, threads)) {
                System.out.printf("compile %.1f ms%n", gemm.compileNanos() / 1e6);
                if (opt.containsKey("openblas")) {
                    try (OpenBlasPeer blas = new OpenBlasPeer(java.nio.file.Path.of(opt.get("openblas")), threads)) {
                        System.out.printf("paired with OpenBLAS (%s), alternating calls, %.1f s per size; GFLOP/s%n", blas.core(), minSeconds);
                        System.out.printf("%14s | %9s %9s | %9s %9s | %12s %12s%n", "size", "dlm best", "dlm med", "blas best", "blas med", "ratio best", "ratio pairs");
                        String pp = opt.getOrDefault("prepack", "");
                        int prepack = (pp.contains("a") ? GemmFlags.PACKED_A : 0) | (pp.contains("b") ? GemmFlags.PACKED_B : 0);
                        List<int[]> shapes = new ArrayList<>();
                        for (int n : sizes) shapes.add(new int[] {n, n, n});
                        for (String shape : opt.getOrDefault("shapes", "").split(",")) {
                            if (shape.isBlank()) continue;
                            String[] d = shape.split("x");   // MxNxK
                            shapes.add(new int[] {Integer.parseInt(d[0]), Integer.parseInt(d[1]), Integer.parseInt(d[2])});
                        }
                        for (int[] d : shapes) {
                            paired(gemm, blas, d[0], d[1], d[2], minSeconds, 0);
                            if (prepack != 0) paired(gemm, blas, d[0], d[1], d[2], minSeconds, prepack);
                        }
                    }
                }
                if (opt.containsKey("numpy")) {
                    try (NumpyPeer numpy = new NumpyPeer(opt.get("numpy"), threads)) {
                        System.out.printf("%d interleaved rounds with numpy of %.1f s per size; GFLOP/s (best of rounds)%n", rounds, minSeconds);
                        System.out.printf("%6s | %9s %9s %9s | %9s %9s %9s | %7s %7s%n", "size", "dlm best", "dlm cpu", "dlm med",
                                "np best", "np cpu", "np med", "r best", "r cpu");
                        for (int n : sizes) {
                            double[] g = new double[3], r = new double[3];
                            for (int round = 0; round < rounds; round++) {
                                max(g, measure(gemm, n, minSeconds));
                                max(r, numpy.measure(n, minSeconds));
                            }
                            System.out.printf("%6d | %9.1f %9.1f %9.1f | %9.1f %9.1f %9.1f | %7.3f %7.3f%n", n, g[0], g[1], g[2],
                                    r[0], r[1], r[2], g[0] / r[0], g[1] / r[1]);
                        }
                    }
                }
                if (!opt.containsKey("openblas") && !opt.containsKey("numpy")) {
                    System.out.printf("%6s | %9s %9s %9s%n", "size", "dlm best", "dlm cpu", "dlm med");
                    for (int n : sizes) {
                        double[] g = measure(gemm, n, minSeconds);
                        System.out.printf("%6d | %9.1f %9.1f %9.1f%n", n, g[0], g[1], g[2]);
                    }
                }
            }
        }
    }

    /** Alternates our call and OpenBLAS's on the same matrices; prints best and median GFLOP/s and the median per-pair ratio. */
    private static void max(double[] acc, double[] x) {
        for (int i = 0; i < acc.length; i++) acc[i] = Math.max(acc[i], x[i]);
    }

    /** Alternates our call and OpenBLAS's on the same matrices; prints best and median GFLOP/s and the median per-pair time ratio. */
    static void paired(Gemm gemm, OpenBlasPeer blas, int m, int n, int k, double minSeconds, int prepack) {
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(n);
            MemorySegment a = HugePages.allocate(arena, 4L * m * k), b = HugePages.allocate(arena, 4L * k * n);
            MemorySegment c = HugePages.allocate(arena, 4L * m * n), c2 = HugePages.allocate(arena, 4L * m * n);
            for (long i = 0; i < (long) m * k; i++) a.setAtIndex(JAVA_FLOAT, i, rnd.nextFloat());
            for (long i = 0; i < (long) k * n; i++) b.setAtIndex(JAVA_FLOAT, i, rnd.nextFloat());
            MemorySegment pa = (prepack & GemmFlags.PACKED_A) != 0 ? gemm.prepackA(m, k, a, k, arena) : a;
            MemorySegment pb = (prepack & GemmFlags.PACKED_B) != 0 ? gemm.prepackB(n, k, b, n, arena) : b;
            Runnable ours = () -> gemm.multiply(m, n, k, pa, k, pb, n, c, n, prepack, MemorySegment.NULL);
            Runnable theirs = () -> blas.multiply(m, n, k, a, b, c2);
            for (int w = 0; w < 3; w++) {
                ours.run();
                theirs.run();
            }
            double maxDiff = 0;
            for (long i = 0; i < (long) m * n; i += 97) maxDiff = Math.max(maxDiff, Math.abs(c.getAtIndex(JAVA_FLOAT, i) - c2.getAtIndex(JAVA_FLOAT, i)));
            List<Double> tOurs = new ArrayList<>(), tTheirs = new ArrayList<>(), ratio = new ArrayList<>();
            long start = System.nanoTime();
            while (tOurs.size() < 10 || System.nanoTime() - start < minSeconds * 1e9) {
                boolean oursFirst = tOurs.size() % 2 == 0;   // alternate the order too
                long t0 = System.nanoTime();
                (oursFirst ? ours : theirs).run();
                long t1 = System.nanoTime();
                (oursFirst ? theirs : ours).run();
                long t2 = System.nanoTime();
                double o = oursFirst ? t1 - t0 : t2 - t1, t = oursFirst ? t2 - t1 : t1 - t0;
                tOurs.add(o);
                tTheirs.add(t);
                ratio.add(t / o);
            }
            tOurs.sort(null);
            tTheirs.sort(null);
            ratio.sort(null);
            double flop = 2.0 * m * n * k;
            String name = (m == n && n == k ? Integer.toString(n) : m + "x" + n + "x" + k)
                    + ((prepack & GemmFlags.PACKED_A) != 0 ? " pA" : "") + ((prepack & GemmFlags.PACKED_B) != 0 ? " pB" : "");
            System.out.printf("%14s | %9.1f %9.1f | %9.1f %9.1f | %12.3f %12.3f   (%d pairs, max |diff| %.1e)%n", name,
                    flop / tOurs.get(0), flop / tOurs.get(tOurs.size() / 2), flop / tTheirs.get(0), flop / tTheirs.get(tTheirs.size() / 2),
                    tTheirs.get(0) / tOurs.get(0), ratio.get(ratio.size() / 2), tOurs.size(), maxDiff);
        }
    }

    /**
     * GFLOP/s as {best wall, median thread-CPU}. The machine is shared, so the fastest wall-clock
     * call and the median CPU time of the calling thread (1 thread only) are the numbers that
     * survive other processes; the median wall time is printed too.
     */
    static double[] measure(Gemm gemm, int n, double minSeconds) {
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(n);
            // Huge pages like numpy's arrays, or the comparison measures TLB misses.
            MemorySegment a = HugePages.allocate(arena, 4L * n * n), b = HugePages.allocate(arena, 4L * n * n), c = HugePages.allocate(arena, 4L * n * n);
            for (long i = 0; i < (long) n * n; i++) {
                a.setAtIndex(JAVA_FLOAT, i, rnd.nextFloat());
                b.setAtIndex(JAVA_FLOAT, i, rnd.nextFloat());
            }
            for (int w = 0; w < 3; w++) gemm.multiply(n, n, n, a, n, b, n, c, n, 0, MemorySegment.NULL);
            List<Long> wall = new ArrayList<>(), cpu = new ArrayList<>();
            long start = System.nanoTime();
            while (wall.size() < 5 || System.nanoTime() - start < minSeconds * 1e9) {
                long c0 = mx.getCurrentThreadCpuTime(), t0 = System.nanoTime();
                gemm.multiply(n, n, n, a, n, b, n, c, n, 0, MemorySegment.NULL);
                wall.add(System.nanoTime() - t0);
                cpu.add(mx.getCurrentThreadCpuTime() - c0);
            }
            wall.sort(null);
            cpu.sort(null);
            double flop = 2.0 * n * n * n;
            return new double[] {flop / wall.get(0), flop / cpu.get(cpu.size() / 2), flop / wall.get(wall.size() / 2)};
        }
    }
}
