package org.dlm.passes.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptimizersTest {
    @Test void byNameWithPyTorchDefaults() {
        var adam = Optimizers.create("adam", List.of(), Map.of("lr", 3e-4, "weight_decay", 1e-4));
        assertEquals(new Adam(0.9, 0.999, 1e-8, 1e-4, false, false), adam.optimizer());
        assertEquals(3e-4, adam.lr());
        assertEquals(new Adam(0.9, 0.999, 1e-8, 1e-2, true, false), Optimizers.create("adamw", List.of(), Map.of()).optimizer());
        var sgd = Optimizers.create("sgd", List.of(0.1), Map.of("momentum", 0.9, "nesterov", true));
        assertEquals(new Sgd(0.9, 0, true, 0), sgd.optimizer());
        assertEquals(0.1, sgd.lr());
        assertEquals(new RmsProp(0.99, 1e-8, 0, 0, true), Optimizers.create("rmsprop", List.of(), Map.of("centered", true)).optimizer());
        assertEquals(new AdaGrad(0, 0, 0.1, 1e-10), Optimizers.create("adagrad", List.of(), Map.of("initial_accumulator_value", 0.1)).optimizer());
        assertEquals(Sgd.nesterov(0.9), Optimizers.create("nesterov", List.of(1L), Map.of()).optimizer());
    }

    @Test void clearErrors() {
        assertEquals("unknown optimizer 'adamax'; known: sgd, momentum, nesterov, adam, adamw, rmsprop, adagrad",
                assertThrows(IllegalArgumentException.class, () -> Optimizers.create("adamax", List.of(), Map.of())).getMessage());
        assertEquals("adam has no argument 'betas'; it takes lr, beta1, beta2, eps, weight_decay, amsgrad",
                assertThrows(IllegalArgumentException.class, () -> Optimizers.create("adam", List.of(), Map.of("betas", 0.9))).getMessage());
        assertEquals("adam argument 'amsgrad' must be true or false, got 1",
                assertThrows(IllegalArgumentException.class, () -> Optimizers.create("adam", List.of(), Map.of("amsgrad", 1L))).getMessage());
        assertEquals("sgd argument 'lr' is given twice",
                assertThrows(IllegalArgumentException.class, () -> Optimizers.create("sgd", List.of(0.1), Map.of("lr", 0.2))).getMessage());
        assertEquals("sgd needs lr > 0, got -1.0",
                assertThrows(IllegalArgumentException.class, () -> Optimizers.create("sgd", List.of(-1.0), Map.of())).getMessage());
    }
}
