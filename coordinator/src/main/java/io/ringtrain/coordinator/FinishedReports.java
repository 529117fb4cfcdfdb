package io.ringtrain.coordinator;

import io.ringtrain.protocol.control.WorkerFinished;
import io.ringtrain.worker.RunSettings;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/** The ranks' final reports, until all are in; then the run's {@link RunResult}. */
final class FinishedReports {

    private final WorkerFinished[] byRank;
    private int count;

    FinishedReports(int worldSize) {
        this.byRank = new WorkerFinished[worldSize];
    }

    /** Returns true once every rank has reported. */
    boolean add(WorkerFinished report) {
        if (byRank[report.getRank()] == null) {
            count++;
        }
        byRank[report.getRank()] = report;
        return count == byRank.length;
    }

    boolean isComplete() {
        return count == byRank.length;
    }

    RunResult result(RunSettings run, long startStep, Duration trainingTime, int checkpointsCommitted,
                     OptionalLong lastCheckpointStep, Duration timeToFirstStep, Duration elapsed) {
        double lossSum = 0;
        long stepsDone = Long.MAX_VALUE;
        Map<String, Double> metricSums = new HashMap<>();
        for (WorkerFinished r : byRank) {
            lossSum += r.getFinalLoss();
            stepsDone = Math.min(stepsDone, r.getStepsDone());
            r.getMetricsMap().forEach((k, v) -> metricSums.merge(k, v, Double::sum));
        }
        Map<String, Double> metrics = new HashMap<>();
        metricSums.forEach((k, v) -> metrics.put(k, v / byRank.length));
        double seconds = trainingTime.toNanos() / 1e9;
        double samplesPerSecond = seconds > 0 ? (stepsDone - startStep) * (double) run.globalBatch() / seconds : 0;
        return new RunResult(run.runId(), byRank.length, startStep, stepsDone, lossSum / byRank.length, accuracy(),
                samplesPerSecond, checkpointsCommitted, lastCheckpointStep, timeToFirstStep, elapsed, metrics);
    }

    /** Rank 0's held-out accuracy: every rank holds the same parameters, so one evaluation is the run's. */
    private OptionalDouble accuracy() {
        for (WorkerFinished r : byRank) {
            if (r.hasHeldOutAccuracy()) {
                return OptionalDouble.of(r.getHeldOutAccuracy());
            }
        }
        return OptionalDouble.empty();
    }
}
