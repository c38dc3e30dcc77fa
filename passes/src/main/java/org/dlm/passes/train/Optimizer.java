package org.dlm.passes.train;

import java.util.List;
import java.util.Map;
import org.dlm.ir.Node;

/**
 * An optimizer expressed as Graph IR: for one parameter {@code p} and its gradient {@code g}
 * it builds the new parameter value and new state values from catalogue ops, so the whole
 * update compiles together with the forward and backward pass. Hyperparameters that change
 * from step to step (the learning rate, Adam's bias corrections) are scalar graph inputs whose
 * values the host computes with {@link #scalars}; the others are literals.
 * Formulas are PyTorch's ({@code torch.optim}, 1.13).
 *
 * <pre>{@code
 * Optimizer adam = Adam.adam(0.9, 0.999, 1e-8, 0);
 * Map<String, Double> hp = adam.scalars(step, schedule.at(step - 1));
 * }</pre>
 */
public interface Optimizer {
    /** A per-parameter state buffer (momentum, second moment, ...) and its initial value. */
    record Slot(String name, double init) {}

    /** The result of one update: the new parameter and the new value of every slot. */
    record Update(Node param, Map<String, Node> state) {}

    /** Short name for logs and checkpoints ("adam"). */
    String name();

    /** State buffers per parameter, in a fixed order. */
    List<Slot> slots();

    /** Names of the per-step scalar inputs, in a fixed order; always includes "lr". */
    List<String> scalarNames();

    /**
     * Values of the per-step scalars for optimizer step {@code t} (1-based, as PyTorch's
     * {@code state['step']} after its increment) and learning rate {@code lr}.
     */
    Map<String, Double> scalars(long t, double lr);

    /**
     * The update of {@code p} given its gradient, its current state (by slot name) and the
     * per-step scalar nodes (by name, same dtype as {@code p}).
     */
    Update apply(Node p, Node g, Map<String, Node> state, Map<String, Node> scalars);
}
