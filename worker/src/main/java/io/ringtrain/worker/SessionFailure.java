package io.ringtrain.worker;

/**
 * Why a {@link TrainingSession} call failed, as the Worker needs to know it: only a broken ring is recovered (the
 * coordinator re-forms it from the survivors); a model or storage failure ends the run, because every rank would
 * fail the same way; a lost data plane ends only this worker's process, which its launcher starts again.
 */
public abstract sealed class SessionFailure extends RuntimeException
        permits SessionFailure.RingBroken, SessionFailure.DataPlaneLost, SessionFailure.ModelFailed, SessionFailure.StorageFailed {

    private SessionFailure(String message, Throwable cause) {
        super(message, cause);
    }

    /** A collective could not complete: a peer is gone or stuck, or the ring was aborted. The state is intact. */
    public static final class RingBroken extends SessionFailure {
        private final int lostPeer;

        public RingBroken(String message, Throwable cause) {
            this(message, cause, -1);
        }

        /** @param lostPeer the rank the data plane saw go (its publication or image gone), or -1 */
        public RingBroken(String message, Throwable cause, int lostPeer) {
            super(message, cause);
            this.lostPeer = lostPeer;
        }

        /** The rank whose loss broke the ring, if the data plane saw one go; -1 otherwise (a timeout, an abort). */
        public int lostPeer() {
            return lostPeer;
        }
    }

    /**
     * This worker's data plane can never work again (its Aeron client closed itself after the process stalled for
     * longer than the peer timeout): its peers have counted it as lost, and the way back in is a new process.
     */
    public static final class DataPlaneLost extends SessionFailure {
        public DataPlaneLost(String message, Throwable cause) {
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
