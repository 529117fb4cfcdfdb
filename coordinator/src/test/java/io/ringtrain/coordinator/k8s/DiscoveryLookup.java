package io.ringtrain.coordinator.k8s;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.discovery.Discovery;
import org.apache.pekko.discovery.ServiceDiscovery;

/**
 * Run in its own JVM, with a pod's environment: asks Pekko's Kubernetes API discovery, configured as
 * ringtrain configures it, for the bootstrap contact points, and prints one {@code TARGET host port ip}
 * line per pod found. (Its own JVM because the discovery finds the API server through environment variables.)
 */
public final class DiscoveryLookup {

    private DiscoveryLookup() {
    }

    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        Config config = ConfigFactory.load();
        String service = config.getString("pekko.management.cluster.bootstrap.contact-point-discovery.service-name");
        ActorSystem system = ActorSystem.create("ringtrain", config);
        try {
            ServiceDiscovery discovery = Discovery.get(system).loadServiceDiscovery("kubernetes-api");
            System.out.println("actor system started after " + (System.nanoTime() - start) / 1_000_000 + " ms");
            ServiceDiscovery.Resolved resolved = discovery.lookup(service, Duration.ofSeconds(20)).toCompletableFuture().get(30, TimeUnit.SECONDS);
            System.out.println("looked up after " + (System.nanoTime() - start) / 1_000_000 + " ms");
            for (ServiceDiscovery.ResolvedTarget target : resolved.getAddresses()) {
                System.out.println("TARGET " + target.host() + " " + target.getPort().map(String::valueOf).orElse("-") + " "
                        + target.getAddress().map(a -> a.getHostAddress()).orElse("-"));
            }
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
        }
    }
}
