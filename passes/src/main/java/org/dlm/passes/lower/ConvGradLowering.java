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
 * The backward ops of the convolutions and pools. {@code conv2d_weight_grad} is im2col + GEMM:
 * {@code dW[O, C·kh·kw] += dY_n[O, OH·OW] · col_nᵀ} per image ({@code sgemm_nt} with the
 * accumulate flag), the batch split into up to {@link #WEIGHT_GRAD_CHUNKS} chunks that run in
 * parallel, each into its own partial dW, summed at the end; {@code conv_transpose2d} (conv2d's input gradient) with stride 1 is a
 * convolution with the flipped, transposed kernel (im2col + {@code sgemm_nn}; 1x1 a single
 * {@code sgemm_tn} per image), otherwise {@code col = Wᵀ · x_n} ({@code sgemm_tn}) followed by
 * col2im, a scatter-add whose rows are copy loops over the range of columns inside the image. Grouped (depthwise) variants
 * are direct loops. Pool gradients are loops over each plane's windows (parallel over planes, so
 * the scatter-adds of overlapping windows never race); max pooling recomputes each window's
 * first maximum as the forward op picked it.
 */
final class ConvGradLowering {
    private ConvGradLowering() {}

    static void register(LoweringTable t) {
        t.statements("conv2d_weight_grad", ConvGradLowering::weightGrad);
        t.statements("conv_transpose2d", ConvGradLowering::convTranspose);
        t.statements("max_pool2d_grad", (n, cx) -> poolGrad(n, cx, true));
        t.statements("avg_pool2d_grad", (n, cx) -> poolGrad(n, cx, false));
        t.statements("global_pool_grad", ConvGradLowering::globalPoolGrad);
    }

    static void weightGrad(Node n, Lowerer cx) {
        LinalgLowering.requireF32(n);
        Node x = n.input(0), gy = n.input(1);
        long[] xs = cx.shape(x), gs = cx.shape(gy), ws = cx.shape(n);
        long batch = xs[0], c = xs[1], h = xs[2], wd = xs[3], o = gs[1], oh = gs[2], ow = gs[3], kh = ws[2], kw = ws[3];
        long groups = n.attrs().getLong("groups", 1);
        ConvLowering.Window win = ConvLowering.Window.of(n, kh, kw, new long[] {1, 1});
        Buffer in = cx.storage(x), dy = cx.storage(gy), out = cx.storage(n);
        if (groups != 1) {
            if (ws[1] == 1 && kh * kw <= MAX_UNROLLED_TAPS) depthwiseWeightGrad(n, cx, xs, gs, ws, win);
            else directWeightGrad(n, cx, xs, gs, ws, groups, win);
            return;
        }
        long patch = c * kh * kw, ohw = oh * ow, size = o * patch;
        if (useDirectWeightGrad(win)) {
            directConvWeightGrad(cx, in, dy, out, batch, c, h, wd, o, oh, ow, win);
            return;
        }
        // Images in chunks, one parallel iteration each, summing into its own partial dW; then the
        // partials are added up. (One dW accumulated image after image runs in sequence: its
        // small per-image GEMMs and the im2col copies do not spread over threads.)
        long per = Math.ceilDiv(batch, Math.min(batch, WEIGHT_GRAD_CHUNKS)), chunks = Math.ceilDiv(batch, per);
        Buffer acc = chunks == 1 ? out : cx.temp("dw_partial", DType.F32, chunks * size);
        long group = win.trivial() && batch % per == 0 && ohw < ConvLowering.GEMM_COLUMNS ? pointwiseGroup(per, ohw) : 1;
        if (group > 1) {
            pointwiseWeightGrad(cx, in, dy, out, acc, c, o, ohw, chunks, per, group);
            return;
        }
        Buffer col = win.trivial() ? null : cx.temp("im2col", DType.F32, patch * ohw);
        cx.loop(chunks, true, chunk -> cx.collect(() -> {
            Expr part = mul(chunk, i64(size));
            cx.loop(size, i -> List.of(new Stmt.Store(acc, add(part, i), f32(0))));
            String v = cx.fresh("img");
            Expr next = add(mul(chunk, i64(per)), new Expr.Var(v, DType.I64));
            boolean ragged = batch % per != 0;   // the last chunk is short: its missing images are skipped (min keeps the index in range)
            Expr img = ragged ? min(next, i64(batch - 1)) : next;
            List<Stmt> body = cx.collect(() -> {
                if (col == null) {
                    cx.emit(LinalgLowering.sgemm(false, true, o, c, ohw, dy, mul(img, i64(o * ohw)), ohw,
                            in, mul(img, i64(c * h * wd)), ohw, acc, part, c, Microkernels.ACCUMULATE, null));
                    return;
                }
                ConvLowering.im2col(cx, in, mul(img, i64(c * h * wd)), col, i64(0), ohw, c, h, wd, oh, ow, win);
                cx.emit(LinalgLowering.sgemm(false, true, o, patch, ohw, dy, mul(img, i64(o * ohw)), ohw, col, i64(0), ohw,
                        acc, part, patch, Microkernels.ACCUMULATE, null));
            });
            cx.emit(new Stmt.Loop(v, i64(per), 1, false, ragged ? List.of(new Stmt.If(bin(BinOp.LT, next, i64(batch)), body)) : body));
        }));
        if (chunks == 1) return;
        cx.loop(size, true, i -> {
            Expr sum = load(acc, i);
            for (long k = 1; k < chunks; k++) sum = add(sum, load(acc, add(i, i64(k * size))));
            return List.of(new Stmt.Store(out, i, sum));
        });
    }

    /** Most columns (images × positions) of one batched pointwise weight-gradient GEMM. */
    static final long POINTWISE_DEPTH = 4096;

    /** Images per batched pointwise weight-gradient GEMM: the largest divisor of a chunk's images with {@code g·hw <= POINTWISE_DEPTH}. */
    static long pointwiseGroup(long per, long hw) { return ConvLowering.imagesPer(per, hw, POINTWISE_DEPTH); }

    /**
     * 1×1 stride-1 weight gradient on small maps: per chunk, {@code group} images' output
     * gradients and inputs copied side by side into {@code [o, g·hw]} and {@code [c, g·hw]}, one
     * {@code sgemm_nt} of depth {@code g·hw} accumulating into the chunk's partial dW. (One GEMM per
     * image has a depth of only h·w — 16 on a 4×4 map — so it reads and writes all of dW for a few
     * multiply-adds per element.)
     */
    private static void pointwiseWeightGrad(Lowerer cx, Buffer in, Buffer dy, Buffer out, Buffer acc, long c, long o, long hw,
                                            long chunks, long per, long group) {
        long cols = group * hw, size = o * c;
        Buffer gcat = cx.temp("wgrad_dy", DType.F32, o * cols), xcat = cx.temp("wgrad_in", DType.F32, c * cols);
        cx.loop(chunks, true, chunk -> cx.collect(() -> {
            Expr part = mul(chunk, i64(size));
            cx.loop(size, i -> List.of(new Stmt.Store(acc, add(part, i), f32(0))));
            cx.loop(per / group, gi -> cx.collect(() -> {
                Expr first = add(mul(chunk, i64(per)), mul(gi, i64(group)));
                // plane r of the group's images (image r / rows, row r % rows) to row r % rows, columns (r / rows)·hw
                for (Object[] m : new Object[][] {{dy, gcat, o}, {in, xcat, c}}) {
                    Buffer src = (Buffer) m[0], dst = (Buffer) m[1];
                    long rows = (Long) m[2];
                    cx.loop(group * rows, r -> cx.collect(() -> {
                        Expr from = mul(add(mul(first, i64(rows)), r), i64(hw)), to = add(mul(rem(r, i64(rows)), i64(cols)), mul(div(r, i64(rows)), i64(hw)));
                        cx.loop(hw, j -> List.of(new Stmt.Store(dst, add(to, j), load(src, add(from, j)))));
                    }));
                }
                cx.emit(LinalgLowering.sgemm(false, true, o, c, cols, gcat, i64(0), cols, xcat, i64(0), cols, acc, part, c, Microkernels.ACCUMULATE, null));
            }));
        }));
        if (chunks == 1) return;
        cx.loop(size, true, i -> {
            Expr sum = load(acc, i);
            for (long k = 1; k < chunks; k++) sum = add(sum, load(acc, add(i, i64(k * size))));
            return List.of(new Stmt.Store(out, i, sum));
        });
    }

    /**
     * Whether a dense weight gradient goes to the {@code sconv_wgrad} kernel: stride 1 and a kernel
     * wider than one tap (1×1 stride-1 ones multiply the images in place; strided ones keep im2col),
     * at most {@link #MAX_WGRAD_COLUMNS} columns (the kernel holds a tap accumulator per column).
     */
    static boolean useDirectWeightGrad(ConvLowering.Window win) {
        return win.sh() == 1 && win.sw() == 1 && win.kh() * win.kw() > 1 && win.kw() <= MAX_WGRAD_COLUMNS
                && !Boolean.getBoolean("dlm.conv.im2col");
    }

    /** Widest kernel {@code sconv_wgrad} takes. */
    static final long MAX_WGRAD_COLUMNS = 8;

    /**
     * Stride-1 weight gradient through {@code sconv_wgrad}: the batch in chunks (a divisor of it,
     * at most {@link #WEIGHT_GRAD_CHUNKS}) that run in parallel, each copying its images zero-padded
     * (unless there is no padding: then read in place) and their output gradients onto the padded
     * images' row grid (zeros in the columns past the output's), then one kernel call that sums the
     * chunk into its own partial dW in registers; the partials are added up at the end.
     */
    private static void directConvWeightGrad(Lowerer cx, Buffer in, Buffer dy, Buffer out, long batch, long c, long h, long wd,
                                             long o, long oh, long ow, ConvLowering.Window win) {
        long kh = win.kh(), kw = win.kw(), ih = h + win.pt() + win.pb(), iw = wd + win.pl() + win.pr(), size = o * c * kh * kw;
        long chunks = weightGradChunks(batch), per = batch / chunks;
        boolean copied = ih != h || iw != wd;
        Buffer acc = chunks == 1 ? out : cx.temp("dw_partial", DType.F32, chunks * size);
        Buffer pad = copied ? cx.temp("wgrad_x", DType.F32, per * c * ih * iw) : null;
        Buffer grid = cx.temp("wgrad_g", DType.F32, per * o * oh * iw);
        cx.loop(chunks, true, chunk -> cx.collect(() -> {
            Expr first = mul(chunk, i64(per));
            if (copied) cx.emit(ConvLowering.padPlanes(cx, in, mul(first, i64(c * h * wd)), pad, i64(0), per * c, h, wd, win));
            // output gradient rows onto the padded row grid: [per·o·oh, iw], columns >= ow zero
            Expr g0 = mul(first, i64(o * oh * ow));
            cx.loop(per * o * oh, r -> cx.collect(() -> {
                cx.loop(ow, j -> List.of(new Stmt.Store(grid, add(mul(r, i64(iw)), j), load(dy, add(g0, add(mul(r, i64(ow)), j))))));
                if (iw > ow) cx.loop(iw - ow, j -> List.of(new Stmt.Store(grid, add(mul(r, i64(iw)), add(j, i64(ow))), f32(0))));
            }));
            List<Stmt.Arg> args = new java.util.ArrayList<>();
            for (long v : new long[] {o, c, ih, iw, kh, kw, win.dh(), win.dw(), per}) args.add(new Stmt.ScalarArg(i64(v)));
            args.add(copied ? new Stmt.PtrArg(pad, i64(0)) : new Stmt.PtrArg(in, mul(first, i64(c * h * wd))));
            args.add(new Stmt.PtrArg(grid, i64(0)));
            args.add(new Stmt.PtrArg(acc, mul(chunk, i64(size))));
            cx.emit(new Stmt.Call(Microkernels.SCONV_WGRAD, args));
        }));
        if (chunks == 1) return;
        cx.loop(size, true, i -> {
            Expr sum = load(acc, i);
            for (long k = 1; k < chunks; k++) sum = add(sum, load(acc, add(i, i64(k * size))));
            return List.of(new Stmt.Store(out, i, sum));
        });
    }

    /** The largest divisor of the batch up to {@link #WEIGHT_GRAD_CHUNKS}: chunks of equal size, as the kernel's image count is a constant. */
    static long weightGradChunks(long batch) {
        for (long k = Math.min(batch, WEIGHT_GRAD_CHUNKS); k > 1; k--)
            if (batch % k == 0) return k;
        return 1;
    }

    /** Most partial weight gradients {@link #weightGrad} sums (chunks of the batch that run in parallel). */
    static final long WEIGHT_GRAD_CHUNKS = 8;

    /** Most kernel taps the depthwise gradients unroll (one accumulator or code path per tap). */
    static final long MAX_UNROLLED_TAPS = 25;

    /**
     * Output positions {@code [lo, hi)} (of {@code out}) whose tap at offset {@code off} (tap·dilation −
     * padding) reads inside an input of {@code size}: {@code 0 <= o·stride + off < size}.
     */
    static long[] tapRange(long out, long size, long stride, long off) {
        long lo = off >= 0 ? 0 : Math.ceilDiv(-off, stride);
        long hi = size - 1 - off < 0 ? 0 : Math.floorDiv(size - 1 - off, stride) + 1;
        lo = Math.min(lo, out);
        return new long[] {lo, Math.max(lo, Math.min(out, hi))};
    }

    /**
     * Depthwise weight gradient (one input channel per group): one parallel iteration per output
     * channel holds an accumulator per tap; per image, each tap sums {@code gy·x} over the output
     * rows and columns whose input lies inside the image (ranges known at compile time, so the
     * column sums are plain lane sums with no bounds test) while the channel's planes are in cache.
     */
    private static void depthwiseWeightGrad(Node n, Lowerer cx, long[] xs, long[] gs, long[] ws, ConvLowering.Window win) {
        Node x = n.input(0), gy = n.input(1);
        long batch = xs[0], c = xs[1], h = xs[2], wd = xs[3], o = gs[1], oh = gs[2], ow = gs[3], kh = ws[2], kw = ws[3];
        long mult = o / c;
        Buffer in = cx.storage(x), dy = cx.storage(gy), out = cx.storage(n);
        cx.loop(o, true, oc -> cx.collect(() -> {
            Expr.Var[] acc = new Expr.Var[(int) (kh * kw)];
            for (int t = 0; t < acc.length; t++) acc[t] = cx.local("acc", DType.F32, f32(0));
            Expr ci = mult == 1 ? oc : div(oc, i64(mult));
            cx.loop(batch, img -> cx.collect(() -> {
                Expr gPlane = mul(add(mul(img, i64(o)), oc), i64(oh * ow)), xPlane = mul(add(mul(img, i64(c)), ci), i64(h * wd));
                for (int ky = 0; ky < kh; ky++)
                    for (int kx = 0; kx < kw; kx++) {
                        long offY = ky * win.dh() - win.pt(), offX = kx * win.dw() - win.pl();
                        long[] rows = tapRange(oh, h, win.sh(), offY), cols = tapRange(ow, wd, win.sw(), offX);
                        if (rows[1] <= rows[0] || cols[1] <= cols[0]) continue;
                        Expr.Var a = acc[ky * (int) kw + kx];
                        cx.loop(rows[1] - rows[0], r -> cx.collect(() -> {
                            Expr oy = add(r, i64(rows[0]));
                            Expr gRow = add(gPlane, mul(oy, i64(ow)));
                            Expr xRow = add(xPlane, mul(add(mul(oy, i64(win.sh())), i64(offY)), i64(wd)));
                            cx.assign(a, add(a, NormGradLowering.laneSum(cx, "row", DType.F32, cols[1] - cols[0], j -> {
                                Expr ox = add(j, i64(cols[0]));
                                return mul(load(dy, add(gRow, ox)), load(in, add(xRow, add(mul(ox, i64(win.sw())), i64(offX)))));
                            })));
                        }));
                    }
            }));
            for (int t = 0; t < acc.length; t++) cx.emit(new Stmt.Store(out, add(mul(oc, i64(kh * kw)), i64(t)), acc[t]));
        }));
    }

    /** Grouped weight gradient: one accumulator per weight element over the batch and the output positions. */
    private static void directWeightGrad(Node n, Lowerer cx, long[] xs, long[] gs, long[] ws, long groups, ConvLowering.Window win) {
        Node x = n.input(0), gy = n.input(1);
        long c = xs[1], h = xs[2], wd = xs[3], o = gs[1], oh = gs[2], ow = gs[3], cg = ws[1];
        long og = o / groups;
        Buffer out = cx.storage(n);
        cx.loops(ws, true, idx -> cx.collect(() -> {
            Expr oc = idx.dim(0), ci = add(mul(div(oc, i64(og)), i64(cg)), idx.dim(1)), ki = idx.dim(2), kj = idx.dim(3);
            var acc = cx.local("acc", DType.F32, f32(0));
            // per output row, independent partial sums over the columns (one f32 chain would serialize)
            cx.loops(new long[] {xs[0], oh}, false, p -> cx.collect(() -> cx.assign(acc, add(acc, NormGradLowering.laneSum(cx, "row", DType.F32, ow, z -> {
                Expr iy = add(sub(mul(p.dim(1), i64(win.sh())), i64(win.pt())), mul(ki, i64(win.dh())));
                Expr ix = add(sub(mul(z, i64(win.sw())), i64(win.pl())), mul(kj, i64(win.dw())));
                Expr src = add(mul(add(mul(p.dim(0), i64(c)), ci), i64(h * wd)), add(mul(ConvLowering.clamp(iy, h), i64(wd)), ConvLowering.clamp(ix, wd)));
                Expr g = cx.read(gy, Index.ofFlat(gs, add(mul(add(mul(p.dim(0), i64(o)), oc), i64(oh * ow)), add(mul(p.dim(1), i64(ow)), z))));
                return mul(g, select(ConvLowering.inside(iy, h, ix, wd), cx.read(x, Index.ofFlat(xs, src)), f32(0)));
            })))));
            cx.emit(new Stmt.Store(out, idx.flat(), acc));
        }));
    }

    /** Window of a transposed convolution: stride, padding and dilation act on the output. */
    static void convTranspose(Node n, Lowerer cx) {
        LinalgLowering.requireF32(n);
        Node x = n.input(0), w = n.input(1);
        long[] xs = cx.shape(x), ws = cx.shape(w), os = cx.shape(n);
        long batch = xs[0], c = xs[1], h = xs[2], wd = xs[3], og = ws[1], kh = ws[2], kw = ws[3], o = os[1], oh = os[2], ow = os[3];
        long groups = n.attrs().getLong("groups", 1);
        ConvLowering.Window win = ConvLowering.Window.of(n, kh, kw, new long[] {1, 1});
        Buffer bias = n.inputs().size() > 2 ? cx.storage(n.input(2)) : null;
        Buffer in = cx.storage(x), weight = cx.storage(w), out = cx.storage(n);
        if (groups != 1) {
            if (ws[1] == 1 && groups == c) depthwiseTranspose(cx, in, weight, bias, out, xs, os, win);
            else directTranspose(n, cx, xs, ws, os, groups, win, bias);
            return;
        }
        long hw = h * wd, ohw = oh * ow;
        int biasFlag = bias == null ? 0 : Microkernels.BIAS_ROWS;
        if (win.trivial()) {   // 1x1, stride 1, no padding: out_n[O, HW] = Wᵀ · x_n, straight into the output
            cx.loop(batch, true, img -> List.of(LinalgLowering.sgemm(true, false, o, hw, c, weight, i64(0), o, in, mul(img, i64(c * hw)), hw,
                    out, mul(img, i64(o * ohw)), ohw, biasFlag, bias)));
            return;
        }
        long[] op = n.attrs().getLongArray("output_padding", 0, 0);
        long pt = win.dh() * (kh - 1) - win.pt(), pl = win.dw() * (kw - 1) - win.pl();
        long pb = win.dh() * (kh - 1) - win.pb() + op[0], pr = win.dw() * (kw - 1) - win.pr() + op[1];
        if (win.sh() == 1 && win.sw() == 1 && pt >= 0 && pl >= 0 && pb >= 0 && pr >= 0) {
            // stride 1: a convolution of x with the flipped, transposed kernel and padding d·(k-1) - p (gather, no scatter)
            ConvLowering.Window flipped = new ConvLowering.Window(kh, kw, 1, 1, pt, pl, pb, pr, win.dh(), win.dw());
            long patch = c * kh * kw;
            Buffer wf = cx.temp("w_flipped", DType.F32, o * patch);
            cx.loops(new long[] {o, c, kh, kw}, true, i -> List.of(new Stmt.Store(wf, i.flat(), load(weight,
                    add(mul(add(mul(i.dim(1), i64(o)), i.dim(0)), i64(kh * kw)), add(mul(sub(i64(kh - 1), i.dim(2)), i64(kw)), sub(i64(kw - 1), i.dim(3))))))));
            if (ConvLowering.useDirect(flipped)) {
                ConvLowering.directConv(cx, in, wf, bias, out, batch, c, h, wd, o, kh, kw, oh, ow, flipped, biasFlag, null);
                return;
            }
            Buffer col = cx.temp("im2col", DType.F32, patch * ohw);
            cx.loop(batch, true, img -> cx.collect(() -> {
                ConvLowering.im2col(cx, in, mul(img, i64(c * hw)), col, i64(0), ohw, c, h, wd, oh, ow, flipped);
                cx.emit(LinalgLowering.sgemm(false, false, o, ohw, patch, wf, i64(0), patch, col, i64(0), ohw,
                        out, mul(img, i64(o * ohw)), ohw, biasFlag, bias));
            }));
            return;
        }
        long rows = og * kh * kw;
        Buffer col = cx.temp("col", DType.F32, rows * hw);
        cx.loop(batch, true, img -> cx.collect(() -> {
            Expr outImg = mul(img, i64(o * oh * ow));
            // col[O·kh·kw, H·W] = Wᵀ · x_n   (W viewed as [C, O·kh·kw])
            cx.emit(LinalgLowering.sgemm(true, false, rows, hw, c, weight, i64(0), rows, in, mul(img, i64(c * hw)), hw, col, i64(0), hw, 0, null));
            cx.loops(new long[] {o}, true, oi -> cx.collect(() -> {
                Expr oc = oi.dim(0);
                Expr plane = add(outImg, mul(oc, i64(oh * ow)));
                Expr init = bias == null ? f32(0) : load(bias, oc);
                cx.loop(oh * ow, p -> List.of(new Stmt.Store(out, add(plane, p), init)));
                col2im(cx, col, mul(oc, i64(kh * kw)), out, plane, h, wd, oh, ow, win);
            }));
        }));
    }

    /**
     * {@code out[ty, tz] += col[(row0 + ki·kw + kj)][y·w + z]} for {@code ty = y·sh - pt + ki·dh},
     * {@code tz = z·sw - pl + kj·dw} inside the output: for each tap and input row, the input
     * columns landing inside form one range [z0, z1) (as in im2col), so the inner loop has no test.
     */
    static void col2im(Lowerer cx, Buffer col, Expr row0, Buffer out, Expr plane, long h, long w, long oh, long ow, ConvLowering.Window win) {
        cx.loops(new long[] {win.kh(), win.kw()}, false, tap -> cx.collect(() -> {
            Expr row = mul(add(row0, tap.flat()), i64(h * w));
            scatterTap(cx, win, tap.dim(0), tap.dim(1), h, w, oh, ow, out, plane, (y, z) -> load(col, add(row, add(mul(y, i64(w)), z))));
        }));
    }

    /**
     * One kernel tap's scatter-add {@code out[plane + ty·ow + z·sw + offX] += value(y, z)} with
     * {@code ty = y·sh + offY} (tap (ki, kj): {@code offY = ki·dh − pad_top}, {@code offX = kj·dw − pad_left})
     * over the input rows y whose ty lies in {@code [0, oh)} and the input columns z whose target
     * lies in {@code [0, ow)}: that column range is computed once per tap (z0 = first z with
     * {@code z·sw + offX >= 0}, z1 = one past the last with {@code z·sw + offX < ow}, both clamped to
     * {@code [0, w)}), so the inner loop has no test.
     */
    private static void scatterTap(Lowerer cx, ConvLowering.Window win, Expr ki, Expr kj, long h, long w, long oh, long ow,
                                   Buffer out, Expr plane, java.util.function.BiFunction<Expr, Expr, Expr> value) {
        Expr offX = sub(mul(kj, i64(win.dw())), i64(win.pl())), offY = sub(mul(ki, i64(win.dh())), i64(win.pt()));
        long sw = win.sw();
        var z0 = cx.local("z0", DType.I64, min(i64(w), select(bin(BinOp.GE, offX, i64(0)), i64(0), div(sub(i64(sw - 1), offX), i64(sw)))));
        Expr last = sub(i64(ow - 1), offX);
        var z1 = cx.local("z1", DType.I64, max(z0, min(i64(w), select(bin(BinOp.LT, last, i64(0)), i64(0), add(div(last, i64(sw)), i64(1))))));
        cx.loop(h, y -> {
            Expr ty = add(mul(y, i64(win.sh())), offY);
            Expr inside = bin(BinOp.AND, bin(BinOp.GE, ty, i64(0)), bin(BinOp.LT, ty, i64(oh)));
            String v = cx.fresh("j");
            Expr z = add(new Expr.Var(v, DType.I64), z0);
            Expr dst = add(plane, add(mul(ty, i64(ow)), add(mul(z, i64(sw)), offX)));
            Stmt scatter = new Stmt.Loop(v, sub(z1, z0), 1, false, List.of(new Stmt.Store(out, dst, add(load(out, dst), value.apply(y, z)))));
            return List.of(new Stmt.If(inside, List.of(scatter)));
        });
    }

    /**
     * Depthwise transposed convolution (the depthwise convolution's input gradient): one parallel
     * iteration per (image, channel) plane, which is set to the bias (or zero) and then gets every
     * tap's scatter-add {@code out[y·sh + offY, z·sw + offX] += x[y, z]·w[tap]}, each input row's
     * columns landing inside the output being one range (as in {@link #col2im}), so the inner loop
     * has no test and, with stride 1, is a contiguous multiply-add.
     */
    private static void depthwiseTranspose(Lowerer cx, Buffer in, Buffer weight, Buffer bias, Buffer out, long[] xs, long[] os, ConvLowering.Window win) {
        long c = xs[1], h = xs[2], w = xs[3], oh = os[2], ow = os[3], kh = win.kh(), kw = win.kw();
        cx.loop(xs[0] * c, true, p -> cx.collect(() -> {
            Expr ch = xs[0] == 1 ? p : rem(p, i64(c));
            Expr plane = mul(p, i64(oh * ow)), src = mul(p, i64(h * w));
            Expr init = bias == null ? f32(0) : cx.local("b", DType.F32, load(bias, ch));
            cx.loop(oh * ow, i -> List.of(new Stmt.Store(out, add(plane, i), init)));
            cx.loops(new long[] {kh, kw}, false, tap -> cx.collect(() -> {
                var wv = cx.local("w", DType.F32, load(weight, add(mul(ch, i64(kh * kw)), tap.flat())));
                scatterTap(cx, win, tap.dim(0), tap.dim(1), h, w, oh, ow, out, plane, (y, z) -> mul(load(in, add(src, add(mul(y, i64(w)), z))), wv));
            }));
        }));
    }

    /** Grouped transposed convolution as a gather per output element: the taps whose input position is whole and inside. */
    private static void directTranspose(Node n, Lowerer cx, long[] xs, long[] ws, long[] os, long groups, ConvLowering.Window win, Buffer bias) {
        Node x = n.input(0), w = n.input(1);
        long c = xs[1], h = xs[2], wd = xs[3], og = ws[1], kh = ws[2], kw = ws[3], o = os[1];
        long cg = c / groups;
        Buffer out = cx.storage(n);
        cx.loops(os, true, idx -> cx.collect(() -> {
            Expr img = idx.dim(0), oc = idx.dim(1);
            Expr g = div(oc, i64(og)), ocg = rem(oc, i64(og));
            var acc = cx.local("acc", DType.F32, bias == null ? f32(0) : load(bias, oc));
            cx.loops(new long[] {cg, kh, kw}, false, k -> {
                Expr ny = sub(add(idx.dim(2), i64(win.pt())), mul(k.dim(1), i64(win.dh())));
                Expr nx = sub(add(idx.dim(3), i64(win.pl())), mul(k.dim(2), i64(win.dw())));
                Expr iy = div(ny, i64(win.sh())), ix = div(nx, i64(win.sw()));
                Expr valid = bin(BinOp.AND, bin(BinOp.AND, bin(BinOp.GE, ny, i64(0)), bin(BinOp.GE, nx, i64(0))),
                        bin(BinOp.AND, ConvLowering.inside(iy, h, ix, wd),
                                bin(BinOp.AND, bin(BinOp.EQ, rem(ny, i64(win.sh())), i64(0)), bin(BinOp.EQ, rem(nx, i64(win.sw())), i64(0)))));
                Expr ic = add(mul(g, i64(cg)), k.dim(0));
                Expr src = add(mul(add(mul(img, i64(c)), ic), i64(h * wd)), add(mul(ConvLowering.clamp(iy, h), i64(wd)), ConvLowering.clamp(ix, wd)));
                Expr wv = load(cx.storage(w), add(mul(add(mul(ic, i64(og)), ocg), i64(kh * kw)), add(mul(k.dim(1), i64(kw)), k.dim(2))));
                Expr v = select(valid, cx.read(x, Index.ofFlat(xs, src)), f32(0));
                return List.of(new Stmt.Assign(acc.name(), add(acc, mul(v, wv))));
            });
            cx.emit(new Stmt.Store(out, idx.flat(), acc));
        }));
    }

    static void poolGrad(Node n, Lowerer cx, boolean isMax) {
        Node x = n.input(0), gy = n.input(1);
        long[] xs = cx.shape(x), gs = cx.shape(gy);
        long[] k = n.attrs().getLongArray("kernel");
        ConvLowering.Window win = ConvLowering.Window.of(n, k[0], k[1], k);
        long h = xs[2], wd = xs[3], oh = gs[2], ow = gs[3];
        boolean includePad = n.attrs().getBool("count_include_pad", false);
        DType t = n.dtype();
        Buffer out = cx.storage(n);
        if (isMax && tiles(win, h, wd, oh, ow) && k[0] * k[1] <= MAX_UNROLLED_TAPS) {
            tiledMaxPoolGrad(cx, x, gy, out, xs, gs, k);
            return;
        }
        cx.loops(new long[] {xs[0] * xs[1]}, true, pi -> cx.collect(() -> {
            Expr p = pi.dim(0);
            Expr plane = mul(p, i64(h * wd));
            cx.loop(h * wd, i -> List.of(new Stmt.Store(out, add(plane, i), c(t, 0))));
            cx.loops(new long[] {oh, ow}, false, yz -> cx.collect(() -> {
                Expr y = yz.dim(0), z = yz.dim(1);
                Expr g = cx.read(gy, Index.ofFlat(gs, add(mul(p, i64(oh * ow)), yz.flat())));
                Expr y0 = sub(mul(y, i64(win.sh())), i64(win.pt())), z0 = sub(mul(z, i64(win.sw())), i64(win.pl()));
                if (isMax) {
                    var best = cx.local("best", DType.I64, i64(-1));
                    var m = cx.local("max", x.dtype(), c(x.dtype(), Double.NEGATIVE_INFINITY));
                    cx.loops(new long[] {k[0], k[1]}, false, kk -> {
                        Expr iy = add(y0, mul(kk.dim(0), i64(win.dh()))), ix = add(z0, mul(kk.dim(1), i64(win.dw())));
                        Expr at = add(plane, add(mul(ConvLowering.clamp(iy, h), i64(wd)), ConvLowering.clamp(ix, wd)));
                        return cx.collect(() -> {
                            var v = cx.local("v", x.dtype(), cx.read(x, Index.ofFlat(xs, at)));
                            Expr better = bin(BinOp.OR, bin(BinOp.LT, best, i64(0)), bin(BinOp.GT, v, m));
                            if (x.dtype().isFloating()) better = bin(BinOp.OR, better, bin(BinOp.AND, un(UnOp.ISNAN, v), un(UnOp.NOT, un(UnOp.ISNAN, m))));
                            cx.emit(new Stmt.If(bin(BinOp.AND, ConvLowering.inside(iy, h, ix, wd), better),
                                    List.of(new Stmt.Assign(best.name(), at), new Stmt.Assign(m.name(), v))));
                        });
                    });
                    Expr safe = max(best, i64(0));
                    cx.emit(new Stmt.If(bin(BinOp.GE, best, i64(0)), List.of(new Stmt.Store(out, safe, add(load(out, safe), g)))));
                    return;
                }
                // PyTorch's divisor: the window clipped to the padded input, or to the input itself
                Expr y1 = min(add(y0, i64(k[0])), i64(h + win.pb())), z1 = min(add(z0, i64(k[1])), i64(wd + win.pr()));
                Expr divisor = includePad ? mul(sub(y1, y0), sub(z1, z0))
                        : mul(sub(min(y1, i64(h)), max(y0, i64(0))), sub(min(z1, i64(wd)), max(z0, i64(0))));
                var share = cx.local("share", t, div(g, cast(t, divisor)));
                cx.loops(new long[] {k[0], k[1]}, false, kk -> {
                    Expr iy = add(y0, kk.dim(0)), ix = add(z0, kk.dim(1));
                    Expr at = add(plane, add(mul(ConvLowering.clamp(iy, h), i64(wd)), ConvLowering.clamp(ix, wd)));
                    return List.of(new Stmt.If(ConvLowering.inside(iy, h, ix, wd), List.of(new Stmt.Store(out, at, add(load(out, at), share)))));
                });
            }));
        }));
    }

    /** Whether the pooling windows tile the input exactly: stride = kernel, no padding or dilation, no leftover rows or columns. */
    private static boolean tiles(ConvLowering.Window win, long h, long w, long oh, long ow) {
        return win.sh() == win.kh() && win.sw() == win.kw() && win.dh() == 1 && win.dw() == 1
                && win.pt() == 0 && win.pl() == 0 && win.pb() == 0 && win.pr() == 0 && oh * win.kh() == h && ow * win.kw() == w;
    }

    /**
     * Max-pool gradient when the windows tile the input (2x2 stride 2 and the like): every input
     * element lies in exactly one window, so each window writes all its elements — the gradient at
     * its first maximum (picked as the forward op picks it), zero elsewhere — with no zero fill
     * beforehand, no read-modify-write and no bounds tests; the taps are unrolled.
     */
    private static void tiledMaxPoolGrad(Lowerer cx, Node x, Node gy, Buffer out, long[] xs, long[] gs, long[] k) {
        long h = xs[2], wd = xs[3], oh = gs[2], ow = gs[3];
        DType t = out.dtype();
        boolean floating = x.dtype().isFloating();
        cx.loops(new long[] {xs[0] * xs[1], oh}, true, pi -> cx.collect(() -> {
            Expr p = pi.dim(0), y = pi.dim(1);
            Expr row = add(mul(p, i64(h * wd)), mul(y, i64(k[0] * wd)));
            cx.loop(ow, z -> cx.collect(() -> {
                Expr g = cx.local("g", t, cx.read(gy, Index.ofFlat(gs, add(mul(p, i64(oh * ow)), add(mul(y, i64(ow)), z)))));
                Expr corner = add(row, mul(z, i64(k[1])));
                Expr[] at = new Expr[(int) (k[0] * k[1])];
                for (int a = 0; a < k[0]; a++)
                    for (int b = 0; b < k[1]; b++) at[(int) (a * k[1] + b)] = add(corner, i64(a * wd + b));
                var m = cx.local("max", x.dtype(), cx.read(x, Index.ofFlat(xs, at[0])));
                var best = cx.local("best", DType.I64, i64(0));
                for (int tap = 1; tap < at.length; tap++) {
                    var v = cx.local("v", x.dtype(), cx.read(x, Index.ofFlat(xs, at[tap])));
                    Expr better = bin(BinOp.GT, v, m);
                    if (floating) better = bin(BinOp.OR, better, bin(BinOp.AND, un(UnOp.ISNAN, v), un(UnOp.NOT, un(UnOp.ISNAN, m))));
                    var bt = cx.local("better", DType.BOOL, better);
                    cx.assign(m, select(bt, v, m));
                    cx.assign(best, select(bt, i64(tap), best));
                }
                for (int tap = 0; tap < at.length; tap++) cx.emit(new Stmt.Store(out, at[tap], select(bin(BinOp.EQ, best, i64(tap)), g, c(t, 0))));
            }));
        }));
    }

    static void globalPoolGrad(Node n, Lowerer cx) {
        Node x = n.input(0), gy = n.input(1);
        long[] xs = cx.shape(x);
        long planes = xs[0] * xs[1], s = Lowerer.numel(xs) / Math.max(1, planes);
        boolean isMax = n.attrs().getString("mode", "avg").equals("max");
        DType t = n.dtype();
        Buffer out = cx.storage(n);
        cx.loops(new long[] {planes}, true, pi -> cx.collect(() -> {
            Expr p = pi.dim(0), base = mul(p, i64(s));
            Expr g = cx.read(gy, Index.ofFlat(cx.shape(gy), p));
            if (!isMax) {
                var share = cx.local("share", t, mul(g, c(t, 1.0 / s)));
                cx.loop(s, j -> List.of(new Stmt.Store(out, add(base, j), share)));
                return;
            }
            // the first strict maximum, as the reference kernel picks it
            var best = cx.local("best", DType.I64, i64(0));
            var m = cx.local("max", x.dtype(), cx.read(x, Index.ofFlat(xs, base)));
            cx.loop(s, j -> cx.collect(() -> {
                var v = cx.local("v", x.dtype(), cx.read(x, Index.ofFlat(xs, add(base, j))));
                cx.emit(new Stmt.If(bin(BinOp.GT, v, m), List.of(new Stmt.Assign(best.name(), j), new Stmt.Assign(m.name(), v))));
            }));
            var gv = cx.local("g", t, g);
            cx.loop(s, j -> List.of(new Stmt.Store(out, add(base, j), select(bin(BinOp.EQ, j, best), gv, c(t, 0)))));
        }));
    }
}
