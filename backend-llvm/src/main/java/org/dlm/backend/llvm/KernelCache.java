package org.dlm.backend.llvm;

import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Compiled GEMM kernels shared by every layer of a model: one JIT compilation per distinct
 * {@link GemmConfig} instead of one per layer (a GEMM module takes about a second at O3). Owns
 * the JITs; layers made from it must be closed before it.
 *
 * <pre>{@code
 * try (HostTarget host = HostTarget.detect(); KernelCache kernels = new KernelCache(host)) {
 *     Conv2d a = Conv2d.compile(kernels, specA, 1), b = Conv2d.compile(kernels, specB, 1);   // one GEMM compile if both use one config
 * }
 * }</pre>
 */
public final class KernelCache implements AutoCloseable {
    record Compiled(Jit jit, MethodHandle function, MethodHandle prepackA, MethodHandle prepackB, long compileNanos) {}

    private final HostTarget target;
    private final Map<GemmConfig, Compiled> gemms = new HashMap<>();
    private final List<Jit> jits = new ArrayList<>();
    private boolean closed;

    public KernelCache(HostTarget target) { this.target = target; }

    public HostTarget target() { return target; }

    /** Distinct GEMM kernels compiled so far. */
    public synchronized int size() { return gemms.size(); }

    synchronized Compiled gemm(GemmConfig config) {
        if (closed) throw new IllegalStateException("KernelCache is closed");
        Compiled c = gemms.get(config);
        if (c != null) return c;
        long t0 = System.nanoTime();
        Jit jit = new Jit();
        try (ModuleBuilder mb = new ModuleBuilder("dlm_sgemm", target)) {
            new GemmGenerator(mb, config).emit(Gemm.SYMBOL);
            mb.verify();
            mb.optimize("default<O3>", false);   // vectorized by construction
            jit.add(mb);
            c = new Compiled(jit, jit.function(Gemm.SYMBOL, Gemm.SIGNATURE), jit.function(Gemm.SYMBOL + GemmGenerator.PREPACK_A, Gemm.PACK_SIGNATURE),
                    jit.function(Gemm.SYMBOL + GemmGenerator.PREPACK_B, Gemm.PACK_SIGNATURE), System.nanoTime() - t0);
        } catch (RuntimeException e) {
            jit.close();
            throw e;
        }
        jits.add(jit);
        gemms.put(config, c);
        return c;
    }

    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        RuntimeException first = null;
        for (Jit jit : jits) {
            try {
                jit.close();
            } catch (RuntimeException e) {
                if (first == null) first = e;
            }
        }
        jits.clear();
        gemms.clear();
        if (first != null) throw first;
    }
}
