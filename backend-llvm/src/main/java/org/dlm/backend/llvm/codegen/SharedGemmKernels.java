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
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.Stmt;

/**
 * The GEMM microkernels and the thread pool, compiled once per process and shared by every
 * compiled graph: optimizing a GEMM kernel costs far more than a typical graph's own loops, so
 * graphs call these by address instead of carrying a copy, and one pool (one set of worker
 * threads) serves every executable. One kernel per transpose variant and register tile height
 * (see {@link #config(Stmt.Call, HostTarget)}) ever exists; their JIT lives as long as the process (pool workers run its code). Packing buffers are not
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

    /**
     * The native address of the GEMM {@code cfg} ({@code dlm_shared_sgemm_XY_<mr>x<nr>}), compiling
     * it on first use (with its exported prepacking functions).
     */
    static synchronized long address(GemmConfig cfg, HostTarget target) {
        String symbol = symbol(cfg);
        Long a = ADDRESSES.get(symbol);
        if (a != null) return a;
        try (ModuleBuilder mb = new ModuleBuilder(symbol, target)) {
            // A lower tile serves only calls with a compile-time M > 8 (see config(Stmt.Call, ...)): no unpacked few-row code
            new GemmGenerator(mb, cfg).emit(symbol, cfg.mr() == GemmConfig.forTarget(target).mr());
            mb.optimize();
            jit().add(mb);
        }
        long address = jit().address(symbol).address();
        ADDRESSES.put(symbol, address);
        for (String suffix : new String[] {GemmGenerator.PREPACK_A, GemmGenerator.PREPACK_B})
            ADDRESSES.put(symbol + suffix, jit().address(symbol + suffix).address());
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

    /**
     * The native address of {@code cfg}'s exported prepacking function for A ({@code sideA}) or B,
     * {@code void(i64 extent, i64 K, ptr src, i64 ld, ptr dst)} (see {@link GemmGenerator}).
     */
    static synchronized long prepackAddress(GemmConfig cfg, boolean sideA, HostTarget target) {
        address(cfg, target);
        return ADDRESSES.get(symbol(cfg) + (sideA ? GemmGenerator.PREPACK_A : GemmGenerator.PREPACK_B));
    }

    private static String symbol(GemmConfig cfg) {
        return "dlm_shared_sgemm_" + (cfg.transA() ? "t" : "n") + (cfg.transB() ? "t" : "n") + "_" + cfg.mr() + "x" + cfg.nr();
    }

    /** The blocking of {@code kernel} (sgemm_nn, sgemm_nt, ...) for any M: the target's full register tile. */
    static GemmConfig config(String kernel, HostTarget target) {
        boolean ta = kernel.charAt(6) == 't', tb = kernel.charAt(7) == 't';
        return GemmConfig.forTarget(target).withTransposes(ta, tb);
    }

    /**
     * The blocking of call {@code c}: with a compile-time M that the full tile height covers badly
     * (M = 64 is 4 tiles of 14 rows and one of 8), a lower tile that covers it better when that
     * saves at least {@link #ROW_TILE_GAIN} of the estimated issue slots ({@link GemmConfig#forRows});
     * such kernels are compiled once per tile height.
     */
    static GemmConfig config(Stmt.Call c, HostTarget target) {
        GemmConfig full = config(c.kernel(), target);
        if (!(c.args().get(0) instanceof Stmt.ScalarArg s) || !(s.value() instanceof Expr.Const k)) return full;
        int m = (int) Math.min(Integer.MAX_VALUE, (long) k.value());
        if (m <= GemmGenerator.DIRECT_MAX_ROWS) return full;
        GemmConfig low = full.forRows(m);
        return full.rowCost(m) > (1 + ROW_TILE_GAIN) * low.rowCost(m) ? low : full;
    }

    /** Least estimated gain for a GEMM with a lower register tile (another kernel to compile). */
    static final double ROW_TILE_GAIN = 0.03;
}
