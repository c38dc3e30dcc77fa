package org.dlm.backend.llvm.codegen;

import java.util.HashMap;
import java.util.Map;
import org.dlm.backend.llvm.GemmConfig;
import org.dlm.backend.llvm.GemmGenerator;
import org.dlm.backend.llvm.HostTarget;
import org.dlm.backend.llvm.Jit;
import org.dlm.backend.llvm.ModuleBuilder;

/**
 * The GEMM microkernels, compiled once per process and shared by every compiled graph: optimizing
 * a GEMM kernel costs far more than a typical graph's own loops, so graphs call these by address
 * instead of carrying a copy. At most four kernels (one per transpose variant) ever exist; their
 * JIT lives as long as the process. Packing buffers are not shared: each call passes its own.
 */
final class SharedGemmKernels {
    private static final Map<String, Long> ADDRESSES = new HashMap<>();
    private static Jit jit;

    private SharedGemmKernels() {}

    /** The native address of {@code dlm_<kernel>} (kernel = sgemm_nn, sgemm_nt, ...), compiling it on first use. */
    static synchronized long address(String kernel, HostTarget target) {
        Long a = ADDRESSES.get(kernel);
        if (a != null) return a;
        if (jit == null) jit = new Jit();
        String symbol = "dlm_shared_" + kernel;
        try (ModuleBuilder mb = new ModuleBuilder(symbol, target)) {
            new GemmGenerator(mb, config(kernel, target)).emit(symbol);
            mb.optimize();
            jit.add(mb);
        }
        long address = jit.address(symbol).address();
        ADDRESSES.put(kernel, address);
        return address;
    }

    static GemmConfig config(String kernel, HostTarget target) {
        boolean ta = kernel.charAt(6) == 't', tb = kernel.charAt(7) == 't';
        return GemmConfig.forTarget(target).withTransposes(ta, tb);
    }
}
