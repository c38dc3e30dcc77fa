package org.dlm.runtime.data;

import java.util.random.RandomGenerator;
import org.dlm.ir.interp.NdArray;

/** Pads every side with {@code pad} zeros, then cuts a random {@code height × width} window. */
public record RandomCrop(int height, int width, int pad) implements Augmentation {
    @Override public NdArray apply(NdArray x, RandomGenerator rnd) {
        int[] s = Augmentation.chw(x);
        int c = s[0], h = s[1], w = s[2];
        int ph = h + 2 * pad, pw = w + 2 * pad;
        if (height > ph || width > pw)
            throw new IllegalArgumentException("crop " + height + "x" + width + " is larger than the padded image " + ph + "x" + pw);
        int top = rnd.nextInt(ph - height + 1), left = rnd.nextInt(pw - width + 1);
        double[] out = new double[c * height * width];
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < height; i++)
                for (int j = 0; j < width; j++) {
                    int y = top + i - pad, xx = left + j - pad;
                    if (y >= 0 && y < h && xx >= 0 && xx < w) out[(ch * height + i) * width + j] = x.get((ch * h + y) * w + xx);
                }
        long[] shape = x.rank() == 2 ? new long[] {height, width} : new long[] {c, height, width};
        return new NdArray(x.dtype(), shape, out);
    }
}
