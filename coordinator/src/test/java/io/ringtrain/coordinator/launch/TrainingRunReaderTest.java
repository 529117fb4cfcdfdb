package io.ringtrain.coordinator.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** A run spec is read strictly: every default filled in, every mistake refused naming the field and what is allowed. */
@Timeout(30)
class TrainingRunReaderTest {

    static final String HEAD = "apiVersion: ringtrain.io/v1alpha1\nkind: TrainingRun\nmetadata:\n  name: mlp-demo\n";
    static final String MINIMAL = HEAD + "spec:\n  image: ringtrain:0.1.0\n  model: mlp\n";

    /** A spec with {@code lines} (indented two spaces, under spec:) after the required fields. */
    static String spec(String lines) {
        return MINIMAL + lines.indent(2);
    }

    @Test
    void aSpecWithNameImageAndModelGetsEveryOtherFieldsDefault() {
        TrainingRun run = TrainingRunReader.parse(MINIMAL);
        TrainingRun.Spec s = run.spec();
        assertEquals("mlp-demo", run.name());
        assertEquals("", run.namespace());
        assertEquals(Map.of(), run.labels());
        assertEquals("IfNotPresent", s.imagePullPolicy());
        assertEquals(300, s.steps());
        assertEquals(256, s.globalBatch());
        assertEquals("sgd", s.optimizer());
        assertEquals(0.0, s.learningRate());
        assertEquals(1, s.seed());
        assertEquals(new TrainingRun.Workers(4, 4, 4, "ringtrain:0.1.0", new TrainingRun.Resources("2", "4Gi", 0),
                new TrainingRun.Placement(Map.of(), List.of())), s.workers());
        assertEquals(new TrainingRun.Resources("500m", "1Gi", 0), s.coordinator().resources());
        assertEquals(new TrainingRun.Checkpoints("s3://ringtrain-checkpoints/runs", 50, 3, "auto",
                new TrainingRun.S3("", "", "us-east-1")), s.checkpoints());
        assertEquals(new TrainingRun.DataPlane(40100, 4 << 20, 0, "INVOKER", "adaptive"), s.dataPlane());
    }

    @Test
    void theCanonicalFormReadsBackAsTheSameRun() {
        TrainingRun run = TrainingRunReader.parse(spec("""
                workers: {replicas: 3, min: 2, max: 5, resources: {cpu: 3, memory: 6Gi, gpus: 1},
                          nodeSelector: {pool: gpu}, tolerations: [{key: gpu, operator: Exists, effect: NoSchedule}]}
                modelOptions: {hidden: 64}
                learningRate: 0.01
                checkpoints: {every: 10, keep: 5, resume: never, s3: {secret: creds, endpoint: "http://minio:9000"}}
                dataPlane: {termLength: 8Mi, threading: SHARED}
                """).replace("name: mlp-demo\n", "name: mlp-demo\n  labels: {team: ml}\n  annotations: {note: x}\n"));
        TrainingRun again = TrainingRunReader.parse(TrainingRunWriter.yaml(run));
        assertEquals(run, again);
        assertEquals(8 << 20, again.spec().dataPlane().termLength());
        assertEquals(Map.of("hidden", "64"), again.spec().modelOptions());
    }

