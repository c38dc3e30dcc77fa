package org.dlm.runtime.train;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;

/** {@link StepEngine#interpreter}: state in a map of arrays, every run through an {@link Trainer.Executor}. */
final class ExecutorEngine implements StepEngine {
    private static final String NEW = "new/";
    private final Trainer.Executor exec;
    private final Map<String, NdArray> values = new HashMap<>();

    ExecutorEngine(Trainer.Executor exec) { this.exec = exec; }

    @Override public Map<String, NdArray> run(Graph g, Map<String, NdArray> inputs) {
        Map<String, NdArray> params = new LinkedHashMap<>();
        for (Node p : g.params()) params.put(p.attrs().getString("name"), get(p.attrs().getString("name")));
        Map<String, NdArray> rest = new LinkedHashMap<>();
        exec.run(g, inputs, params).forEach((k, v) -> {
            if (k.startsWith(NEW)) values.put(k.substring(NEW.length()), v);
            else rest.put(k, v);
        });
        return rest;
    }

    @Override public NdArray get(String name) {
        NdArray v = values.get(name);
        if (v == null) throw new IllegalArgumentException("no value for '" + name + "'");
        return v;
    }

    @Override public void put(String name, NdArray value) { values.put(name, value); }

    @Override public void close() {}
}
