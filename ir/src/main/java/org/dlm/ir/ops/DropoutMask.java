package org.dlm.ir.ops;

/**
 * The deterministic dropout mask: element i (flat, row-major) is kept iff u(seed, i) ≥ p, where
 * u is the i-th output of SplitMix64 started at {@code seed}, scaled to [0, 1) by its top 53 bits.
 * Backends reproduce exactly this sequence, so every execution mode drops the same elements.
 */
public final class DropoutMask {
    private DropoutMask() {}

    /** Uniform in [0, 1): SplitMix64 output number {@code i} (0-based) of the stream seeded with {@code seed}. */
    public static double uniform(long seed, long i) {
        long z = seed + (i + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 11) * 0x1.0p-53;
    }

    /** True when element {@code i} survives dropout with drop probability {@code p}. */
    public static boolean keep(long seed, long i, double p) { return uniform(seed, i) >= p; }
}
