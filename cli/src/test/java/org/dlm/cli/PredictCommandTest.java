package org.dlm.cli;

import static org.dlm.cli.DlmcTest.dlmc;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.data.Dataset;
import org.dlm.runtime.io.Npy;
import org.dlm.runtime.io.MnistData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dlmc predict} with the shipped LeNet weights: CSV of top classes, raw .npy outputs, errors. */
class PredictCommandTest {
    @TempDir Path tmp;
    static final String WEIGHTS = Path.of("..").toAbsolutePath().normalize()
            .resolve("test-models/src/main/resources/weights/lenet.safetensors").toString();

    @Test void topClassesOfTheTestDigitsMatchTheLabelsAndTheInterpreter() throws Exception {
        Path csv = tmp.resolve("preds.csv"), ref = tmp.resolve("interp.csv");
        var r = dlmc("predict", "lenet", "--params", WEIGHTS, "--limit", "300", "--batch", "128", "--top", "3", "-o", csv.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        r.assertNoStackTrace();
        var i = dlmc("predict", "lenet", "--params", WEIGHTS, "--limit", "300", "--batch", "300", "--top", "3", "--backend", "interp", "-o", ref.toString());
        assertEquals(0, i.code(), i.out() + i.err());
        List<String> lines = Files.readAllLines(csv), refLines = Files.readAllLines(ref);
        assertEquals("index,class1,prob1,class2,prob2,class3,prob3", lines.get(0));
        assertEquals(301, lines.size());
        Dataset test = MnistData.shipped("t10k");
        int correct = 0;
        for (int k = 1; k <= 300; k++) {
            String[] f = lines.get(k).split(","), g = refLines.get(k).split(",");
            assertEquals(String.valueOf(k - 1), f[0]);
            assertEquals(g[1], f[1], "sample " + (k - 1) + ": llvm and the interpreter disagree");
            double p1 = Double.parseDouble(f[2]), p2 = Double.parseDouble(f[4]), p3 = Double.parseDouble(f[6]);
            assertTrue(p1 >= p2 && p2 >= p3 && p1 + p2 + p3 <= 1 + 1e-5, lines.get(k));
            if (Integer.parseInt(f[1]) == (int) test.labels().get(k - 1)) correct++;
        }
        assertTrue(correct >= 285, "top-1 correct " + correct + " of 300");
    }

    @Test void rawOutputsOfGivenSamples() throws Exception {
        NdArray x = MnistData.shipped("t10k").slice(0, 5).features();
        Path in = tmp.resolve("x.npy"), out = tmp.resolve("y.npy");
        Npy.write(in, x);
        var r = dlmc("predict", "lenet", "--params", WEIGHTS, "--input", in.toString(), "-o", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        NdArray y = Npy.readArray(out);
        assertArrayEquals(new long[] {5, 10}, y.shape());
        var shown = dlmc("predict", "lenet", "--params", WEIGHTS, "--input", in.toString(), "--backend", "interp");
        assertEquals(0, shown.code(), shown.err());
        assertTrue(shown.out().startsWith("index,class1,prob1\n0,"), shown.out());
        assertEquals(6, shown.out().lines().count(), shown.out());
    }

    @Test void badRequestsAreUserErrors() throws Exception {
        Path in = tmp.resolve("x.npy");
        Npy.write(in, NdArray.zeros(DType.F32, 3, 28, 28));
        var shape = dlmc("predict", "lenet", "--params", WEIGHTS, "--input", in.toString());
        assertEquals(1, shape.code(), shape.err());
        assertTrue(shape.err().contains("f32[B, 1, 28, 28]") && shape.err().contains("[3, 28, 28]"), shape.err());
        shape.assertNoStackTrace();
        var ext = dlmc("predict", "lenet", "--params", WEIGHTS, "-o", tmp.resolve("p.txt").toString());
        assertEquals(1, ext.code(), ext.err());
        assertTrue(ext.err().contains(".csv or .npy"), ext.err());
        var top = dlmc("predict", "lenet", "--params", WEIGHTS, "--top", "0");
        assertEquals(1, top.code(), top.err());
        assertFalse(Files.exists(tmp.resolve("p.txt")));
    }
}
