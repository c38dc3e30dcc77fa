package org.dlm.ir.ops;

import static org.dlm.ir.OpDef.AttrKind.*;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.OpDef;
import org.dlm.ir.OpTable;
import org.dlm.ir.Shape;
import org.dlm.ir.ShapeException;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;

/**
 * Matrix products: numpy {@code matmul}, ONNX {@code gemm}, PyTorch {@code linear}.
 *
 * <pre>{@code
 * Node y = Node.of("linear", List.of(x, w, b), Attrs.EMPTY);   // x f32[B, 400], w f32[120, 400] -> f32[B, 120]
 * // x f32[B, 16, 5, 5] instead: ShapeException "linear expects f32[..., 400], got f32[B, 16, 5, 5]",
 * // hint "flatten the input first"
 * }</pre>
 */
public final class LinalgOps implements OpTable.Family {
    @Override public List<OpDef> ops() {
        return List.of(
            OpDef.builder("matmul").inputs(2)
                .shape((in, a) -> matmulType(in.get(0), in.get(1)))
                .kernel((in, a, out) -> matmul(in.get(0), in.get(1), out))
                .grad(LinalgGrads::matmul)
                .doc("numpy matmul: 1-D operands are promoted (and the added dim removed), batch dims broadcast.")
                .build(),
            OpDef.builder("gemm").inputs(2, 3)
                .attr("alpha", FLOAT, 1.0, "scale of a·b")
                .attr("beta", FLOAT, 1.0, "scale of c")
                .attr("trans_a", BOOL, false, "use aᵀ")
                .attr("trans_b", BOOL, false, "use bᵀ")
                .shape(LinalgOps::gemmType)
                .kernel(LinalgOps::gemm)
                .grad(LinalgGrads::gemm)
                .doc("ONNX Gemm: alpha·op(a)·op(b) + beta·c, c broadcast to [M, N].")
                .build(),
            OpDef.builder("linear").inputs(2, 3)
                .shape((in, a) -> linearType(in))
                .kernel((in, a, out) -> linear(in, out))
                .grad(LinalgGrads::linear)
                .doc("PyTorch Linear: x[..., in] @ w[out, in]ᵀ + b[out].")
                .build());
    }

    // --- shape rules ---

    static TensorType matmulType(TensorType a, TensorType b) {
        if (a.rank() == 0 || b.rank() == 0)
            throw new ShapeException("matmul needs operands of rank 1 or more, got " + a + " and " + b,
                    "use mul to scale by a scalar");
        numeric("matmul", a);
        OpChecks.sameDType("matmul", "the left operand", a, "the right operand", b);
        Dim k1 = a.shape().dim(-1), k2 = b.rank() == 1 ? b.shape().dim(0) : b.shape().dim(-2);
        if (!k1.equals(k2))
            throw new ShapeException("matmul needs inner dimensions to agree, got " + a + " and " + b,
                    "the last dimension of the left operand (" + k1 + ") must equal the "
                            + (b.rank() == 1 ? "length" : "second-to-last dimension") + " of the right operand (" + k2 + ")");
        Shape batchA = new Shape(a.shape().dims().subList(0, Math.max(0, a.rank() - 2)));
        Shape batchB = new Shape(b.shape().dims().subList(0, Math.max(0, b.rank() - 2)));
        List<Dim> out = new ArrayList<>(Broadcast.shapes("matmul", List.of(batchA, batchB)).dims());
        if (a.rank() >= 2) out.add(a.shape().dim(-2));
        if (b.rank() >= 2) out.add(b.shape().dim(-1));
        return new TensorType(a.dtype(), new Shape(out));
    }

    private static void numeric(String op, TensorType t) {
        if (t.dtype() == DType.BOOL) throw new ShapeException(op + " needs numbers, got " + t, "insert cast(x, dtype = f32)");
    }

    static TensorType gemmType(List<TensorType> in, Attrs at) {
        TensorType a = in.get(0), b = in.get(1);
        OpChecks.requireRank("gemm", "a", a, 2, trans(at, "trans_a") ? "[K, M]" : "[M, K]");
        OpChecks.requireRank("gemm", "b", b, 2, trans(at, "trans_b") ? "[N, K]" : "[K, N]");
        numeric("gemm", a);
        OpChecks.sameDType("gemm", "a", a, "b", b);
        Dim m = a.shape().dim(trans(at, "trans_a") ? 1 : 0), ka = a.shape().dim(trans(at, "trans_a") ? 0 : 1);
        Dim kb = b.shape().dim(trans(at, "trans_b") ? 1 : 0), n = b.shape().dim(trans(at, "trans_b") ? 0 : 1);
        if (!ka.equals(kb))
            throw new ShapeException("gemm needs inner dimensions to agree, got " + a + (trans(at, "trans_a") ? "ᵀ" : "")
                    + " and " + b + (trans(at, "trans_b") ? "ᵀ" : ""), "check trans_a / trans_b");
        Shape mn = Shape.of(m, n);
        if (in.size() == 3) {
            TensorType c = in.get(2);
            OpChecks.sameDType("gemm", "a", a, "c", c);
            if (c.rank() > 2 || !Broadcast.shapes("gemm", List.of(c.shape(), mn)).equals(mn))
                throw new ShapeException("gemm cannot broadcast c " + c + " to the result shape " + mn);
        }
        return new TensorType(a.dtype(), mn);
    }

