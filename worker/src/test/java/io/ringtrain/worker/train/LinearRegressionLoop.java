package io.ringtrain.worker.train;

import io.ringtrain.worker.data.Batch;
import io.ringtrain.worker.data.Dataset;
import io.ringtrain.worker.data.DeterministicRandom;
import io.ringtrain.worker.model.Initializer;
import io.ringtrain.worker.model.ParameterSpec;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A user's minimal custom loop: least squares {@code y ~ x w + b} on a seeded dataset, written
 * against the public API only. It never reports gradients early, and counts its calls.
 */
final class LinearRegressionLoop implements Model {
    static final float[] TRUE_WEIGHTS = {2f, -1f, 0.5f};
    static final float TRUE_BIAS = 0.25f;

    private final Dataset data;
    int calls;
    boolean reportTwice;
    boolean failAfterReportingW;
    /** The usual convention elsewhere, and the mistake {@code SumCheck} catches. */
    boolean returnMeans;
    boolean returnMeanLoss;

    LinearRegressionLoop(int samples) {
        this.data = new LinearData(samples);
    }

    @Override
    public List<ParameterSpec> parameters() {
        return List.of(ParameterSpec.of("w", Initializer.normal(0.1), 3, 1), ParameterSpec.of("b", Initializer.zeros(), 1));
    }

    @Override
    public Dataset trainingData() {
        return data;
    }

    @Override
    public double gradientSum(Parameters p, Batch batch, Gradients g) {
        calls++;
        final INDArray residual = batch.features().mmul(p.get("w")).addiRowVector(p.get("b")).subi(batch.labels());
        Nd4j.gemm(batch.features(), residual, g.get("w"), true, false, 1.0, 0.0);
        residual.sum(g.get("b"), 0);
        if (failAfterReportingW) {
            g.ready("w");
            throw new IllegalStateException("backward failed");
        }
        if (reportTwice) {
            g.ready("b");
            g.ready("b");
        }
        if (returnMeans) {
            g.get("w").divi(batch.size());
            g.get("b").divi(batch.size());
        }
        final double loss = 0.5 * residual.mul(residual).sumNumber().doubleValue();
        return returnMeanLoss ? loss / batch.size() : loss;
    }

    private static final class LinearData implements Dataset {
        private final int samples;

        LinearData(int samples) {
            this.samples = samples;
        }

        @Override
        public long size() {
            return samples;
        }

        @Override
        public long[] featureShape() {
            return new long[] {3};
        }

        @Override
        public long[] labelShape() {
            return new long[] {1};
        }

        @Override
        public void fill(Batch batch) {
            final float[] x = new float[3];
            final float[] y = new float[1];
            for (int row = 0; row < batch.size(); row++) {
                final DeterministicRandom random = DeterministicRandom.forPurpose(11, "linear", batch.sampleIndex(row));
                y[0] = TRUE_BIAS;
                for (int i = 0; i < 3; i++) {
                    x[i] = (float) random.nextGaussian();
                    y[0] += TRUE_WEIGHTS[i] * x[i];
                }
                batch.putFeatures(row, x, 0);
                batch.putLabels(row, y, 0);
            }
        }
    }
}
