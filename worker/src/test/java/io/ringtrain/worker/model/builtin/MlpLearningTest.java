package io.ringtrain.worker.model.builtin;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.worker.optim.Optimizers;
import io.ringtrain.worker.train.Evaluation;
import io.ringtrain.worker.train.GradientSink;
import io.ringtrain.worker.train.Replica;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The built-in example must really learn within the default budget of `ringtrain local`. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MlpLearningTest {
    private static final Logger LOG = LoggerFactory.getLogger(MlpLearningTest.class);
    private static final int STEPS = 300;
    private static final int GLOBAL_BATCH = 256;

    @ParameterizedTest
    @ValueSource(strings = {"adam", "sgd"})
    void defaultMlpReachesEightyPercentHeldOutAccuracyInThreeHundredSteps(String optimizer) {
        final Replica replica = Replica.create(
                ModelRegistry.create(ModelRegistry.DEFAULT_MODEL, 1), Optimizers.byName(optimizer), 1, GLOBAL_BATCH);
        final Evaluation before = replica.evaluate();

        double firstLoss = 0;
        double lastLoss = 0;
        final long start = System.nanoTime();
        for (int step = 0; step < STEPS; step++) {
            final double meanLoss = replica.computeGradientSum(GradientSink.NONE).lossSum() / GLOBAL_BATCH;
            replica.applyGradientSum();
            firstLoss = step == 0 ? meanLoss : firstLoss;
            lastLoss = meanLoss;
        }
        final double millisPerStep = (System.nanoTime() - start) / 1e6 / STEPS;
        final Evaluation after = replica.evaluate();

        LOG.info("{}: {} steps of {} samples, {} ms/step; train loss {} -> {}; held-out accuracy {} -> {} (loss {})",
                optimizer, STEPS, GLOBAL_BATCH, String.format("%.2f", millisPerStep),
                String.format("%.3f", firstLoss), String.format("%.3f", lastLoss),
                String.format("%.3f", before.accuracy()), String.format("%.3f", after.accuracy()),
                String.format("%.3f", after.meanLoss()));
        assertTrue(before.accuracy() < 0.35, "an untrained model should be near chance, was " + before.accuracy());
        assertTrue(after.accuracy() >= 0.80, optimizer + " held-out accuracy " + after.accuracy() + " < 0.80");
        assertTrue(lastLoss < firstLoss / 2, "training loss should fall: " + firstLoss + " -> " + lastLoss);
    }
}
