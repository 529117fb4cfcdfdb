package io.ringtrain.checkpoint;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ringtrain.protocol.checkpoint.RunCompletion;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The record that a run finished, {@code <run>/COMPLETED}, next to its checkpoints: what keeps a coordinator that
 * starts again from training a finished run again. Outside the step layout, so listings and retention never touch it.
 */
final class RunCompletions {
    static final String NAME = "COMPLETED";
    static final int CURRENT_VERSION = 1;

    private RunCompletions() {
    }

    static String key(String run) {
        return CheckpointKeys.checkRun(run) + "/" + NAME;
    }

    static void write(CheckpointStore store, String run, long steps, long nowMillis) {
        if (steps < 0) {
            throw new IllegalArgumentException("steps must be >= 0, got " + steps);
        }
        RunCompletion record = RunCompletion.newBuilder().setFormatVersion(CURRENT_VERSION).setRunId(run)
                .setSteps(steps).setFinishedAtUnixMs(nowMillis).build();
        store.put(key(run), ByteBuffer.wrap(record.toByteArray()));
    }

    /** The run's completion record, or empty if it never finished. */
    static Optional<RunCompletion> read(CheckpointStore store, String run) {
        String key = key(run);
        if (store.size(key).isEmpty()) {
            return Optional.empty();
        }
        String where = store.locate(key);
        RunCompletion record;
        try {
            record = RunCompletion.parseFrom(store.readAll(key));
        } catch (InvalidProtocolBufferException e) {
            throw new CheckpointException(where + " does not parse as a run completion record (" + e.getMessage()
                    + "); delete it to train run " + run + " again");
        }
        if (record.getFormatVersion() == 0 || record.getFormatVersion() > CURRENT_VERSION) {
            throw new CheckpointException(where + " has format version " + record.getFormatVersion() + "; this ringtrain reads "
                    + "version " + CURRENT_VERSION + " (written by a newer ringtrain, or not a completion record)");
        }
        if (!record.getRunId().equals(run) || record.getSteps() < 0) {
            throw new CheckpointException(where + " records run '" + record.getRunId() + "' with " + record.getSteps()
                    + " steps, not run " + run + ": it was copied or edited by hand; delete it to train run " + run + " again");
        }
        return Optional.of(record);
    }
}
