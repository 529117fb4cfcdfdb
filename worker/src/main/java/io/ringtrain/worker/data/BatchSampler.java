package io.ringtrain.worker.data;

/**
 * Fills a rank's {@link Batch} for a step: the global batch of step {@code s} is the
 * {@code B} samples at global positions {@code [position, position + B)} of the
 * {@link SampleOrder}, and this rank takes its {@link BatchShard} of them.
 */
public final class BatchSampler {
    private final Dataset dataset;
    private final SampleOrder order;
    private long[] indices = new long[0];

    public BatchSampler(Dataset dataset, long seed) {
        this.dataset = dataset;
        this.order = new SampleOrder(seed, dataset.size());
    }

    public Dataset dataset() {
        return dataset;
    }

    /** Writes the shard's samples of the global batch that starts at {@code position} into {@code batch}. */
    public void fill(DataPosition position, BatchShard shard, Batch batch) {
        if (batch.size() != shard.size()) {
            throw new IllegalArgumentException(
                    "batch has " + batch.size() + " rows but the shard has " + shard.size() + " samples");
        }
        if (indices.length < shard.size()) {
            indices = new long[shard.size()];
        }
        order.fill(position.samplesConsumed() + shard.from(), indices, shard.size());
        batch.setSampleIndices(indices, 0);
        dataset.fill(batch);
    }
}
