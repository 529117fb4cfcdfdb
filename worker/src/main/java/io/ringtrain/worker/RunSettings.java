package io.ringtrain.worker;

import io.ringtrain.protocol.control.RunSpec;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Settings every worker of a run shares. The coordinator decides them and sends them in its
 * {@code Welcome}, so workers cannot disagree about the run.
 *
 * @param checkpointEvery save when steps-done % checkpointEvery == 0; 0 = never
 * @param exportParams    empty: no export; else rank 0 writes all parameters there at the end
 * @param options         model- or session-specific settings
 */
public record RunSettings(
        String runId,
        String model,
        long seed,
        int globalBatch,
        long totalSteps,
        String optimizer,
        double learningRate,
        String checkpointUri,
        String s3Endpoint,
        long checkpointEvery,
        Duration progressInterval,
        String exportParams,
        Map<String, String> options) {

    private static final Pattern RUN_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    public RunSettings {
        options = Map.copyOf(options);
        require(runId != null && RUN_ID.matcher(runId).matches(),
                "run id '" + runId + "' must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit");
        require(model != null && !model.isBlank(), "model must be named");
        require(globalBatch >= 1, "global batch must be at least 1, got " + globalBatch);
        require(totalSteps >= 1, "steps must be at least 1, got " + totalSteps);
        require(optimizer != null && !optimizer.isBlank(), "optimizer must be named");
        require(learningRate > 0 && Double.isFinite(learningRate), "learning rate must be a positive number, got " + learningRate);
        require(checkpointUri != null && !checkpointUri.isBlank(), "checkpoint location must be given");
        require(checkpointEvery >= 0, "checkpoint-every must be 0 (never) or more, got " + checkpointEvery);
        require(progressInterval != null && !progressInterval.isNegative() && !progressInterval.isZero(),
                "progress interval must be positive, got " + progressInterval);
        s3Endpoint = s3Endpoint == null ? "" : s3Endpoint;
        exportParams = exportParams == null ? "" : exportParams;
    }

    /** Option ({@code -O}): threads ND4J's native code may use per worker. Does not change the result. */
    public static final String COMPUTE_THREADS = "compute-threads";
    /** Option ({@code -O}): parked compute time per step, a stand-in for a bigger model. Does not change the result. */
    public static final String SYNTHETIC_COMPUTE_MS = "synthetic-compute-ms";
    /**
     * The options that change how a run executes but not what it computes; every other option (model sizes,
     * {@code optim.*}) decides the result, so a checkpoint records it and a resume must keep it.
     */
    public static final Set<String> EXECUTION_OPTIONS = Set.of(COMPUTE_THREADS, SYNTHETIC_COMPUTE_MS);
    /** Prefix of the options recorded in {@link #resultConfig()}. */
    public static final String OPTION_PREFIX = "option.";

    /** The key of {@link #resultConfig()} that a resumed run may change (raised, to train further). */
    public static final String TOTAL_STEPS = "total_steps";

    /**
     * The settings that decide the run's result, as every checkpoint manifest records them (run_config): a run
     * resumed from a checkpoint must use the same ones, except {@link #TOTAL_STEPS}.
     */
    public Map<String, String> resultConfig() {
        Map<String, String> config = new java.util.LinkedHashMap<>();
        config.put("model", model);
        config.put("seed", Long.toString(seed));
        config.put("global_batch", Integer.toString(globalBatch));
        config.put("optimizer", optimizer);
        config.put("learning_rate", Double.toString(learningRate));
        config.put(TOTAL_STEPS, Long.toString(totalSteps));
        new TreeMap<>(options).forEach((key, value) -> {
            if (!EXECUTION_OPTIONS.contains(key)) {
                config.put(OPTION_PREFIX + key, value);
            }
        });
        return config;
    }

    /** Whether a checkpoint is due once {@code stepsDone} steps are done. */
    public boolean checkpointDueAfter(long stepsDone) {
        return checkpointEvery > 0 && stepsDone > 0 && stepsDone % checkpointEvery == 0;
    }

    /**
     * The checkpoint root as the checkpoint library opens it: {@link #checkpointUri()}, with the S3
     * endpoint as its {@code ?endpoint=} parameter when one is set.
     */
    public String checkpointStoreUri() {
        if (s3Endpoint.isEmpty() || !checkpointUri.startsWith("s3://")) {
            return checkpointUri;
        }
        return checkpointUri + (checkpointUri.contains("?") ? "&" : "?") + "endpoint=" + s3Endpoint;
    }

    public RunSpec toProto() {
        return RunSpec.newBuilder()
                .setRunId(runId).setModel(model).setSeed(seed).setGlobalBatch(globalBatch)
                .setTotalSteps(totalSteps).setOptimizer(optimizer).setLearningRate(learningRate)
                .setCheckpointUri(checkpointUri).setS3Endpoint(s3Endpoint).setCheckpointEvery(checkpointEvery)
                .setProgressIntervalMs(progressInterval.toMillis()).setExportParamsPath(exportParams)
                .putAllOptions(options)
                .build();
    }

    public static RunSettings fromProto(RunSpec spec) {
        return new RunSettings(spec.getRunId(), spec.getModel(), spec.getSeed(), spec.getGlobalBatch(),
                spec.getTotalSteps(), spec.getOptimizer(), spec.getLearningRate(), spec.getCheckpointUri(),
                spec.getS3Endpoint(), spec.getCheckpointEvery(), Duration.ofMillis(spec.getProgressIntervalMs()),
                spec.getExportParamsPath(), spec.getOptionsMap());
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
