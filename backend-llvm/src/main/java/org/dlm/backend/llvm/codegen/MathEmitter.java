package org.dlm.backend.llvm.codegen;

import static org.bytedeco.llvm.global.LLVM.*;

import org.bytedeco.llvm.LLVM.LLVMBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Transcendental functions as straight-line code (Cephes-style range reduction and minimax
 * polynomials, about 1-2 ulp for exp and log in f32), so loops that use them vectorize: a call of
 * libm's {@code expf} would keep LLVM's loop vectorizer out.
 */
final class MathEmitter {
    private final KernelCodegen g;

    MathEmitter(KernelCodegen g) { this.g = g; }

    private LLVMBuilderRef b() { return g.builder(); }
    private LLVMValueRef c(LLVMTypeRef t, double v) { return LLVMConstReal(t, v); }
    private LLVMValueRef add(LLVMValueRef x, LLVMValueRef y) { return LLVMBuildFAdd(b(), x, y, ""); }
    private LLVMValueRef sub(LLVMValueRef x, LLVMValueRef y) { return LLVMBuildFSub(b(), x, y, ""); }
    private LLVMValueRef mul(LLVMValueRef x, LLVMValueRef y) { return LLVMBuildFMul(b(), x, y, ""); }
    private LLVMValueRef sel(LLVMValueRef c, LLVMValueRef x, LLVMValueRef y) { return LLVMBuildSelect(b(), c, x, y, ""); }
    private LLVMValueRef cmp(int pred, LLVMValueRef x, LLVMValueRef y) { return LLVMBuildFCmp(b(), pred, x, y, ""); }

    /** Horner evaluation of {@code coeffs[0]*x^(n-1) + ... + coeffs[n-1]}. */
    private LLVMValueRef poly(LLVMTypeRef t, LLVMValueRef x, double... coeffs) {
        LLVMValueRef r = c(t, coeffs[0]);
        for (int i = 1; i < coeffs.length; i++) r = add(mul(r, x), c(t, coeffs[i]));
        return r;
    }

    /** expf: e^x = 2^n · e^r with |r| ≤ ln2/2; 2^n built from exponent bits in two halves so n = 128 and n = -126 stay representable. */
    LLVMValueRef exp(LLVMValueRef x) {
        LLVMTypeRef t = g.f32(), i = g.i32();
        LLVMValueRef hi = c(t, 88.72283905206835), lo = c(t, -87.33654475055310);
        LLVMValueRef xc = sel(cmp(LLVMRealOGT, x, hi), hi, sel(cmp(LLVMRealOLT, x, lo), lo, x));
        LLVMValueRef n = g.intrinsic("llvm.roundeven", t, mul(xc, c(t, 1.44269504088896341)));
        LLVMValueRef r = sub(sub(xc, mul(n, c(t, 0.693359375))), mul(n, c(t, -2.12194440e-4)));
        LLVMValueRef p = poly(t, r, 1.9875691500E-4, 1.3981999507E-3, 8.3334519073E-3, 4.1665795894E-2, 1.6666665459E-1, 5.0000001201E-1);
        p = add(add(mul(p, mul(r, r)), r), c(t, 1));
        LLVMValueRef ni = LLVMBuildFPToSI(b(), n, i, "");
        LLVMValueRef n1 = LLVMBuildAShr(b(), ni, g.i32(1), "");
        LLVMValueRef n2 = LLVMBuildSub(b(), ni, n1, "");
        p = mul(mul(p, pow2(n1)), pow2(n2));
        p = sel(cmp(LLVMRealOGT, x, hi), c(t, Double.POSITIVE_INFINITY), p);
        return sel(cmp(LLVMRealOLT, x, lo), c(t, 0), p);
    }

    private LLVMValueRef pow2(LLVMValueRef n) {
        LLVMValueRef bits = LLVMBuildShl(b(), LLVMBuildAdd(b(), n, g.i32(127), ""), g.i32(23), "");
        return LLVMBuildBitCast(b(), bits, g.f32(), "");
    }

