package org.dlm.ir.pass;

import static org.dlm.ir.IrFixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.Constant;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.OpTable;
import org.dlm.ir.TensorType;
import org.dlm.ir.text.IrPrinter;
import org.junit.jupiter.api.Test;

class PassManagerTest {
    /** Renames the graph: a visible, valid change. */
    record Rename(String name, String to) implements Pass {
        @Override public Graph run(Graph g, PassContext cx) {
            cx.remark(name, "renamed");
            return new Graph(to, g.inputs(), g.params(), g.outputs(), g.meta());
        }
    }

    /** Breaks the graph on purpose: the output gets a const whose stated type is wrong. */
    record Breaker() implements Pass {
        @Override public String name() { return "breaker"; }
        @Override public Graph run(Graph g, PassContext cx) {
            Node bad = Node.unchecked(OpTable.require("const"), List.of(), Attrs.of("value", Constant.scalar(DType.F32, 1)), TensorType.of(DType.F32, 4));
            return new Graph(g.name(), g.inputs(), g.params(), List.of(new Graph.Output("y", bad)));
        }
    }

    private final Graph g = new Graph("G", List.of(input("x", DType.F32, 2)), List.of(),
            List.of(new Graph.Output("y", constant(DType.F32, new long[] {2}, 1, 2))));

    @Test void runsPassesInOrderAndDumps() {
        List<String> dumps = new ArrayList<>();
        PassContext cx = new PassContext();
        Graph out = new PassManager(List.of(new Rename("first", "A"), new Rename("second", "B")))
                .verifyEach(true).dumpAfter("first", dumps::add).run(g, cx);
        assertEquals("B", out.name());
        assertEquals(1, dumps.size());
        assertTrue(dumps.get(0).startsWith("// ----- IR after first -----\ngraph A(%x: f32[2]) {\n"), dumps.get(0));
        assertEquals(List.of("first: renamed", "second: renamed"), cx.remarks());
    }

    @Test void disabledPassesAreSkipped() {
        Graph out = new PassManager(List.of(new Rename("first", "A"), new Rename("second", "B"))).disable("second").run(g, new PassContext());
        assertEquals("A", out.name());
        var pm = new PassManager(List.of(new Rename("first", "A"), new Rename("second", "B"))).disable("first");
        pm.run(g, new PassContext());
        assertEquals(List.of("second"), List.copyOf(pm.timings().keySet()));
        var e = assertThrows(IllegalArgumentException.class, () -> new PassManager(List.of(new Rename("first", "A"))).disable("frist"));
        assertEquals("no pass named 'frist'; passes are: first", e.getMessage());
    }

    @Test void verificationNamesTheGuiltyPass() {
        var pm = new PassManager(List.of(new Rename("first", "A"), new Breaker())).verifyEach(true);
        var e = assertThrows(PassManager.PassException.class, () -> pm.run(g, new PassContext()));
        assertEquals("the result of pass breaker is malformed:\n  %0 = const: has type f32[4] but const of its attributes gives f32[]", e.getMessage());
        // without verification the broken graph goes through
        assertEquals("A", new PassManager(List.of(new Rename("first", "A"), new Breaker())).run(g, new PassContext()).name());
    }

    @Test void dumpAfterEveryPass() {
        List<String> dumps = new ArrayList<>();
        new PassManager(List.of(new Rename("first", "A"), new Rename("second", "B"))).dumpAfter("*", dumps::add).run(g, new PassContext());
        assertEquals(2, dumps.size());
        assertTrue(dumps.get(1).contains(IrPrinter.print(new Graph("B", g.inputs(), g.params(), g.outputs()))));
    }

    @Test void constantFoldingLeavesLeafOnlyGraphsAlone() {
        PassContext cx = new PassContext();
        assertSame(g, new ConstantFolding().run(g, cx));
        assertEquals(List.of(), cx.remarks());
    }

    @Test void constantFoldingPreservesResults() {
        Graph g2 = org.dlm.ir.text.IrParser.parseChecked("""
                graph F(%x: f32[B, 3]) {
                  %c = const {value = dense<f32[3]>[1.0, -2.0, 0.5]} : f32[3]
                  %e = exp(%c) : f32[3]
                  %n = neg(%e) : f32[3]
                  %s = mul(%x, %n) : f32[B, 3]
                  return %y = %s
                }""");
        PassContext cx = new PassContext();
        Graph folded = new PassManager(List.of(new ConstantFolding())).verifyEach(true).run(g2, cx);
        assertEquals(List.of("constant-folding: folded 2 nodes"), cx.remarks());
        assertEquals("const", folded.output("y").input(1).opName());
        var x = org.dlm.ir.interp.NdArray.of(DType.F32, new long[] {2, 3}, 1, 2, 3, 4, 5, 6);
        assertEquals(org.dlm.ir.interp.Interpreter.run(g2, java.util.Map.of("x", x), java.util.Map.of()),
                org.dlm.ir.interp.Interpreter.run(folded, java.util.Map.of("x", x), java.util.Map.of()));
        // a lower limit leaves everything in place
        assertSame(g2, new ConstantFolding().run(g2, new PassContext().set("fold.max-elements", "2")));
    }
}
