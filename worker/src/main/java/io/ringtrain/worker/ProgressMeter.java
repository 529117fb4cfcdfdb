package io.ringtrain.worker;

/**
 * Samples per second on one rank, since the last report and over its whole training time; an immutable value
 * the Worker passes from step to step.
 */
record ProgressMeter(long startNanos, long samplesTotal, long samplesAtReport, long nanosAtReport, double lastLoss) {

    static ProgressMeter startingAt(long nowNanos) {
        return new ProgressMeter(nowNanos, 0, 0, nowNanos, Double.NaN);
    }

    ProgressMeter stepDone(StepResult result) {
        return new ProgressMeter(startNanos, samplesTotal + result.localSamples(), samplesAtReport, nanosAtReport,
                result.meanLoss());
    }

    /** This rank's samples per second since the last report (or the start). */
    double intervalRate(long nowNanos) {
        return rate(samplesTotal - samplesAtReport, nowNanos - nanosAtReport);
    }

    /** The meter after a report at {@code nowNanos}: the next interval starts there. */
    ProgressMeter reported(long nowNanos) {
        return new ProgressMeter(startNanos, samplesTotal, samplesTotal, nowNanos, lastLoss);
    }

    double overallRate(long nowNanos) {
        return rate(samplesTotal, nowNanos - startNanos);
    }

    private static double rate(long samples, long nanos) {
        return nanos <= 0 ? 0.0 : samples * 1e9 / nanos;
    }
}
