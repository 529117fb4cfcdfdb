package io.ringtrain.coordinator;

import io.ringtrain.protocol.control.ProgressReport;
import java.util.Optional;

/** Each rank's latest progress report, summed up for the console. */
final class ProgressBoard {

    private final long startStep;
    private final long totalSteps;
    private final long startNanos;
    private final ProgressReport[] latest;
    private boolean changed;

    ProgressBoard(int worldSize, long startStep, long totalSteps, long startNanos) {
        this.startStep = startStep;
        this.totalSteps = totalSteps;
        this.startNanos = startNanos;
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
        double seconds = (nowNanos - startNanos) / 1e9;
        double stepsPerSecond = seconds > 0 ? (furthest - startStep) / seconds : 0;
        return Optional.of(new RunEvent.Progress(furthest, totalSteps, reporting == 0 ? Double.NaN : lossSum / reporting, rate, stepsPerSecond));
    }
}
