package io.ringtrain.coordinator;

import io.ringtrain.protocol.control.ProgressReport;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Each rank's latest progress report in the current ring generation, summed up for the console; the step rate is
 * smoothed across generations. An immutable value.
 */
record ProgressBoard(long totalSteps, int worldSize, Map<Integer, ProgressReport> latest, boolean changed, long lastSteps,
                     long lastNanos, double stepsPerSecond, long furthest) {

    ProgressBoard {
        latest = java.util.Collections.unmodifiableMap(new TreeMap<>(latest));
    }

    static ProgressBoard starting(long totalSteps, long startStep) {
        return new ProgressBoard(totalSteps, 0, Map.of(), false, -1, 0, 0, startStep);
    }

    /** A new generation: reports of the old one no longer count, but the rate and the furthest step carry over. */
    ProgressBoard forGeneration(int worldSize, long startStep) {
        return new ProgressBoard(totalSteps, worldSize, Map.of(), false, lastSteps, lastNanos, stepsPerSecond, startStep);
    }

    ProgressBoard add(ProgressReport report) {
        if (report.getRank() < 0 || report.getRank() >= worldSize) {
            return this;
        }
        Map<Integer, ProgressReport> next = new TreeMap<>(latest);
        next.put(report.getRank(), report);
        return new ProgressBoard(totalSteps, worldSize, next, true, lastSteps, lastNanos, stepsPerSecond,
                Math.max(furthest, report.getStepsDone()));
    }

    /** The summed-up progress, if any report arrived since the last one was taken, and the board after taking it. */
    record Taken(ProgressBoard board, Optional<RunEvent.Progress> progress) {
    }

    Taken takeIfChanged(long nowNanos) {
        if (!changed) {
            return new Taken(this, Optional.empty());
        }
        // Ranks of a synchronous ring are never more than a step apart, but their reports are up to one
        // progress interval old: the furthest report is the freshest view of where the run is.
        double lossSum = 0;
        double rate = 0;
        for (ProgressReport r : latest.values()) {
            lossSum += r.getLoss();
            rate += r.getSamplesPerSecond();
        }
        // The rate over the last interval, smoothed: the first steps run slowly (JIT, caches), so a rate
        // since the start would promise an ETA several times too long for most of the run.
        double smoothed = stepsPerSecond;
        if (lastSteps >= 0 && furthest > lastSteps && nowNanos > lastNanos) {
            double recent = (furthest - lastSteps) / ((nowNanos - lastNanos) / 1e9);
            smoothed = smoothed == 0 ? recent : 0.5 * smoothed + 0.5 * recent;
        }
        boolean moved = furthest != lastSteps;
        ProgressBoard next = new ProgressBoard(totalSteps, worldSize, latest, false, moved ? furthest : lastSteps,
                moved ? nowNanos : lastNanos, smoothed, furthest);
        return new Taken(next, Optional.of(new RunEvent.Progress(furthest, totalSteps,
                latest.isEmpty() ? Double.NaN : lossSum / latest.size(), rate, smoothed, worldSize)));
    }
}
