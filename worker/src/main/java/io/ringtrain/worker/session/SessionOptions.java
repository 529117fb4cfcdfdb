package io.ringtrain.worker.session;

import io.ringtrain.worker.RunSettings;
import io.ringtrain.worker.train.ModelOptions;
import java.time.Duration;

/**
 * The run options ({@code -O key=value}) the built-in sessions read, checked once with errors that name the option.
 *
 * @param computeThreads     threads ND4J's native code may use per worker ({@code compute-threads}, default 1)
 * @param syntheticCompute   extra compute time per step, parked rather than spent ({@code synthetic-compute-ms},
 *                           default 0): a stand-in for a bigger model in fault and scaling studies on a small machine
 */
record SessionOptions(int computeThreads, Duration syntheticCompute) {

    static SessionOptions of(ModelOptions options) {
        return new SessionOptions(
                options.integer(RunSettings.COMPUTE_THREADS, 1, 1, 256),
                Duration.ofMillis(options.whole(RunSettings.SYNTHETIC_COMPUTE_MS, 0, 0, 60_000)));
    }
}
