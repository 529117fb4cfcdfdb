package io.ringtrain.worker.session;

import io.ringtrain.worker.data.Batch;
import io.ringtrain.worker.data.Dataset;
import io.ringtrain.worker.model.Initializer;
import io.ringtrain.worker.model.ParameterSpec;
import io.ringtrain.worker.train.Gradients;
import io.ringtrain.worker.train.Model;
import io.ringtrain.worker.train.ModelContext;
import io.ringtrain.worker.train.ModelProvider;
import io.ringtrain.worker.train.Parameters;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a user writes to train their own model with hand-written gradients: a {@link Model} and a
 * {@link ModelProvider}, nothing about actors, networks or optimizers. Least squares y = x·w + b on data generated
 * from the seed; {@code -O samples=N} sizes the dataset.
 */
public final class LinearRegression implements Model {
    static final int FEATURES = 8;

    private final Dataset data;

    LinearRegression(long seed, int samples) {
        this.data = new LinearData(seed, samples);
    }

    /** Registered in META-INF/services of the test class path. */
    public static final class Provider implements ModelProvider {
        @Override
        public String name() {
            return "linear-test";
        }

        @Override
        public Model create(ModelContext context) {
            return new LinearRegression(context.seed(), context.options().integer("samples", 4096, 1, 1 << 20));
        }
    }

    @Override
    public List<ParameterSpec> parameters() {
        return List.of(ParameterSpec.of("w", Initializer.zeros(), FEATURES, 1), ParameterSpec.of("b", Initializer.zeros(), 1));
    }

    @Override
    public Dataset trainingData() {
        return data;
    }

    @Override
    public double gradientSum(Parameters parameters, Batch batch, Gradients gradients) {
        INDArray x = batch.features();
        INDArray error = x.mmul(parameters.get("w")).addi(parameters.get("b").getDouble(0)).subi(batch.labels());
        // d/dw sum(e^2)/2 = x^T e ; d/db = sum(e)
        x.transpose().mmuli(error, gradients.get("w"));
        gradients.get("b").putScalar(0, error.sumNumber().doubleValue());
        return error.mul(error).sumNumber().doubleValue() / 2;
    }

    /** y = x·w* + 0.5 with w* = (1, 2, ..., 8) / 8, x ~ N(0, 1) from (seed, index). */
    static final class LinearData implements Dataset {
        private final long seed;
        private final int samples;

        LinearData(long seed, int samples) {
            this.seed = seed;
            this.samples = samples;
        }

        @Override
        public long size() {
            return samples;
        }

        @Override
        public long[] featureShape() {
            return new long[] {FEATURES};
        }

        @Override
        public long[] labelShape() {
            return new long[] {1};
        }

        @Override
        public void fill(Batch batch) {
            float[] x = new float[FEATURES];
            for (int row = 0; row < batch.size(); row++) {
                Random random = new Random(seed * 1_000_003L + batch.sampleIndex(row));
                double y = 0.5;
                for (int j = 0; j < FEATURES; j++) {
                    x[j] = (float) random.nextGaussian();
                    y += x[j] * (j + 1) / 8.0;
                }
                batch.putFeatures(row, x, 0);
                batch.putLabels(row, new float[] {(float) y}, 0);
            }
        }
    }
}
