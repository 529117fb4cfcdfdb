package io.ringtrain.worker.model.builtin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.worker.model.ElementType;
import io.ringtrain.worker.optim.Optimizers;
import io.ringtrain.worker.train.Evaluation;
import io.ringtrain.worker.train.GradientSink;
import io.ringtrain.worker.train.Model;
import io.ringtrain.worker.train.ModelContext;
import io.ringtrain.worker.train.ModelOptions;
import io.ringtrain.worker.train.Replica;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The built-in SameDiff models at tiny sizes: their graphs' gradients (SameDiff's conv, pooling, layer norm, attention
 * and GELU backward passes in 1.0.0-M2.1, through the adapter) agree with finite differences, and they learn well
 * above chance on their held-out data.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SameDiffBuiltinsTest {
    private static final Logger LOG = LoggerFactory.getLogger(SameDiffBuiltinsTest.class);
    static final Map<String, String> TINY_CNN = Map.of("image-size", "8", "channels", "2", "blocks", "2", "dense", "8",
            "classes", "3", "held-out-samples", "64");
    static final Map<String, String> TINY_GPT = Map.of("vocab", "6", "seq", "5", "width", "8", "layers", "1", "heads", "2",
            "held-out-samples", "64");

    @Test
    void cnnGradientsAgreeWithFiniteDifferences() {
        checkGradients("cnn", TINY_CNN);
    }

    @Test
    void gptGradientsAgreeWithFiniteDifferences() {
        checkGradients("gpt", TINY_GPT);
    }

    @Test
    void cnnLearnsToClassifyHeldOutImagesFarAboveChance() {
        Evaluation after = train("cnn", Map.of("image-size", "12", "channels", "4", "blocks", "2", "dense", "32", "classes", "4",
                "held-out-samples", "256"), 120, 32, 0.01);
        assertTrue(after.accuracy() > 0.7, "held-out accuracy " + after.accuracy() + ", chance 0.25");
    }

    @Test
    void gptLearnsToPredictHeldOutTextFarBelowChancePerplexity() {
        Evaluation after = train("gpt", Map.of("vocab", "8", "seq", "8", "width", "16", "layers", "1", "heads", "2",
                "held-out-samples", "256"), 120, 32, 0.02);
        assertTrue(after.perplexity() < 0.7 * 8, "held-out perplexity " + after.perplexity() + ", chance 8");
    }

    @Test
    void optionsSizeTheModels() {
        assertEquals((9 * 1 * 2 + 2) + (9 * 2 * 4 + 4) + (4 * 2 * 2 * 8 + 8) + (8 * 3 + 3),
                parameters("cnn", TINY_CNN), "conv 1->2 and 2->4 channels, 8x8 halved twice, dense 8, 3 classes");
        long d = 8;
        assertEquals(6 * d + 5 * d + (12 * d * d + 13 * d) + 2 * d + d * 6 + 6, parameters("gpt", TINY_GPT));
    }

    private static long parameters(String name, Map<String, String> options) {
        Model model = ModelRegistry.create(name, ModelContext.of(1, ModelOptions.of(options)));
        return model.parameters().stream().mapToLong(p -> p.elementCount()).sum();
    }

    private static Evaluation train(String name, Map<String, String> options, int steps, int batch, double lr) {
        Model model = ModelRegistry.create(name, ModelContext.of(1, ModelOptions.of(options)));
        Replica replica = Replica.create(model, Optimizers.create("adam", lr, ModelOptions.none()), 1, batch);
        Evaluation before = replica.evaluate();
        long start = System.nanoTime();
        for (int step = 0; step < steps; step++) {
            replica.computeGradientSum(GradientSink.NONE);
            replica.applyGradientSum();
        }
        Evaluation after = replica.evaluate();
        LOG.info("{} ({} parameters): {} steps of {} in {} ms; held-out {} -> {}", name, replica.state().parameterCount(), steps,
                batch, (System.nanoTime() - start) / 1_000_000, before.metrics(), after.metrics());
        return after;
    }

    /** Central differences of the summed loss in float64, at 12 parameter elements drawn at random. */
    private static void checkGradients(String name, Map<String, String> options) {
        ModelContext context = new ModelContext(5, ModelOptions.of(options), ElementType.FLOAT64);
        Replica replica = Replica.create(ModelRegistry.create(name, context), Optimizers.byName("sgd"), 5, 5, ElementType.FLOAT64);
        replica.computeGradientSum(GradientSink.NONE);
        double[] analytic = replica.state().flatGradients().dup().toDoubleVector();
        INDArray flat = replica.state().flatParameters();
        Random random = new Random(11);
        for (int n = 0; n < 12; n++) {
            int i = random.nextInt((int) flat.length());
            double original = flat.getDouble(i);
            flat.putScalar(i, original + 1e-6);
            double plus = replica.computeGradientSum(GradientSink.NONE).lossSum();
            flat.putScalar(i, original - 1e-6);
            double minus = replica.computeGradientSum(GradientSink.NONE).lossSum();
            flat.putScalar(i, original);
            double numeric = (plus - minus) / 2e-6;
            double error = Math.abs(numeric - analytic[i]) / Math.max(1e-4, Math.abs(numeric) + Math.abs(analytic[i]));
            assertTrue(error < 1e-5, name + " element " + i + ": analytic " + analytic[i] + ", numeric " + numeric);
        }
    }
}
