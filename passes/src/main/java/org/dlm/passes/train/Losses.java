package org.dlm.passes.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.TensorType;

/**
 * Attaches a loss to a model whose graph ends in predictions: a new input {@code labels} and a
 * new scalar output {@code loss}, so that a {@code train} block's
 * {@code loss = cross_entropy(logits, labels)} becomes a graph {@link TrainStep} can differentiate.
 * Class-id losses ({@code cross_entropy}, {@code nll_loss}) take i64 labels shaped like the
 * prediction without its class axis (1); the others take labels of the prediction's type.
 *
 * <pre>{@code
 * Graph withLoss = Losses.attach(model, "output", "cross_entropy", Attrs.EMPTY);
 * }</pre>
 */
public final class Losses {
    private Losses() {}

    public static final String LABELS = "labels", LOSS = "loss";

    /** @throws IllegalArgumentException for an unknown prediction output or a model that already has {@code labels}/{@code loss} */
    public static Graph attach(Graph model, String prediction, String lossOp, Attrs attrs) {
        Node pred = model.output(prediction);
        if (pred == null)
            throw new IllegalArgumentException("model " + model.name() + " has no output '" + prediction + "'; outputs are: "
                    + String.join(", ", model.outputs().stream().map(Graph.Output::name).toList()));
        if (model.input(LABELS) != null || model.output(LOSS) != null)
            throw new IllegalArgumentException("model " + model.name() + " already has an input '" + LABELS + "' or an output '" + LOSS + "'");
        Node labels = Node.of("input", List.of(), Attrs.of("name", LABELS, "dtype", labelsType(lossOp, pred).dtype(),
                "shape", labelsType(lossOp, pred).shape()));
        Node loss = Node.of(lossOp, List.of(pred, labels), attrs);
        if (loss.shape().rank() != 0)
            throw new IllegalArgumentException(lossOp + " with these attributes gives " + loss.type() + ", not a scalar loss");
        List<Node> inputs = new ArrayList<>(model.inputs());
        inputs.add(labels);
        List<Graph.Output> outs = new ArrayList<>(model.outputs());
        outs.add(new Graph.Output(LOSS, loss));
        Map<String, String> meta = new LinkedHashMap<>(model.meta());
        meta.put("train.loss", lossOp + "(" + prediction + ", " + LABELS + ")");
        return new Graph(model.name(), inputs, model.params(), outs, meta);
    }

    static TensorType labelsType(String lossOp, Node pred) {
        if (!lossOp.equals("cross_entropy") && !lossOp.equals("nll_loss")) return pred.type();
        List<Dim> dims = new ArrayList<>(pred.shape().dims());
        if (dims.size() < 2) throw new IllegalArgumentException(lossOp + " needs predictions [N, classes, ...], got " + pred.type());
        dims.remove(1);
        return new TensorType(DType.I64, new Shape(dims));
    }
}
