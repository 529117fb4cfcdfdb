package io.ringtrain.worker;

/**
 * What one step did on one rank.
 *
 * @param loss    mean loss over this rank's samples of the step
 * @param samples how many samples this rank processed in the step
 */
public record StepResult(double loss, int samples) {
}
