package io.ringtrain.worker;

/** Samples per second on one rank: since the last report, and over the whole training time. */
final class ProgressMeter {

    private final long startNanos;
    private long samplesTotal;
    private long samplesAtReport;
    private long nanosAtReport;
    private double lastLoss = Double.NaN;

    ProgressMeter(long nowNanos) {
        this.startNanos = nowNanos;
        this.nanosAtReport = nowNanos;
    }

    void stepDone(StepResult result) {
        samplesTotal += result.samples();
        lastLoss = result.loss();
    }

    double lastLoss() {
        return lastLoss;
    }

    /** Rate since the previous call; starts a new interval. */
    double takeIntervalRate(long nowNanos) {
        double rate = rate(samplesTotal - samplesAtReport, nowNanos - nanosAtReport);
        samplesAtReport = samplesTotal;
        nanosAtReport = nowNanos;
        return rate;
    }

    double overallRate(long nowNanos) {
        return rate(samplesTotal, nowNanos - startNanos);
    }

    private static double rate(long samples, long nanos) {
        return nanos <= 0 ? 0.0 : samples * 1e9 / nanos;
    }
}
