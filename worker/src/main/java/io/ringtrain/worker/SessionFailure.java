package io.ringtrain.worker;

/**
 * Why a {@link TrainingSession} call failed, as the Worker needs to know it: only a broken ring is recovered (the
 * coordinator re-forms it from the survivors); a model or storage failure ends the run, because every rank would
 * fail the same way.
 */
public abstract sealed class SessionFailure extends RuntimeException
        permits SessionFailure.RingBroken, SessionFailure.ModelFailed, SessionFailure.StorageFailed {

    private SessionFailure(String message, Throwable cause) {
        super(message, cause);
    }

    /** A collective could not complete: a peer is gone or stuck, or the ring was aborted. The state is intact. */
    public static final class RingBroken extends SessionFailure {
        public RingBroken(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The model's own code failed, or the run's settings do not fit the model. */
    public static final class ModelFailed extends SessionFailure {
        public ModelFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Reading or writing the checkpoint store failed. */
    public static final class StorageFailed extends SessionFailure {
        public StorageFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
