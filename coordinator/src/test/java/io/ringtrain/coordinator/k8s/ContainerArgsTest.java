package io.ringtrain.coordinator.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.ringtrain.coordinator.CoordinatorContext;
import io.ringtrain.coordinator.ResumeMode;
import io.ringtrain.coordinator.node.ClusterContext;
import io.ringtrain.worker.WorkerContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The StatefulSets' container args are ringtrain's own command line: they parse with its picocli CLI in
 * the pod's environment (so a renamed flag, a missing ConfigMap value or a bad number fails here), and
 * what they say agrees with the ports the manifests declare.
 */
@Timeout(60)
class ContainerArgsTest {

    static final List<String> VARIANTS = RenderedRun.VARIANTS;
    static final String POD_IP = "10.244.3.7";

    static ContainerPort port(StatefulSet set, String name) {
        return RenderedRun.container(set).getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
                .orElseThrow(() -> new AssertionError(set.getMetadata().getName() + " declares no container port named " + name));
    }

    @ParameterizedTest
    @FieldSource("VARIANTS")
    void coordinatorArgsAreARingtrainCoordinatorWithKubernetesBootstrap(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        StatefulSetPod pod = new StatefulSetPod(run, run.coordinator(), 0, POD_IP);
        ParsedCommand command = ParsedCommand.of(pod);
        Config config = pod.config();

        assertEquals("coordinator", command.name());
        assertEquals("kubernetes", command.value("--bootstrap"));
        assertEquals(POD_IP, command.value("--host"), "other nodes reach the coordinator at its pod IP");
        assertEquals(port(run.coordinator(), "remoting").getContainerPort(), command.<Integer>value("--port"));
        ClusterContext cluster = ClusterContext.fromConfig(config).bootstrap(ClusterContext.Bootstrap.KUBERNETES)
                .host(command.value("--host")).port(command.value("--port")).conclude();
        assertEquals(POD_IP, cluster.host());
    }

    /** What the spec says about the run arrives as the coordinator's flags, which it sends to every worker. */
    @ParameterizedTest
    @FieldSource("VARIANTS")
    void theSpecReachesTheCoordinatorsFlags(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        StatefulSetPod pod = new StatefulSetPod(run, run.coordinator(), 0, POD_IP);
        ParsedCommand command = ParsedCommand.of(pod);
        var spec = KustomizeFiles.spec(variant.endsWith("gpu") ? KustomizeFiles.GPU_SPEC : KustomizeFiles.CPU_SPEC);

        assertEquals(spec.name(), command.value("--run-id"), "checkpoints go under the run's name");
        assertEquals(spec.spec().steps(), command.<Long>value("--steps"));
        assertEquals(spec.spec().globalBatch(), command.<Integer>value("--global-batch"));
        assertEquals(spec.spec().model(), command.value("--model"));
        assertEquals(spec.spec().checkpoints().uri(), command.value("--checkpoint-dir"));
        assertTrue(command.<String>value("--checkpoint-dir").startsWith("s3://"),
                "pods lose their files when they go: checkpoints belong in object storage, not " + command.value("--checkpoint-dir"));
        assertEquals(ResumeMode.AUTO, ResumeMode.parse(command.value("--resume"), "--resume"),
                "a coordinator pod that Kubernetes starts again must neither start the run over nor train a finished one again");
        assertEquals(spec.name(), pod.config().getString("ringtrain.coordinator.kubernetes-run.name"),
                "the coordinator records the status of its own run");
        assertEquals(spec.spec().checkpoints().keep(), pod.config().getInt("ringtrain.run.checkpoint-keep"));

        int min = command.value("--min-workers");
        int max = command.value("--max-workers");
        int replicas = run.workers().getSpec().getReplicas();
        CoordinatorContext.fromConfig(pod.config()).minWorkers(min).maxWorkers(max).conclude();
        assertTrue(min <= replicas && replicas <= max, variant + ": the coordinator waits for " + min + " and accepts at most " + max
                + " workers, but the worker StatefulSet runs " + replicas);
    }

