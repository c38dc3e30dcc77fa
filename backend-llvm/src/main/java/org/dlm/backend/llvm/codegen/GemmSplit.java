package org.dlm.backend.llvm.codegen;

import org.dlm.backend.llvm.GemmConfig;
import org.dlm.backend.llvm.GemmGenerator;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.Stmt;

/**
 * How a GEMM call is split over threads: along the rows of C (in multiples of the register
 * tile's height) when it has at least as many rows as columns, else along the columns (multiples
 * of the tile's width; a batch-1 linear layer splits its outputs). Only calls with compile-time
 * sizes, leading dimensions and flags, and enough work to pay for the hand-off, are split.
 *
 * <p>{@code packAOnce}: a column split of a packed GEMM (more than
 * {@link GemmGenerator#DIRECT_MAX_ROWS} rows) whose A is packed per call would repack all of A in
 * every part (eight times at two threads); instead the caller packs A once, in the prepacked
 * layout, into its own scratch's A area (which no part then uses: every part reads the shared copy
 * with {@code PACKED_A}), when it fits there.
 */
record GemmSplit(boolean byRows, long extent, long unit, int flags, int threads, boolean packAOnce) {
    long units() { return (extent + unit - 1) / unit; }

    /**
     * Parts per thread, handed out dynamically: with several, a thread that gets descheduled on a
     * busy machine delays the call by a fraction of its share, not all of it. A column split
     * packs A once for all parts ({@link #packAOnce}) or, when A is too large for that, repeats
     * A's packing per part, so it always takes four; a row split repacks all
     * of B per part, which costs about 1/8 of the part's multiply at 64 rows, so it takes four
     * only when every part keeps at least 64 rows (large batches), else one.
     */
    long partsPerThread() { return !byRows || extent / (4L * threads) >= 64 ? 4 : 1; }

    /** The split of {@code c}, or null when it should run on one thread. */
    static GemmSplit of(Stmt.Call c, GemmConfig cfg, double minWork, int maxThreads, boolean prepackedA) {
        long[] v = new long[10];
        for (int i : new int[] {0, 1, 2, 4, 6, 8, 9}) {
            if (!(c.args().get(i) instanceof Stmt.ScalarArg s) || !(s.value() instanceof Expr.Const k)) return null;
            v[i] = (long) k.value();
        }
        long m = v[0], n = v[1], k = v[2];
        if (LoopAnalysis.gemmFlops(c) / 16 < minWork) return null;
        boolean byRows = m >= n && m > 8;   // up to 8 rows the GEMM runs unpacked on row tiles: split the columns
        boolean packAOnce = !byRows && !prepackedA && m > GemmGenerator.DIRECT_MAX_ROWS && GemmGenerator.prepackASize(cfg, m, k) <= cfg.packASize();
        GemmSplit split = new GemmSplit(byRows, byRows ? m : n, byRows ? cfg.mr() : cfg.nr(), (int) v[9], maxThreads, packAOnce);
        return split.units() < 2 || k == 0 ? null : split;
    }
}
