package io.ringtrain.worker.session;

import java.time.Duration;
import java.util.Map;

/**
 * The run options ({@code -O key=value}) the built-in sessions read, checked once with errors that name the option.
 *
 * @param computeThreads     threads ND4J's native code may use per worker ({@code compute-threads}, default 1)
 * @param syntheticCompute   extra compute time per step, parked rather than spent ({@code synthetic-compute-ms},
 *                           default 0): a stand-in for a bigger model in fault and scaling studies on a small machine
 */
record SessionOptions(int computeThreads, Duration syntheticCompute) {

    static SessionOptions of(Map<String, String> options) {
        return new SessionOptions(
                (int) number(options, "compute-threads", 1, 1, 256),
                Duration.ofMillis(number(options, "synthetic-compute-ms", 0, 0, 60_000)));
    }

    private static long number(Map<String, String> options, String key, long otherwise, long min, long max) {
        String text = options.get(key);
        if (text == null) {
            return otherwise;
        }
        long value;
        try {
            value = Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + key + "=" + text + " is not a whole number (" + min + " to " + max + ")");
        }
        if (value < min || value > max) {
            throw new IllegalArgumentException("option " + key + "=" + text + " is out of range: use " + min + " to " + max);
        }
        return value;
    }
}
