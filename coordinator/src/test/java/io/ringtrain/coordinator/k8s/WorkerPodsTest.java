package io.ringtrain.coordinator.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.ringtrain.coordinator.node.ClusterContext;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which pods a coordinator watches, from the shipped defaults and from settings that are wrong. */
class WorkerPodsTest {
    private static final ClusterContext KUBERNETES = new ClusterContext().bootstrap(ClusterContext.Bootstrap.KUBERNETES);
    private static final ClusterContext LOCAL = new ClusterContext().bootstrap(ClusterContext.Bootstrap.LOCAL);

    private static Config config(String overrides) {
        return ConfigFactory.parseString(overrides).withFallback(ConfigFactory.load()).resolve();
    }

    @Test
    void onKubernetesTheCoordinatorWatchesItsOwnRunsWorkerContainersByDefaultAndLocallyNothing() {
        WorkerPods.Plan plan = WorkerPods.plan(config(""), KUBERNETES).orElseThrow();
        assertEquals(Map.of("app.kubernetes.io/instance", "ringtrain", "app.kubernetes.io/component", "worker"), plan.labels());
        assertEquals("worker", plan.container());
        assertEquals("", plan.namespace(), "the pod's own namespace");
        assertTrue(WorkerPods.plan(config(""), LOCAL).isEmpty(), "`ringtrain local` has its launcher for this");

        WorkerPods.Plan other = WorkerPods.plan(config("ringtrain.cluster.kubernetes.service-name = run-7"), KUBERNETES).orElseThrow();
        assertEquals("run-7", other.labels().get("app.kubernetes.io/instance"), "another run's name: another run's pods");
        assertTrue(WorkerPods.plan(config("ringtrain.coordinator.pod-watch.enabled = off"), KUBERNETES).isEmpty());
        assertTrue(WorkerPods.plan(config("ringtrain.coordinator.pod-watch.enabled = on"), LOCAL).isPresent());
    }

    @Test
    void wrongSettingsAreRefusedNamingTheKey() {
        IllegalArgumentException mode = assertThrows(IllegalArgumentException.class,
                () -> WorkerPods.plan(config("ringtrain.coordinator.pod-watch.enabled = sometimes"), KUBERNETES));
        assertEquals("ringtrain.coordinator.pod-watch.enabled must be auto, on or off, got 'sometimes'", mode.getMessage());

        IllegalArgumentException selector = assertThrows(IllegalArgumentException.class, () -> WorkerPods.plan(
                config("ringtrain.cluster.kubernetes.pod-label-selector = \"app in (a,b)\""), KUBERNETES));
        assertTrue(selector.getMessage().startsWith("ringtrain.cluster.kubernetes.pod-label-selector = \"app in (a,b)\": the pod"
                + " watch takes equality terms only"), selector.getMessage());
    }
}
