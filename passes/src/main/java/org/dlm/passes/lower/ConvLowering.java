package org.dlm.passes.lower;

import static org.dlm.ir.kernel.Expr.*;

import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.ir.kernel.Buffer;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.Microkernels;
import org.dlm.ir.kernel.Stmt;

/**
 * conv2d as a padded copy plus a direct convolution microkernel call ({@code sconv_direct}) per
 * image, strided pointwise ones as im2col copy loops plus a GEMM call per image (pointwise
 * convolutions call the GEMM on the image directly; grouped ones are direct loops), and the 2-D
 * pools as window loops. Padding reads a clamped index and selects the pad value, so no load
 * leaves its buffer.
 */
final class ConvLowering {
    private ConvLowering() {}

    static void register(LoweringTable t) {
        t.statements("conv2d", ConvLowering::conv2d);
        t.statements("max_pool2d", (n, cx) -> pool(n, cx, true));
        t.statements("avg_pool2d", (n, cx) -> pool(n, cx, false));
    }

    /** Geometry of a 2-D window op. */
    record Window(long kh, long kw, long sh, long sw, long pt, long pl, long pb, long pr, long dh, long dw) {
        static Window of(Node n, long kh, long kw, long[] strideDefault) {
            long[] s = n.attrs().getLongArray("stride", strideDefault);
            if (s.length == 0) s = strideDefault;
            long[] p = n.attrs().getLongArray("padding", 0, 0, 0, 0);
            long[] d = n.attrs().getLongArray("dilation", 1, 1);
            return new Window(kh, kw, s[0], s[1], p[0], p[1], p[2], p[3], d[0], d[1]);
        }
        boolean trivial() { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && pb == 0 && pr == 0; }
    }

    static void conv2d(Node n, Lowerer cx) {
        LinalgLowering.requireF32(n);
        Node x = n.input(0), w = n.input(1);
        long[] xs = cx.shape(x), ws = cx.shape(w), os = cx.shape(n);
        long batch = xs[0], c = xs[1], h = xs[2], wd = xs[3], o = ws[0], kh = ws[2], kw = ws[3], oh = os[2], ow = os[3];
        long groups = n.attrs().getLong("groups", 1);
        Window win = Window.of(n, kh, kw, new long[] {1, 1});
        Node act = cx.fusedRelu(n);
        Buffer bias = n.inputs().size() > 2 ? cx.storage(n.input(2)) : null;
        Buffer in = cx.storage(x), weight = cx.storage(w), out = cx.storage(n);
        if (groups != 1) {
            if (ws[1] == 1 && kh * kw <= MAX_UNROLLED_TAPS) depthwise(n, cx, xs, ws, os, win, act);
            else direct(n, cx, xs, ws, os, groups, win, act);
            return;
        }
        long patch = c * kh * kw, ohw = oh * ow;
        int actFlag = epilogueFlag(act);
        int flags = (bias == null ? 0 : Microkernels.BIAS_ROWS) | actFlag;
        Node after = actFlag != 0 ? null : act;
        if (win.trivial()) {
            long group = imagesPerGemm(batch, ohw);
            if (group > 1) {
                pointwiseGrouped(cx, in, weight, bias, out, c, o, ohw, batch, group, flags, after);
                return;
            }
            // The NCHW image already is the [c, h·w] right-hand matrix; images are independent.
            cx.loops(new long[] {batch}, true, img -> cx.collect(() -> {
                cx.emit(LinalgLowering.sgemm(false, false, o, ohw, c, weight, i64(0), c,
                        in, mul(img.flat(), i64(c * h * wd)), ohw, out, mul(img.flat(), i64(o * ohw)), ohw, flags, bias));
                activateInPlace(cx, out, mul(img.flat(), i64(o * ohw)), o * ohw, after);
            }));
            return;
        }
        if (useDirect(win)) {
            directConv(cx, in, weight, bias, out, batch, c, h, wd, o, kh, kw, oh, ow, win, flags, after);
            return;
        }
        Buffer col = cx.temp("im2col", DType.F32, patch * ohw);
        cx.loop(batch, true, img -> cx.collect(() -> {
            im2col(cx, in, mul(img, i64(c * h * wd)), col, i64(0), ohw, c, h, wd, oh, ow, win);
            cx.emit(LinalgLowering.sgemm(false, false, o, ohw, patch, weight, i64(0), patch, col, i64(0), ohw,
                    out, mul(img, i64(o * ohw)), ohw, flags, bias));
            activateInPlace(cx, out, mul(img, i64(o * ohw)), o * ohw, after);
        }));
    }

    /**
     * Whether a (groups = 1, not a plain pointwise) convolution goes to the direct kernel: all but
     * strided 1×1 ones, whose phase-plane copy would copy every phase to use one (their im2col is a
     * subsampling copy; measured 1.24× slower direct on ResNet-20's 16→32 projection).
     */
    static boolean useDirect(Window win) {
        boolean stridedPointwise = win.kh() == 1 && win.kw() == 1 && (win.sh() > 1 || win.sw() > 1);
        return !stridedPointwise && !Boolean.getBoolean("dlm.conv.im2col");
    }

