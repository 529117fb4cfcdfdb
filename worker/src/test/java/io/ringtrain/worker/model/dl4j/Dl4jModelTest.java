package io.ringtrain.worker.model.dl4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.worker.model.ElementType;
import io.ringtrain.worker.model.builtin.ModelRegistry;
import io.ringtrain.worker.optim.Optimizers;
import io.ringtrain.worker.train.Evaluation;
import io.ringtrain.worker.train.GradientSink;
import io.ringtrain.worker.train.ModelContext;
import io.ringtrain.worker.train.ModelOptions;
import io.ringtrain.worker.train.Replica;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The DL4J adapter, with a user's MultiLayerNetwork and the same layers as a ComputationGraph. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Dl4jModelTest {

    @ParameterizedTest
    @ValueSource(strings = {"dl4j-test", "dl4j-graph-test"})
    void gradientsAreTheSummedLossesGradientsByFiniteDifferences(String model) {
        Replica replica = replica(model, ElementType.FLOAT64, 7);
        replica.computeGradientSum(GradientSink.NONE);
        double[] analytic = replica.state().flatGradients().dup().toDoubleVector();
        INDArray flat = replica.state().flatParameters();
        assertEquals(8 * 3 + 3 + 3 * 4 + 4, flat.length());
        for (int i = 0; i < flat.length(); i++) {
            double original = flat.getDouble(i);
            flat.putScalar(i, original + 1e-6);
            double plus = replica.computeGradientSum(GradientSink.NONE).lossSum();
            flat.putScalar(i, original - 1e-6);
            double minus = replica.computeGradientSum(GradientSink.NONE).lossSum();
            flat.putScalar(i, original);
            double numeric = (plus - minus) / 2e-6;
            double error = Math.abs(numeric - analytic[i]) / Math.max(1e-3, Math.abs(numeric) + Math.abs(analytic[i]));
            assertTrue(error < 1e-6, model + " element " + i + ": analytic " + analytic[i] + ", numeric " + numeric);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dl4j-test", "dl4j-graph-test"})
    void theNetworksParametersAndGradientsAreTheArenasNotCopies(String model) {
        Replica replica = replica(model, ElementType.FLOAT32, 16);
        replica.computeGradientSum(GradientSink.NONE);
        List<String> names = replica.state().parameterSpecs().stream().map(p -> p.name()).toList(); // W, b per layer
        replica.state().parameter(names.get(2)).muli(0); // the output layer's weights, through the arena only
        replica.computeGradientSum(GradientSink.NONE);
        // With zero output weights no gradient reaches the first layer, and the output layer's bias gradient is the sum
        // over rows of (softmax - label), whose entries add up to 0 in every row.
        assertEquals(0, replica.state().gradient(names.get(0)).amaxNumber().doubleValue(), "the network saw the arena's weights");
        assertEquals(0, replica.state().gradient(names.get(3)).sumNumber().doubleValue(), 1e-5);
        assertTrue(replica.state().gradient(names.get(2)).amaxNumber().doubleValue() > 0, "gradients were written into the arena");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dl4j-test", "dl4j-graph-test"})
    void theNetworkLearns(String model) {
        Replica replica = Replica.create(ModelRegistry.create(model, 1), Optimizers.byName("adam"), 1, 64);
        Evaluation before = replica.evaluate();
        for (int step = 0; step < 150; step++) {
            replica.computeGradientSum(GradientSink.NONE);
            replica.applyGradientSum();
        }
        Evaluation after = replica.evaluate();
        assertTrue(after.accuracy() > 0.7 && after.accuracy() > before.accuracy() + 0.2,
                model + ": held-out accuracy " + before.accuracy() + " -> " + after.accuracy() + " (chance 0.25)");
    }

    private static Replica replica(String model, ElementType precision, int batch) {
        ModelContext context = new ModelContext(3, ModelOptions.of(Map.of("hidden", "3")), precision);
        return Replica.create(ModelRegistry.create(model, context), Optimizers.byName("sgd"), 3, batch, precision);
    }
}
