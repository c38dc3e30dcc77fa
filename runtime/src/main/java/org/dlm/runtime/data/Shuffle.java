package org.dlm.runtime.data;

import java.util.SplittableRandom;

/** Seeded permutations and per-sample random streams that do not depend on thread timing. */
public final class Shuffle {
    private Shuffle() {}

    /** A Fisher–Yates permutation of 0..n-1 determined by {@code seed}. */
    public static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i]; p[i] = p[j]; p[j] = t;
        }
        return p;
    }

    /** The random stream of one sample in one epoch: a pure function of its three arguments. */
    public static SplittableRandom stream(long seed, long epoch, long sample) {
        return new SplittableRandom(mix(mix(seed ^ 0x9E3779B97F4A7C15L) ^ mix(epoch + 0x632BE59BD9B4E019L) * 31 ^ sample));
    }

    /** Seed of epoch {@code epoch}'s order. */
    static long epochSeed(long seed, long epoch) { return mix(seed + 0x9E3779B97F4A7C15L * (epoch + 1)); }

    private static long mix(long z) {   // SplitMix64 finalizer
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
