package io.ringtrain.coordinator.launch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.dataformat.yaml.YAMLMapper;
import tools.jackson.dataformat.yaml.YAMLWriteFeature;

/**
 * A run spec in its canonical form: every field, defaults filled in, in the order of the reference. Launch stores it in
 * the run's ConfigMap and compares it with the next spec to say what changes; reading it back gives the same run.
 */
public final class TrainingRunWriter {

    static final YAMLMapper YAML = YAMLMapper.builder().disable(YAMLWriteFeature.WRITE_DOC_START_MARKER)
            .enable(YAMLWriteFeature.MINIMIZE_QUOTES).enable(YAMLWriteFeature.INDENT_ARRAYS_WITH_INDICATOR).build();

    private TrainingRunWriter() {
    }

    public static String yaml(TrainingRun run) {
        return YAML.writeValueAsString(tree(run));
    }

    /** The canonical spec as nested maps and lists, for comparing two specs field by field. */
    public static Map<String, Object> tree(TrainingRun run) {
        TrainingRun.Spec s = run.spec();
        Map<String, Object> metadata = map("name", run.name());
        if (!run.namespace().isEmpty()) {
            metadata.put("namespace", run.namespace());
        }
        metadata.put("labels", new TreeMap<>(run.labels()));
        metadata.put("annotations", new TreeMap<>(run.annotations()));
        Map<String, Object> spec = map("image", s.image());
        spec.put("imagePullPolicy", s.imagePullPolicy());
        spec.put("model", s.model());
        spec.put("modelOptions", new TreeMap<>(s.modelOptions()));
        spec.put("steps", s.steps());
        spec.put("globalBatch", s.globalBatch());
        spec.put("optimizer", s.optimizer());
        spec.put("learningRate", s.learningRate());
        spec.put("seed", s.seed());
        spec.put("priorityClassName", s.priorityClassName());
        TrainingRun.Workers w = s.workers();
        Map<String, Object> workers = map("replicas", w.replicas());
        workers.put("min", w.min());
        workers.put("max", w.max());
        workers.put("image", w.image());
        Map<String, Object> workerResources = map("cpu", w.resources().cpu());
        workerResources.put("memory", w.resources().memory());
        workerResources.put("gpus", w.resources().gpus());
        workers.put("resources", workerResources);
        placement(workers, w.placement());
        spec.put("workers", workers);
        Map<String, Object> coordinatorResources = map("cpu", s.coordinator().resources().cpu());
        coordinatorResources.put("memory", s.coordinator().resources().memory());
        Map<String, Object> coordinator = map("resources", coordinatorResources);
        placement(coordinator, s.coordinator().placement());
        spec.put("coordinator", coordinator);
        TrainingRun.Checkpoints c = s.checkpoints();
        Map<String, Object> checkpoints = map("uri", c.uri());
        checkpoints.put("every", c.every());
        checkpoints.put("keep", c.keep());
        checkpoints.put("resume", c.resume());
        Map<String, Object> s3 = map("secret", c.s3().secret());
        s3.put("endpoint", c.s3().endpoint());
        s3.put("region", c.s3().region());
        checkpoints.put("s3", s3);
        spec.put("checkpoints", checkpoints);
        TrainingRun.DataPlane d = s.dataPlane();
        Map<String, Object> dataPlane = map("port", d.port());
        dataPlane.put("termLength", d.termLength());
        dataPlane.put("mtu", d.mtu());
        dataPlane.put("threading", d.threading());
        dataPlane.put("idleStrategy", d.idleStrategy());
        spec.put("dataPlane", dataPlane);
        Map<String, Object> root = map("apiVersion", TrainingRun.API_VERSION);
        root.put("kind", TrainingRun.KIND);
        root.put("metadata", metadata);
        root.put("spec", spec);
        return root;
    }

    private static void placement(Map<String, Object> into, TrainingRun.Placement placement) {
        into.put("nodeSelector", new TreeMap<>(placement.nodeSelector()));
        List<Object> tolerations = new ArrayList<>();
        for (TrainingRun.Toleration t : placement.tolerations()) {
            Map<String, Object> toleration = new LinkedHashMap<>();
            if (!t.key().isEmpty()) {
                toleration.put("key", t.key());
            }
            toleration.put("operator", t.operator());
            if (!t.value().isEmpty()) {
                toleration.put("value", t.value());
            }
            if (!t.effect().isEmpty()) {
                toleration.put("effect", t.effect());
            }
            if (t.seconds() != null) {
                toleration.put("tolerationSeconds", t.seconds());
            }
            tolerations.add(toleration);
        }
        into.put("tolerations", tolerations);
    }

    private static Map<String, Object> map(String key, Object value) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put(key, value);
        return map;
    }
}
