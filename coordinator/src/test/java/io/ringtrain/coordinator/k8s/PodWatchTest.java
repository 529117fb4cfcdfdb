package io.ringtrain.coordinator.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pod watch against fabric8's mock API server (CRUD mode: it stores and watches what it is sent; this test plays
 * the kubelet and the StatefulSet controller by writing the pod statuses they would). Every exit is reported once,
 * in order, for the run's worker container only: a termination seen again after the restart (as the container's
 * last state) is not reported twice, and sidecars and other runs' pods are not reported at all, which the test
 * checks by what comes next in the queue.
 */
@Timeout(60)
@EnableKubernetesMockClient(crud = true)
class PodWatchTest {
    private static final String NS = "training";
    private static final Map<String, String> RUN = Map.of("app.kubernetes.io/part-of", "run-a", "app.kubernetes.io/component", "worker");
    private static final Map<String, String> OTHER_RUN = Map.of("app.kubernetes.io/part-of", "run-b", "app.kubernetes.io/component", "worker");

    KubernetesClient client;
    private final BlockingQueue<String> exits = new LinkedBlockingQueue<>();
    private PodWatch watch;

    @BeforeEach
    void watch() throws Exception {
        create("run-a-worker-0", RUN, running("worker", 0), running("proxy", 0));
        create("run-a-worker-1", RUN, running("worker", 0));
        create("run-b-worker-0", OTHER_RUN, running("worker", 0));
        watch = PodWatch.start(client, NS, RUN, "worker", (pod, how) -> exits.add(pod + ": " + how));
        watch.started().toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertTrue(watch.isWatching(), "listed and watching once started");
    }

    @AfterEach
    void close() {
        watch.close();
    }

    @Test
    void aKilledContainerIsReportedOnceWithItsSignalAndTheRestartIsNotReportedAgain() throws Exception {
        setStatuses("run-a-worker-0", terminated("worker", 0, 137, "Error", "2026-12-03T06:00:01Z"), running("proxy", 0));
        assertEquals("run-a-worker-0: its container exited with status 137 (SIGKILL)", next());

        // The kubelet restarts it: the same termination is now the last state. Then the other worker is OOM-killed.
        setStatuses("run-a-worker-0", restarted("worker", 1, 137, "Error", "2026-12-03T06:00:01Z"), running("proxy", 0));
        setStatuses("run-a-worker-1", terminated("worker", 0, 137, "OOMKilled", "2026-12-03T06:00:05Z"));
        assertEquals("run-a-worker-1: its container exited with status 137 (SIGKILL), OOMKilled", next());

        // The restarted container dies again: a new termination, reported again.
        setStatuses("run-a-worker-0", terminated("worker", 1, 1, "Error", "2026-12-03T06:00:09Z"), running("proxy", 0));
        assertEquals("run-a-worker-0: its container exited with status 1", next());
    }

    @Test
    void sidecarsAndOtherRunsAreNotReportedButAFailedOrDeletedPodIs() throws Exception {
        setStatuses("run-a-worker-0", running("worker", 0), terminated("proxy", 0, 137, "Error", "2026-12-03T06:00:01Z"));
        setStatuses("run-b-worker-0", terminated("worker", 0, 137, "Error", "2026-12-03T06:00:01Z"));
        Pod evicted = client.pods().inNamespace(NS).withName("run-a-worker-1").get();
        evicted.getStatus().setPhase("Failed");
        evicted.getStatus().setReason("Evicted");
        evicted.getStatus().setMessage("The node was low on resource: memory.");
        evicted.getStatus().setContainerStatuses(List.of());
        client.pods().inNamespace(NS).resource(evicted).update();
        assertEquals("run-a-worker-1: its pod failed (Evicted: The node was low on resource: memory.)", next());

        client.pods().inNamespace(NS).withName("run-a-worker-0").delete();
        assertEquals("run-a-worker-0: its pod run-a-worker-0 was deleted", next());
        assertEquals(null, exits.poll(500, TimeUnit.MILLISECONDS), "nothing else: " + exits);
    }

    private String next() throws InterruptedException {
        String exit = exits.poll(20, TimeUnit.SECONDS);
        assertTrue(exit != null, "no exit reported within 20 s");
        return exit;
    }

    private void create(String name, Map<String, String> labels, ContainerStatus... statuses) {
        Pod pod = new PodBuilder().withNewMetadata().withName(name).withNamespace(NS).withLabels(labels).endMetadata()
                .withNewSpec().addNewContainer().withName("worker").withImage("ringtrain:0.1.0").endContainer().endSpec()
                .withNewStatus().withPhase("Running").withContainerStatuses(statuses).endStatus().build();
        client.pods().inNamespace(NS).resource(pod).create();
    }

    private void setStatuses(String name, ContainerStatus... statuses) {
        Pod pod = client.pods().inNamespace(NS).withName(name).get();
        pod.getStatus().setContainerStatuses(List.of(statuses));
        client.pods().inNamespace(NS).resource(pod).update();
    }

    private static ContainerStatus running(String container, int restarts) {
        return new ContainerStatusBuilder().withName(container).withRestartCount(restarts)
                .withNewState().withNewRunning().withStartedAt("2026-12-03T06:00:00Z").endRunning().endState().build();
    }

    private static ContainerStatus terminated(String container, int restarts, int exitCode, String reason, String finishedAt) {
        return new ContainerStatusBuilder().withName(container).withRestartCount(restarts)
                .withNewState().withNewTerminated().withContainerID("containerd://" + container + "-" + restarts)
                .withExitCode(exitCode).withReason(reason).withFinishedAt(finishedAt).endTerminated().endState().build();
    }

    private static ContainerStatus restarted(String container, int restarts, int lastExitCode, String lastReason, String lastFinishedAt) {
        return new ContainerStatusBuilder().withName(container).withRestartCount(restarts)
                .withNewState().withNewRunning().withStartedAt("2026-12-03T06:00:02Z").endRunning().endState()
                .withNewLastState().withNewTerminated().withContainerID("containerd://" + container + "-" + (restarts - 1))
                .withExitCode(lastExitCode).withReason(lastReason).withFinishedAt(lastFinishedAt).endTerminated().endLastState().build();
    }
}
