package io.ringtrain.checkpoint;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Object names of the layout: {@code <run>/step-<12-digit step>/shard-<rank>-of-<n>.bin} and
 * {@code <run>/step-<…>/MANIFEST}. Zero-padded steps make listings sort in step order.
 */
final class CheckpointKeys {
    static final String MANIFEST = "MANIFEST";
    private static final Pattern RUN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Pattern STEP_DIR = Pattern.compile("step-(\\d{1,18})");
    private static final Pattern KEY = Pattern.compile("([^/]+)/step-(\\d{1,18})/([^/]+)");
    private static final Pattern SHARD = Pattern.compile("shard-(\\d+)-of-(\\d+)\\.bin");

    private CheckpointKeys() {
    }

    /** An object inside a step directory: {@code run}, {@code step} and its file {@code name}. */
    record StepObject(String run, long step, String name) {
    }

    static String checkRun(String run) {
        if (run == null || !RUN.matcher(run).matches() || STEP_DIR.matcher(run).matches()) {
            throw new CheckpointException("run id '" + run + "' is not usable in a checkpoint path: use 1-128 letters, "
                    + "digits, '.', '_' or '-', starting with a letter or digit, and not of the form step-<n>");
        }
        return run;
    }

    static String stepDirectory(String run, long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        return checkRun(run) + "/" + stepSegment(step);
    }

    static String stepSegment(long step) {
        return String.format("step-%012d", step);
    }

    static String shardName(int rank, int worldSize) {
        return "shard-" + rank + "-of-" + worldSize + ".bin";
    }

    static String shard(String run, long step, int rank, int worldSize) {
        return stepDirectory(run, step) + "/" + shardName(rank, worldSize);
    }

    static String manifest(String run, long step) {
        return stepDirectory(run, step) + "/" + MANIFEST;
    }

    /** The step a directory segment names ({@code step-000000001200} → 1200), if it is one. */
    static Optional<Long> parseStepSegment(String segment) {
        Matcher m = STEP_DIR.matcher(segment);
        return m.matches() ? Optional.of(Long.parseLong(m.group(1))) : Optional.empty();
    }

    /** Splits a key of the layout into run, step and name; empty for keys outside the layout. */
    static Optional<StepObject> parse(String key) {
        Matcher m = KEY.matcher(key);
        if (!m.matches() || !RUN.matcher(m.group(1)).matches()) {
            return Optional.empty();
        }
        return Optional.of(new StepObject(m.group(1), Long.parseLong(m.group(2)), m.group(3)));
    }

    /** World size a shard object's name declares ({@code shard-2-of-4.bin} → 4), if it is a shard name. */
    static Optional<Integer> shardWorldSize(String name) {
        Matcher m = SHARD.matcher(name);
        return m.matches() ? Optional.of(Integer.parseInt(m.group(2))) : Optional.empty();
    }
}