    /**
     * A convolution through the {@code sconv_direct} microkernel, per image: with padding the image
     * is copied into a zero-padded {@code [c, h+pt+pb, w+pl+pr]} scratch, with a stride into phase
     * planes (space to depth, the layout {@code sconv_direct} reads: each tap then reads contiguous
     * pixels), else read in place; the kernel writes every output channel of the image into NCHW
     * (bias and ReLU in its epilogue; any other fused activation is applied right after). Images
     * are {@code parallel} (the scratch is per thread); a single image is split over blocks of
     * output channels instead.
     */
    static void directConv(Lowerer cx, Buffer in, Buffer weight, Buffer bias, Buffer out, long batch, long c, long h, long wd,
                                   long o, long kh, long kw, long oh, long ow, Window win, int flags, Node act) {
        long ih = h + win.pt() + win.pb(), iw = wd + win.pl() + win.pr(), taps = kh * kw, sh = win.sh(), sw = win.sw();
        long ph = Math.ceilDiv(ih, sh), pw = Math.ceilDiv(iw, sw);
        boolean strided = sh > 1 || sw > 1, copied = strided || ih != h || iw != wd;
        Buffer pad = copied ? cx.temp("conv_pad", DType.F32, c * sh * sw * ph * pw) : null;
        long part = batch == 1 ? channelPart(o) : o;
        java.util.function.Function<Expr, List<Stmt>> padImage = img -> cx.collect(() -> {
            Expr src = mul(img, i64(c * h * wd));
            if (strided) {
                String qv = cx.fresh("q");
                Expr q = new Expr.Var(qv, DType.I64);
                // Row q of the phase planes: channel, row phase, column phase, plane row.
                Expr y = sub(add(mul(rem(q, i64(ph)), i64(sh)), rem(div(q, i64(sw * ph)), i64(sh))), i64(win.pt()));
                Expr rx = rem(div(q, i64(ph)), i64(sw)), ci = div(q, i64(sh * sw * ph));
                cx.emit(new Stmt.Loop(qv, i64(c * sh * sw * ph), 1, false, List.of(loop(cx, i64(pw), j -> {
                    Expr x = sub(add(mul(j, i64(sw)), rx), i64(win.pl()));
                    Expr v = select(inside(y, h, x, wd), load(in, add(add(src, mul(ci, i64(h * wd))), add(mul(clamp(y, h), i64(wd)), clamp(x, wd)))), f32(0));
                    return new Stmt.Store(pad, add(mul(q, i64(pw)), j), v);
                }))));
                return;
            }
            cx.emit(padPlanes(cx, in, src, pad, i64(0), c, h, wd, win));
        });
        // Output channels [first, first + part) of image img (the padded image already in place).
        java.util.function.BiFunction<Expr, Expr, List<Stmt>> channels = (img, first) -> cx.collect(() -> {
            Expr outBase = add(mul(img, i64(o * oh * ow)), mul(first, i64(oh * ow)));
            Stmt.Arg x = copied ? new Stmt.PtrArg(pad, i64(0)) : new Stmt.PtrArg(in, mul(img, i64(c * h * wd)));
            List<Stmt.Arg> args = new java.util.ArrayList<>();
            for (long v : new long[] {part, c, ih, iw, kh, kw, sh, sw, win.dh(), win.dw()}) args.add(new Stmt.ScalarArg(i64(v)));
            args.addAll(List.of(x, new Stmt.PtrArg(weight, mul(first, i64(c * taps))), new Stmt.PtrArg(out, outBase),
                    new Stmt.ScalarArg(c(DType.I32, flags)), bias == null ? new Stmt.NullArg() : new Stmt.PtrArg(bias, first)));
            cx.emit(new Stmt.Call(Microkernels.SCONV_DIRECT, args));
            activateInPlace(cx, out, outBase, part * oh * ow, act);
        });
        if (part == o) {
            cx.loop(batch, true, img -> {
                List<Stmt> body = new java.util.ArrayList<>();
                if (copied) body.addAll(padImage.apply(img));
                body.addAll(channels.apply(img, i64(0)));
                return body;
            });
            return;
        }
        if (copied) padImage.apply(i64(0)).forEach(cx::emit);
        cx.loop(o / part, true, blk -> channels.apply(i64(0), mul(blk, i64(part))));
    }

