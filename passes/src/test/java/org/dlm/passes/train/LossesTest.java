package org.dlm.passes.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.Verifier;
import org.dlm.ir.interp.NdArray;
import org.dlm.passes.autodiff.GraphEval;
import org.junit.jupiter.api.Test;

class LossesTest {
    static Graph classifier() {
        Node x = Node.of("input", List.of(), Attrs.of("name", "x", "dtype", DType.F32, "shape", Shape.of(Dim.sym("B"), Dim.of(3))));
        Node w = Node.of("param", List.of(), Attrs.of("name", "w", "dtype", DType.F32, "shape", Shape.of(4, 3)));
        return new Graph("clf", List.of(x), List.of(w), List.of(new Graph.Output("output", Node.of("linear", x, w))));
    }

    @Test void classIdLossTakesI64LabelsWithoutTheClassAxis() {
        Graph g = Losses.attach(classifier(), "output", "cross_entropy", Attrs.of("label_smoothing", 0.1));
        assertEquals("i64[B]", g.input("labels").type().toString());
        Graph step = TrainStep.fused(g, "loss", Set.of(), Sgd.plain(), GradPolicy.NONE);
        assertEquals(List.of(), Verifier.verify(step));
        Map<String, NdArray> out = GraphEval.run(g, Map.of("x", NdArray.zeros(DType.F32, 2, 3), "w", NdArray.zeros(DType.F32, 4, 3),
                "labels", NdArray.of(DType.I64, new long[] {2}, 1, 3)));
        assertEquals(Math.log(4), out.get("loss").get(0), 1e-6);   // uniform logits over 4 classes
    }

    @Test void regressionLossTakesLabelsLikeThePrediction() {
        Graph g = Losses.attach(classifier(), "output", "mse_loss", Attrs.EMPTY);
        assertEquals("f32[B, 4]", g.input("labels").type().toString());
    }

    @Test void clearErrors() {
        assertEquals("model clf has no output 'logits'; outputs are: output", assertThrows(IllegalArgumentException.class,
                () -> Losses.attach(classifier(), "logits", "cross_entropy", Attrs.EMPTY)).getMessage());
        assertEquals("mse_loss with these attributes gives f32[B, 4], not a scalar loss", assertThrows(IllegalArgumentException.class,
                () -> Losses.attach(classifier(), "output", "mse_loss", Attrs.of("reduction", "none"))).getMessage());
    }
}
