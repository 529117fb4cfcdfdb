package io.ringtrain.coordinator.launch;

import static io.ringtrain.coordinator.launch.TrainingRun.*;

import io.ringtrain.coordinator.ResumeMode;
import io.ringtrain.coordinator.k8s.RunNames;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Reads a run spec strictly: unknown fields are refused naming their path, every value is checked, and every field
 * but the name, image and model has its default (from {@link TrainingRun}). The first problem found is reported,
 * naming the field and what is allowed.
 */
public final class TrainingRunReader {

    private static final YAMLMapper YAML = YAMLMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final Set<String> PULL_POLICIES = Set.of("Always", "IfNotPresent", "Never");
    private static final Set<String> OPTIMIZERS = Set.of("sgd", "adam");

    private TrainingRunReader() {
    }

    /** @throws RunSpecException naming the file and what is wrong */
    public static TrainingRun read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new RunSpecException(file + ": no such file");
        } catch (IOException e) {
            throw new RunSpecException(file + ": cannot read it (" + e.getMessage() + ")");
        }
        try {
            return parse(text);
        } catch (RunSpecException e) {
            throw new RunSpecException(file + ": " + e.getMessage());
        }
    }

    public static TrainingRun parse(String yaml) {
        Object root;
        try {
            List<Object> documents = YAML.readerFor(Object.class).readValues(yaml).readAll();
            documents.removeIf(java.util.Objects::isNull);
            if (documents.size() != 1) {
                throw new RunSpecException("a run spec is one YAML document, found " + documents.size());
            }
            root = documents.get(0);
        } catch (JacksonException e) {
            throw new RunSpecException("not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"));
        }
        return fromTree(root);
    }

    static TrainingRun fromTree(Object root) {
        SpecFields top = SpecFields.of(root, "");
        String apiVersion = top.string("apiVersion", "");
        String kind = top.string("kind", "");
        if (!API_VERSION.equals(apiVersion) || !KIND.equals(kind)) {
            throw new RunSpecException("apiVersion and kind must be " + API_VERSION + " and " + KIND + ", got '" + apiVersion
                    + "' and '" + kind + "'");
        }
        SpecFields metadata = top.object("metadata");
        String name = metadata.requiredString("name", "mlp-demo");
        KubernetesNames.requireDns1035Label(name, RunNames.MAX_RUN_NAME, "metadata.name", RunNames.WHY_MAX_RUN_NAME);
        String namespace = metadata.string("namespace", "");
        if (!namespace.isEmpty()) {
            KubernetesNames.requireDns1123Label(namespace, "metadata.namespace");
        }
        Map<String, String> labels = metadata.stringMap("labels");
        labels.forEach((k, v) -> {
            KubernetesNames.requireQualifiedName(k, "metadata.labels");
            KubernetesNames.requireLabelValue(v, "metadata.labels." + k);
            if (RunNames.OWN_LABELS.contains(k)) {
                throw new RunSpecException("metadata.labels." + k + " is set by ringtrain for every run (" + String.join(", ",
                        RunNames.OWN_LABELS) + "); choose another key");
            }
        });
        Map<String, String> annotations = metadata.stringMap("annotations");
        annotations.keySet().forEach(k -> KubernetesNames.requireQualifiedName(k, "metadata.annotations"));
        metadata.done();
        Spec spec = spec(top.object("spec"));
        top.done();
        return new TrainingRun(name, namespace, labels, annotations, spec);
    }

    private static Spec spec(SpecFields s) {
        String image = s.requiredString("image", "registry.example.com/ml/ringtrain:0.1.0");
        requireImage(image, s.path("image"));
        String pullPolicy = s.string("imagePullPolicy", DEFAULT_IMAGE_PULL_POLICY);
        require(PULL_POLICIES.contains(pullPolicy), s.path("imagePullPolicy") + " must be Always, IfNotPresent or Never, got '" + pullPolicy + "'");
        String model = s.requiredString("model", "mlp");
        Map<String, String> options = s.stringMap("modelOptions");
        options.keySet().forEach(k -> require(!k.isBlank() && !k.contains("="), s.path("modelOptions") + " has key '" + k
                + "': keys must be non-empty and without '='"));
        long steps = s.integer("steps", DEFAULT_STEPS);
        require(steps >= 1, s.path("steps") + " must be at least 1, got " + steps);
        int globalBatch = s.smallInteger("globalBatch", DEFAULT_GLOBAL_BATCH);
        String optimizer = s.string("optimizer", DEFAULT_OPTIMIZER);
        require(OPTIMIZERS.contains(optimizer), s.path("optimizer") + " must be sgd or adam, got '" + optimizer + "'");
        double learningRate = s.number("learningRate", DEFAULT_LEARNING_RATE);
        require(learningRate >= 0 && Double.isFinite(learningRate), s.path("learningRate") + " must be 0 (the optimizer's default)"
                + " or a positive number, got " + learningRate);
        long seed = s.integer("seed", DEFAULT_SEED);
        String priorityClass = s.string("priorityClassName", "");
        if (!priorityClass.isEmpty()) {
            KubernetesNames.requireDns1123Subdomain(priorityClass, s.path("priorityClassName"));
        }
        Workers workers = workers(s.object("workers"), image);
        require(globalBatch >= workers.max(), s.path("globalBatch") + " (" + globalBatch + ") is smaller than spec.workers.max ("
                + workers.max() + "): every worker needs at least one sample per step");
        Coordinator coordinator = coordinator(s.object("coordinator"));
        Checkpoints checkpoints = checkpoints(s.object("checkpoints"));
        DataPlane dataPlane = dataPlane(s.object("dataPlane"));
        s.done();
        Spec spec = new Spec(image, pullPolicy, model, options, steps, globalBatch, optimizer, learningRate, seed, priorityClass,
                workers, coordinator, checkpoints, dataPlane);
        PodSizing.check(spec);
        return spec;
    }

    private static Workers workers(SpecFields w, String image) {
        int replicas = w.smallInteger("replicas", DEFAULT_WORKERS);
        require(replicas >= 1, w.path("replicas") + " must be at least 1, got " + replicas);
        // Unset, min and max follow replicas (a fixed world size), within whichever of the two is set.
        boolean hasMin = w.has("min");
        boolean hasMax = w.has("max");
        int givenMin = w.smallInteger("min", replicas);
        int givenMax = w.smallInteger("max", replicas);
        int min = hasMin ? givenMin : hasMax ? Math.min(replicas, givenMax) : replicas;
        int max = hasMax ? givenMax : Math.max(replicas, min);
        require(min >= 1, w.path("min") + " must be at least 1, got " + min);
        require(min <= max, w.path("min") + " (" + min + ") is greater than " + w.path("max") + " (" + max + ")");
        require(replicas >= min && replicas <= max, w.path("replicas") + " (" + replicas + ") must be between " + w.path("min")
                + " (" + min + ") and " + w.path("max") + " (" + max + "): the run waits for min workers and turns away more than max");
        String workerImage = w.string("image", image);
        requireImage(workerImage, w.path("image"));
        SpecFields r = w.object("resources");
        Resources resources = new Resources(r.quantity("cpu", DEFAULT_WORKER_CPU), r.quantity("memory", DEFAULT_WORKER_MEMORY),
                r.smallInteger("gpus", 0));
        requireQuantities(r, resources);
        require(resources.gpus() >= 0, r.path("gpus") + " must be 0 or more, got " + resources.gpus());
        r.done();
        Placement placement = placement(w);
        w.done();
        return new Workers(replicas, min, max, workerImage, resources, placement);
    }

    private static Coordinator coordinator(SpecFields c) {
        SpecFields r = c.object("resources");
        Resources resources = new Resources(r.quantity("cpu", DEFAULT_COORDINATOR_CPU), r.quantity("memory", DEFAULT_COORDINATOR_MEMORY), 0);
        requireQuantities(r, resources);
        r.done();
        Placement placement = placement(c);
        c.done();
        return new Coordinator(resources, placement);
    }

    private static Placement placement(SpecFields p) {
        Map<String, String> nodeSelector = p.stringMap("nodeSelector");
        nodeSelector.forEach((k, v) -> {
            KubernetesNames.requireQualifiedName(k, p.path("nodeSelector"));
            KubernetesNames.requireLabelValue(v, p.path("nodeSelector") + "." + k);
        });
        List<Toleration> tolerations = new ArrayList<>();
        for (SpecFields t : p.objects("tolerations")) {
            tolerations.add(toleration(t));
        }
        return new Placement(nodeSelector, tolerations);
    }

    private static Toleration toleration(SpecFields t) {
        String key = t.string("key", "");
        String operator = t.string("operator", "Equal");
        String value = t.string("value", "");
        String effect = t.string("effect", "");
        boolean timed = t.has("tolerationSeconds");
        long limit = t.integer("tolerationSeconds", 0);
        Long seconds = timed ? limit : null;
        require(Set.of("Equal", "Exists").contains(operator), t.path("operator") + " must be Equal or Exists, got '" + operator + "'");
        require(!"Exists".equals(operator) || value.isEmpty(), t.path("value") + " must be empty with operator Exists");
        require(!key.isEmpty() || "Exists".equals(operator), t.path("key") + " may be empty only with operator Exists");
        require(Set.of("", "NoSchedule", "PreferNoSchedule", "NoExecute").contains(effect), t.path("effect")
                + " must be NoSchedule, PreferNoSchedule, NoExecute or empty (all), got '" + effect + "'");
        require(seconds == null || "NoExecute".equals(effect), t.path("tolerationSeconds") + " applies to effect NoExecute only");
        if (!key.isEmpty()) {
            KubernetesNames.requireQualifiedName(key, t.path("key"));
        }
        t.done();
        return new Toleration(key, operator, value, effect, seconds);
    }

    private static Checkpoints checkpoints(SpecFields c) {
        String uri = c.string("uri", DEFAULT_CHECKPOINT_URI);
        requireS3Uri(uri, c.path("uri"));
        long every = c.integer("every", DEFAULT_CHECKPOINT_EVERY);
        require(every >= 0, c.path("every") + " must be 0 (never) or more, got " + every);
        int keep = c.smallInteger("keep", DEFAULT_CHECKPOINT_KEEP);
        require(keep >= 1, c.path("keep") + " must be at least 1 (the newest valid checkpoint is always kept), got " + keep);
        String resume;
        try {
            resume = ResumeMode.parse(c.string("resume", DEFAULT_RESUME), c.path("resume")).flagValue();
        } catch (IllegalArgumentException e) {
            throw new RunSpecException(e.getMessage());
        }
        SpecFields s3 = c.object("s3");
        String secret = s3.string("secret", "");
        if (!secret.isEmpty()) {
            KubernetesNames.requireDns1123Subdomain(secret, s3.path("secret"));
        }
        String endpoint = s3.string("endpoint", "");
        if (!endpoint.isEmpty()) {
            URI parsed = parseUri(endpoint, s3.path("endpoint"));
            require(("http".equals(parsed.getScheme()) || "https".equals(parsed.getScheme())) && parsed.getHost() != null,
                    s3.path("endpoint") + " must be http(s)://host[:port], got '" + endpoint + "'");
        }
        String region = s3.string("region", DEFAULT_S3_REGION);
        require(!region.isEmpty(), s3.path("region") + " must not be empty (e.g. us-east-1)");
        s3.done();
        c.done();
        return new Checkpoints(uri, every, keep, resume, new S3(secret, endpoint, region));
    }

    private static DataPlane dataPlane(SpecFields d) {
        int port = d.smallInteger("port", DEFAULT_DATA_PLANE_PORT);
        require(port >= 1024 && port <= 65535 && !RunNames.RESERVED_PORTS.contains(port), d.path("port") + " must be 1024-65535 and not "
                + RunNames.RESERVED_PORTS + " (the cluster and management ports), got " + port);
        String term = d.quantity("termLength", DEFAULT_TERM_LENGTH);
        long termBytes;
        try {
            termBytes = PodSizing.bytes(term);
        } catch (RuntimeException e) {
            throw new RunSpecException(d.path("termLength") + " must be a size such as 4Mi, got '" + term + "'");
        }
        require(termBytes <= Integer.MAX_VALUE, d.path("termLength") + " " + term + " must be at most 1Gi");
        int mtu = d.smallInteger("mtu", 0);
        DataPlane dataPlane = new DataPlane(port, (int) termBytes, mtu, d.string("threading", DEFAULT_THREADING),
                d.string("idleStrategy", DEFAULT_IDLE_STRATEGY));
        d.done();
        PodSizing.dataPlane(dataPlane);
        return dataPlane;
    }

    private static void requireQuantities(SpecFields r, Resources resources) {
        for (String field : List.of("cpu", "memory")) {
            String value = field.equals("cpu") ? resources.cpu() : resources.memory();
            try {
                require(PodSizing.bytes(value) > 0, r.path(field) + " must be more than 0, got " + value);
            } catch (RunSpecException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new RunSpecException(r.path(field) + " must be a Kubernetes quantity such as " + (field.equals("cpu") ? "2 or 500m"
                        : "4Gi or 512Mi") + ", got '" + value + "'");
            }
        }
    }

    private static void requireImage(String image, String field) {
        require(!image.isBlank() && image.chars().noneMatch(Character::isWhitespace), field + " must be an image reference such as"
                + " registry.example.com/ml/ringtrain:0.1.0, got '" + image + "'");
    }

    private static void requireS3Uri(String uri, String field) {
        URI parsed = parseUri(uri, field);
        require("s3".equals(parsed.getScheme()) && parsed.getHost() != null && parsed.getQuery() == null, field
                + " must be s3://bucket/prefix (pods lose their files when they go; the endpoint is spec.checkpoints.s3.endpoint),"
                + " got '" + uri + "'");
    }

    private static URI parseUri(String value, String field) {
        try {
            return new URI(value);
        } catch (java.net.URISyntaxException e) {
            throw new RunSpecException(field + " is not a valid URI: '" + value + "'");
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new RunSpecException(message);
        }
    }
}
