package org.dlm.ir.ops;

import static org.dlm.ir.OpDef.AttrKind.*;
import static org.dlm.ir.ops.GradUtil.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.OpDef;
import org.dlm.ir.OpTable;
import org.dlm.ir.Shape;
import org.dlm.ir.ShapeException;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.InterpreterException;
import org.dlm.ir.interp.NdArray;

/**
 * Ops that move, select or replicate elements without arithmetic: reshape, flatten, transpose,
 * concat, slice, gather, expand, squeeze, unsqueeze, pad, tile, one_hot, iota, shape_of.
 * Semantics follow ONNX; shape rules work on symbolic dims.
 */
public final class ShapeOps implements OpTable.Family {
    @Override public List<OpDef> ops() {
        return List.of(reshapeOp(), flatten(), transpose(), concat(), SliceOp.def(), gather(), expand(),
                squeeze(), unsqueeze(), PadOp.def(), tile(), oneHot(), iota(), shapeOf());
    }

    // ---------------------------------------------------------------- reshape, flatten

    private static OpDef reshapeOp() {
        return OpDef.builder("reshape").inputs(1)
                .attr("shape", SHAPE, null, "new shape; one dim may be -1 (inferred); 0 is a real zero, not 'copy'")
                .shape((in, a) -> in.get(0).withShape(reshaped(in.get(0), a.getShape("shape"))))
                .kernel((in, a, out) -> in.get(0).reshape(out.shape().sizes()))
                .grad((f, g) -> List.of(reshape(g, f.input(0).shape())))
                .doc("same elements in a new shape").build();
    }

    /** The target shape with any -1 resolved; checks that the element counts agree (symbolically). */
    static Shape reshaped(TensorType x, Shape target) {
        int infer = -1;
        List<Dim> known = new ArrayList<>();
        for (int i = 0; i < target.rank(); i++) {
            Dim d = target.dim(i);
            if (d.isConst() && d.value() < 0) {
                if (d.value() != -1) throw new ShapeException("reshape target " + target + " has negative dimension " + d.value(), "use -1 for the one dimension to infer");
                if (infer >= 0) throw new ShapeException("reshape target " + target + " has more than one -1", "only one dimension can be inferred");
                infer = i;
            } else known.add(d);
        }
        Dim n = x.shape().numel();
        if (infer < 0) {
            if (!target.numel().equals(n))
                throw new ShapeException("reshape cannot turn " + x + " (" + count(n) + ") into " + x.dtype().text() + target + " (" + count(target.numel()) + ")",
                        "the number of elements must stay the same");
            return target;
        }
        if (product(known).equals(Dim.of(0)))
            throw new ShapeException("reshape cannot infer the -1 in " + target + " for " + x + ": the other dimensions have no elements",
                    "give every dimension explicitly");
        // cancel dims that appear on both sides, then divide what is left
        List<Dim> num = new ArrayList<>(x.shape().dims()), den = new ArrayList<>();
        for (Dim d : known) if (!num.remove(d)) den.add(d);
        Dim p = product(num), q = product(den);
        Dim r = null;
        if (p.equals(q)) r = Dim.of(1);
        else if (q.isConst() && q.value() > 0 && p.floorDiv(q.value()).times(q.value()).equals(p)) r = p.floorDiv(q.value());
        if (r == null) {
            throw new ShapeException("reshape cannot infer the -1 in " + target + " for " + x + ": "
                    + (q.isConst() ? count(n) + " are not divisible by " + product(known)
                            : "cannot divide " + count(n) + " by " + product(known) + " symbolically"),
                    "give every dimension explicitly");
        }
        return target.with(infer, r);
    }

    private static String count(Dim n) {
        return n + (n.isConst() && n.value() == 1 ? " element" : " elements");
    }

    static Dim product(List<Dim> ds) {
        Dim p = Dim.of(1);
        for (Dim d : ds) p = p.times(d);
        return p;
    }

    private static OpDef flatten() {
        return OpDef.builder("flatten").inputs(1)
                .attr("axis", INT, 1L, "dims before axis form the first result dim, the rest the second")
                .shape((in, a) -> {
                    TensorType t = in.get(0);
                    long ax = a.getLong("axis");
                    int r = t.rank();
                    if (ax < -r || ax > r)
                        throw new ShapeException("flatten axis " + ax + " is out of range for " + t, "axis goes from " + (-r) + " to " + r);
                    int k = (int) (ax < 0 ? ax + r : ax);
                    List<Dim> ds = t.shape().dims();
                    return t.withShape(Shape.of(product(ds.subList(0, k)), product(ds.subList(k, r))));
                })
                .kernel((in, a, out) -> in.get(0).reshape(out.shape().sizes()))
                .grad((f, g) -> List.of(reshape(g, f.input(0).shape())))
                .doc("to 2-D: [d0*..*d(axis-1), d(axis)*..] (ONNX Flatten)").build();
    }

