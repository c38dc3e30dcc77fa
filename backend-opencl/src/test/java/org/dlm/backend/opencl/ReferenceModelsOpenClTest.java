package org.dlm.backend.opencl;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import java.util.Random;
import org.dlm.ir.Graph;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.testkit.ReferenceModels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reference models (test-models) on OpenCL, checked against the interpreter with random parameters. */
class ReferenceModelsOpenClTest {
    @ParameterizedTest
    @CsvSource({"mlp,MLP,3", "lenet,LeNet,2", "resnet20,ResNet20,1", "mobilenet,MobileNet,1", "transformer,Transformer,1"})
    void modelMatchesTheInterpreter(String file, String name, long batch) {
        Graph g = ReferenceModels.model(file, name);
        assertNotNull(g, name);
        Random r = new Random(42);
        Map<String, NdArray> ps = ReferenceModels.params(g, r);
        Map<String, NdArray> in = ReferenceModels.inputs(g, r, batch);
        double worst = Diff.compare(g, in, ps, Map.of("B", batch), 1e-3);
        assertTrue(worst < 1e-3, "worst relative error " + worst);
    }
}
