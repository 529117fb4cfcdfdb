package io.ringtrain.coordinator.k8s;

import com.typesafe.config.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.ringtrain.coordinator.node.ClusterContext;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * Whether, and which, worker pods a coordinator watches ({@code ringtrain.coordinator.pod-watch}): on Kubernetes
 * (bootstrap {@code kubernetes}) by default, the pods of its own run only (the run's pod label selector, which
 * Cluster Bootstrap uses too, plus the worker component label), in its own namespace.
 */
public final class WorkerPods implements AutoCloseable {
    static final String WORKER_COMPONENT = "app.kubernetes.io/component";

    private final KubernetesClient client;
    private final PodWatch watch;

    private WorkerPods(KubernetesClient client, PodWatch watch) {
        this.client = client;
        this.watch = watch;
    }

    /**
     * What to watch, when the settings say to watch: read and checked before anything starts.
     *
     * @throws IllegalArgumentException when the settings are wrong; the message names the key
     */
    public static Optional<Plan> plan(Config config, ClusterContext cluster) {
        Config c = config.getConfig("ringtrain.coordinator.pod-watch");
        String mode = c.getString("enabled").trim().toLowerCase(Locale.ROOT);
        boolean on = switch (mode) {
            case "on" -> true;
            case "off" -> false;
            case "auto" -> cluster.bootstrap() == ClusterContext.Bootstrap.KUBERNETES;
            default -> throw new IllegalArgumentException("ringtrain.coordinator.pod-watch.enabled must be auto, on or off, got '"
                    + c.getString("enabled") + "'");
        };
        return on ? Optional.of(new Plan(labels(config), c.getString("container"), c.getString("namespace").trim())) : Optional.empty();
    }

    /**
     * @param namespace empty: the pod's own (or the kubeconfig context's)
     */
    public record Plan(Map<String, String> labels, String container, String namespace) {
        /**
         * Connects (in a pod, with its service account) and starts the watch; does not wait for the API server.
         *
         * @throws IllegalArgumentException when there is no namespace to watch
         */
        public WorkerPods start(BiConsumer<String, String> exited) {
            KubernetesClient client = new KubernetesClientBuilder().build();
            String ns = namespace.isEmpty() ? client.getNamespace() : namespace;
            if (ns == null) {
                client.close();
                throw new IllegalArgumentException("ringtrain.coordinator.pod-watch: no namespace to watch (not in a pod, and no"
                        + " kubeconfig context names one): set ringtrain.coordinator.pod-watch.namespace, or enabled = off");
            }
            return new WorkerPods(client, PodWatch.start(client, ns, labels, container, exited));
        }
    }

    /** The run's worker pods: its pod label selector ("k=v,k2=v2", with %s the service name) plus the worker component. */
    static Map<String, String> labels(Config config) {
        Config k = config.getConfig("ringtrain.cluster.kubernetes");
        String selector = String.format(Locale.ROOT, k.getString("pod-label-selector"), k.getString("service-name"));
        Map<String, String> labels = new LinkedHashMap<>();
        for (String term : selector.split(",")) {
            String[] kv = term.trim().split("=", -1);
            if (kv.length != 2 || kv[0].isBlank() || kv[1].isBlank() || kv[0].endsWith("!")) {
                throw new IllegalArgumentException("ringtrain.cluster.kubernetes.pod-label-selector = \"" + selector + "\": the pod"
                        + " watch takes equality terms only (key=value, comma-separated); '" + term.trim() + "' is not one");
            }
            labels.put(kv[0].trim(), kv[1].trim());
        }
        labels.put(WORKER_COMPONENT, "worker");
        return labels;
    }

    @Override
    public void close() {
        watch.close();
        client.close();
    }
}
