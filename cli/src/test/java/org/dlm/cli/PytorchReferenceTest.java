package org.dlm.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped lenet.dlm, loaded with PyTorch's own weights (state_dict names), reproduces
 * PyTorch's output through {@code dlmc run --backend interp} within 1e-4.
 */
class PytorchReferenceTest {
    @TempDir Path tmp;

    private Path resource(String name) throws IOException {
        Path p = tmp.resolve(name.replace('/', '_'));
        try (InputStream in = getClass().getResourceAsStream("/pytorch/" + name)) {
            assertNotNull(in, name);
            Files.copy(in, p);
        }
        return p;
    }

    @Test void lenetMatchesPytorchEager() throws IOException {
        Path weights = resource("lenet/weights.npz");
        Path input = resource("lenet/input_b1.npy");
        NdArray expected = Npy.readArray(resource("lenet/expected_b1.npy"));
        Path out = tmp.resolve("out");
        DlmcTest.Result r = DlmcTest.dlmc("run", "lenet", "--backend", "interp", "--params", weights.toString(),
                input.toString(), "--output-dir", out.toString());
        assertEquals(0, r.code(), r.err());
        NdArray got = Npy.readArray(out.resolve("output.npy"));
        assertArrayEquals(expected.shape(), got.shape());
        double diff = got.maxAbsDiff(expected);
        assertTrue(diff < 1e-4, "max |dlm - pytorch| = " + diff);
    }
}
