package io.ringtrain.worker.model.samediff;

/**
 * What a {@link SameDiffModel} reports on its held-out data, beside the mean loss.
 */
public sealed interface HeldOutMetric {

    /** The loss only. */
    record LossOnly() implements HeldOutMetric {
    }

    /**
     * A classifier's accuracy: the argmax over the last dimension of the {@code predictions} variable (logits or
     * probabilities, {@code [n, classes]}) against the argmax of the one-hot labels.
     */
    record Accuracy(String predictions, int classes) implements HeldOutMetric {
    }

    /** A language model's perplexity {@code exp(loss)}, when the loss is the mean cross-entropy per token (nats). */
    record Perplexity(int vocabulary) implements HeldOutMetric {
    }
}
