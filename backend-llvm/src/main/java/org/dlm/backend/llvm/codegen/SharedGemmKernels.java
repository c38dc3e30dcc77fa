package org.dlm.backend.llvm.codegen;

import java.util.HashMap;
import java.util.Map;
import org.dlm.backend.llvm.GemmConfig;
import org.dlm.backend.llvm.GemmGenerator;
import org.dlm.backend.llvm.HostTarget;
import org.dlm.backend.llvm.Jit;
import org.dlm.backend.llvm.ModuleBuilder;
import org.dlm.backend.llvm.ThreadPoolModule;

/**
 * The GEMM microkernels and the thread pool, compiled once per process and shared by every
 * compiled graph: optimizing a GEMM kernel costs far more than a typical graph's own loops, so
 * graphs call these by address instead of carrying a copy, and one pool (one set of worker
 * threads) serves every executable. At most four kernels (one per transpose variant) ever exist;
 * their JIT lives as long as the process (pool workers run its code). Packing buffers are not
 * shared: each call passes its own.
 */
final class SharedGemmKernels {
    private static final Map<String, Long> ADDRESSES = new HashMap<>();
    private static Jit jit;
    private static long parallelFor, parallelForHot, poolEnter, poolLeave;

    private SharedGemmKernels() {}

    private static Jit jit() {
        if (jit == null) jit = new Jit();
        return jit;
    }

    /** The native address of {@link ThreadPoolModule#PARALLEL_FOR}, the process-wide pool's entry. */
    static synchronized long parallelFor(HostTarget target) {
        if (parallelFor != 0) return parallelFor;
        try (ModuleBuilder mb = new ModuleBuilder("dlm_thread_pool", target)) {
            ThreadPoolModule.link(mb);
            mb.optimize();
            jit().add(mb);
        }
        poolEnter = jit().address(ThreadPoolModule.ENTER).address();
        poolLeave = jit().address(ThreadPoolModule.LEAVE).address();
        parallelForHot = jit().address(ThreadPoolModule.PARALLEL_FOR_HOT).address();
        parallelFor = jit().address(ThreadPoolModule.PARALLEL_FOR).address();
        return parallelFor;
    }

    /** The native address of {@link ThreadPoolModule#PARALLEL_FOR_HOT} (small jobs: split only over hot workers). */
    static synchronized long parallelForHot(HostTarget target) {
        parallelFor(target);
        return parallelForHot;
    }

    /** The native address of {@link ThreadPoolModule#ENTER} (opens a session: idle workers stay hot). */
    static synchronized long poolEnter(HostTarget target) {
        parallelFor(target);
        return poolEnter;
    }

    /** The native address of {@link ThreadPoolModule#LEAVE} (closes a session). */
    static synchronized long poolLeave(HostTarget target) {
        parallelFor(target);
        return poolLeave;
    }

    /** The native address of {@code dlm_<kernel>} (kernel = sgemm_nn, sgemm_nt, ...), compiling it on first use. */
    static synchronized long address(String kernel, HostTarget target) {
        Long a = ADDRESSES.get(kernel);
        if (a != null) return a;
        String symbol = "dlm_shared_" + kernel;
        try (ModuleBuilder mb = new ModuleBuilder(symbol, target)) {
            new GemmGenerator(mb, config(kernel, target)).emit(symbol);
            mb.optimize();
            jit().add(mb);
        }
        long address = jit().address(symbol).address();
        ADDRESSES.put(kernel, address);
        return address;
    }

    static GemmConfig config(String kernel, HostTarget target) {
        boolean ta = kernel.charAt(6) == 't', tb = kernel.charAt(7) == 't';
        return GemmConfig.forTarget(target).withTransposes(ta, tb);
    }
}
