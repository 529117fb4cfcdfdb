package io.ringtrain.coordinator;

import io.ringtrain.protocol.control.WorkerFinished;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;

/** The final reports of one ring generation's ranks, until all are in. An immutable value. */
record FinishedReports(int worldSize, Map<Integer, WorkerFinished> byRank) {

    FinishedReports {
        byRank = java.util.Collections.unmodifiableMap(new TreeMap<>(byRank));
    }

    static FinishedReports none(int worldSize) {
        return new FinishedReports(worldSize, Map.of());
    }

    FinishedReports add(WorkerFinished report) {
        Map<Integer, WorkerFinished> next = new TreeMap<>(byRank);
        next.put(report.getRank(), report);
        return new FinishedReports(worldSize, next);
    }

    boolean isComplete() {
        return byRank.size() == worldSize;
    }

    long stepsDone() {
        return byRank.values().stream().mapToLong(WorkerFinished::getStepsDone).min().orElse(0);
    }

    double meanFinalLoss() {
        return byRank.values().stream().mapToDouble(WorkerFinished::getFinalLoss).average().orElse(Double.NaN);
    }

    /** Each worker metric averaged over ranks. */
    Map<String, Double> meanMetrics() {
        Map<String, Double> sums = new HashMap<>();
        byRank.values().forEach(r -> r.getMetricsMap().forEach((k, v) -> sums.merge(k, v, Double::sum)));
        Map<String, Double> means = new HashMap<>();
        sums.forEach((k, v) -> means.put(k, v / byRank.size()));
        return means;
    }

    /** Rank 0's held-out accuracy: every rank holds the same parameters, so one evaluation is the run's. */
    OptionalDouble accuracy() {
        for (WorkerFinished r : byRank.values()) {
            if (r.hasHeldOutAccuracy()) {
                return OptionalDouble.of(r.getHeldOutAccuracy());
            }
        }
        return OptionalDouble.empty();
    }
}
