package io.ringtrain.worker.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.worker.train.ModelOptions;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J's optimizers as ringtrain binds them (state in one flat array the replica checkpoints), against scalar
 * reference implementations in float64; gradient clipping, decoupled weight decay, schedules, and the registry.
 */
class OptimizerTest {
    private static final int N = 37;
    private static final int STEPS = 6;

    @Test
    void sgdIsNesterovMomentumAndItsVelocityLivesInTheBoundState() {
        Optimizer sgd = Optimizers.create("sgd", 0.1, options("optim.momentum", "0.9"));
        assertEquals(List.of("v"), sgd.slotNames());
        Random random = new Random(1);
        double[] p = randomVector(random);
        double[] v = new double[N];
        Arrays a = new Arrays(p, 1);
        Optimizer.Bound bound = sgd.bind(a.parameters, a.gradients, a.state, true);
        for (int step = 1; step <= STEPS; step++) {
            double[] g = randomVector(random);
            a.gradients.assign(Nd4j.createFromArray(g));
            bound.step(step, 0);
            for (int i = 0; i < N; i++) {
                double previous = v[i];
                v[i] = 0.9 * v[i] - 0.1 * g[i];
                p[i] -= 0.9 * previous - 1.9 * v[i];
            }
            assertClose(p, a.parameters, "parameters after step " + step);
            assertClose(v, a.state, "velocity after step " + step);
        }
    }

    @Test
    void sgdWithoutMomentumHasNoState() {
        Optimizer plain = Optimizers.create("sgd", 0.5, options("optim.momentum", "0"));
        assertEquals(List.of(), plain.slotNames());
        Arrays a = new Arrays(new double[N], 0);
        a.gradients.assign(2);
        plain.bind(a.parameters, a.gradients, null, true).step(1, 0);
        assertEquals(-1.0, a.parameters.getDouble(5), 0);
    }

