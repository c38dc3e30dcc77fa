package org.dlm.runtime.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Hand-written SVG line charts: axes with "nice" ticks (1, 2, 5 × 10^k), grid lines, axis labels
 * and a legend; several charts stack vertically in one document.
 *
 * <pre>{@code
 * String svg = SvgPlot.document(List.of(
 *     new SvgPlot.Chart("loss", "epoch", List.of(new SvgPlot.Series("train", xs, train), new SvgPlot.Series("val", xs, val)))));
 * }</pre>
 */
public final class SvgPlot {
    private SvgPlot() {}

    public record Series(String name, double[] x, double[] y) {
        public Series {
            if (x.length != y.length) throw new IllegalArgumentException("series " + name + " has " + x.length + " x and " + y.length + " y values");
        }
    }

    public record Chart(String title, String xLabel, List<Series> series) {}

    static final int W = 640, H = 320, LEFT = 70, RIGHT = 130, TOP = 36, BOTTOM = 48;
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

    /** All charts, one under the other, as a standalone SVG document. */
    public static String document(List<Chart> charts) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n",
                W, H * charts.size(), W, H * charts.size()));
        sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", W, H * charts.size()));
        for (int i = 0; i < charts.size(); i++) chart(sb, charts.get(i), i * H);
        return sb.append("</svg>\n").toString();
    }

    private static void chart(StringBuilder sb, Chart c, int y0) {
        double[] xr = range(c.series(), true), yr = range(c.series(), false);
        double[] xt = ticks(xr[0], xr[1]), yt = ticks(yr[0], yr[1]);
        double xmin = xt[0], xmax = xt[xt.length - 1], ymin = yt[0], ymax = yt[yt.length - 1];
        int pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM, top = y0 + TOP;
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"15\" font-weight=\"bold\">%s</text>%n", LEFT, y0 + 22, esc(c.title())));
        for (double t : yt) {
            double py = top + ph - (t - ymin) / (ymax - ymin) * ph;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>%n", LEFT, py, LEFT + pw, py));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT - 6, py + 4, label(t, yt)));
        }
        for (double t : xt) {
            double px = LEFT + (t - xmin) / (xmax - xmin) * pw;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e0e0e0\"/>%n", px, top, px, top + ph));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", px, top + ph + 16, label(t, xt)));
        }
        sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"black\"/>%n", LEFT, top, pw, ph));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", LEFT + pw / 2, top + ph + 36, esc(c.xLabel())));
        for (int s = 0; s < c.series().size(); s++) {
            Series se = c.series().get(s);
            String color = COLORS[s % COLORS.length];
            List<String> pts = new ArrayList<>();
            for (int i = 0; i < se.x().length; i++) {
                if (!Double.isFinite(se.y()[i])) continue;
                double px = LEFT + (se.x()[i] - xmin) / (xmax - xmin) * pw;
                double py = top + ph - (se.y()[i] - ymin) / (ymax - ymin) * ph;
                pts.add(String.format(Locale.ROOT, "%.1f,%.1f", px, py));
            }
            if (pts.size() == 1) {
                String[] p = pts.get(0).split(",");
                sb.append(String.format(Locale.ROOT, "<circle cx=\"%s\" cy=\"%s\" r=\"3\" fill=\"%s\"/>%n", p[0], p[1], color));
            } else if (!pts.isEmpty()) {
                sb.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>%n", color, String.join(" ", pts)));
            }
            int ly = top + 14 + 18 * s;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>%n", LEFT + pw + 12, ly - 4, LEFT + pw + 32, ly - 4, color));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", LEFT + pw + 38, ly, esc(se.name())));
        }
    }

    private static double[] range(List<Series> ss, boolean x) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Series s : ss)
            for (double v : x ? s.x() : s.y())
                if (Double.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        if (lo > hi) return new double[] {0, 1};
        return new double[] {lo, hi};
    }

    /** Tick values covering [lo, hi]: 4 to 10 steps of 1, 2 or 5 × 10^k, starting and ending on a tick. */
    static double[] ticks(double lo, double hi) {
        if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) { lo -= Math.max(0.5, Math.abs(lo) * 0.1); hi += Math.max(0.5, Math.abs(hi) * 0.1); }
        double raw = (hi - lo) / 5, mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
        double start = Math.floor(lo / step + 1e-9) * step, end = Math.ceil(hi / step - 1e-9) * step;
        int n = (int) Math.round((end - start) / step) + 1;
        double[] t = new double[n];
        for (int i = 0; i < n; i++) t[i] = start + i * step;
        return t;
    }

    private static String label(double v, double[] ticks) {
        double step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
        int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9));
        if (Math.abs(v) < step * 1e-9) v = 0;
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    static String esc(String s) { return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;"); }
}
