package org.dlm.passes.train;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;
import org.dlm.passes.autodiff.GraphEval;

/** Runs step graphs the way a host training loop does: params held by name, replaced by {@code new/} outputs. */
final class StepRunner {
    final Map<String, NdArray> params = new LinkedHashMap<>();

    StepRunner(Map<String, NdArray> initial) { params.putAll(initial); }

    /** Initializes every param of {@code g} not yet held, from its {@code init} attribute. */
    void initBuffers(Graph g) {
        for (Node p : g.params()) {
            String n = p.attrs().getString("name");
            if (params.containsKey(n)) continue;
            String init = p.attrs().getString("init");
            double v = init.equals("zeros") ? 0 : Double.parseDouble(init.substring("constant(".length(), init.length() - 1));
            params.put(n, NdArray.full(p.dtype(), v, p.shape().sizes()));
        }
    }

    Map<String, NdArray> run(Graph g, Map<String, NdArray> inputs, Map<String, Double> hp) {
        initBuffers(g);
        Map<String, NdArray> vals = new HashMap<>(params);
        vals.putAll(inputs);
        for (Node in : g.inputs()) {
            String n = in.attrs().getString("name");
            if (n.startsWith(TrainStep.HP)) vals.put(n, NdArray.scalar(in.dtype(), hp.get(n.substring(TrainStep.HP.length()))));
        }
        Map<String, NdArray> out = GraphEval.run(g, vals);
        out.forEach((k, v) -> { if (k.startsWith(TrainStep.NEW)) params.put(k.substring(TrainStep.NEW.length()), v); });
        return out;
    }

    static NdArray f32(long[] shape, double... v) { return NdArray.of(DType.F32, shape, v); }
}
