package io.ringtrain.worker.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.worker.data.DataPosition;
import io.ringtrain.worker.model.TensorLayout;
import io.ringtrain.worker.model.builtin.ModelRegistry;
import io.ringtrain.worker.optim.Optimizer;
import io.ringtrain.worker.optim.Optimizers;
import java.util.Map;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReplicaTest {
    private static final Optimizer SGD = Optimizers.create("sgd", 0.1, ModelOptions.of(Map.of("optim.momentum", "0.5")));

    @Test
    void mlpReportsEachGradientOnceAsBackwardProducesIt() {
        final Replica replica = Replica.create(ModelRegistry.create("mlp", 1), SGD, 1, 32);
        final List<String> order = new ArrayList<>();
        final List<TensorLayout> layout = replica.state().gradients().layout();
        replica.computeGradientSum(i -> order.add(layout.get(i).name()));
        assertEquals(List.of("w3", "b3", "w2", "b2", "w1", "b1"), order);
    }

    @Test
    void aLoopThatNeverReportsHasEverythingReportedAtReturnLastFirst() {
        final LinearRegressionLoop loop = new LinearRegressionLoop(100);
        final Replica replica = Replica.create(loop, SGD, 1, 10);
        final List<Integer> reported = new ArrayList<>();
        replica.computeGradientSum(reported::add);
        assertEquals(List.of(1, 0), reported);
    }

    @Test
    void aReportedGradientIsAlreadyFinal() {
        final Replica replica = Replica.create(ModelRegistry.create("mlp", 2), SGD, 2, 48);
        final ByteBuffer gradients = replica.state().gradients().bytes();
        final List<TensorLayout> layout = replica.state().gradients().layout();
        final byte[][] atReport = new byte[layout.size()][];
        replica.computeGradientSum(i -> atReport[i] = copy(gradients, layout.get(i)));
        for (int i = 0; i < layout.size(); i++) {
            assertArrayEquals(copy(gradients, layout.get(i)), atReport[i], layout.get(i).name() + " changed after ready()");
        }
    }

    @Test
    void reportingAGradientTwiceIsAnError() {
        final LinearRegressionLoop loop = new LinearRegressionLoop(100);
        loop.reportTwice = true;
        final Replica replica = Replica.create(loop, SGD, 1, 10);
        final var e = assertThrows(IllegalStateException.class, () -> replica.computeGradientSum(GradientSink.NONE));
        assertTrue(e.getMessage().contains("'b' was reported ready twice"), e.getMessage());
    }

    @Test
    void aFailingLoopReportsNothingMoreAfterItsFailure() {
        final LinearRegressionLoop loop = new LinearRegressionLoop(100);
        loop.failAfterReportingW = true;
        final Replica replica = Replica.create(loop, SGD, 1, 10);
        final List<Integer> reported = new ArrayList<>();
        assertThrows(IllegalStateException.class, () -> replica.computeGradientSum(reported::add));
        assertEquals(List.of(0), reported, "only 'w' was final; 'b' must not be handed to the data plane");
    }

    @Test
    void anIdleRankContributesZerosAndStillReportsEveryGradient() {
        final LinearRegressionLoop loop = new LinearRegressionLoop(100);
        final Replica replica = Replica.create(loop, SGD, 1, 2);
        replica.shard(0, 3); // B=2 over W=3: shards [0,0), [0,1), [1,2): rank 0 has no samples
        replica.state().flatGradients().assign(5); // stale values from a previous step must not survive
        final List<Integer> reported = new ArrayList<>();
        final GradientSum sum = replica.computeGradientSum(reported::add);
        assertEquals(new GradientSum(0, 0), sum);
        assertEquals(0, loop.calls);
        assertEquals(List.of(1, 0), reported);
        assertEquals(0.0, replica.state().flatGradients().amaxNumber().doubleValue());
    }

    @Test
    void stepsAdvanceTheCountersAndDataPositionAcrossEpochs() {
        final Replica replica = Replica.create(new LinearRegressionLoop(256), SGD, 1, 100);
        for (int i = 0; i < 3; i++) {
            replica.computeGradientSum(GradientSink.NONE);
            replica.applyGradientSum();
        }
        assertEquals(3, replica.step());
        assertEquals(new DataPosition(300, 1, 44), replica.position());
    }

    @Test
    void aCustomLoopLearnsItsTarget() {
        final Replica replica = Replica.create(new LinearRegressionLoop(512), SGD, 1, 64);
        for (int i = 0; i < 100; i++) {
            replica.computeGradientSum(GradientSink.NONE);
            replica.applyGradientSum();
        }
        assertArrayEquals(LinearRegressionLoop.TRUE_WEIGHTS,
                replica.state().parameter("w").ravel().toFloatVector(), 1e-3f);
        assertEquals(LinearRegressionLoop.TRUE_BIAS, replica.state().parameter("b").getFloat(0), 1e-3f);
    }

    @Test
    void aModelReturningMeanGradientsIsStoppedAtItsFirstStepSayingSo() {
        final LinearRegressionLoop loop = new LinearRegressionLoop(100);
        loop.returnMeans = true;
        final Replica replica = Replica.create(loop, SGD, 1, 10);
        final var e = assertThrows(IllegalStateException.class, () -> replica.computeGradientSum(GradientSink.NONE));
        assertTrue(e.getMessage().contains("0.500 times the sum of the gradients for its two halves"), e.getMessage());
        assertTrue(e.getMessage().contains("the SUM over the batch of the per-sample gradients, not their mean"), e.getMessage());
    }

    @Test
    void aModelReturningTheMeanLossIsStoppedToo() {
        final LinearRegressionLoop loop = new LinearRegressionLoop(100);
        loop.returnMeanLoss = true;
        final Replica replica = Replica.create(loop, SGD, 1, 10);
        final var e = assertThrows(IllegalStateException.class, () -> replica.computeGradientSum(GradientSink.NONE));
        assertTrue(e.getMessage().contains("must return the SUM of the per-sample losses, not their mean"), e.getMessage());
    }

    @Test
    void theSumCheckRunsOnceAndLeavesTheStepAsItWouldBe() {
        final LinearRegressionLoop loop = new LinearRegressionLoop(100);
        final Replica replica = Replica.create(loop, SGD, 1, 10);
        final GradientSum checked = replica.computeGradientSum(GradientSink.NONE);
        final float[] checkedGradients = replica.state().flatGradients().toFloatVector();
        assertEquals(3, loop.calls, "two halves, then the batch");
        final GradientSum again = replica.computeGradientSum(GradientSink.NONE); // the same step, not checked again
        assertEquals(4, loop.calls);
        assertEquals(again, checked);
        assertArrayEquals(replica.state().flatGradients().toFloatVector(), checkedGradients, "the halves left nothing behind");
    }

    private static byte[] copy(ByteBuffer bytes, TensorLayout t) {
        final byte[] out = new byte[(int) t.byteLength()];
        bytes.get((int) t.byteOffset(), out);
        return out;
    }
}
