package org.dlm.passes.lower;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.kernel.Buffer;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.Stmt;
import org.dlm.passes.train.Adam;
import org.dlm.passes.train.GradPolicy;
import org.dlm.passes.train.Optimizer;
import org.dlm.passes.train.RmsProp;
import org.dlm.passes.train.Sgd;
import org.dlm.passes.train.TrainStep;
import org.junit.jupiter.api.Test;

/**
 * A {@code new/<p>} output shares {@code p}'s buffer only when no statement can read an
 * overwritten element of {@code p}: hand-written programs for each rule, every training-step form
 * of a small model (all updates in place), and a graph that reads a parameter after its update
 * (that output keeps its own buffer).
 */
class InPlaceUpdatesTest {
    static final Buffer P = new Buffer("p", Buffer.Kind.PARAM, DType.F32, 8, 0, 0), M = new Buffer("m", Buffer.Kind.PARAM, DType.F32, 8, 0, 64),
            G = new Buffer("g", Buffer.Kind.TEMP, DType.F32, 8, 0, 0), O = new Buffer("out_new_p", Buffer.Kind.OUTPUT, DType.F32, 8, 2, 0),
            Y = new Buffer("y", Buffer.Kind.OUTPUT, DType.F32, 8, 1, 0);
    static final Expr I = new Expr.Var("i", DType.I64), ZERO = new Expr.Const(DType.I64, 0);

    static Expr load(Buffer b, Expr index) { return new Expr.Load(b, index); }
    static Expr sub(Expr a, Expr b) { return new Expr.Binary(Expr.BinOp.SUB, a, b); }
    static Stmt loop(Stmt... body) { return new Stmt.Loop("i", new Expr.Const(DType.I64, 8), 1, true, List.of(body)); }
    static Stmt store(Buffer b, Expr index, Expr value) { return new Stmt.Store(b, index, value); }
    static Stmt gemm(Buffer a, Buffer c) {
        return new Stmt.Call("sgemm_nn", List.of(i64(2), i64(4), i64(2), new Stmt.PtrArg(a, ZERO), i64(2), new Stmt.PtrArg(G, ZERO), i64(4),
                new Stmt.PtrArg(c, ZERO), i64(4), new Stmt.ScalarArg(new Expr.Const(DType.I32, 0)), new Stmt.NullArg()));
    }
    static Stmt.ScalarArg i64(long v) { return new Stmt.ScalarArg(new Expr.Const(DType.I64, v)); }

    /** {@code out[i] = p[i] - g[i]}. */
    static final Stmt UPDATE = loop(store(O, I, sub(load(P, I), load(G, I))));

    @Test
    void elementwiseUpdateAfterEveryOtherReadIsSafe() {
        assertTrue(InPlaceUpdates.safe(List.of(gemm(P, Y), UPDATE), O, P));
        // the new value may be read afterwards: it is in p's buffer then
        assertTrue(InPlaceUpdates.safe(List.of(gemm(P, Y), UPDATE, loop(store(Y, I, load(O, I)))), O, P));
        // a local holding the old element, then the store
        assertTrue(InPlaceUpdates.safe(List.of(loop(new Stmt.Declare("old", DType.F32, load(P, I)), store(O, I, sub(new Expr.Var("old", DType.F32), load(G, I))))), O, P));
    }

    @Test
    void readingTheOldValueAfterTheUpdateIsNot() {
        assertFalse(InPlaceUpdates.safe(List.of(UPDATE, gemm(P, Y)), O, P), "p read by a later statement");
        assertFalse(InPlaceUpdates.safe(List.of(UPDATE, loop(store(Y, I, load(P, I)))), O, P), "p read by a later loop");
        Expr next = new Expr.Binary(Expr.BinOp.MIN, new Expr.Binary(Expr.BinOp.ADD, I, new Expr.Const(DType.I64, 1)), new Expr.Const(DType.I64, 7));
        assertFalse(InPlaceUpdates.safe(List.of(loop(store(O, I, load(P, next)))), O, P), "another iteration's element");
        assertFalse(InPlaceUpdates.safe(List.of(loop(store(O, I, load(G, I)), store(Y, I, load(P, I)))), O, P), "p read after out is stored");
        assertFalse(InPlaceUpdates.safe(List.of(gemm(P, O)), O, P), "a call reading p and writing out");
        assertFalse(InPlaceUpdates.safe(List.of(loop(store(O, I, load(P, I)), store(P, I, load(G, I)))), O, P), "p written");
        Stmt nested = new Stmt.Loop("j", new Expr.Const(DType.I64, 2), 1, false, List.of(UPDATE));
        assertFalse(InPlaceUpdates.safe(List.of(nested), O, P), "every element rewritten twice");
        assertFalse(InPlaceUpdates.safe(List.of(loop(store(O, I, load(M, I)))), O, new Buffer("q", Buffer.Kind.PARAM, DType.F32, 4, 0, 0)), "sizes differ");
    }

