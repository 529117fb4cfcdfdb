package io.ringtrain.worker.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Held-out metrics: how many samples were evaluated, their mean loss, and named figures such as
 * {@code accuracy} or {@code perplexity}, each beside what chance would score ({@code chance-accuracy},
 * {@code chance-perplexity}), so a summary says whether the model learned anything.
 */
public record Evaluation(long samples, double meanLoss, Map<String, Double> metrics) {
    public static final String ACCURACY = "accuracy";
    public static final String PERPLEXITY = "perplexity";

    public Evaluation {
        metrics = Map.copyOf(metrics);
    }

    public static Evaluation none() {
        return new Evaluation(0, Double.NaN, Map.of());
    }

    /** A classifier's figures: accuracy, and 1/classes beside it (a uniform guess). */
    public static Evaluation classification(long samples, double meanLoss, double accuracy, int classes) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(ACCURACY, accuracy);
        m.put("chance-" + ACCURACY, 1.0 / classes);
        return new Evaluation(samples, meanLoss, m);
    }

    /**
     * A language model's figures from its mean cross-entropy per token (nats): perplexity {@code exp(loss)}, and the
     * vocabulary size beside it (the perplexity of a uniform guess).
     */
    public static Evaluation languageModel(long samples, double meanTokenLoss, int vocabulary) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put(PERPLEXITY, Math.exp(meanTokenLoss));
        m.put("chance-" + PERPLEXITY, (double) vocabulary);
        return new Evaluation(samples, meanTokenLoss, m);
    }

    public boolean isEmpty() {
        return samples == 0;
    }

    /** The fraction classified correctly, or NaN when the model is not a classifier. */
    public double accuracy() {
        return metrics.getOrDefault(ACCURACY, Double.NaN);
    }

    /** The held-out perplexity, or NaN when the model is not a language model. */
    public double perplexity() {
        return metrics.getOrDefault(PERPLEXITY, Double.NaN);
    }
}
