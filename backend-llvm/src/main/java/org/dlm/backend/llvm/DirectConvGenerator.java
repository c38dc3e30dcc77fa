package org.dlm.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The direct ("implicit GEMM") convolution of one padded image, specialized on its shape:
 * {@code void(ptr X, ptr W, ptr Y, ptr bias, i32 flags)} computes Kernel IR's {@code sconv_direct}
 * (see {@code org.dlm.ir.kernel.Microkernels}) without an im2col matrix.
 *
 * <p>The input comes in phase planes (space to depth): channel ci, row phase ry &lt; sh and column
 * phase rx &lt; sw hold the pixels (y·sh + ry, x·sw + rx) as a {@code ph × pw} plane
 * ({@code ph = ⌈ih/sh⌉}, {@code pw = ⌈iw/sw⌉}); with stride 1 that is the image itself. Output
 * pixels are computed on the plane's row grid ({@code q = oy·pw + ox}), so for a kernel tap the
 * inputs of consecutive outputs are consecutive floats of one phase plane: one unaligned vector
 * load per {@code lanes} outputs, like a GEMM whose B panel is read straight from the image. The
 * register tile is {@code mr} output channels × {@code nv} vectors of grid positions; per tap it
 * loads {@code nv} input vectors, broadcasts {@code mr} weights (read from OIHW in place: the
 * tile's weight rows, {@code mr·c·kh·kw} floats, stay in L1 while the pixel tiles stream) and
 * issues {@code mr·nv} FMAs. The channel loop runs in the generated code with the taps unrolled in
 * its body. Bias and ReLU or ReLU6 (run-time flags) are applied, then each vector's real outputs (grid columns
 * {@code ox < ow}; the others are windows wrapping into the next row) are compressed to
 * consecutive lanes and stored into NCHW. The last tile is narrower, its last vector masked, so
 * no load leaves the image.
 */
public final class DirectConvGenerator {
    /** The shape one function is specialized on (bias, ReLU and ReLU6 are run-time flags: fewer distinct kernels). */
    public record Config(long o, long c, long ih, long iw, long kh, long kw, long sh, long sw, long dh, long dw, int lanes) {
        public long oh() { return (ih - (kh - 1) * dh - 1) / sh + 1; }
        public long ow() { return (iw - (kw - 1) * dw - 1) / sw + 1; }
        /** Rows and columns of a phase plane. */
        public long ph() { return (ih + sh - 1) / sh; }
        public long pw() { return (iw + sw - 1) / sw; }
        /** Floats of one channel's phase planes. */
        public long channelStride() { return sh * sw * ph() * pw(); }
        /** Offset of tap (ky, kx) from a grid position, within a channel's planes. */
        public long tapOffset(long ky, long kx) {
            long y = ky * dh, x = kx * dw;
            return ((y % sh) * sw + x % sw) * ph() * pw() + (y / sh) * pw() + x / sw;
        }
        /** Grid positions computed per channel: up to the last real pixel. */
        public long positions() { return (oh() - 1) * pw() + ow(); }
        /** Output channels per register tile. */
        public int mr() { return lanes >= 16 ? 8 : 4; }
        /** Pixel vectors per register tile. */
        public int nv() { return 3; }
    }

    private DirectConvGenerator() {}

