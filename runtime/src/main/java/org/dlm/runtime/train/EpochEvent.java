package org.dlm.runtime.train;

import java.util.Map;

/**
 * One epoch finished.
 *
 * @param epoch   0-based epoch
 * @param epochs  planned number of epochs
 * @param metrics named results, e.g. {@code train.loss}, {@code val.loss}, {@code val.accuracy}
 * @param seconds wall time of the epoch
 */
public record EpochEvent(int epoch, int epochs, Map<String, Double> metrics, double seconds) {
    public EpochEvent {
        metrics = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metrics));
    }
}
