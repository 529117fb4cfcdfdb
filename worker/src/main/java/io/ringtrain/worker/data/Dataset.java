package io.ringtrain.worker.data;

/**
 * Training samples addressed by index {@code 0 .. size()-1}. The framework decides which indices
 * each rank sees at each step (see {@link SampleOrder} and {@link BatchShard}); a dataset only has
 * to copy the requested samples into a {@link Batch}.
 *
 * <p>Implementations must be deterministic: the same index always yields the same sample, in
 * every worker process. That is what lets ranks split a global batch without exchanging data.
 */
public interface Dataset {

    /** Number of samples; at least 1. */
    long size();

    /** Shape of one sample's features, e.g. {@code [32]}. */
    long[] featureShape();

    /** Shape of one sample's label, e.g. {@code [10]} for one-hot over 10 classes. */
    long[] labelShape();

    /**
     * Writes the sample {@code batch.sampleIndex(row)} into row {@code row} of the batch's
     * features and labels, for every row. Called on the training thread once per step.
     */
    void fill(Batch batch);
}