    // ---------------------------------------------------------------- transpose

    private static OpDef transpose() {
        return OpDef.builder("transpose").inputs(1)
                .attr("perm", INTS, List.of(), "result dim i is operand dim perm[i]; empty = reverse")
                .shape((in, a) -> {
                    TensorType t = in.get(0);
                    int[] p = perm(a, t.rank());
                    List<Dim> ds = new ArrayList<>();
                    for (int v : p) ds.add(t.shape().dim(v));
                    return t.withShape(new Shape(ds));
                })
                .kernel((in, a, out) -> {
                    NdArray x = in.get(0);
                    int[] p = perm(a, x.rank());
                    long[] xs = x.shape(), os = new long[p.length], st = x.strides();
                    for (int i = 0; i < p.length; i++) os[i] = xs[p[i]];
                    long[] pst = new long[p.length];
                    for (int i = 0; i < p.length; i++) pst[i] = st[p[i]];
                    return mapIndex(x, os, o -> dot(o, pst));
                })
                .grad((f, g) -> {
                    int[] p = perm(f.attrs(), f.input(0).shape().rank());
                    long[] inv = new long[p.length];
                    for (int i = 0; i < p.length; i++) inv[p[i]] = i;
                    return List.of(Node.of("transpose", List.of(g), Attrs.of("perm", inv)));
                })
                .doc("permutes dims").build();
    }

    private static int[] perm(Attrs a, int rank) {
        List<Long> given = a.getLongs("perm", List.of());
        if (given.isEmpty()) {
            int[] r = new int[rank];
            for (int i = 0; i < rank; i++) r[i] = rank - 1 - i;
            return r;
        }
        if (given.size() != rank)
            throw new ShapeException("transpose perm " + given + " has " + given.size() + " entries for an operand of rank " + rank,
                    "give one entry per dimension");
        try {
            return OpChecks.axes("transpose", given, rank);
        } catch (ShapeException e) {
            throw new ShapeException("transpose perm " + given + " is not a permutation of 0.." + (rank - 1), e.getMessage());
        }
    }

    // ---------------------------------------------------------------- concat

    private static OpDef concat() {
        return OpDef.builder("concat").variadic(1)
                .attr("axis", INT, null, "axis to join along")
                .shape((in, a) -> {
                    DType dt = OpChecks.sameDType("concat", in);
                    int r = in.get(0).rank();
                    if (r == 0) throw new ShapeException("concat cannot join scalars", "unsqueeze them to rank 1 first");
                    int ax = OpChecks.axis("concat", a.getLong("axis"), r);
                    Dim sum = Dim.of(0);
                    for (TensorType t : in) {
                        boolean ok = t.rank() == r;
                        for (int i = 0; ok && i < r; i++) if (i != ax && !t.shape().dim(i).equals(in.get(0).shape().dim(i))) ok = false;
                        if (!ok)
                            throw new ShapeException("concat needs equal sizes except on axis " + ax + ", got "
                                    + String.join(", ", in.stream().map(TensorType::toString).toList()),
                                    "all operands must have the same rank and agree on every other axis");
                        sum = sum.plus(t.shape().dim(ax));
                    }
                    return new TensorType(dt, in.get(0).shape().with(ax, sum));
                })
                .kernel((in, a, out) -> {
                    // row-major: for each index before the axis, the operands' blocks follow each other
                    int ax = OpChecks.axis("concat", a.getLong("axis"), in.get(0).rank());
                    long[] os = in.get(0).shape();
                    os[ax] = 0;
                    for (NdArray x : in) os[ax] += x.dim(ax);
                    long outer = 1;
                    for (int i = 0; i < ax; i++) outer *= os[i];
                    double[] r = new double[(int) NdArray.numel(os)];
                    int p = 0;
                    for (long o = 0; o < outer; o++)
                        for (NdArray x : in) {
                            int block = (int) (x.size() / Math.max(outer, 1));
                            if (block == 0) continue;
                            System.arraycopy(x.data(), (int) (o * block), r, p, block);
                            p += block;
                        }
                    return new NdArray(in.get(0).dtype(), os, r);
                })
                .grad((f, g) -> concatGrad(f, g))
                .doc("joins operands along axis").build();
    }

