package io.ringtrain.allreduce;

/**
 * A collective that could not complete. Once one collective fails, the ring it ran on is broken (frames in
 * flight, positions unknown): every later collective on the same {@link Communicator} fails at once, and the
 * caller re-forms the ring at a new generation.
 */
public abstract sealed class CollectiveException extends RuntimeException
        permits CollectiveException.Timeout, CollectiveException.PeerLost, CollectiveException.Mismatch,
                CollectiveException.Closed {

    private CollectiveException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Nothing moved within the configured collective timeout: a peer is stuck, not reading, or gone. */
    public static final class Timeout extends CollectiveException {
        public Timeout(String message) {
            super(message, null);
        }
    }

    /** A peer's publication disconnected or its image went away mid-collective. */
    public static final class PeerLost extends CollectiveException {
        private final int peerRank;

        public PeerLost(int peerRank, String message) {
            super(message, null);
            this.peerRank = peerRank;
        }

        /** Rank of the peer that was lost, in the generation the collective ran in. */
        public int peerRank() {
            return peerRank;
        }
    }

    /** Ranks disagree about a collective (kind, size, type, op or order): a caller bug, not a network fault. */
    public static final class Mismatch extends CollectiveException {
        public Mismatch(String message) {
            super(message, null);
        }
    }

    /** The communicator was closed, or an earlier collective on it failed, so this one never ran. */
    public static final class Closed extends CollectiveException {
        public Closed(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
