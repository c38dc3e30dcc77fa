package org.dlm.backend.llvm;

import static java.lang.foreign.ValueLayout.ADDRESS;

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
 * A JIT-compiled fp32 2-D convolution, NCHW, with an optional fused bias and ReLU: per image,
 * im2col (skipped for pointwise convolutions) and the generated GEMM
 * {@code out[cout, oh·ow] = relu(W[cout, c·kh·kw] · col + bias)}. Images are spread over the
 * threads, each with its own im2col and packing buffers.
 *
 * <pre>{@code
 * try (HostTarget host = HostTarget.detect(); Conv2d conv = Conv2d.compile(host, Conv2dSpec.of(1, 3, 32, 32, 16, 3, 1, 1), 1)) {
 *     conv.run(input, weight, bias, output, true);   // segments of the spec's sizes
 * }
 * }</pre>
 */
public final class Conv2d implements AutoCloseable {
    private final Conv2dSpec spec;
    private final int threads;
    private final Jit jit;             // im2col; null for pointwise convolutions
    private final KernelCache owned;   // the GEMM's code when not shared
    private final Gemm gemm;
    private final MethodHandle im2col;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] col;
    private final ExecutorService pool;
    private final long compileNanos;

    private Conv2d(Conv2dSpec spec, int threads, Jit jit, KernelCache owned, Gemm gemm, MethodHandle im2col, long compileNanos) {
        this.spec = spec;
        this.threads = threads;
        this.jit = jit;
        this.owned = owned;
        this.gemm = gemm;
        this.im2col = im2col;
        this.compileNanos = compileNanos;
        col = new MemorySegment[threads];
        if (!spec.isPointwise())
            for (int t = 0; t < threads; t++) col[t] = HugePages.allocate(arena, 4L * spec.patch() * spec.outH() * spec.outW());
        pool = threads > 1 ? Executors.newFixedThreadPool(threads - 1, r -> {
            Thread th = new Thread(r, "dlm-conv2d");
            th.setDaemon(true);
            return th;
        }) : null;
    }

    /** Compiles the convolution with machine code of its own. */
    public static Conv2d compile(HostTarget target, Conv2dSpec spec, int threads) {
        KernelCache own = new KernelCache(target);
        try {
            return compile(own, spec, threads, own);
        } catch (RuntimeException e) {
            own.close();
            throw e;
        }
    }

    /** Compiles the convolution with its GEMM from (and owned by) {@code kernels}, shared with other layers. */
    public static Conv2d compile(KernelCache kernels, Conv2dSpec spec, int threads) {
        return compile(kernels, spec, threads, null);
    }

    private static Conv2d compile(KernelCache kernels, Conv2dSpec spec, int threads, KernelCache owned) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        long t0 = System.nanoTime();
        Gemm gemm = Gemm.from(kernels, GemmConfig.forTarget(kernels.target()).forRows(spec.cout()), threads);
        if (spec.isPointwise()) return new Conv2d(spec, threads, null, owned, gemm, null, System.nanoTime() - t0);
        Jit jit = new Jit();
        try (ModuleBuilder mb = new ModuleBuilder("dlm_im2col", kernels.target())) {
            Im2colGenerator.emit(mb, spec, "dlm_im2col");
            mb.optimize();
            jit.add(mb);
            MethodHandle im2col = jit.function("dlm_im2col", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
            return new Conv2d(spec, threads, jit, owned, gemm, im2col, System.nanoTime() - t0);
        } catch (RuntimeException e) {
            jit.close();
            gemm.close();
            throw e;
        }
    }

    public Conv2dSpec spec() { return spec; }
    /** Time to get this layer callable (near zero for the GEMM when a shared cache already had it). */
    public long compileNanos() { return compileNanos; }

    /**
     * {@code output = relu?(conv(input, weight) + bias)}; {@code bias} may be
     * {@link MemorySegment#NULL}. Sizes are checked against the spec before any native call.
     */
    public void run(MemorySegment input, MemorySegment weight, MemorySegment bias, MemorySegment output, boolean relu) {
        Conv2dSpec s = spec;
        long inImage = (long) s.c() * s.h() * s.w(), outImage = (long) s.cout() * s.outH() * s.outW();
        check("input", input, s.n() * inImage);
        check("weight", weight, (long) s.cout() * s.patch());
        check("output", output, s.n() * outImage);
        boolean hasBias = bias.address() != 0;
        if (hasBias) check("bias", bias, s.cout());
        int flags = (hasBias ? GemmFlags.BIAS_ROWS : 0) | (relu ? GemmFlags.RELU : 0);
        // Raw addresses: the calling thread waits below, so confined segments are safe to share.
        long in = input.address(), w = weight.address(), out = output.address(), b = bias.address();
        int parts = Math.min(threads, s.n());
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 1; t < parts; t++) {
            int slot = t;
            futures.add(pool.submit(() -> images(slot, parts, in, w, b, out, flags)));
        }
        images(0, parts, in, w, b, out, flags);
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for conv2d threads", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("conv2d thread failed", e.getCause());
            }
        }
    }

    private void images(int slot, int stride, long in, long w, long bias, long out, int flags) {
        Conv2dSpec s = spec;
        long ohw = (long) s.outH() * s.outW();
        long inImage = 4L * s.c() * s.h() * s.w(), outImage = 4L * s.cout() * ohw;
        for (int img = slot; img < s.n(); img += stride) {
            MemorySegment image = MemorySegment.ofAddress(in + img * inImage);
            MemorySegment cols;
            if (s.isPointwise()) {
                cols = image.reinterpret(inImage);
            } else {
                cols = col[slot];
                try {
                    im2col.invokeExact(image, cols);
                } catch (Throwable e) {
                    throw new IllegalStateException("native im2col failed", e);
                }
            }
            gemm.multiplyOnSlot(slot, s.cout(), ohw, s.patch(), MemorySegment.ofAddress(w), s.patch(), cols, ohw,
                    MemorySegment.ofAddress(out + img * outImage), ohw, flags, MemorySegment.ofAddress(bias));
        }
    }

    private static void check(String name, MemorySegment seg, long floats) {
        if (seg.byteSize() < floats * 4) throw new IllegalArgumentException("conv2d " + name + " needs " + floats + " floats, segment has " + seg.byteSize() / 4);
    }

    @Override public void close() {
        if (pool != null) pool.shutdownNow();
        gemm.close();
        arena.close();
        if (jit != null) jit.close();
        if (owned != null) owned.close();
    }
}
