package io.ringtrain.coordinator.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The CPU overlay applied to fabric8's Kubernetes mock API server (CRUD mode: it stores what it is sent,
 * runs no controllers), read back, and queried the way Pekko's Kubernetes API discovery queries it once
 * the StatefulSet controller's pods exist (this test creates those pods as the controller would).
 */
@Timeout(60)
@EnableKubernetesMockClient(crud = true)
class MockApiServerTest {

    KubernetesClient client;

    private RenderedRun applyCpuOverlay() {
        RenderedRun run = RenderedRun.of("overlays/cpu");
        List<HasMetadata> created = client.resourceList(run.objects()).create();
        assertEquals(run.objects().size(), created.size());
        return run;
    }

    /** The pods the StatefulSet controller would create for the StatefulSets stored on the server. */
    private List<Pod> startPods(RenderedRun run) {
        List<Pod> pods = new ArrayList<>();
        int ip = 10;
        for (StatefulSet stored : client.apps().statefulSets().inNamespace(run.namespace()).list().getItems()) {
            for (int ordinal = 0; ordinal < stored.getSpec().getReplicas(); ordinal++) {
                Pod pod = new StatefulSetPod(run, stored, ordinal, "10.244.7." + ip++).pod();
                pods.add(client.pods().inNamespace(run.namespace()).resource(pod).create());
            }
        }
        return pods;
    }

    @Test
    void theOverlaysObjectsAreStoredInItsNamespaceAndReadBackUnchanged() {
        RenderedRun run = applyCpuOverlay();
        String ns = run.namespace();
        StatefulSet workers = client.apps().statefulSets().inNamespace(ns).withName(RenderedRun.WORKER).get();
        assertNotNull(workers, "worker StatefulSet not stored in namespace " + ns);
        assertEquals(run.workers().getSpec(), workers.getSpec());
        assertEquals(4, workers.getSpec().getReplicas());
        assertEquals("Parallel", workers.getSpec().getPodManagementPolicy());
        assertEquals(1, client.apps().statefulSets().inNamespace(ns).withName(RenderedRun.COORDINATOR).get().getSpec().getReplicas());

        Role role = client.rbac().roles().inNamespace(ns).withName("mlp-demo").get();
        assertEquals(List.of("get", "watch", "list"), role.getRules().get(0).getVerbs());
        RoleBinding binding = client.rbac().roleBindings().inNamespace(ns).withName("mlp-demo").get();
        assertEquals(ns, binding.getSubjects().get(0).getNamespace());
        assertNotNull(client.serviceAccounts().inNamespace(ns).withName(binding.getSubjects().get(0).getName()).get());

        ConfigMap runSpec = client.configMaps().inNamespace(ns).withName("mlp-demo").get();
        assertTrue(runSpec.getData().get(RunNames.SPEC_KEY).contains("steps: 300"), "the run's spec travels with it");
        assertEquals("None", client.services().inNamespace(ns).withName(RenderedRun.WORKER).get().getSpec().getClusterIP());
    }

    /** What Cluster Bootstrap's contact-point discovery gets back: the coordinator and every worker, running, with pod IPs. */
    @Test
    void theDiscoveryQueryFindsTheCoordinatorAndEveryWorkerButNothingElse() {
        RenderedRun run = applyCpuOverlay();
        List<Pod> pods = startPods(run);
        // Neighbours the selector must leave out: another app in the namespace, a ringtrain pod in another namespace.
        client.pods().inNamespace(run.namespace()).resource(new PodBuilder().withNewMetadata().withName("metrics-agent")
                .withLabels(Map.of("app.kubernetes.io/part-of", "monitoring")).endMetadata().build()).create();
        // Another ringtrain run in the same namespace: same app, another instance.
        client.pods().inNamespace(run.namespace()).resource(new PodBuilder(pods.get(1)).editMetadata().withName("other-run-worker-0")
                .addToLabels("app.kubernetes.io/instance", "other-run").endMetadata().build()).create();
        client.pods().inNamespace("other-team").resource(new PodBuilder(pods.get(0)).editMetadata().withNamespace("other-team").endMetadata().build()).create();

        StatefulSetPod anyPod = new StatefulSetPod(run, run.coordinator(), 0, "10.244.7.1");
        var config = anyPod.config();
        String selector = String.format(config.getString("pekko.discovery.kubernetes-api.pod-label-selector"),
                config.getString("pekko.management.cluster.bootstrap.contact-point-discovery.service-name"));
        List<Pod> found = client.pods().inNamespace(run.namespace()).withLabelSelector(selector).list().getItems();

        assertEquals(new TreeSet<>(List.of("mlp-demo-coordinator-0", "mlp-demo-worker-0", "mlp-demo-worker-1", "mlp-demo-worker-2",
                "mlp-demo-worker-3")), new TreeSet<>(found.stream().map(p -> p.getMetadata().getName()).toList()), "pods for " + selector);
        for (Pod pod : found) {
            assertEquals("Running", pod.getStatus().getPhase());
            assertNotNull(pod.getStatus().getPodIP(), "discovery needs each pod's IP");
        }
    }

    @Test
    void eachHeadlessServiceSelectsExactlyItsStatefulSetsPods() {
        RenderedRun run = applyCpuOverlay();
        startPods(run);
        for (Service service : client.services().inNamespace(run.namespace()).list().getItems()) {
            List<String> selected = client.pods().inNamespace(run.namespace()).withLabels(service.getSpec().getSelector()).list().getItems()
                    .stream().map(p -> p.getMetadata().getName()).sorted().toList();
            StatefulSet set = client.apps().statefulSets().inNamespace(run.namespace()).withName(service.getMetadata().getName()).get();
            assertEquals(service.getMetadata().getName(), set.getSpec().getServiceName());
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < set.getSpec().getReplicas(); i++) {
                expected.add(set.getMetadata().getName() + "-" + i);
            }
            assertEquals(expected, selected, "pods behind Service " + service.getMetadata().getName());
            assertTrue(selected.stream().allMatch(n -> n.startsWith(service.getMetadata().getName())));
        }
    }
}
