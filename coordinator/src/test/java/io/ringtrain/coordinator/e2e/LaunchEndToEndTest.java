package io.ringtrain.coordinator.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.ringtrain.coordinator.cli.RingtrainCli;
import io.ringtrain.coordinator.k8s.RunNames;
import io.ringtrain.coordinator.k8s.RunStatus;
import io.ringtrain.coordinator.kube.EmulatedApiServer;
import io.ringtrain.coordinator.kube.PodRunner;
import io.ringtrain.coordinator.kube.S3ProxyServer;
import io.ringtrain.coordinator.toy.ToySessionFactory;
import io.ringtrain.worker.TrainingSessions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * `ringtrain launch` on an emulated cluster: fabric8's mock API server (HTTPS, CRUD) plus {@link PodRunner}, which plays
 * the StatefulSet controller and the kubelet by starting every pod of the StatefulSets launch created as a local process
 * with an address of its own. A 1-coordinator + 3-worker run of the toy model finds itself through Pekko's Kubernetes
 * API discovery, trains to the end with checkpoints in a real S3 server (credentials from the run's Secret), loses a
 * worker whose pod is deleted mid-run and takes the pod the runner creates again back in, `ringtrain status` follows
 * it, the coordinator scales the finished run down, and `ringtrain delete` removes every object and the checkpoints.
 * The transcript is printed.
 */
@Timeout(240)
class LaunchEndToEndTest {

    static final String NS = "training";
    static final String BUCKET = "ckpt";

    @TempDir
    Path dir;

    private final StringBuilder transcript = new StringBuilder();
    private boolean passed;

    @Test
    void aLaunchedRunBootstrapsThroughTheApiTrainsToTheEndIsFollowedAndDeleted() throws Exception {
        long start = System.nanoTime();
        try (S3ProxyServer s3 = S3ProxyServer.start(BUCKET); EmulatedApiServer server = EmulatedApiServer.start();
             PodRunner runner = PodRunner.start(server, NS, Files.createDirectories(dir.resolve("pods")));
             AutoCloseable report = () -> {
                 transcript.append(String.format("%n[CPU: pods %.1f s, this JVM %.1f s]%n", runner.cpuSeconds(), ((com.sun.management
                         .OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9));
                 transcript.append("\n-- emulated kubelet --\n").append(String.join("\n", runner.events())).append('\n');
                 if (!passed) {
                     transcript.append(runner.allLogs());
                 }
             }) {
            KubernetesClient client = server.client();
            client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("s3-credentials").endMetadata()
                    .withData(Map.of("AWS_ACCESS_KEY_ID", b64(S3ProxyServer.IDENTITY), "AWS_SECRET_ACCESS_KEY", b64(S3ProxyServer.SECRET)))
                    .build()).create();
            Path kubeconfig = server.kubeconfig(dir, NS);
            stamp("S3, API server and runner up after", start);
            Path spec = Files.writeString(dir.resolve("e2e.yaml"), """
                    apiVersion: ringtrain.io/v1alpha1
                    kind: TrainingRun
                    metadata:
                      name: e2e
                    spec:
                      image: ringtrain:test
                      model: toy
                      modelOptions: {step-millis: 40}
                      steps: 300
                      globalBatch: 12
                      workers: {replicas: 3, resources: {cpu: 1, memory: 1280Mi}}
                      coordinator: {resources: {cpu: 250m, memory: 768Mi}}
                      checkpoints:
                        uri: s3://%s/runs
                        every: 20
                        s3: {secret: s3-credentials, endpoint: "%s"}
                      dataPlane: {termLength: 1Mi}
                    """.formatted(BUCKET, s3.endpoint()));

            assertEquals(0, cli("launch", spec.toString(), "--kubeconfig", kubeconfig.toString()));
            RunStatus pending = awaitStatus(client, RunStatus::recorded, 90);
            stamp("coordinator recording after", start);
            assertEquals("e2e-coordinator-0", pending.coordinator(), "the coordinator pod records its run: " + pending);
            // Its container's log, from its pod: the JVM options launch sized from spec.coordinator.resources.memory.
            assertEquals(0, cli("logs", "e2e", "--kubeconfig", kubeconfig.toString()));
            assertTrue(transcript.toString().contains("Picked up JAVA_TOOL_OPTIONS: -Xms192m -Xmx384m"), transcript.toString());

            RunStatus running = awaitStatus(client, s -> s.phase().equals(RunStatus.RUNNING) && s.workers() == 3 || s.finished(), 90);
            assertFalse(running.finished(), "the run must still be training when its worker's pod is deleted: " + running);
            // A worker's pod is deleted mid-run: its worker leaves at a step boundary, the run (min 3) pauses, the
            // runner creates the pod again as the StatefulSet controller would, and the new worker joins the ring.
            transcript.append("$ kubectl delete pod e2e-worker-1   (at step ").append(running.step()).append(")\n");
            client.pods().inNamespace(NS).withName("e2e-worker-1").delete();

            assertEquals(0, cli("status", "e2e", "--watch", "--poll", "1s", "--timeout", "120s", "--kubeconfig", kubeconfig.toString()));
            stamp("succeeded after", start);
            RunStatus done = awaitStatus(client, RunStatus::finished, 10);
            assertEquals(RunStatus.SUCCEEDED, done.phase(), done.message());
            assertEquals(300, done.step());
            assertEquals(300, done.lastCheckpoint());
            assertTrue(done.message().startsWith("finished 300 steps with 3 workers"), done.message());
            List<String> keys = s3.keys(BUCKET, "runs/e2e/");
            assertTrue(keys.contains("runs/e2e/step-000000000300/MANIFEST"), "the last checkpoint is in the store: " + keys);
            String watched = transcript.substring(transcript.lastIndexOf("$ ringtrain status e2e --watch"));
            assertTrue(watched.contains("waiting for workers: 2 live, min 3"), "the run paused without the deleted worker:\n" + watched);
            String kubelet = String.join("\n", runner.events());
            assertEquals(2, count(kubelet, "started pod e2e-worker-1 at "), "the pod made again joined the run:\n" + kubelet);
            // Only the deleted pod's worker left: before harmless quarantines were kept to the node that was downed, two
            // other workers downed themselves here too (DownSelfQuarantinedByRemote) and the run started over.
            assertFalse(kubelet.contains("container exited with status 1"), "no other worker may go down with it:\n" + kubelet);

            // The coordinator scaled the finished run to 0: the runner stops every pod and starts none again.
            client.pods().inNamespace(NS).withLabel(RunNames.INSTANCE, "e2e").informOnCondition(List::isEmpty).get(60, TimeUnit.SECONDS);
            assertEquals(0, client.apps().statefulSets().inNamespace(NS).withName("e2e-worker").get().getSpec().getReplicas());
            assertEquals(0, cli("runs", "--kubeconfig", kubeconfig.toString()));
            assertTrue(transcript.toString().contains("e2e   Succeeded"), transcript.toString());

            assertEquals(0, cli("delete", "e2e", "--kubeconfig", kubeconfig.toString()));
            assertEquals(List.of(), s3.keys(BUCKET, "runs/e2e/"), "delete removes the run's checkpoints");
            assertEquals(List.of(), client.configMaps().inNamespace(NS).withLabel(RunNames.INSTANCE, "e2e").list().getItems());
            assertEquals(List.of(), client.apps().statefulSets().inNamespace(NS).withLabel(RunNames.INSTANCE, "e2e").list().getItems());
            stamp("deleted after", start);
            passed = true;
        } finally {
            System.out.println("launch -> status -> delete on the emulated cluster:\n" + transcript);
        }
    }

    private int cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        RingtrainCli cli = new RingtrainCli(TrainingSessions.of(new ToySessionFactory()), io.ringtrain.coordinator.CheckpointStoreCommits::new,
                com.typesafe.config.ConfigFactory.load(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        int code = cli.commandLine().execute(args);
        transcript.append("$ ringtrain ").append(String.join(" ", args).replaceAll(" --kubeconfig \\S+", "")).append('\n')
                .append(out.toString(StandardCharsets.UTF_8)).append(err.toString(StandardCharsets.UTF_8));
        if (code != 0) {
            transcript.append("(exit ").append(code).append(")\n");
        }
        return code;
    }

    private static RunStatus awaitStatus(KubernetesClient client, Predicate<RunStatus> condition, int seconds) {
        ConfigMap map = client.configMaps().inNamespace(NS).withName(RunNames.status("e2e"))
                .waitUntilCondition(c -> c != null && condition.test(RunStatus.fromData(c.getData())), seconds, TimeUnit.SECONDS);
        return RunStatus.fromData(map.getData());
    }

    private void stamp(String what, long start) {
        transcript.append(String.format("[%s %.1f s]%n", what, (System.nanoTime() - start) / 1e9));
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
