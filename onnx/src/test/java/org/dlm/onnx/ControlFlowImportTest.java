package org.dlm.onnx;

import static org.dlm.onnx.TestModels.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.frontend.Compilation;
import org.dlm.frontend.Frontend;
import org.dlm.ir.Graph;
import org.dlm.ir.interp.Interpreter;
import org.dlm.runtime.io.ParamStore;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.dlm.onnx.proto.OnnxProto.AttributeProto;
import org.dlm.onnx.proto.OnnxProto.GraphProto;
import org.dlm.onnx.proto.OnnxProto.ModelProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** If with a computed condition, Loop with a computed condition, Scan — imported once, run on interp and llvm. */
class ControlFlowImportTest {
    private static AttributeProto graph(String name, GraphProto g) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.GRAPH).setG(g).build();
    }

    private static NdArray f32(long[] shape, double... v) { return new NdArray(DType.F32, shape, v); }

    /** Imported without input values, so computed conditions stay in the graph. */
    private static ImportedModel imported(ModelProto m) {
        return OnnxImporter.importModel(m, null, OnnxImporter.Options.DEFAULT);
    }

    private static void assertClose(NdArray want, NdArray got) {
        assertArrayEquals(want.shape(), got.shape());
        for (int i = 0; i < want.size(); i++) assertEquals(want.get(i), got.get(i), 1e-5, "element " + i);
    }

    /** y = ReduceSum(x) > 0 ? x * 2 : -x */
    private static ModelProto ifModel(long elseLen) {
        GraphProto then = GraphProto.newBuilder().setName("then")
                .addInitializer(floats("two", new long[0], 2f))
                .addNode(node("Mul", List.of("x", "two"), List.of("t_out")))
                .addOutput(value("t_out", FLOAT, 3)).build();
        GraphProto.Builder other = GraphProto.newBuilder().setName("else");
        if (elseLen == 3) other.addNode(node("Neg", List.of("x"), List.of("e_out")));
        else other.addInitializer(longs("sl", 0)).addInitializer(longs("el", elseLen))
                .addNode(node("Slice", List.of("x", "sl", "el"), List.of("e_out")));
        other.addOutput(value("e_out", FLOAT, elseLen));
        GraphProto g = GraphProto.newBuilder().setName("g").addInput(value("x", FLOAT, 3))
                .addInitializer(floats("zero", new long[0], 0f))
                .addNode(node("ReduceSum", List.of("x"), List.of("s"), i("keepdims", 0)))
                .addNode(node("Greater", List.of("s", "zero"), List.of("c")))
                .addNode(node("If", List.of("c"), List.of("y"), graph("then_branch", then), graph("else_branch", other.build())))
                .addOutput(value("y", FLOAT, 3)).build();
        return model(13, g);
    }

    @Test
    void ifWithComputedConditionSelectsABranchAtRunTime() {
        ImportedModel im = imported(ifModel(3));
        assertTrue(im.graph().topoOrder().stream().anyMatch(n -> n.opName().equals("where")), "both branches are selected by where");
        NdArray pos = f32(new long[] {3}, 1, 2, -0.5), neg = f32(new long[] {3}, -1, 0.5, -2);
        for (String backend : List.of("interp", "llvm")) {
            assertClose(f32(new long[] {3}, 2, 4, -1), OnnxRunner.run(im, Map.of("x", pos), backend).get("y"));
            assertClose(f32(new long[] {3}, 1, -0.5, 2), OnnxRunner.run(im, Map.of("x", neg), backend).get("y"));
        }
        // specialized to the input values, the runner folds the condition and takes one branch
        assertClose(f32(new long[] {3}, 2, 4, -1), OnnxRunner.run(ifModel(3), null, Map.of("x", pos)).get("y"));
    }

    @Test
    void ifWithComputedConditionAndBranchesOfDifferentShapesIsUnsupported() {
        OnnxException e = assertThrows(OnnxException.class, () -> imported(ifModel(2)));
        assertTrue(e.isUnsupported());
        assertTrue(e.getMessage().contains("UNSUPPORTED: If with a condition computed at run time whose branches give different types (output 1 is f32[3] in then_branch, f32[2] in else_branch)"), e.getMessage());
        // a known condition still takes one branch, whatever the other one's shape
        assertClose(f32(new long[] {3}, 2, 4, -1), OnnxRunner.run(ifModel(2), null, Map.of("x", f32(new long[] {3}, 1, 2, -0.5))).get("y"));
    }

    /** v doubles while v < limit, at most {@code trips} times; optionally with a scan output of v. */
    private static ModelProto doublingLoop(long trips, boolean scanOutput) {
        GraphProto.Builder body = GraphProto.newBuilder().setName("body")
                .addInput(value("i", INT64)).addInput(value("cond_in", BOOL)).addInput(value("v", FLOAT))
                .addInitializer(floats("two", new long[0], 2f))
                .addNode(node("Mul", List.of("v", "two"), List.of("v2")))
                .addNode(node("Less", List.of("v2", "limit"), List.of("cond_out")))
                .addOutput(value("cond_out", BOOL)).addOutput(value("v2", FLOAT));
        if (scanOutput) body.addNode(node("Identity", List.of("v2"), List.of("seen"))).addOutput(value("seen", FLOAT));
        GraphProto.Builder g = GraphProto.newBuilder().setName("g")
                .addInput(value("v0", FLOAT)).addInput(value("limit", FLOAT))
                .addInitializer(longs("M", trips).toBuilder().clearDims().build())
                .addNode(node("Less", List.of("v0", "limit"), List.of("c0")))
                .addNode(node("Loop", List.of("M", "c0", "v0"), scanOutput ? List.of("v_final", "all") : List.of("v_final"), graph("body", body.build())))
                .addOutput(value("v_final", FLOAT));
        if (scanOutput) g.addOutput(value("all", FLOAT, -1));
        return model(13, g.build());
    }

    @Test
    void loopWithComputedConditionStopsWhenTheConditionTurnsFalse() {
        ImportedModel im = imported(doublingLoop(10, false));
        NdArray limit = NdArray.scalar(DType.F32, 20);
        for (String backend : List.of("interp", "llvm")) {
            // 1 → 2 4 8 16 32 (32 ≥ 20 stops); 3 → 6 12 24; 25 ≥ 20 runs no iteration
            assertEquals(32.0, OnnxRunner.run(im, Map.of("v0", NdArray.scalar(DType.F32, 1), "limit", limit), backend).get("v_final").get(0), backend);
            assertEquals(24.0, OnnxRunner.run(im, Map.of("v0", NdArray.scalar(DType.F32, 3), "limit", limit), backend).get("v_final").get(0), backend);
            assertEquals(25.0, OnnxRunner.run(im, Map.of("v0", NdArray.scalar(DType.F32, 25), "limit", limit), backend).get("v_final").get(0), backend);
        }
        // the trip count still bounds it: 1 → 2 4 8 after 3 iterations
        ImportedModel three = imported(doublingLoop(3, false));
        assertEquals(8.0, OnnxRunner.run(three, Map.of("v0", NdArray.scalar(DType.F32, 1), "limit", limit), "interp").get("v_final").get(0));
    }

    @Test
    void loopWithComputedConditionAndScanOutputsIsUnsupported() {
        OnnxException e = assertThrows(OnnxException.class, () -> imported(doublingLoop(10, true)));
        assertTrue(e.getMessage().contains("UNSUPPORTED: Loop with scan outputs and a condition computed at run time (the scan outputs' length would depend on the data)"), e.getMessage());
        // known inputs fold the condition: the loop unrolls and the scan output is stacked
        Map<String, NdArray> out = OnnxRunner.run(doublingLoop(10, true), null,
                Map.of("v0", NdArray.scalar(DType.F32, 3), "limit", NdArray.scalar(DType.F32, 20)));
        assertClose(f32(new long[] {3}, 6, 12, 24), out.get("all"));
    }

    @Test
    void loopWithComputedConditionAndAHugeTripCountIsRefusedBeforeUnrolling() {
        long start = System.nanoTime();
        OnnxException e = assertThrows(OnnxException.class, () -> imported(doublingLoop(Long.MAX_VALUE, false)));
        assertTrue(e.getMessage().contains("UNSUPPORTED: Loop with a condition computed at run time and trip count M = 9223372036854775807, more than the 10000 iterations the importer unrolls"), e.getMessage());
        assertTrue(System.nanoTime() - start < 2_000_000_000L, "refused without unrolling");
    }

    @Test
    void loopWithoutTripCountAndComputedConditionIsUnsupported() {
        ModelProto m = doublingLoop(10, false);
        GraphProto g = m.getGraph().toBuilder().clearInitializer()
                .setNode(1, m.getGraph().getNode(1).toBuilder().setInput(0, "")).build();
        OnnxException e = assertThrows(OnnxException.class, () -> imported(m.toBuilder().setGraph(g).build()));
        assertTrue(e.getMessage().contains("UNSUPPORTED: Loop with a condition computed at run time and no trip count M"), e.getMessage());
    }

    private static ModelProto scanModel() {
        GraphProto body = GraphProto.newBuilder().setName("body")
                .addInput(value("acc_in", FLOAT, 2)).addInput(value("col", FLOAT, 2)).addInput(value("w", FLOAT, 2))
                .addNode(node("Add", List.of("acc_in", "col"), List.of("acc_out")))
                .addNode(node("Mul", List.of("acc_out", "w"), List.of("scaled")))
                .addOutput(value("acc_out", FLOAT, 2)).addOutput(value("scaled", FLOAT, 2)).build();
        GraphProto g = GraphProto.newBuilder().setName("g")
                .addInput(value("init", FLOAT, 2)).addInput(value("x", FLOAT, 2, 3)).addInput(value("w", FLOAT, 3, 2))
                .addNode(node("Scan", List.of("init", "x", "w"), List.of("acc", "ys"), graph("body", body), i("num_scan_inputs", 2),
                        ints("scan_input_axes", 1, 0), ints("scan_input_directions", 1, 0),
                        ints("scan_output_axes", -1), ints("scan_output_directions", 1)))
                .addOutput(value("acc", FLOAT, 2)).addOutput(value("ys", FLOAT, 2, 3)).build();
        return model(16, g);
    }

    /**
     * Opset 16 Scan: a running sum over x's axis 1 read backwards, the per-step sums stacked along
     * output axis 1 in reverse order, and a second scan input read forwards along axis 0.
     */
    @Test
    void scanWithAxesAndDirections() {
        NdArray init = f32(new long[] {2}, 0.5, -1), x = f32(new long[] {2, 3}, 1, 2, 3, 4, 5, 6), w = f32(new long[] {3, 2}, 1, 2, 3, 4, 5, 6);
        // steps t = 0,1,2 read x columns 2,1,0 and w rows 0,1,2
        double[] acc = {0.5, -1};
        double[][] steps = new double[3][];
        for (int t = 0; t < 3; t++) {
            int col = 2 - t;
            acc = new double[] {acc[0] + x.get(col), acc[1] + x.get(3 + col)};
            steps[t] = new double[] {acc[0] * w.get(2 * t), acc[1] * w.get(2 * t + 1)};
        }
        // output axis 1 (= -1 of rank 2), reversed: ys[:, k] = steps[2 - k]
        double[] ys = new double[6];
        for (int k = 0; k < 3; k++) { ys[k] = steps[2 - k][0]; ys[3 + k] = steps[2 - k][1]; }
        ImportedModel im = imported(scanModel());
        for (String backend : List.of("interp", "llvm")) {
            Map<String, NdArray> out = OnnxRunner.run(im, Map.of("init", init, "x", x, "w", w), backend);
            assertClose(f32(new long[] {2}, acc), out.get("acc"));
            assertClose(f32(new long[] {2, 3}, ys), out.get("ys"));
        }
    }

    /** onnx-import writes the computed If, Loop and Scan as .dlm that compiles and computes what onnx-run does. */
    @Test
    void computedControlFlowIsWrittenAsDlm(@TempDir Path tmp) throws Exception {
        NdArray limit = NdArray.scalar(DType.F32, 20);
        Map<String, List<Map<String, NdArray>>> cases = new LinkedHashMap<>();
        cases.put("if", List.of(Map.of("x", f32(new long[] {3}, 1, 2, -0.5)), Map.of("x", f32(new long[] {3}, -1, 0.5, -2))));
        cases.put("loop", List.of(Map.of("v0", NdArray.scalar(DType.F32, 1), "limit", limit), Map.of("v0", NdArray.scalar(DType.F32, 25), "limit", limit)));
        cases.put("scan", List.of(Map.of("init", f32(new long[] {2}, 0.5, -1), "x", f32(new long[] {2, 3}, 1, 2, 3, 4, 5, 6), "w", f32(new long[] {3, 2}, 1, 2, 3, 4, 5, 6))));
        Map<String, ModelProto> models = Map.of("if", ifModel(3), "loop", doublingLoop(10, false), "scan", scanModel());
        for (var c : cases.entrySet()) {
            Path onnx = tmp.resolve(c.getKey() + ".onnx"), dlm = tmp.resolve(c.getKey() + ".dlm"), weights = tmp.resolve(c.getKey() + ".safetensors");
            Files.write(onnx, models.get(c.getKey()).toByteArray());
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            assertEquals(0, OnnxImportCommand.run(new String[] {onnx.toString(), "-o", dlm.toString(), "--weights", weights.toString()}, new PrintStream(new ByteArrayOutputStream()),
                    new PrintStream(err, true, StandardCharsets.UTF_8)), err.toString(StandardCharsets.UTF_8));
            Compilation comp = Frontend.compile(dlm);
            assertTrue(comp.ok(), comp.diagnostics() + "\n" + Files.readString(dlm));
            Graph g = comp.models().values().iterator().next();
            for (Map<String, NdArray> in : c.getValue()) {
                Map<String, NdArray> want = OnnxRunner.run(onnx, in), got = Interpreter.run(g, in, ParamStore.load(g, weights));
                for (var o : want.entrySet()) assertClose(o.getValue(), got.get(o.getKey()));
            }
        }
    }

    @Test
    void scanOverASymbolicLengthIsUnsupported() {
        GraphProto body = GraphProto.newBuilder().setName("body")
                .addInput(value("s", FLOAT)).addInput(value("e", FLOAT))
                .addNode(node("Add", List.of("s", "e"), List.of("s2")))
                .addOutput(value("s2", FLOAT)).build();
        GraphProto g = GraphProto.newBuilder().setName("g").addInput(value("s0", FLOAT)).addInput(value("x", FLOAT, -1))
                .addNode(node("Scan", List.of("s0", "x"), List.of("s"), graph("body", body), i("num_scan_inputs", 1)))
                .addOutput(value("s", FLOAT)).build();
        OnnxException e = assertThrows(OnnxException.class, () -> imported(model(11, g)));
        assertTrue(e.getMessage().contains("UNSUPPORTED: Scan over a symbolic sequence length N"), e.getMessage());
        // given the input, its length is known and the scan unrolls
        assertEquals(6.0, OnnxRunner.run(model(11, g), null, Map.of("s0", NdArray.scalar(DType.F32, 0), "x", f32(new long[] {3}, 1, 2, 3))).get("s").get(0));
    }
}
