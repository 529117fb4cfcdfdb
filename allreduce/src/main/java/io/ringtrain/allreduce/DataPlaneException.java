package io.ringtrain.allreduce;

/**
 * The data plane could not start or could not form a ring: bad configuration, a port in use, a peer that
 * cannot be reached, not enough shared memory. The message says what to fix.
 */
public final class DataPlaneException extends RuntimeException {
    public DataPlaneException(String message) {
        super(message);
    }

    public DataPlaneException(String message, Throwable cause) {
        super(message, cause);
    }
}