    /**
     * {@code planes} consecutive {@code h × w} planes from {@code in[src...]} copied into
     * zero-padded {@code (h+pt+pb) × (w+pl+pr)} planes at {@code pad[dst...]}: one loop over the
     * padded rows, each a copy with its border columns zeroed, or all zero in the padding rows.
     */
    static Stmt padPlanes(Lowerer cx, Buffer in, Expr src, Buffer pad, Expr dst0, long planes, long h, long wd, Window win) {
        long ih = h + win.pt() + win.pb(), iw = wd + win.pl() + win.pr();
        String qv = cx.fresh("q");
        Expr q = new Expr.Var(qv, DType.I64);
        Expr iy = sub(rem(q, i64(ih)), i64(win.pt()));
        Expr inRows = bin(BinOp.AND, bin(BinOp.GE, iy, i64(0)), bin(BinOp.LT, iy, i64(h)));
        Expr dst = add(dst0, mul(q, i64(iw)));
        Expr from = add(src, add(mul(div(q, i64(ih)), i64(h * wd)), mul(iy, i64(wd))));
        Stmt copy = loop(cx, i64(wd), j -> new Stmt.Store(pad, add(add(dst, i64(win.pl())), j), load(in, add(from, j))));
        return new Stmt.Loop(qv, i64(planes * ih), 1, false, List.of(
                new Stmt.If(inRows, List.of(fill(pad, dst, i64(0), i64(win.pl()), cx), copy,
                        fill(pad, dst, i64(win.pl() + wd), i64(win.pr()), cx))),
                new Stmt.If(un(UnOp.NOT, inRows), List.of(fill(pad, dst, i64(0), i64(iw), cx)))));
    }

    /**
     * Output channels per parallel part of a batch-1 direct convolution: the largest multiple of 8
     * that divides {@code o} and leaves at least two parts (each part re-reads the whole image),
     * else all of them.
     */
    static long channelPart(long o) {
        for (long p = o / 2 / 8 * 8; p >= 8; p -= 8)
            if (o % p == 0) return p;
        return o;
    }

    /** Columns a per-image GEMM should reach before images are batched into one GEMM call. */
    static final long GEMM_COLUMNS = 1024;

    /**
     * Images multiplied by one GEMM call: the largest divisor of the batch keeping
     * {@code images·oh·ow <= GEMM_COLUMNS}. One image of a small feature map (8×8, 4×4) is a GEMM
     * with a few dozen columns that re-packs the whole weight matrix per image; batching the
     * images packs it once per group for a GEMM of a useful width.
     */
    static long imagesPerGemm(long batch, long ohw) { return imagesPer(batch, ohw, GEMM_COLUMNS); }

    /** The largest divisor g of {@code batch} with {@code g·perImage <= limit} (at least 1). */
    static long imagesPer(long batch, long perImage, long limit) {
        long best = 1;
        for (long g = 2; g <= batch; g++)
            if (batch % g == 0 && g * perImage <= limit) best = g;
        return best;
    }

    /**
     * {@code group} pointwise-convolved images per GEMM: their planes side by side in one
     * {@code [c, group·h·w]} matrix, one GEMM with the fused bias/ReLU into a
     * {@code [cout, group·h·w]} temporary, then a copy back to NCHW that applies any other fused
     * activation. (Measured: batching im2col convolutions this way was slower on ResNet-20, the
     * wide im2col matrix falls out of L2, so they stay one GEMM per image.)
     */
    private static void pointwiseGrouped(Lowerer cx, Buffer in, Buffer weight, Buffer bias, Buffer out, long c, long o,
                                         long ohw, long batch, long group, int flags, Node act) {
        long cols = group * ohw;
        Buffer rhs = cx.temp("conv_in", DType.F32, c * cols);
        Buffer res = cx.temp("conv_out", DType.F32, o * cols);
        cx.loop(batch / group, grp -> cx.collect(() -> {
            Expr first = mul(grp, i64(group));
            // The (image, channel) planes of the group are contiguous in NCHW: one flat loop over
            // them (a nest with a short constant outer loop would be unrolled by LLVM, bloating the code).
            cx.emit(loop(cx, i64(group * c), q -> loop(cx, i64(ohw), j -> new Stmt.Store(rhs,
                    add(add(mul(rem(q, i64(c)), i64(cols)), mul(div(q, i64(c)), i64(ohw))), j),
                    load(in, add(mul(add(mul(first, i64(c)), q), i64(ohw)), j))))));
            cx.emit(LinalgLowering.sgemm(false, false, o, cols, c, weight, i64(0), c, rhs, i64(0), cols, res, i64(0), cols, flags, bias));
            cx.emit(loop(cx, i64(group * o), q -> loop(cx, i64(ohw), j -> new Stmt.Store(out,
                    add(mul(add(mul(first, i64(o)), q), i64(ohw)), j),
                    activate(act, load(res, add(add(mul(rem(q, i64(o)), i64(cols)), mul(div(q, i64(o)), i64(ohw))), j)))))));
        }));
    }

    /**
     * The microkernel epilogue flag of a fused activation: {@code RELU} for relu, {@code RELU6} for
     * relu6 and clip(0, 6) (MobileNet's), 0 for any other (applied by a loop after the call).
     */
    static int epilogueFlag(Node act) {
        if (act == null) return 0;
        return switch (act.opName()) {
            case "relu" -> Microkernels.RELU;
            case "relu6" -> Microkernels.RELU6;
            case "clip" -> act.attrs().getDouble("min", Double.NEGATIVE_INFINITY) == 0 && act.attrs().getDouble("max", Double.POSITIVE_INFINITY) == 6
                    ? Microkernels.RELU6 : 0;
            default -> 0;
        };
    }