    /** logf: x = m·2^e with m in [√½, √2), log(m) by a polynomial in m-1. Zero gives -inf, negatives NaN, +inf stays. */
    LLVMValueRef log(LLVMValueRef x) {
        LLVMTypeRef t = g.f32(), i = g.i32();
        LLVMValueRef bits = LLVMBuildBitCast(b(), x, i, "");
        LLVMValueRef e = LLVMBuildSub(b(), LLVMBuildAnd(b(), LLVMBuildLShr(b(), bits, g.i32(23), ""), g.i32(0xff), ""), g.i32(126), "");
        LLVMValueRef m = LLVMBuildBitCast(b(), LLVMBuildOr(b(), LLVMBuildAnd(b(), bits, g.i32(0x007fffff), ""), g.i32(0x3f000000), ""), t, "");
        LLVMValueRef small = cmp(LLVMRealOLT, m, c(t, 0.707106781186547524));
        LLVMValueRef ef = LLVMBuildSIToFP(b(), e, t, "");
        ef = sel(small, sub(ef, c(t, 1)), ef);
        m = sel(small, sub(add(m, m), c(t, 1)), sub(m, c(t, 1)));
        LLVMValueRef z = mul(m, m);
        LLVMValueRef y = poly(t, m, 7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1, 1.4249322787E-1,
                -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1);
        y = mul(mul(y, m), z);
        y = add(y, mul(ef, c(t, -2.12194440e-4)));
        y = sub(y, mul(z, c(t, 0.5)));
        LLVMValueRef r = add(add(m, y), mul(ef, c(t, 0.693359375)));
        r = sel(cmp(LLVMRealOEQ, x, c(t, Double.POSITIVE_INFINITY)), x, r);
        r = sel(cmp(LLVMRealOEQ, x, c(t, 0)), c(t, Double.NEGATIVE_INFINITY), r);
        return sel(cmp(LLVMRealOGE, x, c(t, 0)), r, c(t, Double.NaN));   // x < 0 or NaN -> NaN
    }

    private LLVMValueRef expAny(LLVMValueRef x, LLVMTypeRef t) {
        return LLVMGetTypeKind(t) == LLVMFloatTypeKind ? exp(x) : g.intrinsic("llvm.exp", t, x);
    }

    /** tanh(x) = 1 - 2/(e^{2x}+1), with x - x³/3 near 0 where the subtraction would cancel. */
    LLVMValueRef tanh(LLVMValueRef x, LLVMTypeRef t) {
        LLVMValueRef big = sub(c(t, 1), LLVMBuildFDiv(b(), c(t, 2), add(expAny(add(x, x), t), c(t, 1)), ""));
        LLVMValueRef x2 = mul(x, x);
        LLVMValueRef small = mul(x, poly(t, x2, 2.0 / 15, -1.0 / 3, 1));
        LLVMValueRef ax = g.intrinsic("llvm.fabs", t, x);
        return sel(cmp(LLVMRealOLT, ax, c(t, 0.01)), small, big);
    }

    /** erf: Taylor series for |x| < 0.5, Abramowitz-Stegun 7.1.26 (|error| ≤ 1.5e-7) beyond. */
    LLVMValueRef erf(LLVMValueRef x, LLVMTypeRef t) {
        LLVMValueRef ax = g.intrinsic("llvm.fabs", t, x);
        LLVMValueRef x2 = mul(x, x);
        LLVMValueRef series = mul(mul(x, c(t, 2 / Math.sqrt(Math.PI))), poly(t, x2, 1.0 / 216, -1.0 / 42, 1.0 / 10, -1.0 / 3, 1));
        LLVMValueRef tt = LLVMBuildFDiv(b(), c(t, 1), add(c(t, 1), mul(ax, c(t, 0.3275911))), "");
        LLVMValueRef p = mul(poly(t, tt, 1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592), tt);
        LLVMValueRef y = sub(c(t, 1), mul(p, expAny(LLVMBuildFNeg(b(), x2, ""), t)));
        LLVMValueRef signed = g.intrinsic("llvm.copysign", t, y, x);
        return sel(cmp(LLVMRealOLT, ax, c(t, 0.5)), series, signed);
    }

    /** Integer power through f64 (exact for the small results integer pow is used for). */
    LLVMValueRef ipow(LLVMValueRef x, LLVMValueRef y, LLVMTypeRef t) {
        LLVMTypeRef d = LLVMDoubleTypeInContext(LLVMGetTypeContext(t));
        LLVMValueRef r = g.intrinsic("llvm.pow", d, LLVMBuildSIToFP(b(), x, d, ""), LLVMBuildSIToFP(b(), y, d, ""));
        return LLVMBuildFPToSI(b(), r, t, "");
    }
}
