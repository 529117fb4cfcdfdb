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
    /** The cluster singleton's name: every node that talks to the coordinator finds it by this. */
    public static final String SINGLETON_NAME = "coordinator";

    private final ActorSystem<RunEvent> system;
    private final CompletableFuture<RunEvent> outcome;
    /** The proxy to the coordinator wherever it runs (here, or on a standby that took over). */
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
        ClusterNode.onDowned(system, () -> outcome.complete(new RunEvent.RunFailed(
                "the coordinator's node was downed after losing the cluster (cut off from the majority, or stalled too long)")));
        system.getWhenTerminated().thenRun(() -> outcome.complete(new RunEvent.RunFailed(
                "the coordinator's node shut down before the run ended (stopped, or downed after losing the cluster)")));
        return new CoordinatorNode(system, outcome, proxy);
    }

    private static Behavior<RunEvent> guardian(CoordinatorContext settings, RunSettings run, CheckpointCommits commits,
                                               Consumer<RunEvent> listener, CompletableFuture<RunEvent> outcome,
                                               CompletableFuture<ActorRef<Coordinator.Command>> proxy) {
        return Behaviors.setup(context -> {
            proxy.complete(ClusterSingleton.get(context.getSystem()).init(
                    SingletonActor.of(Coordinator.create(settings, run, commits, context.getSelf()), SINGLETON_NAME)
                            .withSettings(ClusterSingletonSettings.create(context.getSystem()).withRole(ROLE)
                                    .withRemovalMargin(settings.handoverMargin()))));
            return Behaviors.receive(RunEvent.class)
                    .onMessage(RunEvent.class, event -> {
                        listener.accept(event);
                        if (event instanceof RunEvent.RunFinished || event instanceof RunEvent.RunFailed || event instanceof RunEvent.AlreadyFinished) {
                            outcome.complete(event);
                            ClusterNode.shutDown(context.getSystem());
                        }
                        return Behaviors.same();
                    })
                    .build();
        });
    }

    /** The run's last event: {@link RunEvent.RunFinished}, {@link RunEvent.AlreadyFinished} or {@link RunEvent.RunFailed}. */
    public CompletionStage<RunEvent> outcome() {
        return outcome;
    }

    /**
     * A worker's process is gone, as something outside the cluster saw it (the pod watch): tells the coordinator,
     * here or on the node it moved to. Safe from any thread.
     */
    public void workerExited(String workerId, String how) {
        coordinator.thenAccept(ref -> ref.tell(Coordinator.workerExited(workerId, how)));
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
