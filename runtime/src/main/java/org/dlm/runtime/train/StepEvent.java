package org.dlm.runtime.train;

/**
 * One optimizer step finished.
 *
 * @param epoch          0-based epoch
 * @param step           0-based step within the epoch
 * @param stepsPerEpoch  steps in this epoch
 * @param globalStep     1-based count of steps since training began
 * @param samples        samples in this step's batch
 * @param loss           the batch loss
 * @param lr             learning rate used for this step
 */
public record StepEvent(int epoch, int step, int stepsPerEpoch, long globalStep, int samples, double loss, double lr) {}
