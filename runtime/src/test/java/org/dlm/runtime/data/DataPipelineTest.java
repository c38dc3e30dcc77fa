package org.dlm.runtime.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.data.Dataset;
import org.junit.jupiter.api.Test;

class DataPipelineTest {
    /** n images [1, 4, 4] whose pixels are 100·i + position, labels i. */
    static Dataset images(int n) {
        double[] x = new double[n * 16], y = new double[n];
        for (int i = 0; i < n; i++) {
            y[i] = i;
            for (int k = 0; k < 16; k++) x[i * 16 + k] = 100 * i + k;
        }
        return new Dataset("images", NdArray.of(DType.F32, new long[] {n, 1, 4, 4}, x), NdArray.of(DType.I64, new long[] {n}, y), List.of());
    }

    static List<Batch> all(BatchLoader l, long epoch) {
        List<Batch> out = new ArrayList<>();
        try (var it = l.epoch(epoch)) {
            while (it.hasNext()) out.add(it.next());
        }
        return out;
    }

    @Test void batchingWithAndWithoutDropLast() {
        Dataset d = images(10);
        List<Batch> keep = all(new BatchLoader(d, 4, false, false, 1, null, 2), 0);
        assertEquals(List.of(4, 4, 2), keep.stream().map(Batch::size).toList());
        assertArrayEquals(new long[] {2, 1, 4, 4}, keep.get(2).features().shape());
        assertEquals(803.0, keep.get(2).features().get(0, 0, 0, 3));
        assertEquals(9.0, keep.get(2).labels().get(1));
        List<Batch> drop = all(new BatchLoader(d, 4, false, true, 1, null, 2), 0);
        assertEquals(List.of(4, 4), drop.stream().map(Batch::size).toList());
        assertEquals(2, new BatchLoader(d, 4, true, true, 1, null, 1).batchesPerEpoch());
    }

    @Test void shuffleIsSeededPerEpochAndCoversEverySample() {
        BatchLoader l = new BatchLoader(images(20), 6, true, false, 7, null, 3);
        int[] e0 = l.order(0), e1 = l.order(1);
        assertArrayEquals(e0, new BatchLoader(images(20), 6, true, false, 7, null, 1).order(0));
        assertFalse(Arrays.equals(e0, e1));
        assertFalse(Arrays.equals(e0, new BatchLoader(images(20), 6, true, false, 8, null, 1).order(0)));
        Set<Integer> seen = new HashSet<>();
        for (Batch b : all(l, 1)) for (int i = 0; i < b.size(); i++) {
            seen.add(b.indices()[i]);
            assertEquals(b.indices()[i], (int) b.labels().get(i));   // labels follow their samples
        }
        assertEquals(20, seen.size());
    }

    @Test void augmentedBatchesAreDeterministicWhateverTheThreadTiming() throws Exception {
        Augmentation aug = Augmentation.compose(new RandomCrop(4, 4, 1), new HorizontalFlip(0.5), new GaussianNoise(0.1));
        List<Batch> fast = all(new BatchLoader(images(12), 5, true, false, 3, aug, 1), 2);
        List<Batch> slow = new ArrayList<>();
        try (var it = new BatchLoader(images(12), 5, true, false, 3, aug, 8).epoch(2)) {
            while (it.hasNext()) { Thread.sleep(20); slow.add(it.next()); }
        }
        assertEquals(fast.size(), slow.size());
        for (int i = 0; i < fast.size(); i++) {
            assertEquals(fast.get(i).features(), slow.get(i).features());
            assertArrayEquals(fast.get(i).indices(), slow.get(i).indices());
        }
        List<Batch> other = all(new BatchLoader(images(12), 5, true, false, 3, aug, 1), 3);
        assertNotEquals(fast.get(0).features(), other.get(0).features());
    }

    @Test void prefetchRunsAheadOfTheConsumer() throws Exception {
        try (var it = new BatchLoader(images(40), 4, false, false, 0, new GaussianNoise(0.01), 3).epoch(0)) {
            long deadline = System.currentTimeMillis() + 5000;
            while (it.ready() < 3 && System.currentTimeMillis() < deadline) Thread.sleep(5);
            assertEquals(3, it.ready());
            int n = 0;
            while (it.hasNext()) { it.next(); n++; }
            assertEquals(10, n);
        }
    }

