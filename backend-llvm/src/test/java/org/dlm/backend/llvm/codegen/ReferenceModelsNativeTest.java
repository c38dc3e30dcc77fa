package org.dlm.backend.llvm.codegen;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import java.util.Random;
import org.dlm.ir.Graph;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.testkit.ReferenceModels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The five reference models (test-models) compiled natively, checked against the interpreter with random parameters. */
class ReferenceModelsNativeTest {
    @ParameterizedTest
    @CsvSource({"mlp,MLP,1", "mlp,MLP,3", "lenet,LeNet,2", "resnet20,ResNet20,1", "mobilenet,MobileNet,1", "transformer,Transformer,1"})
    void modelMatchesTheInterpreter(String file, String name, long batch) {
        check(file, name, batch, 1);
    }

    /** On 2-4 threads with every parallel loop and GEMM threaded (no work threshold). */
    @ParameterizedTest
    @CsvSource({"mlp,MLP,3,2", "lenet,LeNet,2,3", "resnet20,ResNet20,2,2", "resnet20,ResNet20,1,4", "mobilenet,MobileNet,1,4", "transformer,Transformer,2,3"})
    void threadedModelMatchesTheInterpreter(String file, String name, long batch, int threads) {
        check(file, name, batch, threads);
    }

    private static void check(String file, String name, long batch, int threads) {
        Graph g = ReferenceModels.model(file, name);
        assertNotNull(g, name);
        Random r = new Random(42);
        Map<String, NdArray> ps = ReferenceModels.params(g, r);
        Map<String, NdArray> in = ReferenceModels.inputs(g, r, batch);
        var options = org.dlm.backend.llvm.LlvmBackend.Options.dims(Map.of("B", batch)).withThreads(threads);
        double worst = Diff.compare(g, in, ps, threads == 1 ? options : options.withMinParallelWork(0), 1e-3);
        assertTrue(worst < 1e-3, "worst relative error " + worst);
    }
}
