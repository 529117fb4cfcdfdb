package io.ringtrain.coordinator;

import io.ringtrain.protocol.control.ToCoordinator;
import io.ringtrain.protocol.control.ToWorker;
import io.ringtrain.protocol.control.WorkerFinished;
import io.ringtrain.worker.RunSettings;
import io.ringtrain.worker.Worker;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.BehaviorBuilder;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The coordinator of one run (a cluster singleton on role {@code coordinator}): finds workers
 * through the Receptionist, forms the ring of a generation, starts training, commits checkpoints
 * once every shard is in, and ends the run. It is never on the per-step path.
 *
 * <p>States: {@link #waitingForWorkers} -> {@link #formingRing} -> {@link #training} ->
 * {@link #ending}. Every message from a worker carries its ring generation, so re-forming the ring
 * (a later generation) can be added without changing the protocol. Losing a worker after the
 * ring formed fails the run for now (see DESIGN.md, Fault tolerance).
 */
public final class Coordinator {

    public sealed interface Command {
    }

    private record FromWorker(ToCoordinator message) implements Command {
    }

    private record WorkersListed(Receptionist.Listing listing) implements Command {
    }

    private record MemberChanged(ClusterEvent.MemberEvent event) implements Command {
    }

    private record ReachabilityChanged(ClusterEvent.ReachabilityEvent event) implements Command {
    }

    private record WorkerStopped(ActorRef<ToWorker> worker) implements Command {
    }

    private record CheckpointLookedUp(OptionalLong step, Throwable error) implements Command {
    }

    private record CommitDone(CheckpointShards shards, Throwable error) implements Command {
    }

    private enum Timer implements Command { RENDEZVOUS_TIMEOUT, SETTLED, RING_TIMEOUT, PROGRESS, SHUTDOWN_GRACE }

    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final CoordinatorContext settings;
    private final RunSettings run;
    private final CheckpointCommits commits;
    private final ActorRef<RunEvent> events;
    private final ActorRef<ToCoordinator> self;
    private final ActorRefResolver resolver;
    private final Executor blockingIo;
    private final Set<ActorRef<ToWorker>> welcomed = new HashSet<>();
    private final long startNanos = System.nanoTime();
    private long firstStepNanos;
    private long generation;
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
                Behaviors.setup(context -> Behaviors.withTimers(timers ->
                        new Coordinator(context, timers, settings, run, commits, events).start())));
    }

    private Coordinator(ActorContext<Command> context, TimerScheduler<Command> timers, CoordinatorContext settings,
                        RunSettings run, CheckpointCommits commits, ActorRef<RunEvent> events) {
        this.context = context;
        this.timers = timers;
        this.settings = settings;
        this.run = run;
        this.commits = commits;
        this.events = events;
        this.self = context.messageAdapter(ToCoordinator.class, FromWorker::new);
        this.resolver = ActorRefResolver.get(context.getSystem());
        this.blockingIo = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
    }

    private Behavior<Command> start() {
        context.getSystem().receptionist().tell(Receptionist.subscribe(Worker.SERVICE_KEY,
                context.messageAdapter(Receptionist.Listing.class, WorkersListed::new)));
        Cluster cluster = Cluster.get(context.getSystem());
        cluster.subscriptions().tell(Subscribe.create(
                context.messageAdapter(ClusterEvent.MemberEvent.class, MemberChanged::new), ClusterEvent.MemberEvent.class));
        cluster.subscriptions().tell(Subscribe.create(
                context.messageAdapter(ClusterEvent.ReachabilityEvent.class, ReachabilityChanged::new), ClusterEvent.ReachabilityEvent.class));
        timers.startSingleTimer(Timer.RENDEZVOUS_TIMEOUT, settings.rendezvousTimeout());
        OptionalLong startStep = settings.resume() ? OptionalLong.empty() : OptionalLong.of(0); // empty: not known yet
        if (settings.resume()) {
            context.pipeToSelf(CompletableFuture.supplyAsync(() -> BlockingCalls.call(() -> commits.latestCommittedStep(run)), blockingIo),
                    CheckpointLookedUp::new);
        }
        context.getLog().info("coordinating run {}: waiting for {} to {} workers", run.runId(), settings.minWorkers(), settings.maxWorkers());
        return waitingForWorkers(new Rendezvous(settings.maxWorkers()), startStep, false);
    }

    // ---- states ----------------------------------------------------------------------------

    private Behavior<Command> waitingForWorkers(Rendezvous rendezvous, OptionalLong startStep, boolean settled) {
        return active(Behaviors.receive(Command.class)
                .onMessage(WorkersListed.class, listed -> {
                    welcomeNewWorkers(listed.listing(), Optional.empty());
                    return Behaviors.same();
                })
                .onMessage(FromWorker.class, m -> m.message().hasRegister(), m -> {
                    ActorRef<ToWorker> worker = resolver.resolveActorRef(m.message().getRegister().getWorker());
                    Optional<String> rejection = rendezvous.add(worker, m.message().getRegister());
                    if (rejection.isPresent()) {
                        reject(worker, rejection.get());
                        return Behaviors.same();
                    }
                    events.tell(new RunEvent.WorkerRegistered(m.message().getRegister().getWorkerId(),
                            m.message().getRegister().getDataPlaneEndpoint(), rendezvous.size(), settings.minWorkers()));
                    if (rendezvous.size() == settings.minWorkers() && !rendezvous.isFull()) {
                        timers.startSingleTimer(Timer.SETTLED, settings.rendezvousSettle());
                    }
                    return formRingIfReady(rendezvous, startStep, settled);
                })
                .onMessageEquals(Timer.SETTLED, () -> formRingIfReady(rendezvous, startStep, true))
                .onMessage(CheckpointLookedUp.class, found -> {
                    Optional<String> problem = ResumePoint.problem(run, found.step(), found.error());
                    if (problem.isPresent()) {
                        return fail(problem.get());
                    }
                    if (found.step().getAsLong() > 0) {
                        context.getLog().info("resuming run {} from the checkpoint at step {}", run.runId(), found.step().getAsLong());
                    }
                    return formRingIfReady(rendezvous, found.step(), settled);
                })
                .onMessage(WorkerStopped.class, stopped -> workerLeftBeforeRing(rendezvous, rendezvous.remove(stopped.worker()), startStep))
                .onMessage(MemberChanged.class, changed -> isDeparture(changed.event()),
                        changed -> workerLeftBeforeRing(rendezvous, rendezvous.remove(changed.event().member().address()), startStep))
                .onMessageEquals(Timer.RENDEZVOUS_TIMEOUT, () -> fail("rendezvous timed out after " + settings.rendezvousTimeout().toSeconds()
                        + " s: " + rendezvous.size() + " of min-workers " + settings.minWorkers() + " workers registered"
                        + (rendezvous.size() == 0 ? "" : " (" + String.join(", ", rendezvous.workerIds()) + ")")
                        + "; start more workers, check that they reach the coordinator, or lower --min-workers")));
    }

    private Behavior<Command> formRingIfReady(Rendezvous rendezvous, OptionalLong startStep, boolean settled) {
        boolean enough = rendezvous.isFull() || (settled && rendezvous.size() >= settings.minWorkers());
        if (!enough || startStep.isEmpty()) {
            return waitingForWorkers(rendezvous, startStep, settled);
        }
        timers.cancel(Timer.RENDEZVOUS_TIMEOUT);
        timers.cancel(Timer.SETTLED);
        Ring ring = rendezvous.formRing(++generation);
        for (int rank = 0; rank < ring.worldSize(); rank++) {
            ring.byRank().get(rank).worker().tell(ToWorkerMessages.ring(ring, rank));
        }
        context.getLog().info("ring generation {} formed: {}", ring.generation(), ring.workerIds());
        events.tell(new RunEvent.RingFormed(ring.generation(), ring.workerIds(), ring.endpoints()));
        timers.startSingleTimer(Timer.RING_TIMEOUT, settings.ringTimeout());
        return formingRing(ring, startStep.getAsLong(), new TreeSet<>());
    }

    private Behavior<Command> formingRing(Ring ring, long startStep, Set<Integer> confirmed) {
        return inRing(ring, Behaviors.receive(Command.class)
                .onMessage(FromWorker.class, m -> m.message().hasRingReady() && m.message().getRingReady().getGeneration() == ring.generation(), m -> {
                    confirmed.add(m.message().getRingReady().getRank());
                    return confirmed.size() < ring.worldSize() ? Behaviors.same() : startTraining(ring, startStep);
                })
                .onMessageEquals(Timer.RING_TIMEOUT, () -> fail("ring generation " + ring.generation() + " did not form within "
                        + settings.ringTimeout().toSeconds() + " s: " + IntStream.range(0, ring.worldSize()).filter(r -> !confirmed.contains(r))
                        .mapToObj(ring::describe).collect(Collectors.joining(", ")) + " did not confirm; see their logs")));
    }

    private Behavior<Command> startTraining(Ring ring, long startStep) {
        timers.cancel(Timer.RING_TIMEOUT);
        boolean restore = startStep > 0;
        ToWorker start = ToWorkerMessages.start(ring.generation(), startStep, restore);
        ring.byRank().forEach(r -> r.worker().tell(start));
        context.getLog().info("training generation {} with {} workers from step {}", ring.generation(), ring.worldSize(), startStep);
        events.tell(new RunEvent.TrainingStarted(ring.generation(), ring.worldSize(), startStep, restore));
        timers.startTimerWithFixedDelay(Timer.PROGRESS, run.progressInterval());
        return training(new TrainingRun(ring, startStep, run, System.nanoTime()));
    }

    private Behavior<Command> training(TrainingRun t) {
        long g = t.ring.generation();
        return inRing(t.ring, Behaviors.receive(Command.class)
                .onMessage(FromWorker.class, m -> m.message().hasProgress() && m.message().getProgress().getGeneration() == g, m -> {
                    if (firstStepNanos == 0) {
                        firstStepNanos = System.nanoTime();
                    }
                    t.progress.add(m.message().getProgress());
                    return Behaviors.same();
                })
                .onMessageEquals(Timer.PROGRESS, () -> {
                    t.progress.takeIfChanged(System.nanoTime()).ifPresent(events::tell);
                    return Behaviors.same();
                })
                .onMessage(FromWorker.class, m -> m.message().hasShardSaved() && m.message().getShardSaved().getGeneration() == g,
                        m -> onShardSaved(t, m.message().getShardSaved()))
                .onMessage(CommitDone.class, done -> {
                    if (done.error() != null) {
                        return fail("committing the checkpoint at step " + done.shards().step() + " failed: " + BlockingCalls.rootMessage(done.error()));
                    }
                    t.committed(done.shards().step());
                    context.getLog().info("checkpoint at step {} committed", done.shards().step());
                    events.tell(new RunEvent.CheckpointCommitted(done.shards().step(), done.shards().worldSize()));
                    return finishIfDone(t);
                })
                .onMessage(FromWorker.class, m -> m.message().hasFinished() && m.message().getFinished().getGeneration() == g, m -> {
                    WorkerFinished finished = m.message().getFinished();
                    t.finished.add(finished);
                    context.getLog().info("{} finished at step {}", t.ring.describe(finished.getRank()), finished.getStepsDone());
                    return finishIfDone(t);
                }));
    }

    private Behavior<Command> onShardSaved(TrainingRun t, io.ringtrain.protocol.control.ShardSaved report) {
        Optional<CheckpointShards> complete;
        try {
            complete = t.shards.add(ShardTally.fromReport(report));
        } catch (IllegalArgumentException e) {
            return fail(e.getMessage());
        }
        complete.ifPresent(shards -> {
            t.commitsInFlight++;
            // Chained so commits run one at a time, in step order, off the actor's thread.
            commitChain = commitChain.handle((ok, error) -> null)
                    .thenRunAsync(() -> BlockingCalls.call(() -> {
                        commits.commit(run, shards);
                        return null;
                    }), blockingIo);
            context.pipeToSelf(commitChain, (ok, error) -> new CommitDone(shards, error));
        });
        return Behaviors.same();
    }

    private Behavior<Command> finishIfDone(TrainingRun t) {
        if (!t.isDone()) {
            return Behaviors.same();
        }
        List<Long> incomplete = t.shards.incompleteSteps();
        if (!incomplete.isEmpty()) {
            return fail("every worker finished but the checkpoints at steps " + incomplete + " are missing shards; they were not committed");
        }
        long now = System.nanoTime();
        t.progress.takeIfChanged(now).ifPresent(events::tell);
        RunResult result = t.result(run, now, startNanos, firstStepNanos == 0 ? now : firstStepNanos);
        context.getLog().info("run {} finished {} steps with {} workers", run.runId(), result.stepsDone(), result.worldSize());
        return ending(ToWorkerMessages.end(true, ""), new RunEvent.RunFinished(result));
    }

    /** Tells every worker the run is over, waits (bounded) until they left the cluster, then reports and stops. */
    private Behavior<Command> ending(ToWorker end, RunEvent last) {
        timers.cancelAll();
        welcomed.forEach(w -> w.tell(end));
        Set<Address> remaining = new HashSet<>();
        Set<Address> workerAddresses = welcomed.stream().map(w -> w.path().address()).collect(Collectors.toSet());
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
                .onMessageEquals(Timer.SHUTDOWN_GRACE, () -> {
                    context.getLog().warn("{} worker node(s) did not leave within {} s after the run ended: {}",
                            remaining.size(), settings.shutdownGrace().toSeconds(), remaining);
                    return stopWith(last);
                })
                .onAnyMessage(m -> Behaviors.same())
                .build();
    }

    private Behavior<Command> stopWith(RunEvent last) {
        events.tell(last);
        return Behaviors.stopped();
    }

    // ---- handling shared by several states -------------------------------------------------

    /** After the ring formed: a lost or failed worker fails the run; newcomers are turned away. */
    private Behavior<Command> inRing(Ring ring, BehaviorBuilder<Command> state) {
        return active(state
                .onMessage(WorkersListed.class, listed -> {
                    welcomeNewWorkers(listed.listing(), Optional.of("run " + run.runId() + " already formed its ring of "
                            + ring.worldSize() + " workers; joining a running ring is not supported yet"));
                    return Behaviors.same();
                })
                .onMessage(FromWorker.class, m -> m.message().hasRegister(), m -> {
                    reject(resolver.resolveActorRef(m.message().getRegister().getWorker()),
                            "run " + run.runId() + " already formed its ring; joining a running ring is not supported yet");
                    return Behaviors.same();
                })
                .onMessage(WorkerStopped.class, stopped -> ring.member(stopped.worker()).isPresent(),
                        stopped -> workerLost(ring, ring.member(stopped.worker()).get(), "its worker actor stopped"))
                .onMessage(MemberChanged.class, changed -> isDeparture(changed.event()) && ring.memberAt(changed.event().member().address()).isPresent(),
                        changed -> workerLost(ring, ring.memberAt(changed.event().member().address()).get(),
                                "its node left the cluster (" + changed.event().getClass().getSimpleName() + ")")));
    }

    /** Before the run ends: failures reported by workers, unreachability warnings, stale messages. */
    private Behavior<Command> active(BehaviorBuilder<Command> state) {
        return state
                .onMessage(FromWorker.class, m -> m.message().hasFailed(), m -> fail("worker " + m.message().getFailed().getWorkerId()
                        + (m.message().getFailed().getRank() >= 0 ? " (rank " + m.message().getFailed().getRank() + ")" : "")
                        + " failed: " + m.message().getFailed().getReason()))
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

    private Behavior<Command> workerLost(Ring ring, WorkerRegistration worker, String how) {
        int rank = ring.byRank().indexOf(worker);
        return fail("lost worker " + ring.describe(rank) + " during ring generation " + ring.generation() + ": " + how
                + ". Re-forming the ring without it is not supported yet; see that worker's log, then restart the run with --resume");
    }

    private Behavior<Command> workerLeftBeforeRing(Rendezvous rendezvous, Optional<WorkerRegistration> gone, OptionalLong startStep) {
        gone.ifPresent(w -> context.getLog().warn("worker {} left before the ring formed; {} registered now", w.describe(), rendezvous.size()));
        if (gone.isPresent() && rendezvous.size() < settings.minWorkers()) {
            timers.cancel(Timer.SETTLED);
            return waitingForWorkers(rendezvous, startStep, false);
        }
        return Behaviors.same();
    }

    private Behavior<Command> fail(String reason) {
        context.getLog().warn("run {} failed: {}", run.runId(), reason); // also the run's last event, which callers report
        return ending(ToWorkerMessages.end(false, reason), new RunEvent.RunFailed(reason));
    }

    private void welcomeNewWorkers(Receptionist.Listing listing, Optional<String> rejection) {
        for (ActorRef<ToWorker> worker : listing.getServiceInstances(Worker.SERVICE_KEY)) {
            if (welcomed.add(worker)) {
                context.watchWith(worker, new WorkerStopped(worker));
                if (rejection.isPresent()) {
                    reject(worker, rejection.get());
                } else {
                    worker.tell(ToWorkerMessages.welcome(resolver.toSerializationFormat(self), run));
                }
            }
        }
    }

    private void reject(ActorRef<ToWorker> worker, String reason) {
        context.getLog().warn("turning away worker at {}: {}", worker.path().address(), reason);
        worker.tell(ToWorkerMessages.rejected(reason));
    }

    private static boolean isDeparture(ClusterEvent.MemberEvent event) {
        return event instanceof ClusterEvent.MemberRemoved || event instanceof ClusterEvent.MemberExited
                || event instanceof ClusterEvent.MemberLeft || event instanceof ClusterEvent.MemberDowned;
    }
}
