package org.dlm.runtime.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.data.Dataset;

/**
 * MNIST-style IDX data sets: {@code <split>-images-idx3-ubyte[.gz]} and
 * {@code <split>-labels-idx1-ubyte[.gz]}, split "train" or "t10k". Images become f32[N, 1, 28, 28]
 * scaled to [0, 1], labels i64[N].
 *
 * <pre>{@code
 * Dataset test = MnistData.shipped("t10k");            // the 2,000 digits in dlm-test-models
 * Dataset train = MnistData.load(Path.of("data/mnist"), "train");
 * }</pre>
 */
public final class MnistData {
    private MnistData() {}

    /** Where dlm-test-models keeps its MNIST subset on the class path. */
    public static final String RESOURCE_DIR = "data/mnist/";

    public static Dataset load(Path dir, String split) throws IOException {
        Path images = pick(dir, split + "-images-idx3-ubyte");
        Path labels = pick(dir, split + "-labels-idx1-ubyte");
        return of(Idx.read(images), images.toString(), Idx.read(labels), labels.toString());
    }

    /** The subset shipped in dlm-test-models (8,000 "train", 2,000 "t10k" digits); needs that jar on the class path. */
    public static Dataset shipped(String split) throws IOException {
        String img = RESOURCE_DIR + split + "-images-idx3-ubyte.gz", lab = RESOURCE_DIR + split + "-labels-idx1-ubyte.gz";
        return of(Idx.read(img, resource(img)), img, Idx.read(lab, resource(lab)), lab);
    }

    private static byte[] resource(String name) throws IOException {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        if (cl == null) cl = MnistData.class.getClassLoader();
        try (InputStream in = cl.getResourceAsStream(name)) {
            if (in == null) throw new DataFormatException(name, "not on the class path (is dlm-test-models a dependency?)");
            return in.readAllBytes();
        }
    }

    private static Path pick(Path dir, String base) throws DataFormatException {
        Path plain = dir.resolve(base), gz = dir.resolve(base + ".gz");
        if (Files.exists(plain)) return plain;
        if (Files.exists(gz)) return gz;
        throw new DataFormatException(plain.toString(), "no such file (nor " + gz.getFileName() + ")");
    }

    private static Dataset of(RawTensor images, String imagesWhere, RawTensor labels, String labelsWhere) throws DataFormatException {
        long[] s = images.shape();
        if (images.dtype() != DType.U8 || s.length != 3)
            throw new DataFormatException(imagesWhere, "expected u8 images [N, rows, cols], got " + images);
        if (labels.dtype() != DType.U8 || labels.rank() != 1)
            throw new DataFormatException(labelsWhere, "expected u8 labels [N], got " + labels);
        if (labels.shape()[0] != s[0])
            throw new DataFormatException(labelsWhere, "holds " + labels.shape()[0] + " labels but " + imagesWhere + " holds " + s[0] + " images");
        NdArray px = images.toNdArray();
        double[] x = px.data().clone();
        for (int i = 0; i < x.length; i++) x[i] = (float) x[i] / 255f; // as torchvision does it, in f32
        NdArray lab = labels.toNdArray();
        for (int i = 0; i < lab.size(); i++)
            if (lab.get(i) > 9) throw new DataFormatException(labelsWhere, "label " + (int) lab.get(i) + " at index " + i + " is not a digit 0-9");
        return new Dataset(new NdArray(DType.F32, new long[] {s[0], 1, s[1], s[2]}, x), lab.cast(DType.I64));
    }
}