    /** Depthwise kernels up to 7×7 have their taps unrolled into one expression. */
    static final long MAX_UNROLLED_TAPS = 49;

    /** {@code act(x)} for an activation fused into a convolution (relu, relu6, clip), or x when null. */
    static Expr activate(Node act, Expr x) {
        if (act == null) return x;
        // Compare-and-select rather than max/min: those are NaN-propagating llvm.maximum/minimum,
        // several instructions each on x86; "x < lo ? lo : x" keeps a NaN as well and is one vmaxps.
        return switch (act.opName()) {
            case "relu" -> atLeast(x, 0);
            case "relu6" -> atMost(atLeast(x, 0), 6);
            case "clip" -> {
                double lo = act.attrs().getDouble("min", Double.NEGATIVE_INFINITY), hi = act.attrs().getDouble("max", Double.POSITIVE_INFINITY);
                Expr y = x;
                if (lo != Double.NEGATIVE_INFINITY) y = atLeast(y, lo);
                if (hi != Double.POSITIVE_INFINITY) y = atMost(y, hi);
                yield y;
            }
            default -> throw new IllegalStateException("not a fusable activation: " + act.opName());
        };
    }

    private static Expr atLeast(Expr x, double lo) { return select(bin(BinOp.LT, x, f32(lo)), f32(lo), x); }

    private static Expr atMost(Expr x, double hi) { return select(bin(BinOp.GT, x, f32(hi)), f32(hi), x); }

    /** Applies {@code act} to {@code count} elements of {@code buf} from {@code offset}, right after they were computed. */
    private static void activateInPlace(Lowerer cx, Buffer buf, Expr offset, long count, Node act) {
        if (act == null) return;
        cx.emit(loop(cx, i64(count), j -> new Stmt.Store(buf, add(offset, j), activate(act, load(buf, add(offset, j))))));
    }

    /**
     * Output rows/columns {@code [lo, hi)} whose every kernel tap reads inside the input (no padding):
     * there the taps need neither bounds tests nor clamping.
     */
    static long[] interior(long out, long size, long k, long stride, long pad, long dilation) {
        long lo = Math.min(out, Math.ceilDiv(pad, stride));
        long hi = Math.floorDiv(size - 1 + pad - (k - 1) * dilation, stride) + 1;
        return new long[] {lo, Math.max(lo, Math.min(out, hi))};
    }

