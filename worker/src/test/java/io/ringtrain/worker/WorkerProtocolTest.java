package io.ringtrain.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.protocol.control.AbortRing;
import io.ringtrain.protocol.control.FailureKind;
import io.ringtrain.protocol.control.PauseRing;
import io.ringtrain.protocol.control.Released;
import io.ringtrain.protocol.control.RingAssignment;
import io.ringtrain.protocol.control.StartTraining;
import io.ringtrain.protocol.control.StateSource;
import io.ringtrain.protocol.control.StopCause;
import io.ringtrain.protocol.control.ToCoordinator;
import io.ringtrain.protocol.control.ToWorker;
import io.ringtrain.protocol.control.Welcome;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Worker actor's protocol against a probe standing in for the coordinator and a scripted session (no data
 * plane, no model): what it reports, when, and what it drops.
 */
@Timeout(60)
class WorkerProtocolTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private ActorTestKit kit;
    private TestProbe<ToCoordinator> coordinator;
    private TestProbe<WorkerOutcome> outcome;
    private ScriptedSession session;
    private ActorRef<Worker.Command> worker;
    private ActorRef<ToWorker> wire;

    /** A session whose steps the test controls; records what the Worker asked of it. */
    static final class ScriptedSession implements TrainingSession {
        final List<String> calls = new CopyOnWriteArrayList<>();
        volatile long steps;
        volatile long peerSteps;
        /** While set, a step waits for an abort, then fails as a broken ring would. */
        volatile CountDownLatch blockSteps;
        volatile RuntimeException stepFailure;
        volatile RuntimeException joinFailure;

        @Override
        public String dataPlaneEndpoint() {
            return "scripted:1";
        }

        @Override
        public void joinRing(RingGeneration ring) {
            calls.add("join " + ring.generation());
            if (joinFailure != null) {
                throw joinFailure;
            }
        }

        @Override
        public StateDigest digest() {
            return new StateDigest(steps, (int) (steps * 31));
        }

        @Override
        public StateDigest restore(long step) {
            steps = step;
            return digest();
        }

        @Override
        public StateDigest receiveState(int sourceRank) {
            calls.add("receive from " + sourceRank);
            steps = peerSteps;
            return digest();
        }

        @Override
        public StepResult runStep(long step, boolean voteToStop) throws Exception {
            calls.add("step " + step);
            CountDownLatch block = blockSteps;
            if (block != null && block.await(20, TimeUnit.SECONDS)) {
                throw new SessionFailure.RingBroken("aborted", null, 2);
            }
            if (stepFailure != null) {
                throw stepFailure;
            }
            Thread.sleep(5);
            steps++;
            return new StepResult(step, 1.0, 16, 8, 1, 1, 1, voteToStop);
        }

        @Override
        public CompletionStage<SavedShard> saveCheckpoint(long step) {
            return new CompletableFuture<>(); // never completes: no checkpoints in these runs
        }

        @Override
        public SessionSummary finish() {
            calls.add("finish");
            return new SessionSummary(1.0, OptionalDouble.empty(), Map.of());
        }

        @Override
        public void abort(long generation, String reason) {
            calls.add("abort " + generation);
            CountDownLatch block = blockSteps;
            if (block != null) {
                block.countDown();
            }
        }

        @Override
        public void close() {
            calls.add("close");
        }
    }

    @BeforeEach
    void startWorker() {
        kit = ActorTestKit.create("worker-protocol");
        coordinator = kit.createTestProbe();
        outcome = kit.createTestProbe();
        session = new ScriptedSession();
        TrainingSessionFactory factory = new TrainingSessionFactory() {
            @Override
            public Set<String> models() {
                return Set.of("scripted");
            }

            @Override
            public TrainingSession open(RunSettings run, WorkerContext context) {
                return session;
            }
        };
        WorkerContext settings = new WorkerContext().name("w-1").ordinal(1).leaveTimeout(Duration.ofSeconds(5)).conclude();
        worker = kit.spawn(Worker.create(settings, factory, outcome.ref()));
        TestProbe<Receptionist.Listing> listing = kit.createTestProbe();
        long deadline = System.nanoTime() + WAIT.toNanos();
        Set<ActorRef<ToWorker>> found = Set.of();
        while (found.isEmpty() && System.nanoTime() < deadline) {
            kit.system().receptionist().tell(Receptionist.find(Worker.SERVICE_KEY, listing.ref()));
            found = listing.receiveMessage(WAIT).getServiceInstances(Worker.SERVICE_KEY);
        }
        wire = found.iterator().next();
        RunSettings run = new RunSettings("scripted-run", "scripted", 1, 16, 1000, "sgd", 0.1, "unused", "", 0,
                Duration.ofSeconds(30), "", Map.of());
        wire.tell(ToWorker.newBuilder().setWelcome(Welcome.newBuilder()
                .setCoordinator(ActorRefResolver.get(kit.system()).toSerializationFormat(coordinator.ref()))
                .setSpec(run.toProto())).build());
        ToCoordinator register = expect(ToCoordinator.BodyCase.REGISTER);
        assertEquals("scripted:1", register.getRegister().getDataPlaneEndpoint());
        assertEquals(1, register.getRegister().getOrdinal());
    }

    @AfterEach
    void stop() {
        kit.shutdownTestKit();
    }

    private ToCoordinator expect(ToCoordinator.BodyCase body) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            ToCoordinator m = coordinator.expectMessageClass(ToCoordinator.class, WAIT);
            if (m.getBodyCase() == body) {
                return m;
            }
            assertEquals(ToCoordinator.BodyCase.PROGRESS, m.getBodyCase(), "only progress may come in between, got " + m);
        }
        throw new AssertionError("no " + body);
    }

    private static ToWorker ring(long generation, int rank, long startStep, StateSource source, int sourceRank) {
        return ToWorker.newBuilder().setRing(RingAssignment.newBuilder().setGeneration(generation).setRank(rank).setWorldSize(3)
                .addEndpoints("x:1").addEndpoints("scripted:1").addEndpoints("y:1").setStartStep(startStep)
                .setStateSource(source).setSourceRank(sourceRank).setRunToken(0x7e57L + generation)).build();
    }

    private static ToWorker start(long generation) {
        return ToWorker.newBuilder().setStart(StartTraining.newBuilder().setGeneration(generation)).build();
    }

    /** Joins generation 1 fresh and starts training. */
    private void training() {
        wire.tell(ring(1, 1, 0, StateSource.STATE_FRESH, 0));
        assertEquals(0, expect(ToCoordinator.BodyCase.RING_READY).getRingReady().getStepsDone());
        wire.tell(start(1));
    }

    @Test
    void anAbortIsAcknowledgedAtOnceAndTheBrokenRingReportedWithTheStateHeld() {
        session.blockSteps = new CountDownLatch(1);
        training();
        wire.tell(ToWorker.newBuilder().setAbort(AbortRing.newBuilder().setGeneration(1).setReason("peer gone")).build());

        assertEquals(1, expect(ToCoordinator.BodyCase.ABORT_ACKNOWLEDGED).getAbortAcknowledged().getGeneration());
        var stopped = expect(ToCoordinator.BodyCase.STOPPED).getStopped();
        assertEquals(StopCause.STOP_BROKEN, stopped.getCause());
        assertEquals(0, stopped.getStepsDone());
        assertEquals(2, stopped.getLostPeer());
        assertTrue(session.calls.contains("abort 1"), session.calls.toString());
    }

    @Test
    void aPauseStopsTheRingAfterTheAgreedStepAndTheWorkerWaitsForTheNextGeneration() {
        training();
        expect(ToCoordinator.BodyCase.PROGRESS); // stepping
        wire.tell(ToWorker.newBuilder().setPause(PauseRing.newBuilder().setGeneration(1).setReason("a joiner")).build());

        var stopped = expect(ToCoordinator.BodyCase.STOPPED).getStopped();
        assertEquals(StopCause.STOP_PAUSED, stopped.getCause());
        assertTrue(stopped.getStepsDone() > 0);
        assertEquals(stopped.getStepsDone(), session.steps, "the reported state is the one held");
        int stepsBefore = session.calls.size();

        session.peerSteps = stopped.getStepsDone() + 1; // a peer got one step further
        wire.tell(ring(2, 1, stopped.getStepsDone() + 1, StateSource.STATE_PEER, 0));
        var ready = expect(ToCoordinator.BodyCase.RING_READY).getRingReady();
        assertEquals(2, ready.getGeneration());
        assertEquals(stopped.getStepsDone() + 1, ready.getStepsDone());
        assertTrue(session.calls.subList(stepsBefore, session.calls.size()).contains("receive from 0"), session.calls.toString());
    }

    @Test
    void messagesOfAnOlderGenerationAreDropped() {
        session.blockSteps = new CountDownLatch(1);
        training();
        wire.tell(ToWorker.newBuilder().setAbort(AbortRing.newBuilder().setGeneration(1)).build());
        expect(ToCoordinator.BodyCase.ABORT_ACKNOWLEDGED);
        expect(ToCoordinator.BodyCase.STOPPED);
        session.blockSteps = null;
        wire.tell(ring(2, 1, 0, StateSource.STATE_KEEP, 0));
        expect(ToCoordinator.BodyCase.RING_READY);

        wire.tell(start(1)); // stale: generation 1 is over
        wire.tell(ToWorker.newBuilder().setAbort(AbortRing.newBuilder().setGeneration(1)).build());
        coordinator.expectNoMessage(Duration.ofMillis(300));
        assertFalse(session.calls.contains("step 1"), session.calls.toString());

        wire.tell(start(2));
        expect(ToCoordinator.BodyCase.PROGRESS);
    }

    @Test
    void aRingAssignmentWithoutARunTokenIsRefusedSayingWhy() {
        // What a coordinator of an older version sends: the data plane could not fence its ring, so it must not join.
        wire.tell(ToWorker.newBuilder().setRing(ring(1, 1, 0, StateSource.STATE_FRESH, 0).getRing().toBuilder().clearRunToken())
                .build());

        WorkerOutcome result = outcome.expectMessageClass(WorkerOutcome.class, WAIT);
        assertFalse(result.success());
        assertTrue(result.message().contains("run token") && result.message().contains("same ringtrain version"), result.message());
        assertFalse(session.calls.stream().anyMatch(c -> c.startsWith("join")), session.calls.toString());
    }

    @Test
    void aModelFailureEndsTheRunAsAModelFailure() {
        session.stepFailure = new SessionFailure.ModelFailed("NaN in the loss", null);
        training();

        var failed = expect(ToCoordinator.BodyCase.FAILED).getFailed();
        assertEquals(FailureKind.FAILURE_MODEL, failed.getKind());
        assertTrue(failed.getReason().contains("NaN in the loss"), failed.getReason());
        WorkerOutcome result = outcome.expectMessageClass(WorkerOutcome.class, WAIT);
        assertFalse(result.success());
        assertTrue(session.calls.contains("close"), session.calls.toString());
    }

    @Test
    void aWorkerWhoseDataPlaneIsLostExitsWithoutFailingTheRun() {
        session.joinFailure = new SessionFailure.DataPlaneLost("this worker's data plane is gone: its Aeron client is closed", null);
        wire.tell(ring(1, 1, 0, StateSource.STATE_FRESH, 0));

        WorkerOutcome result = outcome.expectMessageClass(WorkerOutcome.class, WAIT);
        assertFalse(result.success());
        assertTrue(result.message().contains("its Aeron client is closed") && result.message().contains("to be started again"),
                result.message());
        assertTrue(session.calls.contains("close"), session.calls.toString());
        // Not the run's failure (which would end it for every worker): the coordinator hears of the exit instead.
        coordinator.expectNoMessage(Duration.ofMillis(300));
    }

    @Test
    void aLeavingWorkerStopsTheRingAtAStepBoundaryAndGoesOnceReleased() {
        training();
        expect(ToCoordinator.BodyCase.PROGRESS);
        worker.tell(new Worker.Leave("SIGTERM"));

        var stopped = expect(ToCoordinator.BodyCase.STOPPED).getStopped();
        assertTrue(stopped.getLeaving());
        assertEquals(StopCause.STOP_PAUSED, stopped.getCause());
        assertEquals("SIGTERM", stopped.getReason());
        outcome.expectNoMessage(Duration.ofMillis(200)); // not before the coordinator lets it go
        wire.tell(ToWorker.newBuilder().setReleased(Released.newBuilder().setReason("ring goes on")).build());

        WorkerOutcome result = outcome.expectMessageClass(WorkerOutcome.class, WAIT);
        assertTrue(result.success(), result.message());
        assertTrue(result.message().contains("left run scripted-run at step " + stopped.getStepsDone()), result.message());
    }
}
