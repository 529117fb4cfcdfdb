package io.ringtrain.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.ringtrain.checkpoint.Checkpoints;
import io.ringtrain.checkpoint.CommitFencedException;
import io.ringtrain.checkpoint.StateLayout;
import io.ringtrain.protocol.checkpoint.ShardReport;
import io.ringtrain.protocol.common.Dtype;
import io.ringtrain.protocol.common.TensorSpec;
import io.ringtrain.protocol.control.AbortAcknowledged;
import io.ringtrain.protocol.control.FailureKind;
import io.ringtrain.protocol.control.ProgressReport;
import io.ringtrain.protocol.control.RegisterWorker;
import io.ringtrain.protocol.control.RingAssignment;
import io.ringtrain.protocol.control.RingReady;
import io.ringtrain.protocol.control.RingStopped;
import io.ringtrain.protocol.control.ShardSaved;
import io.ringtrain.protocol.control.StateSource;
import io.ringtrain.protocol.control.StopCause;
import io.ringtrain.protocol.control.ToCoordinator;
import io.ringtrain.protocol.control.ToWorker;
import io.ringtrain.protocol.control.WorkerFinished;
import io.ringtrain.protocol.control.WorkerFailed;
import io.ringtrain.protocol.control.WorkerSituation;
import io.ringtrain.worker.RunSettings;
import io.ringtrain.worker.Worker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Coordinator's protocol, message by message, against test probes standing in for workers (one single-node
 * cluster, no sessions, no data plane): rings, stale generations, losses, suspects, joiners, shards and failures.
 */