    @Test
    void adamMatchesTheBiasCorrectedReferenceWithMThenVInItsState() {
        Optimizer adam = Optimizers.create("adam", 0.01, ModelOptions.none());
        assertEquals(List.of("m", "v"), adam.slotNames(), "the slot order the state arena (and old checkpoints) use");
        Random random = new Random(2);
        double[] p = randomVector(random);
        double[] m = new double[N];
        double[] v = new double[N];
        Arrays a = new Arrays(p, 2);
        Optimizer.Bound bound = adam.bind(a.parameters, a.gradients, a.state, true);
        for (int step = 1; step <= STEPS; step++) {
            double[] g = randomVector(random);
            a.gradients.assign(Nd4j.createFromArray(g));
            bound.step(step, 0);
            double alpha = 0.01 * Math.sqrt(1 - Math.pow(0.999, step)) / (1 - Math.pow(0.9, step));
            for (int i = 0; i < N; i++) {
                m[i] = 0.9 * m[i] + 0.1 * g[i];
                v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
                p[i] -= alpha * m[i] / (Math.sqrt(v[i]) + 1e-8);
            }
            assertClose(p, a.parameters, "parameters after step " + step);
            assertClose(m, a.state.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, N)), "m after step " + step);
            assertClose(v, a.state.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(N, 2 * N)), "v after step " + step);
        }
    }

    @Test
    void adamwDecaysTheWeightsByLrTimesDecayBesideAdamsUpdate() {
        double[] start = randomVector(new Random(3));
        double[] g = randomVector(new Random(4));
        Arrays plain = new Arrays(start, 2);
        Arrays decayed = new Arrays(start, 2);
        plain.gradients.assign(Nd4j.createFromArray(g));
        decayed.gradients.assign(Nd4j.createFromArray(g));
        Optimizers.create("adam", 0.01, ModelOptions.none()).bind(plain.parameters, plain.gradients, plain.state, true).step(1, 0);
        Optimizer adamw = Optimizers.create("adamw", 0.01, options("optim.weight-decay", "0.1"));
        adamw.bind(decayed.parameters, decayed.gradients, decayed.state, true).step(1, 0);
        for (int i = 0; i < N; i++) {
            assertEquals(plain.parameters.getDouble(i) - 0.01 * 0.1 * start[i], decayed.parameters.getDouble(i), 1e-12, "element " + i);
        }
    }

    @Test
    void clippingScalesTheGradientDownToTheGlobalNormOnlyWhenItIsLarger() {
        Optimizer clipped = Optimizers.create("sgd", 1.0, options("optim.momentum", "0", "optim.clip-norm", "1"));
        Arrays big = new Arrays(new double[N], 0);
        big.gradients.assign(10.0 / Math.sqrt(N)); // global norm 10
        assertEquals(10.0, clipped.bind(big.parameters, big.gradients, null, true).step(1, 0), 1e-9);
        assertEquals(-1.0 / Math.sqrt(N), big.parameters.getDouble(0), 1e-12, "the step has norm 1, not 10");

        Arrays small = new Arrays(new double[N], 0);
        small.gradients.assign(0.1 / Math.sqrt(N));
        clipped.bind(small.parameters, small.gradients, null, true).step(1, 0);
        assertEquals(-0.1 / Math.sqrt(N), small.parameters.getDouble(0), 1e-12, "a gradient under the norm is untouched");
    }

    @Test
    void schedulesAndWarmupSetTheLearningRateByStep() {
        Optimizer stepped = Optimizers.create("sgd", 0.4, options("optim.schedule", "step:0.5:2"));
        assertEquals(List.of(0.4, 0.4, 0.2, 0.2, 0.1), List.of(stepped.learningRate(1, 0), stepped.learningRate(2, 0),
                stepped.learningRate(3, 0), stepped.learningRate(4, 0), stepped.learningRate(5, 0)));
        Optimizer warm = Optimizers.create("adam", 0.4, options("optim.warmup", "4"));
        assertEquals(0.1, warm.learningRate(1, 0), 1e-12);
        assertEquals(0.4, warm.learningRate(4, 0), 1e-12);
        assertEquals(0.4, warm.learningRate(100, 0), 1e-12);
        Optimizer decaying = Optimizers.create("sgd", 1.0, options("optim.schedule", "exponential:0.5"));
        assertEquals(0.25, decaying.learningRate(3, 0), 1e-12);
    }

    @Test
    void theRegistryNamesEachOptimizerItsStateAndRefusesWhatItDoesNotKnow() {
        assertEquals(List.of("sgd", "adam", "adamw", "adamax", "amsgrad", "rmsprop", "adagrad"), Optimizers.names());
        assertEquals(List.of("m", "v", "v-hat"), Optimizers.byName("amsgrad").slotNames());
        assertEquals(List.of("g"), Optimizers.byName("rmsprop").slotNames());
        assertEquals(List.of("grad"), Optimizers.byName("adagrad").slotNames());
        assertEquals(0.003, Optimizers.defaultLearningRate("adam"));

        var unknown = assertThrows(IllegalArgumentException.class, () -> Optimizers.byName("nadam"));
        assertTrue(unknown.getMessage().contains("unknown optimizer 'nadam'; known optimizers: sgd, adam"), unknown.getMessage());
        var schedule = assertThrows(IllegalArgumentException.class,
                () -> Optimizers.create("sgd", 0.1, options("optim.schedule", "cosine")));
        assertTrue(schedule.getMessage().contains("optim.schedule=cosine is not a schedule; use one of: fixed,"), schedule.getMessage());
        var arguments = assertThrows(IllegalArgumentException.class,
                () -> Optimizers.create("sgd", 0.1, options("optim.schedule", "step:0.5")));
        assertTrue(arguments.getMessage().contains("needs 2 number(s) after 'step'"), arguments.getMessage());

        ModelOptions adamOnly = options("optim.beta1", "0.8");
        Optimizers.create("sgd", 0.1, adamOnly);
        var unread = assertThrows(IllegalArgumentException.class, () -> adamOnly.requireAllRead("optimizer sgd"));
        assertTrue(unread.getMessage().contains("-O {optim.beta1=0.8}: not an option of optimizer sgd"), unread.getMessage());
    }

    private static ModelOptions options(String... keyValues) {
        Map<String, String> m = new java.util.HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return ModelOptions.of(m);
    }

    private static double[] randomVector(Random random) {
        double[] x = new double[N];
        for (int i = 0; i < N; i++) {
            x[i] = random.nextGaussian();
        }
        return x;
    }

    private static void assertClose(double[] expected, INDArray actual, String what) {
        for (int i = 0; i < N; i++) {
            assertEquals(expected[i], actual.getDouble(i), 1e-10 * Math.max(1, Math.abs(expected[i])), what + " [" + i + "]");
        }
    }

    /** Parameters, gradients and state as a replica binds them: 1-D float64 arrays, the state slots back to back. */
    private static final class Arrays {
        final INDArray parameters;
        final INDArray gradients = Nd4j.zeros(DataType.DOUBLE, N);
        final INDArray state;

        Arrays(double[] initial, int slots) {
            parameters = Nd4j.createFromArray(initial.clone());
            state = slots == 0 ? null : Nd4j.zeros(DataType.DOUBLE, (long) slots * N);
        }
    }
}
