package org.dlm.backend.llvm.codegen;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiConsumer;
import org.dlm.backend.llvm.ConvWeightGradGenerator;
import org.dlm.backend.llvm.DirectConvGenerator;
import org.dlm.backend.llvm.GemmConfig;
import org.dlm.backend.llvm.GemmGenerator;
import org.dlm.backend.llvm.HostTarget;
import org.dlm.backend.llvm.Jit;
import org.dlm.backend.llvm.ModuleBuilder;
import org.dlm.backend.llvm.ModuleCompiler;
import org.dlm.backend.llvm.ObjectCache;
import org.dlm.backend.llvm.ThreadPoolModule;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.Stmt;

/**
 * The microkernels — GEMMs (one per transpose variant and register tile height, with their
 * exported prepacking functions), direct convolutions (one per layer shape) — and the thread
 * pool, compiled once per process and shared by every compiled graph: optimizing a kernel costs
 * far more than a typical graph's own loops, so graphs call these instead of carrying a copy, and
 * one pool (one set of worker threads) serves every executable. Their JIT lives as long as the
 * process (pool workers run its code). Packing buffers are not shared: each call passes its own.
 *
 * <p>A kernel is known by its name ({@code sgemm_nn}, {@code sgemm_nn_13x32},
 * {@code sconv_...}, {@link #POOL}); it compiles on a background thread as soon as it is
 * {@linkplain #request requested} (a graph compile asks for the likely ones before lowering, code
 * generation for the rest as it meets them), so its LLVM time overlaps the graph's lowering and
 * optimization, and goes through the {@link ObjectCache}. Graph code calls kernels through
 * external symbols ({@link #symbol}) bound to their addresses when the graph's code is linked
 * ({@link KernelCodegen#linkShared}); only the link waits for a compile still in flight. Nothing
 * process-specific (no address) is in a graph's IR, so its cached objects stay valid.
 */
final class SharedGemmKernels {
    /** The pseudo kernel name of the thread pool ({@link ThreadPoolModule#PARALLEL_FOR} and its companions). */
    static final String POOL = "pool";
    private static final String PREFIX = "dlm_shared_";
    private static final List<String> POOL_SYMBOLS = List.of(
            ThreadPoolModule.PARALLEL_FOR, ThreadPoolModule.PARALLEL_FOR_HOT, ThreadPoolModule.ENTER, ThreadPoolModule.LEAVE);
    /**
     * The GEMM kernels are vectorized and register-blocked by construction, so O3 and the
     * auto-vectorizers find nothing to add: measured in one process with alternating calls
     * (ResNet-20 and MobileNet shapes, 512³), O1 code ran 0-5 % faster than O3 (with or without
     * the vectorizers) and compiled in about 60 % of O3's time.
     */
    static final String GEMM_PIPELINE = "default<O1>";

    /** How to build a kernel's module: {@code emit(mb, symbol)}, then {@code pipeline}. */
    private record Kernel(String pipeline, boolean autoVectorize, BiConsumer<ModuleBuilder, String> emit) {}