    /** Emits the convolution as an exported function {@code name} in {@code mb}. */
    public static LLVMValueRef emit(ModuleBuilder mb, Config cfg, String name) {
        LLVMTypeRef ptr = mb.ptr(), f32 = mb.f32();
        LLVMValueRef fn = mb.function(name, mb.voidType(), ptr, ptr, ptr, ptr, mb.i32());
        mb.addEnum(fn, 3, "noalias");
        int lanes = cfg.lanes();
        LLVMTypeRef vec = mb.vector(f32, lanes);
        long taps = cfg.kh() * cfg.kw(), k = cfg.c() * taps, plane = cfg.channelStride(), ldy = cfg.oh() * cfg.ow();
        long positions = cfg.positions(), tile = (long) cfg.nv() * lanes;
        long fullTiles = positions / tile, rest = positions - fullTiles * tile;
        try (FunctionBuilder b = mb.body(fn)) {
            LLVMValueRef x = b.param(0), w = b.param(1), y = b.param(2), bias = b.param(3), flags = b.param(4);
            LLVMValueRef hasBias = b.icmp(LLVMIntNE, b.and(flags, b.i32(GemmFlags.BIAS_ROWS)), b.i32(0));
            LLVMValueRef[] relu = {b.icmp(LLVMIntNE, b.and(flags, b.i32(GemmFlags.RELU)), b.i32(0)),
                    b.icmp(LLVMIntNE, b.and(flags, b.i32(GemmFlags.RELU6)), b.i32(0))};
            // One channel block of `rows` output channels starting at channel oc0.
            java.util.function.BiConsumer<LLVMValueRef, Integer> block = (oc0, rows) -> {
                LLVMValueRef wBlock = b.gep(f32, w, b.mul(oc0, b.i64(k)));
                LLVMValueRef yBlock = b.gep(f32, y, b.mul(oc0, b.i64(ldy)));
                LLVMValueRef biasBlock = b.gep(f32, bias, oc0);
                if (fullTiles > 0)
                    b.forRange(b.i64(0), b.i64(fullTiles * tile), b.i64(tile), p0 ->
                            tile(b, cfg, vec, rows, cfg.nv(), lanes, x, wBlock, yBlock, biasBlock, hasBias, relu, p0, k, plane));
                if (rest > 0) {
                    int nv = (int) ((rest + lanes - 1) / lanes);
                    tile(b, cfg, vec, rows, nv, (int) (rest - (long) (nv - 1) * lanes), x, wBlock, yBlock, biasBlock, hasBias, relu,
                            b.i64(fullTiles * tile), k, plane);
                }
            };
            int mr = cfg.mr();
            long fullBlocks = cfg.o() / mr;
            if (fullBlocks > 0) b.forRange(b.i64(0), b.i64(fullBlocks * mr), b.i64(mr), oc0 -> block.accept(oc0, mr));
            int restRows = (int) (cfg.o() - fullBlocks * mr);
            if (restRows > 0) block.accept(b.i64(fullBlocks * mr), restRows);
            b.retVoid();
        }
        return fn;
    }