    @ParameterizedTest
    @FieldSource("VARIANTS")
    void workerArgsAreARingtrainWorkerWhoseRankHintIsItsOrdinal(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        StatefulSet workers = run.workers();
        ContainerPort dataPlane = port(workers, "data-plane");
        assertEquals("UDP", dataPlane.getProtocol(), "Aeron's data plane is UDP");
        for (int ordinal = 0; ordinal < workers.getSpec().getReplicas(); ordinal++) {
            StatefulSetPod pod = new StatefulSetPod(run, workers, ordinal, "10.244.4." + (10 + ordinal));
            ParsedCommand command = ParsedCommand.of(pod);
            assertEquals("worker", command.name());
            assertEquals("kubernetes", command.value("--bootstrap"));
            assertEquals(pod.podIp(), command.value("--host"));
            assertEquals(port(workers, "remoting").getContainerPort(), command.<Integer>value("--port"));
            assertEquals(pod.podIp(), command.value("--data-host"), "peers send gradients to the worker's pod IP");
            assertEquals(dataPlane.getContainerPort(), command.<Integer>value("--data-port"),
                    "the data plane listens on the UDP port the pod declares");

            WorkerContext worker = WorkerContext.fromConfig(pod.config()).name(command.value("--name")).ordinal(command.value("--ordinal"))
                    .ordinalFromName(command.value("--ordinal-from-name")).dataPlaneHost(command.value("--data-host"))
                    .dataPlanePort(command.value("--data-port")).conclude();
            assertEquals(pod.name(), worker.name());
            assertEquals(ordinal, worker.ordinal(), pod.name() + " must get rank hint " + ordinal);
        }
    }

    @ParameterizedTest
    @FieldSource("VARIANTS")
    void theRunTellsWorkersToComputeWithTheirOpenMpThreads(String variant) {
        RenderedRun run = RenderedRun.of(variant);
        ParsedCommand coordinator = ParsedCommand.of(new StatefulSetPod(run, run.coordinator(), 0, POD_IP));
        Map<String, String> options = coordinator.value("--option");
        String ompThreads = new StatefulSetPod(run, run.workers(), 0, POD_IP).environment().get("OMP_NUM_THREADS");
        assertEquals(ompThreads, options.get("compute-threads"),
                "ND4J's BLAS threads (the run's compute-threads option) and its OpenMP pool (OMP_NUM_THREADS) must agree");
    }

    @ParameterizedTest
    @FieldSource("VARIANTS")
    void everyRingtrainVariableIsOneTheConfigurationReads(String variant) throws IOException {
        String references = referenceConfText();
        RenderedRun run = RenderedRun.of(variant);
        for (StatefulSet set : List.of(run.coordinator(), run.workers())) {
            for (String name : new StatefulSetPod(run, set, 0, POD_IP).environment().keySet()) {
                if (name.startsWith("RINGTRAIN_")) {
                    assertTrue(references.contains("${?" + name + "}"), set.getMetadata().getName() + " sets " + name
                            + ", which no reference.conf reads: a misspelt variable is silently ignored");
                }
            }
        }
    }

    private static String referenceConfText() throws IOException {
        StringBuilder text = new StringBuilder();
        for (URL url : Collections.list(ContainerArgsTest.class.getClassLoader().getResources("reference.conf"))) {
            try (InputStream in = url.openStream()) {
                text.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return text.toString();
    }

    /** A misspelt -XX flag stops the JVM before ringtrain starts: the pod would crash-loop. */
    @ParameterizedTest
    @FieldSource("VARIANTS")
    void theJvmAcceptsEveryJavaToolOption(String variant) throws Exception {
        RenderedRun run = RenderedRun.of(variant);
        for (StatefulSet set : List.of(run.coordinator(), run.workers())) {
            String options = new StatefulSetPod(run, set, 0, POD_IP).environment().get("JAVA_TOOL_OPTIONS");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder builder = new ProcessBuilder(java, "-version").redirectErrorStream(true);
            builder.environment().put("JAVA_TOOL_OPTIONS", options);
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "java -version did not finish");
            assertEquals(0, process.exitValue(), set.getMetadata().getName() + ": the JVM refuses JAVA_TOOL_OPTIONS '" + options + "':\n" + output);
            List<String> warnings = new ArrayList<>(output.lines().filter(l -> l.contains("warning") || l.contains("Unrecognized")).toList());
            assertEquals(List.of(), warnings, set.getMetadata().getName() + ": the JVM warns about JAVA_TOOL_OPTIONS");
        }
    }
}
