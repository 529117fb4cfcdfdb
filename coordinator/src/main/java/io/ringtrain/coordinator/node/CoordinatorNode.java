package io.ringtrain.coordinator.node;

import com.typesafe.config.Config;
import io.ringtrain.coordinator.CheckpointCommits;
import io.ringtrain.coordinator.Coordinator;
import io.ringtrain.coordinator.CoordinatorContext;
import io.ringtrain.coordinator.RunEvent;
import io.ringtrain.worker.RunSettings;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * The coordinator process's cluster node: an ActorSystem with role {@code coordinator} hosting
 * the {@link Coordinator} as a cluster singleton. Run events go to a listener; the node shuts
 * itself down after the run's last event, which {@link #outcome()} also carries.
 */
public final class CoordinatorNode implements AutoCloseable {

    public static final String ROLE = "coordinator";

    private final ActorSystem<RunEvent> system;
    private final CompletableFuture<RunEvent> outcome;
    private final CompletableFuture<ActorRef<Coordinator.Command>> coordinator;

    private CoordinatorNode(ActorSystem<RunEvent> system, CompletableFuture<RunEvent> outcome,
                            CompletableFuture<ActorRef<Coordinator.Command>> coordinator) {
        this.system = system;
        this.outcome = outcome;
        this.coordinator = coordinator;
    }

    /**
     * @param listener called with every {@link RunEvent} on an actor thread: it must not block
     */
    public static CoordinatorNode start(Config config, ClusterContext cluster, CoordinatorContext coordinator, RunSettings run,
                                        CheckpointCommits commits, Consumer<RunEvent> listener) {
        CompletableFuture<RunEvent> outcome = new CompletableFuture<>();
        CompletableFuture<ActorRef<Coordinator.Command>> proxy = new CompletableFuture<>();
        ActorSystem<RunEvent> system = ClusterNode.start(guardian(coordinator, run, commits, listener, outcome, proxy), ROLE, cluster, config);
        system.getWhenTerminated().thenRun(() -> outcome.complete(new RunEvent.RunFailed(
                "the coordinator's node shut down before the run ended (stopped, or downed after losing the cluster)")));
        return new CoordinatorNode(system, outcome, proxy);
    }

    private static Behavior<RunEvent> guardian(CoordinatorContext settings, RunSettings run, CheckpointCommits commits,
                                               Consumer<RunEvent> listener, CompletableFuture<RunEvent> outcome,
                                               CompletableFuture<ActorRef<Coordinator.Command>> proxy) {
        return Behaviors.setup(context -> {
            proxy.complete(ClusterSingleton.get(context.getSystem()).init(
                    SingletonActor.of(Coordinator.create(settings, run, commits, context.getSelf()), "coordinator")
                            .withSettings(ClusterSingletonSettings.create(context.getSystem()).withRole(ROLE))));
            return Behaviors.receive(RunEvent.class)
                    .onMessage(RunEvent.class, event -> {
                        listener.accept(event);
                        if (event instanceof RunEvent.RunFinished || event instanceof RunEvent.RunFailed) {
                            outcome.complete(event);
                            ClusterNode.shutDown(context.getSystem());
                        }
                        return Behaviors.same();
                    })
                    .build();
        });
    }

    /**
     * Tells the coordinator that a worker's process is gone (a launcher saw it exit): the fastest of the signals it
     * acts on, ahead of the data plane's peer timeout and Pekko's failure detector.
     */
    public void workerExited(String workerId, String how) {
        coordinator.thenAccept(c -> c.tell(new Coordinator.WorkerExited(workerId, how)));
    }

    /** The run's last event: {@link RunEvent.RunFinished} or {@link RunEvent.RunFailed}. */
    public CompletionStage<RunEvent> outcome() {
        return outcome;
    }

    /** "host:port" workers use as their seed node. */
    public String clusterAddress() {
        return ClusterNode.hostPort(system);
    }

    /** Completes once this node is an Up member of the cluster (a standby can then take over). */
    public CompletionStage<Void> up() {
        return ClusterNode.up(system);
    }

    public CompletionStage<Void> terminated() {
        return system.getWhenTerminated().thenApply(done -> null);
    }

    /** Stops the node and waits for it, at most {@code timeout}. */
    public void close(Duration timeout) {
        ClusterNode.shutDownAndWait(system, timeout);
    }

    /** Stops the node at once, without a graceful leave: for when every worker is already gone. */
    public void abandon(Duration timeout) {
        ClusterNode.abandon(system, timeout);
        close(timeout);
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(20));
    }
}