    @Test void augmentationErrorsReachTheConsumer() {
        Augmentation bad = (x, r) -> { throw new IllegalArgumentException("boom"); };
        try (var it = new BatchLoader(images(4), 2, false, false, 0, bad, 2).epoch(0)) {
            assertEquals("boom", assertThrows(IllegalArgumentException.class, it::hasNext).getMessage());
            assertFalse(it.hasNext());
        }
    }

    @Test void splitIsSeededAndDisjoint() {
        Dataset.Split s = images(10).split(0.8, 5);
        assertEquals(8, s.train().size());
        assertEquals(2, s.validation().size());
        Set<Double> ids = new HashSet<>();
        for (int i = 0; i < 8; i++) ids.add(s.train().labels().get(i));
        for (int i = 0; i < 2; i++) assertTrue(ids.add(s.validation().labels().get(i)));
        assertEquals(s.train().labels(), images(10).split(0.8, 5).train().labels());
        assertEquals(s.train().features().get(0, 0, 0, 0), 100 * s.train().labels().get(0));
    }

    @Test void normalizationFitsPerChannel() {
        NdArray x = NdArray.of(DType.F64, new long[] {2, 2, 2}, 1, 3, 10, 10, 5, 7, 10, 10);
        Normalizer n = Normalizer.fit(x);
        assertArrayEquals(new double[] {4, 10}, n.mean());
        assertArrayEquals(new double[] {Math.sqrt(5), 1}, n.std(), 1e-15);
        NdArray z = n.apply(x);
        assertEquals(-3 / Math.sqrt(5), z.get(0, 0, 0), 1e-15);
        assertEquals(0.0, z.get(1, 1, 1));
    }

    @Test void flipAndCropExact() {
        NdArray img = NdArray.of(DType.F32, new long[] {1, 2, 3}, 1, 2, 3, 4, 5, 6);
        assertEquals(NdArray.of(DType.F32, new long[] {1, 2, 3}, 3, 2, 1, 6, 5, 4), new HorizontalFlip(1).apply(img, new SplittableRandom(0)));
        assertEquals(img, new HorizontalFlip(0).apply(img, new SplittableRandom(0)));
        // the crop window position is the first two draws of the stream
        SplittableRandom r = new SplittableRandom(9), probe = new SplittableRandom(9);
        int top = probe.nextInt(3), left = probe.nextInt(3);
        NdArray c = new RandomCrop(2, 3, 1).apply(img, r);
        double[] padded = new double[4 * 5];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) padded[(i + 1) * 5 + j + 1] = img.get(i * 3 + j);
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) assertEquals(padded[(top + i) * 5 + left + j], c.get(0, i, j));
    }

    @Test void rotationByQuarterTurnPermutesPixels() {
        NdArray img = NdArray.of(DType.F64, new long[] {1, 3, 3}, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        NdArray r = RandomRotation.rotate(img, 90);
        assertArrayEquals(new double[] {3, 6, 9, 2, 5, 8, 1, 4, 7}, r.data(), 1e-12);
        assertEquals(img, new RandomRotation(0).apply(img, new SplittableRandom(1)));
        NdArray small = new RandomRotation(10).apply(img, new SplittableRandom(1));
        assertEquals(5.0, small.get(0, 1, 1), 1e-12);        // the centre stays put
    }

    @Test void brightnessAndContrast() {
        NdArray img = NdArray.of(DType.F64, new long[] {1, 1, 4}, 0, 1, 2, 3);
        NdArray a = ColorJitter.adjust(img, 2, 0.5);          // x·2 = 0 2 4 6, mean 3, halve contrast
        assertArrayEquals(new double[] {1.5, 2.5, 3.5, 4.5}, a.data(), 1e-15);
        assertEquals(img, new ColorJitter(0, 0).apply(img, new SplittableRandom(1)));
    }

    @Test void gaussianNoiseHasTheAskedSpread() {
        NdArray z = NdArray.zeros(DType.F64, 1, 100, 100);
        NdArray n = new GaussianNoise(0.5).apply(z, new SplittableRandom(3));
        double s = 0, s2 = 0;
        for (int i = 0; i < n.size(); i++) { s += n.get(i); s2 += n.get(i) * n.get(i); }
        assertEquals(0, s / n.size(), 0.02);
        assertEquals(0.5, Math.sqrt(s2 / n.size()), 0.02);
    }
}
