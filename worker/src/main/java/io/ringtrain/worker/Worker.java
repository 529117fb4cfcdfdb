package io.ringtrain.worker;

import io.ringtrain.protocol.control.FailureKind;
import io.ringtrain.allreduce.RunToken;
import io.ringtrain.protocol.control.RingAssignment;
import io.ringtrain.protocol.control.StateSource;
import io.ringtrain.protocol.control.StopCause;
import io.ringtrain.protocol.control.ToCoordinator;
import io.ringtrain.protocol.control.ToWorker;
import io.ringtrain.protocol.control.WorkerSituation;
import io.ringtrain.protocol.control.WorkerSituation.Phase;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.BehaviorBuilder;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * One worker of a run. Registers with the Receptionist, answers the coordinator's Welcome, opens
 * its {@link TrainingSession}, and then, for every ring generation it is given: joins the ring,
 * takes the state the generation starts from (fresh, a checkpoint, a peer's, or its own), steps on
 * its own, reports progress every few seconds and saves checkpoint shards at the agreed steps.
 * When its ring stops (the ranks agreed to pause at a step boundary, or a collective failed because
 * a peer is gone) it reports the state it holds and waits, in {@link #standby}, for the next
 * generation. Every session call runs on the {@link SessionThread}; its result comes back as a
 * message.
 *
 * <p>States: {@link #awaitingWelcome} -> {@link #opening} -> {@link #standby} -> {@link #joining}
 * -> {@link #ready} -> {@link #training} -> ({@link #standby} when the ring stops) ->
 * {@link #finishing} -> {@link #finished} -> {@link #closing}; {@link #leaving} after a
 * {@link Leave}. Coordinator messages are adapted to typed records once ({@link #adapt}), and those
 * of an older ring generation are dropped in one place ({@link #receive(long)}).
 *
 * <p>The run ends for this worker when the coordinator sends EndRun (or releases it after it asked
 * to leave), when the session fails in a way re-forming the ring cannot mend, or when the
 * coordinator is lost; in every case the session is closed (bounded by the close timeout) and the
 * outcome goes to {@code outcome} before the actor stops.
 */
public final class Worker {

    /** The key workers register under; the coordinator subscribes to it. */
    public static final ServiceKey<ToWorker> SERVICE_KEY = ServiceKey.create(ToWorker.class, "ringtrain-workers");

    public sealed interface Command {
    }

    /**
     * Leave the run at the next step boundary (SIGTERM, pod eviction): the ring stops after the step in flight,
     * the coordinator re-forms it without this worker, and the worker stops once released (or after its leave
     * timeout). Its outcome is then a success.
     */
    public record Leave(String reason) implements Command {
    }

    /** A coordinator message about one ring generation; those of older generations are dropped unread. */
    private sealed interface ForGeneration extends Command {
        long generation();
    }

    // ---- coordinator messages, adapted from the wire once ({@link #adapt}) ------------------

    private record Welcomed(ActorRef<ToCoordinator> coordinator, RunSettings run) implements Command {
    }

    private record RingAssigned(RingGeneration ring, long startStep, StateSource source, int sourceRank, RingAssignment assignment)
            implements ForGeneration {
        @Override
        public long generation() {
            return ring.generation();
        }

        /** Without the wire message, which holds the run token in the clear (protobuf prints every field). */
        @Override
        public String toString() {
            return "RingAssigned[" + ring + ", startStep=" + startStep + ", source=" + source + ", sourceRank=" + sourceRank + "]";
        }
    }

    private record StartRequested(long generation) implements ForGeneration {
    }

    private record PauseRequested(long generation, String reason) implements ForGeneration {
    }

    private record AbortRequested(long generation, String reason) implements ForGeneration {
    }

    private record SaveRequested(long generation, long step) implements ForGeneration {
    }

    private record Rejected(String reason) implements Command {
    }

    private record Released(String reason) implements Command {
    }

    private record RunEnded(boolean success, String reason) implements Command {
    }

    private record Unreadable(String problem) implements Command {
    }

    // ---- results of session calls, and other signals ---------------------------------------

    private record SessionOpened(String dataPlaneEndpoint) implements Command {
    }

    private record Joined(long generation, StateDigest state) implements Command {
    }

    private record StepDone(long generation, StepResult result, Optional<StateDigest> stoppedAt) implements Command {
    }

    /** The ring of {@code generation} stopped on this rank, which now holds {@code state}; {@code lostPeer} -1: none seen. */
    private record Stopped(long generation, StateDigest state, StopCause cause, String reason, int lostPeer) implements Command {
        Stopped(long generation, StateDigest state, StopCause cause, String reason) {
            this(generation, state, cause, reason, -1);
        }
    }

    private record ShardDone(long generation, SavedShard shard) implements Command {
    }

    private record SessionFinished(long generation, SessionSummary summary) implements Command {
    }

    private record SessionFailed(String during, Throwable cause) implements Command {
    }

    private record SessionClosed() implements Command {
    }

    private record CoordinatorLost(String address) implements Command {
    }

    private enum Timer implements Command { WELCOME_TIMEOUT, REPORT, CLOSE_TIMEOUT, LEAVE_TIMEOUT, COORDINATOR_TIMEOUT }

    // ---- state, as immutable values passed from behavior to behavior -----------------------

    /**
     * What a welcomed worker carries from one ring generation to the next: its coordinator (absent while a new one
     * takes over), the last ring it was assigned, the state it last reported holding between rings, its saves in
     * flight, and the reports a coordinator that takes over must get again (its recent shard reports, its final one).
     */
    private record Member(Optional<ActorRef<ToCoordinator>> coordinator, RunSettings run, Optional<RingAssigned> assigned,
                          Optional<StateDigest> held, int savesInFlight, Optional<Leave> leave, List<ToCoordinator> resend, String endpoint) {
        /** Shard reports kept for a coordinator that takes over: enough for the checkpoints that can still commit. */
        static final int RESEND_KEPT = 16;

        Member {
            resend = List.copyOf(resend);
        }

        Member saves(int delta) {
            return new Member(coordinator, run, assigned, held, savesInFlight + delta, leave, resend, endpoint);
        }

        Member assigned(RingAssigned next) {
            return new Member(coordinator, run, Optional.of(next), held, savesInFlight, leave, resend, endpoint);
        }

        Member holding(StateDigest state) {
            return new Member(coordinator, run, assigned, Optional.of(state), savesInFlight, leave, resend, endpoint);
        }

        Member leaving(Leave request) {
            return new Member(coordinator, run, assigned, held, savesInFlight, Optional.of(request), resend, endpoint);
        }

        Member listeningAt(String dataPlaneEndpoint) {
            return new Member(coordinator, run, assigned, held, savesInFlight, leave, resend, dataPlaneEndpoint);
        }

        Member coordinatedBy(Optional<ActorRef<ToCoordinator>> next) {
            return new Member(next, run, assigned, held, savesInFlight, leave, resend, endpoint);
        }

        /** Remembers a report a coordinator that takes over must get again. */
        Member keep(ToCoordinator report) {
            List<ToCoordinator> next = new java.util.ArrayList<>(resend);
            next.add(report);
            return new Member(coordinator, run, assigned, held, savesInFlight, leave,
                    next.subList(Math.max(0, next.size() - RESEND_KEPT), next.size()), endpoint);
        }

        Optional<RingGeneration> ring() {
            return assigned.map(RingAssigned::ring);
        }

        /** The newest generation this worker was assigned; older messages are stale. */
        long generation() {
            return ring().map(RingGeneration::generation).orElse(0L);
        }
    }

    /** Where a worker is within one generation's training. */
    private record Training(RingGeneration ring, long stepsDone, ProgressMeter meter, boolean voteToStop, boolean firstReported) {
        Training stepDone(StepResult result) {
            return new Training(ring, stepsDone + 1, meter.stepDone(result), voteToStop, firstReported);
        }

        Training votingToStop() {
            return new Training(ring, stepsDone, meter, true, firstReported);
        }

        Training reported(long nowNanos) {
            return new Training(ring, stepsDone, meter.reported(nowNanos), voteToStop, true);
        }
    }

    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final WorkerContext settings;
    private final TrainingSessionFactory sessions;
    private final ActorRef<WorkerOutcome> outcome;
    private final Map<String, String> mdc;
    private final SessionThread sessionThread;
    private final ActorRefResolver resolver;
    private final ActorRef<ToWorker> self;

    /**
     * @param settings a concluded {@link WorkerContext}
     * @param outcome  receives exactly one {@link WorkerOutcome}, just before this actor stops
     */
    public static Behavior<Command> create(WorkerContext settings, TrainingSessionFactory sessions, ActorRef<WorkerOutcome> outcome) {
        if (!settings.isConcluded()) {
            throw new IllegalArgumentException("conclude() the WorkerContext before creating a Worker");
        }
        Map<String, String> mdc = new HashMap<>();
        mdc.put("worker", settings.name());
        return Behaviors.withMdc(Command.class, message -> Map.copyOf(mdc),
                Behaviors.setup(context -> Behaviors.withTimers(timers ->
                        new Worker(context, timers, settings, sessions, outcome, mdc).awaitingWelcome())));
    }

    private Worker(ActorContext<Command> context, TimerScheduler<Command> timers, WorkerContext settings,
                   TrainingSessionFactory sessions, ActorRef<WorkerOutcome> outcome, Map<String, String> mdc) {
        this.context = context;
        this.timers = timers;
        this.settings = settings;
        this.sessions = sessions;
        this.outcome = outcome;
        this.mdc = mdc;
        this.sessionThread = new SessionThread(settings.name());
        this.resolver = ActorRefResolver.get(context.getSystem());
        this.self = context.messageAdapter(ToWorker.class, this::adapt);
        context.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, self));
        timers.startSingleTimer(Timer.WELCOME_TIMEOUT, settings.welcomeTimeout());
    }

    /** The one place wire messages become typed commands; a message that does not make sense is reported, not acted on. */
    private Command adapt(ToWorker message) {
        try {
            return switch (message.getBodyCase()) {
                case WELCOME -> new Welcomed(resolver.resolveActorRef(message.getWelcome().getCoordinator()),
                        RunSettings.fromProto(message.getWelcome().getSpec()));
                case RING -> {
                    RingAssignment a = message.getRing();
                    yield new RingAssigned(new RingGeneration(a.getGeneration(), a.getRank(), a.getEndpointsList(),
                            new RunToken(a.getRunToken())),
                            a.getStartStep(), a.getStateSource(), a.getSourceRank(), a);
                }
                case START -> new StartRequested(message.getStart().getGeneration());
                case PAUSE -> new PauseRequested(message.getPause().getGeneration(), message.getPause().getReason());
                case ABORT -> new AbortRequested(message.getAbort().getGeneration(), message.getAbort().getReason());
                case SAVE -> new SaveRequested(message.getSave().getGeneration(), message.getSave().getStep());
                case REJECTED -> new Rejected(message.getRejected().getReason());
                case RELEASED -> new Released(message.getReleased().getReason());
                case END -> new RunEnded(message.getEnd().getSuccess(), message.getEnd().getReason());
                case BODY_NOT_SET -> new Unreadable("a message from the coordinator has no body (a newer ringtrain version?)");
            };
        } catch (IllegalArgumentException e) {
            return new Unreadable("the coordinator's " + message.getBodyCase() + " message does not make sense: " + e.getMessage());
        }
    }

    // ---- states ----------------------------------------------------------------------------

    private Behavior<Command> awaitingWelcome() {
        return running(Behaviors.receive(Command.class)
                .onMessage(Welcomed.class, this::welcomed)
                .onMessage(Leave.class, leave -> closing(WorkerOutcome.succeeded("left before a coordinator contacted it")))
                .onMessageEquals(Timer.WELCOME_TIMEOUT, () -> closing(WorkerOutcome.failed("no coordinator contacted worker "
                        + settings.name() + " within " + seconds(settings.welcomeTimeout()) + ": check that the coordinator is"
                        + " running and that the coordinator address (--join) or Kubernetes discovery points at it"))));
    }

    private Behavior<Command> welcomed(Welcomed welcome) {
        timers.cancel(Timer.WELCOME_TIMEOUT);
        context.watchWith(welcome.coordinator(), new CoordinatorLost(welcome.coordinator().path().address().toString()));
        RunSettings run = welcome.run();
        mdc.put("runId", run.runId());
        context.getLog().info("coordinator {} welcomed this worker to run {} (model {}, {} steps)",
                welcome.coordinator().path().address(), run.runId(), run.model(), run.totalSteps());
        context.pipeToSelf(sessionThread.open(Map.copyOf(mdc), sessions, run, settings),
                (endpoint, error) -> error == null ? new SessionOpened(endpoint) : new SessionFailed("opening the training session", error));
        return opening(new Member(Optional.of(welcome.coordinator()), run, Optional.empty(), Optional.empty(), 0, Optional.empty(), List.of(), ""));
    }

    private Behavior<Command> opening(Member m) {
        return running(m, situation(m, Phase.PHASE_UNSPECIFIED, 0), this::opening, Behaviors.receive(Command.class)
                .onMessage(SessionOpened.class, opened -> {
                    Member registered = m.listeningAt(opened.dataPlaneEndpoint());
                    tell(registered, ToCoordinatorMessages.register(resolver.toSerializationFormat(self), settings,
                            opened.dataPlaneEndpoint(), 0, situation(registered, Phase.PHASE_UNSPECIFIED, 0)));
                    context.getLog().info("registered with data-plane endpoint {}", opened.dataPlaneEndpoint());
                    return registered.leave().isPresent() ? leave(registered, registered.leave().get(), Optional.empty()) : standby(registered);
                })
                .onMessage(Welcomed.class, welcome -> { // another coordinator took over before the session opened
                    context.watchWith(welcome.coordinator(), new CoordinatorLost(welcome.coordinator().path().address().toString()));
                    timers.cancel(Timer.COORDINATOR_TIMEOUT);
                    return opening(m.coordinatedBy(Optional.of(welcome.coordinator())));
                })
                .onMessage(Leave.class, leave -> opening(m.leaving(leave))));
    }

    /** Registered, in no ring: waits for the coordinator to assign one (first, or after the last one stopped). */
    private Behavior<Command> standby(Member m) {
        return running(m, situation(m, Phase.PHASE_STANDBY, m.held().map(StateDigest::stepsDone).orElse(0L)), this::standby,
                receive(m.generation())
                .onMessage(RingAssigned.class, assigned -> join(m, assigned))
                .onMessage(SaveRequested.class, save -> {
                    saveShard(save.generation(), save.step());
                    return standby(m.saves(+1));
                })
                .onMessage(Leave.class, leave -> leave(m, leave, Optional.empty()))
                .onMessage(AbortRequested.class, abort -> Behaviors.same()) // already stopped and reported
                .onMessage(PauseRequested.class, pause -> Behaviors.same()));
    }

    private Behavior<Command> join(Member previous, RingAssigned a) {
        RingGeneration ring = a.ring();
        Member m = previous.assigned(a);
        mdc.put("rank", Integer.toString(ring.rank()));
        mdc.put("generation", Long.toString(ring.generation()));
        context.getLog().info("joining ring generation {} as rank {} of {}, from step {} ({})", ring.generation(), ring.rank(),
                ring.worldSize(), a.startStep(), describe(a.source(), a.sourceRank()));
        onRing(ring.generation(), "joining ring generation " + ring.generation(), s -> {
            s.joinRing(ring);
            StateDigest state = switch (a.source()) {
                case STATE_FRESH, STATE_KEEP -> s.digest();
                case STATE_CHECKPOINT -> s.restore(a.startStep());
                case STATE_PEER -> s.receiveState(a.sourceRank());
                case STATE_SOURCE_UNSPECIFIED, UNRECOGNIZED -> throw new IllegalArgumentException(
                        "the coordinator sent no state source for generation " + ring.generation());
            };
            return new Joined(ring.generation(), state);
        });
        return joining(m, a, Optional.empty());
    }

    /**
     * @param aborted why the coordinator aborted this generation while the join ran, if it did: a join can still
     *                complete after the abort (the state was through before it took effect), and must then be
     *                reported as stopped, not ready.
     */
    private Behavior<Command> joining(Member m, RingAssigned a, Optional<String> aborted) {
        long g = a.generation();
        return running(m, situation(m, Phase.PHASE_JOINING, a.startStep()), next -> joining(next, a, aborted), receive(g)
                .onMessage(Joined.class, joined -> joined.generation() == g, joined -> {
                    if (joined.state().stepsDone() != a.startStep()) {
                        return fail(m, "after joining generation " + g + " this rank holds the state of step "
                                + joined.state().stepsDone() + ", not step " + a.startStep(), FailureKind.FAILURE_INTERNAL);
                    }
                    if (aborted.isPresent()) {
                        return stopped(m, a.ring(), new Stopped(g, joined.state(), StopCause.STOP_BROKEN, aborted.get()));
                    }
                    if (m.leave().isPresent()) {
                        return stopped(m, a.ring(), new Stopped(g, joined.state(), StopCause.STOP_PAUSED, m.leave().get().reason()));
                    }
                    tell(m, ToCoordinatorMessages.ringReady(a.ring(), joined.state()));
                    context.getLog().info("ring generation {} joined; holding {}", g, joined.state());
                    return ready(m, a.ring(), joined.state());
                })
                .onMessage(Stopped.class, stopped -> stopped.generation() == g, stopped -> stopped(m, a.ring(), stopped))
                .onMessage(AbortRequested.class, abort -> {
                    abortRing(m, a.ring(), abort);
                    return joining(m, a, Optional.of(abort.reason()));
                })
                .onMessage(Leave.class, leave -> joining(m.leaving(leave), a, aborted))
                .onMessage(PauseRequested.class, pause -> joining(m, a, aborted)));
    }

    /** Joined, holding the generation's start state: waits for every rank to be ready too. */
    private Behavior<Command> ready(Member m, RingGeneration ring, StateDigest state) {
        long g = ring.generation();
        return running(m, situation(m, Phase.PHASE_JOINING, state.stepsDone()), next -> ready(next, ring, state), receive(g)
                .onMessage(StartRequested.class, start -> start.generation() == g, start -> startTraining(m, ring, state))
                .onMessage(RingAssigned.class, assigned -> assigned.generation() > g, assigned -> join(m, assigned))
                .onMessage(AbortRequested.class, abort -> {
                    tell(m, ToCoordinatorMessages.abortAcknowledged(ring));
                    return stopped(m, ring, new Stopped(g, state, StopCause.STOP_BROKEN, abort.reason()));
                })
                .onMessage(PauseRequested.class, pause -> stopped(m, ring, new Stopped(g, state, StopCause.STOP_PAUSED, pause.reason())))
                .onMessage(Leave.class, leave -> stopped(m.leaving(leave), ring, new Stopped(g, state, StopCause.STOP_PAUSED, leave.reason()))));
    }

    private Behavior<Command> startTraining(Member m, RingGeneration ring, StateDigest state) {
        context.getLog().info("training generation {} from step {} to {}", ring.generation(), state.stepsDone(), m.run().totalSteps());
        timers.startTimerWithFixedDelay(Timer.REPORT, m.run().progressInterval());
        return nextStep(m, new Training(ring, state.stepsDone(), ProgressMeter.startingAt(System.nanoTime()), m.leave().isPresent(), false));
    }

    /** Submits the next step, or starts finishing once the last one is done. */
    private Behavior<Command> nextStep(Member m, Training t) {
        if (t.stepsDone() >= m.run().totalSteps()) {
            return finishing(m, t, false, false);
        }
        long step = t.stepsDone();
        long g = t.ring().generation();
        boolean vote = t.voteToStop();
        onRing(g, "step " + step, s -> {
            StepResult result = s.runStep(step, vote);
            return new StepDone(g, result, result.stopAgreed() ? Optional.of(s.digest()) : Optional.empty());
        });
        return training(m, t);
    }

    private Behavior<Command> training(Member m, Training t) {
        long g = t.ring().generation();
        return running(m, situation(m, Phase.PHASE_TRAINING, t.stepsDone()), next -> training(next, t), receive(g)
                .onMessage(StepDone.class, done -> done.generation() == g && done.result().step() == t.stepsDone(),
                        done -> onStepDone(m, t, done))
                .onMessage(Stopped.class, stopped -> stopped.generation() == g, stopped -> stopped(m, t.ring(), stopped))
                .onMessage(PauseRequested.class, pause -> {
                    context.getLog().info("asked to pause at the next step boundary: {}", pause.reason());
                    return training(m, t.votingToStop());
                })
                .onMessage(Leave.class, leave -> {
                    context.getLog().info("leaving at the next step boundary: {}", leave.reason());
                    return training(m.leaving(leave), t.votingToStop());
                })
                .onMessage(AbortRequested.class, abort -> abortRing(m, t.ring(), abort))
                .onMessageEquals(Timer.REPORT, () -> training(m, reportProgress(m, t))));
    }

    private Behavior<Command> onStepDone(Member m, Training before, StepDone done) {
        Training t = before.stepDone(done.result());
        if (!t.firstReported()) {
            t = reportProgress(m, t); // right after the first step, so the coordinator sees when the generation got going
        }
        Member after = m;
        if (m.run().checkpointDueAfter(t.stepsDone())) {
            saveShard(t.ring().generation(), t.stepsDone());
            after = m.saves(+1);
        }
        if (done.stoppedAt().isPresent()) {
            reportProgress(after, t);
            String reason = m.leave().map(Leave::reason).orElse("the ranks agreed to stop after step " + t.stepsDone());
            return stopped(after, t.ring(), new Stopped(t.ring().generation(), done.stoppedAt().get(), StopCause.STOP_PAUSED, reason));
        }
        return nextStep(after, t);
    }

    /** The ring stopped on this rank: report the state it holds, then wait for the next generation (or go, when leaving). */
    private Behavior<Command> stopped(Member before, RingGeneration ring, Stopped stop) {
        Member m = before.holding(stop.state());
        timers.cancel(Timer.REPORT);
        boolean leaving = m.leave().isPresent();
        tell(m, ToCoordinatorMessages.stopped(ring, stop.state(), stop.cause(), stop.reason(), leaving, stop.lostPeer()));
        context.getLog().info("ring generation {} stopped ({}: {}); holding {}", ring.generation(),
                stop.cause() == StopCause.STOP_PAUSED ? "paused" : "broken", stop.reason(), stop.state());
        return leaving ? leaving(m, Optional.of(stop.state()), false) : standby(m);
    }

    private Behavior<Command> abortRing(Member m, RingGeneration ring, AbortRequested abort) {
        context.getLog().info("the coordinator aborted ring generation {}: {}", ring.generation(), abort.reason());
        sessionThread.abort(abort.generation(), abort.reason());
        tell(m, ToCoordinatorMessages.abortAcknowledged(ring));
        return Behaviors.same(); // whatever runs on the ring now fails and comes back as Stopped
    }

    /** After the last step: waits for the saves still in flight, then lets the session finish (once). */
    private Behavior<Command> finishing(Member m, Training t, boolean aborted, boolean submitted) {
        long g = t.ring().generation();
        if (!submitted && m.savesInFlight() == 0) {
            context.pipeToSelf(sessionThread.call(Map.copyOf(mdc), TrainingSession::finish),
                    (summary, error) -> error == null ? new SessionFinished(g, summary) : new SessionFailed("finishing the run", error));
            return finishing(m, t, aborted, true);
        }
        return running(m, situation(m, Phase.PHASE_TRAINING, t.stepsDone()), next -> finishing(next, t, aborted, submitted), receive(g)
                .onMessage(SessionFinished.class, finished -> onFinished(m, t, finished.summary(), aborted))
                .onMessage(AbortRequested.class, abort -> {
                    tell(m, ToCoordinatorMessages.abortAcknowledged(t.ring()));
                    return finishing(m, t, true, submitted);
                })
                .onMessage(Leave.class, leave -> finishing(m.leaving(leave), t, aborted, submitted))
                .onMessageEquals(Timer.REPORT, Behaviors::same));
    }

    private Behavior<Command> onFinished(Member finishing, Training t, SessionSummary summary, boolean aborted) {
        Member m = finishing;
        timers.cancel(Timer.REPORT);
        ToCoordinator report = ToCoordinatorMessages.finished(t.ring(), t.stepsDone(), t.meter().overallRate(System.nanoTime()), summary);
        tell(m, report);
        m = m.keep(report);
        context.getLog().info("finished {} steps, final loss {}", t.stepsDone(), summary.finalLoss());
        if (m.leave().isPresent()) {
            return closing(WorkerOutcome.succeeded("left run " + m.run().runId() + " after finishing all " + t.stepsDone() + " steps"));
        }
        if (aborted) {
            return reportStateThen(m, t.ring(), StopCause.STOP_BROKEN, "aborted after finishing");
        }
        return finished(m, t.ring());
    }

    /** Finished; waits for the coordinator's EndRun (handled in {@link #running}), or an abort when a peer was lost. */
    private Behavior<Command> finished(Member m, RingGeneration ring) {
        return running(m, situation(m, Phase.PHASE_FINISHED, m.run().totalSteps()), next -> finished(next, ring), receive(ring.generation())
                .onMessage(AbortRequested.class, abort -> {
                    tell(m, ToCoordinatorMessages.abortAcknowledged(ring));
                    return reportStateThen(m, ring, StopCause.STOP_BROKEN, abort.reason());
                })
                .onMessage(RingAssigned.class, assigned -> assigned.generation() > ring.generation(), assigned -> join(m, assigned))
                .onMessage(Leave.class, leave -> closing(WorkerOutcome.succeeded("left run " + m.run().runId() + " after finishing")))
                .onMessage(PauseRequested.class, pause -> Behaviors.same()));
    }

    /** Reads this rank's state digest on the session thread, then reports the ring stopped. */
    private Behavior<Command> reportStateThen(Member m, RingGeneration ring, StopCause cause, String reason) {
        long g = ring.generation();
        context.pipeToSelf(sessionThread.call(Map.copyOf(mdc), TrainingSession::digest),
                (state, error) -> error == null ? new Stopped(g, state, cause, reason) : new SessionFailed("reading the state", error));
        return awaitingState(m, ring);
    }

    private Behavior<Command> awaitingState(Member m, RingGeneration ring) {
        long g = ring.generation();
        return running(m, situation(m, Phase.PHASE_STANDBY, m.held().map(StateDigest::stepsDone).orElse(0L)),
                next -> awaitingState(next, ring), receive(g)
                .onMessage(Stopped.class, stopped -> stopped.generation() == g, stopped -> stopped(m, ring, stopped))
                .onMessage(Leave.class, leave -> awaitingState(m.leaving(leave), ring)));
    }

    /** Asks the coordinator to leave from outside any ring (standby, or just registered). */
    private Behavior<Command> leave(Member m, Leave request, Optional<StateDigest> state) {
        ToCoordinator asking = ToCoordinatorMessages.leave(settings, request.reason());
        Member leaving = m.leaving(request).keep(asking);
        tell(m, asking);
        context.getLog().info("asked the coordinator to leave: {}", request.reason());
        return leaving(leaving, state, false);
    }

    /**
     * This worker asked to leave and is out of the ring: it stays to save a last shard if the coordinator asks,
     * and goes once released and its uploads are done, or after the leave timeout.
     */
    private Behavior<Command> leaving(Member m, Optional<StateDigest> state, boolean released) {
        if (!timers.isTimerActive(Timer.LEAVE_TIMEOUT)) {
            timers.startSingleTimer(Timer.LEAVE_TIMEOUT, settings.leaveTimeout());
        }
        String left = "left run " + m.run().runId() + state.map(s -> " at step " + s.stepsDone()).orElse("") + ": "
                + m.leave().map(Leave::reason).orElse("asked to");
        if (released && m.savesInFlight() == 0) {
            return closing(WorkerOutcome.succeeded(left));
        }
        return running(m, situation(m, Phase.PHASE_STANDBY, state.map(StateDigest::stepsDone).orElse(0L)),
                next -> leaving(next, state, released), Behaviors.receive(Command.class)
                .onMessage(Released.class, r -> leaving(m, state, true))
                .onMessage(SaveRequested.class, save -> {
                    saveShard(save.generation(), save.step());
                    return leaving(m.saves(+1), state, released);
                })
                .onMessageEquals(Timer.LEAVE_TIMEOUT, () -> closing(WorkerOutcome.succeeded(left + " (the coordinator did not"
                        + " release it within " + seconds(settings.leaveTimeout()) + ")")))
                .onMessage(Leave.class, again -> Behaviors.same())
                .onMessage(ForGeneration.class, ignored -> Behaviors.same()));
    }

    /** Closes the session (bounded by the close timeout), hands over the outcome and stops. */
    private Behavior<Command> closing(WorkerOutcome result) {
        timers.cancelAll();
        timers.startSingleTimer(Timer.CLOSE_TIMEOUT, settings.closeTimeout());
        context.pipeToSelf(sessionThread.close(Map.copyOf(mdc)), (ok, error) -> {
            if (error != null) {
                context.getLog().warn("closing the training session failed: {}", rootMessage(error));
            }
            return new SessionClosed();
        });
        return Behaviors.receive(Command.class)
                .onMessage(SessionClosed.class, closed -> stop(result))
                .onMessageEquals(Timer.CLOSE_TIMEOUT, () -> {
                    context.getLog().warn("the training session did not close within {}; stopping anyway", seconds(settings.closeTimeout()));
                    return stop(result);
                })
                .onAnyMessage(m -> Behaviors.same())
                .build();
    }

    private Behavior<Command> stop(WorkerOutcome result) {
        if (result.success()) {
            context.getLog().info("worker {} done: {}", settings.name(), result.message());
        } else {
            context.getLog().error("worker {} failed: {}", settings.name(), result.message());
        }
        outcome.tell(result);
        return Behaviors.stopped();
    }

    // ---- handling shared by several states --------------------------------------------------

    /** A state's handlers, after the one generation filter: messages about generations older than {@code generation} are dropped. */
    private BehaviorBuilder<Command> receive(long generation) {
        return Behaviors.receive(Command.class)
                .onMessage(ForGeneration.class, m -> m.generation() < generation, stale -> {
                    context.getLog().debug("dropping {}: generation {} is over", stale, stale.generation());
                    return Behaviors.same();
                });
    }

    /** Before a coordinator welcomed this worker. */
    private Behavior<Command> running(BehaviorBuilder<Command> state) {
        return endOfRun(state, Optional.empty()).build();
    }

    /**
     * After the welcome: also saves that complete in the background (in whatever state the worker is by then), and
     * the coordinator's loss and replacement: training goes on without a coordinator (it is off the per-step path);
     * a new one that welcomes this worker gets {@code situation} and every report it may have missed. Each re-enters
     * the current state through {@code again} with the updated member.
     */
    private Behavior<Command> running(Member m, WorkerSituation situation, java.util.function.Function<Member, Behavior<Command>> again,
                                      BehaviorBuilder<Command> state) {
        return endOfRun(state
                .onMessage(ShardDone.class, done -> again.apply(shardDone(m, done)))
                .onMessage(Welcomed.class, welcome -> {
                    if (!welcome.run().equals(m.run())) {
                        return fail(m, "a new coordinator at " + welcome.coordinator().path().address() + " runs other settings than"
                                + " the run this worker trains (" + welcome.run() + " instead of " + m.run() + ")", FailureKind.FAILURE_INTERNAL);
                    }
                    return again.apply(rejoin(m, welcome, situation));
                })
                .onMessage(CoordinatorLost.class, lost -> m.coordinator().isPresent()
                        && m.coordinator().get().path().address().toString().equals(lost.address()), lost -> {
                    context.getLog().warn("lost the coordinator at {}; training goes on, waiting up to {} for a new coordinator",
                            lost.address(), seconds(settings.coordinatorTimeout()));
                    timers.startSingleTimer(Timer.COORDINATOR_TIMEOUT, settings.coordinatorTimeout());
                    return again.apply(m.coordinatedBy(Optional.empty()));
                })
                .onMessageEquals(Timer.COORDINATOR_TIMEOUT, () -> closing(WorkerOutcome.failed("lost the coordinator of run "
                        + m.run().runId() + " and no new one welcomed this worker within " + seconds(settings.coordinatorTimeout())))),
                Optional.of(m)).build();
    }

    /** A coordinator that took over the run welcomed this worker: registers again with where it is, and re-sends what it may have missed. */
    private Member rejoin(Member m, Welcomed welcome, WorkerSituation situation) {
        timers.cancel(Timer.COORDINATOR_TIMEOUT);
        context.watchWith(welcome.coordinator(), new CoordinatorLost(welcome.coordinator().path().address().toString()));
        Member next = m.coordinatedBy(Optional.of(welcome.coordinator()));
        tell(next, ToCoordinatorMessages.register(resolver.toSerializationFormat(self), settings, m.endpoint(), m.generation(),
                situation));
        next.resend().forEach(report -> tell(next, report));
        context.getLog().info("registered with the coordinator at {}, which took over the run ({}, {} reports sent again)",
                welcome.coordinator().path().address(), situation.getPhase(), next.resend().size());
        return next;
    }

    /** Where this worker stands, for a coordinator that takes over. */
    private static WorkerSituation situation(Member m, Phase phase, long stepsDone) {
        WorkerSituation.Builder s = WorkerSituation.newBuilder().setPhase(phase).setStepsDone(stepsDone).setRunId(m.run().runId());
        m.assigned().ifPresent(a -> s.setRing(a.assignment()));
        if (phase == Phase.PHASE_STANDBY) {
            m.held().ifPresent(held -> s.setStepsDone(held.stepsDone()).setStateCrc32C(held.crc32c()));
        }
        return s.build();
    }

    private static void tell(Member m, ToCoordinator message) {
        m.coordinator().ifPresent(c -> c.tell(message));
    }

    private BehaviorBuilder<Command> endOfRun(BehaviorBuilder<Command> state, Optional<Member> member) {
        return state
                .onMessage(RunEnded.class, end -> closing(end.success()
                        ? WorkerOutcome.succeeded("run completed")
                        : WorkerOutcome.failed("the coordinator ended the run: " + end.reason())))
                .onMessage(Rejected.class, rejected -> closing(WorkerOutcome.failed(
                        "the coordinator rejected worker " + settings.name() + ": " + rejected.reason())))
                .onMessage(Released.class, released -> closing(WorkerOutcome.succeeded("released by the coordinator: " + released.reason())))
                .onMessage(Unreadable.class, unreadable -> closing(WorkerOutcome.failed(unreadable.problem())))
                .onMessage(SessionFailed.class, f -> failed(member, f.during(), f.cause()))
                .onMessage(CoordinatorLost.class, lost -> Behaviors.same()) // an earlier coordinator's
                .onMessage(ForGeneration.class, m -> {
                    context.getLog().warn("ignoring {} from the coordinator: not expected now", m);
                    return Behaviors.same();
                })
                .onAnyMessage(m -> {
                    context.getLog().debug("ignoring {}", m);
                    return Behaviors.same();
                })
                .onSignal(PostStop.class, stopped -> {
                    sessionThread.close(Map.copyOf(mdc)); // the system is going down under us; release what we can
                    return Behaviors.same();
                });
    }

    /**
     * Runs {@code work} on the session thread for ring {@code generation}; a broken ring comes back as
     * {@link Stopped} with the state this rank holds, any other failure as {@link SessionFailed}.
     */
    private void onRing(long generation, String during, SessionThread.SessionCall<Command> work) {
        context.pipeToSelf(sessionThread.call(Map.copyOf(mdc), s -> {
            try {
                return work.apply(s);
            } catch (SessionFailure.RingBroken broken) {
                return new Stopped(generation, s.digest(), StopCause.STOP_BROKEN, rootMessage(broken), broken.lostPeer());
            }
        }), (command, error) -> error == null ? command : new SessionFailed(during, error));
    }

    private void saveShard(long generation, long step) {
        context.pipeToSelf(sessionThread.call(Map.copyOf(mdc), s -> s.saveCheckpoint(step)).thenCompose(saving -> saving),
                (shard, error) -> error == null ? new ShardDone(generation, shard)
                        : new SessionFailed("saving the checkpoint at step " + step, storageFailure(error)));
    }

    private Member shardDone(Member m, ShardDone done) {
        ToCoordinator report = ToCoordinatorMessages.shardSaved(done.generation(), done.shard());
        tell(m, report);
        context.getLog().info("checkpoint shard for step {} saved ({} bytes)", done.shard().step(), done.shard().sizeBytes());
        return m.keep(report).saves(-1);
    }

    private Training reportProgress(Member m, Training t) {
        long now = System.nanoTime();
        tell(m, ToCoordinatorMessages.progress(t.ring(), t.stepsDone(), t.meter().lastLoss(), t.meter().intervalRate(now)));
        return t.reported(now);
    }

    private Behavior<Command> fail(Member m, String reason, FailureKind kind) {
        tell(m, ToCoordinatorMessages.failed(m.generation(), m.ring().map(RingGeneration::rank).orElse(-1),
                settings.name(), reason, kind));
        return closing(WorkerOutcome.failed(reason));
    }

    private Behavior<Command> failed(Optional<Member> member, String during, Throwable cause) {
        String reason = during + " failed: " + rootMessage(cause);
        if (unwrap(cause) instanceof SessionFailure.DataPlaneLost) {
            // Not the run's failure: the peers have counted this worker as lost already. Exit, so that the launcher
            // (or the StatefulSet) starts a new process, which joins as a new member with a peer's state.
            return closing(WorkerOutcome.failed(reason + "; exiting, to be started again"));
        }
        return member.isPresent() ? fail(member.get(), reason, kindOf(cause)) : closing(WorkerOutcome.failed(reason));
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    private static FailureKind kindOf(Throwable error) {
        Throwable t = unwrap(error);
        if (t instanceof SessionFailure.ModelFailed) {
            return FailureKind.FAILURE_MODEL;
        }
        if (t instanceof SessionFailure.StorageFailed) {
            return FailureKind.FAILURE_STORAGE;
        }
        return FailureKind.FAILURE_INTERNAL;
    }

    private static Throwable storageFailure(Throwable error) {
        Throwable t = unwrap(error);
        return t instanceof SessionFailure ? t : new SessionFailure.StorageFailed(rootMessage(t), t);
    }

    private static String describe(StateSource source, int sourceRank) {
        return switch (source) {
            case STATE_FRESH -> "fresh state from the seed";
            case STATE_CHECKPOINT -> "state from the committed checkpoint";
            case STATE_PEER -> "state from rank " + sourceRank;
            case STATE_KEEP -> "keeping its own state";
            default -> "state from " + source;
        };
    }

    static String rootMessage(Throwable error) {
        Throwable t = unwrap(error);
        String message = t.getMessage();
        return message == null || message.isBlank() ? t.getClass().getSimpleName() : message;
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