    private static final Map<String, Kernel> KERNELS = new HashMap<>();
    private static final Map<String, CompletableFuture<Long>> COMPILED = new HashMap<>();
    private static final ExecutorService COMPILER = Executors.newFixedThreadPool(
            Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors())),
            Thread.ofPlatform().daemon().name("dlm-kernel-compiler-", 0).factory());
    private static Jit jit;

    private SharedGemmKernels() {}

    /** The symbol graph code calls {@code kernel} by (the pool: {@link ThreadPoolModule#PARALLEL_FOR}). */
    static String symbol(String kernel) { return kernel.equals(POOL) ? ThreadPoolModule.PARALLEL_FOR : PREFIX + kernel; }

    /** The kernel whose module defines {@code symbol}, or null when it is not a shared one. */
    static String kernelOf(String symbol) {
        if (POOL_SYMBOLS.contains(symbol)) return POOL;
        if (!symbol.startsWith(PREFIX)) return null;
        String k = symbol.substring(PREFIX.length());
        for (String suffix : new String[] {GemmGenerator.PREPACK_A, GemmGenerator.PREPACK_B})
            if (k.endsWith(suffix)) return k.substring(0, k.length() - suffix.length());
        return k;
    }

    /**
     * The kernel name of GEMM {@code cfg} ({@code sgemm_XY} for the target's full register tile,
     * {@code sgemm_XY_<mr>x<nr>} for a lower one), its compile started in the background.
     */
    static synchronized String gemm(GemmConfig cfg, HostTarget target) {
        String base = "sgemm_" + (cfg.transA() ? "t" : "n") + (cfg.transB() ? "t" : "n");
        boolean full = cfg.equals(config(base, target));
        String name = full ? base : base + "_" + cfg.mr() + "x" + cfg.nr();
        // a lower tile serves only calls with a compile-time M > 8 (see config(Stmt.Call, ...)): no unpacked few-row code
        KERNELS.putIfAbsent(name, new Kernel(GEMM_PIPELINE, false, (mb, symbol) -> new GemmGenerator(mb, cfg).emit(symbol, full)));
        request(name);
        return name;
    }

    /** The kernel name of the direct convolution {@code cfg} (one per layer shape), its compile started in the background. */
    static synchronized String directConv(DirectConvGenerator.Config cfg) {
        String name = "sconv_" + cfg.o() + "_" + cfg.c() + "_" + cfg.ih() + "x" + cfg.iw() + "_k" + cfg.kh() + "x" + cfg.kw()
                + "_s" + cfg.sh() + "x" + cfg.sw() + "_d" + cfg.dh() + "x" + cfg.dw() + "_v" + cfg.lanes();
        // vectorized and register-tiled by construction
        KERNELS.putIfAbsent(name, new Kernel("default<O3>", false, (mb, symbol) -> DirectConvGenerator.emit(mb, cfg, symbol)));
        request(name);
        return name;
    }

    /** The kernel name of the stride-1 convolution weight gradient {@code cfg} (one per layer shape and chunk size), its compile started in the background. */
    static synchronized String weightGradConv(ConvWeightGradGenerator.Config cfg) {
        String name = "sconv_wgrad_" + cfg.o() + "_" + cfg.c() + "_" + cfg.ih() + "x" + cfg.iw() + "_k" + cfg.kh() + "x" + cfg.kw()
                + "_d" + cfg.dh() + "x" + cfg.dw() + "_n" + cfg.n() + "_v" + cfg.lanes();
        KERNELS.putIfAbsent(name, new Kernel("default<O3>", false, (mb, symbol) -> ConvWeightGradGenerator.emit(mb, cfg, symbol)));
        request(name);
        return name;
    }

    /** Starts compiling {@code kernel} in the background unless it is compiled or in flight. */
    static synchronized CompletableFuture<Long> request(String kernel) {
        CompletableFuture<Long> f = COMPILED.get(kernel);
        if (f == null) {
            Kernel k = definition(kernel);
            f = CompletableFuture.supplyAsync(() -> compile(kernel, k), COMPILER);
            COMPILED.put(kernel, f);
        }
        return f;
    }

    /** A registered kernel, or the pool, or a full-tile GEMM named {@code sgemm_XY}. */
    private static Kernel definition(String kernel) {
        Kernel k = KERNELS.get(kernel);
        if (k != null) return k;
        if (kernel.equals(POOL)) return new Kernel("default<O3>", true, (mb, symbol) -> ThreadPoolModule.link(mb));
        if (kernel.matches("sgemm_[nt][nt]"))
            return new Kernel(GEMM_PIPELINE, false, (mb, symbol) -> new GemmGenerator(mb, config(kernel, mb.target())).emit(symbol, true));
        throw new IllegalArgumentException("unknown shared kernel " + kernel);
    }

    /** The native address of {@code symbol} (a shared kernel's, or one its module exports), waiting for (or starting) its compile. */
    static long address(String symbol) {
        String kernel = kernelOf(symbol);
        if (kernel == null) throw new IllegalArgumentException(symbol + " is not a shared kernel's symbol");
        long main;
        try {
            main = request(kernel).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw e;
        }
        return symbol.equals(symbol(kernel)) ? main : jit().address(symbol).address();
    }

    private static synchronized Jit jit() {
        if (jit == null) jit = new Jit();
        return jit;
    }

    /**
     * Emits, optimizes and generates the kernel's machine code on this thread (its own target
     * machine and context), or takes it from the {@link ObjectCache}, then links it into the shared JIT.
     */
    private static long compile(String kernel, Kernel k) {
        String symbol = symbol(kernel);
        ModuleCompiler.Result code;
        try (HostTarget host = HostTarget.detect(); ModuleBuilder mb = new ModuleBuilder(symbol, host)) {
            k.emit().accept(mb, symbol);
            code = ModuleCompiler.compile(List.of(mb), k.pipeline(), k.autoVectorize(), ObjectCache.standard(), false);
        }
        Jit shared = jit();
        code.addTo(shared);
        return shared.address(symbol).address();
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
     * with a compile-time N that half fills the full tile's width (a 4×4 map's 16 columns in a
     * batch-1 pointwise convolution), the one-vector-wide tile ({@link GemmConfig#narrow}), as
     * tall as the registers allow, under the same rule. Such kernels are compiled once per tile.
     */
    static GemmConfig config(Stmt.Call c, HostTarget target) {
        GemmConfig full = config(c.kernel(), target);
        long m = constant(c, 0), n = constant(c, 1);
        if (m <= GemmGenerator.DIRECT_MAX_ROWS) return full;   // also: M not known at compile time
        int rows = (int) Math.min(Integer.MAX_VALUE, m);
        GemmConfig best = full;
        for (GemmConfig cand : new GemmConfig[] {full.forRows(rows), n > 0 ? full.narrow().forRows(rows) : null}) {
            if (cand == null) continue;
            long cols = n > 0 ? n : cand.nr();
            if (tileCost(best, rows, cols) > (1 + ROW_TILE_GAIN) * tileCost(cand, rows, cols)) best = cand;
        }
        return best;
    }

    /** Estimated issue slots per k step of an {@code m × n} product with {@code cfg}'s register tile. */
    private static double tileCost(GemmConfig cfg, int m, long n) { return Math.ceil(n / (double) cfg.nr()) * cfg.rowCost(m); }

    /** Argument {@code i} of {@code c} when it is a compile-time constant, else -1. */
    private static long constant(Stmt.Call c, int i) {
        return c.args().get(i) instanceof Stmt.ScalarArg s && s.value() instanceof Expr.Const k ? (long) k.value() : -1;
    }

    /** Least estimated gain for a GEMM with a lower register tile (another kernel to compile). */
    static final double ROW_TILE_GAIN = 0.03;
}
