package org.dlm.runtime.train;

import java.util.Map;
import org.dlm.ir.Graph;
import org.dlm.ir.interp.NdArray;

/**
 * Where a {@link Trainer}'s graphs run and where its state — model parameters and optimizer
 * buffers, by parameter name — lives between steps. {@link #interpreter} keeps the state in Java
 * arrays and runs graphs on an {@link Trainer.Executor}; a compiled engine (backend-llvm's
 * {@code CompiledSteps}) keeps it in native parameter blocks and reads it back only when asked
 * ({@link #get}: checkpoints, early-stopping snapshots).
 *
 * <pre>{@code
 * try (StepEngine e = StepEngine.interpreter(Interpreter::run)) {
 *     e.put("w", w0);
 *     Map<String, NdArray> out = e.run(step, Map.of("x", x, "labels", y, "hp/lr", lr));  // new/w replaced w
 *     NdArray w1 = e.get("w");
 * }
 * }</pre>
 */
public interface StepEngine extends AutoCloseable {
    /**
     * Runs {@code g} with the current value of each of its parameters; every output
     * {@code new/<p>} then replaces state {@code p}. Returns the other outputs.
     */
    Map<String, NdArray> run(Graph g, Map<String, NdArray> inputs);

    /** The current value of state {@code name}. */
    NdArray get(String name);

    /** Sets state {@code name} (initial values, a restored checkpoint, best-parameter restore). */
    void put(String name, NdArray value);

    @Override void close();

    /** State in Java arrays, graphs run by {@code exec} (e.g. {@code Interpreter::run}). */
    static StepEngine interpreter(Trainer.Executor exec) { return new ExecutorEngine(exec); }
}
