package io.ringtrain.coordinator.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.ringtrain.coordinator.RunEvent;
import io.ringtrain.coordinator.RunResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The coordinator as its launched run's controller, against fabric8's mock API server: it records the run's phase,
 * step, loss, last checkpoint and workers in the run's status ConfigMap, and once the run has finished (or had, when it
 * started again) it scales the run's StatefulSets to 0 so that nothing trains the run again.
 */
@Timeout(60)
@EnableKubernetesMockClient(crud = true)
class RunStatusWriterTest {

    static final String NS = "ml";
    static final String RUN = "r1";

    KubernetesClient client;

    @BeforeEach
    void runObjects() {
        client.configMaps().inNamespace(NS).resource(new ConfigMapBuilder().withNewMetadata().withName(RunNames.status(RUN)).endMetadata()
                .build()).create();
        for (String set : List.of(RunNames.coordinator(RUN), RunNames.workers(RUN))) {
            client.apps().statefulSets().inNamespace(NS).resource(new StatefulSetBuilder().withNewMetadata().withName(set).endMetadata()
                    .withNewSpec().withReplicas(3).endSpec().build()).create();
        }
    }

    private RunStatusWriter start() {
        return new RunStatusWriter.Plan(RUN, NS, Duration.ofMillis(100)).start(client, 100);
    }

    /** The recorded status once it satisfies {@code condition} (bounded by the watch's timeout). */
    private RunStatus awaitStatus(Predicate<RunStatus> condition) {
        ConfigMap map = client.configMaps().inNamespace(NS).withName(RunNames.status(RUN))
                .waitUntilCondition(c -> c != null && condition.test(RunStatus.fromData(c.getData())), 20, TimeUnit.SECONDS);
        return RunStatus.fromData(map.getData());
    }

    private int replicas(String set) {
        return client.apps().statefulSets().inNamespace(NS).withName(set).get().getSpec().getReplicas();
    }

    @Test
    void theRunsProgressIsRecordedAndAFinishedRunIsScaledDown() {
        RunStatusWriter writer = start();
        assertEquals(RunStatus.PENDING, awaitStatus(RunStatus::recorded).phase(), "a starting coordinator waits for workers");

        writer.accept(new RunEvent.TrainingStarted(1, 3, 0, false));
        writer.accept(new RunEvent.Progress(40, 100, 0.5, 300, 2, 3));
        writer.accept(new RunEvent.CheckpointCommitted(40, 3));
        RunStatus running = awaitStatus(s -> s.step() == 40 && s.lastCheckpoint() == 40);
        assertEquals(RunStatus.RUNNING, running.phase());
        assertEquals(3, running.workers());
        assertEquals(0.5, running.loss());
        assertEquals(100, running.totalSteps());

        writer.accept(new RunEvent.RingStopping(1, "worker r1-worker-2 left (its pod was deleted)"));
        assertEquals("ring generation 1 stopping: worker r1-worker-2 left (its pod was deleted)",
                awaitStatus(s -> s.phase().equals(RunStatus.RECOVERING)).message());

        writer.accept(new RunEvent.RunFinished(new RunResult(RUN, 3, 0, 100, 0.25, OptionalDouble.empty(), 1000, 2, OptionalLong.of(100),
                Duration.ofSeconds(1), Duration.ofSeconds(9), Map.of(), 2, List.of())));
        writer.finish();
        writer.close();
        RunStatus done = awaitStatus(RunStatus::finished);
        assertEquals(RunStatus.SUCCEEDED, done.phase());
        assertEquals(100, done.step());
        assertEquals(100, done.lastCheckpoint());
        assertEquals(0, replicas(RunNames.workers(RUN)), "finished workers must not be started again to wait for a coordinator");
        assertEquals(0, replicas(RunNames.coordinator(RUN)), "a restarted coordinator must not train the run again");
    }

    @Test
    void aCoordinatorThatFindsItsRunFinishedKeepsTheResultAndScalesTheRunDown() {
        client.configMaps().inNamespace(NS).withName(RunNames.status(RUN)).edit(c -> new ConfigMapBuilder(c).withData(
                new RunStatus(RunStatus.SUCCEEDED, "finished", 100, 100, 0.25, 100, 0, 2, "r1-coordinator-0", null).toData()).build());
        RunStatusWriter writer = start();
        writer.accept(new RunEvent.AlreadyFinished("run r1 finished 100 steps before this coordinator started"));
        writer.finish();
        writer.close();
        RunStatus done = awaitStatus(s -> s.message().startsWith("run r1 finished"));
        assertEquals(RunStatus.SUCCEEDED, done.phase());
        assertEquals(100, done.step(), "what the run ended with stays");
        assertEquals(0.25, done.loss());
        assertEquals(0, replicas(RunNames.workers(RUN)));
        assertEquals(0, replicas(RunNames.coordinator(RUN)));
    }

    @Test
    void aFailedRunIsRecordedAndLeftForKubernetesToRestart() {
        RunStatusWriter writer = start();
        writer.accept(new RunEvent.RunFailed("only 1 of 3 workers registered within 120s"));
        writer.finish();
        writer.close();
        assertEquals("only 1 of 3 workers registered within 120s", awaitStatus(RunStatus::finished).message());
        assertEquals(3, replicas(RunNames.workers(RUN)), "a restarted coordinator resumes a failed run from its newest checkpoint");
    }
}
