package org.dlm.cli;

import static org.dlm.cli.DlmcTest.dlmc;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** {@code dlmc eval} compiled (default) and on the interpreter give the same metrics for the shipped LeNet weights. */
class EvalCommandTest {
    @Test void compiledAndInterpretedEvaluationAgree() {
        var llvm = dlmc("eval", "lenet", "--params", PredictCommandTest.WEIGHTS, "--limit", "300");
        var interp = dlmc("eval", "lenet", "--params", PredictCommandTest.WEIGHTS, "--limit", "300", "--backend", "interp");
        assertEquals(0, llvm.code(), llvm.err());
        assertEquals(0, interp.code(), interp.err());
        double a = TrainCommandTest.accuracy(llvm.out()), b = TrainCommandTest.accuracy(interp.out());
        assertEquals(b, a, 1e-9, llvm.out() + interp.out());
        assertTrue(a >= 95, llvm.out());
        var bad = dlmc("eval", "lenet", "--params", PredictCommandTest.WEIGHTS, "--backend", "gpu");
        assertEquals(1, bad.code(), bad.err());
        assertTrue(bad.err().contains("--backend must be llvm or interp"), bad.err());
        bad.assertNoStackTrace();
    }
}
