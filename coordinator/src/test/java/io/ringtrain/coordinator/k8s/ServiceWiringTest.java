package io.ringtrain.coordinator.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.WeightedPodAffinityTerm;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** Selectors find the pods they mean, Services reach the ports containers declare, probes reach Pekko Management. */
@Timeout(30)
class ServiceWiringTest {

    static final List<String> VARIANTS = RenderedRun.VARIANTS;

    static Map<String, String> podLabels(StatefulSet set) {
        return set.getSpec().getTemplate().getMetadata().getLabels();
    }

    static boolean selects(Map<String, String> selector, Map<String, String> labels) {
        return !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
    }

    @ParameterizedTest
    @FieldSource("VARIANTS")
    void eachStatefulSetSelectsItsOwnPodsAndNoOthers(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        List<StatefulSet> sets = run.all(StatefulSet.class);
        assertEquals(2, sets.size(), "a coordinator and a worker StatefulSet");
        for (StatefulSet set : sets) {
            assertTrue(set.getSpec().getSelector().getMatchExpressions().isEmpty(),
                    "equality selectors only (fabric8's CRUD mock server ignores set-based ones)");
            Map<String, String> selector = set.getSpec().getSelector().getMatchLabels();
            for (StatefulSet other : sets) {
                assertEquals(other == set, selects(selector, podLabels(other)), set.getMetadata().getName() + "'s selector " + selector
                        + (other == set ? " does not match its own pod labels " : " also matches the pods of ") + other.getMetadata().getName());
            }
        }
    }

    @ParameterizedTest
    @FieldSource("VARIANTS")
    void eachStatefulSetHasAHeadlessServiceSelectingExactlyItsPods(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        for (StatefulSet set : run.all(StatefulSet.class)) {
            Service service = run.service(set.getSpec().getServiceName());
            assertEquals("None", service.getSpec().getClusterIP(), service.getMetadata().getName() + " must be headless (clusterIP: None)");
            assertTrue(Boolean.TRUE.equals(service.getSpec().getPublishNotReadyAddresses()),
                    "pods join the cluster before they are ready; their DNS names must exist before that");
            for (StatefulSet other : run.all(StatefulSet.class)) {
                assertEquals(other == set, selects(service.getSpec().getSelector(), podLabels(other)),
                        "Service " + service.getMetadata().getName() + " selector " + service.getSpec().getSelector() + " vs pods of "
                                + other.getMetadata().getName());
            }
        }
    }

    @ParameterizedTest
    @FieldSource("VARIANTS")
    void servicePortsReachTheContainerPortsWithTheSameProtocol(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        for (StatefulSet set : run.all(StatefulSet.class)) {
            Container container = RenderedRun.container(set);
            Service service = run.service(set.getSpec().getServiceName());
            for (ServicePort servicePort : service.getSpec().getPorts()) {
                ContainerPort target = containerPort(container, servicePort.getTargetPort() != null ? servicePort.getTargetPort()
                        : new IntOrString(servicePort.getPort()));
                assertEquals(servicePort.getProtocol(), target.getProtocol(), servicePort.getName() + " protocol");
                assertEquals(servicePort.getPort(), target.getContainerPort(), servicePort.getName() + ": one number per port, inside and out");
            }
            assertEquals(container.getPorts().size(), service.getSpec().getPorts().size(),
                    service.getMetadata().getName() + " should publish every port " + set.getMetadata().getName() + " declares");
        }
    }

    static ContainerPort containerPort(Container container, IntOrString port) {
        return container.getPorts().stream()
                .filter(p -> port.getStrVal() != null ? port.getStrVal().equals(p.getName()) : port.getIntVal().equals(p.getContainerPort()))
                .findFirst().orElseThrow(() -> new AssertionError(container.getName() + " declares no port " + port));
    }

    /**
     * Cluster Bootstrap lists pods with pekko.discovery.kubernetes-api.pod-label-selector, formatted with the
     * bootstrap service name: both StatefulSets' pods must match it, or the cluster never forms.
     */
    @ParameterizedTest
    @FieldSource("VARIANTS")
    void everyPodCarriesTheLabelClusterBootstrapLooksFor(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        for (StatefulSet set : run.all(StatefulSet.class)) {
            StatefulSetPod pod = new StatefulSetPod(run, set, 0, "10.244.0.9");
            Map<String, String> selector = discoverySelector(pod.config());
            assertTrue(selects(selector, pod.pod().getMetadata().getLabels()),
                    set.getMetadata().getName() + "'s pods " + pod.pod().getMetadata().getLabels() + " do not match the discovery selector " + selector);
        }
    }

    /** The label selector Pekko's Kubernetes API discovery sends, as equality requirements. */
    static Map<String, String> discoverySelector(Config config) {
        String serviceName = config.getString("pekko.management.cluster.bootstrap.contact-point-discovery.service-name");
        String selector = String.format(config.getString("pekko.discovery.kubernetes-api.pod-label-selector"), serviceName);
        Map<String, String> requirements = new LinkedHashMap<>();
        for (String requirement : selector.split(",")) {
            String[] kv = requirement.trim().split("=", 2);
            assertEquals(2, kv.length, "only key=value selectors are modelled, got '" + requirement + "'");
            requirements.put(kv[0].trim(), kv[1].trim());
        }
        return requirements;
    }

    @ParameterizedTest
    @FieldSource("VARIANTS")
    void workersSpreadOverNodesBySelectingThemselves(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        StatefulSet workers = run.workers();
        List<WeightedPodAffinityTerm> terms = workers.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity()
                .getPreferredDuringSchedulingIgnoredDuringExecution();
        assertEquals(1, terms.size());
        assertTrue(selects(terms.get(0).getPodAffinityTerm().getLabelSelector().getMatchLabels(), podLabels(workers)),
                "the anti-affinity must select the worker pods it spreads");
        assertTrue(!selects(terms.get(0).getPodAffinityTerm().getLabelSelector().getMatchLabels(), podLabels(run.coordinator())),
                "the anti-affinity must not push workers away from the coordinator");
    }

    /** kubelet probes the pod IP: Pekko Management binds there, on pekko.management.http.port, with these routes. */
    @ParameterizedTest
    @FieldSource("VARIANTS")
    void probesHitPekkoManagementsHealthRoutesOnItsPort(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        for (StatefulSet set : run.all(StatefulSet.class)) {
            Container container = RenderedRun.container(set);
            Config config = new StatefulSetPod(run, set, 0, "10.244.0.9").config();
            int managementPort = config.getInt("pekko.management.http.port");
            String alive = "/" + config.getString("pekko.management.health-checks.liveness-path");
            String ready = "/" + config.getString("pekko.management.health-checks.readiness-path");
            assertProbe(container, "liveness", container.getLivenessProbe(), managementPort, alive);
            assertProbe(container, "startup", container.getStartupProbe(), managementPort, alive);
            assertProbe(container, "readiness", container.getReadinessProbe(), managementPort, ready);
        }
    }

    private static void assertProbe(Container container, String kind, Probe probe, int managementPort, String path) {
        assertNotNull(probe, container.getName() + " has no " + kind + " probe");
        HTTPGetAction get = probe.getHttpGet();
        assertNotNull(get, container.getName() + "'s " + kind + " probe should be an HTTP GET on Pekko Management");
        assertEquals(path, get.getPath(), container.getName() + "'s " + kind + " probe path");
        assertEquals(managementPort, containerPort(container, get.getPort()).getContainerPort(),
                container.getName() + "'s " + kind + " probe must hit the management port " + managementPort);
    }
}
