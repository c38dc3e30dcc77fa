package org.dlm.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Register-blocked fp32 GEMM microkernels for x86 vector units (AVX-512, AVX2, SSE).
 *
 * <p>The kernel keeps an {@code mr × nr} tile of C in {@code mr·nr/lanes} vector registers. Each
 * step of k loads {@code nr/lanes} vectors of the packed B panel and, for each of the {@code mr}
 * rows, broadcasts one element of the packed A panel into an FMA (x86 folds the broadcast into
 * the FMA's memory operand). The tile is then merged into C once: masked loads and stores handle
 * a partial tile, and the epilogue adds the old C, a bias and a ReLU or ReLU6 as {@link GemmFlags} ask.
 *
 * <p>Signature: {@code void(i64 kc, ptr a, ptr b, ptr c, i64 ldc, i64 mr, i64 nr, i32 flags, ptr bias)},
 * where {@code a} is {@code kc × MR} (row index fastest), {@code b} is {@code kc × NR}, 64-byte aligned.
 */
public final class X86Microkernels {
    private static final int K_UNROLL = 4;

    private X86Microkernels() {}

    public static LLVMValueRef sgemm(ModuleBuilder mb, GemmConfig cfg, String name) {
        LLVMTypeRef i64 = mb.i64(), ptr = mb.ptr(), f32 = mb.f32();
        LLVMValueRef fn = mb.internalFunction(name, mb.voidType(), i64, ptr, ptr, ptr, i64, i64, i64, mb.i32(), ptr);
        for (int p = 2; p <= 4; p++) mb.addEnum(fn, p, "noalias");
        int lanes = cfg.lanes(), mr = cfg.mr(), nv = cfg.vectorsPerRow(), nr = cfg.nr();
        LLVMTypeRef vec = mb.vector(f32, lanes);
        int align = lanes * 4;
        try (FunctionBuilder b = mb.body(fn)) {
            LLVMValueRef kc = b.param(0), a = b.param(1), bp = b.param(2), c = b.param(3), ldc = b.param(4);
            LLVMValueRef rows = b.param(5), cols = b.param(6), flags = b.param(7), bias = b.param(8);

            // Fetch the C tile into L2 while the k loop runs: its rows are ldc apart and would
            // otherwise miss one after another in the epilogue. Not into L1: with a power-of-two
            // ldc all rows share one L1 set and would evict the B micro-panel kept there.
            for (int i = 0; i < mr; i++) {
                LLVMValueRef cRow = b.gep(f32, c, b.mul(b.smin(b.i64(i), b.sub(rows, b.i64(1))), ldc));
                for (int line = 0; line < (nr * 4 + 63) / 64; line++) b.prefetch(b.gep(f32, cRow, b.i64(line * 16L)), false, 2);
            }
            List<LLVMValueRef> init = new ArrayList<>();
            for (int i = 0; i < mr * nv; i++) init.add(b.zero(vec));
            // One k step: nv vector loads of B, mr broadcasts of A, mr·nv FMAs into the accumulators.
            java.util.function.BiFunction<LLVMValueRef, List<LLVMValueRef>, List<LLVMValueRef>> step = (k, carried) -> {
                LLVMValueRef bRow = b.gep(f32, bp, b.mul(k, b.i64(nr)));
                LLVMValueRef aCol = b.gep(f32, a, b.mul(k, b.i64(mr)));
                LLVMValueRef[] bv = new LLVMValueRef[nv];
                for (int v = 0; v < nv; v++) bv[v] = b.load(vec, b.gep(f32, bRow, b.i64((long) v * lanes)), align);
                List<LLVMValueRef> next = new ArrayList<>(carried);
                for (int i = 0; i < mr; i++) {
                    LLVMValueRef ai = b.splat(b.load(f32, b.gep(f32, aCol, b.i64(i)), 4), lanes);
                    for (int v = 0; v < nv; v++) next.set(i * nv + v, b.fma(vec, ai, bv[v], next.get(i * nv + v)));
                }
                return next;
            };
            // Unrolled by K_UNROLL (the generic unroller is off for this code): the loop's counter,
            // compare and branch then cost a quarter of an issue slot per k step.
            LLVMValueRef kMain = b.mul(b.sdiv(kc, b.i64(K_UNROLL)), b.i64(K_UNROLL));
            List<LLVMValueRef> unrolled = b.forRange(b.i64(0), kMain, b.i64(K_UNROLL), init, (k, carried) -> {
                List<LLVMValueRef> acc = carried;
                for (int u = 0; u < K_UNROLL; u++) acc = step.apply(b.add(k, b.i64(u)), acc);
                return acc;
            });
            List<LLVMValueRef> acc = b.forRange(kMain, kc, b.i64(1), unrolled, step::apply);

            storeTile(b, vec, lanes, mr, nv, acc, c, ldc, rows, cols, flags, bias);
            b.retVoid();
        }
        return fn;
    }

    /**
     * Merges an {@code mr × nv·lanes} register tile into C: rows below {@code rows} and columns
     * below {@code cols} only (masked), then old C, bias and ReLU as {@code flags} ask.
     */
    static void storeTile(FunctionBuilder b, LLVMTypeRef vec, int lanes, int mr, int nv, List<LLVMValueRef> acc, LLVMValueRef c,
                          LLVMValueRef ldc, LLVMValueRef rows, LLVMValueRef cols, LLVMValueRef flags, LLVMValueRef bias) {
        LLVMTypeRef f32 = b.module().f32();
        LLVMValueRef zero32 = b.i32(0);
        LLVMValueRef accumulate = b.icmp(LLVMIntNE, b.and(flags, b.i32(GemmFlags.ACCUMULATE)), zero32);
        LLVMValueRef colBias = b.icmp(LLVMIntNE, b.and(flags, b.i32(GemmFlags.BIAS_COLUMNS)), zero32);
        LLVMValueRef rowBias = b.icmp(LLVMIntNE, b.and(flags, b.i32(GemmFlags.BIAS_ROWS)), zero32);
        LLVMValueRef relu = b.icmp(LLVMIntNE, b.and(flags, b.i32(GemmFlags.RELU)), zero32);
        LLVMValueRef relu6 = b.icmp(LLVMIntNE, b.and(flags, b.i32(GemmFlags.RELU6)), zero32);
        LLVMValueRef[] mask = new LLVMValueRef[nv], loadMask = new LLVMValueRef[nv], colBiasV = new LLVMValueRef[nv];
        LLVMValueRef accSplat = b.splat(accumulate, lanes);
        LLVMValueRef colBiasSplat = b.splat(colBias, lanes);
        for (int v = 0; v < nv; v++) {
            mask[v] = b.laneMask(lanes, b.i64((long) v * lanes), cols);
            loadMask[v] = b.and(mask[v], accSplat);
            colBiasV[v] = b.maskedLoad(vec, b.gep(f32, bias, b.i64((long) v * lanes)), b.and(mask[v], colBiasSplat), 4);
        }
        LLVMValueRef firstLaneIfRowBias = b.and(b.laneMask(lanes, b.i64(0), b.i64(1)), b.splat(rowBias, lanes));
        LLVMValueRef zeroVec = b.zero(vec);
        for (int i = 0; i < mr; i++) {
            final int row = i;
            b.ifThen(b.icmp(LLVMIntSLT, b.i64(i), rows), () -> {
                LLVMValueRef cRow = b.gep(f32, c, b.mul(b.i64(row), ldc));
                // A masked load, so that no bias pointer is touched when there is no row bias.
                LLVMValueRef rbv = b.broadcastLane0(b.maskedLoad(vec, b.gep(f32, bias, b.i64(row)), firstLaneIfRowBias, 4));
                for (int v = 0; v < nv; v++) {
                    LLVMValueRef p = b.gep(f32, cRow, b.i64((long) v * lanes));
                    LLVMValueRef x = b.fadd(acc.get(row * nv + v), b.maskedLoad(vec, p, loadMask[v], 4));
                    x = b.fadd(b.fadd(x, colBiasV[v]), rbv);
                    x = b.select(relu, b.maxnum(vec, x, zeroVec), x);
                    x = b.select(relu6, relu6(b, vec, lanes, x), x);
                    b.maskedStore(x, p, mask[v], 4);
                }
            });
        }
    }

    /** {@code x < 0 ? 0 : (x > 6 ? 6 : x)} per lane (a NaN stays NaN, as the lowering's compare-and-select). */
    static LLVMValueRef relu6(FunctionBuilder b, LLVMTypeRef vec, int lanes, LLVMValueRef x) {
        LLVMValueRef zero = b.zero(vec), six = b.splat(b.f32(6), lanes);
        LLVMValueRef y = b.select(b.fcmp(LLVMRealOLT, x, zero), zero, x);
        return b.select(b.fcmp(LLVMRealOGT, y, six), six, y);
    }

    /**
     * {@code void(i64 M, i64 N, i64 K, ptr A, i64 lda, ptr B, i64 ldb, ptr C, i64 ldc, i32 flags, ptr bias)}
     * for a few rows (M below the packed tile's height, e.g. batch-1 inference): no packing, A and
     * B read in place, {@code rowsPerTile × vectorsPerRow·lanes} tiles. Packing B would cost as
     * much as the product itself. One row needs a wide tile: its FMA chains are the only
     * independent work, and an FMA takes 4 cycles.
     */
    public static LLVMValueRef sgemmDirect(ModuleBuilder mb, GemmConfig cfg, int rowsPerTile, int vectorsPerRow, String name) {
        LLVMTypeRef i64 = mb.i64(), ptr = mb.ptr(), f32 = mb.f32();
        LLVMValueRef fn = mb.internalFunction(name, mb.voidType(), i64, i64, i64, ptr, i64, ptr, i64, ptr, i64, mb.i32(), ptr);
        int lanes = cfg.lanes(), nv = vectorsPerRow, nr = nv * lanes, rt = rowsPerTile;
        LLVMTypeRef vec = mb.vector(f32, lanes);
        try (FunctionBuilder b = mb.body(fn)) {
            LLVMValueRef m = b.param(0), n = b.param(1), k = b.param(2), a = b.param(3), lda = b.param(4);
            LLVMValueRef bm = b.param(5), ldb = b.param(6), c = b.param(7), ldc = b.param(8), flags = b.param(9), bias = b.param(10);
            LLVMValueRef colBias = b.icmp(LLVMIntNE, b.and(flags, b.i32(GemmFlags.BIAS_COLUMNS)), b.i32(0));
            b.forRange(b.i64(0), m, b.i64(rt), i0 -> {
                LLVMValueRef rows = b.smin(b.i64(rt), b.sub(m, i0));
                LLVMValueRef[] aRow = new LLVMValueRef[rt];
                for (int i = 0; i < rt; i++)   // rows past M read the last row (in bounds); they are never stored
                    aRow[i] = b.gep(f32, a, b.mul(b.smin(b.add(i0, b.i64(i)), b.sub(m, b.i64(1))), lda));
                b.forRange(b.i64(0), n, b.i64(nr), j0 -> {
                    LLVMValueRef cols = b.smin(b.i64(nr), b.sub(n, j0));
                    LLVMValueRef[] mask = new LLVMValueRef[nv];
                    for (int v = 0; v < nv; v++) mask[v] = b.laneMask(lanes, b.add(j0, b.i64((long) v * lanes)), n);
                    List<LLVMValueRef> init = new ArrayList<>();
                    for (int i = 0; i < rt * nv; i++) init.add(b.zero(vec));
                    List<LLVMValueRef> acc = b.forRange(b.i64(0), k, b.i64(1), init, (kk, carried) -> {
                        LLVMValueRef bRow = b.gep(f32, bm, b.add(b.mul(kk, ldb), j0));
                        LLVMValueRef[] bv = new LLVMValueRef[nv];
                        for (int v = 0; v < nv; v++) bv[v] = b.maskedLoad(vec, b.gep(f32, bRow, b.i64((long) v * lanes)), mask[v], 4);
                        List<LLVMValueRef> next = new ArrayList<>(carried);
                        for (int i = 0; i < rt; i++) {
                            LLVMValueRef ai = b.splat(b.load(f32, b.gep(f32, aRow[i], kk), 4), lanes);
                            for (int v = 0; v < nv; v++) next.set(i * nv + v, b.fma(vec, ai, bv[v], next.get(i * nv + v)));
                        }
                        return next;
                    });
                    LLVMValueRef cTile = b.gep(f32, c, b.add(b.mul(i0, ldc), j0));
                    LLVMValueRef biasTile = b.gep(f32, bias, b.select(colBias, j0, i0));
                    storeTile(b, vec, lanes, rt, nv, acc, cTile, ldc, rows, cols, flags, biasTile);
                });
            });
            b.retVoid();
        }
        return fn;
    }
}
