package io.ringtrain.coordinator.node;

import com.typesafe.config.Config;
import io.ringtrain.coordinator.Coordinator;
import java.time.Duration;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import io.ringtrain.protocol.control.ToCoordinator;
import io.ringtrain.protocol.control.WorkerExited;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.remote.RemoteActorRefProvider;
import scala.Option;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;

/**
 * The cluster node of a launcher that supervises a run's processes on one machine (`ringtrain local`): role
 * {@code launcher}, so it never hosts the coordinator. It is the seed the coordinator and worker processes join, and
 * it passes on what only a supervisor sees first: a worker's process exited (to the coordinator, wherever it runs),
 * a coordinator's process exited (its node is downed at once, so a standby or restarted coordinator takes over
 * without waiting for the failure detector).
 */
public final class LauncherNode implements AutoCloseable {

    public static final String ROLE = "launcher";

    private final ActorSystem<Receptionist.Listing> system;
    /** Where the coordinator is now, from the Receptionist: it moves when a standby or a restarted one takes over. */
    private final AtomicReference<Optional<ActorRef<ToCoordinator>>> coordinator;

    private LauncherNode(ActorSystem<Receptionist.Listing> system, AtomicReference<Optional<ActorRef<ToCoordinator>>> coordinator) {
        this.system = system;
        this.coordinator = coordinator;
    }

    public static LauncherNode start(Config config, ClusterContext cluster) {
        AtomicReference<Optional<ActorRef<ToCoordinator>>> coordinator = new AtomicReference<>(Optional.empty());
        Behavior<Receptionist.Listing> follower = Behaviors.setup(context -> {
            context.getSystem().receptionist().tell(Receptionist.subscribe(Coordinator.SERVICE_KEY, context.getSelf()));
            return Behaviors.receive(Receptionist.Listing.class)
                    .onMessage(Receptionist.Listing.class, listing -> {
                        coordinator.set(listing.getServiceInstances(Coordinator.SERVICE_KEY).stream().findFirst());
                        return Behaviors.same();
                    })
                    .build();
        });
        return new LauncherNode(ClusterNode.start(follower, ROLE, cluster, config), coordinator);
    }

    /** "host:port" the run's other processes join. */
    public String clusterAddress() {
        return ClusterNode.hostPort(system);
    }

    /**
     * A worker's process exited: the coordinator hears it from here before any timeout could tell it. Dropped while
     * no coordinator is registered (one that takes over learns it from the workers that come back).
     */
    public void workerExited(String workerId, String how) {
        coordinator.get().ifPresent(c -> c.tell(ToCoordinator.newBuilder().setWorkerExited(
                WorkerExited.newBuilder().setWorkerId(workerId).setHow(how)).build()));
    }

    /**
     * A process whose node listens at {@code hostPort} is gone: down its node now, and quarantine it. A downed node
     * is removed from the cluster (and a coordinator singleton moves) only once it is also unreachable, which the
     * failure detector would say only after its acceptable heartbeat pause (4 s); quarantining makes this node
     * observe it as terminated at once. Safe only because the supervisor saw the process exit: it will never answer
     * again.
     */
    public void nodeGone(String hostPort) {
        Address address = AddressFromURIString.parse("pekko://" + ClusterContext.SYSTEM_NAME + "@" + hostPort);
        Cluster.get(system).manager().tell(new Down(address));
        for (Member m : Cluster.get(system).state().getMembers()) {
            if (m.address().equals(address)
                    && ((ExtendedActorSystem) system.classicSystem()).provider() instanceof RemoteActorRefProvider remote) {
                remote.quarantine(address, Option.apply((Object) m.uniqueAddress().longUid()), "its process exited");
            }
        }
    }

    /** Waits (bounded) until the node at {@code hostPort} is an Up member, as this node sees the cluster. */
    public void awaitUp(String hostPort, Duration timeout) throws InterruptedException {
        Address address = AddressFromURIString.parse("pekko://" + ClusterContext.SYSTEM_NAME + "@" + hostPort);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (Member m : Cluster.get(system).state().getMembers()) {
                if (m.address().equals(address) && m.status() == org.apache.pekko.cluster.MemberStatus.up()) {
                    return;
                }
            }
            Thread.sleep(50); // polls the local view of the membership: no message to wait on from outside the system
        }
        throw new IllegalStateException("the node at " + hostPort + " did not join the cluster within " + timeout.toSeconds() + " s");
    }

    /** Stops the node at once (everything it supervised is gone) and waits at most {@code timeout}. */
    public void close(Duration timeout) {
        ClusterNode.abandon(system, timeout);
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }
}
