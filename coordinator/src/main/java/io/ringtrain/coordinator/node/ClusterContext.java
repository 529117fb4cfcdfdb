package io.ringtrain.coordinator.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How a node joins the cluster: its own address, and local seed nodes or Kubernetes bootstrap.
 * Fluent setters, same-name getters; {@link #conclude()} validates. {@link #pekkoConfig} derives
 * the pekko.* settings, so users only ever set ringtrain.cluster.*.
 */
public final class ClusterContext {

    /** The one ActorSystem name every ringtrain node uses; nodes with different names cannot join. */
    public static final String SYSTEM_NAME = "ringtrain";

    public enum Bootstrap { LOCAL, KUBERNETES }

    private Bootstrap bootstrap = Bootstrap.LOCAL;
    private String host = "127.0.0.1";
    private int port;
    private List<String> seedNodes = List.of();
    private boolean concluded;

    /** Reads {@code ringtrain.cluster} (see reference.conf). */
    public static ClusterContext fromConfig(Config config) {
        Config c = config.getConfig("ringtrain.cluster");
        String mode = c.getString("bootstrap").trim().toUpperCase(Locale.ROOT);
        Bootstrap bootstrap;
        try {
            bootstrap = Bootstrap.valueOf(mode);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("ringtrain.cluster.bootstrap must be local or kubernetes, got '" + c.getString("bootstrap") + "'");
        }
        return new ClusterContext().bootstrap(bootstrap).host(c.getString("host")).port(c.getInt("port"))
                .seedNodes(c.getStringList("seed-nodes"));
    }

    public ClusterContext conclude() {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("ringtrain.cluster.host must be set (the address other nodes reach this one at)");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("ringtrain.cluster.port must be 0 (any free port) to 65535, got " + port);
        }
        for (String seed : seedNodes) {
            parseHostPort(seed, "seed node");
        }
        concluded = true;
        return this;
    }

    /** Parses "host:port", failing with a message that names what it was for. */
    public static Map.Entry<String, Integer> parseHostPort(String hostPort, String what) {
        int colon = hostPort == null ? -1 : hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException(what + " '" + hostPort + "' must be host:port, e.g. 127.0.0.1:25520");
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " '" + hostPort + "' has a port that is not a number");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(what + " '" + hostPort + "' has port " + port + "; use 1-65535");
        }
        return Map.entry(hostPort.substring(0, colon), port);
    }

    /** The pekko.* settings for a node with {@code role}, on top of {@code base}. */
    Config pekkoConfig(String role, Config base) {
        if (!concluded) {
            throw new IllegalStateException("conclude() the ClusterContext first");
        }
        List<String> roles = new ArrayList<>(List.of(role));
        Map<String, Object> settings = new java.util.HashMap<>(Map.of(
                "pekko.actor.provider", "cluster",
                "pekko.remote.artery.canonical.hostname", host,
                "pekko.remote.artery.canonical.port", port,
                "pekko.cluster.roles", roles,
                // Workers reach the coordinator through the Receptionist, which spreads registrations by
                // gossip every 2 s by default; a cluster of a few nodes affords 0.5 s, a faster rendezvous.
                "pekko.cluster.typed.receptionist.distributed-data.gossip-interval", "500ms"));
        if (bootstrap == Bootstrap.KUBERNETES) {
            settings.put("pekko.management.http.hostname", host);
        }
        return ConfigFactory.parseMap(settings).withFallback(base);
    }

    /** Seed node addresses in Pekko's form. */
    List<String> seedAddresses() {
        return seedNodes.stream().map(s -> "pekko://" + SYSTEM_NAME + "@" + s).toList();
    }

    public ClusterContext bootstrap(Bootstrap bootstrap) {
        this.bootstrap = bootstrap;
        return this;
    }

    public Bootstrap bootstrap() {
        return bootstrap;
    }

    /** Address other nodes reach this one at. */
    public ClusterContext host(String host) {
        this.host = host;
        return this;
    }

    public String host() {
        return host;
    }

    /** Remoting port; 0 picks any free port (fine for every node but a seed others must find). */
    public ClusterContext port(int port) {
        this.port = port;
        return this;
    }

    public int port() {
        return port;
    }

    /** "host:port" of the nodes to join with local bootstrap; empty on the first node, which joins itself. */
    public ClusterContext seedNodes(List<String> seedNodes) {
        this.seedNodes = List.copyOf(seedNodes);
        return this;
    }

    public List<String> seedNodes() {
        return seedNodes;
    }
}