    /**
     * Depthwise convolution (one input channel per group, any channel multiplier): one parallel
     * iteration per (image, output channel) plane, its weights and bias held in locals, the fused
     * activation applied before the store. A stride-1 plane with output rows as wide as the input's
     * is one flat masked loop ({@link #flatPlane}); a strided one with at least
     * {@link #PHASE_MIN_WIDTH} output columns goes through its phase planes ({@link #stridedPlane});
     * any other splits output rows and columns into the interior, where every tap is a plain load
     * at a constant offset, and the padded border, where each tap tests its bounds.
     */
    static void depthwise(Node n, Lowerer cx, long[] xs, long[] ws, long[] os, Window win, Node act) {
        Buffer in = cx.storage(n.input(0)), weight = cx.storage(n.input(1)), out = cx.storage(n);
        Buffer bias = n.inputs().size() > 2 ? cx.storage(n.input(2)) : null;
        long c = xs[1], h = xs[2], wd = xs[3], o = ws[0], kh = ws[2], kw = ws[3], oh = os[2], ow = os[3];
        long mult = o / c, taps = kh * kw;
        long[] ys = interior(oh, h, kh, win.sh(), win.pt(), win.dh()), xr = interior(ow, wd, kw, win.sw(), win.pl(), win.dw());
        long planes = xs[0] * o, hp = Math.ceilDiv(h, win.sh()), wp = Math.ceilDiv(wd, win.sw());
        boolean phases = (win.sh() > 1 || win.sw() > 1) && wp == ow && ow >= PHASE_MIN_WIDTH;
        Expr[] scratch = new Expr[1];   // the phase planes of the block running this plane
        Buffer split = phases ? cx.temp("dw_phases", DType.F32, PHASE_BLOCKS * win.sh() * win.sw() * hp * wp) : null;
        java.util.function.Consumer<Expr> perPlane = plane -> {
            Expr oc = xs[0] == 1 ? plane : rem(plane, i64(o));
            Expr inBase = mul(div(plane, i64(mult)), i64(h * wd)), outBase = mul(plane, i64(oh * ow));
            Expr[] wv = new Expr[(int) taps];
            for (int t = 0; t < taps; t++) wv[t] = cx.local("w", DType.F32, load(weight, add(mul(oc, i64(taps)), i64(t))));
            Expr b = bias == null ? null : cx.local("b", DType.F32, load(bias, oc));
            java.util.function.BiFunction<Expr, Expr, Expr> fast = (oy, ox) -> {
                Expr at = add(add(inBase, mul(oy, i64(win.sh() * wd))), mul(ox, i64(win.sw())));
                Expr acc = b;
                for (int ky = 0; ky < kh; ky++)
                    for (int kx = 0; kx < kw; kx++) {
                        long off = (ky * win.dh() - win.pt()) * wd + kx * win.dw() - win.pl();
                        Expr term = mul(load(in, add(at, i64(off))), wv[(int) (ky * kw + kx)]);
                        acc = acc == null ? term : add(acc, term);
                    }
                return acc;
            };
            java.util.function.BiFunction<Expr, Expr, Expr> edge = (oy, ox) -> {
                Expr acc = b;
                for (int ky = 0; ky < kh; ky++)
                    for (int kx = 0; kx < kw; kx++) {
                        Expr iy = add(mul(oy, i64(win.sh())), i64(ky * win.dh() - win.pt()));
                        Expr ix = add(mul(ox, i64(win.sw())), i64(kx * win.dw() - win.pl()));
                        Expr v = select(inside(iy, h, ix, wd), load(in, add(inBase, add(mul(clamp(iy, h), i64(wd)), clamp(ix, wd)))), f32(0));
                        Expr term = mul(v, wv[(int) (ky * kw + kx)]);
                        acc = acc == null ? term : add(acc, term);
                    }
                return acc;
            };
            if (phases) {
                stridedPlane(cx, in, inBase, split, scratch[0], out, outBase, h, wd, oh, ow, hp, wp, kh, kw, win, wv, b, act);
                return;
            }
            if (flatPlane(wd, ow, win)) {
                // Stride 1 and "same" width: input and output rows have one pitch, so tap t of output
                // element r (= oy·ow + ox) reads input element r + off(t). The plane is one flat loop
                // (a 4×4 or 8×8 map is too narrow to vectorize by rows) and a tap whose row or column
                // falls into the padding is skipped by a condition on r: the vectorizer turns these
                // into masked loads, so no load leaves the plane and no border code is needed.
                range(cx, 0, oh * ow, r -> cx.collect(() -> {
                    Expr ox = rem(r, i64(ow));
                    var acc = cx.local("acc", DType.F32, b == null ? f32(0) : b);
                    for (int ky = 0; ky < kh; ky++)
                        for (int kx = 0; kx < kw; kx++) {
                            long dy = ky * win.dh() - win.pt(), dx = kx * win.dw() - win.pl();
                            Expr ok = null;
                            if (dy < 0) ok = and(ok, bin(BinOp.GE, r, i64(-dy * ow)));
                            if (dy > 0) ok = and(ok, bin(BinOp.LT, r, i64((h - dy) * ow)));
                            if (dx < 0) ok = and(ok, bin(BinOp.GE, ox, i64(-dx)));
                            if (dx > 0) ok = and(ok, bin(BinOp.LT, ox, i64(wd - dx)));
                            Stmt add = new Stmt.Assign(acc.name(), add(acc, mul(load(in, add(add(inBase, r), i64(dy * wd + dx))), wv[(int) (ky * kw + kx)])));
                            cx.emit(ok == null ? add : new Stmt.If(ok, List.of(add)));
                        }
                    cx.emit(new Stmt.Store(out, add(outBase, r), activate(act, acc)));
                }));
                return;
            }
            java.util.function.Function<Expr, Expr> rowOut = oy -> add(outBase, mul(oy, i64(ow)));
            // Border rows above and below the interior share one loop: one copy of the bounds-tested code.
            long top = ys[0], below = oh - ys[1];
            range(cx, 0, top + below, r -> {
                Expr oy = top == 0 ? add(r, i64(ys[1])) : below == 0 ? r : select(bin(BinOp.LT, r, i64(top)), r, add(r, i64(ys[1] - top)));
                return cx.collect(() -> range(cx, 0, ow, ox -> cx.collect(() -> edgeStore(cx, out, add(rowOut.apply(oy), ox), act, edge.apply(oy, ox)))));
            });
            range(cx, ys[0], ys[1], oy -> cx.collect(() -> {
                range(cx, 0, xr[0], ox -> cx.collect(() -> edgeStore(cx, out, add(rowOut.apply(oy), ox), act, edge.apply(oy, ox))));
                range(cx, xr[0], xr[1], ox -> cx.collect(() -> edgeStore(cx, out, add(rowOut.apply(oy), ox), act, fast.apply(oy, ox))));
                range(cx, xr[1], ow, ox -> cx.collect(() -> edgeStore(cx, out, add(rowOut.apply(oy), ox), act, edge.apply(oy, ox))));
            }));
        };
        if (!phases) {
            cx.flatLoop(new long[] {planes}, true, p -> cx.collect(() -> perPlane.accept(p.flat())));
            return;
        }
        // Each parallel block runs its planes one after the other through its own phase planes.
        long blocks = PHASE_BLOCKS;
        while (planes % blocks != 0) blocks--;
        long per = planes / blocks;
        cx.loop(blocks, planes > MAX_SERIAL_PHASE_PLANES, blk -> cx.collect(() -> {
            scratch[0] = mul(blk, i64(win.sh() * win.sw() * hp * wp));
            cx.loop(per, q -> cx.collect(() -> perPlane.accept(add(mul(blk, i64(per)), q))));
        }));
    }

