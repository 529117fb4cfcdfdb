package io.ringtrain.coordinator;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * The summary of a finished run.
 *
 * @param samplesPerSecond  global: samples of all ranks over the training time the coordinator saw
 * @param timeToFirstStep   from the coordinator's start to the first rank's first finished step
 * @param metrics           each worker metric averaged over ranks
 * @param generations       ring generations the run went through
 * @param changes           every change of the ring after the first, in order
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
        Map<String, Double> metrics,
        long generations,
        List<MembershipChange> changes) {

    public RunResult {
        metrics = Map.copyOf(metrics);
        changes = List.copyOf(changes);
    }
}
