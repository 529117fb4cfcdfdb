package io.ringtrain.coordinator.node;

import com.typesafe.config.Config;
import java.net.BindException;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;

/** Starts one node's ActorSystem with its role and joins the cluster the way its {@link ClusterContext} says. */
final class ClusterNode {

    private ClusterNode() {
    }

    static <T> ActorSystem<T> start(Behavior<T> guardian, String role, ClusterContext cluster, Config config) {
        ActorSystem<T> system;
        try {
            system = ActorSystem.create(guardian, ClusterContext.SYSTEM_NAME, cluster.pekkoConfig(role, config));
        } catch (RuntimeException e) {
            if (causedByBind(e)) {
                throw new IllegalStateException("cannot listen on " + cluster.host() + ":" + cluster.port()
                        + " for cluster traffic: the address is in use or not local; choose another --port (0: any free port)", e);
            }
            throw e;
        }
        switch (cluster.bootstrap()) {
            case LOCAL -> joinLocally(system, cluster);
            case KUBERNETES -> startKubernetesBootstrap(system);
        }
        return system;
    }

    private static void startKubernetesBootstrap(ActorSystem<?> system) {
        try {
            PekkoManagement.get(system.classicSystem()).start();
            ClusterBootstrap.get(system.classicSystem()).start();
        } catch (Exception e) { // Scala code throws checked exceptions undeclared (a missing service account file)
            system.terminate();
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException("Kubernetes bootstrap could not start (" + cause + "): it needs the pod's service"
                    + " account and the Kubernetes API; run inside a pod with the ringtrain Role, or use --bootstrap local", e);
        }
    }

    private static void joinLocally(ActorSystem<?> system, ClusterContext cluster) {
        Cluster c = Cluster.get(system);
        if (cluster.seedNodes().isEmpty()) {
            // Joining itself rather than configuring itself as a seed works with port 0.
            c.manager().tell(Join.create(c.selfMember().address()));
        } else {
            java.util.List<Address> seeds = cluster.seedAddresses().stream().map(AddressFromURIString::parse).toList();
            c.manager().tell(new JoinSeedNodes(seeds));
        }
    }

    /**
     * Leaves the cluster gracefully, then terminates the system. Stopping the guardian instead
     * tears the node down before the leader has seen it leave, and the others then wait for the
     * split brain resolver to down it.
     */
    static void shutDown(ActorSystem<?> system) {
        CoordinatedShutdown.get(system).runAll(RunOver.INSTANCE);
    }

    private enum RunOver implements CoordinatedShutdown.Reason { INSTANCE }

    /**
     * Stops a node whose peers are all gone: it downs itself, which skips the graceful leave (that
     * would wait for peers that no longer answer), and waits for it at most {@code timeout}.
     */
    static void abandon(ActorSystem<?> system, java.time.Duration timeout) {
        Cluster cluster = Cluster.get(system);
        cluster.manager().tell(new org.apache.pekko.cluster.typed.Down(cluster.selfMember().address()));
        try {
            system.getWhenTerminated().toCompletableFuture().get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (Exception notYet) {
            shutDown(system);
        }
    }

    /**
     * Runs {@code downed} as soon as the cluster downs this node (the split brain resolver fenced it: cut off from the
     * majority, or stalled too long), at the start of the shutdown that follows, not at its end. Behind a silent
     * partition (packets dropped, no link down) terminating the system waits on connections to peers that never
     * answer: it took longer than the shutdown's own phase timeouts, and a process waiting for its termination never
     * exited.
     */
    static void onDowned(ActorSystem<?> system, Runnable downed) {
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "ringtrain-downed", () -> {
            if (downed(system)) {
                downed.run();
            }
            return java.util.concurrent.CompletableFuture.completedFuture(org.apache.pekko.Done.getInstance());
        });
    }

    /** Whether the node is shutting down because the cluster downed it. */
    static boolean downed(ActorSystem<?> system) {
        return CoordinatedShutdown.get(system).getShutdownReason().map(r -> r == CoordinatedShutdown.clusterDowningReason()).orElse(false);
    }

    private static final java.time.Duration DOWNED_GRACE = java.time.Duration.ofSeconds(2);

    /** Completes once this node is an Up member of the cluster. */
    static java.util.concurrent.CompletionStage<Void> up(ActorSystem<?> system) {
        java.util.concurrent.CompletableFuture<Void> up = new java.util.concurrent.CompletableFuture<>();
        org.apache.pekko.cluster.Cluster.get(system.classicSystem()).registerOnMemberUp(() -> up.complete(null));
        return up;
    }

    /** "host:port" this node actually listens on (port 0 resolved). */
    static String hostPort(ActorSystem<?> system) {
        Address self = Cluster.get(system).selfMember().address();
        return self.getHost().orElse("?") + ":" + self.getPort().orElse(0);
    }

    private static boolean causedByBind(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
                return true;
            }
        }
        return false;
    }

    /** Leaves the cluster and stops the system, waiting at most {@code timeout}: the caller exits regardless. */
    static void shutDownAndWait(ActorSystem<?> system, java.time.Duration timeout) {
        // A downed node is out of the cluster already; the rest of its shutdown may wait on peers behind the partition
        // that fenced it, and its process is better started again at once.
        java.time.Duration bound = downed(system) && timeout.compareTo(DOWNED_GRACE) > 0 ? DOWNED_GRACE : timeout;
        shutDown(system);
        try {
            system.getWhenTerminated().toCompletableFuture().get(bound.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // Bounded on purpose.
        }
    }
}
