package io.ringtrain.worker;

import io.ringtrain.protocol.control.EndRun;
import io.ringtrain.protocol.control.RingAssignment;
import io.ringtrain.protocol.control.StartTraining;
import io.ringtrain.protocol.control.ToCoordinator;
import io.ringtrain.protocol.control.ToWorker;
import io.ringtrain.protocol.control.Welcome;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
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
 * its {@link TrainingSession}, joins the ring of each generation, runs steps on its own, reports
 * progress every few seconds, saves checkpoint shards at the agreed steps, and finishes. Every
 * session call runs on the {@link SessionThread}; its result comes back as a message.
 *
 * <p>The run ends for this worker when the coordinator sends EndRun, when the session fails, or
 * when the coordinator is lost; in every case the session is closed (bounded by the close timeout)
 * and the outcome goes to {@code outcome} before the actor stops.
 */
public final class Worker {

    /** The key workers register under; the coordinator subscribes to it. */
    public static final ServiceKey<ToWorker> SERVICE_KEY = ServiceKey.create(ToWorker.class, "ringtrain-workers");

    public sealed interface Command {
    }

    private record FromCoordinator(ToWorker message) implements Command {
    }

    private record SessionOpened(String dataPlaneEndpoint) implements Command {
    }

    private record RingJoined(RingGeneration ring) implements Command {
    }

    private record Restored(long step) implements Command {
    }

    private record StepDone(long step, StepResult result) implements Command {
    }

    private record ShardDone(SavedShard shard) implements Command {
    }

    private record SessionFinished(SessionSummary summary) implements Command {
    }

    private record SessionFailed(String during, Throwable cause) implements Command {
    }

    private record SessionClosed() implements Command {
    }

    private record CoordinatorLost(String address) implements Command {
    }

    private enum Timer implements Command { WELCOME_TIMEOUT, REPORT, CLOSE_TIMEOUT }

    /** Where a worker is within a generation's training. */
    private record Training(RingGeneration ring, long startStep, long stepsDone, int savesInFlight, ProgressMeter meter) {
        Training stepDone() {
            return new Training(ring, startStep, stepsDone + 1, savesInFlight, meter);
        }

