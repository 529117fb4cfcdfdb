package io.ringtrain.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.coordinator.node.CoordinatorNode;
import io.ringtrain.coordinator.node.WorkerNode;
import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.coordinator.toy.ToyModel;
import io.ringtrain.coordinator.toy.ToySessionFactory;
import io.ringtrain.worker.RunSettings;
import io.ringtrain.worker.WorkerOutcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A coordinator and three workers, each its own ActorSystem on 127.0.0.1, running the toy model. */
class ClusterRunTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path checkpoints;

    @Test
    @Timeout(90)
    void ranksFollowOrdinalsAndEveryCheckpointIsCommittedWithAllShards() throws Exception {
        RunSettings run = TestCluster.run(checkpoints, 40, 10, Map.of("step-millis", "25"));
        try (TestCluster cluster = new TestCluster()) {
            cluster.startCoordinator(TestCluster.coordinatorSettings(3), run);
            cluster.startWorker("w-2", 2);
            cluster.startWorker("w-0", 0);
            cluster.startWorker("w-1", 1);

            RunEvent.RingFormed ring = cluster.await(RunEvent.RingFormed.class, WAIT);
            assertEquals(List.of("w-0", "w-1", "w-2"), ring.workerIdsByRank());
            assertEquals(1, ring.generation());
            for (int rank = 0; rank < 3; rank++) {
                assertEquals(registeredEndpoint(cluster, "w-" + rank), ring.endpointsByRank().get(rank), "endpoint of rank " + rank);
            }
            RunEvent.TrainingStarted started = cluster.await(RunEvent.TrainingStarted.class, WAIT);
            assertEquals(0, started.startStep());
            assertFalse(started.restored());
            RunEvent.Progress progress = cluster.await(RunEvent.Progress.class, WAIT);
            assertTrue(progress.stepsDone() > 0 && progress.stepsDone() <= 40, "steps done " + progress.stepsDone());
            assertTrue(progress.samplesPerSecond() > 0, "samples/s " + progress.samplesPerSecond());
            RunResult result = cluster.await(RunEvent.RunFinished.class, WAIT).result();

            assertEquals(40, result.stepsDone());
            assertEquals(3, result.worldSize());
            assertEquals(4, result.checkpointsCommitted());
            assertEquals(40, result.lastCheckpointStep().getAsLong());
            assertTrue(result.finalLoss() < progress.loss(), "loss " + progress.loss() + " -> " + result.finalLoss());
            assertTrue(result.timeToFirstStep().compareTo(result.elapsed()) < 0);
            assertEquals(List.of(10L, 20L, 30L, 40L), cluster.commits.commits.stream().map(CheckpointShards::step).toList());
            for (CheckpointShards commit : cluster.commits.commits) {
                assertEquals(List.of(0, 1, 2), commit.byRank().stream().map(s -> s.rank()).toList());
            }
            try (Checkpoints library = Checkpoints.open(checkpoints.toString())) {
                assertEquals(40, library.latest("test-run").orElseThrow().getStep());
                assertEquals(3, library.latest("test-run").orElseThrow().getShardsCount());
            }
            for (WorkerNode worker : cluster.workers) {
                assertTrue(TestCluster.outcome(worker, WAIT).success());
            }
            cluster.awaitAllTerminated(WAIT);
        }
    }

    @Test
    @Timeout(60)
    void ranksFollowJoinOrderWhenWorkersHaveNoOrdinal() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            cluster.startCoordinator(TestCluster.coordinatorSettings(3), TestCluster.run(checkpoints, 5, 0, Map.of()));
            for (String name : List.of("c", "a", "b")) {
                cluster.startWorker(name, -1);
                assertEquals(name, cluster.await(RunEvent.WorkerRegistered.class, WAIT).workerId());
            }

            assertEquals(List.of("c", "a", "b"), cluster.await(RunEvent.RingFormed.class, WAIT).workerIdsByRank());
            assertEquals(5, cluster.await(RunEvent.RunFinished.class, WAIT).result().stepsDone());
        }
    }

    @Test
    @Timeout(60)
    void rendezvousTimeoutSaysHowManyWorkersArrived() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            // Long enough for the two to register under load (3 s at load 12 here), so that the message counts both.
            CoordinatorContext settings = TestCluster.coordinatorSettings(3).rendezvousTimeout(Duration.ofSeconds(6));
            cluster.startCoordinator(settings, TestCluster.run(checkpoints, 5, 0, Map.of()));
            cluster.startWorker("only-a", -1);
            cluster.startWorker("only-b", -1);

            RunEvent.RunFailed failed = cluster.await(RunEvent.RunFailed.class, WAIT);

            assertTrue(failed.reason().contains("did not get 3 workers within 6 s: 2 registered"), failed.reason());
            assertTrue(failed.reason().contains("only-a") && failed.reason().contains("only-b"), failed.reason());
            for (WorkerNode worker : cluster.workers) {
                WorkerOutcome outcome = TestCluster.outcome(worker, WAIT);
                assertFalse(outcome.success());
                assertTrue(outcome.message().contains("did not get 3 workers"), outcome.message());
            }
            cluster.awaitAllTerminated(WAIT);
        }
    }

    @Test
    @Timeout(90)
    void aLostWorkerIsFencedAndTheSurvivorsGoOnWithTheExactResult() throws Exception {
        RunSettings run = TestCluster.exporting(TestCluster.run(checkpoints, 120, 0, Map.of("step-millis", "20")));
        try (TestCluster cluster = new TestCluster()) {
            cluster.startCoordinator(TestCluster.coordinatorSettings(3).minWorkers(2), run);
            for (int i = 0; i < 3; i++) {
                cluster.startWorker("w-" + i, i);
            }
            cluster.await(RunEvent.Progress.class, WAIT);

            cluster.worker("w-1").abandon(Duration.ofSeconds(10)); // downed, no goodbye: the cluster sees it vanish
            RunEvent.RingStopping stopping = cluster.await(RunEvent.RingStopping.class, WAIT);
            MembershipChange change = cluster.await(RunEvent.RingReformed.class, WAIT).change();
            RunResult result = cluster.await(RunEvent.RunFinished.class, WAIT).result();

            assertEquals(1, stopping.generation());
            assertTrue(stopping.reason().contains("w-1"), stopping.reason());
            assertEquals(List.of("w-1"), List.copyOf(change.left().keySet()), change.describe());
            assertEquals(3, change.worldSizeBefore());
            assertEquals(2, change.worldSizeAfter());
            assertEquals(2, change.toGeneration());
            assertTrue(change.stoppedAtMillis() >= change.triggeredAtMillis() && change.resumedAtMillis() >= change.stoppedAtMillis(),
                    change.toString());
            assertEquals(120, result.stepsDone());
            assertEquals(2, result.worldSize());
            assertEquals(List.of(change), result.changes());
            assertEquals(ToyModel.train(run.seed(), run.globalBatch(), run.learningRate(), run.totalSteps()), exported(run), 0.0,
                    "the survivors' result is the uninterrupted run's");
            for (String survivor : List.of("w-0", "w-2")) {
                assertTrue(TestCluster.outcome(cluster.worker(survivor), WAIT).success(), survivor);
            }
            cluster.awaitAllTerminated(WAIT);
        }
    }

    @Test
    @Timeout(90)
    void aWorkerThatIsStoppedLeavesAtAStepBoundaryWithoutAnAbort() throws Exception {
        RunSettings run = TestCluster.exporting(TestCluster.run(checkpoints, 120, 0, Map.of("step-millis", "20")));
        try (TestCluster cluster = new TestCluster()) {
            cluster.startCoordinator(TestCluster.coordinatorSettings(3).minWorkers(2), run);
            for (int i = 0; i < 3; i++) {
                cluster.startWorker("w-" + i, i);
            }
            cluster.await(RunEvent.Progress.class, WAIT);

            cluster.worker("w-2").close(Duration.ofSeconds(20)); // what SIGTERM does: coordinated shutdown leaves the run first
            MembershipChange change = cluster.await(RunEvent.RingReformed.class, WAIT).change();
            RunResult result = cluster.await(RunEvent.RunFinished.class, WAIT).result();

            assertTrue(change.trigger().contains("w-2 leaves"), change.describe());
            assertTrue(change.left().get("w-2").startsWith("left: "), change.describe());
            assertEquals(0, change.stepsRedone());
            WorkerOutcome leaver = TestCluster.outcome(cluster.worker("w-2"), WAIT);
            assertTrue(leaver.success() && leaver.message().contains("left run test-run at step"), leaver.message());
            assertEquals(ToyModel.train(run.seed(), run.globalBatch(), run.learningRate(), run.totalSteps()), exported(run), 0.0);
            cluster.awaitAllTerminated(WAIT);
        }
    }

    @Test
    @Timeout(90)
    void aWorkerThatJoinsMidRunTakesTheStateFromAPeerAtTheNextStepBoundary() throws Exception {
        RunSettings run = TestCluster.exporting(TestCluster.run(checkpoints, 120, 0, Map.of("step-millis", "20")));
        try (TestCluster cluster = new TestCluster()) {
            cluster.startCoordinator(TestCluster.coordinatorSettings(2, 3), run);
            cluster.startWorker("w-0", 0);
            cluster.startWorker("w-1", 1);
            assertEquals(List.of("w-0", "w-1"), cluster.await(RunEvent.RingFormed.class, WAIT).workerIdsByRank());
            cluster.await(RunEvent.Progress.class, WAIT);

            cluster.startWorker("w-2", 2);
            RunEvent.RingFormed grown = cluster.await(RunEvent.RingFormed.class, WAIT);
            MembershipChange change = cluster.await(RunEvent.RingReformed.class, WAIT).change();
            RunResult result = cluster.await(RunEvent.RunFinished.class, WAIT).result();

            assertEquals(List.of("w-0", "w-1", "w-2"), grown.workerIdsByRank());
            assertEquals(List.of("w-2"), change.joined());
            assertTrue(change.left().isEmpty(), change.describe());
            assertTrue(change.resumeStep() > 0, change.describe());
            assertEquals(3, result.worldSize());
            assertEquals(ToyModel.train(run.seed(), run.globalBatch(), run.learningRate(), run.totalSteps()), exported(run), 0.0,
                    "the joiner continued from the state it was sent, not from scratch");
            cluster.awaitAllTerminated(WAIT);
        }
    }

    @Test
    @Timeout(90)
    void aJoinerLostWhileItTakesTheStateAndThenTheRankSendingItLeaveTheRestToGoOnExactly() throws Exception {
        RunSettings run = TestCluster.exporting(TestCluster.run(checkpoints, 150, 0, Map.of("step-millis", "20")));
        try (TestCluster cluster = new TestCluster()) {
            cluster.startCoordinator(TestCluster.coordinatorSettings(2, 3).minWorkers(1), run);
            cluster.startWorker("w-0", 0);
            cluster.startWorker("w-1", 1);
            cluster.await(RunEvent.Progress.class, WAIT);

            cluster.startWorker("w-2", 2);
            assertEquals(List.of("w-0", "w-1", "w-2"), cluster.await(RunEvent.RingFormed.class, WAIT).workerIdsByRank());
            cluster.worker("w-2").abandon(Duration.ofSeconds(10)); // the joiner goes while it joins and takes the state
            RunEvent.RingFormed withoutJoiner = cluster.await(RunEvent.RingFormed.class, WAIT);
            assertEquals(List.of("w-0", "w-1"), withoutJoiner.workerIdsByRank());

            cluster.startWorker("w-3", 3);
            assertEquals(List.of("w-0", "w-1", "w-3"), cluster.await(RunEvent.RingFormed.class, WAIT).workerIdsByRank());
            cluster.worker("w-0").abandon(Duration.ofSeconds(10)); // now the rank that sends the state goes
            RunResult result = cluster.await(RunEvent.RunFinished.class, WAIT).result();

            assertTrue(result.worldSize() >= 2, "w-1 and w-3 finish the run: " + result);
            assertEquals(ToyModel.train(run.seed(), run.globalBatch(), run.learningRate(), run.totalSteps()), exported(run), 0.0);
            for (String survivor : List.of("w-1", "w-3")) {
                assertTrue(TestCluster.outcome(cluster.worker(survivor), WAIT).success(), survivor);
            }
        }
    }

    @Test
    @Timeout(90)
    void twoWorkersLostAtOnceCostOneChange() throws Exception {
        RunSettings run = TestCluster.exporting(TestCluster.run(checkpoints, 120, 0, Map.of("step-millis", "20")));
        try (TestCluster cluster = new TestCluster()) {
            cluster.startCoordinator(TestCluster.coordinatorSettings(4).minWorkers(2), run);
            for (int i = 0; i < 4; i++) {
                cluster.startWorker("w-" + i, i);
            }
            cluster.await(RunEvent.Progress.class, WAIT);

            Thread other = new Thread(() -> cluster.worker("w-3").abandon(Duration.ofSeconds(10)));
            other.start();
            cluster.worker("w-1").abandon(Duration.ofSeconds(10));
            other.join(15_000);
            RunResult result = cluster.await(RunEvent.RunFinished.class, WAIT).result();

            assertEquals(2, result.worldSize());
            assertEquals(List.of("w-1", "w-3"), result.changes().stream().flatMap(c -> c.left().keySet().stream()).sorted().toList());
            assertEquals(ToyModel.train(run.seed(), run.globalBatch(), run.learningRate(), run.totalSteps()), exported(run), 0.0);
        }
    }

    @Test
    @Timeout(120)
    void aStandbyCoordinatorTakesOverAndTheRingGoesOnWithoutAPause() throws Exception {
        RunSettings run = TestCluster.exporting(TestCluster.run(checkpoints, 300, 50, Map.of("step-millis", "20")));
        try (TestCluster cluster = new TestCluster()) {
            CoordinatorContext settings = TestCluster.coordinatorSettings(3).minWorkers(2);
            cluster.startCoordinator(settings, run);
            CoordinatorNode standby = cluster.startStandbyCoordinator(TestCluster.coordinatorSettings(3).minWorkers(2), run);
            for (int i = 0; i < 3; i++) {
                cluster.startWorker("w-" + i, i);
            }
            cluster.await(RunEvent.CheckpointCommitted.class, WAIT);
            long stepsBefore = cluster.await(RunEvent.Progress.class, WAIT).stepsDone();

            long lostAt = System.nanoTime();
            cluster.coordinator.abandon(Duration.ofSeconds(10)); // the coordinator's node is gone, no goodbye
            RunEvent.TookOver tookOver = cluster.await(RunEvent.TookOver.class, Duration.ofSeconds(60));
            Duration handOver = Duration.ofNanos(System.nanoTime() - lostAt);
            RunResult result = cluster.await(RunEvent.RunFinished.class, WAIT).result();

            assertTrue(tookOver.adopted(), "every worker came back training: the ring goes on as it is");
            assertEquals(1, tookOver.generation(), "no new generation: nothing stopped");
            assertEquals(List.of("w-0", "w-1", "w-2"), tookOver.workerIdsByRank());
            System.out.printf("coordinator lost after step %d; the standby took over %.1f s later%n", stepsBefore, handOver.toMillis() / 1e3);
            assertEquals(300, result.stepsDone());
            assertEquals(3, result.worldSize());
            assertTrue(result.changes().isEmpty(), "no membership change: " + result.changes());
            assertEquals(ToyModel.train(run.seed(), run.globalBatch(), run.learningRate(), run.totalSteps()), exported(run), 0.0);
            try (Checkpoints library = Checkpoints.open(checkpoints.toString())) {
                assertEquals(300, library.latest("test-run").orElseThrow().getStep(), "checkpoints commit after the takeover too");
            }
            for (WorkerNode worker : cluster.workers) {
                assertTrue(TestCluster.outcome(worker, WAIT).success());
            }
            standby.terminated().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    @Timeout(120)
    void aWorkerLostWhileNoCoordinatorIsUpWaitsAtTheBoundaryAndTheNewCoordinatorReformsTheRing() throws Exception {
        RunSettings run = TestCluster.exporting(TestCluster.run(checkpoints, 300, 0, Map.of("step-millis", "20")));
        try (TestCluster cluster = new TestCluster()) {
            cluster.startCoordinator(TestCluster.coordinatorSettings(3).minWorkers(2), run);
            for (int i = 0; i < 3; i++) {
                cluster.startWorker("w-" + i, i);
            }
            cluster.await(RunEvent.Progress.class, WAIT);
            // Join the standby before the coordinator goes, so the cluster has somewhere to hand the singleton over.
            cluster.startStandbyCoordinator(TestCluster.coordinatorSettings(3).minWorkers(2), run);
            cluster.coordinator.abandon(Duration.ofSeconds(10));
            cluster.worker("w-2").abandon(Duration.ofSeconds(10)); // and a worker, before anyone took over

            RunEvent.TookOver tookOver = cluster.await(RunEvent.TookOver.class, Duration.ofSeconds(60));
            RunResult result = cluster.await(RunEvent.RunFinished.class, Duration.ofSeconds(60)).result();

            assertEquals(2, result.worldSize());
            assertTrue(result.generations() > tookOver.generation(), "the ring was re-formed above the generation taken over");
            assertEquals(ToyModel.train(run.seed(), run.globalBatch(), run.learningRate(), run.totalSteps()), exported(run), 0.0);
        }
    }

    @Test
    @Timeout(90)
    void belowMinWorkersTheRunPausesAndGoesOnWhenAWorkerComesBack() throws Exception {
        RunSettings run = TestCluster.exporting(TestCluster.run(checkpoints, 100, 0, Map.of("step-millis", "20")));
        try (TestCluster cluster = new TestCluster()) {
            cluster.startCoordinator(TestCluster.coordinatorSettings(2), run);
            cluster.startWorker("w-0", 0);
            cluster.startWorker("w-1", 1);
            cluster.await(RunEvent.Progress.class, WAIT);

            cluster.worker("w-1").abandon(Duration.ofSeconds(10));
            RunEvent.WaitingForWorkers waiting = cluster.await(RunEvent.WaitingForWorkers.class, WAIT);
            cluster.startWorker("w-1-again", 1);
            MembershipChange change = cluster.await(RunEvent.RingReformed.class, WAIT).change();
            RunResult result = cluster.await(RunEvent.RunFinished.class, WAIT).result();

            assertEquals(1, waiting.live());
            assertEquals(2, waiting.minWorkers());
            assertEquals(List.of("w-1-again"), change.joined());
            assertEquals(waiting.stepsDone(), change.resumeStep(), "nothing was lost while paused");
            assertEquals(ToyModel.train(run.seed(), run.globalBatch(), run.learningRate(), run.totalSteps()), exported(run), 0.0);
            cluster.awaitAllTerminated(WAIT);
        }
    }

    @Test
    @Timeout(90)
    void pausedBelowMinWorkersForTooLongFailsSayingTheCheckpointIsIntact() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            // The timeout bounds the first rendezvous too: two ActorSystems joining took 3 s at load 12 here.
            cluster.startCoordinator(TestCluster.coordinatorSettings(2).rendezvousTimeout(Duration.ofSeconds(6)),
                    TestCluster.run(checkpoints, 100_000, 10, Map.of("step-millis", "20")));
            cluster.startWorker("w-0", 0);
            cluster.startWorker("w-1", 1);
            cluster.await(RunEvent.CheckpointCommitted.class, WAIT);

            cluster.worker("w-0").abandon(Duration.ofSeconds(10));
            RunEvent.RunFailed failed = cluster.await(RunEvent.RunFailed.class, WAIT);

            assertTrue(failed.reason().contains("the run paused at a step boundary and did not get 2 workers within 6 s"), failed.reason());
            assertTrue(failed.reason().matches(".*its newest checkpoint \\(step \\d+\\) is intact: restart with --resume.*"), failed.reason());
            cluster.awaitAllTerminated(WAIT);
        }
    }

    @Test
    @Timeout(60)
    void aFailingStepEndsTheRunWithTheWorkersReason() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            cluster.startCoordinator(TestCluster.coordinatorSettings(2),
                    TestCluster.run(checkpoints, 50, 0, Map.of("fail-at-step", "3")));
            cluster.startWorker("w-0", 0);
            cluster.startWorker("w-1", 1);

            RunEvent.RunFailed failed = cluster.await(RunEvent.RunFailed.class, WAIT);

            assertTrue(failed.reason().contains("step 3 failed: toy failure at step 3"), failed.reason());
            assertTrue(failed.reason().startsWith("worker w-"), failed.reason());
            cluster.awaitAllTerminated(WAIT);
            for (WorkerNode worker : cluster.workers) {
                assertFalse(TestCluster.outcome(worker, WAIT).success());
            }
        }
    }

    @Test
    @Timeout(90)
    void resumeRestartsFromTheLatestCommittedCheckpointAtAnotherWorldSize() throws Exception {
        try (TestCluster first = new TestCluster()) {
            first.startCoordinator(TestCluster.coordinatorSettings(2), TestCluster.run(checkpoints, 20, 10, Map.of()));
            first.startWorker("w-0", 0);
            first.startWorker("w-1", 1);
            assertEquals(2, first.await(RunEvent.RunFinished.class, WAIT).result().checkpointsCommitted());
            first.awaitAllTerminated(WAIT);
        }
        Path exported = checkpoints.resolve("w.txt");
        RunSettings longer = new RunSettings("test-run", ToySessionFactory.MODEL, 7, 32, 30, "sgd", 0.5, checkpoints.toString(), "",
                10, Duration.ofMillis(300), exported.toString(), Map.of());
        try (TestCluster second = new TestCluster()) {
            second.startCoordinator(TestCluster.coordinatorSettings(3).resume(ResumeMode.ALWAYS), longer);
            for (int i = 0; i < 3; i++) {
                second.startWorker("w-" + i, i);
            }

            RunEvent.TrainingStarted started = second.await(RunEvent.TrainingStarted.class, WAIT);
            assertEquals(20, started.startStep());
            assertTrue(started.restored());
            RunResult result = second.await(RunEvent.RunFinished.class, WAIT).result();

            assertEquals(30, result.stepsDone());
            assertEquals(ToyModel.train(longer.seed(), longer.globalBatch(), longer.learningRate(), longer.totalSteps()), Double.parseDouble(Files.readString(exported)), 0.0);
        }
    }

    @Test
    @Timeout(30)
    void resumeWithoutACheckpointFailsSayingWhatToDo() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            cluster.startCoordinator(TestCluster.coordinatorSettings(1).resume(ResumeMode.ALWAYS), TestCluster.run(checkpoints, 5, 0, Map.of()));

            RunEvent.RunFailed failed = cluster.await(RunEvent.RunFailed.class, WAIT);

            assertTrue(failed.reason().contains("no committed checkpoint of run test-run"), failed.reason());
            assertTrue(failed.reason().contains("start without --resume"), failed.reason());
        }
    }

    /** The parameter rank 0 exported at the end. */
    private static double exported(RunSettings run) throws java.io.IOException {
        return Double.parseDouble(Files.readString(Path.of(run.exportParams())));
    }

    private static String registeredEndpoint(TestCluster cluster, String worker) {
        return cluster.seen.stream().filter(e -> e instanceof RunEvent.WorkerRegistered r && r.workerId().equals(worker))
                .map(e -> ((RunEvent.WorkerRegistered) e).dataPlaneEndpoint()).findFirst().orElseThrow();
    }
}