    /** Parallel blocks of a strided depthwise convolution, each with its own phase planes. */
    static final long PHASE_BLOCKS = 32;

    /**
     * Up to this many planes a phase-plane depthwise convolution is not marked parallel. Measured
     * (per-statement cycles, {@code -Ddlm.llvm.profile=true}) on MobileNet batch 1 (64 and 128
     * planes, 12-33 µs on one thread): split over two threads they took 1.3-1.5× their one-thread
     * time with the workers hot and up to 2.4× with them asleep, while the stride-1 ones gained.
     */
    static final long MAX_SERIAL_PHASE_PLANES = 4 * PHASE_BLOCKS;

    /**
     * Output width from which a strided depthwise plane is split into phase planes. Measured on
     * MobileNet's stride-2 layers (perf samples of each layer, batch 1): 16→8 maps take about half
     * the time of the border/interior loops, 8→4 maps 1.3× more (the split's 4-float rows and a
     * 16-element plane cost more than they save), so those keep the border/interior loops.
     */
    static final long PHASE_MIN_WIDTH = 8;

    /**
     * A strided depthwise plane whose output row is as wide as the input's column phase
     * ({@code ceil(w/sw) == ow}). The input plane is first split into its {@code sh·sw} phase planes
     * ({@code phase(py, px)[i, j] = x[i·sh + py, j·sw + px]}); in them every tap of output element
     * {@code r = oy·ow + ox} reads element {@code r + const} of one phase plane, so the plane is one
     * flat loop with contiguous loads (a stride-2 load does not vectorize), taps in the padding
     * skipped by conditions on {@code r} (masked loads), as in the stride-1 flat loop.
     */
    private static void stridedPlane(Lowerer cx, Buffer in, Expr inBase, Buffer split, Expr splitBase, Buffer out, Expr outBase,
                                     long h, long wd, long oh, long ow, long hp, long wp, long kh, long kw, Window win,
                                     Expr[] wv, Expr b, Node act) {
        long sh = win.sh(), sw = win.sw(), full = wd / sw;
        cx.loop(h, iy -> cx.collect(() -> {
            Expr row = add(splitBase, add(mul(rem(iy, i64(sh)), i64(sw * hp * wp)), mul(div(iy, i64(sh)), i64(wp))));
            Expr src = add(inBase, mul(iy, i64(wd)));
            // whole column groups, then the last partial one when sw does not divide the width
            range(cx, 0, full, j -> cx.collect(() -> {
                for (long px = 0; px < sw; px++)
                    cx.emit(new Stmt.Store(split, add(add(row, i64(px * hp * wp)), j), load(in, add(add(src, mul(j, i64(sw))), i64(px)))));
            }));
            for (long px = 0; px < wd - full * sw; px++)
                cx.emit(new Stmt.Store(split, add(row, i64(px * hp * wp + full)), load(in, add(src, i64(full * sw + px)))));
        }));
        range(cx, 0, oh * ow, r -> cx.collect(() -> {
            Expr ox = rem(r, i64(ow));
            var acc = cx.local("acc", DType.F32, b == null ? f32(0) : b);
            for (int ky = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++) {
                    long cy = ky * win.dh() - win.pt(), cxx = kx * win.dw() - win.pl();
                    long py = Math.floorMod(cy, sh), ay = Math.floorDiv(cy, sh), px = Math.floorMod(cxx, sw), ax = Math.floorDiv(cxx, sw);
                    long yLo = Math.ceilDiv(-cy, sh), yHi = Math.ceilDiv(h - cy, sh), xLo = Math.ceilDiv(-cxx, sw), xHi = Math.ceilDiv(wd - cxx, sw);
                    Expr ok = null;
                    if (yLo > 0) ok = and(ok, bin(BinOp.GE, r, i64(yLo * ow)));
                    if (yHi < oh) ok = and(ok, bin(BinOp.LT, r, i64(yHi * ow)));
                    if (xLo > 0) ok = and(ok, bin(BinOp.GE, ox, i64(xLo)));
                    if (xHi < ow) ok = and(ok, bin(BinOp.LT, ox, i64(xHi)));
                    Expr at = add(add(splitBase, i64((py * sw + px) * hp * wp + ay * wp + ax)), r);
                    Stmt add = new Stmt.Assign(acc.name(), add(acc, mul(load(split, at), wv[(int) (ky * kw + kx)])));
                    cx.emit(ok == null ? add : new Stmt.If(ok, List.of(add)));
                }
            cx.emit(new Stmt.Store(out, add(outBase, r), activate(act, acc)));
        }));
    }

    /**
     * Whether a depthwise plane can be computed as one flat run of output elements: stride 1 and
     * an output row as wide as the input row (so both have one pitch).
     */
    static boolean flatPlane(long wd, long ow, Window win) {
        return win.sh() == 1 && win.sw() == 1 && ow == wd;
    }

    private static Expr and(Expr a, Expr b) { return a == null ? b : bin(BinOp.AND, a, b); }

