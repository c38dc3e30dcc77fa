package org.dlm.backend.llvm;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The weight gradient of a stride-1 convolution over a chunk of (padded) images, specialized on
 * its shape: {@code void(ptr X, ptr G, ptr dW)} computes Kernel IR's {@code sconv_wgrad} (see
 * {@code org.dlm.ir.kernel.Microkernels}) without an im2col matrix or GEMM packing.
 *
 * <p>The output gradient comes on the padded image's row grid ({@code q = oy·iw + ox}, zero where
 * {@code ox >= ow}), so for a tap (ky, kx) the inputs that meet consecutive grid positions are
 * consecutive floats of the input plane at offset {@code ky·dh·iw + kx·dw}: the sum over positions
 * is a dot product of two contiguous streams. The register tile is {@code mr} output channels ×
 * the {@code kw} taps of one kernel row ({@code mr·kw <= 24} zmm accumulators, each holding
 * {@code lanes} partial sums); per vector of positions it loads {@code kw} input vectors, then
 * {@code mr} gradient vectors one at a time, each feeding {@code kw} FMAs ({@code mr·kw + kw + 1}
 * registers: loading all gradient rows first needs 33 zmm and spills). The accumulators run over every image
 * of the chunk and are reduced across lanes once per tile, then stored.
 */
public final class ConvWeightGradGenerator {
    /** The shape one function is specialized on. */
    public record Config(long o, long c, long ih, long iw, long kh, long kw, long dh, long dw, long n, int lanes) {
        public long oh() { return ih - (kh - 1) * dh; }
        public long ow() { return iw - (kw - 1) * dw; }
        /** Grid positions summed per plane: up to the last real output pixel. */
        public long positions() { return (oh() - 1) * iw + ow(); }
        /** Output channels per register tile. */
        public int mr() { return (int) Math.max(1, Math.min(lanes >= 16 ? 8 : 4, (lanes >= 16 ? 24 : 12) / kw)); }
    }

    private ConvWeightGradGenerator() {}

    /** Emits the weight gradient as an exported function {@code name} in {@code mb}. */
    public static LLVMValueRef emit(ModuleBuilder mb, Config cfg, String name) {
        LLVMTypeRef ptr = mb.ptr();
        LLVMValueRef fn = mb.function(name, mb.voidType(), ptr, ptr, ptr);
        mb.addEnum(fn, 3, "noalias");
        try (FunctionBuilder b = mb.body(fn)) {
            LLVMValueRef x = b.param(0), g = b.param(1), dw = b.param(2);
            int mr = cfg.mr();
            long full = cfg.o() / mr;
            if (full > 0) b.forRange(b.i64(0), b.i64(full * mr), b.i64(mr), oc0 -> block(b, cfg, x, g, dw, oc0, mr));
            int rest = (int) (cfg.o() - full * mr);
            if (rest > 0) block(b, cfg, x, g, dw, b.i64(full * mr), rest);
            b.retVoid();
        }
        return fn;
    }