    /**
     * Slices the gradient into the operands' pieces. Offsets before a symbolic operand count from
     * the start and offsets after it from the end, so one operand may have a symbolic size on the
     * axis ({@code concat([x[.., 3], y[.., T]])} works).
     */
    private static List<Node> concatGrad(Node f, Node g) {
        int ax = OpChecks.axis("concat", f.attrs().getLong("axis"), f.shape().rank());
        List<Node> xs = f.inputs();
        int symbolic = -1;
        for (int i = 0; i < xs.size(); i++)
            if (!xs.get(i).shape().dim(ax).isConst()) {
                if (symbolic >= 0)
                    throw new ShapeException("the gradient of concat allows one operand with a symbolic size on axis " + ax
                            + ", got " + xs.get(symbolic).type() + " and " + xs.get(i).type());
                symbolic = i;
            }
        long total = 0;
        for (Node x : xs) if (x.shape().dim(ax).isConst()) total += x.shape().dim(ax).value();
        List<Node> gs = new ArrayList<>();
        long before = 0, after = total;
        for (int i = 0; i < xs.size(); i++) {
            Dim d = xs.get(i).shape().dim(ax);
            long start, end;
            if (i == symbolic) {
                start = before;
                end = after == 0 ? Long.MAX_VALUE : -after;
            } else {
                long n = d.value();
                after -= n;
                if (symbolic < 0 || i < symbolic) { start = before; end = before + n; before += n; }
                else { start = -(after + n); end = after == 0 ? Long.MAX_VALUE : -after; }
            }
            gs.add(Node.of("slice", List.of(g), Attrs.of("starts", List.of(start), "ends", List.of(end), "axes", List.of((long) ax))));
        }
        return gs;
    }

    // ---------------------------------------------------------------- gather

    private static OpDef gather() {
        return OpDef.builder("gather").inputs(2)
                .attr("axis", INT, 0L, "axis of x to index")
                .shape((in, a) -> {
                    TensorType x = in.get(0), idx = in.get(1);
                    OpChecks.requireInteger("gather", "indices", idx);
                    int ax = OpChecks.axis("gather", a.getLong("axis"), x.rank());
                    List<Dim> ds = new ArrayList<>(x.shape().dims().subList(0, ax));
                    ds.addAll(idx.shape().dims());
                    ds.addAll(x.shape().dims().subList(ax + 1, x.rank()));
                    return x.withShape(new Shape(ds));
                })
                .kernel((in, a, out) -> {
                    NdArray x = in.get(0), idx = in.get(1);
                    int ax = OpChecks.axis("gather", a.getLong("axis"), x.rank());
                    long n = x.dim(ax);
                    long outer = 1, inner = 1;
                    for (int i = 0; i < ax; i++) outer *= x.dim(i);
                    for (int i = ax + 1; i < x.rank(); i++) inner *= x.dim(i);
                    int m = idx.size();
                    double[] r = new double[(int) (outer * m * inner)];
                    for (int o = 0; o < outer; o++)
                        for (int j = 0; j < m; j++) {
                            long k = (long) idx.get(j);
                            if (k < -n || k >= n)
                                throw new InterpreterException("gather index " + k + " is out of range for axis " + ax + " of size " + n);
                            if (k < 0) k += n;
                            for (int i = 0; i < inner; i++)
                                r[(int) ((o * m + j) * inner + i)] = x.get((int) ((o * n + k) * inner + i));
                        }
                    long[] os = new long[x.rank() - 1 + idx.rank()];
                    int p = 0;
                    for (int i = 0; i < ax; i++) os[p++] = x.dim(i);
                    for (long d : idx.shape()) os[p++] = d;
                    for (int i = ax + 1; i < x.rank(); i++) os[p++] = x.dim(i);
                    return new NdArray(x.dtype(), os, r);
                })
                .grad((f, g) -> {
                    TensorType x = f.input(0).type();
                    int ax = OpChecks.axis("gather", f.attrs().getLong("axis"), x.rank());
                    Dim n = x.shape().dim(ax);
                    if (!n.isConst()) throw new ShapeException("the gradient of gather needs a static size on axis " + ax + ", got " + x);
                    return Arrays.asList(scatterAlong(g, ax, f.input(1), n.value()), null);
                })
                .doc("picks entries of x along axis by index; negative indices count from the end (ONNX Gather)").build();
    }

    // ---------------------------------------------------------------- expand, squeeze, unsqueeze, tile

