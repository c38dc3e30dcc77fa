package org.dlm.backend.llvm.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import org.dlm.backend.llvm.HostTarget;
import org.dlm.backend.llvm.Jit;
import org.dlm.backend.llvm.ModuleBuilder;
import org.dlm.backend.llvm.ThreadPoolModule;

/**
 * Times the native thread pool itself: the cost of one empty job inside a session (what a batch-1
 * layer pays per split), of a short "executable call" (session enter/leave plus two jobs, as the
 * MLP at batch 1), and a job that streams a GEMV-sized buffer (2.6 MiB of floats, as the MLP's
 * weights) on 1 and on 2 threads, so that one sees whether each worker keeps its share in its own
 * L2, and which share of it the pool's workers streamed (the rest ran on the caller: a worker that
 * was asleep or descheduled when the job came). Thread counts are alternated round by round in one
 * process; medians are reported.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp ... org.dlm.backend.llvm.bench.PoolBench [threads] [rounds] [seconds per case]</pre>
 */
public final class PoolBench {
    public static void main(String[] args) throws Throwable {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 0.3;
        byte[] text;
        try (InputStream in = PoolBench.class.getResourceAsStream("/org/dlm/backend/llvm/bench/pool_bench.ll")) {
            if (in == null) throw new IllegalStateException("pool_bench.ll is missing from the class path");
            text = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (HostTarget host = HostTarget.detect(); ModuleBuilder mb = new ModuleBuilder("pool_bench", host);
             Jit jit = new Jit(); Arena arena = Arena.ofConfined()) {
            ThreadPoolModule.link(mb);
            ThreadPoolModule.linkText(mb, "pool_bench.ll", text);
            mb.optimize();
            jit.add(mb);
            MethodHandle call = jit.function("pool_bench_call", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
            MemorySegment empty = (MemorySegment) jit.function("pool_bench_empty", FunctionDescriptor.of(ADDRESS)).invokeExact();
            MemorySegment stream = (MemorySegment) jit.function("pool_bench_stream", FunctionDescriptor.of(ADDRESS)).invokeExact();
            long floats = 2_678_848 / 4 / 1024 * 1024;
            MemorySegment data = arena.allocate(4 * floats, 64);
            for (long i = 0; i < floats; i++) data.setAtIndex(JAVA_FLOAT, i, 1f);
            MemorySegment out = arena.allocate(4L * 16 * 64, 64);
            MemorySegment ctx = arena.allocate(24, 8);
            long n = 16;
            ctx.set(ADDRESS, 0, data);
            ctx.set(JAVA_LONG, 8, floats / n);
            ctx.set(ADDRESS, 16, out);
            MemorySegment halves = arena.allocate(24, 8);
            halves.set(ADDRESS, 0, data);
            halves.set(JAVA_LONG, 8, floats / 2);
            halves.set(ADDRESS, 16, out);
            record Case(String name, MemorySegment fn, MemorySegment ctx, long n, long jobs, long hot, double bytes, long gapNanos) {}
            Case[] cases = {
                new Case("empty job (1000 per session), ns/job", empty, MemorySegment.NULL, 8, 1000, 0, 0, 0),
                new Case("call = session + 2 empty jobs, ns/call", empty, MemorySegment.NULL, 8, 2, 0, 0, 0),
                new Case("call = 1 job streaming 2.6 MiB, ns/call", stream, ctx, n, 1, 0, 4.0 * floats, 0),
                new Case("call = 1 hot job streaming 2.6 MiB, ns/call", stream, ctx, n, 1, 1, 4.0 * floats, 0),
                new Case("call = 2 hot jobs of 2 parts, 2.6 MiB each, ns/call", stream, halves, 2, 2, 1, 8.0 * floats, 0),
                new Case("same, 50 us of Java between calls, ns/call", stream, halves, 2, 2, 1, 8.0 * floats, 50_000),
            };
            System.out.printf("pool bench: 1 vs %d threads, %d rounds of %.2f s per case (medians); load %s%n", threads, rounds, seconds,
                    java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim());
            for (Case c : cases) {
                double[][] t = new double[2][rounds];
                double[] mine = new double[2];   // floats streamed by the caller, by the workers (2-thread calls)
                for (int r = 0; r < rounds; r++) {
                    for (int k = 0; k < 2; k++) {
                        long th = k == 0 ? 1 : threads;
                        for (int i = 0; i < 50; i++) call.invokeExact(c.fn(), c.ctx(), c.n(), c.jobs(), th, c.hot());
                        long start = System.nanoTime(), end;
                        long[] each = new long[1 << 16];
                        int m = 0;
                        do {
                            if (c.bytes() > 0) out.fill((byte) 0);
                            long a = System.nanoTime();
                            call.invokeExact(c.fn(), c.ctx(), c.n(), c.jobs(), th, c.hot());
                            end = System.nanoTime();
                            if (m < each.length) each[m++] = end - a;
                            if (c.bytes() > 0 && k == 1) {
                                for (int lane = 0; lane < 16 * 64; lane++) {
                                    double v = out.getAtIndex(JAVA_FLOAT, lane);
                                    if (lane < 16) mine[0] += v; else mine[1] += v;
                                }
                            }
                            while (System.nanoTime() < end + c.gapNanos()) Thread.onSpinWait();
                        } while (end - start < seconds * 1e9);
                        long[] s = Arrays.copyOf(each, m);
                        Arrays.sort(s);
                        double median = s[m / 2];
                        t[k][r] = c.jobs() > 2 ? median / c.jobs() : median;
                    }
                }
                double a = median(t[0]), b = median(t[1]);
                System.out.printf("%-42s t1 %10.0f  t%d %10.0f  t%d/t1 %.2f%s%n", c.name(), a, threads, b, threads, b / a,
                        c.bytes() > 0 ? String.format("  (%.1f / %.1f GB/s, workers streamed %.0f %%)", c.bytes() / a, c.bytes() / b,
                                100 * mine[1] / (mine[0] + mine[1])) : "");
            }
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
