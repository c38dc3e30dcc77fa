package org.dlm.runtime.train.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SchedulesTest {
    static Schedules.Spec spec(String name, List<?> pos, Map<String, ?> named) { return new Schedules.Spec(name, pos, named); }

    @Test void warmupThenStep() {
        Schedule s = Schedules.create(List.of(spec("warmup", List.of(3L), Map.of()), spec("step", List.of(2L), Map.of("gamma", 0.5))), 0.8, 100);
        ScheduleTest.assertRates(s, 0.2, 0.4, 0.6, 0.8, 0.8, 0.4, 0.4, 0.2);
    }

    @Test void cosineDefaultsToTheRestOfTheRun() {
        Schedule s = Schedules.create(List.of(spec("warmup", List.of(10L), Map.of()), spec("cosine", List.of(), Map.of())), 1.0, 110);
        assertEquals(new Warmup(10, new Cosine(1.0, 100, 0)), s);
        assertEquals(new CosineRestarts(0.1, 5, 2, 0.01), Schedules.create(List.of(spec("cosine_restarts", List.of(5L, 2L), Map.of("min_lr", 0.01))), 0.1, 1));
        assertEquals(new CyclicTriangular(0.1, 1, 4, 4), Schedules.create(List.of(spec("cyclic", List.of(0.1, 1L, 4L), Map.of())), 0.5, 1));
        assertInstanceOf(ReduceOnPlateau.class, Schedules.create(List.of(spec("plateau", List.of(), Map.of("mode", "max", "patience", 2L))), 0.5, 1));
        assertEquals(0.3, Schedules.create(List.of(), 0.3, 1).at(7));
    }

    @Test void clearErrors() {
        assertEquals("step needs argument 'step_size'",
                assertThrows(IllegalArgumentException.class, () -> Schedules.create(List.of(spec("step", List.of(), Map.of())), 1, 1)).getMessage());
        assertEquals("only warmup(...) can be followed by 'then'; got cosine then step", assertThrows(IllegalArgumentException.class,
                () -> Schedules.create(List.of(spec("cosine", List.of(), Map.of()), spec("step", List.of(1L), Map.of())), 1, 1)).getMessage());
        assertEquals("exponential has no argument 'rate'; it takes gamma", assertThrows(IllegalArgumentException.class,
                () -> Schedules.create(List.of(spec("exponential", List.of(), Map.of("rate", 0.9))), 1, 1)).getMessage());
        assertEquals("unknown schedule 'linear'; known: constant, step, exponential, cosine, cosine_restarts, cyclic, plateau, warmup",
                assertThrows(IllegalArgumentException.class, () -> Schedules.create(List.of(spec("linear", List.of(), Map.of())), 1, 1)).getMessage());
    }
}
