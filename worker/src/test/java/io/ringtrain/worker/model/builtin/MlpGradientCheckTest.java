package io.ringtrain.worker.model.builtin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.worker.model.ElementType;
import io.ringtrain.worker.model.ModelState;
import io.ringtrain.worker.model.ParameterSpec;
import io.ringtrain.worker.optim.Optimizers;
import io.ringtrain.worker.train.GradientSink;
import io.ringtrain.worker.train.GradientSum;
import io.ringtrain.worker.train.Replica;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The hand-written backward pass against central finite differences, all in float64. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MlpGradientCheckTest {
    private static final double STEP = 1e-6;

    @Test
    void backwardMatchesFiniteDifferencesForEveryParameterElement() {
        final MlpClassifier model = new MlpClassifier(new MlpClassifier.Config(7, 5, List.of(4, 3), 3, 4, 11, 4));
        // 7 samples on one rank: odd sizes catch transposition and broadcasting mistakes.
        final Replica replica = Replica.create(model, Optimizers.byName("sgd"), 7, 7, ElementType.FLOAT64);
        final ModelState state = replica.state();

        replica.computeGradientSum(GradientSink.NONE);
        final double[] analytic = state.flatGradients().dup().toDoubleVector();

        final INDArray flat = state.flatParameters();
        double worst = 0;
        for (int i = 0; i < flat.length(); i++) {
            final double original = flat.getDouble(i);
            flat.putScalar(i, original + STEP);
            final double plus = replica.computeGradientSum(GradientSink.NONE).lossSum();
            flat.putScalar(i, original - STEP);
            final double minus = replica.computeGradientSum(GradientSink.NONE).lossSum();
            flat.putScalar(i, original);
            final double numeric = (plus - minus) / (2 * STEP);
            final double error = Math.abs(numeric - analytic[i]) / Math.max(1e-3, Math.abs(numeric) + Math.abs(analytic[i]));
            worst = Math.max(worst, error);
            assertTrue(error < 1e-6, "parameter element " + i + " (" + nameOf(state, i) + "): analytic "
                    + analytic[i] + " vs numeric " + numeric);
        }
        assertTrue(worst < 1e-6, "worst relative error " + worst);
    }

    @Test
    void lossIsTheSumOverSamplesNotTheMean() {
        final MlpClassifier model = new MlpClassifier(new MlpClassifier.Config(3, 5, List.of(4), 3, 4, 8, 4));
        final Replica whole = Replica.create(model, Optimizers.byName("sgd"), 3, 8, ElementType.FLOAT64);
        final GradientSum all = whole.computeGradientSum(GradientSink.NONE);
        final double[] allGradients = whole.state().flatGradients().toDoubleVector();

        double lossOfHalves = 0;
        final double[] sumOfHalves = new double[allGradients.length];
        for (int rank = 0; rank < 2; rank++) {
            final Replica half = Replica.create(new MlpClassifier(model.config()), Optimizers.byName("sgd"), 3, 8, ElementType.FLOAT64);
            half.shard(rank, 2);
            lossOfHalves += half.computeGradientSum(GradientSink.NONE).lossSum();
            final double[] g = half.state().flatGradients().toDoubleVector();
            for (int i = 0; i < g.length; i++) {
                sumOfHalves[i] += g[i];
            }
        }
        assertEquals(all.lossSum(), lossOfHalves, 1e-12);
        for (int i = 0; i < allGradients.length; i++) {
            assertEquals(allGradients[i], sumOfHalves[i], 1e-12, "element " + i);
        }
    }

    private static String nameOf(ModelState state, long element) {
        long offset = 0;
        for (ParameterSpec p : state.parameterSpecs()) {
            if (element < offset + p.elementCount()) {
                return p.name() + "[" + (element - offset) + "]";
            }
            offset += p.elementCount();
        }
        return "?";
    }
}
