package org.dlm.runtime.train.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Expected values were produced with PyTorch 1.13's lr_scheduler (one scheduler step per optimizer step). */
class ScheduleTest {
    static void assertRates(Schedule s, double... want) {
        for (int t = 0; t < want.length; t++) assertEquals(want[t], s.at(t), 1e-12, "step " + t);
    }

    @Test void stepDecay() {
        assertRates(new StepDecay(0.1, 3, 0.5), 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025);
    }

    @Test void exponential() {
        assertRates(new Exponential(0.1, 0.9), 0.1, 0.09, 0.081, 0.0729);
    }

    @Test void cosineWithRestarts() {
        assertRates(new CosineRestarts(0.1, 3, 2, 0.01), 0.1, 0.0775, 0.0325, 0.1, 0.09397114317029975, 0.0775, 0.055,
                0.0325, 0.01602885682970026, 0.1, 0.09846666218300808, 0.09397114317029975);
        assertRates(new CosineRestarts(1, 2, 1, 0), 1, 0.5, 1, 0.5);
    }

    @Test void cosineHoldsMinimumAfterPeriod() {
        assertRates(new Cosine(1, 4, 0.2), 1, 0.2 + 0.8 * (1 + Math.sqrt(0.5)) / 2, 0.6, 0.2 + 0.8 * (1 - Math.sqrt(0.5)) / 2, 0.2, 0.2);
    }

    @Test void cyclicTriangular() {
        assertRates(new CyclicTriangular(0.1, 1.0, 3, 2), 0.1, 0.4, 0.7, 1.0, 0.55, 0.1, 0.4, 0.7, 1.0, 0.55, 0.1, 0.4);
    }

    @Test void warmupThenAnySchedule() {
        Schedule s = new Warmup(3, new StepDecay(0.8, 2, 0.5));
        assertRates(s, 0.2, 0.4, 0.6, 0.8, 0.8, 0.4, 0.4, 0.2);
        assertRates(new Warmup(0, Schedule.constant(0.3)), 0.3, 0.3);
        assertRates(new Warmup(1, new CosineRestarts(1, 2, 1, 0)), 0.5, 1, 0.5, 1);
    }

    @Test void reduceOnPlateauMatchesPyTorch() {
        var p = new ReduceOnPlateau(1.0, ReduceOnPlateau.Mode.MIN, 0.5, 2, 1e-4, 1, 0.1);
        double[] metrics = {1.0, 0.9, 0.95, 0.91, 0.92, 0.93, 0.8, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9, 0.91, 0.92, 0.93};
        double[] want = {1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125};
        for (int i = 0; i < metrics.length; i++) assertEquals(want[i], p.observe(metrics[i]), 0, "observation " + i);
        assertEquals(0.125, p.at(1000));
        assertEquals(0.8, p.best());
    }

    @Test void reduceOnPlateauMaxModeAndFloor() {
        var p = new ReduceOnPlateau(0.01, ReduceOnPlateau.Mode.MAX, 0.1, 0, 0, 0, 0.005);
        assertEquals(0.01, p.observe(0.5));
        assertEquals(0.005, p.observe(0.5));   // no improvement, patience 0: reduce, floored
        assertEquals(0.005, p.observe(0.4));
        assertEquals(0.005, p.observe(0.6));
    }

    @Test void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new StepDecay(0.1, 0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new CosineRestarts(0.1, 3, 0, 0));
        assertEquals("schedule step must be >= 0, got -1",
                assertThrows(IllegalArgumentException.class, () -> new Exponential(0.1, 0.9).at(-1)).getMessage());
    }
}
