package io.ringtrain.coordinator.cli;

import com.typesafe.config.Config;
import io.ringtrain.coordinator.ResumeMode;
import io.ringtrain.worker.RunSettings;
import io.ringtrain.worker.TrainingSessions;
import io.ringtrain.worker.optim.Optimizers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Flags that describe the run; shared by {@code local} and {@code coordinator}. Defaults come from ringtrain.run.*. */
final class RunOptions {

    @Option(names = "--run-id", paramLabel = "NAME", description = "Names the run in the checkpoint location; --resume looks for it. Default: ${DEFAULT-VALUE}")
    String runId;

    @Option(names = "--model", paramLabel = "NAME", description = "Model to train. Default: ${DEFAULT-VALUE}")
    String model;

    @Option(names = "--steps", paramLabel = "N", description = "Training steps (global batches). Default: ${DEFAULT-VALUE}")
    long steps;

    @Option(names = "--global-batch", paramLabel = "B", description = "Samples per step, split across the workers. Default: ${DEFAULT-VALUE}")
    int globalBatch;

    @Option(names = "--seed", paramLabel = "N", description = "Seed for the data and the initial parameters. Default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--optimizer", paramLabel = "NAME", description = "One of ND4J's optimizers: sgd (Nesterov momentum 0.9;"
            + " -O optim.momentum=0 for plain SGD), adam, adamw, adamax, amsgrad, rmsprop, adagrad. Their settings are -O"
            + " optim.* options (optim.momentum, optim.beta1, optim.beta2, optim.epsilon, optim.rms-decay, optim.weight-decay,"
            + " optim.clip-norm, optim.schedule, optim.warmup). Default: ${DEFAULT-VALUE}")
    String optimizer;

    @Option(names = {"--lr", "--learning-rate"}, paramLabel = "RATE", description = "Learning rate; 0: the optimizer's default"
            + " (the README's Optimizers table; io.ringtrain.worker.optim.Optimizers holds them). Default: ${DEFAULT-VALUE}")
    double learningRate;

    @Option(names = "--checkpoint-dir", paramLabel = "PATH|URI", description = "A path, file:///path or s3://bucket/prefix. Default: ${DEFAULT-VALUE}")
    String checkpointDir;

    @Option(names = "--s3-endpoint", paramLabel = "URL", description = "S3-compatible endpoint (path-style access). Default: AWS_ENDPOINT_URL or the SDK's default")
    String s3Endpoint;

    @Option(names = "--checkpoint-every", paramLabel = "K", description = "Save a checkpoint every K steps; 0: never. Default: ${DEFAULT-VALUE}")
    long checkpointEvery;

    @Option(names = "--resume", arity = "0..1", fallbackValue = "always", paramLabel = "MODE",
            description = "Where the run starts. always (a bare --resume): the newest committed checkpoint of the run, failing if"
                    + " there is none; auto: that checkpoint if there is one, else step 0, and not at all if the run finished;"
                    + " never: step 0. Default: ${DEFAULT-VALUE}")
    String resume;

    /** --resume as a mode; a bad value fails naming the flag. */
    ResumeMode resumeMode() {
        return ResumeMode.parse(resume, "--resume");
    }

    @Option(names = "--export-params", paramLabel = "FILE", description = "Write all parameters as a float32 .npy file at the end.")
    String exportParams;

    @Option(names = "--progress-interval", paramLabel = "DURATION", description = "How often workers report progress. Default: ${DEFAULT-VALUE}")
    Duration progressInterval;

    @Option(names = {"-O", "--option"}, paramLabel = "KEY=VALUE", description = "Model- or session-specific setting; repeatable.")
    Map<String, String> options = new LinkedHashMap<>();

    /** Validates the flags (each message names its flag) and builds the run's settings. */
    RunSettings toRunSettings(Config config, TrainingSessions sessions) {
        require(steps >= 1, "--steps must be at least 1, got " + steps);
        require(globalBatch >= 1, "--global-batch must be at least 1, got " + globalBatch);
        require(learningRate >= 0 && Double.isFinite(learningRate), "--lr must be a positive number (or 0 for the optimizer's default), got " + learningRate);
        require(checkpointEvery >= 0, "--checkpoint-every must be 0 (never) or more, got " + checkpointEvery);
        require(Optimizers.names().contains(optimizer), "--optimizer must be one of " + String.join(", ", Optimizers.names())
                + ", got '" + optimizer + "'");
        require(!progressInterval.isNegative() && !progressInterval.isZero(), "--progress-interval must be positive, got " + progressInterval);
        sessions.forModel(model);
        String location = Preflight.checkpointLocation(checkpointDir);
        String export = exportParams == null || exportParams.isBlank() ? "" : Preflight.outputFile(Path.of(exportParams), "--export-params").toString();
        Map<String, String> merged = new LinkedHashMap<>();
        config.getConfig("ringtrain.run.options").entrySet().forEach(e -> merged.put(e.getKey(), String.valueOf(e.getValue().unwrapped())));
        merged.putAll(options);
        double rate = learningRate > 0 ? learningRate : Optimizers.defaultLearningRate(optimizer);
        RunSettings settings = new RunSettings(runId, model, seed, globalBatch, steps, optimizer, rate, location,
                s3Endpoint == null ? "" : s3Endpoint, checkpointEvery, progressInterval, export, merged);
        sessions.check(settings);
        return settings;
    }

    static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
