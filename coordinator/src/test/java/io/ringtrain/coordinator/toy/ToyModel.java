package io.ringtrain.coordinator.toy;

/** The toy model's data: y = TARGET·x, x in [-1, 1) drawn from (seed, step, sample index) alone. */
public final class ToyModel {

    public static final double TARGET = 3.0;

    private ToyModel() {
    }

    /** The parameter after {@code steps} steps of full-batch SGD from w = 0, computed in one place without any cluster. */
    public static double train(long seed, int globalBatch, double learningRate, long steps) {
        double w = 0;
        for (long step = 0; step < steps; step++) {
            double gradient = 0;
            for (int j = 0; j < globalBatch; j++) {
                double x = sample(seed, step, j);
                gradient += 2 * x * (w * x - TARGET * x);
            }
            w -= learningRate * gradient / globalBatch;
        }
        return w;
    }

    /** So that every rank can generate any sample of any step, whatever the world size. */
    public static double sample(long seed, long step, int index) {
        long z = seed * 0x9E3779B97F4A7C15L + step * 0xBF58476D1CE4E5B9L + index * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 11) * 0x1.0p-53 * 2 - 1;
    }
}
