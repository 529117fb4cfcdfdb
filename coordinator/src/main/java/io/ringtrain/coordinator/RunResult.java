package io.ringtrain.coordinator;

import java.time.Duration;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * The summary of a finished run.
 *
 * @param samplesPerSecond  global: samples of all ranks over the training time the coordinator saw
 * @param timeToFirstStep   from the coordinator's start to the first rank's first finished step
 * @param metrics           each worker metric averaged over ranks
 */
public record RunResult(
        String runId,
        int worldSize,
        long startStep,
        long stepsDone,
        double finalLoss,
        OptionalDouble heldOutAccuracy,
        double samplesPerSecond,
        int checkpointsCommitted,
        OptionalLong lastCheckpointStep,
        Duration timeToFirstStep,
        Duration elapsed,
        Map<String, Double> metrics) {

    public RunResult {
        metrics = Map.copyOf(metrics);
    }
}