    /** {@code out[at] = act(value)}, the value bound to a local first when the activation reads it twice. */
    private static void edgeStore(Lowerer cx, Buffer out, Expr at, Node act, Expr value) {
        Expr v = act == null ? value : cx.local("acc", DType.F32, value);
        cx.emit(new Stmt.Store(out, at, activate(act, v)));
    }

    /** {@code for v in [from, to): body(v)}, nothing when empty, inlined when one iteration. */
    private static void range(Lowerer cx, long from, long to, java.util.function.Function<Expr, List<Stmt>> body) {
        if (to <= from) return;
        cx.loop(to - from, v -> body.apply(add(v, i64(from))));
    }

    /**
     * {@code col[colOffset + ((ci*kh + ky)*kw + kx)·ld + oy*ow + ox] = x[ci, oy*sh - pt + ky*dh, ox*sw - pl + kx*dw]}, 0 outside.
     * For each tap the output columns that read inside the image form one range [x0, x1)
     * computed from the tap, so a row is a strided copy loop between two zero-fill loops (all
     * vectorizable, no per-element bounds test); rows above or below the image are zero.
     * (Unrolling the taps at compile time made LLVM's O3 time explode on 5x5 kernels.)
     */
    static void im2col(Lowerer cx, Buffer in, Expr imageOffset, Buffer col, Expr colOffset, long ld, long c, long h, long w, long oh, long ow,
                       Window win) {
        if (noPadding(h, w, oh, ow, win)) {
            // Every tap reads inside the image: a row is one strided copy.
            cx.loops(new long[] {c, win.kh(), win.kw(), oh}, false, t -> {
                Expr src = add(add(imageOffset, mul(t.dim(0), i64(h * w))),
                        add(mul(add(mul(t.dim(3), i64(win.sh())), mul(t.dim(1), i64(win.dh()))), i64(w)), mul(t.dim(2), i64(win.dw()))));
                Expr dst = add(add(mul(add(mul(t.dim(0), i64(win.kh() * win.kw())), add(mul(t.dim(1), i64(win.kw())), t.dim(2))), i64(ld)), colOffset),
                        mul(t.dim(3), i64(ow)));
                return List.of(loop(cx, i64(ow), x -> new Stmt.Store(col, add(dst, x), load(in, add(src, mul(x, i64(win.sw())))))));
            });
            return;
        }
        cx.loops(new long[] {c, win.kh(), win.kw()}, false, tap -> cx.collect(() -> {
            Expr ci = tap.dim(0), ky = tap.dim(1), kx = tap.dim(2);
            Expr plane = add(imageOffset, mul(ci, i64(h * w)));
            Expr offX = sub(mul(kx, i64(win.dw())), i64(win.pl())), offY = sub(mul(ky, i64(win.dh())), i64(win.pt()));
            long sw = win.sw();
            var x0 = cx.local("x0", DType.I64, min(i64(ow), select(bin(BinOp.GE, offX, i64(0)), i64(0), div(sub(i64(sw - 1), offX), i64(sw)))));
            Expr last = sub(i64(w - 1), offX);
            var x1 = cx.local("x1", DType.I64, max(x0, min(i64(ow), select(bin(BinOp.LT, last, i64(0)), i64(0), add(div(last, i64(sw)), i64(1))))));
            Expr row = add(mul(tap.flat(), i64(ld)), colOffset);
            cx.loop(oh, y -> {
                Expr iy = add(mul(y, i64(win.sh())), offY);
                Expr inside = bin(BinOp.AND, bin(BinOp.GE, iy, i64(0)), bin(BinOp.LT, iy, i64(h)));
                Expr dst = add(row, mul(y, i64(ow)));
                Stmt copyLoop = loop(cx, sub(x1, x0), j -> {
                    Expr x = add(j, x0);
                    Expr src = add(plane, add(mul(iy, i64(w)), add(mul(x, i64(sw)), offX)));
                    return new Stmt.Store(col, add(dst, x), load(in, src));
                });
                List<Stmt> copy = List.of(fill(col, dst, i64(0), x0, cx), copyLoop, fill(col, dst, x1, sub(i64(ow), x1), cx));
                return List.of(new Stmt.If(inside, copy), new Stmt.If(un(UnOp.NOT, inside), List.of(fill(col, dst, i64(0), i64(ow), cx))));
            });
        }));
    }

    /** Whether every tap of every output position reads inside the {@code h×w} input. */
    static boolean noPadding(long h, long w, long oh, long ow, Window win) {
        long[] ys = interior(oh, h, win.kh(), win.sh(), win.pt(), win.dh()), xs = interior(ow, w, win.kw(), win.sw(), win.pl(), win.dw());
        return ys[0] == 0 && ys[1] == oh && xs[0] == 0 && xs[1] == ow;
    }

    /** {@code for j in [0, n): body(j)} with a runtime extent. */
    private static Stmt loop(Lowerer cx, Expr n, java.util.function.Function<Expr, Stmt> body) {
        String v = cx.fresh("j");
        return new Stmt.Loop(v, n, 1, false, List.of(body.apply(new Expr.Var(v, DType.I64))));
    }

