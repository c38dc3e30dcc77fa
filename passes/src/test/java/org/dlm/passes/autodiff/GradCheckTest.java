package org.dlm.passes.autodiff;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.Node;
import org.dlm.ir.OpDef;
import org.junit.jupiter.api.Test;

/** The checker itself: it must pass a right rule and catch a wrong one. */
class GradCheckTest {
    static OpDef square(boolean rightRule) {
        return OpDef.builder("square_" + rightRule).inputs(1)
                .shape((in, a) -> in.get(0))
                .kernel((in, a, out) -> in.get(0).map(v -> v * v))
                .grad((f, g) -> List.of(Node.of("mul", g, rightRule ? Node.of("add", f.input(0), f.input(0)) : f.input(0))))
                .build();
    }

    @Test void acceptsARightRuleAndReportsAWrongOne() {
        var c = new GradCheck.Case("square", List.of(GradCheck.Operand.random(2, 3)), Attrs.EMPTY);
        assertTrue(GradCheck.check(square(true), c, 1).ok());
        GradCheck.Result bad = GradCheck.check(square(false), c, 1);
        assertFalse(bad.ok());
        assertTrue(bad.report().startsWith("square: d/dx0[0] autodiff "), bad.report());
        assertTrue(bad.maxErr() > 0.1);
    }
}
