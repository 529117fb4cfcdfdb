package io.ringtrain.worker.data;

/**
 * The contiguous part {@code [from, to)} of a global batch of {@code B} samples that rank
 * {@code r} of {@code W} computes: {@code from = floor(B*r/W)}, {@code to = floor(B*(r+1)/W)}.
 *
 * <p>The shards of all ranks tile {@code [0, B)} exactly, whatever {@code W}; sizes differ by at
 * most one when {@code B} is not divisible by {@code W}, and some ranks get an empty shard when
 * {@code W > B}.
 */
public record BatchShard(int globalBatch, int rank, int worldSize, int from, int to) {

    public BatchShard {
        if (globalBatch < 1) {
            throw new IllegalArgumentException("global batch must be >= 1, was " + globalBatch);
        }
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException(
                    "rank must be in [0, worldSize) with worldSize >= 1, was rank " + rank + " of " + worldSize);
        }
        if (from != start(globalBatch, rank, worldSize) || to != start(globalBatch, rank + 1, worldSize)) {
            throw new IllegalArgumentException("shard bounds [" + from + ", " + to + ") do not match rank "
                    + rank + " of " + worldSize + " for global batch " + globalBatch + ": use BatchShard.of");
        }
    }

    public static BatchShard of(int globalBatch, int rank, int worldSize) {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new IllegalArgumentException(
                    "rank must be in [0, worldSize) with worldSize >= 1, was rank " + rank + " of " + worldSize);
        }
        return new BatchShard(globalBatch, rank, worldSize,
                start(globalBatch, rank, worldSize), start(globalBatch, rank + 1, worldSize));
    }

    /** Samples this rank computes in a step; may be 0. */
    public int size() {
        return to - from;
    }

    public boolean isEmpty() {
        return from == to;
    }

    private static int start(int globalBatch, int rank, int worldSize) {
        return (int) ((long) globalBatch * rank / worldSize);
    }
}
