package io.ringtrain.worker.train;

/** One rank's contribution to a step: the summed loss over its samples, and how many there were. */
public record GradientSum(double lossSum, int samples) {
}