    private static Stmt fill(Buffer col, Expr dst, Expr from, Expr count, Lowerer cx) {
        return loop(cx, count, j -> new Stmt.Store(col, add(dst, add(j, from)), f32(0)));
    }


    static Expr clamp(Expr i, long n) { return max(i64(0), min(i, i64(n - 1))); }

    static Expr inside(Expr iy, long h, Expr ix, long w) {
        return bin(BinOp.AND, bin(BinOp.AND, bin(BinOp.GE, iy, i64(0)), bin(BinOp.LT, iy, i64(h))),
                bin(BinOp.AND, bin(BinOp.GE, ix, i64(0)), bin(BinOp.LT, ix, i64(w))));
    }

    /** Grouped (e.g. depthwise) convolution as a direct loop nest with an accumulator per output element. */
    static void direct(Node n, Lowerer cx, long[] xs, long[] ws, long[] os, long groups, Window win, Node act) {
        Node x = n.input(0), w = n.input(1);
        Buffer in = cx.storage(x), weight = cx.storage(w), out = cx.storage(n);
        Buffer bias = n.inputs().size() > 2 ? cx.storage(n.input(2)) : null;
        long c = xs[1], h = xs[2], wd = xs[3], o = ws[0], cg = ws[1], kh = ws[2], kw = ws[3];
        long og = o / groups;
        cx.loops(os, true, idx -> cx.collect(() -> {
            Expr img = idx.dim(0), oc = idx.dim(1);
            var acc = cx.local("acc", DType.F32, bias == null ? f32(0) : load(bias, oc));
            Expr g = div(oc, i64(og));
            cx.loops(new long[] {cg, kh, kw}, false, k -> {
                Expr iy = add(sub(mul(idx.dim(2), i64(win.sh())), i64(win.pt())), mul(k.dim(1), i64(win.dh())));
                Expr ix = add(sub(mul(idx.dim(3), i64(win.sw())), i64(win.pl())), mul(k.dim(2), i64(win.dw())));
                Expr ci = add(mul(g, i64(cg)), k.dim(0));
                Expr src = add(mul(add(mul(img, i64(c)), ci), i64(h * wd)), add(mul(clamp(iy, h), i64(wd)), clamp(ix, wd)));
                Expr wv = load(weight, add(mul(oc, i64(cg * kh * kw)), k.flat()));
                Expr v = select(inside(iy, h, ix, wd), load(in, src), f32(0));
                return List.of(new Stmt.Assign(acc.name(), add(acc, mul(v, wv))));
            });
            cx.emit(new Stmt.Store(out, idx.flat(), activate(act, acc)));
        }));
    }

    static void pool(Node n, Lowerer cx, boolean isMax) {
        Node x = n.input(0);
        long[] xs = cx.shape(x), os = cx.shape(n);
        long[] k = n.attrs().getLongArray("kernel");
        Window win = Window.of(n, k[0], k[1], k);
        long h = xs[2], wd = xs[3];
        boolean includePad = n.attrs().getBool("count_include_pad", false);
        DType t = n.dtype();
        Buffer out = cx.storage(n);
        cx.loops(os, true, idx -> cx.collect(() -> {
            var acc = cx.local("acc", t, isMax ? c(t, Double.NEGATIVE_INFINITY) : c(t, 0));
            var cnt = isMax ? null : cx.local("count", t, c(t, 0));
            cx.loops(new long[] {k[0], k[1]}, false, kk -> {
                Expr iy = add(sub(mul(idx.dim(2), i64(win.sh())), i64(win.pt())), mul(kk.dim(0), i64(win.dh())));
                Expr ix = add(sub(mul(idx.dim(3), i64(win.sw())), i64(win.pl())), mul(kk.dim(1), i64(win.dw())));
                Expr valid = inside(iy, h, ix, wd);
                Expr src = add(mul(add(mul(idx.dim(0), i64(xs[1])), idx.dim(1)), i64(h * wd)), add(mul(clamp(iy, h), i64(wd)), clamp(ix, wd)));
                Expr v = cx.read(x, Index.ofFlat(xs, src));
                if (isMax) return List.of(new Stmt.Assign(acc.name(), select(valid, max(acc, v), acc)));
                Expr counted = includePad
                        ? bin(BinOp.AND, bin(BinOp.AND, bin(BinOp.GE, iy, i64(-win.pt())), bin(BinOp.LT, iy, i64(h + win.pb()))),
                                bin(BinOp.AND, bin(BinOp.GE, ix, i64(-win.pl())), bin(BinOp.LT, ix, i64(wd + win.pr()))))
                        : valid;
                return List.of(new Stmt.Assign(acc.name(), add(acc, select(valid, v, c(t, 0)))),
                        new Stmt.Assign(cnt.name(), add(cnt, select(counted, c(t, 1), c(t, 0)))));
            });
            cx.emit(new Stmt.Store(out, idx.flat(), isMax ? acc : div(acc, cnt)));
        }));
    }
}
