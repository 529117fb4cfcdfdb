package io.ringtrain.worker.exchange;

import io.ringtrain.worker.SessionFailure;
import io.ringtrain.worker.StepResult;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.allreduce.CollectiveException;
import io.ringtrain.allreduce.Communicator;
import io.ringtrain.allreduce.DataPlane;
import io.ringtrain.allreduce.DataType;
import io.ringtrain.allreduce.FusionContext;
import io.ringtrain.allreduce.ReduceOp;
import io.ringtrain.allreduce.TestRing;
import io.ringtrain.worker.model.builtin.ModelRegistry;
import io.ringtrain.worker.optim.Optimizers;
import io.ringtrain.worker.train.GradientSink;
import io.ringtrain.worker.train.Replica;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Data-parallel training over real data planes (loopback UDP, one media driver per rank, all in this JVM): the
 * result does not depend on the world size, and the ranks of a ring never drift apart.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DataParallelStepTest {
    private static final Logger LOG = LoggerFactory.getLogger(DataParallelStepTest.class);
    private static final int GLOBAL_BATCH = 256;
    private static final int STEPS = 40;
    private static final double TOLERANCE = 1e-5;
    /** Four buckets for the MLP's six gradients (w1 8 KiB, b1, w2 16 KiB, b2, w3, b3), so buckets overlap backward. */
    private static final FusionContext SMALL_BUCKETS = new FusionContext().bucketBytes(8 << 10);

    @Test
    void parametersDoNotDependOnWorldSizeAndRanksStayBitIdentical() {
        TrainingRanks one = train(TestRing.udp(1), null);
        float[] reference = one.finalParameters(0);
        assertArrayEquals(reference, trainWithoutRing(STEPS), "one rank with a ring is exactly one rank without");
        assertTrue(one.results.get(0).get(STEPS - 1).meanLoss() < one.results.get(0).get(0).meanLoss() * 0.8,
                "the model learns: loss " + one.results.get(0).get(0).meanLoss() + " -> "
                        + one.results.get(0).get(STEPS - 1).meanLoss());

        // W=2 on the direct (one-hop) path, W=4 round the ring (direct path off), both with several buckets.
        TrainingRanks two = train(TestRing.udp(2), SMALL_BUCKETS);
        TrainingRanks four = train(TestRing.udp(4, ctx -> ctx.smallMessageThreshold(0)), SMALL_BUCKETS);
        assertEquals(4, four.steps.get(0).buckets().size());
        for (TrainingRanks run : List.of(two, four)) {
            int world = run.steps.size();
            assertRanksBitIdenticalAfterEveryStep(run);
            double difference = TrainingRanks.relativeDifference(reference, run.finalParameters(0));
            LOG.info("W={} vs W=1 after {} steps of B={}: relative difference (inf-norm) {}", world, STEPS,
                    GLOBAL_BATCH, difference);
            assertTrue(difference <= TOLERANCE, "W=" + world + ": relative difference " + difference);
        }
        logTimings(one);
        logTimings(two);
        logTimings(four);
    }

    @Test
    void ranksWithoutSamplesStillTakePart() {
        // B=2 over three ranks: rank 0's share [0, 0) is empty every step.
        TrainingRanks one;
        TrainingRanks three;
        try (TestRing ring = TestRing.udp(1)) {
            one = new TrainingRanks(ring.comms, 2, null);
            one.run(1, 10);
        }
        try (TestRing ring = TestRing.udp(3)) {
            three = new TrainingRanks(ring.comms, 2, null);
            three.run(3, 10);
        }
        assertTrue(three.results.get(0).stream().allMatch(r -> r.localSamples() == 0 && r.samples() == 2),
                three.results.get(0).toString());
        assertRanksBitIdenticalAfterEveryStep(three);
        double difference = TrainingRanks.relativeDifference(one.finalParameters(0), three.finalParameters(0));
        assertTrue(difference <= TOLERANCE, "W=3, B=2: relative difference " + difference);
    }

    @Test
    void survivorsContinueOnASmallerRingAsIfNothingHappened() {
        try (TestRing ring = TestRing.udp(4)) {
            TrainingRanks ranks = new TrainingRanks(ring.comms, GLOBAL_BATCH, SMALL_BUCKETS);
            ranks.run(4, 10);
            // Ranks 2 and 3 are gone; 0 and 1 re-form as generation 2 and take over the whole global batch.
            Communicator[] survivors = TestRing.join(new DataPlane[] {ring.planes[0], ring.planes[1]}, 2);
            List<?> layout = ranks.steps.get(0).buckets();
            for (int r = 0; r < 2; r++) {
                ranks.steps.get(r).communicator(survivors[r]);
            }
            assertEquals(layout, ranks.steps.get(0).buckets());
            ranks.run(2, 10);
            assertEquals(GLOBAL_BATCH / 2, ranks.results.get(1).get(19).localSamples());
            float[] reference = trainWithoutRing(20);
            double difference = TrainingRanks.relativeDifference(reference, ranks.finalParameters(0));
            assertTrue(difference <= TOLERANCE, "4 then 2 ranks: relative difference " + difference);
            assertArrayEquals(ranks.parameters.get(0).get(19), ranks.parameters.get(1).get(19));
        }
    }

    @Test
    void lostPeerFailsTheStepWithinTheTimeoutAndKeepsTheParameters() throws Exception {
        try (TestRing ring = TestRing.udp(2)) {
            TrainingRanks ranks = new TrainingRanks(ring.comms, GLOBAL_BATCH, SMALL_BUCKETS);
            ranks.run(2, 3);
            AtomicLong closedAt = new AtomicLong();
            CompletableFuture<Void> peerLeaves = CompletableFuture.runAsync(() -> {
                closedAt.set(System.nanoTime());
                ring.planes[1].close();
            });
            DataParallelStep rank0 = ranks.steps.get(0);
            byte[] before = TrainingRanks.parameterBytes(rank0.replica());
            CompletableFuture<Throwable> failure = CompletableFuture.supplyAsync(() -> {
                for (int s = 0; s < 50; s++) { // rank 0 keeps training until the ring breaks under it
                    try {
                        rank0.run();
                    } catch (RuntimeException e) {
                        return e;
                    }
                }
                return null;
            });
            Throwable thrown = failure.get(60, TimeUnit.SECONDS);
            long failedAt = System.nanoTime();
            peerLeaves.get(10, TimeUnit.SECONDS);
            assertInstanceOf(SessionFailure.RingBroken.class, thrown, "a failed collective is a broken ring");
            assertInstanceOf(CollectiveException.class, thrown.getCause());
            assertEquals(3, rank0.replica().step(), "the failed step did not update the parameters");
            assertArrayEquals(before, TrainingRanks.parameterBytes(rank0.replica()));
            var again = assertThrows(IllegalStateException.class, rank0::run);
            assertTrue(again.getMessage().contains("call communicator(next) first"), again.getMessage());
            long seconds = TimeUnit.NANOSECONDS.toSeconds(failedAt - closedAt.get());
            assertTrue(seconds < 10, "failed " + seconds + " s after the peer left; the collective timeout is 5 s");
        }
    }

    @Test
    void fusionSettingsThatCannotBeRightAreRefused() {
        try (TestRing ring = TestRing.udp(1)) {
            Replica replica = Replica.create(ModelRegistry.create("mlp", 1), Optimizers.byName("adam"), 1, 8);
            var average = assertThrows(IllegalArgumentException.class, () -> new DataParallelStep(replica, ring.comms[0],
                    new FusionContext().reduceOp(ReduceOp.AVG)));
            assertTrue(average.getMessage().contains("reduceOp(SUM)"), average.getMessage());
            var type = assertThrows(IllegalArgumentException.class, () -> new DataParallelStep(replica, ring.comms[0],
                    new FusionContext().dataType(DataType.FLOAT64)));
            assertTrue(type.getMessage().contains("its gradients are FLOAT32"), type.getMessage());
        }
    }

    private static TrainingRanks train(TestRing ring, FusionContext fusion) {
        try (ring) {
            TrainingRanks ranks = new TrainingRanks(ring.comms, GLOBAL_BATCH, fusion);
            ranks.run(ring.world(), STEPS);
            return ranks;
        }
    }

    /** The same steps on one replica with no data plane at all. */
    private static float[] trainWithoutRing(int steps) {
        Replica replica = Replica.create(ModelRegistry.create("mlp", TrainingRanks.SEED), Optimizers.byName("adam"), TrainingRanks.SEED, GLOBAL_BATCH);
        for (int s = 0; s < steps; s++) {
            replica.computeGradientSum(GradientSink.NONE);
            replica.applyGradientSum();
        }
        return replica.state().flatParameters().toFloatVector();
    }

    private static void assertRanksBitIdenticalAfterEveryStep(TrainingRanks run) {
        int world = run.steps.size();
        int steps = run.parameters.get(0).size();
        for (int s = 0; s < steps; s++) {
            StepResult first = run.results.get(0).get(s);
            long samples = 0;
            for (int r = 0; r < world; r++) {
                assertArrayEquals(run.parameters.get(0).get(s), run.parameters.get(r).get(s),
                        "W=" + world + ": rank " + r + " differs from rank 0 after step " + s);
                StepResult mine = run.results.get(r).get(s);
                assertEquals(Double.doubleToLongBits(first.meanLoss()), Double.doubleToLongBits(mine.meanLoss()));
                assertEquals(s, mine.step());
                samples += mine.localSamples();
            }
            assertEquals(first.samples(), samples, "the ranks' shares tile the global batch");
        }
    }

    private static void logTimings(TrainingRanks run) {
        int world = run.steps.size();
        List<StepResult> rank0 = run.results.get(0).subList(5, STEPS); // past warm-up
        LOG.info("W={} (in one JVM, UDP loopback, {} buckets, {} bytes all-reduced per step): median per step compute"
                        + " {} ms, all-reduce wait {} ms, optimizer {} ms, total {} ms", world,
                run.steps.get(0).buckets().size(), run.steps.get(0).bytesPerStep(),
                median(rank0, StepResult::computeNanos), median(rank0, StepResult::allReduceWaitNanos),
                median(rank0, StepResult::optimizerNanos), median(rank0, StepResult::totalNanos));
    }

    private static String median(List<StepResult> results, java.util.function.ToLongFunction<StepResult> part) {
        long[] values = results.stream().mapToLong(part).sorted().toArray();
        return String.format(java.util.Locale.ROOT, "%.3f", values[values.length / 2] / 1e6);
    }
}
