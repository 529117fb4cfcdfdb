package io.ringtrain.worker;

import java.util.Locale;

/**
 * What one data-parallel step did. Everything but the local sample count and the timings is the same on every
 * rank, because every rank reduces the same sums.
 *
 * @param step               the step's index (the steps done before it)
 * @param meanLoss           mean loss over the whole global batch, from every rank's loss sum
 * @param samples            samples in the step over all ranks (the global batch)
 * @param localSamples       samples this rank computed (0 when there are more ranks than samples)
 * @param computeNanos       forward and backward on this rank; bucket all-reduces already run meanwhile
 * @param allReduceWaitNanos from the end of backward until every all-reduce of the step had finished
 * @param optimizerNanos     dividing by the global batch and the optimizer update
 * @param stopAgreed         some rank asked to stop at this step's boundary (a pause or a departure); every rank
 *                           sees the same answer, because it travels in the step's own all-reduce
 */
public record StepResult(long step, double meanLoss, long samples, int localSamples, long computeNanos,
                         long allReduceWaitNanos, long optimizerNanos, boolean stopAgreed) {

    public long totalNanos() {
        return computeNanos + allReduceWaitNanos + optimizerNanos;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT,
                "step %d: loss %.5f over %d samples (%d here); compute %.3f ms, all-reduce wait %.3f ms, optimizer %.3f ms%s",
                step, meanLoss, samples, localSamples, computeNanos / 1e6, allReduceWaitNanos / 1e6, optimizerNanos / 1e6,
                stopAgreed ? "; stop agreed" : "");
    }
}