    static Node param(String name, long... shape) {
        return Node.of("param", List.of(), Attrs.of("name", name, "dtype", DType.F32, "shape", Shape.of(shape), "trainable", true));
    }

    @Test
    void everyStepFormOfASmallModelUpdatesInPlace() {
        Graph t = TrainStepLoweringTest.training();
        GradPolicy all = GradPolicy.NONE.withL1(1e-4).withL2(1e-4).withClipValue(1).withClipNorm(5).withDecoupledWeightDecay(1e-3);
        for (Optimizer opt : new Optimizer[] {Sgd.nesterov(0.9), Adam.adamW(0.9, 0.999, 1e-8, 1e-2), new Adam(0.9, 0.999, 1e-8, 0, false, true), new RmsProp(0.9, 1e-8, 1e-4, 0.9, true)}) {
            Graph step = TrainStep.fused(t, "loss", Set.of(), opt, all);
            assertAllInPlace(step, 3, true);
        }
        assertAllInPlace(TrainStep.accumulate(t, "loss", Set.of()), 2, true);
        // apply's reset of an accumulated gradient (zeros) may be stored before the update reads the sum: then it is copied
        assertAllInPlace(TrainStep.apply(t, Set.of(), Adam.adam(0.9, 0.999, 1e-8, 0), all, 4), 2, false);
    }

    /** Every {@code new/} output is written into its parameter (the {@code new/acc/} ones only if {@code accumulatorsInPlace}). */
    static void assertAllInPlace(Graph step, long batch, boolean accumulatorsInPlace) {
        Lowered low = GraphLowering.lower(step, Map.of("B", batch), TrainStepLoweringTest.values(step), LoweringTable.standard(), true, true);
        List<Lowered.Port> updates = low.outputs().stream().filter(p -> p.name().startsWith(TrainStep.NEW)).toList();
        assertFalse(updates.isEmpty());
        for (Lowered.Port p : updates) {
            if (!accumulatorsInPlace && p.name().startsWith(TrainStep.NEW + TrainStep.ACC)) continue;
            assertEquals(Buffer.Kind.PARAM, p.buffer().kind(), p.name() + " in " + step.name());
            assertEquals(low.params().get(p.name().substring(TrainStep.NEW.length())), p.buffer(), p.name());
        }
        // without the option nothing changes
        Lowered plain = GraphLowering.lower(step, Map.of("B", batch), TrainStepLoweringTest.values(step), LoweringTable.standard(), true);
        assertTrue(plain.outputs().stream().noneMatch(p -> p.buffer().kind() == Buffer.Kind.PARAM));
    }

    /** {@code new/w = w - 1} lowered first, then {@code y = x·w} reads the old w: the update must not go into w. */
    @Test
    void aParameterReadAfterItsUpdateKeepsTheCopy() {
        Node x = Node.of("input", List.of(), Attrs.of("name", "x", "dtype", DType.F32, "shape", Shape.of(2, 3)));
        Node w = param("w", 3, 3), v = param("v", 3);
        Node one = Node.of("const", List.of(), Attrs.of("value", org.dlm.ir.Constant.scalar(DType.F32, 1.0)));
        Node newW = Node.of("sub", w, one), newV = Node.of("sub", v, one);
        Node y = Node.of("add", Node.of("matmul", x, w), v);
        Graph g = new Graph("late", List.of(x), List.of(w, v), List.of(new Graph.Output("new/w", newW), new Graph.Output("new/v", newV), new Graph.Output("y", y)));
        Lowered low = GraphLowering.lower(g, Map.of(), TrainStepLoweringTest.values(g), LoweringTable.standard(), true, true);
        Map<String, Buffer> ports = new java.util.HashMap<>();
        low.outputs().forEach(p -> ports.put(p.name(), p.buffer()));
        assertEquals(Buffer.Kind.OUTPUT, ports.get("new/w").kind(), low.module().toString());
        assertEquals(Buffer.Kind.OUTPUT, ports.get("new/v").kind(), low.module().toString());
        // the same updates with y first: both in place
        Graph late = new Graph("early", List.of(x), List.of(w, v), List.of(new Graph.Output("y", y), new Graph.Output("new/w", newW), new Graph.Output("new/v", newV)));
        Lowered ok = GraphLowering.lower(late, Map.of(), TrainStepLoweringTest.values(late), LoweringTable.standard(), true, true);
        assertTrue(ok.outputs().stream().filter(p -> p.name().startsWith("new/")).allMatch(p -> p.buffer().kind() == Buffer.Kind.PARAM), ok.module().toString());
    }
}
