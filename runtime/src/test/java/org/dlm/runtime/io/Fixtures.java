package org.dlm.runtime.io;

import java.net.URISyntaxException;
import java.nio.file.Path;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;

/** The numpy-made files in src/test/resources/io (see make_fixtures.py there) and their values. */
final class Fixtures {
    private Fixtures() {}

    static Path file(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/io/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new AssertionError("fixture " + name + " missing", e);
        }
    }

    /** make_fixtures.py's values(kind, n), already rounded to {@code t}. */
    static NdArray values(DType t, char kind, long... shape) {
        int n = (int) NdArray.numel(shape);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (kind) {
                case 'f' -> i * 1.5 - 2.25;
                case 'b' -> i % 3 == 0 ? 1 : 0;
                case 'u' -> i * 37 % 251;
                default -> i * 37 % 251 - 100;
            };
        }
        return new NdArray(t, shape, v);
    }
}
