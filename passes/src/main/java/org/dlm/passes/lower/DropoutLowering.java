package org.dlm.passes.lower;

import static org.dlm.ir.kernel.Expr.*;

import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.ir.kernel.Expr;

/**
 * Training dropout as a fusable elementwise rule that recomputes the mask from the flat index:
 * exactly {@code DropoutMask} (SplitMix64 output i of the seed = attribute + optional i64 seed
 * operand; kept iff its top 53 bits, as a fraction, are ≥ p), so compiled code drops the very
 * elements the interpreter drops. The comparison is done on the 53-bit integer against
 * ⌈p·2^53⌉, which is the same test without a float conversion.
 */
final class DropoutLowering {
    private DropoutLowering() {}

    static void register(LoweringTable t) {
        t.elementwise("dropout", true, DropoutLowering::dropout);
    }

    static Expr dropout(Node n, Index idx, Lowerer cx) {
        Expr x = cx.operand(n, 0, idx);
        double p = n.attrs().getDouble("p", 0.5);
        if (!n.attrs().getBool("training", false) || p == 0) return x;
        DType t = n.dtype();
        if (p >= 1) return c(t, 0);
        Expr seed = i64(n.attrs().getLong("seed", 0L));
        if (n.inputs().size() > 1) seed = add(seed, cx.read(n.input(1), Index.ofFlat(new long[0], i64(0))));
        Expr z = add(seed, new Binary(BinOp.MUL, add(idx.flat(), i64(1)), u64(0x9E3779B97F4A7C15L)));
        z = new Binary(BinOp.MUL, xorShift(z, 30), u64(0xBF58476D1CE4E5B9L));
        z = new Binary(BinOp.MUL, xorShift(z, 27), u64(0x94D049BB133111EBL));
        z = xorShift(z, 31);
        long threshold = (long) Math.ceil(p * 0x1.0p53);
        Expr keep = bin(BinOp.GE, bin(BinOp.SHR, z, i64(11)), i64(threshold));
        return select(keep, div(x, c(t, 1 - p)), c(t, 0));
    }

    private static Expr xorShift(Expr z, int bits) { return bin(BinOp.XOR, z, bin(BinOp.SHR, z, i64(bits))); }

    /**
     * A 64-bit constant built from two exact halves (Kernel IR constants are doubles, exact only
     * below 2^53); the product wraps like unsigned arithmetic and LLVM folds it back to one constant.
     */
    private static Expr u64(long v) {
        return new Binary(BinOp.ADD, new Binary(BinOp.MUL, i64(v >>> 32), i64(1L << 32)), i64(v & 0xFFFFFFFFL));
    }
}
