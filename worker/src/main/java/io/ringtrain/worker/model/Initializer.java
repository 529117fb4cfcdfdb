package io.ringtrain.worker.model;

import io.ringtrain.worker.data.DeterministicRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Draws a parameter's initial values. Each parameter gets its own random stream keyed by the
 * run's seed and the parameter's name, so every worker starts from identical parameters and
 * adding a parameter does not change the others.
 */
@FunctionalInterface
public interface Initializer {

    /** Fills {@code values} (row-major, one entry per element of {@code shape}). */
    void fill(double[] values, long[] shape, DeterministicRandom random);

    /**
     * Sets a parameter's view in the state arena. By default through {@link #fill} on the heap; an initializer that
     * already holds the values (a SameDiff graph's) assigns them directly, with no heap copy of a large tensor.
     */
    default void initialize(INDArray parameter, DeterministicRandom random) {
        final double[] values = new double[Math.toIntExact(parameter.length())];
        fill(values, parameter.shape(), random);
        parameter.assign(Nd4j.createFromArray(values).reshape(parameter.shape()));
    }

    static Initializer zeros() {
        return (values, shape, random) -> java.util.Arrays.fill(values, 0.0);
    }

    static Initializer constant(double value) {
        return (values, shape, random) -> java.util.Arrays.fill(values, value);
    }

    /** Gaussian with mean 0 and the given standard deviation. */
    static Initializer normal(double standardDeviation) {
        return (values, shape, random) -> {
            for (int i = 0; i < values.length; i++) {
                values[i] = random.nextGaussian() * standardDeviation;
            }
        };
    }

    /**
     * He (Kaiming) normal for ReLU layers: standard deviation {@code sqrt(2 / fanIn)}, where
     * {@code fanIn} is the product of all dimensions but the last (weights are {@code [in, out]}).
     */
    static Initializer heNormal() {
        return (values, shape, random) -> normal(Math.sqrt(2.0 / fanIn(shape))).fill(values, shape, random);
    }

    /** Glorot (Xavier) uniform: {@code U(-a, a)} with {@code a = sqrt(6 / (fanIn + fanOut))}. */
    static Initializer glorotUniform() {
        return (values, shape, random) -> {
            final double limit = Math.sqrt(6.0 / (fanIn(shape) + shape[shape.length - 1]));
            for (int i = 0; i < values.length; i++) {
                values[i] = (2 * random.nextDouble() - 1) * limit;
            }
        };
    }

    private static long fanIn(long[] shape) {
        long fanIn = 1;
        for (int i = 0; i < shape.length - 1; i++) {
            fanIn *= shape[i];
        }
        return shape.length == 1 ? shape[0] : fanIn;
    }
}
