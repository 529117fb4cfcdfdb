package io.ringtrain.coordinator.kube;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.ringtrain.coordinator.cli.RingtrainCli;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One pod of a StatefulSet, as the StatefulSet controller names it and the kubelet starts it, emulated: its Pod object
 * (labels, owner, the template's spec, status with its own IP), and its one container as a local process running the
 * container's args with ringtrain from this test's class path in place of the image, in the container's environment
 * with downward-API fields, ConfigMap and Secret references resolved (a missing required Secret keeps it from starting,
 * as the kubelet would), and the service account mount played by files and the -D settings that point at them.
 */
final class EmulatedPod {

    final String name;
    final String setName;
    final int ordinal;
    final String ip;
    final Path dir;
    private final StatefulSet set;
    private Process process;
    private int restarts;
    private Instant exitedAt;

    EmulatedPod(StatefulSet set, int ordinal, String ip, Path dir) {
        this.set = set;
        this.setName = set.getMetadata().getName();
        this.ordinal = ordinal;
        this.name = setName + "-" + ordinal;
        this.ip = ip;
        this.dir = dir;
    }

    long gracePeriodSeconds() {
        Long grace = set.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
        return grace == null ? 30 : grace;
    }

    Container container() {
        return set.getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    /** The Pod object as the API server reports it once the kubelet runs it. */
    Pod object(String namespace) {
        Map<String, String> labels = new LinkedHashMap<>(set.getSpec().getTemplate().getMetadata().getLabels());
        labels.put("statefulset.kubernetes.io/pod-name", name);
        labels.put("apps.kubernetes.io/pod-index", Integer.toString(ordinal));
        return new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).withLabels(labels)
                .addNewOwnerReference().withApiVersion("apps/v1").withKind("StatefulSet").withName(setName)
                .withUid(set.getMetadata().getUid()).withController(true).endOwnerReference().endMetadata()
                .withSpec(set.getSpec().getTemplate().getSpec())
                .editSpec().withHostname(name).withSubdomain(set.getSpec().getServiceName()).withNodeName("emulated-node").endSpec()
                .withNewStatus().withPhase("Running").withPodIP(ip).withHostIP("127.0.0.1").withStartTime(Instant.now().toString())
                .addNewContainerStatus().withName(container().getName()).withImage(container().getImage()).withReady(false)
                .withRestartCount(0).withNewState().withNewRunning().withStartedAt(Instant.now().toString()).endRunning().endState()
                .endContainerStatus().endStatus().build();
    }

    /**
     * Starts the container's process.
     *
     * @throws IllegalStateException when the kubelet could not start it either (a missing Secret or ConfigMap key)
     */
    synchronized void start(KubernetesClient client, String namespace, EmulatedApiServer server) throws IOException {
        Map<String, String> env = environment(client, namespace);
        Path account = Files.createDirectories(dir.resolve("serviceaccount"));
        Path token = Files.writeString(account.resolve("token"), "emulated-token");
        Path ns = Files.writeString(account.resolve("namespace"), namespace);
        String master = "https://" + server.host() + ":" + server.port();
        // The service account mount (/var/run/secrets/kubernetes.io/serviceaccount), pointed at instead of mounted.
        env.put("JAVA_TOOL_OPTIONS", String.join(" ", env.getOrDefault("JAVA_TOOL_OPTIONS", ""),
                "-Dpekko.discovery.kubernetes-api.api-ca-path=" + server.caCertificate(),
                "-Dpekko.discovery.kubernetes-api.api-token-path=" + token,
                "-Dpekko.discovery.kubernetes-api.pod-namespace-path=" + ns,
                "-Dkubernetes.master=" + master, "-Dkubernetes.certs.ca.file=" + server.caCertificate(),
                "-Dkubernetes.auth.token=emulated-token", "-Dkubernetes.namespace=" + namespace,
                "-Dkubernetes.auth.tryKubeConfig=false", "-Dkubernetes.auth.tryServiceAccount=false").strip());
        env.put("HOSTNAME", name);
        env.put("KUBERNETES_SERVICE_HOST", server.host());
        env.put("KUBERNETES_SERVICE_PORT", Integer.toString(server.port()));
        env.put("HOME", System.getProperty("user.home"));
        env.put("PATH", System.getenv("PATH"));
        // The image's entrypoint, `java -jar /opt/ringtrain/ringtrain.jar` (whose manifest adds the export), from this
        // class path; small JVMs (serial GC, C1 only), as the build machine has two cores for all the pods.
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), RingtrainCli.class.getName()));
        for (String arg : container().getArgs()) {
            command.add(expand(arg, env));
        }
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
        builder.environment().clear();
        builder.environment().putAll(env);
        process = builder.start();
        exitedAt = null;
    }

    Path log() {
        return dir.resolve("container.log");
    }

    String logText() {
        try {
            return Files.exists(log()) ? Files.readString(log(), StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    synchronized Process process() {
        return process;
    }

    synchronized boolean running() {
        return process != null && process.isAlive();
    }

    /** The process exited and nobody noticed yet: counts the restart the kubelet is about to make. */
    synchronized boolean justExited() {
        if (process != null && !process.isAlive() && exitedAt == null) {
            exitedAt = Instant.now();
            restarts++;
            return true;
        }
        return false;
    }

    synchronized Instant exitedAt() {
        return exitedAt;
    }

    synchronized int restarts() {
        return restarts;
    }

    /** SIGTERM, as the kubelet stops a container; the caller waits (bounded) and kills. */
    synchronized void terminate() {
        if (process != null && process.isAlive()) {
            process.destroy();
        }
    }

    synchronized void kill() {
        if (process != null) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    /** The container's environment as the kubelet builds it. */
    private Map<String, String> environment(KubernetesClient client, String namespace) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar var : container().getEnv()) {
            String value;
            if (var.getValueFrom() == null) {
                value = expand(var.getValue() == null ? "" : var.getValue(), env);
            } else if (var.getValueFrom().getFieldRef() != null) {
                String path = var.getValueFrom().getFieldRef().getFieldPath();
                value = switch (path) {
                    case "metadata.name" -> name;
                    case "metadata.namespace" -> namespace;
                    case "status.podIP" -> ip;
                    case "spec.nodeName" -> "emulated-node";
                    default -> throw new IllegalStateException(name + ": fieldRef " + path + " is not emulated");
                };
            } else if (var.getValueFrom().getSecretKeyRef() != null) {
                var ref = var.getValueFrom().getSecretKeyRef();
                Secret secret = client.secrets().inNamespace(namespace).withName(ref.getName()).get();
                String encoded = secret == null || secret.getData() == null ? null : secret.getData().get(ref.getKey());
                if (encoded == null && !Boolean.TRUE.equals(ref.getOptional())) {
                    throw new IllegalStateException("CreateContainerConfigError: secret " + ref.getName() + " key " + ref.getKey() + " not found");
                }
                value = encoded == null ? null : new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
            } else if (var.getValueFrom().getConfigMapKeyRef() != null) {
                var ref = var.getValueFrom().getConfigMapKeyRef();
                ConfigMap map = client.configMaps().inNamespace(namespace).withName(ref.getName()).get();
                value = map == null || map.getData() == null ? null : map.getData().get(ref.getKey());
                if (value == null && !Boolean.TRUE.equals(ref.getOptional())) {
                    throw new IllegalStateException("CreateContainerConfigError: configmap " + ref.getName() + " key " + ref.getKey() + " not found");
                }
            } else {
                throw new IllegalStateException(name + ": this valueFrom is not emulated: " + var.getValueFrom());
            }
            if (value != null) {
                env.put(var.getName(), value);
            }
        }
        return env;
    }

    /** Kubernetes' $(VAR) expansion; an undefined variable stays as written, as the kubelet leaves it. */
    static String expand(String text, Map<String, String> env) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '$' && i + 1 < text.length() && text.charAt(i + 1) == '$') {
                out.append('$');
                i++;
            } else if (c == '$' && i + 1 < text.length() && text.charAt(i + 1) == '(' && text.indexOf(')', i) > 0
                    && env.containsKey(text.substring(i + 2, text.indexOf(')', i)))) {
                int end = text.indexOf(')', i);
                out.append(env.get(text.substring(i + 2, end)));
                i = end;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
