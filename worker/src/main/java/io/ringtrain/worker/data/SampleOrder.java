package io.ringtrain.worker.data;

/**
 * The run's global sample order: epoch {@code e} visits the dataset in a permutation drawn from
 * {@code (seed, e)}, and the sample at global position {@code p} (the number of samples consumed
 * before it) is {@code permutation(p / size)[p % size]}. A global batch may straddle two epochs.
 *
 * <p>The order depends only on the seed and the dataset size, never on the world size: that is
 * what makes every rank agree on the step's samples without talking to each other.
 */
public final class SampleOrder {
    private final long seed;
    private final int datasetSize;
    // Two cached epochs: a batch that straddles an epoch boundary needs both.
    private final long[] cachedEpochs = {-1, -1};
    private final int[][] cachedPermutations = new int[2][];

    public SampleOrder(long seed, long datasetSize) {
        if (datasetSize < 1 || datasetSize > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "dataset size must be in [1, " + Integer.MAX_VALUE + "], was " + datasetSize);
        }
        this.seed = seed;
        this.datasetSize = (int) datasetSize;
    }

    public long datasetSize() {
        return datasetSize;
    }

    /** Dataset index of the sample at global position {@code position} (0-based). */
    public long sampleAt(long position) {
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0, was " + position);
        }
        return permutation(position / datasetSize)[(int) (position % datasetSize)];
    }

    /** Writes the dataset indices of positions {@code first .. first+count-1} into {@code out[0..count)}. */
    public void fill(long first, long[] out, int count) {
        for (int i = 0; i < count; i++) {
            out[i] = sampleAt(first + i);
        }
    }

    private int[] permutation(long epoch) {
        for (int slot = 0; slot < 2; slot++) {
            if (cachedEpochs[slot] == epoch) {
                return cachedPermutations[slot];
            }
        }
        final int slot = epoch % 2 == 0 ? 0 : 1;
        cachedPermutations[slot] = shuffled(epoch);
        cachedEpochs[slot] = epoch;
        return cachedPermutations[slot];
    }

    private int[] shuffled(long epoch) {
        final int[] permutation = new int[datasetSize];
        for (int i = 0; i < datasetSize; i++) {
            permutation[i] = i;
        }
        final DeterministicRandom random = DeterministicRandom.forPurpose(seed, "sample-order", epoch);
        for (int i = datasetSize - 1; i > 0; i--) {
            final int j = random.nextInt(i + 1);
            final int t = permutation[i];
            permutation[i] = permutation[j];
            permutation[j] = t;
        }
        return permutation;
    }
}
