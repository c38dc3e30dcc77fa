package org.dlm.passes.autodiff;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.dlm.ir.OpDef;
import org.dlm.ir.OpTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every op in the table that has a gradient rule, checked against finite differences. */
class OpGradientTest {
    static Stream<GradCheck.Case> cases() {
        return OpTable.all().stream().filter(d -> d.gradRule() != null).flatMap(d -> GradCheckCases.forOp(d).stream());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientMatchesFiniteDifferences(GradCheck.Case c) {
        for (long seed : new long[] {1, 2}) {
            GradCheck.Result r;
            try {
                r = GradCheck.check(c, seed);
            } catch (RuntimeException e) {
                throw new AssertionError("cannot build grad check " + c + " (" + e.getMessage()
                        + "); add a case for it in GradCheckCases", e);
            }
            assertTrue(r.ok(), r.report());
        }
    }

    @Test
    void someOpsHaveGradientRules() {
        List<OpDef> withRules = OpTable.all().stream().filter(d -> d.gradRule() != null).toList();
        assertFalse(withRules.isEmpty(), "no op has a gradient rule yet");
    }
}
