package io.ringtrain.checkpoint;

/**
 * A save was not started because this rank's previous save was still uploading and the writer's
 * policy is {@link SavePolicy#SKIP}. Nothing was written for the skipped step; the coordinator will
 * not get this rank's report for it, so that step is never committed.
 */
public final class SaveSkippedException extends CheckpointException {
    private static final long serialVersionUID = 1L;

    SaveSkippedException(String message) {
        super(message);
    }
}