    /** (spec text, the message it must be refused with). */
    static final List<List<String>> MISTAKES = List.of(
            List.of(spec("workers: {replicas: 4, min: 5, max: 4}"), "spec.workers.min (5) is greater than spec.workers.max (4)"),
            List.of(spec("workers: {replica: 4}"), "spec.workers.replica is not a field of a TrainingRun (ringtrain.io/v1alpha1); known in"
                    + " spec.workers: replicas, min, max, image, resources, nodeSelector, tolerations"),
            List.of(spec("stepz: 10"), "spec.stepz is not a field of a TrainingRun"),
            List.of(spec("workers: {replicas: 6, max: 4}"), "spec.workers.replicas (6) must be between spec.workers.min (4) and spec.workers.max (4)"),
            List.of(spec("workers: {replicas: 2, min: 1, max: 4}\nglobalBatch: 3"),
                    "spec.globalBatch (3) is smaller than spec.workers.max (4): every worker needs at least one sample per step"),
            List.of(MINIMAL.replace("mlp-demo", "MLP_demo"), "metadata.name 'MLP_demo' is not a valid name: use lower-case letters,"
                    + " digits and '-', start with a letter"),
            List.of(MINIMAL.replace("mlp-demo", "a".repeat(41)), "at most 40 characters (the StatefulSet <name>-coordinator must stay"
                    + " within Kubernetes' 52 characters)"),
            List.of(HEAD + "spec:\n  model: mlp\n", "spec.image is required (e.g. image: registry.example.com/ml/ringtrain:0.1.0)"),
            List.of(HEAD + "spec:\n  image: ringtrain:0.1.0\n", "spec.model is required"),
            List.of(HEAD, "spec.image is required"),
            List.of(spec("steps: \"300\""), "spec.steps must be a whole number, got the string '300'"),
            List.of(spec("steps: 0"), "spec.steps must be at least 1, got 0"),
            List.of(spec("optimizer: lbfgs"), "spec.optimizer must be sgd or adam, got 'lbfgs'"),
            List.of(spec("learningRate: -1"), "spec.learningRate must be 0 (the optimizer's default) or a positive number, got -1.0"),
            List.of(spec("checkpoints: {uri: file:///data/ckpt}"), "spec.checkpoints.uri must be s3://bucket/prefix (pods lose their files"),
            List.of(spec("checkpoints: {resume: sometimes}"), "spec.checkpoints.resume must be never, always or auto, got 'sometimes'"),
            List.of(spec("checkpoints: {keep: 0}"), "spec.checkpoints.keep must be at least 1"),
            List.of(spec("checkpoints: {s3: {endpoint: minio:9000}}"), "spec.checkpoints.s3.endpoint must be http(s)://host[:port]"),
            List.of(spec("workers: {resources: {cpu: 1500m}}"), "spec.workers.resources.cpu (1500m) must be whole cores"),
            List.of(spec("workers: {resources: {memory: 1Gi}}"), "spec.workers.resources.memory (1Gi) is less than the 1280 Mi a worker needs"),
            List.of(spec("workers: {resources: {memory: lots}}"), "spec.workers.resources.memory must be a Kubernetes quantity such as 4Gi"),
            List.of(spec("dataPlane: {threading: DEDICATED, idleStrategy: busy-spin}"),
                    "spec.workers.resources.cpu (2) leaves no core for compute: the data plane (DEDICATED, busy-spin) keeps 4 busy;"
                            + " request at least 5"),
            List.of(spec("dataPlane: {termLength: 3Mi}"), "spec.dataPlane.termLength 3145728 must be a power of two between 64 KiB and 1 GiB"),
            List.of(spec("dataPlane: {threading: FAST}"), "spec.dataPlane.threading"),
            List.of(spec("dataPlane: {port: 25520}"), "spec.dataPlane.port must be 1024-65535 and not"),
            List.of(spec("imagePullPolicy: Sometimes"), "spec.imagePullPolicy must be Always, IfNotPresent or Never"),
            List.of(spec("workers: {tolerations: [{key: gpu, operator: Exists, value: x}]}"),
                    "spec.workers.tolerations[0].value must be empty with operator Exists"),
            List.of(MINIMAL.replace("name: mlp-demo\n", "name: mlp-demo\n  labels: {app.kubernetes.io/instance: other}\n"),
                    "metadata.labels.app.kubernetes.io/instance is set by ringtrain for every run"),
            List.of(MINIMAL.replace("name: mlp-demo\n", "name: mlp-demo\n  labels: {\"bad key!\": x}\n"),
                    "metadata.labels has key 'bad key!', which is not a valid key"),
            List.of(MINIMAL.replace("ringtrain.io/v1alpha1", "ringtrain.io/v1"), "apiVersion and kind must be ringtrain.io/v1alpha1 and TrainingRun"),
            List.of(MINIMAL + "  steps: 10\n  steps: 20\n", "not valid YAML: Duplicate Object property \"steps\""),
            List.of(MINIMAL + "---\n" + MINIMAL, "a run spec is one YAML document, found 2"),
            List.of(HEAD + "spec: [1, 2]\n", "spec must be a mapping (key: value lines), got a list"));

    @ParameterizedTest
    @FieldSource("MISTAKES")
    void aMistakeIsRefusedNamingTheFieldAndWhatIsAllowed(List<String> mistake) {
        RunSpecException e = assertThrows(RunSpecException.class, () -> TrainingRunReader.parse(mistake.get(0)));
        assertTrue(e.getMessage().contains(mistake.get(1)), "expected '" + mistake.get(1) + "' in: " + e.getMessage());
    }

    @Test
    void aFileThatIsNotThereIsNamed() {
        RunSpecException e = assertThrows(RunSpecException.class, () -> TrainingRunReader.read(java.nio.file.Path.of("no-such-run.yaml")));
        assertEquals("no-such-run.yaml: no such file", e.getMessage());
    }
}
