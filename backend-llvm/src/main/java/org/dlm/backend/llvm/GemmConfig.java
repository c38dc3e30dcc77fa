package org.dlm.backend.llvm;

/**
 * Register and cache blocking of the generated fp32 GEMM (BLIS naming): an {@code mr × nr}
 * register tile of {@code lanes}-wide vectors, {@code kc} deep panels, {@code mc} rows of A per
 * packed block (L2) and {@code nc} columns of B per packed block (L3).
 */
public record GemmConfig(int mr, int nr, int lanes, int kc, int mc, int nc, boolean bPanelInL1, boolean transA, boolean transB) {
    public GemmConfig {
        if (mr < 1 || lanes < 1 || nr < lanes || nr % lanes != 0) throw new IllegalArgumentException("bad register tile " + mr + "x" + nr + " for " + lanes + " lanes");
        if (mc % mr != 0 || nc % nr != 0 || kc < 1) throw new IllegalArgumentException("mc must be a multiple of mr, nc of nr: " + this);
    }

    public GemmConfig(int mr, int nr, int lanes, int kc, int mc, int nc) { this(mr, nr, lanes, kc, mc, nc, true, false, false); }

    public GemmConfig withBlocks(int kc, int mc, int nc, boolean bPanelInL1) { return new GemmConfig(mr, nr, lanes, kc, mc, nc, bPanelInL1, transA, transB); }

    /** The same blocking for A stored transposed (K×M) and/or B stored transposed (N×K, e.g. a linear layer's weight). */
    public GemmConfig withTransposes(boolean transA, boolean transB) { return new GemmConfig(mr, nr, lanes, kc, mc, nc, bPanelInL1, transA, transB); }

    /**
     * The same configuration with the register tile's height chosen for a known, small M (such as
     * a convolution's output channels): a 14-row tile on M = 16 would leave 12 of 28 rows idle.
     * Minimizes estimated issue slots: each row costs nv FMAs + one broadcast, each k step nv loads
     * and loop overhead.
     */
    public GemmConfig forRows(int m) {
        int best = mr;
        double bestCost = Double.MAX_VALUE;
        for (int h = 1; h <= mr; h++) {
            double cost = rowCost(m, h);
            if (cost < bestCost - 1e-9) {
                bestCost = cost;
                best = h;
            }
        }
        return best == mr ? this : new GemmConfig(best, nr, lanes, kc, best * Math.max(1, mc / mr), nc, bPanelInL1, transA, transB);
    }

    /** Estimated issue slots per k step and column panel of {@code m} rows with this tile height (see {@link #forRows}). */
    public double rowCost(int m) { return rowCost(m, mr); }

    private double rowCost(int m, int h) {
        int nv = vectorsPerRow();
        return Math.ceil(m / (double) h) * (h * (nv + 1) + nv + 3);
    }

    /**
     * The one-vector-wide tile with as many rows as the full tile has accumulators (28×16 for
     * 14×32 on AVX-512, 12×8 for 6×16 on AVX2), same cache blocking: for products whose N is at
     * most one vector (a batch-1 pointwise convolution on a 4×4 map), where the full tile would
     * multiply zero padding in half its accumulators. Each k step is one B load, {@code mr}
     * broadcasts and {@code mr} FMAs.
     */
    public GemmConfig narrow() {
        int rows = mr * vectorsPerRow();
        if (rows == mr) return this;
        return new GemmConfig(rows, lanes, lanes, kc, rows * Math.max(1, mc / rows), nc, bPanelInL1, transA, transB);
    }

    /** Vectors per tile row. */
    public int vectorsPerRow() { return nr / lanes; }

    /**
     * The blocking tuned for {@code target}: 14×32 tiles (28 of the 32 zmm registers) on AVX-512, 6×16 on AVX2.
     *
     * <p>AVX-512 keeps the A micro-panel (the broadcast operand, 14×512 floats = 28 KiB) in L1 and
     * streams B micro-panels from a 512×512 B block (1 MiB, the L2 of an Ice Lake/Skylake-SP core),
     * as BLIS and OpenBLAS do on these chips. Compared with the former 256-deep panels and the
     * 32 KiB B micro-panel in L1 (which left no room for the A stream in a 48 KiB L1), this halves
     * the read-modify-write passes over C and gained ~5-10 % at M=N=K=1024-2048 against OpenBLAS.
     */
    public static GemmConfig forTarget(HostTarget target) {
        return switch (target.vectorBits()) {
            case 512 -> new GemmConfig(14, 32, 16, 512, 14 * 48, 32 * 16, false, false, false);
            case 256 -> new GemmConfig(6, 16, 8, 256, 6 * 28, 16 * 192);
            default -> new GemmConfig(6, 8, 4, 256, 6 * 28, 8 * 384);
        };
    }

    /** Floats of packing buffer for A ({@code mc × kc}). */
    public long packASize() { return (long) mc * kc; }

    /** Floats of packing buffer for B ({@code kc × nc}). */
    public long packBSize() { return (long) kc * nc; }
}
