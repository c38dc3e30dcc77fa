package org.dlm.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Emits a complete fp32 GEMM, {@code C = epilogue(op(A)·op(B) [+ C])} for row-major A (M×K, or
 * K×M when {@link GemmConfig#transA()}), B (K×N, or N×K when {@link GemmConfig#transB()}) and
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
 *
 * <p><b>Prepacked operands.</b> A constant operand (a parameter of an inference executable) can be
 * packed once: {@code name_prepack_a(M, K, A, lda, dst)} / {@code name_prepack_b(N, K, B, ldb, dst)}
 * (exported, same argument order as the packing routines) write the whole operand as panels of
 * {@code mr} rows / {@code nr} columns, each panel holding all K steps ({@code (k, x)} at
 * {@code k·width + x}, zero past the edge), which is the layout of every packed block laid end to
 * end: the micro-panel at rows/columns {@code x0} and depth {@code pc} starts at
 * {@code x0·K + pc·width}. A call with {@link GemmFlags#PACKED_A} / {@link GemmFlags#PACKED_B}
 * passes that buffer as {@code packA} / {@code packB} and the GEMM reads it in place of packing
 * (A or B itself is then not read). A part of such a GEMM split over rows (columns) in multiples
 * of {@code mr} ({@code nr}) offsets the prepacked A (B) by {@code first·K}.
 */
public final class GemmGenerator {
    /** Up to this many rows of A (batch-1 and small-batch inference) the GEMM runs unpacked. */
    public static final int DIRECT_MAX_ROWS = 8;
    private static final int DIRECT_TILE_ROWS = 4;
    private final ModuleBuilder mb;
    private final GemmConfig cfg;

    public GemmGenerator(ModuleBuilder mb, GemmConfig cfg) {
        this.mb = mb;
        this.cfg = cfg;
    }

    public GemmConfig config() { return cfg; }

    /** Emits the GEMM as the exported function {@code name} (helpers get {@code name} as prefix). */
    public LLVMValueRef emit(String name) { return emit(name, true); }

    /**
     * As {@link #emit(String)}; without {@code fewRows} every M takes the packed path (a kernel
     * only ever called with M > {@link #DIRECT_MAX_ROWS} then compiles without the unpacked code).
     */
    public LLVMValueRef emit(String name, boolean fewRows) {
        LLVMValueRef kernel = X86Microkernels.sgemm(mb, cfg, name + "_ukernel");
        GemmPacking packing = new GemmPacking(mb, cfg.lanes());
        LLVMValueRef packA = cfg.transA() ? packing.copy(name + "_pack_a", cfg.mr()) : packing.transpose(name + "_pack_a", cfg.mr());
        LLVMValueRef packB = cfg.transB() ? packing.transpose(name + "_pack_b", cfg.nr()) : packing.copy(name + "_pack_b", cfg.nr());
        exportPacking(name + PREPACK_A, packA);
        exportPacking(name + PREPACK_B, packB);
        boolean unpacked = fewRows && !cfg.transA() && !cfg.transB();
        LLVMValueRef direct = unpacked ? X86Microkernels.sgemmDirect(mb, cfg, DIRECT_TILE_ROWS, cfg.vectorsPerRow(), name + "_direct") : null;
        LLVMValueRef vector = unpacked ? X86Microkernels.sgemmDirect(mb, cfg, 1, 4 * cfg.vectorsPerRow(), name + "_row") : null;
        LLVMTypeRef i64 = mb.i64(), ptr = mb.ptr(), f32 = mb.f32();
        LLVMValueRef fn = mb.function(name, mb.voidType(), i64, i64, i64, ptr, i64, ptr, i64, ptr, i64, mb.i32(), ptr, ptr, ptr);
        try (FunctionBuilder b = mb.body(fn)) {
            LLVMValueRef m = b.param(0), n = b.param(1), k = b.param(2), a = b.param(3), lda = b.param(4);
            LLVMValueRef bm = b.param(5), ldb = b.param(6), c = b.param(7), ldc = b.param(8), flags = b.param(9), bias = b.param(10);
            LLVMValueRef bufA = b.param(11), bufB = b.param(12);
            LLVMValueRef epilogueFlags = b.and(flags, b.i32(GemmFlags.BIAS_COLUMNS | GemmFlags.BIAS_ROWS | GemmFlags.RELU | GemmFlags.RELU6));
            LLVMValueRef colBias = b.icmp(LLVMIntNE, b.and(flags, b.i32(GemmFlags.BIAS_COLUMNS)), b.i32(0));
            LLVMValueRef prepackedA = b.icmp(LLVMIntNE, b.and(flags, b.i32(GemmFlags.PACKED_A)), b.i32(0));
            LLVMValueRef prepackedB = b.icmp(LLVMIntNE, b.and(flags, b.i32(GemmFlags.PACKED_B)), b.i32(0));
            // Distance of consecutive micro-panels: kc in a packed block, K in a prepacked operand.
            LLVMValueRef kSafe = b.select(b.icmp(LLVMIntSGT, k, b.i64(1)), k, b.i64(1));
            LLVMValueRef packAHere = b.icmp(LLVMIntEQ, b.and(flags, b.i32(GemmFlags.PACKED_A)), b.i32(0));
            LLVMValueRef packBHere = b.icmp(LLVMIntEQ, b.and(flags, b.i32(GemmFlags.PACKED_B)), b.i32(0));
            Runnable packed = () -> {
                // K = 0 still runs one (empty) k block so that C gets its epilogue.
                LLVMValueRef kEnd = b.select(b.icmp(LLVMIntSGT, k, b.i64(0)), k, b.i64(1));
                // The flags of the k block starting at pc: accumulate after the first, epilogue at the last.
                java.util.function.Function<LLVMValueRef, LLVMValueRef> blockFlags = pc -> {
                    LLVMValueRef first = b.icmp(LLVMIntEQ, pc, b.i64(0));
                    LLVMValueRef last = b.icmp(LLVMIntSGE, b.add(pc, b.smin(b.i64(cfg.kc()), b.sub(k, pc))), k);
                    return b.or(b.select(first, b.and(flags, b.i32(GemmFlags.ACCUMULATE)), b.i32(GemmFlags.ACCUMULATE)),
                            b.select(last, epilogueFlags, b.i32(0)));
                };
                java.util.function.BiConsumer<LLVMValueRef, LLVMValueRef> packBBlock = (jc, pc) -> b.ifThen(packBHere, () -> {
                    LLVMValueRef bBlock = cfg.transB() ? b.add(b.mul(jc, ldb), pc) : b.add(b.mul(pc, ldb), jc);
                    b.call(mb.callee(packB), b.smin(b.i64(cfg.nc()), b.sub(n, jc)), b.smin(b.i64(cfg.kc()), b.sub(k, pc)), b.gep(f32, bm, bBlock), ldb, bufB);
                });
                java.util.function.BiConsumer<LLVMValueRef, LLVMValueRef> packABlock = (ic, pc) -> b.ifThen(packAHere, () -> {
                    LLVMValueRef aBlock = cfg.transA() ? b.add(b.mul(pc, lda), ic) : b.add(b.mul(ic, lda), pc);
                    b.call(mb.callee(packA), b.smin(b.i64(cfg.mc()), b.sub(m, ic)), b.smin(b.i64(cfg.kc()), b.sub(k, pc)), b.gep(f32, a, aBlock), lda, bufA);
                });
                // All register tiles of the packed blocks (ic, pc) of A and (pc, jc) of B.
                BlockTiles tiles = (ic, jc, pc) -> {
                    LLVMValueRef kc = b.smin(b.i64(cfg.kc()), b.sub(k, pc));
                    LLVMValueRef mc = b.smin(b.i64(cfg.mc()), b.sub(m, ic)), nc = b.smin(b.i64(cfg.nc()), b.sub(n, jc));
                    LLVMValueRef f = blockFlags.apply(pc);
                    // The packed blocks' first micro-panels and the distance between micro-panels.
                    LLVMValueRef aBlock = b.select(prepackedA, b.gep(f32, bufA, b.add(b.mul(ic, kSafe), b.mul(pc, b.i64(cfg.mr())))), bufA);
                    LLVMValueRef bBlock = b.select(prepackedB, b.gep(f32, bufB, b.add(b.mul(jc, kSafe), b.mul(pc, b.i64(cfg.nr())))), bufB);
                    LLVMValueRef aStep = b.select(prepackedA, kSafe, kc), bStep = b.select(prepackedB, kSafe, kc);
                    // Tile (ir, jr): one register tile of C from an A and a B micro-panel.
                    java.util.function.BiConsumer<LLVMValueRef, LLVMValueRef> tile = (ir, jr) -> {
                        LLVMValueRef nr = b.smin(b.i64(cfg.nr()), b.sub(nc, jr));
                        LLVMValueRef mr = b.smin(b.i64(cfg.mr()), b.sub(mc, ir));
                        LLVMValueRef col = b.add(jc, jr), row = b.add(ic, ir);
                        LLVMValueRef cTile = b.gep(f32, c, b.add(b.mul(row, ldc), col));
                        LLVMValueRef biasTile = b.gep(f32, bias, b.select(colBias, col, row));
                        b.call(mb.callee(kernel), kc, b.gep(f32, aBlock, b.mul(ir, aStep)), b.gep(f32, bBlock, b.mul(jr, bStep)),
                                cTile, ldc, mr, nr, f, biasTile);
                    };
                    if (cfg.bPanelInL1()) {
                        b.forRange(b.i64(0), nc, b.i64(cfg.nr()), jr -> b.forRange(b.i64(0), mc, b.i64(cfg.mr()), ir -> tile.accept(ir, jr)));
                    } else {
                        b.forRange(b.i64(0), mc, b.i64(cfg.mr()), ir -> b.forRange(b.i64(0), nc, b.i64(cfg.nr()), jr -> tile.accept(ir, jr)));
                    }
                };
                if (cfg.bPanelInL1()) {
                    // BLIS order jc → pc → ic: the B micro-panel stays in L1 across the rows of the
                    // L2-sized A block; the B block (L3) is packed once, A once per column block.
                    b.forRange(b.i64(0), n, b.i64(cfg.nc()), jc -> b.forRange(b.i64(0), kEnd, b.i64(cfg.kc()), pc -> {
                        packBBlock.accept(jc, pc);
                        b.forRange(b.i64(0), m, b.i64(cfg.mc()), ic -> {
                            packABlock.accept(ic, pc);
                            tiles.emit(ic, jc, pc);
                        });
                    }));
                } else {
                    // The mirror, ic → pc → jc: the A micro-panel stays in L1 across the columns of the
                    // L2-sized B block. A (for row-major A a transpose, one store per element) is
                    // packed exactly once; B (vector copies) once per row block.
                    b.forRange(b.i64(0), m, b.i64(cfg.mc()), ic -> b.forRange(b.i64(0), kEnd, b.i64(cfg.kc()), pc -> {
                        packABlock.accept(ic, pc);
                        b.forRange(b.i64(0), n, b.i64(cfg.nc()), jc -> {
                            packBBlock.accept(jc, pc);
                            tiles.emit(ic, jc, pc);
                        });
                    }));
                }
            };
            if (direct == null) {
                packed.run();
            } else {   // a few rows: no packing (see X86Microkernels.sgemmDirect), unless an operand comes prepacked
                // One row over many columns gets the wide tile; over few columns it would compute masked-off lanes.
                LLVMValueRef prepacked = b.or(prepackedA, prepackedB);
                b.ifThenElse(prepacked, packed, () -> b.ifThenElse(b.and(b.icmp(LLVMIntEQ, m, b.i64(1)), b.icmp(LLVMIntSGT, n, b.i64(2L * cfg.nr()))),
                        () -> b.call(mb.callee(vector), m, n, k, a, lda, bm, ldb, c, ldc, flags, bias),
                        () -> b.ifThenElse(b.icmp(LLVMIntSLE, m, b.i64(DIRECT_MAX_ROWS)),
                                () -> b.call(mb.callee(direct), m, n, k, a, lda, bm, ldb, c, ldc, flags, bias), packed)));
            }
            b.retVoid();
        }
        return fn;
    }

    /** Suffixes of the exported prepacking functions {@code void(i64 extent, i64 K, ptr src, i64 ld, ptr dst)}. */
    public static final String PREPACK_A = "_prepack_a", PREPACK_B = "_prepack_b";

    /** Floats of a prepacked A of M rows and depth K ({@link GemmFlags#PACKED_A}). */
    public static long prepackASize(GemmConfig cfg, long m, long k) { return ceil(m, cfg.mr()) * Math.max(k, 1); }

    /** Floats of a prepacked B of N columns and depth K ({@link GemmFlags#PACKED_B}). */
    public static long prepackBSize(GemmConfig cfg, long n, long k) { return ceil(n, cfg.nr()) * Math.max(k, 1); }

    private static long ceil(long x, int unit) { return (x + unit - 1) / unit * unit; }

    /** An exported copy of a packing routine (the JIT'd GEMM module's internal one is inlined away). */
    private void exportPacking(String name, LLVMValueRef pack) {
        LLVMTypeRef i64 = mb.i64(), ptr = mb.ptr();
        LLVMValueRef fn = mb.function(name, mb.voidType(), i64, i64, ptr, i64, ptr);
        try (FunctionBuilder b = mb.body(fn)) {
            b.call(mb.callee(pack), b.param(0), b.param(1), b.param(2), b.param(3), b.param(4));
            b.retVoid();
        }
    }

    @FunctionalInterface
    private interface BlockTiles {
        void emit(LLVMValueRef ic, LLVMValueRef jc, LLVMValueRef pc);
    }
}
