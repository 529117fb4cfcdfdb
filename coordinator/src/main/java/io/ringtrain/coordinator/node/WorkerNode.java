package io.ringtrain.coordinator.node;

import com.typesafe.config.Config;
import io.ringtrain.worker.TrainingSessionFactory;
import io.ringtrain.worker.Worker;
import io.ringtrain.worker.WorkerContext;
import io.ringtrain.worker.WorkerOutcome;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A worker process's cluster node: an ActorSystem with role {@code worker} running one
 * {@link Worker}. The node shuts itself down (leaving the cluster) once the worker's part in the
 * run is over; {@link #outcome()} says how it ended.
 */
public final class WorkerNode implements AutoCloseable {

    public static final String ROLE = "worker";

    private final ActorSystem<WorkerOutcome> system;
    private final CompletableFuture<WorkerOutcome> outcome;
    /** Off once leaving gracefully makes no sense (the launcher is gone): the process then just stops. */
    private final AtomicBoolean leaveOnShutdown;

    private WorkerNode(ActorSystem<WorkerOutcome> system, CompletableFuture<WorkerOutcome> outcome, AtomicBoolean leaveOnShutdown) {
        this.system = system;
        this.outcome = outcome;
        this.leaveOnShutdown = leaveOnShutdown;
    }

    /**
     * @param worker   a concluded {@link WorkerContext}
     * @param sessions makes the training session once the coordinator says which model to train
     */
    public static WorkerNode start(Config config, ClusterContext cluster, WorkerContext worker, TrainingSessionFactory sessions) {
        CompletableFuture<WorkerOutcome> outcome = new CompletableFuture<>();
        CompletableFuture<ActorRef<Worker.Command>> workerRef = new CompletableFuture<>();
        ActorSystem<WorkerOutcome> system = ClusterNode.start(guardian(worker, sessions, outcome, workerRef), ROLE, cluster, config);
        ClusterNode.onDowned(system, () -> outcome.complete(WorkerOutcome.failed(
                "the worker's node was downed after losing the cluster (cut off from the majority, or stalled too long)")));
        system.getWhenTerminated().thenRun(() -> outcome.complete(WorkerOutcome.failed(
                "the worker's node shut down before its run ended (stopped, or downed after losing the cluster)")));
        AtomicBoolean leaveOnShutdown = new AtomicBoolean(true);
        leaveBeforeShuttingDown(system, workerRef, outcome, leaveOnShutdown);
        return new WorkerNode(system, outcome, leaveOnShutdown);
    }

    /**
     * SIGTERM (a pod eviction, a preempted node, `kill`) runs Pekko's coordinated shutdown: before the node leaves the
     * cluster, the worker leaves the run at the next step boundary, so the ring shrinks without a timeout and no step
     * is redone. Bounded by the worker's leave timeout (and the phase timeout above it, in reference.conf). Skipped
     * when the run is already over for this worker, or when the cluster downed this node (it was fenced).
     */
    private static void leaveBeforeShuttingDown(ActorSystem<?> system, CompletableFuture<ActorRef<Worker.Command>> workerRef,
                                                CompletableFuture<WorkerOutcome> outcome, AtomicBoolean leaveOnShutdown) {
        CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
        shutdown.addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "ringtrain-leave-run", () -> {
            if (outcome.isDone() || ClusterNode.downed(system) || !leaveOnShutdown.get() || !workerRef.isDone()) {
                return CompletableFuture.completedFuture(Done.getInstance());
            }
            workerRef.join().tell(new Worker.Leave("its process was asked to stop (SIGTERM)"));
            return outcome.thenApply(o -> Done.getInstance());
        });
    }

    /** Whether a shutdown of this process first leaves the run gracefully (the default). */
    public void leaveOnShutdown(boolean leave) {
        leaveOnShutdown.set(leave);
    }

    private static Behavior<WorkerOutcome> guardian(WorkerContext settings, TrainingSessionFactory sessions,
                                                    CompletableFuture<WorkerOutcome> outcome,
                                                    CompletableFuture<ActorRef<Worker.Command>> workerRef) {
        return Behaviors.setup(context -> {
            ActorRef<Worker.Command> worker = context.spawn(Worker.create(settings, sessions, context.getSelf()), "worker");
            workerRef.complete(worker);
            context.watch(worker);
            return Behaviors.receive(WorkerOutcome.class)
                    .onMessage(WorkerOutcome.class, result -> {
                        outcome.complete(result);
                        ClusterNode.shutDown(context.getSystem());
                        return Behaviors.same();
                    })
                    .onSignal(Terminated.class, t -> {
                        outcome.complete(WorkerOutcome.failed("the worker actor stopped unexpectedly; see the log above"));
                        ClusterNode.shutDown(context.getSystem());
                        return Behaviors.same();
                    })
                    .build();
        });
    }

    public CompletionStage<WorkerOutcome> outcome() {
        return outcome;
    }

    /** "host:port" of this node's cluster endpoint. */
    public String clusterAddress() {
        return ClusterNode.hostPort(system);
    }

    /** Completes once the node has left the cluster and stopped. */
    public CompletionStage<Void> terminated() {
        return system.getWhenTerminated().thenApply(done -> null);
    }

    /**
     * Stops the node at once without leaving the run or the cluster gracefully: it downs itself, as the cluster does to
     * a node that crashed or was fenced. Waits at most {@code timeout}.
     */
    public void abandon(Duration timeout) {
        ClusterNode.abandon(system, timeout);
    }

    /** Stops the node (leaving the cluster) and waits for it, at most {@code timeout}. */
    public void close(Duration timeout) {
        ClusterNode.shutDownAndWait(system, timeout);
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(20));
    }
}
