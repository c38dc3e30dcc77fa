package org.dlm.backend.llvm.codegen;

import java.util.HashMap;
import java.util.Map;
import org.dlm.backend.llvm.DirectConvGenerator;
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
    private static final Map<DirectConvGenerator.Config, Long> CONVS = new HashMap<>();
    private static Jit jit;
    private static long parallelFor;

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
        parallelFor = jit().address(ThreadPoolModule.PARALLEL_FOR).address();
        return parallelFor;
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

    /**
     * The native address of the direct convolution specialized on {@code cfg}, compiling it on
     * first use: one function per distinct layer shape, shared by every executable (ResNet-20 has
     * four; a repeated model compile finds them all).
     */
    static synchronized long directConv(DirectConvGenerator.Config cfg, HostTarget target) {
        Long a = CONVS.get(cfg);
        if (a != null) return a;
        String symbol = "dlm_shared_sconv_" + CONVS.size();
        try (ModuleBuilder mb = new ModuleBuilder(symbol, target)) {
            DirectConvGenerator.emit(mb, cfg, symbol);
            mb.verify();
            mb.optimize("default<O3>", false);   // vectorized and register-tiled by construction
            jit().add(mb);
        }
        long address = jit().address(symbol).address();
        CONVS.put(cfg, address);
        return address;
    }

    static GemmConfig config(String kernel, HostTarget target) {
        boolean ta = kernel.charAt(6) == 't', tb = kernel.charAt(7) == 't';
        return GemmConfig.forTarget(target).withTransposes(ta, tb);
    }
}
