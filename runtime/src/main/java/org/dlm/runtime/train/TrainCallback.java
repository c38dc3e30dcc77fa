package org.dlm.runtime.train;

/**
 * Hooks the training loop calls; every method has an empty default, so a callback implements
 * only what it needs. Progress display, logs, plots, early stopping and checkpointing are all
 * callbacks.
 *
 * <pre>{@code
 * TrainCallback printLoss = new TrainCallback() {
 *     @Override public void onStep(StepEvent e) { System.out.println(e.loss()); }
 * };
 * }</pre>
 */
public interface TrainCallback {
    default void onTrainBegin(int epochs) {}
    default void onEpochBegin(int epoch, int stepsPerEpoch) {}
    default void onStep(StepEvent e) {}
    default void onEpochEnd(EpochEvent e) {}
    /** Called once when training ends, normally or stopped early. */
    default void onTrainEnd() {}
    /** Polled after each epoch: true ends training. */
    default boolean shouldStop() { return false; }
}
