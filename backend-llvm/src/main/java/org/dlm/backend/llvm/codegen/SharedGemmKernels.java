package org.dlm.backend.llvm.codegen;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.dlm.backend.llvm.GemmConfig;
import org.dlm.backend.llvm.GemmGenerator;
import org.dlm.backend.llvm.HostTarget;
import org.dlm.backend.llvm.Jit;
import org.dlm.backend.llvm.ModuleBuilder;
import org.dlm.backend.llvm.ModuleCompiler;
import org.dlm.backend.llvm.ObjectCache;
import org.dlm.backend.llvm.ThreadPoolModule;

/**
 * The GEMM microkernels and the thread pool, compiled once per process and shared by every
 * compiled graph: optimizing a GEMM kernel costs far more than a typical graph's own loops, so
 * graphs call these instead of carrying a copy, and one pool (one set of worker threads) serves
 * every executable. At most four kernels (one per transpose variant) ever exist; their JIT lives
 * as long as the process (pool workers run its code). Packing buffers are not shared: each call
 * passes its own.
 *
 * <p>Kernels compile on background threads as soon as they are {@linkplain #request requested}
 * (a graph compile asks for the likely ones before lowering), so their LLVM time overlaps the
 * graph's lowering and optimization. Graph code calls them through external symbols
 * ({@link #symbol}) that are bound to these addresses when the graph's code is linked
 * ({@link KernelCodegen#linkShared}); only the link waits for a compile still in flight.
 */
final class SharedGemmKernels {
    /** The pseudo kernel name of the thread pool's {@link ThreadPoolModule#PARALLEL_FOR}. */
    static final String POOL = "pool";
    private static final String PREFIX = "dlm_shared_";
    private static final Map<String, CompletableFuture<Long>> COMPILED = new HashMap<>();
    private static final ExecutorService COMPILER = Executors.newFixedThreadPool(
            Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors())),
            Thread.ofPlatform().daemon().name("dlm-kernel-compiler-", 0).factory());
    private static Jit jit;
    /**
     * The GEMM kernels are vectorized and register-blocked by construction, so O3 and the
     * auto-vectorizers find nothing to add: measured in one process with alternating calls
     * (ResNet-20 and MobileNet shapes, 512³), O1 code ran 0-5 % faster than O3 (with or without
     * the vectorizers) and compiled in about 60 % of O3's time.
     */
    static final String GEMM_PIPELINE = "default<O1>";

    private SharedGemmKernels() {}

    /** The symbol graph code calls {@code kernel} (sgemm_nn, ..., or {@link #POOL}) by. */
    static String symbol(String kernel) { return kernel.equals(POOL) ? ThreadPoolModule.PARALLEL_FOR : PREFIX + kernel; }

    /** The kernel a symbol names, or null when it is not a shared one. */
    static String kernelOf(String symbol) {
        if (symbol.equals(ThreadPoolModule.PARALLEL_FOR)) return POOL;
        return symbol.startsWith(PREFIX) ? symbol.substring(PREFIX.length()) : null;
    }

    /** Starts compiling {@code kernel} in the background unless it is compiled or in flight. */
    static synchronized CompletableFuture<Long> request(String kernel) {
        return COMPILED.computeIfAbsent(kernel, k -> CompletableFuture.supplyAsync(() -> compile(k), COMPILER));
    }

    /** The native address of {@code kernel}, waiting for (or starting) its compile. */
    static long address(String kernel) {
        try {
            return request(kernel).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw e;
        }
    }

    private static synchronized Jit jit() {
        if (jit == null) jit = new Jit();
        return jit;
    }

    /**
     * Optimizes and emits the kernel's machine code on this thread (its own target machine and
     * context), or takes it from the {@link ObjectCache}, then links it into the shared JIT.
     */
    private static long compile(String kernel) {
        String symbol = symbol(kernel);
        byte[] object;
        try (HostTarget host = HostTarget.detect(); ModuleBuilder mb = new ModuleBuilder(symbol, host)) {
            boolean pool = kernel.equals(POOL);
            if (pool) ThreadPoolModule.link(mb);
            else new GemmGenerator(mb, config(kernel, host)).emit(symbol);
            object = ModuleCompiler.compile(List.of(mb), pool ? "default<O3>" : GEMM_PIPELINE, pool, ObjectCache.standard(), false).objects().get(0);
        }
        Jit shared = jit();
        shared.addObject(object);
        return shared.address(symbol).address();
    }

    static GemmConfig config(String kernel, HostTarget target) {
        boolean ta = kernel.charAt(6) == 't', tb = kernel.charAt(7) == 't';
        return GemmConfig.forTarget(target).withTransposes(ta, tb);
    }
}
