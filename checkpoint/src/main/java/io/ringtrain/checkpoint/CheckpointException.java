package io.ringtrain.checkpoint;

/**
 * A checkpoint could not be saved, committed, found or restored. The message says what was wrong,
 * where (URI, object, byte range) and, where there is one, what to do.
 */
public class CheckpointException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
