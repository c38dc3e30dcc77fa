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
            b.forRange(b.i64(0), b.i64(s.c()), b.i64(1), ci ->
                b.forRange(b.i64(0), b.i64(s.kh()), b.i64(1), ki ->
                    b.forRange(b.i64(0), b.i64(s.kw()), b.i64(1), kj -> {
                        LLVMValueRef row = b.add(b.mul(b.add(b.mul(ci, b.i64(s.kh())), ki), b.i64(s.kw())), kj);
                        LLVMValueRef rowPtr = b.gep(f32, col, b.mul(row, b.i64((long) oh * ow)));
                        LLVMValueRef plane = b.gep(f32, image, b.mul(ci, b.i64((long) s.h() * s.w())));
                        b.forRange(b.i64(0), b.i64(oh), b.i64(1), y -> {
                            LLVMValueRef iy = b.add(b.sub(b.mul(y, b.i64(s.strideH())), b.i64(s.padH())), b.mul(ki, b.i64(s.dilationH())));
                            LLVMValueRef rowInside = b.and(b.icmp(LLVMIntSGE, iy, b.i64(0)), b.icmp(LLVMIntSLT, iy, b.i64(s.h())));
                            LLVMValueRef src = b.gep(f32, plane, b.mul(b.select(rowInside, iy, b.i64(0)), b.i64(s.w())));
                            LLVMValueRef dst = b.gep(f32, rowPtr, b.mul(y, b.i64(ow)));
                            b.forRange(b.i64(0), b.i64(ow), b.i64(1), x -> {
                                LLVMValueRef ix = b.add(b.sub(b.mul(x, b.i64(s.strideW())), b.i64(s.padW())), b.mul(kj, b.i64(s.dilationW())));
                                LLVMValueRef inside = b.and(rowInside, b.and(b.icmp(LLVMIntSGE, ix, b.i64(0)), b.icmp(LLVMIntSLT, ix, b.i64(s.w()))));
                                // Clamped address: always in bounds, so the load needs no branch.
                                LLVMValueRef v = b.load(f32, b.gep(f32, src, b.select(inside, ix, b.i64(0))), 4);
                                b.store(b.select(inside, v, b.f32(0)), b.gep(f32, dst, x), 4);
                            });
                        });
                    })));
            b.retVoid();
        }
        return fn;
    }
}