    /**
     * One register tile: {@code rows} channels × {@code nv} vectors from position {@code p0}; the
     * last vector has {@code lastLanes} valid lanes (masked loads and stores when fewer than all).
     */
    private static void tile(FunctionBuilder b, Config cfg, LLVMTypeRef vec, int rows, int nv, int lastLanes, LLVMValueRef x,
                             LLVMValueRef w, LLVMValueRef y, LLVMValueRef bias, LLVMValueRef hasBias, LLVMValueRef[] relu,
                             LLVMValueRef p0, long k, long plane) {
        LLVMTypeRef f32 = b.module().f32();
        int lanes = cfg.lanes();
        long taps = cfg.kh() * cfg.kw();
        LLVMValueRef lastMask = lastLanes < lanes ? b.laneMask(lanes, b.i64(0), b.i64(lastLanes)) : null;
        LLVMValueRef xTile = b.gep(f32, x, p0);
        List<LLVMValueRef> init = new ArrayList<>();
        for (int i = 0; i < rows * nv; i++) init.add(b.zero(vec));
        // The run-time loop: over input channels with every tap unrolled, or for a single input
        // channel over kernel rows (else the loop would vanish and LLVM would hoist all rows·taps
        // weight broadcasts out of the pixel loop, spilling them: LeNet's first layer ran 2× slower).
        boolean byRows = cfg.c() == 1 && cfg.kh() > 1;
        long pp = cfg.ph() * cfg.pw();
        List<LLVMValueRef> acc = b.forRange(b.i64(0), b.i64(byRows ? cfg.kh() : cfg.c()), b.i64(1), init, (it, carried) -> {
            LLVMValueRef xc, wc;
            if (byRows) {   // tap offset = row part (phase row, plane row) + column part
                LLVMValueRef dy = b.mul(it, b.i64(cfg.dh()));
                LLVMValueRef rowPart = b.add(b.mul(b.srem(dy, b.i64(cfg.sh())), b.i64(cfg.sw() * pp)), b.mul(b.sdiv(dy, b.i64(cfg.sh())), b.i64(cfg.pw())));
                xc = b.gep(f32, xTile, rowPart);
                wc = b.gep(f32, w, b.mul(it, b.i64(cfg.kw())));
            } else {
                xc = b.gep(f32, xTile, b.mul(it, b.i64(plane)));
                wc = b.gep(f32, w, b.mul(it, b.i64(taps)));
            }
            List<LLVMValueRef> next = new ArrayList<>(carried);
            for (long ky = 0; ky < (byRows ? 1 : cfg.kh()); ky++)
                for (long kx = 0; kx < cfg.kw(); kx++) {
                    long off = byRows ? cfg.tapOffset(0, kx) : cfg.tapOffset(ky, kx), t = ky * cfg.kw() + kx;
                    LLVMValueRef[] xv = new LLVMValueRef[nv];
                    for (int v = 0; v < nv; v++) {
                        LLVMValueRef at = b.gep(f32, xc, b.i64(off + (long) v * lanes));
                        xv[v] = v == nv - 1 && lastMask != null ? b.maskedLoad(vec, at, lastMask, 4) : b.load(vec, at, 4);
                    }
                    for (int i = 0; i < rows; i++) {
                        LLVMValueRef wi = b.splat(b.load(f32, b.gep(f32, wc, b.i64(i * k + t)), 4), lanes);
                        for (int v = 0; v < nv; v++) next.set(i * nv + v, b.fma(vec, wi, xv[v], next.get(i * nv + v)));
                    }
                }
            return next;
        });
        // A masked load, so that no bias pointer is touched when there is no bias.
        LLVMValueRef firstLaneIfBias = b.and(b.laneMask(lanes, b.i64(0), b.i64(1)), b.splat(hasBias, lanes));
        LLVMValueRef zero = b.zero(vec);
        // Grid position q = oy·pw + ox holds output (oy, ox) when ox < ow; a vector's real outputs
        // are consecutive in NCHW, so one compressing store per vector drops the wrapped lanes.
        long iw = cfg.pw(), ow = cfg.ow(), ohw = cfg.oh() * ow;
        LLVMValueRef[] mask = new LLVMValueRef[nv], dst = new LLVMValueRef[nv], prefix = new LLVMValueRef[nv];
        for (int v = 0; v < nv; v++) {
            LLVMValueRef q = b.add(p0, b.i64((long) v * lanes));
            LLVMValueRef s = b.srem(q, b.i64(iw));
            LLVMValueRef t = b.add(b.splat(b.trunc(s, b.module().i32()), lanes), b.iota(lanes, 0));
            LLVMValueRef m = b.icmp(LLVMIntSLT, t, b.splat(b.i32((int) ow), lanes));
            for (long row = iw; row < iw + lanes; row += iw)
                m = b.or(m, b.and(b.icmp(LLVMIntSGE, t, b.splat(b.i32((int) row), lanes)),
                        b.icmp(LLVMIntSLT, t, b.splat(b.i32((int) (row + ow)), lanes))));
            if (v == nv - 1 && lastMask != null) m = b.and(m, lastMask);
            mask[v] = m;
            if (lanes == 16) prefix[v] = b.laneMask(lanes, b.i64(0), b.maskCount(m));
            dst[v] = b.add(b.mul(b.sdiv(q, b.i64(iw)), b.i64(ow)), b.smin(s, b.i64(ow)));
        }
        for (int i = 0; i < rows; i++) {
            LLVMValueRef bi = b.broadcastLane0(b.maskedLoad(vec, b.gep(f32, bias, b.i64(i)), firstLaneIfBias, 4));
            LLVMValueRef yRow = b.gep(f32, y, b.i64(i * ohw));
            for (int v = 0; v < nv; v++) {
                LLVMValueRef r = acc.get(i * nv + v);
                r = b.fadd(r, bi);
                r = b.select(relu[0], b.maxnum(vec, r, zero), r);
                r = b.select(relu[1], X86Microkernels.relu6(b, vec, lanes, r), r);
                // AVX-512: compress in a register and store a prefix of lanes (a compressing
                // store to memory is microcoded on Intel); elsewhere LLVM's generic form.
                if (lanes == 16) b.maskedStore(b.compress(r, mask[v]), b.gep(f32, yRow, dst[v]), prefix[v], 4);
                else b.compressStore(r, b.gep(f32, yRow, dst[v]), mask[v]);
            }
        }
    }
}
