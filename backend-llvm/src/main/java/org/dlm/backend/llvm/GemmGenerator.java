package org.dlm.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Emits a complete fp32 GEMM, {@code C = epilogue(A·B [+ C])} for row-major A (M×K), B (K×N),
 * C (M×N) with leading dimensions, as LLVM IR: BLIS-style cache blocking (NC, KC, MC loops),
 * packing of A into MR-row panels and of B into NR-column panels (zero-padded at the edges), and
 * an {@link X86Microkernels} register tile for every MR×NR block.
 *
 * <p>The exported function is
 * {@code void name(i64 M, i64 N, i64 K, float* A, i64 lda, float* B, i64 ldb, float* C, i64 ldc,
 * i32 flags, float* bias, float* packA, float* packB)}; {@code flags} are {@link GemmFlags},
 * {@code bias} may be null without a bias flag, and the pack buffers hold
 * {@link GemmConfig#packASize()} and {@link GemmConfig#packBSize()} floats, 64-byte aligned.
 * It uses no heap, no threads and no libc, so the same code serves the JIT and shared libraries.
 */
public final class GemmGenerator {
    private final ModuleBuilder mb;
    private final GemmConfig cfg;

    public GemmGenerator(ModuleBuilder mb, GemmConfig cfg) {
        this.mb = mb;
        this.cfg = cfg;
    }

    public GemmConfig config() { return cfg; }

    /** Emits the GEMM as the exported function {@code name} (helpers get {@code name} as prefix). */
    public LLVMValueRef emit(String name) {
        LLVMValueRef kernel = X86Microkernels.sgemm(mb, cfg, name + "_ukernel");
        LLVMValueRef packA = packA(name + "_pack_a");
        LLVMValueRef packB = packB(name + "_pack_b");
        LLVMTypeRef i64 = mb.i64(), ptr = mb.ptr(), f32 = mb.f32();
        LLVMValueRef fn = mb.function(name, mb.voidType(), i64, i64, i64, ptr, i64, ptr, i64, ptr, i64, mb.i32(), ptr, ptr, ptr);
        try (FunctionBuilder b = mb.body(fn)) {
            LLVMValueRef m = b.param(0), n = b.param(1), k = b.param(2), a = b.param(3), lda = b.param(4);
            LLVMValueRef bm = b.param(5), ldb = b.param(6), c = b.param(7), ldc = b.param(8), flags = b.param(9), bias = b.param(10);
            LLVMValueRef bufA = b.param(11), bufB = b.param(12);
            LLVMValueRef epilogueFlags = b.and(flags, b.i32(GemmFlags.BIAS_COLUMNS | GemmFlags.BIAS_ROWS | GemmFlags.RELU));
            LLVMValueRef colBias = b.icmp(LLVMIntNE, b.and(flags, b.i32(GemmFlags.BIAS_COLUMNS)), b.i32(0));
            // K = 0 still runs one (empty) k block so that C gets its epilogue.
            LLVMValueRef kEnd = b.select(b.icmp(LLVMIntSGT, k, b.i64(0)), k, b.i64(1));
            b.forRange(b.i64(0), n, b.i64(cfg.nc()), jc -> {
                LLVMValueRef nc = b.smin(b.i64(cfg.nc()), b.sub(n, jc));
                b.forRange(b.i64(0), kEnd, b.i64(cfg.kc()), pc -> {
                    LLVMValueRef kc = b.smin(b.i64(cfg.kc()), b.sub(k, pc));
                    b.call(mb.callee(packB), kc, nc, b.gep(f32, bm, b.add(b.mul(pc, ldb), jc)), ldb, bufB);
                    LLVMValueRef first = b.icmp(LLVMIntEQ, pc, b.i64(0));
                    LLVMValueRef last = b.icmp(LLVMIntSGE, b.add(pc, kc), k);
                    LLVMValueRef f = b.or(b.select(first, b.and(flags, b.i32(GemmFlags.ACCUMULATE)), b.i32(GemmFlags.ACCUMULATE)),
                            b.select(last, epilogueFlags, b.i32(0)));
                    b.forRange(b.i64(0), m, b.i64(cfg.mc()), ic -> {
                        LLVMValueRef mc = b.smin(b.i64(cfg.mc()), b.sub(m, ic));
                        b.call(mb.callee(packA), mc, kc, b.gep(f32, a, b.add(b.mul(ic, lda), pc)), lda, bufA);
                        // Tile (ir, jr): one register tile of C from an A and a B micro-panel.
                        java.util.function.BiConsumer<LLVMValueRef, LLVMValueRef> tile = (ir, jr) -> {
                            LLVMValueRef nr = b.smin(b.i64(cfg.nr()), b.sub(nc, jr));
                            LLVMValueRef mr = b.smin(b.i64(cfg.mr()), b.sub(mc, ir));
                            LLVMValueRef col = b.add(jc, jr), row = b.add(ic, ir);
                            LLVMValueRef cTile = b.gep(f32, c, b.add(b.mul(row, ldc), col));
                            LLVMValueRef biasTile = b.gep(f32, bias, b.select(colBias, col, row));
                            b.call(mb.callee(kernel), kc, b.gep(f32, bufA, b.mul(ir, kc)), b.gep(f32, bufB, b.mul(jr, kc)),
                                    cTile, ldc, mr, nr, f, biasTile);
                        };
                        if (cfg.bPanelInL1()) {   // BLIS order: the B micro-panel stays in L1 across the ir loop
                            b.forRange(b.i64(0), nc, b.i64(cfg.nr()), jr -> b.forRange(b.i64(0), mc, b.i64(cfg.mr()), ir -> tile.accept(ir, jr)));
                        } else {                  // the A micro-panel stays in L1, B micro-panels stream from the L2-sized B block
                            b.forRange(b.i64(0), mc, b.i64(cfg.mr()), ir -> b.forRange(b.i64(0), nc, b.i64(cfg.nr()), jr -> tile.accept(ir, jr)));
                        }
                    });
                });
            });
            b.retVoid();
        }
        return fn;
    }

    /** {@code void(i64 kc, i64 nc, float* src, i64 ldb, float* dst)}: B block → NR-wide panels, k-major. */
    private LLVMValueRef packB(String name) {
        LLVMTypeRef i64 = mb.i64(), ptr = mb.ptr(), f32 = mb.f32();
        LLVMValueRef fn = mb.internalFunction(name, mb.voidType(), i64, i64, ptr, i64, ptr);
        mb.addEnum(fn, 3, "noalias");
        mb.addEnum(fn, 5, "noalias");
        int lanes = cfg.lanes(), nv = cfg.vectorsPerRow(), nr = cfg.nr();
        LLVMTypeRef vec = mb.vector(f32, lanes);
        try (FunctionBuilder b = mb.body(fn)) {
            LLVMValueRef kc = b.param(0), nc = b.param(1), src = b.param(2), ldb = b.param(3), dst = b.param(4);
            b.forRange(b.i64(0), nc, b.i64(nr), jp -> {
                LLVMValueRef panel = b.gep(f32, dst, b.mul(jp, kc));
                LLVMValueRef[] mask = new LLVMValueRef[nv];
                for (int v = 0; v < nv; v++) mask[v] = b.laneMask(lanes, b.add(jp, b.i64((long) v * lanes)), nc);
                b.forRange(b.i64(0), kc, b.i64(1), kk -> {
                    LLVMValueRef from = b.gep(f32, src, b.add(b.mul(kk, ldb), jp));
                    LLVMValueRef to = b.gep(f32, panel, b.mul(kk, b.i64(nr)));
                    for (int v = 0; v < nv; v++) {
                        LLVMValueRef x = b.maskedLoad(vec, b.gep(f32, from, b.i64((long) v * lanes)), mask[v], 4);
                        b.store(x, b.gep(f32, to, b.i64((long) v * lanes)), lanes * 4);
                    }
                });
            });
            b.retVoid();
        }
        return fn;
    }

    /** {@code void(i64 mc, i64 kc, float* src, i64 lda, float* dst)}: A block → MR-tall panels, k-major. */
    private LLVMValueRef packA(String name) {
        LLVMTypeRef i64 = mb.i64(), ptr = mb.ptr(), f32 = mb.f32();
        LLVMValueRef fn = mb.internalFunction(name, mb.voidType(), i64, i64, ptr, i64, ptr);
        mb.addEnum(fn, 3, "noalias");
        mb.addEnum(fn, 5, "noalias");
        int mr = cfg.mr(), lanes = cfg.lanes();
        LLVMTypeRef vec = mb.vector(f32, lanes);
        try (FunctionBuilder b = mb.body(fn)) {
            LLVMValueRef mc = b.param(0), kc = b.param(1), src = b.param(2), lda = b.param(3), dst = b.param(4);
            b.forRange(b.i64(0), mc, b.i64(mr), ip -> {
                LLVMValueRef panel = b.gep(f32, dst, b.mul(ip, kc));
                LLVMValueRef[] rowPtr = new LLVMValueRef[mr];
                LLVMValueRef[] valid = new LLVMValueRef[mr];
                LLVMValueRef lastRow = b.sub(mc, b.i64(1));
                for (int i = 0; i < mr; i++) {
                    LLVMValueRef r = b.add(ip, b.i64(i));
                    valid[i] = b.icmp(LLVMIntSLT, r, mc);
                    // Rows past the edge read the last real row (always in bounds) and store zero.
                    rowPtr[i] = b.gep(f32, src, b.mul(b.smin(r, lastRow), lda));
                }
                // Whole vectors of k first: one load per row and cache line. Reading element by
                // element would touch MR lines per k, and with a power-of-two lda those lines share
                // one L1 set and evict each other.
                LLVMValueRef kVec = b.mul(b.sdiv(kc, b.i64(lanes)), b.i64(lanes));
                b.forRange(b.i64(0), kVec, b.i64(lanes), k0 -> {
                    LLVMValueRef[] row = new LLVMValueRef[mr];
                    for (int i = 0; i < mr; i++)
                        row[i] = b.select(valid[i], b.load(vec, b.gep(f32, rowPtr[i], k0), 4), b.zero(vec));
                    LLVMValueRef to = b.gep(f32, panel, b.mul(k0, b.i64(mr)));
                    for (int l = 0; l < lanes; l++)
                        for (int i = 0; i < mr; i++)
                            b.store(b.extract(row[i], l), b.gep(f32, to, b.i64((long) l * mr + i)), 4);
                });
                b.forRange(kVec, kc, b.i64(1), kk -> {
                    LLVMValueRef to = b.gep(f32, panel, b.mul(kk, b.i64(mr)));
                    for (int i = 0; i < mr; i++) {
                        LLVMValueRef x = b.load(f32, b.gep(f32, rowPtr[i], kk), 4);
                        b.store(b.select(valid[i], x, b.f32(0)), b.gep(f32, to, b.i64(i)), 4);
                    }
                });
            });
            b.retVoid();
        }
        return fn;
    }
}
