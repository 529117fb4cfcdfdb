package io.ringtrain.coordinator.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pekko's own Kubernetes API discovery, configured exactly as a ringtrain pod of the CPU overlay
 * configures it (reference.conf, the pod's environment and JAVA_TOOL_OPTIONS), asks fabric8's mock API
 * server (HTTPS, CRUD) for contact points after the overlay and its pods were applied there: it must
 * find the coordinator and every worker of the run, by pod IP, and nothing else.
 */
@Timeout(120)
class KubernetesDiscoveryTest {

    @TempDir
    Path dir;

    private KubernetesMockServer server;
    private KubernetesClient client;

    /** Pekko's HTTP client insists on a Content-Type, which the mock server leaves out. */
    static final class JsonCrudDispatcher extends KubernetesCrudDispatcher {
        @Override
        public MockResponse handleGet(String path) {
            return super.handleGet(path).setHeader("Content-Type", "application/json");
        }
    }

    @BeforeEach
    void startServer() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new JsonCrudDispatcher(), true);
        server.init(InetAddress.getLoopbackAddress(), 0);
        client = server.createClient();
    }

    @AfterEach
    void stopServer() {
        client.close();
        server.destroy();
    }

    @Test
    void pekkoDiscoveryInAPodFindsTheCoordinatorAndEveryWorkerByPodIp() throws Exception {
        RenderedRun run = RenderedRun.of("overlays/cpu");
        client.resourceList(run.objects()).create();
        Map<String, String> podIps = new HashMap<>();
        int ip = 20;
        for (StatefulSet set : client.apps().statefulSets().inNamespace(run.namespace()).list().getItems()) {
            for (int ordinal = 0; ordinal < set.getSpec().getReplicas(); ordinal++) {
                Pod pod = new StatefulSetPod(run, set, ordinal, "10.244.9." + ip++).pod();
                client.pods().inNamespace(run.namespace()).resource(pod).create();
                podIps.put(pod.getMetadata().getName(), pod.getStatus().getPodIP());
            }
        }
        client.pods().inNamespace(run.namespace()).resource(new PodBuilder().withNewMetadata().withName("unrelated")
                .withLabels(Map.of("app", "other")).endMetadata().withNewStatus().withPhase("Running").withPodIP("10.244.9.99")
                .endStatus().build()).create();

        List<String> targets = lookUpFrom(new StatefulSetPod(run, run.workers(), 2, podIps.get("mlp-demo-worker-2")));

        // use-raw-ip (the manifests' JAVA_TOOL_OPTIONS): contact points are pod IPs, not <ip>.<ns>.pod.cluster.local names.
        List<String> expected = new ArrayList<>();
        podIps.values().forEach(address -> expected.add(address + " - " + address));
        assertEquals(new TreeSet<>(expected), new TreeSet<>(targets), "contact points found by discovery");
    }

    /** Runs DiscoveryLookup in a JVM with the pod's environment and JVM options, pointed at the mock server. */
    private List<String> lookUpFrom(StatefulSetPod pod) throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "test-token");
        Path namespace = Files.writeString(dir.resolve("namespace"), pod.namespace());
        Path ca = Path.of(server.getSelfSignedCertificate().certificatePath());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java,
                "-Dpekko.discovery.kubernetes-api.api-ca-path=" + ca,
                "-Dpekko.discovery.kubernetes-api.api-token-path=" + token,
                "-Dpekko.discovery.kubernetes-api.pod-namespace-path=" + namespace,
                "-cp", System.getProperty("java.class.path"), DiscoveryLookup.class.getName());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("lookup.log").toFile());
        builder.environment().clear();
        builder.environment().putAll(pod.environment());
        builder.environment().put("KUBERNETES_SERVICE_HOST", server.getHostName());
        builder.environment().put("KUBERNETES_SERVICE_PORT", Integer.toString(server.getPort()));
        Process process = builder.start();
        boolean exited = process.waitFor(90, TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String log = Files.readString(dir.resolve("lookup.log"), StandardCharsets.UTF_8);
        System.out.println("discovery lookup (" + pod.name() + "):\n" + log);
        assertTrue(exited && process.exitValue() == 0, "the discovery lookup failed:\n" + log);
        return log.lines().filter(l -> l.startsWith("TARGET ")).map(l -> l.substring("TARGET ".length())).toList();
    }
}
