package org.dlm.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.dlm.frontend.Frontend;
import org.dlm.ir.Graph;
import org.dlm.ir.interp.Interpreter;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.data.Dataset;
import org.dlm.runtime.io.MnistData;
import org.dlm.runtime.io.Npy;
import org.dlm.runtime.io.ParamStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java API example of README.md, line for line (paths relative to the cli module). */
class ReadmeApiTest {
    @TempDir Path tmp;

    @Test void readmeExampleRuns() throws IOException {
        Path repo = Path.of("..").toAbsolutePath().normalize();
        Path weights = repo.resolve("test-models/src/main/resources/weights/lenet.safetensors");

        Graph lenet = Frontend.compile(repo.resolve("test-models/src/main/resources/models/lenet.dlm")).models().get("LeNet");
        Map<String, NdArray> params = ParamStore.load(lenet, weights);
        Dataset test = MnistData.shipped("t10k");
        NdArray logits = Interpreter.run(lenet, Map.of("x", test.slice(0, 64).features()), params).get("output");
        Npy.write(tmp.resolve("logits.npy"), logits);

        assertArrayEquals(new long[] {64, 10}, Npy.readArray(tmp.resolve("logits.npy")).shape());
        int correct = 0;
        for (int i = 0; i < 64; i++) {
            int best = 0;
            for (int j = 1; j < 10; j++) if (logits.get(i * 10 + j) > logits.get(i * 10 + best)) best = j;
            if (best == (int) test.labels().get(i)) correct++;
        }
        assertTrue(correct >= 58, "LeNet should get about 95% of the shipped digits, got " + correct + "/64");
        assertTrue(Files.size(tmp.resolve("logits.npy")) > 64 * 10 * 4);
    }
}
