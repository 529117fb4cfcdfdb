package io.ringtrain.coordinator;

import io.ringtrain.protocol.control.ProgressReport;
import io.ringtrain.checkpoint.CommitFencedException;
import io.ringtrain.protocol.control.RegisterWorker;
import io.ringtrain.protocol.control.StopCause;
import io.ringtrain.protocol.control.ToCoordinator;
import io.ringtrain.protocol.control.ToWorker;
import io.ringtrain.protocol.control.WorkerFailed;
import io.ringtrain.protocol.control.WorkerFinished;
import io.ringtrain.worker.RunSettings;
import io.ringtrain.worker.SavedShard;
import io.ringtrain.worker.StateDigest;
import io.ringtrain.worker.Worker;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.BehaviorBuilder;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The coordinator of one run (a cluster singleton on role {@code coordinator}): finds workers through the
 * Receptionist, keeps the run's {@link Membership}, forms ring generations from it, commits checkpoints once
 * every shard is in, re-forms the ring when a worker is lost, joins or leaves, and ends the run. It is never on
 * the per-step path: workers step on their own, and stop together at a step boundary they agree on among
 * themselves when the coordinator asks them to pause.
 *
 * <p>States: {@link #waitingForWorkers} -> {@link #formingRing} -> {@link #training} -> {@link #stopping} (a
 * member was lost, or the ring pauses to let workers join or leave) -> {@link #formingRing} ... -> {@link #ending}.
 * Each state is a function of immutable values ({@link RunState} for the run, {@link Ring} and friends for the
 * generation) and first checks whether what just changed moves the run on. Worker messages are adapted to typed
 * records once ({@link #adapt}); those about another ring generation than the current one are dropped in one place
 * ({@link #receive(long)}).
 */
public final class Coordinator {

    public sealed interface Command {
    }

    /** The key the coordinator registers its wire address under; launchers find it there to report process exits. */
    public static final ServiceKey<ToCoordinator> SERVICE_KEY = ServiceKey.create(ToCoordinator.class, "ringtrain-coordinator");

    private static final int STASH_CAPACITY = 10_000;

    /**
     * A worker's process is gone (the local launcher saw it exit, or the pod watch its container): the fastest signal there is, ahead of the data
     * plane's timeouts and Pekko's failure detector.
     */
    private record WorkerExited(String workerId, String how) implements Command {
    }

    /** A worker's process is gone, as its supervisor saw it ("its container exited with status 137 (SIGKILL)"). */
    public static Command workerExited(String workerId, String how) {
        return new WorkerExited(workerId, how);
    }

    /** A worker message about one ring generation; those of other generations are dropped unread. */
    private sealed interface ForGeneration extends Command {
        long generation();
    }

    // ---- worker messages, adapted from the wire once ({@link #adapt}) ----------------------

    private record Registered(ActorRef<ToWorker> worker, RegisterWorker message) implements Command {
        /** Without the situation, whose ring assignment holds the run token in the clear. */
        @Override
        public String toString() {
            return "Registered[" + message.getWorkerId() + " at " + worker.path() + "]";
        }
    }

    private record Ready(long generation, int rank, StateDigest state) implements ForGeneration {
    }

    private record Progressed(long generation, ProgressReport report) implements ForGeneration {
    }

    private record ShardReported(long generation, SavedShard shard) implements Command {
    }

    private record Finished(long generation, WorkerFinished report) implements ForGeneration {
    }

    private record Failed(WorkerFailed report) implements Command {
    }

    /** A rank's ring of {@code generation} stopped; it holds {@code state}; {@code lostPeer}: the rank it saw go, or -1. */
    private record Stopped(long generation, int rank, StateDigest state, StopCause cause, String reason, boolean leaving,
                           int lostPeer) implements ForGeneration {
    }

    private record AbortAcked(long generation, int rank) implements ForGeneration {
    }

    private record LeaveAsked(String workerId, String reason) implements Command {
    }

    private record Unreadable(String problem) implements Command {
    }

    // ---- internal -------------------------------------------------------------------------

    private record WorkersListed(Receptionist.Listing listing) implements Command {
    }

    private record MemberChanged(ClusterEvent.MemberEvent event) implements Command {
    }

    private record ReachabilityChanged(ClusterEvent.ReachabilityEvent event) implements Command {
    }

    private record WorkerStopped(ActorRef<ToWorker> worker) implements Command {
    }

    /** What the checkpoint location holds of this run, or why it could not be read. */
    private record CheckpointLookedUp(StoredRun found, Throwable error) implements Command {
    }

    private record CompletionRecorded(Throwable error) implements Command {
    }

    private record CommitDone(CheckpointShards shards, Throwable error) implements Command {
    }

    private enum Timer implements Command {
        RENDEZVOUS_TIMEOUT, SETTLED, TAKEOVER_TIMEOUT, RING_TIMEOUT, PROGRESS, SHUTDOWN_GRACE, ABORT_ACK_TIMEOUT, SUSPECT_TIMEOUT, STOP_TIMEOUT,
        LEAVE_CHECKPOINT_TIMEOUT
    }

    // ---- per-generation values ------------------------------------------------------------

    /** A generation that is training. */
    private record Generation(Ring ring, FinishedReports finished, boolean pauseRequested, boolean stepped) {
        Generation finished(WorkerFinished report) {
            return new Generation(ring, finished.add(report), pauseRequested, stepped);
        }

        Generation pausing() {
            return new Generation(ring, finished, true, stepped);
        }

        Generation hasStepped() {
            return new Generation(ring, finished, pauseRequested, true);
        }
    }

    /** A generation whose ring is stopping: who has reported the state it holds, who acknowledged an abort, who is out. */
    /**
     * A generation whose ring is stopping: who has reported the state it holds, who acknowledged an abort, whom a peer
     * saw go (a suspect), who is out.
     */
    private record Stopping(Ring ring, String trigger, long triggeredAtMillis, boolean aborted, Map<Integer, Stopped> reports,
                            Set<Integer> acked, Set<Integer> suspects, Map<Integer, String> excluded) {
        Stopping {
            reports = Map.copyOf(reports);
            acked = Set.copyOf(acked);
            suspects = Set.copyOf(suspects);
            excluded = Map.copyOf(excluded);
        }

        Stopping reported(Stopped report) {
            Map<Integer, Stopped> next = new HashMap<>(reports);
            next.put(report.rank(), report);
            Set<Integer> suspected = new HashSet<>(suspects);
            if (report.lostPeer() >= 0 && report.lostPeer() < ring.worldSize()) {
                suspected.add(report.lostPeer());
            }
            return new Stopping(ring, trigger, triggeredAtMillis, aborted, next, acked, suspected, excluded);
        }

        Stopping acknowledged(int rank) {
            Set<Integer> next = new HashSet<>(acked);
            next.add(rank);
            return new Stopping(ring, trigger, triggeredAtMillis, aborted, reports, next, suspects, excluded);
        }

        Stopping aborting() {
            return new Stopping(ring, trigger, triggeredAtMillis, true, reports, acked, suspects, excluded);
        }

        Stopping excluding(int rank, String why) {
            Map<Integer, String> next = new HashMap<>(excluded);
            next.putIfAbsent(rank, why);
            return new Stopping(ring, trigger, triggeredAtMillis, aborted, reports, acked, suspects, next);
        }

        /** Suspects that neither acknowledged the abort nor reported: silent since a peer saw them go. */
        boolean silentSuspects() {
            return suspects.stream().anyMatch(r -> !acked.contains(r) && !settled(r));
        }

        boolean settled(int rank) {
            return reports.containsKey(rank) || excluded.containsKey(rank);
        }

        boolean complete() {
            return IntStream.range(0, ring.worldSize()).allMatch(this::settled);
        }
    }

    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final CoordinatorContext settings;
    private final RunSettings run;
    private final CheckpointCommits commits;
    private final ActorRef<RunEvent> events;
    private final ActorRef<ToCoordinator> self;
    private final ActorRefResolver resolver;
    private final Executor blockingIo;
    /** Messages about the ring a takeover is still piecing together, kept until the coordinator knows what to do with it. */
    private final StashBuffer<Command> stash;
    /** Commits run one at a time, in step order, off the actor's thread: each waits for the one before. */
    private CompletableFuture<Void> commitChain = CompletableFuture.completedFuture(null);

    /**
     * @param settings a concluded {@link CoordinatorContext}
     * @param events   receives the run's events; the last one is {@link RunEvent.RunFinished} or {@link RunEvent.RunFailed}
     */
    public static Behavior<Command> create(CoordinatorContext settings, RunSettings run, CheckpointCommits commits, ActorRef<RunEvent> events) {
        if (!settings.isConcluded()) {
            throw new IllegalArgumentException("conclude() the CoordinatorContext before creating a Coordinator");
        }
        return Behaviors.withMdc(Command.class, Map.of("runId", run.runId(), "worker", "coordinator"),
                Behaviors.setup(context -> Behaviors.withTimers(timers -> Behaviors.withStash(STASH_CAPACITY, stash ->
                        new Coordinator(context, timers, stash, settings, run, commits, events).start()))));
    }

    private Coordinator(ActorContext<Command> context, TimerScheduler<Command> timers, StashBuffer<Command> stash,
                        CoordinatorContext settings, RunSettings run, CheckpointCommits commits, ActorRef<RunEvent> events) {
        this.context = context;
        this.timers = timers;
        this.stash = stash;
        this.settings = settings;
        this.run = run;
        this.commits = commits;
        this.events = events;
        this.self = context.messageAdapter(ToCoordinator.class, this::adapt);
        this.resolver = ActorRefResolver.get(context.getSystem());
        this.blockingIo = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    }

    /** The one place wire messages become typed commands. */
    private Command adapt(ToCoordinator message) {
        try {
            return switch (message.getBodyCase()) {
                case REGISTER -> new Registered(resolver.resolveActorRef(message.getRegister().getWorker()), message.getRegister());
                case RING_READY -> new Ready(message.getRingReady().getGeneration(), message.getRingReady().getRank(),
                        new StateDigest(message.getRingReady().getStepsDone(), message.getRingReady().getStateCrc32C()));
                case PROGRESS -> new Progressed(message.getProgress().getGeneration(), message.getProgress());
                case SHARD_SAVED -> new ShardReported(message.getShardSaved().getGeneration(),
                        new SavedShard(message.getShardSaved().getReport(), message.getShardSaved().getDraft()));
                case FINISHED -> new Finished(message.getFinished().getGeneration(), message.getFinished());
                case FAILED -> new Failed(message.getFailed());
                case STOPPED -> new Stopped(message.getStopped().getGeneration(), message.getStopped().getRank(),
                        new StateDigest(message.getStopped().getStepsDone(), message.getStopped().getStateCrc32C()),
                        message.getStopped().getCause(), message.getStopped().getReason(), message.getStopped().getLeaving(),
                        message.getStopped().getLostPeer());
                case ABORT_ACKNOWLEDGED -> new AbortAcked(message.getAbortAcknowledged().getGeneration(),
                        message.getAbortAcknowledged().getRank());
                case LEAVE -> new LeaveAsked(message.getLeave().getWorkerId(), message.getLeave().getReason());
                case WORKER_EXITED -> new WorkerExited(message.getWorkerExited().getWorkerId(), message.getWorkerExited().getHow());
                case BODY_NOT_SET -> new Unreadable("a worker sent a message with no body (a newer ringtrain version?)");
            };
        } catch (IllegalArgumentException e) {
            return new Unreadable("a worker's " + message.getBodyCase() + " message does not make sense: " + e.getMessage());
        }
    }

    private Behavior<Command> start() {
        // A child of its own: the Receptionist watches what is registered and what subscribes, and two adapters of one
        // actor (this registration and the worker listing below) cannot both be watched.
        ActorRef<ToCoordinator> inbox = context.spawn(Behaviors.receive(ToCoordinator.class)
                .onMessage(ToCoordinator.class, m -> {
                    self.tell(m);
                    return Behaviors.same();
                }).build(), "inbox");
        context.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, inbox));
        context.getSystem().receptionist().tell(Receptionist.subscribe(Worker.SERVICE_KEY,
                context.messageAdapter(Receptionist.Listing.class, WorkersListed::new)));
        Cluster cluster = Cluster.get(context.getSystem());
        cluster.subscriptions().tell(Subscribe.create(
                context.messageAdapter(ClusterEvent.MemberEvent.class, MemberChanged::new), ClusterEvent.MemberEvent.class));
        cluster.subscriptions().tell(Subscribe.create(
                context.messageAdapter(ClusterEvent.ReachabilityEvent.class, ReachabilityChanged::new), ClusterEvent.ReachabilityEvent.class));
        timers.startSingleTimer(Timer.RENDEZVOUS_TIMEOUT, settings.rendezvousTimeout());
        // Always: a resumed run starts there, and a coordinator that takes over a running run needs to know it too.
        // No ring forms and no ring is taken over before it is known: the newest committed step (shard reports sent again
        // to a coordinator that takes over are only skipped once it is known) and the generation to number above.
        context.pipeToSelf(CompletableFuture.supplyAsync(() -> BlockingCalls.call(() -> commits.lookUp(run)), blockingIo),
                (found, error) -> new CheckpointLookedUp(error == null ? found : StoredRun.nothing(), error));
        context.getLog().info("coordinating run {}: waiting for {} to {} workers", run.runId(), settings.minWorkers(), settings.maxWorkers());
        return waitingForWorkers(RunState.starting(settings.maxWorkers(), run.totalSteps(), OptionalLong.empty(), System.nanoTime()), false);
    }

    // ---- states ----------------------------------------------------------------------------

    /** No ring: before the first one, or paused below min-workers after one stopped. */
    private Behavior<Command> waitingForWorkers(RunState state, boolean settled) {
        Optional<Takeover> takeover = state.worldSizes().isEmpty() ? Takeover.find(state.membership(), nobody()) : Optional.empty();
        if (takeover.isPresent()) {
            if ((takeover.get().complete() || settled) && state.startStep().isPresent()) {
                timers.cancel(Timer.TAKEOVER_TIMEOUT);
                timers.cancel(Timer.RENDEZVOUS_TIMEOUT);
                return takeOver(state, takeover.get());
            }
            if (!timers.isTimerActive(Timer.TAKEOVER_TIMEOUT)) {
                context.getLog().info("taking over run {}: waiting up to {} for the workers of ring generation {} to register",
                        run.runId(), seconds(settings.takeoverTimeout()), takeover.get().ring().generation());
                timers.startSingleTimer(Timer.TAKEOVER_TIMEOUT, settings.takeoverTimeout());
            }
        } else if (state.startStep().isPresent()) {
            boolean first = state.worldSizes().isEmpty();
            NextRing.Choice choice = NextRing.choose(state.membership(), state.highestGeneration() + 1,
                    first ? settings.initialWorkers() : settings.minWorkers(), state.startStep().getAsLong(), state.lastCommittedStep());
            boolean full = state.membership().staying().size() >= settings.maxWorkers();
            boolean paused = state.pendingChange().isPresent();
            if (choice instanceof NextRing.Inconsistent inconsistent) {
                return fail(state, inconsistent.problem());
            }
            if (choice instanceof NextRing.Formed formed && (full || settled || paused)) {
                if (first && settings.resume() == ResumeMode.NEVER && state.lastCommittedStep().isPresent()) {
                    // Checked as the first fresh ring would form, not before: a coordinator that takes a run over learns
                    // that it does from the workers that register within the settle time.
                    return fail(state, "run " + run.runId() + " already has a committed checkpoint (step " + state.lastCommittedStep().getAsLong()
                            + ") under " + run.checkpointUri() + ", and training it again from step 0 would overwrite its checkpoints: continue it"
                            + " with --resume (resume = auto), start a new run beside it with another --run-id, or delete the run's directory"
                            + " there to train it again from the start");
                }
                timers.cancel(Timer.RENDEZVOUS_TIMEOUT);
                timers.cancel(Timer.SETTLED);
                RunState next = state;
                if (paused) { // the change that paused the run completes with this ring
                    Ring ring = formed.ring();
                    List<String> joined = ring.byRank().stream()
                            .filter(r -> state.membership().member(r.worker()).flatMap(Membership.Member::state).isEmpty())
                            .map(WorkerRegistration::workerId).toList();
                    next = state.changing(state.pendingChange().get().formed(ring.generation(), ring.worldSize(), joined, ring.startStep()));
                }
                return formRing(next, formed.ring());
            }
            if (choice instanceof NextRing.Formed && !timers.isTimerActive(Timer.SETTLED)) {
                timers.startSingleTimer(Timer.SETTLED, settings.rendezvousSettle());
            }
        }
        return active(state, next -> waitingForWorkers(next, settled), receive(state.highestGeneration())
                .onMessageEquals(Timer.SETTLED, () -> waitingForWorkers(state, true))
                .onMessage(CheckpointLookedUp.class, lookedUp -> {
                    StoredRun found = lookedUp.found();
                    RunState known = state.knownCommitted(found.newestStep()).sawGeneration(found.newestGeneration());
                    ResumeMode mode = settings.resume();
                    if (mode == ResumeMode.NEVER || Takeover.find(state.membership(), nobody()).isPresent()) {
                        // A run taken over goes on from where its ring is, whatever the resume mode; a fresh one from step 0
                        // (and only where it has no checkpoints: see formFreshRing).
                        return waitingForWorkers(known.startingFrom(OptionalLong.of(mode == ResumeMode.NEVER ? 0 : found.newestStep().orElse(0))),
                                settled);
                    }
                    Optional<String> finished = lookedUp.error() == null ? ResumePoint.finished(run, found.completedSteps()) : Optional.empty();
                    if (finished.isPresent()) {
                        return mode == ResumeMode.AUTO ? alreadyFinished(state, finished.get()) : fail(state, "--resume: " + finished.get());
                    }
                    if (mode == ResumeMode.AUTO && lookedUp.error() == null && found.newestStep().isEmpty()) {
                        context.getLog().info("run {} has no committed checkpoint under {}: starting at step 0", run.runId(), run.checkpointUri());
                        return waitingForWorkers(known.startingFrom(OptionalLong.of(0)), settled);
                    }
                    Optional<String> problem = ResumePoint.problem(run, found.newestStep(), lookedUp.error())
                            .or(() -> ResumePoint.settingsDiffer(run, found.newestStep().getAsLong(), found.newestConfig()));
                    if (problem.isPresent()) {
                        return fail(state, problem.get());
                    }
                    if (found.newestStep().getAsLong() > 0) {
                        context.getLog().info("resuming run {} from the checkpoint at step {}", run.runId(), found.newestStep().getAsLong());
                    }
                    return waitingForWorkers(known.startingFrom(found.newestStep()), settled);
                })
                .onMessage(ShardReported.class, m -> state.startStep().isEmpty(), m -> {
                    // Sent again to a coordinator that takes over, before it knows the newest committed step: held until the
                    // ring is taken over (it is not before the look-up), so that steps committed before are skipped.
                    stash.stash(m);
                    return Behaviors.same();
                })
                .onMessage(ForGeneration.class, m -> Takeover.find(state.membership(), nobody()).isPresent(), m -> {
                    stash.stash(m); // about the ring being taken over: handled once it is adopted or stopping
                    return Behaviors.same();
                })
                .onMessageEquals(Timer.TAKEOVER_TIMEOUT, () -> waitingForWorkers(state, true))
                .onMessageEquals(Timer.RENDEZVOUS_TIMEOUT, () -> fail(state, waitedTooLong(state))));
    }

    private String waitedTooLong(RunState state) {
        List<String> live = state.membership().staying().stream().map(Membership.Member::workerId).toList();
        String checkpoint = state.lastCommittedStep().isPresent()
                ? "; its newest checkpoint (step " + state.lastCommittedStep().getAsLong() + ") is intact: restart with --resume"
                : "";
        int needed = state.worldSizes().isEmpty() ? settings.initialWorkers() : settings.minWorkers();
        return (state.pendingChange().isPresent() ? "the run paused at a step boundary and " : "")
                + "did not get " + needed + " workers within " + seconds(settings.rendezvousTimeout()) + ": "
                + live.size() + " registered" + (live.isEmpty() ? "" : " (" + String.join(", ", live) + ")")
                + "; start more workers, check that they reach the coordinator, or lower --min-workers" + checkpoint;
    }

    /**
     * This coordinator took over a running run: the ring its workers report goes on untouched when all of them came
     * back stepping (no pause at all); otherwise it is stopped, with what every member that came back holds, and
     * re-formed like any broken ring.
     */
    private Behavior<Command> takeOver(RunState before, Takeover takeover) {
        Ring ring = takeover.ring();
        RunState state = before.formed(ring).trainingStarted(System.nanoTime());
        events.tell(new RunEvent.TookOver(ring.generation(), ring.workerIds(), takeover.adoptable()));
        if (!timers.isTimerActive(Timer.PROGRESS)) {
            timers.startTimerWithFixedDelay(Timer.PROGRESS, run.progressInterval());
        }
        if (takeover.adoptable()) {
            context.getLog().info("took over run {}: ring generation {} ({}) goes on as it is", run.runId(), ring.generation(),
                    ring.workerIds());
            return stash.unstashAll(training(state, new Generation(ring, FinishedReports.none(ring.worldSize()), false, true)));
        }
        String why = takeover.missing().isEmpty() ? "the coordinator took over while the ring was changing"
                : takeover.missing().stream().map(r -> ring.byRank().get(r).workerId()).collect(Collectors.joining(", "))
                + " did not come back to the coordinator that took over";
        context.getLog().warn("took over run {}: ring generation {} stops: {}", run.runId(), ring.generation(), why);
        state = state.changing(pendingChange(ring, why, System.currentTimeMillis()));
        Stopping s = newStopping(ring, why, false);
        for (int rank : takeover.missing()) {
            s = s.excluding(rank, "did not come back to the coordinator that took over");
        }
        for (Map.Entry<Integer, StateDigest> h : takeover.held().entrySet()) {
            s = s.reported(new Stopped(ring.generation(), h.getKey(), h.getValue(), StopCause.STOP_BROKEN, "stopped before the takeover",
                    false, -1));
        }
        return stash.unstashAll(stopping(state, abort(s, why)));
    }

    /** Where the ranks of a ring taken over whose workers have not come back point: nothing is ever sent there. */
    private ActorRef<ToWorker> nobody() {
        return context.getSystem().deadLetters();
    }

    private Behavior<Command> formRing(RunState before, Ring ring) {
        RunState state = before.formed(ring);
        for (int rank = 0; rank < ring.worldSize(); rank++) {
            ring.byRank().get(rank).worker().tell(ToWorkerMessages.ring(ring, rank));
        }
        context.getLog().info("ring generation {} formed: {} from step {} ({})", ring.generation(), ring.workerIds(), ring.startStep(),
                ring.source());
        events.tell(new RunEvent.RingFormed(ring.generation(), ring.workerIds(), ring.endpoints()));
        timers.startSingleTimer(Timer.RING_TIMEOUT, settings.ringTimeout());
        return formingRing(state, ring, Map.of());
    }

    /** Assignments sent; waits until every rank joined and holds the generation's start state. */
    private Behavior<Command> formingRing(RunState state, Ring ring, Map<Integer, StateDigest> ready) {
        Optional<String> lost = lostMember(state, ring);
        if (lost.isPresent()) {
            timers.cancel(Timer.RING_TIMEOUT);
            return stop(state, ring, lost.get(), Optional.empty());
        }
        if (ready.size() == ring.worldSize()) {
            timers.cancel(Timer.RING_TIMEOUT);
            return startTraining(state, ring, ready);
        }
        long g = ring.generation();
        return active(state, next -> formingRing(next, ring, ready), receive(g)
                .onMessage(Ready.class, r -> {
                    Map<Integer, StateDigest> next = new TreeMap<>(ready);
                    next.put(r.rank(), r.state());
                    return formingRing(state, ring, next);
                })
                .onMessage(Stopped.class, stopped -> {
                    // A rank whose join broke (or that leaves while joining) stops a ring nobody trains in yet. The
                    // others are joining or ready and wait for a start that will not come: abort them, so that they
                    // report at once instead of being fenced after stop-timeout.
                    timers.cancel(Timer.RING_TIMEOUT);
                    return stop(recordStopped(state, ring, stopped), ring, stopReason(ring, stopped), Optional.of(stopped));
                })
                .onMessageEquals(Timer.RING_TIMEOUT, () -> stop(state, ring, "ring generation " + g + " did not form within "
                        + seconds(settings.ringTimeout()) + ": " + IntStream.range(0, ring.worldSize()).filter(r -> !ready.containsKey(r))
                        .mapToObj(ring::describe).collect(Collectors.joining(", ")) + " did not confirm", Optional.empty())));
    }

    private Behavior<Command> startTraining(RunState before, Ring ring, Map<Integer, StateDigest> ready) {
        StateDigest first = ready.get(0);
        StateDigest expected = ring.expected().orElse(first);
        for (Map.Entry<Integer, StateDigest> r : ready.entrySet()) {
            if (!r.getValue().equals(expected) || r.getValue().stepsDone() != ring.startStep()) {
                return fail(before, "ring generation " + ring.generation() + " cannot start: " + ring.describe(r.getKey()) + " holds "
                        + r.getValue() + " but every rank must hold " + expected + " (step " + ring.startStep() + ")");
            }
        }
        Membership membership = before.membership();
        for (WorkerRegistration r : ring.byRank()) {
            membership = membership.reported(r.worker(), expected);
        }
        RunState state = before.withMembership(membership).trainingStarted(System.nanoTime());
        ToWorker start = ToWorkerMessages.start(ring.generation());
        ring.byRank().forEach(r -> r.worker().tell(start));
        context.getLog().info("training generation {} with {} workers from step {}", ring.generation(), ring.worldSize(), ring.startStep());
        events.tell(new RunEvent.TrainingStarted(ring.generation(), ring.worldSize(), ring.startStep(),
                ring.source() == io.ringtrain.protocol.control.StateSource.STATE_CHECKPOINT));
        if (!timers.isTimerActive(Timer.PROGRESS)) {
            timers.startTimerWithFixedDelay(Timer.PROGRESS, run.progressInterval());
        }
        return training(state, new Generation(ring, FinishedReports.none(ring.worldSize()), false, false));
    }

    private Behavior<Command> training(RunState state, Generation gen) {
        Ring ring = gen.ring();
        Optional<String> lost = lostMember(state, ring);
        if (lost.isPresent()) {
            return stop(state, ring, lost.get(), Optional.empty());
        }
        if (gen.finished().isComplete() && state.commitsInFlight() == 0) {
            return finish(state, gen);
        }
        List<String> waiting = joiners(state, ring);
        if (!waiting.isEmpty() && ring.worldSize() < settings.maxWorkers() && !gen.pauseRequested()
                && gen.finished().byRank().isEmpty()) {
            String reason = String.join(", ", waiting) + (waiting.size() == 1 ? " wants" : " want") + " to join";
            context.getLog().info("pausing ring generation {} at the next step boundary: {}", ring.generation(), reason);
            ToWorker pause = ToWorkerMessages.pause(ring.generation(), reason);
            ring.byRank().forEach(r -> r.worker().tell(pause));
            events.tell(new RunEvent.RingStopping(ring.generation(), reason));
            return training(state.changing(pendingChange(ring, reason, System.currentTimeMillis())), gen.pausing());
        }
        long g = ring.generation();
        return active(state, next -> training(next, gen), receive(g)
                .onMessage(Progressed.class, p -> {
                    long now = System.nanoTime();
                    RunState next = state.withProgress(state.progress().add(p.report())).firstStepAt(now);
                    if (!gen.stepped() && p.report().getStepsDone() > ring.startStep()) {
                        next = reformed(next);
                        return training(next, gen.hasStepped());
                    }
                    return training(next, gen);
                })
                .onMessageEquals(Timer.PROGRESS, () -> {
                    ProgressBoard.Taken taken = state.progress().takeIfChanged(System.nanoTime());
                    taken.progress().ifPresent(events::tell);
                    return training(state.withProgress(taken.board()), gen);
                })
                .onMessage(Finished.class, f -> {
                    context.getLog().info("{} finished at step {}", ring.describe(f.report().getRank()), f.report().getStepsDone());
                    return training(state, gen.finished(f.report()));
                })
                .onMessage(Stopped.class, stopped -> {
                    RunState next = recordStopped(state, ring, stopped);
                    String reason = stopReason(ring, stopped);
                    // An agreed stop nobody here asked for is a member leaving: its own report names the reason.
                    boolean unexplained = stopped.cause() == StopCause.STOP_PAUSED && !stopped.leaving();
                    if (next.pendingChange().isEmpty() && !unexplained) {
                        next = next.changing(pendingChange(ring, reason, System.currentTimeMillis()));
                    }
                    events.tell(new RunEvent.RingStopping(g, reason));
                    Stopping s = newStopping(ring, next.pendingChange().map(MembershipChange::trigger).orElse(reason), false).reported(stopped);
                    if (stopped.cause() == StopCause.STOP_BROKEN) {
                        s = abort(s, reason);
                    } else {
                        // The ranks agree on the stop step inside their own all-reduce, so the others stop after the
                        // same step anyway; telling them too costs nothing and covers a session without that vote.
                        ToWorker pause = ToWorkerMessages.pause(g, reason);
                        Optional<WorkerRegistration> reporter = ring.at(stopped.rank());
                        ring.byRank().stream().filter(r -> reporter.map(w -> !w.equals(r)).orElse(true)).forEach(r -> r.worker().tell(pause));
                    }
                    return stopping(next, s);
                }));
    }

    /** The ring of {@code s.ring()} is stopping: waits until every member has stopped and reported, or is out. */
    private Behavior<Command> stopping(RunState before, Stopping initial) {
        RunState state = before;
        Stopping s = initial;
        for (int rank = 0; rank < s.ring().worldSize(); rank++) {
            Optional<Membership.Member> m = state.membership().member(s.ring().byRank().get(rank).worker());
            if (m.isPresent() && !m.get().alive() && !s.settled(rank)) {
                s = s.excluding(rank, m.get().goneBecause());
            }
        }
        if (s.complete()) {
            timers.cancel(Timer.ABORT_ACK_TIMEOUT);
            timers.cancel(Timer.SUSPECT_TIMEOUT);
            timers.cancel(Timer.STOP_TIMEOUT);
            return stopped(state, s);
        }
        if (!timers.isTimerActive(Timer.STOP_TIMEOUT)) {
            timers.startSingleTimer(Timer.STOP_TIMEOUT, settings.stopTimeout());
        }
        if (s.aborted() && s.silentSuspects() && !timers.isTimerActive(Timer.SUSPECT_TIMEOUT)) {
            timers.startSingleTimer(Timer.SUSPECT_TIMEOUT, settings.suspectTimeout());
        }
        Stopping current = s;
        Ring ring = s.ring();
        return active(state, next -> stopping(next, current), receive(ring.generation())
                .onMessage(Stopped.class, stopped -> {
                    RunState next = recordStopped(state, ring, stopped);
                    if (stopped.leaving() && next.pendingChange().isEmpty()) {
                        next = next.changing(pendingChange(ring, stopReason(ring, stopped), current.triggeredAtMillis()));
                    }
                    Stopping after = current.reported(stopped);
                    if (stopped.cause() == StopCause.STOP_BROKEN && !after.aborted()) {
                        after = abort(after, stopReason(ring, stopped));
                    }
                    return stopping(next, after);
                })
                .onMessage(AbortAcked.class, ack -> stopping(state, current.acknowledged(ack.rank())))
                .onMessageEquals(Timer.ABORT_ACK_TIMEOUT, () -> fence(state, current, "did not answer the abort within "
                        + seconds(settings.abortAckTimeout()) + " (frozen, or cut off)", r -> !current.acked().contains(r)))
                .onMessageEquals(Timer.SUSPECT_TIMEOUT, () -> fence(state, current, "a peer saw it go, and it did not answer the abort"
                        + " within " + seconds(settings.suspectTimeout()) + " (frozen, or cut off)",
                        r -> current.suspects().contains(r) && !current.acked().contains(r)))
                .onMessageEquals(Timer.STOP_TIMEOUT, () -> fence(state, current, "did not stop within " + seconds(settings.stopTimeout()),
                        r -> true))
                .onMessage(Progressed.class, p -> Behaviors.same())
                .onMessage(Finished.class, f -> Behaviors.same()));
    }

    /** Every member of the stopped ring has reported or is out: commit a checkpoint first if a leaver asks for one, then re-form. */
    private Behavior<Command> stopped(RunState state, Stopping s) {
        Optional<Long> leaveCheckpoint = leaveCheckpointStep(state, s);
        if (leaveCheckpoint.isPresent()) {
            long step = leaveCheckpoint.get();
            if (!run.checkpointDueAfter(step)) { // a due checkpoint is being saved already
                ToWorker save = ToWorkerMessages.save(s.ring().generation(), step);
                s.ring().byRank().forEach(r -> r.worker().tell(save));
            }
            context.getLog().info("committing a checkpoint at step {} before {} leaves", step, leavers(state, s.ring()));
            timers.startSingleTimer(Timer.LEAVE_CHECKPOINT_TIMEOUT, settings.stopTimeout());
            return savingBeforeLeave(state, s, step);
        }
        return reform(state, s);
    }

    /** The newest committed checkpoint is too old for a worker that leaves on purpose: wait (bounded) for one at the stop step. */
    private Behavior<Command> savingBeforeLeave(RunState state, Stopping s, long step) {
        if (state.lastCommittedStep().orElse(-1) >= step) {
            timers.cancel(Timer.LEAVE_CHECKPOINT_TIMEOUT);
            return reform(state, s);
        }
        return active(state, next -> savingBeforeLeave(next, s, step), receive(s.ring().generation())
                .onMessageEquals(Timer.LEAVE_CHECKPOINT_TIMEOUT, () -> {
                    context.getLog().warn("the checkpoint at step {} was not committed within {}; going on without it", step,
                            seconds(settings.stopTimeout()));
                    return reform(state, s);
                }));
    }

    /** Releases the leavers and forms the next generation, or waits below min-workers. */
    private Behavior<Command> reform(RunState before, Stopping s) {
        long stoppedAt = s.reports().values().stream().mapToLong(r -> r.state().stepsDone()).max().orElse(0);
        Map<String, String> left = new LinkedHashMap<>();
        s.excluded().forEach((rank, why) -> left.put(s.ring().byRank().get(rank).workerId(), why));
        RunState state = before;
        for (Stopped report : s.reports().values()) {
            if (report.leaving()) {
                WorkerRegistration leaver = s.ring().byRank().get(report.rank());
                leaver.worker().tell(ToWorkerMessages.released("the ring goes on without it from step " + stoppedAt));
                state = state.withMembership(state.membership().gone(leaver.worker(), "left: " + report.reason()));
                left.put(leaver.workerId(), "left: " + report.reason());
            }
        }
        MembershipChange change = state.pendingChange().orElse(pendingChange(s.ring(), s.trigger(), s.triggeredAtMillis()));
        NextRing.Choice choice = NextRing.choose(state.membership(), state.highestGeneration() + 1, settings.minWorkers(),
                state.startStep().orElse(0), state.lastCommittedStep());
        long now = System.currentTimeMillis();
        if (choice instanceof NextRing.Inconsistent inconsistent) {
            return fail(state, inconsistent.problem());
        }
        if (choice instanceof NextRing.TooFew tooFew) {
            state = state.changing(new MembershipChange(change.fromGeneration(), change.fromGeneration(), change.worldSizeBefore(), 0,
                    change.trigger(), List.of(), left, change.triggeredAtMillis(), now, 0, stoppedAt, 0));
            context.getLog().warn("run {} paused after step {}: {}", run.runId(), stoppedAt, tooFew.describe());
            events.tell(new RunEvent.WaitingForWorkers(stoppedAt, tooFew.live(), tooFew.minWorkers()));
            timers.startSingleTimer(Timer.RENDEZVOUS_TIMEOUT, settings.rendezvousTimeout());
            return waitingForWorkers(state, true);
        }
        Ring next = ((NextRing.Formed) choice).ring();
        Set<String> stayed = new HashSet<>(s.ring().workerIds());
        stayed.removeAll(left.keySet());
        // A change whose new ring broke before it stepped (a join failed) goes on: it still runs from the ring that
        // last trained, so what it said about joiners, leavers and the stop carries over.
        Set<String> joined = new LinkedHashSet<>(change.joined());
        next.workerIds().stream().filter(id -> !stayed.contains(id)).forEach(joined::add);
        joined.retainAll(next.workerIds());
        Map<String, String> allLeft = new LinkedHashMap<>(change.left());
        allLeft.putAll(left);
        allLeft.keySet().removeAll(next.workerIds());
        state = state.changing(new MembershipChange(change.fromGeneration(), next.generation(), change.worldSizeBefore(), next.worldSize(),
                change.trigger(), List.copyOf(joined), allLeft, change.triggeredAtMillis(),
                change.stoppedAtMillis() > 0 ? change.stoppedAtMillis() : now, 0, next.startStep(),
                Math.max(change.stepsRedone(), stoppedAt - next.startStep())));
        return formRing(state, next);
    }

    /** The run's end: every rank of the last generation finished and every checkpoint is committed. */
    private Behavior<Command> finish(RunState state, Generation gen) {
        List<Long> incomplete = state.shards().incompleteSteps(gen.ring().generation());
        if (!incomplete.isEmpty()) {
            return fail(state, "every worker finished but the checkpoints at steps " + incomplete + " are missing shards; they were not committed");
        }
        long now = System.nanoTime();
        ProgressBoard.Taken taken = state.progress().takeIfChanged(now);
        taken.progress().ifPresent(events::tell);
        RunResult result = result(state, gen, now);
        context.getLog().info("run {} finished {} steps with {} workers", run.runId(), result.stepsDone(), result.worldSize());
        // Before the workers are let go: a coordinator that starts again (resume = auto) must find the run finished.
        context.pipeToSelf(CompletableFuture.runAsync(() -> BlockingCalls.call(() -> {
            commits.recordCompletion(run, result.stepsDone());
            return null;
        }), blockingIo), (ok, error) -> new CompletionRecorded(error));
        return Behaviors.receive(Command.class)
                .onMessage(CompletionRecorded.class, recorded -> {
                    if (recorded.error() != null) {
                        context.getLog().warn("could not record run {} as finished under {} ({}); a coordinator started again with"
                                + " resume = auto would train it again from its newest checkpoint", run.runId(), run.checkpointUri(),
                                BlockingCalls.rootMessage(recorded.error()));
                    }
                    return ending(state, ToWorkerMessages.end(true, ""), new RunEvent.RunFinished(result));
                })
                .onAnyMessage(m -> Behaviors.same()) // the run is over; nothing else changes it now
                .build();
    }

    /**
     * resume = auto found the run finished: nothing is trained. The workers (restarted with it, on Kubernetes) are let
     * go as they appear, for at most shutdown-grace or until max-workers of them have been, so that they exit too
     * instead of waiting for a ring.
     */
    private Behavior<Command> alreadyFinished(RunState state, String why) {
        String message = "not training it again: " + why;
        context.getLog().info(message);
        ToWorker end = ToWorkerMessages.end(true, message);
        events.tell(new RunEvent.RunEnding(true));
        timers.cancelAll();
        timers.startSingleTimer(Timer.SHUTDOWN_GRACE, settings.shutdownGrace());
        Set<ActorRef<ToWorker>> letGo = new HashSet<>(state.welcomed());
        letGo.forEach(w -> w.tell(end));
        if (letGo.size() >= settings.maxWorkers()) {
            return stopWith(new RunEvent.AlreadyFinished(message));
        }
        return Behaviors.receive(Command.class)
                .onMessage(WorkersListed.class, listed -> {
                    for (ActorRef<ToWorker> w : listed.listing().getServiceInstances(Worker.SERVICE_KEY)) {
                        if (letGo.add(w)) {
                            w.tell(end);
                        }
                    }
                    return letGo.size() >= settings.maxWorkers() ? stopWith(new RunEvent.AlreadyFinished(message)) : Behaviors.same();
                })
                .onMessageEquals(Timer.SHUTDOWN_GRACE, () -> stopWith(new RunEvent.AlreadyFinished(message)))
                .onAnyMessage(m -> Behaviors.same())
                .build();
    }

    private RunResult result(RunState state, Generation gen, long nowNanos) {
        FinishedReports f = gen.finished();
        long trainingStart = state.trainingStartNanos() == 0 ? state.startedNanos() : state.trainingStartNanos();
        double seconds = (nowNanos - trainingStart) / 1e9;
        long stepsDone = f.stepsDone();
        double samplesPerSecond = seconds > 0 ? (stepsDone - state.trainingStartStep()) * (double) run.globalBatch() / seconds : 0;
        long firstStep = state.firstStepNanos() == 0 ? nowNanos : state.firstStepNanos();
        return new RunResult(run.runId(), gen.ring().worldSize(), state.trainingStartStep(), stepsDone, f.meanFinalLoss(), f.accuracy(),
                samplesPerSecond, state.checkpointsCommitted(), state.lastCommittedStep(),
                Duration.ofNanos(Math.max(0, firstStep - state.startedNanos())), Duration.ofNanos(nowNanos - state.startedNanos()),
                f.meanMetrics(), gen.ring().generation(), state.changes());
    }

    /** Tells every worker the run is over, waits (bounded) until they left the cluster, then reports and stops. */
    private Behavior<Command> ending(RunState state, ToWorker end, RunEvent last) {
        timers.cancelAll();
        events.tell(new RunEvent.RunEnding(!(last instanceof RunEvent.RunFailed)));
        state.welcomed().forEach(w -> w.tell(end));
        Set<Address> remaining = new HashSet<>();
        Set<Address> workerAddresses = state.welcomed().stream().map(w -> w.path().address()).collect(Collectors.toSet());
        Cluster.get(context.getSystem()).state().getMembers().forEach(member -> {
            if (workerAddresses.contains(member.address()) && member.status() != MemberStatus.removed()) {
                remaining.add(member.address());
            }
        });
        if (remaining.isEmpty()) {
            return stopWith(last);
        }
        timers.startSingleTimer(Timer.SHUTDOWN_GRACE, settings.shutdownGrace());
        return Behaviors.receive(Command.class)
                .onMessage(MemberChanged.class, changed -> changed.event() instanceof ClusterEvent.MemberRemoved, changed -> {
                    remaining.remove(changed.event().member().address());
                    return remaining.isEmpty() ? stopWith(last) : Behaviors.same();
                })
                .onMessage(WorkersListed.class, listed -> {
                    for (ActorRef<ToWorker> w : listed.listing().getServiceInstances(Worker.SERVICE_KEY)) {
                        if (!state.welcomed().contains(w)) {
                            w.tell(end);
                        }
                    }
                    return Behaviors.same();
                })
                .onMessageEquals(Timer.SHUTDOWN_GRACE, () -> {
                    context.getLog().warn("{} worker node(s) did not leave within {} after the run ended: {}",
                            remaining.size(), seconds(settings.shutdownGrace()), remaining);
                    return stopWith(last);
                })
                .onAnyMessage(m -> Behaviors.same())
                .build();
    }

    private Behavior<Command> stopWith(RunEvent last) {
        events.tell(last);
        return Behaviors.stopped();
    }

    // ---- handling shared by every state before the end --------------------------------------

    /** A state's handlers, after the one generation filter: messages about any other generation are dropped. */
    private BehaviorBuilder<Command> receive(long generation) {
        return Behaviors.receive(Command.class)
                .onMessage(ForGeneration.class, m -> m.generation() > generation, future -> {
                    // Generations only grow, and this coordinator numbers above every one it hears of: a newer one was
                    // formed by a coordinator it does not know about.
                    context.getLog().warn("ignoring a worker's {} message: it is about ring generation {}, newer than any this coordinator"
                            + " knows of ({}); it comes from the ring of another coordinator (one cut off by a partition that healed?)",
                            future.getClass().getSimpleName(), future.generation(), generation);
                    return Behaviors.same();
                })
                .onMessage(ForGeneration.class, m -> m.generation() != generation, stale -> {
                    context.getLog().debug("dropping {}: not about the current ring generation {}", stale, generation);
                    return Behaviors.same();
                });
    }

    /**
     * What every state handles the same way: workers arriving, registering, leaving or getting lost; checkpoint
     * shards and commits; failures. Each updates the run and re-enters the current state through {@code again},
     * which then decides whether that moves the run on.
     */
    private Behavior<Command> active(RunState state, Function<RunState, Behavior<Command>> again, BehaviorBuilder<Command> handlers) {
        return handlers
                .onMessage(WorkersListed.class, listed -> again.apply(welcomeNewWorkers(state, listed.listing())))
                .onMessage(Registered.class, r -> again.apply(register(state, r)))
                .onMessage(LeaveAsked.class, leave -> again.apply(leaveAsked(state, leave)))
                .onMessage(WorkerExited.class, exited -> again.apply(state.membership().liveNamed(exited.workerId())
                        .map(m -> lose(state, m.registration(), exited.how())).orElse(state)))
                .onMessage(WorkerStopped.class, stopped -> again.apply(state.membership().member(stopped.worker()).filter(Membership.Member::alive)
                        .map(m -> lose(state, m.registration(), "its worker actor stopped")).orElse(state)))
                .onMessage(MemberChanged.class, changed -> isDeparture(changed.event()), changed -> again.apply(
                        state.membership().liveAt(changed.event().member().address())
                                .map(m -> lose(state, m.registration(), "its node left the cluster ("
                                        + changed.event().getClass().getSimpleName() + ")")).orElse(state)))
                .onMessage(ShardReported.class, shard -> {
                    try {
                        return again.apply(shardReported(state, shard));
                    } catch (IllegalArgumentException e) {
                        return fail(state, e.getMessage());
                    }
                })
                .onMessage(CommitDone.class, done -> {
                    if (done.error() != null && BlockingCalls.root(done.error()) instanceof CommitFencedException fenced) {
                        return superseded(fenced.getMessage());
                    }
                    if (done.error() != null) {
                        return fail(state, "committing the checkpoint at step " + done.shards().step() + " failed: "
                                + BlockingCalls.rootMessage(done.error()));
                    }
                    context.getLog().info("checkpoint at step {} committed", done.shards().step());
                    events.tell(new RunEvent.CheckpointCommitted(done.shards().step(), done.shards().worldSize()));
                    return again.apply(state.committed(done.shards().step()));
                })
                .onMessage(Failed.class, f -> isLiveMember(state, f.report().getWorkerId()), f -> fail(state, "worker "
                        + f.report().getWorkerId() + (f.report().getRank() >= 0 ? " (rank " + f.report().getRank() + ")" : "")
                        + " failed: " + f.report().getReason()))
                .onMessage(Unreadable.class, u -> fail(state, u.problem()))
                .onMessage(ReachabilityChanged.class, changed -> {
                    if (changed.event() instanceof ClusterEvent.UnreachableMember u) {
                        context.getLog().warn("node {} is unreachable; the split brain resolver removes it unless it comes back", u.member().address());
                    }
                    return Behaviors.same();
                })
                .onAnyMessage(m -> {
                    context.getLog().debug("ignoring {}", m);
                    return Behaviors.same();
                })
                .build();
    }

    private RunState welcomeNewWorkers(RunState state, Receptionist.Listing listing) {
        RunState next = state;
        for (ActorRef<ToWorker> worker : listing.getServiceInstances(Worker.SERVICE_KEY)) {
            if (!next.welcomed().contains(worker)) {
                context.watchWith(worker, new WorkerStopped(worker));
                worker.tell(ToWorkerMessages.welcome(resolver.toSerializationFormat(self), run));
                next = next.welcomedAlso(worker);
            }
        }
        return next;
    }

    private RunState register(RunState state, Registered r) {
        String otherRun = r.message().getSituation().getRunId();
        if (!otherRun.isEmpty() && !otherRun.equals(run.runId())) {
            String why = "worker " + r.message().getWorkerId() + " was in run " + otherRun + ", not run " + run.runId()
                    + ": two runs share one cluster; give each run its own (its own seed nodes, or its own app.kubernetes.io/instance label)";
            context.getLog().warn("turning away worker at {}: {}", r.worker().path().address(), why);
            r.worker().tell(ToWorkerMessages.rejected(why));
            return state;
        }
        Membership.Registration registration = state.membership().register(r.worker(), r.message());
        if (registration.rejection().isPresent()) {
            context.getLog().warn("turning away worker at {}: {}", r.worker().path().address(), registration.rejection().get());
            r.worker().tell(ToWorkerMessages.rejected(registration.rejection().get()));
            return state;
        }
        if (!registration.isNew()) {
            return state;
        }
        events.tell(new RunEvent.WorkerRegistered(r.message().getWorkerId(), r.message().getDataPlaneEndpoint(),
                registration.membership().staying().size(), settings.minWorkers()));
        return state.withMembership(registration.membership()).sawGeneration(r.message().getHighestGeneration());
    }

    /**
     * A worker outside any ring (standby, or just registered) leaves: it is released at once. (Had an assignment to
     * a forming ring been on its way to it, that ring sees a member gone and re-forms without it.)
     */
    private RunState leaveAsked(RunState state, LeaveAsked leave) {
        Optional<Membership.Member> m = state.membership().liveNamed(leave.workerId());
        if (m.isEmpty()) {
            return state;
        }
        context.getLog().info("{} leaves: {}", m.get().registration().describe(), leave.reason());
        m.get().registration().worker().tell(ToWorkerMessages.released("it held no place in a ring"));
        return state.withMembership(state.membership().gone(m.get().registration().worker(), "left: " + leave.reason()));
    }

    /** A member is lost: mark it gone and down its node, so nothing waits for it and a frozen process is fenced. */
    private RunState lose(RunState state, WorkerRegistration worker, String how) {
        context.getLog().warn("lost {}: {}", worker.describe(), how);
        Cluster cluster = Cluster.get(context.getSystem());
        if (!worker.address().equals(cluster.selfMember().address())) { // a worker in the coordinator's own node (tests)
            cluster.manager().tell(new Down(worker.address()));
        }
        return state.withMembership(state.membership().gone(worker.worker(), how));
    }

    private RunState shardReported(RunState state, ShardReported report) {
        // A generation this coordinator never formed is one from before it took over: the report names its world size.
        int worldSize = state.worldSizeOf(report.generation()).orElse(report.shard().worldSize());
        ShardTally.Added added = state.shards().add(report.generation(), worldSize, report.shard());
        if (added.complete().isEmpty()) {
            return state.withShards(added.tally(), 0);
        }
        CheckpointShards shards = added.complete().get();
        if (state.lastCommittedStep().orElse(-1) >= shards.step()) {
            // Reports sent again to a coordinator that took over: the one before committed this step, or a newer one.
            context.getLog().info("checkpoint at step {} is already committed (newest: step {}); not committing it again",
                    shards.step(), state.lastCommittedStep().getAsLong());
            return state.withShards(added.tally(), 0);
        }
        commitChain = commitChain.handle((ok, error) -> null)
                .thenRunAsync(() -> BlockingCalls.call(() -> {
                    commits.commit(run, shards);
                    return null;
                }), blockingIo);
        context.pipeToSelf(commitChain, (ok, error) -> new CommitDone(shards, error));
        return state.withShards(added.tally(), 1);
    }

    // ---- helpers --------------------------------------------------------------------------

    /** Why the ring must stop: a member is gone or leaving. */
    private static Optional<String> lostMember(RunState state, Ring ring) {
        for (WorkerRegistration r : ring.byRank()) {
            Optional<Membership.Member> m = state.membership().member(r.worker());
            if (m.isPresent() && !m.get().alive()) {
                return Optional.of(r.workerId() + " is gone: " + m.get().goneBecause());
            }
        }
        return Optional.empty();
    }

    /** Stops the ring and aborts every member that has not reported yet ({@code report}: the one that already has). */
    private Behavior<Command> stop(RunState before, Ring ring, String why, Optional<Stopped> report) {
        RunState state = before.pendingChange().isPresent() ? before : before.changing(pendingChange(ring, why, System.currentTimeMillis()));
        events.tell(new RunEvent.RingStopping(ring.generation(), why));
        context.getLog().warn("ring generation {} stops: {}", ring.generation(), why);
        Stopping s = newStopping(ring, state.pendingChange().get().trigger(), false);
        return stopping(state, abort(report.map(s::reported).orElse(s), why));
    }

    private Stopping newStopping(Ring ring, String trigger, boolean aborted) {
        return new Stopping(ring, trigger, System.currentTimeMillis(), aborted, Map.of(), Set.of(), Set.of(), Map.of());
    }

    /** Tells every live member of the stopping ring to abort it, and starts the acknowledgement deadline. */
    private Stopping abort(Stopping s, String reason) {
        if (s.aborted()) {
            return s;
        }
        ToWorker abort = ToWorkerMessages.abort(s.ring().generation(), reason);
        for (int rank = 0; rank < s.ring().worldSize(); rank++) {
            if (!s.settled(rank)) {
                s.ring().byRank().get(rank).worker().tell(abort);
            }
        }
        timers.startSingleTimer(Timer.ABORT_ACK_TIMEOUT, settings.abortAckTimeout());
        return s.aborting();
    }

    /** Members of the stopping ring that match {@code which} and have not reported are lost: fenced and downed. */
    private Behavior<Command> fence(RunState before, Stopping s, String why, java.util.function.IntPredicate which) {
        RunState state = before;
        Stopping after = s;
        for (int rank = 0; rank < s.ring().worldSize(); rank++) {
            if (!s.settled(rank) && which.test(rank)) {
                WorkerRegistration w = s.ring().byRank().get(rank);
                state = lose(state, w, why);
                after = after.excluding(rank, why);
            }
        }
        return stopping(state, after);
    }

    private RunState recordStopped(RunState state, Ring ring, Stopped stopped) {
        Optional<WorkerRegistration> w = ring.at(stopped.rank());
        if (w.isEmpty()) {
            return state;
        }
        Membership next = state.membership().reported(w.get().worker(), stopped.state());
        if (stopped.leaving()) {
            next = next.leaving(w.get().worker());
        }
        return state.withMembership(next);
    }

    private static String stopReason(Ring ring, Stopped stopped) {
        String who = ring.at(stopped.rank()).map(WorkerRegistration::workerId).orElse("rank " + stopped.rank());
        if (stopped.leaving()) {
            return who + " leaves (" + stopped.reason() + ")";
        }
        return stopped.cause() == StopCause.STOP_BROKEN ? who + "'s ring broke: " + stopped.reason()
                : "the ring paused at step " + stopped.state().stepsDone() + " (" + stopped.reason() + ")";
    }

    private static MembershipChange pendingChange(Ring ring, String trigger, long atMillis) {
        return new MembershipChange(ring.generation(), ring.generation(), ring.worldSize(), ring.worldSize(), trigger, List.of(), Map.of(),
                atMillis, 0, 0, 0, 0);
    }

    /** The new generation completed its first step: the pending change is done. */
    private RunState reformed(RunState state) {
        if (state.pendingChange().isEmpty()) {
            return state;
        }
        RunState next = state.changed(System.currentTimeMillis());
        MembershipChange change = next.changes().get(next.changes().size() - 1);
        context.getLog().info("ring re-formed: {}", change.describe());
        events.tell(new RunEvent.RingReformed(change));
        return next;
    }

    /** Staying members outside the ring: workers that registered and wait to join. */
    private static List<String> joiners(RunState state, Ring ring) {
        return state.membership().staying().stream().filter(m -> !ring.contains(m.registration().worker()))
                .map(Membership.Member::workerId).toList();
    }

    private Optional<Long> leaveCheckpointStep(RunState state, Stopping s) {
        if (settings.checkpointBeforeLeave() == 0 || !s.excluded().isEmpty() || s.reports().size() != s.ring().worldSize()) {
            return Optional.empty();
        }
        boolean someoneLeaves = s.reports().values().stream().anyMatch(Stopped::leaving);
        Set<Long> steps = s.reports().values().stream().map(r -> r.state().stepsDone()).collect(Collectors.toSet());
        boolean cleanPause = s.reports().values().stream().allMatch(r -> r.cause() == StopCause.STOP_PAUSED);
        if (!someoneLeaves || !cleanPause || steps.size() != 1) {
            return Optional.empty();
        }
        long step = steps.iterator().next();
        long newest = state.lastCommittedStep().orElse(state.startStep().orElse(0));
        return step - newest >= settings.checkpointBeforeLeave() ? Optional.of(step) : Optional.empty();
    }

    private static String leavers(RunState state, Ring ring) {
        return ring.byRank().stream().filter(r -> state.membership().member(r.worker()).map(Membership.Member::leaving).orElse(false))
                .map(WorkerRegistration::workerId).collect(Collectors.joining(", "));
    }

    private static boolean isLiveMember(RunState state, String workerId) {
        return state.membership().liveNamed(workerId).isPresent();
    }

    private Behavior<Command> fail(RunState state, String reason) {
        context.getLog().warn("run {} failed: {}", run.runId(), reason); // also the run's last event, which callers report
        return ending(state, ToWorkerMessages.end(false, reason), new RunEvent.RunFailed(reason));
    }

    /**
     * A newer ring generation has committed a checkpoint: another coordinator has the run, and this one was cut off or
     * replaced. It stops without a word to the workers, which are the other one's now (an End from here would stop
     * the run that one is running).
     */
    private Behavior<Command> superseded(String why) {
        timers.cancelAll();
        context.getLog().error("run {}: this coordinator is no longer the run's ({}); it stops and leaves the workers to the other",
                run.runId(), why);
        return stopWith(new RunEvent.RunFailed("superseded by another coordinator: " + why));
    }

    private static boolean isDeparture(ClusterEvent.MemberEvent event) {
        return event instanceof ClusterEvent.MemberRemoved || event instanceof ClusterEvent.MemberExited
                || event instanceof ClusterEvent.MemberLeft || event instanceof ClusterEvent.MemberDowned;
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
