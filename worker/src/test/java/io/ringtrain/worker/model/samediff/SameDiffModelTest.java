package io.ringtrain.worker.model.samediff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.worker.model.ElementType;
import io.ringtrain.worker.model.ModelState;
import io.ringtrain.worker.model.TensorLayout;
import io.ringtrain.worker.model.builtin.ModelRegistry;
import io.ringtrain.worker.optim.Optimizers;
import io.ringtrain.worker.train.Evaluation;
import io.ringtrain.worker.train.GradientSink;
import io.ringtrain.worker.train.ModelContext;
import io.ringtrain.worker.train.ModelOptions;
import io.ringtrain.worker.train.Replica;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The SameDiff adapter with a user's graph ({@link SameDiffClassifier}): gradients, binding, sum semantics, learning. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SameDiffModelTest {
    private static final double STEP = 1e-6;

    @Test
    void gradientsAreTheSummedLossesGradientsByFiniteDifferences() {
        // 7 samples: the adapter must scale SameDiff's mean gradient by the batch size to get the sum.
        Replica replica = replica(ElementType.FLOAT64, Map.of("hidden", "3"), 7);
        replica.computeGradientSum(GradientSink.NONE);
        double[] analytic = replica.state().flatGradients().dup().toDoubleVector();
        INDArray flat = replica.state().flatParameters();
        assertEquals(8 * 3 + 3 + 3 * 4 + 4, flat.length());
        for (int i = 0; i < flat.length(); i++) {
            double original = flat.getDouble(i);
            flat.putScalar(i, original + STEP);
            double plus = replica.computeGradientSum(GradientSink.NONE).lossSum();
            flat.putScalar(i, original - STEP);
            double minus = replica.computeGradientSum(GradientSink.NONE).lossSum();
            flat.putScalar(i, original);
            double numeric = (plus - minus) / (2 * STEP);
            double error = Math.abs(numeric - analytic[i]) / Math.max(1e-3, Math.abs(numeric) + Math.abs(analytic[i]));
            assertTrue(error < 1e-6, "element " + i + ": analytic " + analytic[i] + ", numeric " + numeric);
        }
    }

    @Test
    void theGraphReadsItsParametersFromTheStateArenaNotFromACopy() {
        Replica replica = replica(ElementType.FLOAT32, Map.of(), 16);
        double before = replica.computeGradientSum(GradientSink.NONE).lossSum();
        SameDiffModel model = (SameDiffModel) replica.model();
        ModelState state = replica.state();
        for (TensorLayout t : state.gradients().layout()) {
            INDArray inGraph = model.graph().getArrForVarName(t.name());
            assertEquals(state.state().address() + t.byteOffset(), inGraph.data().address() + inGraph.offset() * 4,
                    t.name() + " must be the arena's memory");
        }
        state.parameter("w2").muli(3); // written through the arena only
        double after = replica.computeGradientSum(GradientSink.NONE).lossSum();
        assertTrue(Math.abs(after - before) > 1e-3 * Math.abs(before), "the graph saw the change: " + before + " -> " + after);
    }

    @Test
    void eachGradientIsReportedFromInsideBackwardLastLayerFirst() {
        Replica replica = replica(ElementType.FLOAT32, Map.of(), 16);
        replica.computeGradientSum(GradientSink.NONE); // the first step also runs the sum check
        List<String> order = new ArrayList<>();
        List<TensorLayout> layout = replica.state().gradients().layout();
        replica.computeGradientSum(i -> {
            boolean inBackward = Arrays.stream(Thread.currentThread().getStackTrace())
                    .anyMatch(f -> f.getClassName().equals(GradientCapture.class.getName()) && f.getMethodName().equals("opExecution"));
            assertTrue(inBackward, layout.get(i).name() + " was reported after backward, not as it was produced");
            order.add(layout.get(i).name());
        });
        assertEquals(List.of("w1", "b1", "w2", "b2"), layout.stream().map(TensorLayout::name).toList(), "forward order");
        assertTrue(order.indexOf("w2") < order.indexOf("w1") && order.indexOf("b2") < order.indexOf("b1"), order.toString());
    }

    @Test
    void aLossWrittenAsASumInsteadOfAMeanIsCaughtAtTheFirstStep() {
        Replica replica = replica(ElementType.FLOAT32, Map.of("sum-loss", "true"), 16);
        var e = assertThrows(IllegalStateException.class, () -> replica.computeGradientSum(GradientSink.NONE));
        assertTrue(e.getMessage().contains("2.000 times the sum of the gradients for its two halves"), e.getMessage());
    }

    @Test
    void theUsersModelLearns() {
        Replica replica = Replica.create(ModelRegistry.create("samediff-test", 1), Optimizers.byName("adam"), 1, 64);
        Evaluation before = replica.evaluate();
        for (int step = 0; step < 150; step++) {
            replica.computeGradientSum(GradientSink.NONE);
            replica.applyGradientSum();
        }
        Evaluation after = replica.evaluate();
        assertTrue(after.accuracy() > 0.7 && after.accuracy() > before.accuracy() + 0.2,
                "held-out accuracy " + before.accuracy() + " -> " + after.accuracy() + " (chance 0.25)");
    }

    private static Replica replica(ElementType precision, Map<String, String> options, int batch) {
        ModelContext context = new ModelContext(3, ModelOptions.of(options), precision);
        return Replica.create(ModelRegistry.create("samediff-test", context), Optimizers.byName("sgd"), 3, batch, precision);
    }
}
