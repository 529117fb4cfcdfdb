package io.ringtrain.worker.data;

/**
 * Where the run is in the data: samples consumed so far (the global position of the next step's
 * first sample), and the same as epoch + offset in that epoch. Saved with every checkpoint;
 * {@code samplesConsumed} alone determines the rest for a given dataset size.
 */
public record DataPosition(long samplesConsumed, long epoch, long sampleInEpoch) {

    public DataPosition {
        if (samplesConsumed < 0 || epoch < 0 || sampleInEpoch < 0) {
            throw new IllegalArgumentException("data position fields must be >= 0: samplesConsumed="
                    + samplesConsumed + ", epoch=" + epoch + ", sampleInEpoch=" + sampleInEpoch);
        }
    }

    /** Position of a fresh run. */
    public static DataPosition start() {
        return new DataPosition(0, 0, 0);
    }

    public static DataPosition at(long samplesConsumed, long datasetSize) {
        if (datasetSize < 1) {
            throw new IllegalArgumentException("dataset size must be >= 1, was " + datasetSize);
        }
        return new DataPosition(samplesConsumed, samplesConsumed / datasetSize, samplesConsumed % datasetSize);
    }

    /** Position after one more global batch of {@code globalBatch} samples. */
    public DataPosition advance(int globalBatch, long datasetSize) {
        return at(Math.addExact(samplesConsumed, globalBatch), datasetSize);
    }
}
