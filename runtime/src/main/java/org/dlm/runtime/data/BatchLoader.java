package org.dlm.runtime.data;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.data.Dataset;

/**
 * Cuts a {@link Dataset} into mini-batches, epoch by epoch: optional seeded shuffling, optional
 * dropping of the last short batch, and per-sample augmentation done on a background thread that
 * keeps up to {@code prefetch} batches ready, so the training step does not wait for data.
 *
 * <p>Results depend only on the seed, the epoch number and the data: the order of epoch
 * {@code e} comes from {@code (seed, e)}, and the augmentation of a sample from
 * {@code (seed, e, sample index)}, never from which thread ran first.
 *
 * <pre>{@code
 * var loader = new BatchLoader(train, 64, true, true, 42, aug, 4);
 * for (int e = 0; e < epochs; e++)
 *     try (var it = loader.epoch(e)) {
 *         while (it.hasNext()) step(it.next());
 *     }
 * }</pre>
 */
public final class BatchLoader {
    private final Dataset data;
    private final int batchSize, prefetch;
    private final boolean shuffle, dropLast;
    private final long seed;
    private final Augmentation augmentation;

    /**
     * @param augmentation applied to each sample's features, or null
     * @param prefetch     batches prepared ahead (≥ 1)
     */
    public BatchLoader(Dataset data, int batchSize, boolean shuffle, boolean dropLast, long seed, Augmentation augmentation, int prefetch) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        if (prefetch < 1) throw new IllegalArgumentException("prefetch must be >= 1, got " + prefetch);
        this.data = data;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.dropLast = dropLast;
        this.seed = seed;
        this.augmentation = augmentation;
        this.prefetch = prefetch;
    }

    public int batchesPerEpoch() {
        int n = data.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** The sample order of epoch {@code e}. */
    public int[] order(long e) {
        if (!shuffle) {
            int[] p = new int[data.size()];
            for (int i = 0; i < p.length; i++) p[i] = i;
            return p;
        }
        return Shuffle.permutation(data.size(), Shuffle.epochSeed(seed, e));
    }

    /** Starts preparing epoch {@code e} in the background; close the result when done with it. */
    public Epoch epoch(long e) { return new Epoch(e); }

    /** Builds batch {@code b} of epoch {@code e} (what the background thread does). */
    Batch build(long e, int[] order, int b) {
        int from = b * batchSize, to = Math.min(order.length, from + batchSize);
        int[] idx = Arrays.copyOfRange(order, from, to);
        NdArray y = Dataset.rows(data.labels(), idx);
        if (augmentation == null) return new Batch(Dataset.rows(data.features(), idx), y, idx);
        NdArray first = null;
        double[] out = null;
        for (int i = 0; i < idx.length; i++) {
            SplittableRandom r = Shuffle.stream(seed, e, idx[i]);
            NdArray s = augmentation.apply(Dataset.row(data.features(), idx[i]), r);
            if (first == null) { first = s; out = new double[idx.length * s.size()]; }
            else if (!Arrays.equals(first.shape(), s.shape()))
                throw new IllegalStateException("augmentation produced samples of shapes " + Arrays.toString(first.shape()) + " and " + Arrays.toString(s.shape()));
            System.arraycopy(s.data(), 0, out, i * s.size(), s.size());
        }
        long[] shape = new long[first.rank() + 1];
        shape[0] = idx.length;
        System.arraycopy(first.shape(), 0, shape, 1, first.rank());
        return new Batch(new NdArray(data.features().dtype(), shape, out), y, idx);
    }

    /** The batches of one epoch, produced ahead on a background thread. */
    public final class Epoch implements Iterator<Batch>, AutoCloseable {
        private static final Object END = new Object();
        private record Failure(RuntimeException e) {}

        private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(prefetch);
        private final Thread producer;
        private Object next;
        private long waitNanos;
        private volatile boolean closed;

        private Epoch(long e) {
            int[] order = order(e);
            int batches = batchesPerEpoch();
            producer = Thread.ofPlatform().daemon().name("dlm-data-epoch-" + e).start(() -> {
                try {
                    for (int b = 0; b < batches && !closed; b++) queue.put(build(e, order, b));
                    queue.put(END);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException ex) {
                    queue.clear();
                    queue.offer(new Failure(ex));
                }
            });
        }

        @Override public boolean hasNext() {
            if (next == null) {
                if (closed) return false;
                long t0 = System.nanoTime();
                try {
                    next = queue.take();
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for data", ie);
                }
                waitNanos += System.nanoTime() - t0;
            }
            if (next instanceof Failure f) { next = END; throw f.e(); }
            return next != END;
        }

        @Override public Batch next() {
            if (!hasNext()) throw new NoSuchElementException("epoch has no more batches");
            Batch b = (Batch) next;
            next = null;
            return b;
        }

        /** Batches ready and waiting right now. */
        public int ready() { return queue.size(); }

        /** Total time the consumer spent blocked waiting for a batch. */
        public long waitNanos() { return waitNanos; }

        @Override public void close() {
            closed = true;
            producer.interrupt();
            queue.clear();
            try {
                producer.join(10_000);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