@Timeout(60)
class CoordinatorProtocolTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    /** One system per test: a coordinator of an earlier test would welcome this test's workers too. */
    private static ActorTestKit kit;

    @BeforeEach
    void startSystem() {
        kit = ActorTestKit.create("coordinator-protocol", ConfigFactory.parseString("""
                pekko.actor.provider = cluster
                pekko.remote.artery.canonical.port = 0
                pekko.cluster.typed.receptionist.distributed-data.gossip-interval = 100ms
                pekko.cluster.jmx.enabled = off
                """).withFallback(ConfigFactory.load()));
        Cluster cluster = Cluster.get(kit.system());
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }

    @AfterEach
    void stopSystem() {
        kit.shutdownTestKit();
    }

    /** Commits are only recorded: the protocol, not storage, is under test here. */
    static final class Commits implements CheckpointCommits {
        final List<CheckpointShards> committed = new CopyOnWriteArrayList<>();
        final List<Long> completions = new CopyOnWriteArrayList<>();

        volatile OptionalLong latest = OptionalLong.empty();
        volatile OptionalLong completed = OptionalLong.empty();
        /** The newest checkpoint's run config; null: the run's own (it was made by this run). */
        volatile Map<String, String> latestConfig;

        /** The ring generation of the newest checkpoint (0: none recorded). */
        volatile long newestGeneration;

        @Override
        public StoredRun lookUp(RunSettings run) throws InterruptedException {
            if (lookUpGate != null && !lookUpGate.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("the test never opened the look-up");
            }
            return new StoredRun(latest, latest.isEmpty() ? Map.of() : latestConfig == null ? run.resultConfig() : latestConfig,
                    newestGeneration, completed);
        }

        /** Thrown by every commit; null: commits succeed. */
        volatile RuntimeException commitFailure;
        /** The look-up waits (bounded) for this to open; null: it answers at once. */
        volatile CountDownLatch lookUpGate;

        @Override
        public void commit(RunSettings run, CheckpointShards shards) {
            if (commitFailure != null) {
                throw commitFailure;
            }
            committed.add(shards);
        }

        @Override
        public void recordCompletion(RunSettings run, long steps) {
            completions.add(steps);
        }
    }

    /** A test probe that registers as a worker and speaks the protocol's wire messages. */
    static final class FakeWorker {
        final String name;
        final TestProbe<ToWorker> probe;
        ActorRef<ToCoordinator> coordinator;

        FakeWorker(String name) {
            this.name = name;
            this.probe = kit.createTestProbe(name);
            kit.system().receptionist().tell(Receptionist.register(Worker.SERVICE_KEY, probe.ref()));
        }

        /** Waits for the Welcome and registers with ordinal {@code ordinal}. */
        FakeWorker register(int ordinal) {
            ToWorker welcome = expect(ToWorker.BodyCase.WELCOME);
            ActorRefResolver resolver = ActorRefResolver.get(kit.system());
            coordinator = resolver.resolveActorRef(welcome.getWelcome().getCoordinator());
            coordinator.tell(ToCoordinator.newBuilder().setRegister(RegisterWorker.newBuilder()
                    .setWorker(resolver.toSerializationFormat(probe.ref())).setWorkerId(name).setOrdinal(ordinal)
                    .setDataPlaneEndpoint(name + ":1")).build());
            return this;
        }

        ToWorker expect(ToWorker.BodyCase body) {
            ToWorker m = probe.expectMessageClass(ToWorker.class, WAIT);
            assertEquals(body, m.getBodyCase(), name + " got " + m);
            return m;
        }

        RingAssignment expectRing() {
            return expect(ToWorker.BodyCase.RING).getRing();
        }

        void ready(RingAssignment ring, long steps, int crc) {
            coordinator.tell(ToCoordinator.newBuilder().setRingReady(RingReady.newBuilder().setGeneration(ring.getGeneration())
                    .setRank(ring.getRank()).setStepsDone(steps).setStateCrc32C(crc)).build());
        }

        void stopped(RingAssignment ring, long steps, int crc, StopCause cause, int lostPeer, boolean leaving) {
            coordinator.tell(ToCoordinator.newBuilder().setStopped(RingStopped.newBuilder().setGeneration(ring.getGeneration())
                    .setRank(ring.getRank()).setStepsDone(steps).setStateCrc32C(crc).setCause(cause).setReason("test")
                    .setLostPeer(lostPeer).setLeaving(leaving)).build());
        }

        void progressed(RingAssignment ring, long steps) {
            coordinator.tell(ToCoordinator.newBuilder().setProgress(ProgressReport.newBuilder().setGeneration(ring.getGeneration())
                    .setRank(ring.getRank()).setStepsDone(steps).setLoss(1).setSamplesPerSecond(1)).build());
        }

        void ackAbort(RingAssignment ring) {
            coordinator.tell(ToCoordinator.newBuilder().setAbortAcknowledged(AbortAcknowledged.newBuilder()
                    .setGeneration(ring.getGeneration()).setRank(ring.getRank())).build());
        }

        void shardSaved(RingAssignment ring, long step) {
            StateLayout layout = StateLayout.of(TensorSpec.newBuilder().setName("w").setDtype(Dtype.DTYPE_FLOAT64).addShape(4).build());
            int n = ring.getWorldSize();
            long from = 32L * ring.getRank() / n;
            long to = 32L * (ring.getRank() + 1) / n;
            coordinator.tell(ToCoordinator.newBuilder().setShardSaved(ShardSaved.newBuilder().setGeneration(ring.getGeneration())
                    .setReport(ShardReport.newBuilder().setRunId("protocol").setStep(step).setRank(ring.getRank()).setWorldSize(n)
                            .setStateBytes(32).setByteOffset(from).setByteLength(to - from)
                            .setObjectName("shard-" + ring.getRank() + "-of-" + n + ".bin"))
                    .setDraft(Checkpoints.draft("protocol", step, n, layout))).build());
        }
    }

    private final Commits commits = new Commits();
    private TestProbe<RunEvent> events;

    /** Starts the coordinator of run "protocol" (1000 steps) with no settle time; workers register on their own. */
    private void startCoordinator(CoordinatorContext settings) {
        events = kit.createTestProbe();
        RunSettings run = new RunSettings("protocol", "toy", 1, 16, 1000, "sgd", 0.1, Path.of("unused").toString(), "", 10,
                Duration.ofMillis(200), "", Map.of());
        kit.spawn(Coordinator.create(settings.rendezvousSettle(Duration.ZERO).conclude(), run, commits, events.ref()));
    }

    private List<FakeWorker> start(CoordinatorContext settings, String... names) {
        startCoordinator(settings);
        List<FakeWorker> workers = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            workers.add(new FakeWorker(names[i]).register(i));
        }
        return workers;
    }

    /** Every worker joins its ring at {@code step} with state {@code crc} and gets StartTraining. */
    private static List<RingAssignment> formAndStart(List<FakeWorker> workers, long step, int crc) {
        List<RingAssignment> rings = new ArrayList<>();
        for (FakeWorker w : workers) {
            rings.add(w.expectRing());
        }
        for (int i = 0; i < workers.size(); i++) {
            workers.get(i).ready(rings.get(i), step, crc);
        }
        for (FakeWorker w : workers) {
            assertEquals(rings.get(0).getGeneration(), w.expect(ToWorker.BodyCase.START).getStart().getGeneration());
        }
        return rings;
    }

    private <T extends RunEvent> T awaitEvent(Class<T> type) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            RunEvent e = events.receiveMessage(WAIT);
            if (type.isInstance(e)) {
                return type.cast(e);
            }
        }
        throw new AssertionError("no " + type.getSimpleName());
    }

    @Test
    void aRingStartsOnlyOnceEveryRankIsReadyAndStaleReadiesAreIgnored() {
        List<FakeWorker> w = start(new CoordinatorContext().minWorkers(2).maxWorkers(2), "a", "b");
        RingAssignment a = w.get(0).expectRing();
        RingAssignment b = w.get(1).expectRing();
        assertEquals(1, a.getGeneration());
        assertEquals(List.of("a", "b"), a.getWorkerIdsList());
        assertEquals(StateSource.STATE_FRESH, a.getStateSource());

        w.get(0).ready(a, 0, 7);
        w.get(1).ready(b.toBuilder().setGeneration(0).build(), 0, 7); // from a generation that is not this one
        w.get(0).probe.expectNoMessage(Duration.ofMillis(300));
        w.get(1).ready(b, 0, 7);

        assertEquals(ToWorker.BodyCase.START, w.get(0).expect(ToWorker.BodyCase.START).getBodyCase());
        w.get(1).expect(ToWorker.BodyCase.START);
    }

    @Test
    void aFinishedRunRecordsItsCompletionBeforeLettingTheWorkersGo() {
        List<FakeWorker> w = start(new CoordinatorContext().minWorkers(1).maxWorkers(1), "a");
        RingAssignment ring = formAndStart(w, 0, 7).get(0);
        w.get(0).coordinator.tell(ToCoordinator.newBuilder().setFinished(WorkerFinished.newBuilder().setGeneration(ring.getGeneration())
                .setRank(0).setStepsDone(1000).setFinalLoss(0.5).setSamplesPerSecond(10)).build());
        assertTrue(w.get(0).expect(ToWorker.BodyCase.END).getEnd().getSuccess());
        assertEquals(List.of(1000L), commits.completions, "recorded before the workers are told the run is over");
        awaitEvent(RunEvent.RunFinished.class);
    }

    @Test
    void resumeAutoDoesNotTrainAFinishedRunAgain() {
        commits.completed = OptionalLong.of(1000); // the run's --steps
        commits.latest = OptionalLong.of(1000);
        start(new CoordinatorContext().minWorkers(1).maxWorkers(2).resume(ResumeMode.AUTO));
        // Workers that turn up are let go rather than left waiting for a ring (pods restarted with the coordinator).
        for (String name : List.of("a", "b")) {
            FakeWorker worker = new FakeWorker(name);
            ToWorker end = worker.probe.expectMessageClass(ToWorker.class, WAIT);
            if (end.getBodyCase() == ToWorker.BodyCase.WELCOME) { // listed before the look-up was done
                end = worker.probe.expectMessageClass(ToWorker.class, WAIT);
            }
            assertEquals(ToWorker.BodyCase.END, end.getBodyCase(), name + " got " + end);
            assertTrue(end.getEnd().getSuccess(), end.toString());
        }
        RunEvent.AlreadyFinished done = awaitEvent(RunEvent.AlreadyFinished.class);
        assertTrue(done.message().contains("not training it again: run protocol finished after 1000 steps")
                && done.message().contains("raise --steps above 1000"), done.message());
    }

    @Test
    void resumeAlwaysOnAFinishedRunFailsSayingHowToTrainFurther() {
        commits.completed = OptionalLong.of(1000);
        commits.latest = OptionalLong.of(1000);
        start(new CoordinatorContext().minWorkers(1).maxWorkers(1).resume(ResumeMode.ALWAYS));
        RunEvent.RunFailed failed = awaitEvent(RunEvent.RunFailed.class);
        assertTrue(failed.reason().startsWith("--resume: run protocol finished after 1000 steps"), failed.reason());
    }

    @Test
    void aResumeWithOtherSettingsThanTheCheckpointsIsRefusedNamingEachButMoreStepsAreFine() {
        commits.latest = OptionalLong.of(500);
        commits.latestConfig = Map.of("model", "toy", "seed", "2", "global_batch", "16", "optimizer", "sgd",
                "learning_rate", "0.2", "total_steps", "600", "option.hidden", "8");
        start(new CoordinatorContext().minWorkers(1).maxWorkers(1).resume(ResumeMode.ALWAYS));
        RunEvent.RunFailed failed = awaitEvent(RunEvent.RunFailed.class);
        assertTrue(failed.reason().contains("the checkpoint at step 500 of run protocol was made with seed 2 (now 1),"
                + " learning_rate 0.2 (now 0.1)"), failed.reason());
        assertTrue(failed.reason().contains("option.hidden 8 (now not given)"), "a model option dropped on resume: " + failed.reason());
        assertFalse(failed.reason().contains("total_steps"), "raising --steps is how a run trains further: " + failed.reason());
        assertFalse(failed.reason().contains("global_batch") || failed.reason().contains("optimizer"), failed.reason());
    }

    @Test
    void resumeAutoWithoutACheckpointStartsFresh() {
        List<FakeWorker> w = start(new CoordinatorContext().minWorkers(1).maxWorkers(1).resume(ResumeMode.AUTO), "a");
        RingAssignment ring = w.get(0).expectRing();
        assertEquals(StateSource.STATE_FRESH, ring.getStateSource());
        assertEquals(0, ring.getStartStep());
    }

    @Test
    void resumeAutoStartsFromTheNewestCheckpointOfARunFinishedWithFewerSteps() {
        commits.latest = OptionalLong.of(500);
        commits.completed = OptionalLong.of(400); // finished once at 400 steps, now trained to 1000
        List<FakeWorker> w = start(new CoordinatorContext().minWorkers(1).maxWorkers(1).resume(ResumeMode.AUTO), "a");
        RingAssignment ring = w.get(0).expectRing();
        assertEquals(StateSource.STATE_CHECKPOINT, ring.getStateSource());
        assertEquals(500, ring.getStartStep());
    }

    @Test
    void ranksThatHoldDifferentStatesCannotStart() {
        List<FakeWorker> w = start(new CoordinatorContext().minWorkers(2).maxWorkers(2), "a", "b");
        RingAssignment a = w.get(0).expectRing();
        RingAssignment b = w.get(1).expectRing();
        w.get(0).ready(a, 0, 7);
        w.get(1).ready(b, 0, 8);

        ToWorker end = w.get(0).expect(ToWorker.BodyCase.END);
        assertFalse(end.getEnd().getSuccess());
        assertTrue(end.getEnd().getReason().contains("cannot start"), end.getEnd().getReason());
    }

    @Test
    void aLostWorkerAbortsTheRingAndTheNextStartsFromTheFurthestStepWithThatRanksState() {
        List<FakeWorker> w = start(new CoordinatorContext().minWorkers(2).maxWorkers(3).initialWorkers(3), "a", "b", "c");
        List<RingAssignment> g1 = formAndStart(w, 0, 1);

        w.get(1).probe.stop(); // its actor is gone: the coordinator's watch fires
        assertEquals("b is gone: its worker actor stopped", awaitEvent(RunEvent.RingStopping.class).reason());
        w.get(0).expect(ToWorker.BodyCase.ABORT);
        w.get(2).expect(ToWorker.BodyCase.ABORT);
        w.get(0).stopped(g1.get(0), 10, 110, StopCause.STOP_BROKEN, 1, false);
        w.get(2).stopped(g1.get(2), 11, 111, StopCause.STOP_BROKEN, -1, false); // its last all-reduce completed here

        RingAssignment a2 = w.get(0).expectRing();
        RingAssignment c2 = w.get(2).expectRing();
        assertEquals(2, a2.getGeneration());
        assertEquals(List.of("a", "c"), a2.getWorkerIdsList());
        assertEquals(11, a2.getStartStep(), "the furthest step any survivor completed");
        assertEquals(StateSource.STATE_PEER, a2.getStateSource());
        assertEquals(1, a2.getSourceRank(), "c, now rank 1, holds step 11");
        assertEquals(a2.getSourceRank(), c2.getSourceRank());
        // Every member of a generation holds its token; the lost worker's (of generation 1) opens nothing in generation 2.
        assertNotEquals(0, g1.get(0).getRunToken());
        assertEquals(g1.get(0).getRunToken(), g1.get(1).getRunToken());
        assertEquals(a2.getRunToken(), c2.getRunToken());
        assertNotEquals(g1.get(0).getRunToken(), a2.getRunToken(), "each generation has a token of its own");

        w.get(0).ready(a2, 11, 111);
        w.get(2).ready(c2, 11, 111);
        w.get(0).expect(ToWorker.BodyCase.START);
    }

    @Test
    void aSuspectThatDoesNotAnswerTheAbortIsFencedAfterTheSuspectTimeout() {
        List<FakeWorker> w = start(new CoordinatorContext().minWorkers(2).maxWorkers(3).initialWorkers(3).suspectTimeout(Duration.ofMillis(300))
                .abortAckTimeout(Duration.ofSeconds(30)), "a", "b", "c");
        List<RingAssignment> g1 = formAndStart(w, 0, 1);

        w.get(1).stopped(g1.get(1), 20, 5, StopCause.STOP_BROKEN, 2, false); // b saw c go
        w.get(0).expect(ToWorker.BodyCase.ABORT);
        w.get(2).expect(ToWorker.BodyCase.ABORT); // c is frozen: it never answers
        w.get(0).ackAbort(g1.get(0));
        w.get(0).stopped(g1.get(0), 20, 5, StopCause.STOP_BROKEN, -1, false);

        RingAssignment a2 = w.get(0).expectRing();
        assertEquals(List.of("a", "b"), a2.getWorkerIdsList());
        assertEquals(StateSource.STATE_KEEP, a2.getStateSource(), "both hold step 20 with the same checksum");
        w.get(2).probe.expectNoMessage(Duration.ofMillis(200)); // no place in the new ring for the fenced one
    }

    @Test
    void aWorkerThatRegistersDuringTrainingPausesTheRingAndJoinsWithAPeersState() {
        List<FakeWorker> w = start(new CoordinatorContext().minWorkers(2).maxWorkers(3), "a", "b");
        List<RingAssignment> g1 = formAndStart(w, 0, 1);

        FakeWorker c = new FakeWorker("c").register(2);
        assertTrue(w.get(0).expect(ToWorker.BodyCase.PAUSE).getPause().getReason().contains("c wants to join"));
        w.get(1).expect(ToWorker.BodyCase.PAUSE);
        w.get(0).stopped(g1.get(0), 30, 9, StopCause.STOP_PAUSED, -1, false);
        w.get(1).stopped(g1.get(1), 30, 9, StopCause.STOP_PAUSED, -1, false);

        RingAssignment c2 = c.expectRing();
        assertEquals(List.of("a", "b", "c"), c2.getWorkerIdsList());
        assertEquals(30, c2.getStartStep());
        assertEquals(StateSource.STATE_PEER, c2.getStateSource());
        assertEquals(0, c2.getSourceRank());
    }

    @Test
    void aJoinThatBreaksWhileTheRingFormsAbortsTheReadyRanksAtOnceAndTheChangeStillNamesTheJoiner() {
        // stop-timeout far above the test's wait: before the fix, the ready ranks were left waiting for it and then fenced.
        List<FakeWorker> w = start(new CoordinatorContext().minWorkers(2).maxWorkers(3).stopTimeout(Duration.ofMinutes(5)), "a", "b");
        List<RingAssignment> g1 = formAndStart(w, 0, 1);
        FakeWorker c = new FakeWorker("c").register(2);
        w.get(0).expect(ToWorker.BodyCase.PAUSE);
        w.get(1).expect(ToWorker.BodyCase.PAUSE);
        w.get(0).stopped(g1.get(0), 30, 9, StopCause.STOP_PAUSED, -1, false);
        w.get(1).expect(ToWorker.BodyCase.PAUSE); // told again once a stopped: the ring paused at step 30
        w.get(1).stopped(g1.get(1), 30, 9, StopCause.STOP_PAUSED, -1, false);
        RingAssignment a2 = w.get(0).expectRing();
        RingAssignment b2 = w.get(1).expectRing();
        RingAssignment c2 = c.expectRing();
        w.get(0).ready(a2, 30, 9);
        w.get(1).ready(b2, 30, 9);

        c.stopped(c2, 0, 0, StopCause.STOP_BROKEN, -1, false); // the state never reached the joiner

        RunEvent.RingStopping stopping = awaitEvent(RunEvent.RingStopping.class);
        while (stopping.generation() == 1) { // the pause for c, said twice
            stopping = awaitEvent(RunEvent.RingStopping.class);
        }
        assertTrue(stopping.generation() == 2 && stopping.reason().contains("c's ring broke"), stopping.toString());
        w.get(0).expect(ToWorker.BodyCase.ABORT);
        w.get(1).expect(ToWorker.BodyCase.ABORT);
        c.probe.expectNoMessage(Duration.ofMillis(200)); // it has reported already
        w.get(0).ackAbort(a2);
        w.get(1).ackAbort(b2);
        w.get(0).stopped(a2, 30, 9, StopCause.STOP_BROKEN, -1, false);
        w.get(1).stopped(b2, 30, 9, StopCause.STOP_BROKEN, -1, false);
        List<RingAssignment> g3 = new ArrayList<>(List.of(w.get(0).expectRing(), w.get(1).expectRing(), c.expectRing()));
        assertEquals(3, g3.get(0).getGeneration());
        assertEquals(List.of("a", "b", "c"), g3.get(0).getWorkerIdsList());
        w.get(0).ready(g3.get(0), 30, 9);
        w.get(1).ready(g3.get(1), 30, 9);
        c.ready(g3.get(2), 30, 9);
        for (FakeWorker f : List.of(w.get(0), w.get(1), c)) {
            f.expect(ToWorker.BodyCase.START);
        }
        w.get(0).progressed(g3.get(0), 31);

        MembershipChange change = awaitEvent(RunEvent.RingReformed.class).change();
        assertEquals(1, change.fromGeneration(), change.describe());
        assertEquals(3, change.toGeneration(), change.describe());
        assertEquals(2, change.worldSizeBefore(), change.describe());
        assertEquals(List.of("c"), change.joined(), "the change runs from the ring that last trained: " + change.describe());
        assertTrue(change.left().isEmpty(), change.describe());
    }

    @Test
    void aCheckpointCommitsOnceEveryShardOfOneGenerationIsInAndDuplicatesAreHarmless() {
        List<FakeWorker> w = start(new CoordinatorContext().minWorkers(2).maxWorkers(2), "a", "b");
        List<RingAssignment> g1 = formAndStart(w, 0, 1);

        w.get(0).shardSaved(g1.get(0), 10);
        w.get(0).shardSaved(g1.get(0), 10); // sent twice
        w.get(1).probe.expectNoMessage(Duration.ofMillis(200));
        assertTrue(commits.committed.isEmpty(), "one shard of two is not a checkpoint");
        w.get(1).shardSaved(g1.get(1), 10);

        assertEquals(10, awaitEvent(RunEvent.CheckpointCommitted.class).step());
        assertEquals(1, commits.committed.size());
        assertEquals(List.of(0, 1), commits.committed.get(0).byRank().stream().map(s -> s.rank()).toList());
    }

    @Test
    void aLeaverFirstLetsTheRingCommitACheckpointAtTheStopStepThenIsReleased() {
        List<FakeWorker> w = start(new CoordinatorContext().minWorkers(1).maxWorkers(2).initialWorkers(2).checkpointBeforeLeave(5), "a", "b");
        List<RingAssignment> g1 = formAndStart(w, 0, 1);

        w.get(1).stopped(g1.get(1), 17, 4, StopCause.STOP_PAUSED, -1, true); // b votes to stop and leave
        w.get(0).expect(ToWorker.BodyCase.PAUSE); // (a stopped after the same step already: the vote is in the step)
        w.get(0).stopped(g1.get(0), 17, 4, StopCause.STOP_PAUSED, -1, false);
        for (FakeWorker worker : w) {
            assertEquals(17, worker.expect(ToWorker.BodyCase.SAVE).getSave().getStep());
        }
        w.get(1).probe.expectNoMessage(Duration.ofMillis(200)); // not released before the checkpoint is in
        w.get(0).shardSaved(g1.get(0), 17);
        w.get(1).shardSaved(g1.get(1), 17);

        assertEquals(17, awaitEvent(RunEvent.CheckpointCommitted.class).step());
        w.get(1).expect(ToWorker.BodyCase.RELEASED);
        RingAssignment a2 = w.get(0).expectRing();
        assertEquals(List.of("a"), a2.getWorkerIdsList());
        assertEquals(StateSource.STATE_KEEP, a2.getStateSource());
        assertEquals(2, commits.committed.get(0).worldSize(), "the leaver's shard is in it");
    }

    @Test
    void aStorageFailureEndsTheRunNamingTheWorker() {
        List<FakeWorker> w = start(new CoordinatorContext().minWorkers(2).maxWorkers(2), "a", "b");
        formAndStart(w, 0, 1);

        w.get(1).coordinator.tell(ToCoordinator.newBuilder().setFailed(WorkerFailed.newBuilder().setGeneration(1).setRank(1)
                .setWorkerId("b").setReason("saving the checkpoint at step 10 failed: disk full")
                .setKind(FailureKind.FAILURE_STORAGE)).build());

        for (FakeWorker worker : w) {
            ToWorker end = worker.expect(ToWorker.BodyCase.END);
            assertFalse(end.getEnd().getSuccess());
            assertTrue(end.getEnd().getReason().contains("worker b (rank 1) failed: saving the checkpoint at step 10 failed: disk full"),
                    end.getEnd().getReason());
        }
    }

    @Test
    void generationsAreNumberedAboveTheNewestCheckpointsSoThatItsCommitsAreNotFenced() {
        commits.latest = OptionalLong.of(500);
        commits.newestGeneration = 7; // a run resumed after every process was lost: no worker remembers generation 7
        List<FakeWorker> w = start(new CoordinatorContext().minWorkers(1).maxWorkers(1).resume(ResumeMode.ALWAYS), "a");
        RingAssignment ring = w.get(0).expectRing();
        assertEquals(8, ring.getGeneration());
        assertEquals(500, ring.getStartStep());
    }

    @Test
    void aFreshRunWhereTheRunAlreadyHasCheckpointsIsRefusedRatherThanOverwritingThem() {
        commits.latest = OptionalLong.of(500);
        List<FakeWorker> w = start(new CoordinatorContext().minWorkers(1).maxWorkers(1).resume(ResumeMode.NEVER), "a");
        ToWorker end = w.get(0).expect(ToWorker.BodyCase.END);
        assertFalse(end.getEnd().getSuccess());
        RunEvent.RunFailed failed = awaitEvent(RunEvent.RunFailed.class);
        assertTrue(failed.reason().contains("run protocol already has a committed checkpoint (step 500)")
                && failed.reason().contains("continue it with --resume") && failed.reason().contains("another --run-id"), failed.reason());
    }

    @Test
    void aCommitFencedByANewerGenerationStopsThisCoordinatorWithoutEndingTheWorkers() {
        commits.commitFailure = new CommitFencedException("the run's newest checkpoint is from ring generation 9", 9);
        List<FakeWorker> w = start(new CoordinatorContext().minWorkers(2).maxWorkers(2), "a", "b");
        List<RingAssignment> g1 = formAndStart(w, 0, 1);
        w.get(0).shardSaved(g1.get(0), 10);
        w.get(1).shardSaved(g1.get(1), 10);

        RunEvent.RunFailed failed = awaitEvent(RunEvent.RunFailed.class);
        assertTrue(failed.reason().startsWith("superseded by another coordinator: the run's newest checkpoint is from ring generation 9"),
                failed.reason());
        for (FakeWorker worker : w) { // they are the other coordinator's now: an End from this one would stop its run
            worker.probe.expectNoMessage(Duration.ofMillis(500));
        }
    }

    @Test
    void aCoordinatorThatTakesOverSkipsShardReportsSentAgainForStepsAlreadyCommittedEvenWhenTheyComeBeforeItsLookUp() {
        commits.latest = OptionalLong.of(950);
        commits.newestGeneration = 3;
        commits.lookUpGate = new CountDownLatch(1);
        startCoordinator(new CoordinatorContext().minWorkers(1).maxWorkers(1));
        FakeWorker a = new FakeWorker("a");
        ToWorker welcome = a.expect(ToWorker.BodyCase.WELCOME);
        ActorRefResolver resolver = ActorRefResolver.get(kit.system());
        a.coordinator = resolver.resolveActorRef(welcome.getWelcome().getCoordinator());
        RingAssignment ring = RingAssignment.newBuilder().setGeneration(3).setRank(0).setWorldSize(1).addEndpoints("a:1")
                .addWorkerIds("a").setStartStep(900).setStateSource(StateSource.STATE_KEEP).setRunToken(0x7e57L).build();
        a.coordinator.tell(ToCoordinator.newBuilder().setRegister(RegisterWorker.newBuilder()
                .setWorker(resolver.toSerializationFormat(a.probe.ref())).setWorkerId("a").setOrdinal(0).setDataPlaneEndpoint("a:1")
                .setHighestGeneration(3).setSituation(WorkerSituation.newBuilder().setPhase(WorkerSituation.Phase.PHASE_TRAINING)
                        .setRing(ring).setStepsDone(960))).build());
        a.shardSaved(ring, 900); // sent again: the coordinator before committed it, and 950 after it
        a.probe.expectNoMessage(Duration.ofMillis(300));
        assertTrue(commits.committed.isEmpty());

        commits.lookUpGate.countDown();
        RunEvent.TookOver took = awaitEvent(RunEvent.TookOver.class);
        assertEquals(3, took.generation());
        assertTrue(took.adopted());
        a.shardSaved(ring, 1000);
        assertEquals(1000, awaitEvent(RunEvent.CheckpointCommitted.class).step());
        assertEquals(List.of(1000L), commits.committed.stream().map(CheckpointShards::step).toList(), "step 900 was committed again");
    }

    @Test
    void aWorkerThatWasInAnotherRunIsTurnedAwayNamingBothRuns() {
        startCoordinator(new CoordinatorContext().minWorkers(1).maxWorkers(2));
        FakeWorker stray = new FakeWorker("stray");
        ToWorker welcome = stray.expect(ToWorker.BodyCase.WELCOME);
        ActorRefResolver resolver = ActorRefResolver.get(kit.system());
        resolver.<ToCoordinator>resolveActorRef(welcome.getWelcome().getCoordinator()).tell(ToCoordinator.newBuilder().setRegister(
                RegisterWorker.newBuilder().setWorker(resolver.toSerializationFormat(stray.probe.ref())).setWorkerId("stray")
                        .setDataPlaneEndpoint("stray:1").setSituation(WorkerSituation.newBuilder().setRunId("other-run")
                                .setPhase(WorkerSituation.Phase.PHASE_STANDBY).setStepsDone(40))).build());
        String reason = stray.expect(ToWorker.BodyCase.REJECTED).getRejected().getReason();
        assertTrue(reason.contains("worker stray was in run other-run, not run protocol"), reason);

        FakeWorker a = new FakeWorker("a").register(0); // the run goes on with its own workers
        assertEquals(List.of("a"), a.expectRing().getWorkerIdsList());
    }
}
