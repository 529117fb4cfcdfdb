package io.ringtrain.coordinator.node;

import com.typesafe.config.Config;
import io.ringtrain.worker.TrainingSessionFactory;
import io.ringtrain.worker.Worker;
import io.ringtrain.worker.WorkerContext;
import io.ringtrain.worker.WorkerOutcome;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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

    private WorkerNode(ActorSystem<WorkerOutcome> system, CompletableFuture<WorkerOutcome> outcome) {
        this.system = system;
        this.outcome = outcome;
    }

    /**
     * @param worker   a concluded {@link WorkerContext}
     * @param sessions makes the training session once the coordinator says which model to train
     */
    public static WorkerNode start(Config config, ClusterContext cluster, WorkerContext worker, TrainingSessionFactory sessions) {
        CompletableFuture<WorkerOutcome> outcome = new CompletableFuture<>();
        ActorSystem<WorkerOutcome> system = ClusterNode.start(guardian(worker, sessions, outcome), ROLE, cluster, config);
        system.getWhenTerminated().thenRun(() -> outcome.complete(WorkerOutcome.failed(
                "the worker's node shut down before its run ended (stopped, or downed after losing the cluster)")));
        return new WorkerNode(system, outcome);
    }

    private static Behavior<WorkerOutcome> guardian(WorkerContext settings, TrainingSessionFactory sessions, CompletableFuture<WorkerOutcome> outcome) {
        return Behaviors.setup(context -> {
            ActorRef<Worker.Command> worker = context.spawn(Worker.create(settings, sessions, context.getSelf()), "worker");
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

    /** Stops the node (leaving the cluster) and waits for it, at most {@code timeout}. */
    public void close(Duration timeout) {
        ClusterNode.shutDownAndWait(system, timeout);
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(20));
    }
}
