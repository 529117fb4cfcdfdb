package io.ringtrain.worker.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.worker.model.ParameterDifference;
import io.ringtrain.worker.model.builtin.ModelRegistry;
import io.ringtrain.worker.optim.Optimizers;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Models through the adapters (a user's SameDiff graph, the built-in SameDiff families at tiny sizes, a user's DL4J
 * MultiLayerNetwork and ComputationGraph) end within 1e-5 of each other on 1, 2 and 4 ranks: each adapter hands the
 * all-reduce the sum of per-sample gradients, so the update is the global batch's mean gradient whatever the world
 * size. Ranks are in one process (sums in rank order, as {@link SimulatedRing} does).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AdaptedModelsWorldSizeTest {
    private static final Logger LOG = LoggerFactory.getLogger(AdaptedModelsWorldSizeTest.class);
    private static final double TOLERANCE = 1e-5;
    private static final int STEPS = 6;
    private static final int GLOBAL_BATCH = 30; // 2 and 4 ranks get unequal shares

    @ParameterizedTest
    @CsvSource({"samediff-test, adam", "cnn, sgd", "gpt, adamw", "dl4j-test, rmsprop", "dl4j-graph-test, sgd"})
    void parametersAfterTrainingDoNotDependOnWorldSize(String model, String optimizer) {
        float[] one = train(model, optimizer, 1);
        for (int worldSize : new int[] {2, 4}) {
            float[] many = train(model, optimizer, worldSize);
            double error = ParameterDifference.maxRelative(one, many);
            LOG.info("{} ({}): W={} vs W=1 after {} steps of B={}: max|a-b|/max|a| = {}", model, optimizer, worldSize, STEPS,
                    GLOBAL_BATCH, error);
            assertTrue(error <= TOLERANCE, model + ": W=" + worldSize + " differs from W=1 by " + error);
        }
    }

    /** Tiny sizes: the property does not depend on them, and seven replicas per family must build quickly. */
    private static final Map<String, Map<String, String>> TINY = Map.of(
            "samediff-test", Map.of(),
            "dl4j-test", Map.of(),
            "dl4j-graph-test", Map.of(),
            "cnn", Map.of("image-size", "8", "channels", "2", "blocks", "2", "dense", "8", "classes", "3", "held-out-samples", "1"),
            "gpt", Map.of("vocab", "6", "seq", "5", "width", "8", "layers", "1", "heads", "2", "held-out-samples", "1"));

    static float[] train(String model, String optimizer, int worldSize) {
        ModelOptions tiny = ModelOptions.of(TINY.get(model));
        SimulatedRing ring = new SimulatedRing(worldSize, () -> ModelRegistry.create(model, ModelContext.of(7, tiny)),
                Optimizers.byName(optimizer), 7, GLOBAL_BATCH);
        float[] before = ring.rank(0).state().flatParameters().toFloatVector();
        for (int step = 0; step < STEPS; step++) {
            ring.step();
        }
        float[] after = ring.rank(0).state().flatParameters().toFloatVector();
        assertTrue(ParameterDifference.maxRelative(before, after) > 1e-3, model + " did not move in " + STEPS + " steps");
        return after;
    }
}
