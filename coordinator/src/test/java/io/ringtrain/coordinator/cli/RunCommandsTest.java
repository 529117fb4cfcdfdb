package io.ringtrain.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.ringtrain.coordinator.k8s.RunNames;
import io.ringtrain.coordinator.k8s.RunStatus;
import io.ringtrain.coordinator.kube.EmulatedApiServer;
import io.ringtrain.coordinator.launch.RunApplier;
import io.ringtrain.coordinator.launch.TrainingRunReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** `ringtrain runs`, `status`, `delete` and `logs` on launched runs, against an emulated API server. */
@Timeout(60)
class RunCommandsTest {

    static final String NS = "ml";

    @TempDir
    Path dir;

    private static EmulatedApiServer server;
    private KubernetesClient client;
    private Path kubeconfig;
    private CliRunner cli;

    @BeforeEach
    void twoRuns() throws Exception {
        server.reset();
        client = server.client();
        kubeconfig = server.kubeconfig(dir, NS);
        client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("store-credentials").endMetadata()
                .withData(Map.of("AWS_ACCESS_KEY_ID", LaunchCommandTest.b64("id"), "AWS_SECRET_ACCESS_KEY", LaunchCommandTest.b64("s")))
                .build()).create();
        // Launched as `ringtrain launch` does (LaunchCommandTest runs the command itself), without a CLI client each.
        RunApplier applier = new RunApplier(client, NS);
        applier.apply(TrainingRunReader.parse(LaunchCommandTest.SPEC), false);
        applier.apply(TrainingRunReader.parse(LaunchCommandTest.SPEC.replace("mlp-demo", "other-run")
                .replace("  model: mlp\n", "  model: mlp\n  workers: {replicas: 2}\n")), false);
    }

    @BeforeAll
    static void startServer() {
        server = EmulatedApiServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    private int run(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--kubeconfig", kubeconfig.toString()));
        cli = new CliRunner();
        return cli.run(all.toArray(String[]::new));
    }

    private void record(String run, RunStatus status) {
        client.configMaps().inNamespace(NS).withName(RunNames.status(run)).edit(c -> new ConfigMapBuilder(c).withData(status.toData()).build());
    }

    @Test
    void runsAndStatusShowWhatEachCoordinatorRecorded() {
        record("mlp-demo", new RunStatus(RunStatus.RUNNING, "training", 40, 300, 0.4123, 25, 4, 1, "mlp-demo-coordinator-0",
                java.time.Instant.now()));
        assertEquals(0, run("runs"), cli.err());
        List<String> lines = cli.out().lines().toList();
        assertEquals(List.of("NAME", "PHASE", "WORKERS", "STEP", "LOSS", "CHECKPOINT", "AGE"), List.of(lines.get(0).split(" +")));
        assertEquals(List.of("mlp-demo", "Running", "4/4", "40/300", "0.4123", "25"), List.of(lines.get(1).split(" +")).subList(0, 6));
        assertEquals(List.of("other-run", "Pending", "0/2", "-", "-", "-"), List.of(lines.get(2).split(" +")).subList(0, 6),
                "a run whose coordinator recorded nothing yet");

        assertEquals(0, run("status", "mlp-demo"), cli.err());
        assertTrue(cli.out().contains("phase:       Running: training\nstep:        40/300\nloss:        0.4123\ncheckpoint:  step 25\n"
                + "workers:     4 in the ring, 4 desired, 0 ready\n"), cli.out());

        assertEquals(RingtrainCli.EXIT_FAILED, run("status", "nope"));
        assertEquals("status: no run nope in namespace ml (`ringtrain runs -n ml` lists them)", cli.err().strip());
    }

    @Test
    void statusWatchEndsWithTheRunAndSaysHowItEnded() {
        record("mlp-demo", new RunStatus(RunStatus.FAILED, "only 1 of 4 workers registered within 120s", 0, 300, Double.NaN, -1, 0, 0,
                "mlp-demo-coordinator-0", java.time.Instant.now()));
        assertEquals(RingtrainCli.EXIT_FAILED, run("status", "mlp-demo", "--watch", "--poll", "100ms"));
        assertTrue(cli.out().strip().endsWith("Failed  step 0/300  loss -  workers 0/4  checkpoint -  (only 1 of 4 workers registered within"
                + " 120s)"), cli.out());

        record("other-run", new RunStatus(RunStatus.RUNNING, "training", 5, 300, 1.0, -1, 2, 1, "", java.time.Instant.now()));
        assertEquals(RingtrainCli.EXIT_FAILED, run("status", "other-run", "-w", "--poll", "100ms", "--timeout", "300ms"));
        assertEquals("status: run other-run is still Running after PT0.3S", cli.err().strip());
        assertEquals(1, cli.out().lines().count(), "one line per change: " + cli.out());
    }

    @Test
    void deleteRemovesEveryObjectOfTheRunAndNothingOfAnother() {
        assertEquals(0, run("delete", "mlp-demo", "--keep-checkpoints"), cli.err());
        assertTrue(cli.out().startsWith("run mlp-demo deleted from namespace ml: StatefulSet mlp-demo-"), "the pods' owners go first: "
                + cli.out());
        assertTrue(cli.out().strip().endsWith("ConfigMap mlp-demo; kept its checkpoints"), "the owner goes last: " + cli.out());
        Map<String, String> ofRun = Map.of(RunNames.INSTANCE, "mlp-demo");
        assertEquals(List.of(), client.configMaps().inNamespace(NS).withLabels(ofRun).list().getItems());
        assertEquals(List.of(), client.apps().statefulSets().inNamespace(NS).withLabels(ofRun).list().getItems());
        assertEquals(List.of(), client.rbac().roles().inNamespace(NS).withLabels(ofRun).list().getItems());
        assertNull(client.network().v1().networkPolicies().inNamespace(NS).withName("mlp-demo").get());
        assertNotNull(client.apps().statefulSets().inNamespace(NS).withName("other-run-worker").get(), "another run's objects stay");
        assertNotNull(client.configMaps().inNamespace(NS).withName("other-run").get());

        assertEquals(RingtrainCli.EXIT_FAILED, run("delete", "mlp-demo"));
        assertEquals("delete: no run mlp-demo in namespace ml (`ringtrain runs -n ml` lists them)", cli.err().strip());
    }

    @Test
    void logsPrintTheCoordinatorsOrOneWorkersLog() {
        server.logs((namespace, pod) -> "log of " + pod + " in " + namespace + "\n");
        for (String pod : List.of("mlp-demo-coordinator-0", "mlp-demo-worker-1")) {
            client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName(pod).endMetadata().build()).create();
        }
        assertEquals(0, run("logs", "mlp-demo"), cli.err());
        assertEquals("log of mlp-demo-coordinator-0 in ml\n", cli.out());
        assertEquals(0, run("logs", "mlp-demo", "--worker", "1"), cli.err());
        assertEquals("log of mlp-demo-worker-1 in ml\n", cli.out());
        assertEquals(RingtrainCli.EXIT_FAILED, run("logs", "mlp-demo", "--worker", "7"));
        assertTrue(cli.err().startsWith("logs: no pod mlp-demo-worker-7 in namespace ml"), cli.err());
    }
}
