package org.dlm.backend.llvm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.dlm.runtime.HugePages;

/**
 * A JIT-compiled fp32 GEMM for the host CPU, {@code C = epilogue(A·B [+ C])} on row-major
 * off-heap matrices, optionally split over several platform threads (each thread runs the native
 * kernel on its own rows or columns with its own packing buffers).
 *
 * <pre>{@code
 * try (HostTarget host = HostTarget.detect(); Gemm gemm = Gemm.compile(host, 1)) {
 *     gemm.multiply(m, n, k, a, k, b, n, c, n, 0, MemorySegment.NULL);   // C = A·B
 * }
 * }</pre>
 */
public final class Gemm implements AutoCloseable {
    static final String SYMBOL = "dlm_sgemm";
    static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(
            JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG,
            JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
    static final FunctionDescriptor PACK_SIGNATURE = FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS);

    private final GemmConfig config;
    private final int threads;
    private final KernelCache owned;   // null when the code belongs to a shared cache
    private final MethodHandle kernel, prepackA, prepackB;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] packA, packB;
    private final ExecutorService pool;
    private final long compileNanos;

    private Gemm(GemmConfig config, int threads, KernelCache owned, MethodHandle kernel, MethodHandle prepackA, MethodHandle prepackB, long compileNanos) {
        this.config = config;
        this.prepackA = prepackA;
        this.prepackB = prepackB;
        this.threads = threads;
        this.owned = owned;
        this.kernel = kernel;
        this.compileNanos = compileNanos;
        packA = new MemorySegment[threads];
        packB = new MemorySegment[threads];
        for (int t = 0; t < threads; t++) {
            packA[t] = HugePages.allocate(arena, config.packASize() * 4);
            packB[t] = HugePages.allocate(arena, config.packBSize() * 4);
        }
        pool = threads > 1 ? Executors.newFixedThreadPool(threads - 1, r -> {
            Thread th = new Thread(r, "dlm-gemm");
            th.setDaemon(true);
            return th;
        }) : null;
    }

    /** Compiles the GEMM tuned for {@code target}, to run on {@code threads} threads. */
    public static Gemm compile(HostTarget target, int threads) {
        return compile(target, GemmConfig.forTarget(target), threads);
    }

    /** Compiles a GEMM with the given blocking; the returned object owns its machine code. */
    public static Gemm compile(HostTarget target, GemmConfig config, int threads) {
        checkThreads(threads);
        KernelCache own = new KernelCache(target);
        try {
            KernelCache.Compiled c = own.gemm(config);
            return new Gemm(config, threads, own, c.function(), c.prepackA(), c.prepackB(), c.compileNanos());
        } catch (RuntimeException e) {
            own.close();
            throw e;
        }
    }

    /** A GEMM whose machine code comes from (and stays owned by) {@code cache}. */
    public static Gemm from(KernelCache cache, GemmConfig config, int threads) {
        checkThreads(threads);
        KernelCache.Compiled c = cache.gemm(config);
        return new Gemm(config, threads, null, c.function(), c.prepackA(), c.prepackB(), c.compileNanos());
    }

    /**
     * A GEMM emitted by {@link GemmGenerator} with {@code config} into a module of the caller's,
     * at {@code address} (from {@link Jit#address}); the caller keeps the code alive until this closes.
     */
    public static Gemm bind(MemorySegment address, GemmConfig config, int threads) {
        checkThreads(threads);
        return new Gemm(config, threads, null, java.lang.foreign.Linker.nativeLinker().downcallHandle(address, SIGNATURE), null, null, 0);
    }

    private static void checkThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
    }

    public GemmConfig config() { return config; }
    public int threads() { return threads; }
    /** Time from IR generation to a callable kernel (optimization and machine code included; the first compile when cached). */
    public long compileNanos() { return compileNanos; }

    /**
     * {@code C[m×n] = epilogue(A[m×k]·B[k×n] (+ C))}, where A is stored k×m and B n×k when the
     * config says they are transposed; leading dimensions in elements; {@code flags}
     * from {@link GemmFlags}; {@code bias} has n (BIAS_COLUMNS) or m (BIAS_ROWS) floats, else is
     * {@link MemorySegment#NULL}. With {@link GemmFlags#PACKED_A} ({@link GemmFlags#PACKED_B}),
     * {@code a} ({@code b}) is the result of {@link #prepackA} ({@link #prepackB}) for these sizes
     * and its leading dimension is ignored.
     */
    public void multiply(long m, long n, long k, MemorySegment a, long lda, MemorySegment b, long ldb,
                         MemorySegment c, long ldc, int flags, MemorySegment bias) {
        boolean packedA = (flags & GemmFlags.PACKED_A) != 0, packedB = (flags & GemmFlags.PACKED_B) != 0;
        if (packedA) checkPacked("A", a, GemmGenerator.prepackASize(config, m, k));
        else if (config.transA()) checkMatrix("A (transposed)", a, k, m, lda); else checkMatrix("A", a, m, k, lda);
        if (packedB) checkPacked("B", b, GemmGenerator.prepackBSize(config, n, k));
        else if (config.transB()) checkMatrix("B (transposed)", b, n, k, ldb); else checkMatrix("B", b, k, n, ldb);
        checkMatrix("C", c, m, n, ldc);
        if ((flags & GemmFlags.BIAS_COLUMNS) != 0) checkVector(bias, n);
        if ((flags & GemmFlags.BIAS_ROWS) != 0) checkVector(bias, m);
        if (m == 0 || n == 0) return;
        boolean byRows = m >= n;
        long extent = byRows ? m : n, unit = byRows ? config.mr() : config.nr();
        long units = (extent + unit - 1) / unit;
        int parts = (int) Math.min(threads, units);
        if (parts <= 1) {
            call(0, m, n, k, a, lda, b, ldb, c, ldc, flags, bias);
            return;
        }
        long per = (units + parts - 1) / parts * unit;
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 1; t < parts; t++) {
            long start = t * per, len = Math.min(per, extent - start);
            if (len <= 0) break;
            int slot = t;
            futures.add(pool.submit(() -> part(slot, byRows, start, len, m, n, k, a, lda, b, ldb, c, ldc, flags, bias)));
        }
        part(0, byRows, 0, Math.min(per, extent), m, n, k, a, lda, b, ldb, c, ldc, flags, bias);
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for GEMM threads", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("GEMM thread failed", e.getCause());
            }
        }
    }

    /*
     * Workers get raw addresses (bounds were checked above) so that segments of a confined arena
     * work too: the owning thread waits in multiply() until every part is done.
     */
    private void part(int slot, boolean byRows, long start, long len, long m, long n, long k, MemorySegment a, long lda,
                      MemorySegment b, long ldb, MemorySegment c, long ldc, int flags, MemorySegment bias) {
        boolean rowBias = (flags & GemmFlags.BIAS_ROWS) != 0, colBias = (flags & GemmFlags.BIAS_COLUMNS) != 0;
        boolean packedA = (flags & GemmFlags.PACKED_A) != 0, packedB = (flags & GemmFlags.PACKED_B) != 0;
        if (byRows) {   // start is a multiple of mr: a prepacked A's panels start at start·k
            call(slot, len, n, k, at(a, packedA ? start * k : config.transA() ? start : start * lda), lda, at(b, 0), ldb, at(c, start * ldc), ldc, flags,
                    at(bias, rowBias ? start : 0));
        } else {
            call(slot, m, len, k, at(a, 0), lda, at(b, packedB ? start * k : config.transB() ? start * ldb : start), ldb, at(c, start), ldc, flags,
                    at(bias, colBias ? start : 0));
        }
    }

    private static MemorySegment at(MemorySegment s, long floatOffset) {
        return s.address() == 0 ? MemorySegment.NULL : MemorySegment.ofAddress(s.address() + floatOffset * 4);
    }

    /** One single-threaded call with the packing buffers of {@code slot} (0 ≤ slot < threads); callers on different threads use different slots. */
    void multiplyOnSlot(int slot, long m, long n, long k, MemorySegment a, long lda, MemorySegment b, long ldb,
                        MemorySegment c, long ldc, int flags, MemorySegment bias) {
        call(slot, m, n, k, a, lda, b, ldb, c, ldc, flags, bias);
    }

    private void call(int slot, long m, long n, long k, MemorySegment a, long lda, MemorySegment b, long ldb,
                      MemorySegment c, long ldc, int flags, MemorySegment bias) {
        MemorySegment bufA = (flags & GemmFlags.PACKED_A) != 0 ? a : packA[slot], bufB = (flags & GemmFlags.PACKED_B) != 0 ? b : packB[slot];
        try {
            kernel.invokeExact(m, n, k, a, lda, b, ldb, c, ldc, flags, bias, bufA, bufB);
        } catch (Throwable e) {
            throw new IllegalStateException("native GEMM call failed", e);
        }
    }

    /**
     * A (m×k, or k×m when the config transposes A) packed once into a new 64-byte aligned segment
     * of {@code arena}, for {@link #multiply} calls with {@link GemmFlags#PACKED_A} and these m, k.
     */
    public MemorySegment prepackA(long m, long k, MemorySegment a, long lda, Arena arena) {
        if (config.transA()) checkMatrix("A (transposed)", a, k, m, lda); else checkMatrix("A", a, m, k, lda);
        return prepack(prepackA, m, k, a, lda, GemmGenerator.prepackASize(config, m, k), arena);
    }

    /** B (k×n, or n×k when the config transposes B) packed once, for calls with {@link GemmFlags#PACKED_B}; see {@link #prepackA}. */
    public MemorySegment prepackB(long n, long k, MemorySegment b, long ldb, Arena arena) {
        if (config.transB()) checkMatrix("B (transposed)", b, n, k, ldb); else checkMatrix("B", b, k, n, ldb);
        return prepack(prepackB, n, k, b, ldb, GemmGenerator.prepackBSize(config, n, k), arena);
    }

    private static MemorySegment prepack(MethodHandle pack, long extent, long k, MemorySegment src, long ld, long floats, Arena arena) {
        if (pack == null) throw new IllegalStateException("this GEMM was bound without its prepacking functions");
        MemorySegment dst = arena.allocate(floats * 4, 64);
        try {
            pack.invokeExact(extent, k, src, ld, dst);
        } catch (Throwable e) {
            throw new IllegalStateException("native packing failed", e);
        }
        return dst;
    }

    private static void checkPacked(String name, MemorySegment s, long floats) {
        if (s.byteSize() < floats * 4) throw new IllegalArgumentException("prepacked " + name + " needs " + floats * 4 + " bytes, segment has " + s.byteSize());
    }

    private static void checkMatrix(String name, MemorySegment s, long rows, long cols, long ld) {
        if (rows < 0 || cols < 0) throw new IllegalArgumentException(name + " has a negative dimension: " + rows + "x" + cols);
        if (ld < cols) throw new IllegalArgumentException(name + ": leading dimension " + ld + " < " + cols + " columns");
        long need = rows == 0 || cols == 0 ? 0 : ((rows - 1) * ld + cols) * 4;
        if (s.byteSize() < need) throw new IllegalArgumentException(name + " (" + rows + "x" + cols + ", ld " + ld + ") needs " + need + " bytes, segment has " + s.byteSize());
    }

    private static void checkVector(MemorySegment s, long n) {
        if (s.byteSize() < n * 4) throw new IllegalArgumentException("bias needs " + n + " floats, segment has " + s.byteSize() / 4);
    }

    @Override public void close() {
        if (pool != null) pool.shutdownNow();
        arena.close();
        if (owned != null) owned.close();
    }
}
