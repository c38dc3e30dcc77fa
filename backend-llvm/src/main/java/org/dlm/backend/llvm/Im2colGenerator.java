package org.dlm.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Emits {@code void name(float* image, float* col)} for one image of a {@link Conv2dSpec}: the
 * {@code [c·kh·kw, oh·ow]} matrix whose row {@code (ci, ki, kj)} holds the input pixels that
 * kernel tap meets at every output position, zero in the padding. All sizes are constants, so
 * LLVM specializes the index arithmetic.
 */
public final class Im2colGenerator {
    private Im2colGenerator() {}

    public static LLVMValueRef emit(ModuleBuilder mb, Conv2dSpec s, String name) {
        LLVMTypeRef ptr = mb.ptr(), f32 = mb.f32();
        LLVMValueRef fn = mb.function(name, mb.voidType(), ptr, ptr);
        mb.addEnum(fn, 1, "noalias");
        mb.addEnum(fn, 2, "noalias");
        int oh = s.outH(), ow = s.outW();
        try (FunctionBuilder b = mb.body(fn)) {
            LLVMValueRef image = b.param(0), col = b.param(1);
            b.forRange(b.i64(0), b.i64(s.c()), b.i64(1), ci -> {
                LLVMValueRef plane = b.gep(f32, image, b.mul(ci, b.i64((long) s.h() * s.w())));
                // Kernel taps are unrolled here, so the columns each tap reads inside the image
                // are constants: [x0, x1) is a strided copy, the rest is zero padding.
                for (int ki = 0; ki < s.kh(); ki++)
                    for (int kj = 0; kj < s.kw(); kj++) {
                        int offX = kj * s.dilationW() - s.padW(), offY = ki * s.dilationH() - s.padH();
                        int x0 = Math.min(ow, offX >= 0 ? 0 : Math.ceilDiv(-offX, s.strideW()));
                        int x1 = Math.max(x0, Math.min(ow, s.w() - 1 - offX < 0 ? 0 : (s.w() - 1 - offX) / s.strideW() + 1));
                        LLVMValueRef rowPtr = b.gep(f32, col, b.mul(b.add(b.mul(ci, b.i64((long) s.kh() * s.kw())), b.i64((long) ki * s.kw() + kj)),
                                b.i64((long) oh * ow)));
                        b.forRange(b.i64(0), b.i64(oh), b.i64(1), y -> {
                            LLVMValueRef iy = b.add(b.mul(y, b.i64(s.strideH())), b.i64(offY));
                            LLVMValueRef inside = b.and(b.icmp(LLVMIntSGE, iy, b.i64(0)), b.icmp(LLVMIntSLT, iy, b.i64(s.h())));
                            LLVMValueRef dst = b.gep(f32, rowPtr, b.mul(y, b.i64(ow)));
                            // Rows above or below the image copy nothing: the copy range collapses.
                            LLVMValueRef end = b.select(inside, b.i64(x1), b.i64(x0));
                            // Index of the row's column 0, maybe negative: only whole in-bounds indices become addresses.
                            LLVMValueRef base = b.add(b.mul(b.select(inside, iy, b.i64(0)), b.i64(s.w())), b.i64(offX));
                            b.forRange(b.i64(0), b.i64(x0), b.i64(1), x -> b.store(b.f32(0), b.gep(f32, dst, x), 4));
                            b.forRange(b.i64(x0), end, b.i64(1), x ->
                                    b.store(b.load(f32, b.gep(f32, plane, b.add(base, b.mul(x, b.i64(s.strideW())))), 4), b.gep(f32, dst, x), 4));
                            b.forRange(end, b.i64(ow), b.i64(1), x -> b.store(b.f32(0), b.gep(f32, dst, x), 4));
                        });
                    }
            });
            b.retVoid();
        }
        return fn;
    }
}
