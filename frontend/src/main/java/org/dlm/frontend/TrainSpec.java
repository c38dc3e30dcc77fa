package org.dlm.frontend;

import java.util.Map;

/**
 * A checked {@code train} block: the model it trains and its settings (data, loss, optimizer,
 * schedule, epochs, batch, ...) as evaluated values. Executed by the training loop.
 *
 * @param model    name of the model trained
 * @param settings setting name → value (Long, Double, Boolean, String, List, or {@link Call})
 */
public record TrainSpec(String model, Map<String, Object> settings) {
    /** A call expression in a setting, e.g. {@code adam(lr = 1e-3)}: name, positional and named arguments. */
    public record Call(String name, java.util.List<Object> args, Map<String, Object> named) {}
}
