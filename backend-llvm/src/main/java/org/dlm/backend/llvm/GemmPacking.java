package org.dlm.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Packing routines of the generated GEMM. A block of an operand, {@code kc} deep and
 * {@code extent} wide (rows of A or columns of B), is rewritten as panels {@code width} wide:
 * panel {@code p} starts at {@code dst + p·width·kc} and holds element {@code (k, x)} at
 * {@code k·width + x}, zero past the edge, so the microkernel reads both operands contiguously.
 *
 * <p>Both routines have the signature {@code void(i64 extent, i64 kc, ptr src, i64 ld, ptr dst)}.
 * {@link #copy} reads element {@code (k, x)} at {@code src[k·ld + x]} (B, or a transposed A),
 * {@link #transpose} at {@code src[x·ld + k]} (A, or a transposed B).
 */
final class GemmPacking {
    private final ModuleBuilder mb;
    private final int lanes;

    GemmPacking(ModuleBuilder mb, int lanes) {
        this.mb = mb;
        this.lanes = lanes;
    }

    private LLVMValueRef declare(String name) {
        LLVMTypeRef i64 = mb.i64(), ptr = mb.ptr();
        LLVMValueRef fn = mb.internalFunction(name, mb.voidType(), i64, i64, ptr, i64, ptr);
        mb.addEnum(fn, 3, "noalias");
        mb.addEnum(fn, 5, "noalias");
        return fn;
    }

    /** Panels from rows that are contiguous along x: masked vector copies. */
    LLVMValueRef copy(String name, int width) {
        LLVMValueRef fn = declare(name);
        LLVMTypeRef f32 = mb.f32(), vec = mb.vector(f32, lanes);
        int nv = (width + lanes - 1) / lanes;
        boolean aligned = width % lanes == 0;   // then every panel row starts on a vector boundary
        try (FunctionBuilder b = mb.body(fn)) {
            LLVMValueRef extent = b.param(0), kc = b.param(1), src = b.param(2), ld = b.param(3), dst = b.param(4);
            b.forRange(b.i64(0), extent, b.i64(width), x0 -> {
                LLVMValueRef panel = b.gep(f32, dst, b.mul(x0, kc));
                LLVMValueRef[] load = new LLVMValueRef[nv], store = new LLVMValueRef[nv];
                for (int v = 0; v < nv; v++) {
                    store[v] = b.laneMask(lanes, b.i64((long) v * lanes), b.i64(width));
                    load[v] = b.and(store[v], b.laneMask(lanes, b.add(x0, b.i64((long) v * lanes)), extent));
                }
                b.forRange(b.i64(0), kc, b.i64(1), k -> {
                    LLVMValueRef from = b.gep(f32, src, b.add(b.mul(k, ld), x0));
                    LLVMValueRef to = b.gep(f32, panel, b.mul(k, b.i64(width)));
                    for (int v = 0; v < nv; v++) {
                        LLVMValueRef x = b.maskedLoad(vec, b.gep(f32, from, b.i64((long) v * lanes)), load[v], 4);
                        LLVMValueRef p = b.gep(f32, to, b.i64((long) v * lanes));
                        if (aligned) b.store(x, p, lanes * 4);
                        else b.maskedStore(x, p, store[v], 4);
                    }
                });
            });
            b.retVoid();
        }
        return fn;
    }

    /**
     * Panels from rows that are contiguous along k: {@code width} rows are read a vector of k at a
     * time (one load per row and cache line) and interleaved. Reading element by element would
     * touch {@code width} lines per k, and with a power-of-two {@code ld} those lines share one L1
     * set and evict each other.
     */
    LLVMValueRef transpose(String name, int width) {
        LLVMValueRef fn = declare(name);
        LLVMTypeRef f32 = mb.f32(), vec = mb.vector(f32, lanes);
        try (FunctionBuilder b = mb.body(fn)) {
            LLVMValueRef extent = b.param(0), kc = b.param(1), src = b.param(2), ld = b.param(3), dst = b.param(4);
            b.forRange(b.i64(0), extent, b.i64(width), x0 -> {
                LLVMValueRef panel = b.gep(f32, dst, b.mul(x0, kc));
                LLVMValueRef[] rowPtr = new LLVMValueRef[width];
                LLVMValueRef[] valid = new LLVMValueRef[width];
                LLVMValueRef last = b.sub(extent, b.i64(1));
                for (int i = 0; i < width; i++) {
                    LLVMValueRef r = b.add(x0, b.i64(i));
                    valid[i] = b.icmp(LLVMIntSLT, r, extent);
                    // Rows past the edge read the last real row (always in bounds) and store zero.
                    rowPtr[i] = b.gep(f32, src, b.mul(b.smin(r, last), ld));
                }
                LLVMValueRef kVec = b.mul(b.sdiv(kc, b.i64(lanes)), b.i64(lanes));
                b.forRange(b.i64(0), kVec, b.i64(lanes), k0 -> {
                    LLVMValueRef[] row = new LLVMValueRef[width];
                    for (int i = 0; i < width; i++)
                        row[i] = b.select(valid[i], b.load(vec, b.gep(f32, rowPtr[i], k0), 4), b.zero(vec));
                    LLVMValueRef to = b.gep(f32, panel, b.mul(k0, b.i64(width)));
                    if (width % lanes == 0) {
                        // lanes × lanes blocks transposed in registers, one vector store per panel row part
                        for (int i0 = 0; i0 < width; i0 += lanes) {
                            LLVMValueRef[] t = transposeBlock(b, java.util.Arrays.copyOfRange(row, i0, i0 + lanes));
                            for (int l = 0; l < lanes; l++) b.store(t[l], b.gep(f32, to, b.i64((long) l * width + i0)), 4);
                        }
                        return;
                    }
                    for (int l = 0; l < lanes; l++)
                        for (int i = 0; i < width; i++)
                            b.store(b.extract(row[i], l), b.gep(f32, to, b.i64((long) l * width + i)), 4);
                });
                b.forRange(kVec, kc, b.i64(1), k -> {
                    LLVMValueRef to = b.gep(f32, panel, b.mul(k, b.i64(width)));
                    for (int i = 0; i < width; i++) {
                        LLVMValueRef x = b.load(f32, b.gep(f32, rowPtr[i], k), 4);
                        b.store(b.select(valid[i], x, b.f32(0)), b.gep(f32, to, b.i64(i)), 4);
                    }
                });
            });
            b.retVoid();
        }
        return fn;
    }

    /**
     * The transpose of a square block of vectors ({@code v.length == lanes}, a power of two):
     * lane {@code l} of result {@code i} is lane {@code i} of {@code v[l]}. For each bit {@code s}
     * (largest first) the pair {@code (i, i+s)} swaps its off-diagonal {@code s×s} blocks, which
     * exchanges that bit between the row and the lane index: log2(lanes) rounds of two-source
     * shuffles instead of lanes² extracts and scalar stores.
     */
    private static LLVMValueRef[] transposeBlock(FunctionBuilder b, LLVMValueRef[] v) {
        int n = v.length;
        LLVMValueRef[] cur = v.clone();
        for (int s = n / 2; s >= 1; s /= 2) {
            int[] low = new int[n], high = new int[n];
            for (int l = 0; l < n; l++) {
                boolean upper = (l & s) != 0;
                low[l] = upper ? n + l - s : l;    // row i keeps its lanes without bit s and takes row i+s's
                high[l] = upper ? n + l : l + s;
            }
            LLVMValueRef[] next = new LLVMValueRef[n];
            for (int i = 0; i < n; i++) {
                if ((i & s) != 0) continue;
                next[i] = b.shuffle(cur[i], cur[i + s], low);
                next[i + s] = b.shuffle(cur[i], cur[i + s], high);
            }
            cur = next;
        }
        return cur;
    }
}
