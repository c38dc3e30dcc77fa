package org.dlm.passes.lower;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.kernel.Expr;

/**
 * A position in a tensor of static {@code shape}: per-dimension index expressions, a flat
 * row-major one, or both. Whichever is missing is derived on demand (flat from dims by strides,
 * dims from flat by div/rem), so a fused flat loop can still feed an op that needs a channel index.
 */
public final class Index {
    private final long[] shape;
    private Expr flat;
    private List<Expr> dims;

    private Index(long[] shape, Expr flat, List<Expr> dims) {
        this.shape = shape;
        this.flat = flat;
        this.dims = dims;
    }

    public static Index ofFlat(long[] shape, Expr flat) { return new Index(shape, flat, null); }
    public static Index ofDims(long[] shape, List<Expr> dims) {
        if (dims.size() != shape.length) throw new IllegalArgumentException("index rank " + dims.size() + " for shape of rank " + shape.length);
        return new Index(shape, null, List.copyOf(dims));
    }

    public long[] shape() { return shape; }
    public int rank() { return shape.length; }

    public Expr flat() {
        if (flat == null) flat = flatten(shape, dims);
        return flat;
    }

    public Expr dim(int k) { return dims().get(k); }

    public List<Expr> dims() {
        if (dims == null) {
            List<Expr> d = new ArrayList<>();
            long stride = 1;
            long[] strides = new long[shape.length];
            for (int k = shape.length - 1; k >= 0; k--) {
                strides[k] = stride;
                stride *= shape[k];
            }
            for (int k = 0; k < shape.length; k++) {
                Expr q = Expr.div(flat, Expr.i64(strides[k]));
                d.add(shape[k] == 1 ? Expr.i64(0) : k == 0 ? q : Expr.rem(q, Expr.i64(shape[k])));
            }
            dims = List.copyOf(d);
        }
        return dims;
    }

    public static Expr flatten(long[] shape, List<Expr> dims) {
        Expr e = Expr.i64(0);
        long stride = 1;
        for (int k = shape.length - 1; k >= 0; k--) {
            if (shape[k] != 1) e = Expr.add(Expr.mul(dims.get(k), Expr.i64(stride)), e);
            stride *= shape[k];
        }
        return e;
    }
}