    private static OpDef expand() {
        return OpDef.builder("expand").inputs(1)
                .attr("shape", SHAPE, null, "shape to broadcast to")
                .shape((in, a) -> in.get(0).withShape(Broadcast.shapes("expand", List.of(in.get(0).shape(), a.getShape("shape")))))
                .kernel((in, a, out) -> {
                    NdArray x = in.get(0);
                    long[] os = out.shape().sizes();
                    int[] m = Broadcast.indexMap(x.shape(), os);
                    double[] r = new double[m.length];
                    for (int i = 0; i < r.length; i++) r[i] = x.get(m[i]);
                    return new NdArray(x.dtype(), os, r);
                })
                .grad((f, g) -> List.of(unbroadcast(g, f.input(0).shape())))
                .doc("broadcasts x with shape, numpy style (ONNX Expand: the result may be larger than shape)").build();
    }

    private static OpDef squeeze() {
        return OpDef.builder("squeeze").inputs(1)
                .attr("axes", INTS, List.of(), "size-1 axes to remove; empty = every dim known to be 1")
                .shape((in, a) -> {
                    TensorType t = in.get(0);
                    List<Long> given = a.getLongs("axes", List.of());
                    boolean[] drop = new boolean[t.rank()];
                    if (given.isEmpty()) {
                        for (int i = 0; i < t.rank(); i++) drop[i] = isOne(t.shape().dim(i));
                    } else {
                        for (int ax : OpChecks.axes("squeeze", given, t.rank())) {
                            if (!isOne(t.shape().dim(ax)))
                                throw new ShapeException("squeeze axis " + ax + " of " + t + " has size " + t.shape().dim(ax) + ", not 1",
                                        "only size-1 dims can be squeezed");
                            drop[ax] = true;
                        }
                    }
                    List<Dim> ds = new ArrayList<>();
                    for (int i = 0; i < t.rank(); i++) if (!drop[i]) ds.add(t.shape().dim(i));
                    return t.withShape(new Shape(ds));
                })
                .kernel((in, a, out) -> in.get(0).reshape(out.shape().sizes()))
                .grad((f, g) -> List.of(reshape(g, f.input(0).shape())))
                .doc("removes size-1 dims").build();
    }

    private static boolean isOne(Dim d) { return d.isConst() && d.value() == 1; }

    private static OpDef unsqueeze() {
        return OpDef.builder("unsqueeze").inputs(1)
                .attr("axes", INTS, null, "positions of the new size-1 dims in the result")
                .shape((in, a) -> {
                    TensorType t = in.get(0);
                    List<Long> given = a.getLongs("axes");
                    int r = t.rank() + given.size();
                    boolean[] add = new boolean[r];
                    for (int ax : OpChecks.axes("unsqueeze", given, r)) add[ax] = true;
                    List<Dim> ds = new ArrayList<>();
                    int k = 0;
                    for (int i = 0; i < r; i++) ds.add(add[i] ? Dim.of(1) : t.shape().dim(k++));
                    return t.withShape(new Shape(ds));
                })
                .kernel((in, a, out) -> in.get(0).reshape(out.shape().sizes()))
                .grad((f, g) -> List.of(reshape(g, f.input(0).shape())))
                .doc("inserts size-1 dims; axes index the result (ONNX Unsqueeze)").build();
    }

    private static OpDef tile() {
        return OpDef.builder("tile").inputs(1)
                .attr("repeats", INTS, null, "copies per dim")
                .shape((in, a) -> {
                    TensorType t = in.get(0);
                    List<Long> rep = a.getLongs("repeats");
                    if (rep.size() != t.rank())
                        throw new ShapeException("tile repeats " + rep + " has " + rep.size() + " entries for " + t, "give one repeat count per dimension");
                    List<Dim> ds = new ArrayList<>();
                    for (int i = 0; i < rep.size(); i++) {
                        if (rep.get(i) < 0) throw new ShapeException("tile repeats " + rep + " has a negative count");
                        ds.add(t.shape().dim(i).times(rep.get(i)));
                    }
                    return t.withShape(new Shape(ds));
                })
                .kernel((in, a, out) -> {
                    NdArray x = in.get(0);
                    long[] xs = x.shape(), st = x.strides(), rep = a.getLongArray("repeats");
                    long[] os = new long[xs.length];
                    for (int i = 0; i < xs.length; i++) os[i] = xs[i] * rep[i];
                    return mapIndex(x, os, o -> { long s = 0; for (int i = 0; i < o.length; i++) s += (o[i] % xs[i]) * st[i]; return s; });
                })
                .grad((f, g) -> {
                    // view g as [r0, d0, r1, d1, ...] and sum over the repeat axes
                    Shape xs = f.input(0).shape();
                    long[] rep = f.attrs().getLongArray("repeats");
                    List<Dim> split = new ArrayList<>();
                    List<Long> axes = new ArrayList<>();
                    for (int i = 0; i < rep.length; i++) {
                        axes.add((long) split.size());
                        split.add(Dim.of(rep[i]));
                        split.add(xs.dim(i));
                    }
                    Node v = reshape(g, new Shape(split));
                    return List.of(Node.of("reduce_sum", List.of(v), Attrs.of("axes", axes, "keepdims", false)));
                })
                .doc("repeats x along each dim (ONNX Tile)").build();
    }

