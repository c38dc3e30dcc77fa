package org.dlm.ir.ops;

import org.dlm.ir.Attrs;
import org.dlm.ir.Dim;
import org.dlm.ir.ShapeException;

/**
 * The geometry of a 2-D sliding window (convolution or pooling): kernel, stride, padding
 * (top, left, bottom, right) and dilation, with the output-size arithmetic on symbolic dims.
 */
record Window2d(long[] kernel, long[] stride, long[] pad, long[] dilation) {

    /** Reads and validates stride, padding and dilation attributes; {@code kernel} comes from the caller. */
    static Window2d of(String op, long[] kernel, Attrs a, boolean hasDilation) {
        long[] stride = a.getLongArray("stride");
        if (stride.length == 0) stride = kernel.clone();   // pools: stride defaults to the kernel
        else stride = OpChecks.ints(op, a, "stride", 2, 1, "height, width");
        long[] pad = OpChecks.ints(op, a, "padding", 4, 0, "top, left, bottom, right");
        long[] dil = hasDilation ? OpChecks.ints(op, a, "dilation", 2, 1, "height, width") : new long[] {1, 1};
        return new Window2d(kernel, stride, pad, dil);
    }

    /** Extent of the dilated kernel along axis {@code i} (0 = height, 1 = width). */
    long extent(int i) { return dilation[i] * (kernel[i] - 1) + 1; }

    /**
     * Output size along axis {@code i} for input size {@code in}:
     * {@code (in + pb + pe - d*(k-1) - 1) / s + 1}, rounded down, or up when {@code ceil}
     * (PyTorch's rule: the last window must start inside the input or its leading padding).
     */
    Dim outSize(String op, int i, Dim in, boolean ceil) {
        String axis = i == 0 ? "height" : "width";
        long pb = pad[i], pe = pad[i + 2], s = stride[i], ext = extent(i);
        Dim span = in.plus(pb + pe - ext);
        if (in.isConst() && span.value() < 0)
            throw new ShapeException(op + ": the " + axis + " " + in.value() + (pb + pe > 0 ? " (padded to " + (in.value() + pb + pe) + ")" : "")
                    + " is smaller than the kernel " + (dilation[i] > 1 ? "extent " + ext + " (kernel " + kernel[i] + ", dilation " + dilation[i] + ")" : kernel[i]),
                    "use a smaller kernel or more padding, or check the input size");
        if (!ceil) return floorDiv(in, pb + pe - ext, s).plus(1);
        Dim out = floorDiv(in, pb + pe - ext + s - 1, s).plus(1);
        if (in.isConst()) {
            long o = out.value();
            if ((o - 1) * s >= in.value() + pb) o--;
            return Dim.of(o);
        }
        // (out-1)*s lies in [span, span+s-1]; compared with in+pb that is [pe-ext, pe-ext+s-1]
        if (pe - ext + s - 1 < 0) return out;
        if (pe - ext >= 0) return out.minus(1);
        throw new ShapeException(op + " with ceil_mode needs a static " + axis + " for these kernel/stride/padding values, got " + in,
                "give the input a fixed " + axis + " or use ceil_mode = false");
    }

    /**
     * floor((in + c) / s) with the constant brought into [0, s) first, so that equal sizes get
     * equal dims whichever window produced them: (H-2)/2+1 and (H+0)/2 both become H/2.
     */
    static Dim floorDiv(Dim in, long c, long s) {
        return in.plus(Math.floorMod(c, s)).floorDiv(s).plus(Math.floorDiv(c, s));
    }

    String kernelText() { return kernel[0] + "x" + kernel[1]; }
}