    /** Output channels {@code [oc0, oc0 + rows)}: for every input channel and kernel row, one register tile. */
    private static void block(FunctionBuilder b, Config cfg, LLVMValueRef x, LLVMValueRef g, LLVMValueRef dw, LLVMValueRef oc0, int rows) {
        LLVMTypeRef f32 = b.module().f32();
        int lanes = cfg.lanes(), kw = (int) cfg.kw();
        LLVMTypeRef vec = b.module().vector(f32, lanes);
        long plane = cfg.ih() * cfg.iw(), gPlane = cfg.oh() * cfg.iw(), taps = cfg.kh() * kw, positions = cfg.positions();
        long vectors = positions / lanes, tail = positions - vectors * lanes;
        LLVMValueRef tailMask = tail > 0 ? b.laneMask(lanes, b.i64(0), b.i64(tail)) : null;
        b.forRange(b.i64(0), b.i64(cfg.c()), b.i64(1), ci -> b.forRange(b.i64(0), b.i64(cfg.kh()), b.i64(1), ky -> {
            List<LLVMValueRef> init = new ArrayList<>();
            for (int i = 0; i < rows * kw; i++) init.add(b.zero(vec));
            List<LLVMValueRef> acc = b.forRange(b.i64(0), b.i64(cfg.n()), b.i64(1), init, (img, carried) -> {
                LLVMValueRef xRow = b.gep(f32, x, b.add(b.mul(img, b.i64(cfg.c() * plane)),
                        b.add(b.mul(ci, b.i64(plane)), b.mul(ky, b.i64(cfg.dh() * cfg.iw())))));
                LLVMValueRef gRows = b.gep(f32, g, b.add(b.mul(img, b.i64(cfg.o() * gPlane)), b.mul(oc0, b.i64(gPlane))));
                FunctionBuilder.LoopBody step = (q, in) -> fmas(b, cfg, vec, xRow, gRows, q, rows, null, in);
                List<LLVMValueRef> sums = vectors > 0 ? b.forRange(b.i64(0), b.i64(vectors * lanes), b.i64(lanes), carried, step) : carried;
                return tail > 0 ? fmas(b, cfg, vec, xRow, gRows, b.i64(vectors * lanes), rows, tailMask, sums) : sums;
            });
            LLVMValueRef base = b.add(b.mul(oc0, b.i64(cfg.c() * taps)), b.add(b.mul(ci, b.i64(taps)), b.mul(ky, b.i64(kw))));
            for (int r = 0; r < rows; r++)
                for (int t = 0; t < kw; t++)
                    b.store(laneSum(b, acc.get(r * kw + t), lanes), b.gep(f32, dw, b.add(base, b.i64((long) r * cfg.c() * taps + t))), 4);
        }));
    }

    /** One vector of positions from {@code q}: {@code rows} gradient loads, {@code kw} input loads, rows·kw FMAs. */
    private static List<LLVMValueRef> fmas(FunctionBuilder b, Config cfg, LLVMTypeRef vec, LLVMValueRef xRow, LLVMValueRef gRows,
                                           LLVMValueRef q, int rows, LLVMValueRef mask, List<LLVMValueRef> acc) {
        LLVMTypeRef f32 = b.module().f32();
        int kw = (int) cfg.kw();
        long gPlane = cfg.oh() * cfg.iw();
        // the kw input vectors first, then one gradient row at a time: rows·kw + kw + 1 registers
        LLVMValueRef[] xv = new LLVMValueRef[kw];
        for (int t = 0; t < kw; t++) {
            LLVMValueRef at = b.gep(f32, xRow, b.add(q, b.i64(t * cfg.dw())));
            xv[t] = mask == null ? b.load(vec, at, 4) : b.maskedLoad(vec, at, mask, 4);
        }
        List<LLVMValueRef> next = new ArrayList<>(acc);
        for (int r = 0; r < rows; r++) {
            LLVMValueRef at = b.gep(f32, gRows, b.add(q, b.i64(r * gPlane)));
            LLVMValueRef gv = mask == null ? b.load(vec, at, 4) : b.maskedLoad(vec, at, mask, 4);
            for (int t = 0; t < kw; t++) next.set(r * kw + t, b.fma(vec, gv, xv[t], next.get(r * kw + t)));
        }
        return next;
    }

    /** The sum of a vector's lanes: halves added pairwise, then lane 0. */
    private static LLVMValueRef laneSum(FunctionBuilder b, LLVMValueRef v, int lanes) {
        for (int w = lanes / 2; w >= 1; w /= 2) {
            int[] mask = new int[lanes];
            for (int i = 0; i < lanes; i++) mask[i] = i < w ? i + w : i;
            v = b.fadd(v, b.shuffle(v, v, mask));
        }
        return b.extract(v, 0);
    }
}
