package io.ringtrain.coordinator;

import io.ringtrain.protocol.control.ProgressReport;
import java.util.Optional;

/** Each rank's latest progress report, summed up for the console. */
final class ProgressBoard {

    private final long startStep;
    private final long totalSteps;
    private final ProgressReport[] latest;
    private boolean changed;
    private long lastSteps = -1;
    private long lastNanos;
    private double stepsPerSecond;

    ProgressBoard(int worldSize, long startStep, long totalSteps) {
        this.startStep = startStep;
        this.totalSteps = totalSteps;
        this.latest = new ProgressReport[worldSize];
    }

    void add(ProgressReport report) {
        if (report.getRank() >= 0 && report.getRank() < latest.length) {
            latest[report.getRank()] = report;
            changed = true;
        }
    }

    /** The summed-up progress if any report arrived since the last call. */
    Optional<RunEvent.Progress> takeIfChanged(long nowNanos) {
        if (!changed) {
            return Optional.empty();
        }
        changed = false;
        // Ranks of a synchronous ring are never more than a step apart, but their reports are up to one
        // progress interval old: the furthest report is the freshest view of where the run is.
        long furthest = startStep;
        double lossSum = 0;
        double rate = 0;
        int reporting = 0;
        for (ProgressReport r : latest) {
            if (r == null) {
                continue;
            }
            furthest = Math.max(furthest, r.getStepsDone());
            lossSum += r.getLoss();
            rate += r.getSamplesPerSecond();
            reporting++;
        }
        // The rate over the last interval, smoothed: the first steps run slowly (JIT, caches), so a rate
        // since the start would promise an ETA several times too long for most of the run.
        if (lastSteps >= 0 && furthest > lastSteps && nowNanos > lastNanos) {
            double recent = (furthest - lastSteps) / ((nowNanos - lastNanos) / 1e9);
            stepsPerSecond = stepsPerSecond == 0 ? recent : 0.5 * stepsPerSecond + 0.5 * recent;
        }
        if (furthest != lastSteps) {
            lastSteps = furthest;
            lastNanos = nowNanos;
        }
        return Optional.of(new RunEvent.Progress(furthest, totalSteps, reporting == 0 ? Double.NaN : lossSum / reporting, rate, stepsPerSecond));
    }
}