    private static boolean trans(Attrs a, String k) { return a.getBool(k, false); }

    static TensorType linearType(List<TensorType> in) {
        TensorType x = in.get(0), w = in.get(1);
        OpChecks.requireRank("linear", "the weight", w, 2, "[out, in]");
        numeric("linear", x);
        OpChecks.sameDType("linear", "the input", x, "the weight", w);
        Dim inF = w.shape().dim(1), outF = w.shape().dim(0);
        if (x.rank() == 0 || !x.shape().dim(-1).equals(inF)) {
            String want = x.dtype() + "[..., " + inF + "]";
            String hint = x.rank() > 2 && x.shape().dims().subList(1, x.rank()).stream().reduce(Dim.of(1), Dim::times).equals(inF)
                    ? "flatten the input first"
                    : "the input's last dimension must equal the weight's in-features (weight " + w + ")";
            throw new ShapeException("linear expects " + want + ", got " + x, hint);
        }
        if (in.size() == 3) {
            TensorType b = in.get(2);
            OpChecks.sameDType("linear", "the input", x, "the bias", b);
            OpChecks.requireVector("linear", "the bias", b, outF);
        }
        List<Dim> out = new ArrayList<>(x.shape().dims());
        out.set(out.size() - 1, outF);
        return new TensorType(x.dtype(), new Shape(out));
    }

    // --- kernels ---

    static NdArray matmul(NdArray a, NdArray b, TensorType out) {
        long[] as = a.rank() == 1 ? new long[] {1, a.dim(0)} : a.shape();
        long[] bs = b.rank() == 1 ? new long[] {b.dim(0), 1} : b.shape();
        int m = (int) as[as.length - 2], k = (int) as[as.length - 1], n = (int) bs[bs.length - 1];
        long[] batchA = java.util.Arrays.copyOf(as, as.length - 2), batchB = java.util.Arrays.copyOf(bs, bs.length - 2);
        long[] batch = Broadcast.sizes(batchA, batchB);
        int[] ia = Broadcast.indexMap(batchA, batch), ib = Broadcast.indexMap(batchB, batch);
        double[] r = new double[ia.length * m * n];
        double[] ad = a.data(), bd = b.data();
        for (int t = 0; t < ia.length; t++) {
            int ao = ia[t] * m * k, bo = ib[t] * k * n, ro = t * m * n;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += ad[ao + i * k + p] * bd[bo + p * n + j];
                    r[ro + i * n + j] = s;
                }
        }
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }

    static NdArray gemm(List<NdArray> in, Attrs at, TensorType out) {
        NdArray a = in.get(0), b = in.get(1);
        boolean ta = trans(at, "trans_a"), tb = trans(at, "trans_b");
        double alpha = at.getDouble("alpha", 1), beta = at.getDouble("beta", 1);
        int m = (int) out.shape().dim(0).value(), n = (int) out.shape().dim(1).value();
        int k = (int) (ta ? a.dim(0) : a.dim(1));
        double[] r = new double[m * n];
        int[] cm = in.size() == 3 ? Broadcast.indexMap(in.get(2).shape(), new long[] {m, n}) : null;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += a.data()[ta ? p * m + i : i * k + p] * b.data()[tb ? j * k + p : p * n + j];
                r[i * n + j] = alpha * s + (cm == null ? 0 : beta * in.get(2).data()[cm[i * n + j]]);
            }
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }

    static NdArray linear(List<NdArray> in, TensorType out) {
        NdArray x = in.get(0), w = in.get(1);
        int outF = (int) w.dim(0), inF = (int) w.dim(1);
        int rows = x.size() / inF;
        double[] r = new double[rows * outF];
        for (int i = 0; i < rows; i++)
            for (int o = 0; o < outF; o++) {
                double s = in.size() == 3 ? in.get(2).data()[o] : 0;
                for (int p = 0; p < inF; p++) s += x.data()[i * inF + p] * w.data()[o * inF + p];
                r[i * outF + o] = s;
            }
        return new NdArray(out.dtype(), out.shape().sizes(), r);
    }
}
