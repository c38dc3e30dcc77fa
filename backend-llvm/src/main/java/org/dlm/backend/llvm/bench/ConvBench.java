package org.dlm.backend.llvm.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.dlm.backend.llvm.Conv2d;
import org.dlm.backend.llvm.Conv2dSpec;
import org.dlm.backend.llvm.HostTarget;
import org.dlm.backend.llvm.KernelCache;
import org.dlm.runtime.HugePages;

/**
 * Times the convolutions of ResNet-20 (CIFAR, the shared/bench reference model) one by one with
 * fused bias+ReLU, and their sum: a rough standing against a whole-model latency of a peer.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp ... org.dlm.backend.llvm.bench.ConvBench [batch] [threads]</pre>
 */
public final class ConvBench {
    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        List<Conv2dSpec> layers = new ArrayList<>();
        layers.add(Conv2dSpec.of(batch, 3, 32, 32, 16, 3, 1, 1));
        for (int i = 0; i < 6; i++) layers.add(Conv2dSpec.of(batch, 16, 32, 32, 16, 3, 1, 1));
        int[][] stages = {{16, 32, 32}, {32, 64, 16}};   // in channels, out channels, input size
        for (int[] st : stages) {
            layers.add(Conv2dSpec.of(batch, st[0], st[2], st[2], st[1], 3, 2, 1));
            layers.add(Conv2dSpec.of(batch, st[0], st[2], st[2], st[1], 1, 2, 0));   // projection shortcut
            for (int i = 0; i < 5; i++) layers.add(Conv2dSpec.of(batch, st[1], st[2] / 2, st[2] / 2, st[1], 3, 1, 1));
        }
        double totalMs = 0, totalFlops = 0, compileMs = 0;
        try (HostTarget host = HostTarget.detect(); KernelCache kernels = new KernelCache(host)) {
            System.out.printf("ResNet-20 convolutions, batch %d, %d thread(s), %s%n", batch, threads, host);
            System.out.printf("%-40s %10s %10s %10s%n", "layer", "best ms", "GFLOP/s", "compile ms");
            for (Conv2dSpec s : layers) {
                try (Conv2d conv = Conv2d.compile(kernels, s, threads); Arena arena = Arena.ofConfined()) {
                    MemorySegment in = HugePages.allocate(arena, 4L * s.n() * s.c() * s.h() * s.w());
                    MemorySegment w = HugePages.allocate(arena, 4L * s.cout() * s.patch());
                    MemorySegment b = HugePages.allocate(arena, 4L * s.cout());
                    MemorySegment out = HugePages.allocate(arena, 4L * s.n() * s.cout() * s.outH() * s.outW());
                    for (int i = 0; i < 3; i++) conv.run(in, w, b, out, true);
                    long best = Long.MAX_VALUE, start = System.nanoTime();
                    int reps = 0;
                    while (reps < 10 || System.nanoTime() - start < 300_000_000L) {
                        long t0 = System.nanoTime();
                        conv.run(in, w, b, out, true);
                        best = Math.min(best, System.nanoTime() - t0);
                        reps++;
                    }
                    String name = String.format("%dx%dx%d -> %d k%d s%d", s.c(), s.h(), s.w(), s.cout(), s.kh(), s.strideH());
                    System.out.printf("%-40s %10.3f %10.1f %10.1f%n", name, best / 1e6, s.flops() / best, conv.compileNanos() / 1e6);
                    totalMs += best / 1e6;
                    totalFlops += s.flops();
                    compileMs += conv.compileNanos() / 1e6;
                }
            }
            System.out.printf("sum of %d convolutions: %.2f ms, %.1f GFLOP/s, compile %.0f ms in total (%d distinct GEMM kernels)%n",
                    layers.size(), totalMs, totalFlops / totalMs / 1e6, compileMs, kernels.size());
        }
    }
}
