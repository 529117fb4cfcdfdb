package io.ringtrain.worker.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Both optimizers against straightforward scalar reference implementations, in float64. */
class OptimizerTest {
    private static final int N = 37;
    private static final int STEPS = 6;

    @Test
    void sgdWithMomentumAndWeightDecayMatchesTheReference() {
        final Sgd sgd = new Sgd(0.1, 0.9, 0.01);
        final Random random = new Random(1);
        final double[] p = randomVector(random);
        final double[] v = new double[N];
        final Buffers b = new Buffers(p, sgd.slotNames().size());
        for (int step = 1; step <= STEPS; step++) {
            final double[] g = randomVector(random);
            b.gradients.assign(Nd4j.createFromArray(g));
            sgd.update(b.asOptimizerBuffers(), step);
            for (int i = 0; i < N; i++) {
                final double decayed = g[i] + 0.01 * p[i];
                v[i] = 0.9 * v[i] + decayed;
                p[i] -= 0.1 * v[i];
            }
            assertClose(p, b.parameters, "parameters after step " + step);
            assertClose(v, b.slots.get(0), "velocity after step " + step);
        }
    }

    @Test
    void plainSgdHasNoSlots() {
        final Sgd sgd = new Sgd(0.5, 0, 0);
        assertEquals(List.of(), sgd.slotNames());
        final Buffers b = new Buffers(new double[N], 0);
        b.gradients.assign(2);
        sgd.update(b.asOptimizerBuffers(), 1);
        assertEquals(-1.0, b.parameters.getDouble(5), 0);
    }

    @Test
    void adamWithBiasCorrectionMatchesTheReference() {
        final Adam adam = new Adam(0.01, 0.9, 0.999, 1e-8);
        final Random random = new Random(2);
        final double[] p = randomVector(random);
        final double[] m = new double[N];
        final double[] v = new double[N];
        final Buffers b = new Buffers(p, adam.slotNames().size());
        for (int step = 1; step <= STEPS; step++) {
            final double[] g = randomVector(random);
            b.gradients.assign(Nd4j.createFromArray(g));
            adam.update(b.asOptimizerBuffers(), step);
            for (int i = 0; i < N; i++) {
                m[i] = 0.9 * m[i] + 0.1 * g[i];
                v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
                final double mHat = m[i] / (1 - Math.pow(0.9, step));
                final double vHat = v[i] / (1 - Math.pow(0.999, step));
                p[i] -= 0.01 * mHat / (Math.sqrt(vHat) + 1e-8);
            }
            assertClose(p, b.parameters, "parameters after step " + step);
            assertClose(m, b.slots.get(0), "m after step " + step);
            assertClose(v, b.slots.get(1), "v after step " + step);
        }
    }

    @Test
    void firstAdamStepMovesEachParameterByAboutTheLearningRate() {
        final Adam adam = Adam.withLearningRate(0.01);
        final Buffers b = new Buffers(new double[N], 2);
        b.gradients.assign(Nd4j.createFromArray(randomVector(new Random(3))));
        adam.update(b.asOptimizerBuffers(), 1);
        // Bias correction makes step 1 equal to lr * sign(g); without it the step would be ~0.3 * lr.
        assertEquals(0.01, b.parameters.amaxNumber().doubleValue(), 1e-6);
    }

    @Test
    void optimizersByNameAndBadHyperParameters() {
        assertEquals("adam", Optimizer.byName("Adam").name());
        assertEquals(List.of("velocity"), Optimizer.byName("sgd").slotNames());
        final var e = assertThrows(IllegalArgumentException.class, () -> Optimizer.byName("rmsprop"));
        assertTrue(e.getMessage().contains("[adam, sgd]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Sgd(0, 0.9, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(0.1, 1.0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Adam(0.1, 0.9, 1.0, 1e-8));
        assertThrows(IllegalArgumentException.class, () -> Adam.withLearningRate(0.1).update(
                new Buffers(new double[N], 2).asOptimizerBuffers(), 0));
    }

    private static double[] randomVector(Random random) {
        final double[] x = new double[N];
        for (int i = 0; i < N; i++) {
            x[i] = random.nextGaussian();
        }
        return x;
    }

    private static void assertClose(double[] expected, INDArray actual, String what) {
        for (int i = 0; i < N; i++) {
            assertEquals(expected[i], actual.getDouble(i), 1e-12 * Math.max(1, Math.abs(expected[i])), what + " [" + i + "]");
        }
    }

    private static final class Buffers {
        final INDArray parameters;
        final INDArray gradients = Nd4j.zeros(DataType.DOUBLE, N);
        final List<INDArray> slots = new ArrayList<>();
        final INDArray scratch = Nd4j.zeros(DataType.DOUBLE, N);

        Buffers(double[] initial, int slotCount) {
            parameters = Nd4j.createFromArray(initial.clone());
            for (int s = 0; s < slotCount; s++) {
                slots.add(Nd4j.zeros(DataType.DOUBLE, N));
            }
        }

        OptimizerBuffers asOptimizerBuffers() {
            return new OptimizerBuffers(parameters, gradients, slots, scratch);
        }
    }
}
