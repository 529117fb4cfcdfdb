package io.ringtrain.coordinator.cli;

import com.typesafe.config.Config;
import io.ringtrain.coordinator.node.ClusterContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/** How a coordinator or worker process joins the cluster. Defaults come from ringtrain.cluster.*. */
final class ClusterOptions {

    @Option(names = "--bootstrap", paramLabel = "local|kubernetes", description = "How to find the cluster. Default: ${DEFAULT-VALUE}")
    String bootstrap;

    @Option(names = "--host", description = "Address other nodes reach this one at. Default: ${DEFAULT-VALUE}")
    String host;

    @Option(names = "--port", description = "Cluster port; 0: any free port. Default: ${DEFAULT-VALUE}")
    int port;

    @Option(names = "--join", paramLabel = "HOST:PORT", split = ",", description = "Local bootstrap: the cluster address of the coordinator (the seed node) to join.")
    List<String> seeds = new ArrayList<>();

    ClusterContext toClusterContext(Config config) {
        ClusterContext.Bootstrap mode;
        try {
            mode = ClusterContext.Bootstrap.valueOf(bootstrap.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--bootstrap must be local or kubernetes, got '" + bootstrap + "'");
        }
        List<String> given = seeds.stream().filter(s -> !s.isBlank()).toList();
        for (String seed : given) {
            ClusterContext.parseHostPort(seed, "--join");
        }
        RunOptions.require(port >= 0 && port <= 65535, "--port must be 0 (any free port) to 65535, got " + port);
        Preflight.tcpPortFree(host, port, "--port");
        return ClusterContext.fromConfig(config).bootstrap(mode).host(host).port(port).seedNodes(given).conclude();
    }
}