        Training saves(int delta) {
            return new Training(ring, startStep, stepsDone, savesInFlight + delta, meter);
        }
    }

    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final WorkerContext settings;
    private final TrainingSessionFactory sessions;
    private final ActorRef<WorkerOutcome> outcome;
    private final Map<String, String> mdc;
    private final SessionThread sessionThread;
    private final ActorRef<ToWorker> self;
    private ActorRef<ToCoordinator> coordinator; // set once, by the Welcome
    private RunSettings run;                     // set once, by the Welcome
    private int rank = -1;
    private long generation;

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
        this.self = context.messageAdapter(ToWorker.class, FromCoordinator::new);
        context.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, self));
        timers.startSingleTimer(Timer.WELCOME_TIMEOUT, settings.welcomeTimeout());
    }

    // ---- states ----------------------------------------------------------------------------

    private Behavior<Command> awaitingWelcome() {
        return running(Behaviors.receive(Command.class)
                .onMessage(FromCoordinator.class, m -> m.message().hasWelcome(), m -> welcomed(m.message().getWelcome()))
                .onMessageEquals(Timer.WELCOME_TIMEOUT, () -> closing(WorkerOutcome.failed("no coordinator contacted worker "
                        + settings.name() + " within " + seconds(settings.welcomeTimeout()) + ": check that the coordinator is"
                        + " running and that the coordinator address (--join) or Kubernetes discovery points at it"))));
    }

    private Behavior<Command> welcomed(Welcome welcome) {
        timers.cancel(Timer.WELCOME_TIMEOUT);
        coordinator = ActorRefResolver.get(context.getSystem()).resolveActorRef(welcome.getCoordinator());
        context.watchWith(coordinator, new CoordinatorLost(coordinator.path().address().toString()));
        try {
            run = RunSettings.fromProto(welcome.getSpec());
        } catch (IllegalArgumentException e) {
            return failed("reading the run settings", e);
        }
        mdc.put("runId", run.runId());
        context.getLog().info("coordinator {} welcomed this worker to run {} (model {}, {} steps)",
                coordinator.path().address(), run.runId(), run.model(), run.totalSteps());
        context.pipeToSelf(sessionThread.open(Map.copyOf(mdc), sessions, run, settings),
                (endpoint, error) -> error == null ? new SessionOpened(endpoint) : new SessionFailed("opening the training session", error));
        return opening();
    }

    private Behavior<Command> opening() {
        return running(Behaviors.receive(Command.class)
                .onMessage(SessionOpened.class, this::register));
    }

    private Behavior<Command> register(SessionOpened opened) {
        coordinator.tell(ToCoordinatorMessages.register(
                ActorRefResolver.get(context.getSystem()).toSerializationFormat(self), settings, opened.dataPlaneEndpoint()));
        context.getLog().info("registered with data-plane endpoint {}", opened.dataPlaneEndpoint());
        return registered();
    }

    private Behavior<Command> registered() {
        return running(Behaviors.receive(Command.class)
                .onMessage(FromCoordinator.class, m -> m.message().hasRing(), m -> joinRing(m.message().getRing())));
    }

    private Behavior<Command> joinRing(RingAssignment assignment) {
        RingGeneration ring;
        try {
            ring = new RingGeneration(assignment.getGeneration(), assignment.getRank(), assignment.getEndpointsList());
        } catch (IllegalArgumentException e) {
            return failed("reading the ring assignment", e);
        }
        rank = ring.rank();
        generation = ring.generation();
        mdc.put("rank", Integer.toString(rank));
        mdc.put("generation", Long.toString(generation));
        context.getLog().info("joining ring generation {} as rank {} of {}", generation, rank, ring.worldSize());
        context.pipeToSelf(sessionThread.call(Map.copyOf(mdc), s -> {
            s.joinRing(ring);
            return ring;
        }), (joined, error) -> error == null ? new RingJoined(joined) : new SessionFailed("joining ring generation " + ring.generation(), error));
        return joiningRing(ring);
    }

    private Behavior<Command> joiningRing(RingGeneration ring) {
        return running(Behaviors.receive(Command.class)
                .onMessage(RingJoined.class, joined -> joined.ring().equals(ring), joined -> {
                    coordinator.tell(ToCoordinatorMessages.ringReady(ring));
                    return ready(ring);
                }));
    }

    private Behavior<Command> ready(RingGeneration ring) {
        return running(Behaviors.receive(Command.class)
                .onMessage(FromCoordinator.class, m -> m.message().hasStart() && m.message().getStart().getGeneration() == ring.generation(),
                        m -> start(ring, m.message().getStart()))
                .onMessage(FromCoordinator.class, m -> m.message().hasRing(), m -> joinRing(m.message().getRing())));
    }

    private Behavior<Command> start(RingGeneration ring, StartTraining start) {
        long startStep = start.getStartStep();
        if (startStep < 0 || startStep >= run.totalSteps()) {
            return closing(reportFailure("the coordinator asked to start at step " + startStep + " of a run of " + run.totalSteps() + " steps"));
        }
        if (!start.getRestore()) {
            return startTraining(ring, startStep);
        }
        context.getLog().info("restoring the checkpoint at step {}", startStep);
        context.pipeToSelf(sessionThread.call(Map.copyOf(mdc), s -> {
            s.restore(startStep);
            return startStep;
        }), (step, error) -> error == null ? new Restored(step) : new SessionFailed("restoring the checkpoint at step " + startStep, error));
        return running(Behaviors.receive(Command.class)
                .onMessage(Restored.class, restored -> startTraining(ring, restored.step())));
    }

    private Behavior<Command> startTraining(RingGeneration ring, long startStep) {
        context.getLog().info("training from step {} to {}", startStep, run.totalSteps());
        timers.startTimerWithFixedDelay(Timer.REPORT, run.progressInterval());
        return nextStep(new Training(ring, startStep, startStep, 0, new ProgressMeter(System.nanoTime())));
    }

    /** Submits the next step, or starts finishing once the last one is done. */
    private Behavior<Command> nextStep(Training t) {
        if (t.stepsDone() >= run.totalSteps()) {
            return finishing(t);
        }
        long step = t.stepsDone();
        context.pipeToSelf(sessionThread.call(Map.copyOf(mdc), s -> s.runStep(step)),
                (result, error) -> error == null ? new StepDone(step, result) : new SessionFailed("step " + step, error));
        return training(t);
    }

    private Behavior<Command> training(Training t) {
        return running(Behaviors.receive(Command.class)
                .onMessage(StepDone.class, done -> done.step() == t.stepsDone(), done -> onStepDone(t, done.result()))
                .onMessage(ShardDone.class, done -> training(onShardDone(t, done.shard())))
                .onMessageEquals(Timer.REPORT, () -> {
                    reportProgress(t);
                    return Behaviors.same();
                })
                .onMessage(FromCoordinator.class, m -> m.message().hasRing(), m -> closing(reportFailure(
                        "the coordinator re-formed the ring during training; this version cannot rejoin a running ring"))));
    }

    private Behavior<Command> onStepDone(Training t, StepResult result) {
        t.meter().stepDone(result);
        Training after = t.stepDone();
        if (after.stepsDone() == after.startStep() + 1) {
            reportProgress(after); // right after the first step, so the coordinator sees the time to the first step
        }
        if (run.checkpointDueAfter(after.stepsDone())) {
            long step = after.stepsDone();
            context.pipeToSelf(sessionThread.call(Map.copyOf(mdc), s -> s.saveCheckpoint(step)).thenCompose(saving -> saving),
                    (shard, error) -> error == null ? new ShardDone(shard) : new SessionFailed("saving the checkpoint at step " + step, error));
            after = after.saves(+1);
        }
        return nextStep(after);
    }

    private Training onShardDone(Training t, SavedShard shard) {
        coordinator.tell(ToCoordinatorMessages.shardSaved(generation, shard));
        context.getLog().info("checkpoint shard for step {} saved ({} bytes)", shard.step(), shard.sizeBytes());
        return t.saves(-1);
    }

    /** After the last step: waits for the saves still in flight, then lets the session finish. */
    private Behavior<Command> finishing(Training t) {
        if (t.savesInFlight() == 0) {
            context.pipeToSelf(sessionThread.call(Map.copyOf(mdc), TrainingSession::finish),
                    (summary, error) -> error == null ? new SessionFinished(summary) : new SessionFailed("finishing the run", error));
        }
        return running(Behaviors.receive(Command.class)
                .onMessage(ShardDone.class, done -> finishing(onShardDone(t, done.shard())))
                .onMessage(SessionFinished.class, finished -> onFinished(t, finished.summary()))
                .onMessageEquals(Timer.REPORT, Behaviors::same));
    }

    private Behavior<Command> onFinished(Training t, SessionSummary summary) {
        timers.cancel(Timer.REPORT);
        coordinator.tell(ToCoordinatorMessages.finished(generation, rank, t.stepsDone(), t.meter().overallRate(System.nanoTime()), summary));
        context.getLog().info("finished {} steps, final loss {}", t.stepsDone(), summary.finalLoss());
        return awaitingEnd();
    }

    /** Finished; the coordinator's EndRun (handled in {@link #running}) releases this worker. */
    private Behavior<Command> awaitingEnd() {
        return running(Behaviors.receive(Command.class));
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

    // ---- handling shared by every state before closing ------------------------------------

    /** Appends what every state handles the same way: the end of the run, failures, the coordinator's loss. */
    private Behavior<Command> running(BehaviorBuilder<Command> state) {
        return state
                .onMessage(FromCoordinator.class, m -> m.message().hasEnd(), m -> {
                    EndRun end = m.message().getEnd();
                    return closing(end.getSuccess()
                            ? WorkerOutcome.succeeded("run " + (run == null ? "" : run.runId()) + " completed")
                            : WorkerOutcome.failed("the coordinator ended the run: " + end.getReason()));
                })
                .onMessage(FromCoordinator.class, m -> m.message().hasRejected(), m -> closing(WorkerOutcome.failed(
                        "the coordinator rejected worker " + settings.name() + ": " + m.message().getRejected().getReason())))
                .onMessage(SessionFailed.class, f -> failed(f.during(), f.cause()))
                .onMessage(CoordinatorLost.class, lost -> closing(WorkerOutcome.failed(
                        "lost the coordinator at " + lost.address() + " before the run ended")))
                .onMessage(FromCoordinator.class, m -> {
                    context.getLog().warn("ignoring an unexpected {} from the coordinator", m.message().getBodyCase());
                    return Behaviors.same();
                })
                .onAnyMessage(m -> {
                    context.getLog().debug("ignoring {}", m);
                    return Behaviors.same();
                })
                .onSignal(PostStop.class, stopped -> {
                    sessionThread.close(Map.copyOf(mdc)); // the system is going down under us; release what we can
                    return Behaviors.same();
                })
                .build();
    }

    private WorkerOutcome reportFailure(String reason) {
        if (coordinator != null) {
            coordinator.tell(ToCoordinatorMessages.failed(generation, rank, settings.name(), reason));
        }
        return WorkerOutcome.failed(reason);
    }

    private Behavior<Command> failed(String during, Throwable cause) {
        return closing(reportFailure(during + " failed: " + rootMessage(cause)));
    }

    private void reportProgress(Training t) {
        coordinator.tell(ToCoordinatorMessages.progress(generation, rank, t.stepsDone(), t.meter().lastLoss(),
                t.meter().takeIntervalRate(System.nanoTime())));
    }

    private static String rootMessage(Throwable error) {
        Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        String message = t.getMessage();
        return message == null || message.isBlank() ? t.getClass().getSimpleName() : message;
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