    // ---------------------------------------------------------------- one_hot, iota, shape_of

    private static OpDef oneHot() {
        return OpDef.builder("one_hot").inputs(1)
                .attr("depth", INT, null, "number of classes")
                .attr("dtype", DTYPE, DType.F32, "result dtype")
                .shape((in, a) -> {
                    TensorType t = in.get(0);
                    OpChecks.requireInteger("one_hot", "indices", t);
                    long depth = a.getLong("depth");
                    if (depth < 0) throw new ShapeException("one_hot depth must not be negative, got " + depth);
                    List<Dim> ds = new ArrayList<>(t.shape().dims());
                    ds.add(Dim.of(depth));
                    return new TensorType(a.getDType("dtype", DType.F32), new Shape(ds));
                })
                .kernel((in, a, out) -> {
                    NdArray idx = in.get(0);
                    int depth = (int) a.getLong("depth");
                    double[] r = new double[idx.size() * depth];
                    for (int i = 0; i < idx.size(); i++) {
                        long k = (long) idx.get(i);
                        if (k < 0) k += depth; // ONNX: [-depth, depth) is valid, anything else is all zeros
                        if (k >= 0 && k < depth) r[(int) (i * depth + k)] = 1;
                    }
                    long[] os = Arrays.copyOf(idx.shape(), idx.rank() + 1);
                    os[idx.rank()] = depth;
                    return new NdArray(a.getDType("dtype", DType.F32), os, r);
                })
                .doc("1 at the index along a new last axis, 0 elsewhere; negative indices count from depth, others out of range give all zeros").build();
    }

    private static OpDef iota() {
        return OpDef.builder("iota").inputs(0)
                .attr("dtype", DTYPE, null, "result dtype")
                .attr("shape", SHAPE, null, "result shape")
                .attr("axis", INT, 0L, "the axis whose index is the value")
                .shape((in, a) -> {
                    Shape s = a.getShape("shape");
                    OpChecks.axis("iota", a.getLong("axis"), s.rank());
                    return new TensorType(a.getDType("dtype", null), s);
                })
                .kernel((in, a, out) -> {
                    long[] s = out.shape().sizes();
                    int ax = OpChecks.axis("iota", a.getLong("axis"), s.length);
                    long st = NdArray.strides(s)[ax];
                    double[] r = new double[(int) NdArray.numel(s)];
                    for (int f = 0; f < r.length; f++) r[f] = (f / st) % s[ax];
                    return new NdArray(out.dtype(), s, r);
                })
                .doc("each element is its index along axis (arange when rank 1)").build();
    }

    private static OpDef shapeOf() {
        return OpDef.builder("shape_of").inputs(1)
                .shape((in, a) -> TensorType.of(DType.I64, in.get(0).rank()))
                .kernel((in, a, out) -> {
                    long[] s = in.get(0).shape();
                    double[] r = new double[s.length];
                    for (int i = 0; i < s.length; i++) r[i] = s[i];
                    return new NdArray(DType.I64, new long[] {s.length}, r);
                })
                .doc("the operand's shape as i64[rank]").build();
    }

    // ---------------------------------------------------------------- index helpers

    /** Maps a result multi-index to a flat source index (or -1 for "no source"). */
    @FunctionalInterface
    interface IndexFn { long source(long[] outIndex); }

    /** Builds an array of shape {@code os} whose element at {@code o} is {@code x[fn(o)]} ({@code fill} when fn gives -1). */
    static NdArray mapIndex(NdArray x, long[] os, IndexFn fn, double fill) {
        double[] r = new double[(int) NdArray.numel(os)];
        long[] idx = new long[os.length];
        for (int f = 0; f < r.length; f++) {
            long s = fn.source(idx);
            r[f] = s < 0 ? fill : x.get((int) s);
            ReductionOps.increment(idx, os);
        }
        return new NdArray(x.dtype(), os, r);
    }

    static NdArray mapIndex(NdArray x, long[] os, IndexFn fn) { return mapIndex(x, os, fn, 0); }

    static long dot(long[] a, long[] b) {
        long s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
