package org.dlm.passes.lower;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.kernel.Buffer;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.Stmt;
import org.dlm.passes.train.GradPolicy;
import org.dlm.passes.train.Sgd;
import org.dlm.passes.train.TrainStep;
import org.junit.jupiter.api.Test;

/** Adjacent elementwise loops fuse only when every element one stores is touched by the other at the same index. */
class LoopFusionTest {
    static final Buffer P = InPlaceUpdatesTest.P, M = InPlaceUpdatesTest.M, G = InPlaceUpdatesTest.G, Y = InPlaceUpdatesTest.Y;

    static Expr v(String n) { return new Expr.Var(n, DType.I64); }
    static Expr load(Buffer b, Expr i) { return new Expr.Load(b, i); }
    static Expr bin(Expr.BinOp op, Expr a, Expr b) { return new Expr.Binary(op, a, b); }
    static Stmt.Loop loop(String var, long extent, boolean parallel, Stmt... body) {
        return new Stmt.Loop(var, new Expr.Const(DType.I64, extent), 1, parallel, List.of(body));
    }

    /** {@code m[i] = m[i]·0.9 + g[i]} then {@code p[j] = p[j] − m[j]}. */
    static Stmt.Loop momentum() { return loop("i", 8, true, new Stmt.Store(M, v("i"), bin(Expr.BinOp.ADD, bin(Expr.BinOp.MUL, load(M, v("i")), new Expr.Const(DType.F32, 0.9)), load(G, v("i"))))); }
    static Stmt.Loop update(String var, Expr mIndex) { return loop(var, 8, true, new Stmt.Store(P, v(var), bin(Expr.BinOp.SUB, load(P, v(var)), load(M, mIndex)))); }

    @Test
    void anOptimizerUpdateBecomesOneLoop() {
        List<Stmt> fused = LoopFusion.fuseAdjacent(List.of(momentum(), update("j", v("j"))));
        assertEquals(1, fused.size());
        Stmt.Loop l = (Stmt.Loop) fused.get(0);
        assertEquals(2, l.body().size());
        assertTrue(l.parallel());
        Stmt.Store second = (Stmt.Store) l.body().get(1);
        assertEquals(v("i"), second.index(), "the second loop's variable is renamed");
        assertEquals(update("i", v("i")).body().get(0), second);
    }

    @Test
    void otherIndicesRangesOrShapesDoNotFuse() {
        Expr shifted = bin(Expr.BinOp.MIN, bin(Expr.BinOp.ADD, v("j"), new Expr.Const(DType.I64, 1)), new Expr.Const(DType.I64, 7));
        assertEquals(2, LoopFusion.fuseAdjacent(List.of(momentum(), update("j", shifted))).size(), "reads another iteration's element");
        Stmt.Loop shorter = loop("j", 4, true, new Stmt.Store(Y, v("j"), load(M, v("j"))));
        assertEquals(2, LoopFusion.fuseAdjacent(List.of(momentum(), shorter)).size(), "another range");
        Stmt.Loop serial = loop("j", 8, false, new Stmt.Store(Y, v("j"), load(M, v("j"))));
        assertEquals(2, LoopFusion.fuseAdjacent(List.of(momentum(), serial)).size(), "parallel and serial");
        Stmt.Loop nested = loop("j", 8, true, loop("k", 1, false, new Stmt.Store(Y, v("j"), load(M, v("j")))));
        assertEquals(2, LoopFusion.fuseAdjacent(List.of(momentum(), nested)).size(), "a nested loop");
        // independent loops of one range fuse
        Stmt.Loop independent = loop("j", 8, true, new Stmt.Store(Y, v("j"), load(G, bin(Expr.BinOp.SUB, new Expr.Const(DType.I64, 7), v("j")))));
        assertEquals(1, LoopFusion.fuseAdjacent(List.of(momentum(), independent)).size(), "independent");
    }

    @Test
    void momentumUpdatesOfATrainingStepAreOnePassPerParameter() {
        Graph step = TrainStep.fused(TrainStepLoweringTest.training(), "loss", Set.of(), Sgd.momentum(0.9), GradPolicy.NONE);
        Lowered low = GraphLowering.lower(step, Map.of("B", 2L), TrainStepLoweringTest.values(step), LoweringTable.standard(), true, true);
        // fc.weight's momentum and value are stored by the same top-level loop
        boolean together = low.module().body().stream().anyMatch(s -> s instanceof Stmt.Loop l
                && l.body().stream().anyMatch(t -> t instanceof Stmt.Store st && st.buffer().name().equals("opt_momentum_fc_weight"))
                && l.body().stream().anyMatch(t -> t instanceof Stmt.Store st && st.buffer().name().equals("fc_weight")));
        assertTrue(together, low.module().toString());
    }
}
