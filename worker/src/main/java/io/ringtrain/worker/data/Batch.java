package io.ringtrain.worker.data;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * This rank's samples for one step: features {@code [n, featureShape...]}, labels
 * {@code [n, labelShape...]} and the global sample index of each row. Allocated once per shard
 * size and refilled every step, so the step loop allocates nothing.
 *
 * <p>Never empty: a rank whose share of the global batch is zero gets no batch at all.
 */
public final class Batch {
    private final long[] sampleIndices;
    private final INDArray features;
    private final INDArray labels;
    private final ByteBuffer featureBytes;
    private final ByteBuffer labelBytes;
    private final FloatBuffer featureFloats;
    private final FloatBuffer labelFloats;
    private final int featuresPerSample;
    private final int labelsPerSample;
    private final boolean doublePrecision;

    private Batch(int size, long[] featureShape, long[] labelShape, DataType dataType) {
        this.sampleIndices = new long[size];
        this.features = Nd4j.create(dataType, prepend(size, featureShape));
        this.labels = Nd4j.create(dataType, prepend(size, labelShape));
        this.featureBytes = features.data().asNio().order(ByteOrder.nativeOrder());
        this.labelBytes = labels.data().asNio().order(ByteOrder.nativeOrder());
        this.featureFloats = featureBytes.asFloatBuffer();
        this.labelFloats = labelBytes.asFloatBuffer();
        this.featuresPerSample = Math.toIntExact(product(featureShape));
        this.labelsPerSample = Math.toIntExact(product(labelShape));
        this.doublePrecision = dataType == DataType.DOUBLE;
    }

    /**
     * A batch of {@code size} rows for samples of the given shapes.
     *
     * @param dataType {@code FLOAT} for training, {@code DOUBLE} for gradient checks
     */
    public static Batch allocate(int size, long[] featureShape, long[] labelShape, DataType dataType) {
        if (size < 1) {
            throw new IllegalArgumentException("a batch needs at least one row, was " + size);
        }
        if (dataType != DataType.FLOAT && dataType != DataType.DOUBLE) {
            throw new IllegalArgumentException("batches are FLOAT or DOUBLE, was " + dataType);
        }
        return new Batch(size, featureShape.clone(), labelShape.clone(), dataType);
    }

    /** A batch holding the given samples of {@code dataset}, e.g. a whole held-out split. */
    public static Batch of(Dataset dataset, long[] sampleIndices, DataType dataType) {
        final Batch batch = allocate(sampleIndices.length, dataset.featureShape(), dataset.labelShape(), dataType);
        batch.setSampleIndices(sampleIndices, 0);
        dataset.fill(batch);
        return batch;
    }

    public int size() {
        return sampleIndices.length;
    }

    /** Global index (into the {@link Dataset}) of the sample in row {@code row}. */
    public long sampleIndex(int row) {
        return sampleIndices[row];
    }

    /** {@code [n, featureShape...]}, row-major; valid until the next step refills it. */
    public INDArray features() {
        return features;
    }

    /** {@code [n, labelShape...]}, row-major; valid until the next step refills it. */
    public INDArray labels() {
        return labels;
    }

    /** Copies one sample's features (row-major, {@code product(featureShape)} values). */
    public void putFeatures(int row, float[] source, int sourceOffset) {
        put(featureBytes, featureFloats, row, featuresPerSample, source, sourceOffset);
    }

    /** Copies one sample's label (row-major, {@code product(labelShape)} values). */
    public void putLabels(int row, float[] source, int sourceOffset) {
        put(labelBytes, labelFloats, row, labelsPerSample, source, sourceOffset);
    }

    /** Sets row {@code row}'s label to the one-hot vector of {@code classIndex}. */
    public void putOneHot(int row, int classIndex) {
        if (classIndex < 0 || classIndex >= labelsPerSample) {
            throw new IllegalArgumentException(
                    "class " + classIndex + " is outside the label width " + labelsPerSample);
        }
        for (int i = 0; i < labelsPerSample; i++) {
            putValue(labelBytes, (long) row * labelsPerSample + i, i == classIndex ? 1f : 0f);
        }
    }

    void setSampleIndices(long[] source, int sourceOffset) {
        System.arraycopy(source, sourceOffset, sampleIndices, 0, sampleIndices.length);
    }

    private void put(ByteBuffer target, FloatBuffer targetFloats, int row, int width, float[] source, int sourceOffset) {
        if (row < 0 || row >= sampleIndices.length) {
            throw new IndexOutOfBoundsException("row " + row + " of a batch of " + sampleIndices.length);
        }
        final long base = (long) row * width;
        if (!doublePrecision) {
            targetFloats.put(Math.toIntExact(base), source, sourceOffset, width);
            return;
        }
        for (int i = 0; i < width; i++) {
            putValue(target, base + i, source[sourceOffset + i]);
        }
    }

    private void putValue(ByteBuffer target, long element, float value) {
        if (doublePrecision) {
            target.putDouble(Math.toIntExact(element * Double.BYTES), value);
        } else {
            target.putFloat(Math.toIntExact(element * Float.BYTES), value);
        }
    }

    private static long[] prepend(long first, long[] rest) {
        final long[] shape = new long[rest.length + 1];
        shape[0] = first;
        System.arraycopy(rest, 0, shape, 1, rest.length);
        return shape;
    }

    static long product(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 1) {
                throw new IllegalArgumentException("shape dimensions must be positive: " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
