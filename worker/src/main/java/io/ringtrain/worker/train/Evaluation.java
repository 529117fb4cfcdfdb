package io.ringtrain.worker.train;

/**
 * Held-out metrics: how many samples were evaluated, their mean loss, and the fraction
 * classified correctly ({@code NaN} when the model is not a classifier).
 */
public record Evaluation(long samples, double meanLoss, double accuracy) {

    public static Evaluation none() {
        return new Evaluation(0, Double.NaN, Double.NaN);
    }

    public boolean isEmpty() {
        return samples == 0;
    }
}
