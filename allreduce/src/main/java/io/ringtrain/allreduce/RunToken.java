package io.ringtrain.allreduce;

import java.security.SecureRandom;

/**
 * The secret of one ring generation: random, made by the coordinator with the ring assignment and given to every
 * rank of that generation, and to nobody else. Every frame carries it (in the reserved-value field of Aeron's own
 * data header, which each frame has anyway, so it costs no bytes), and the Aeron session of each link is derived
 * from it, so a receiver subscribes to exactly the sessions its ring will send on. A sender that does not hold the
 * token (a stranger, a member of an older generation, a second run aimed at the wrong port) gets no image at all,
 * and a frame without it is dropped before anything in it is read.
 *
 * <p>It is a fence against mistakes and blind injection, not a cipher: anyone who can read the traffic can read
 * it. {@link #toString()} never shows it; keep it out of logs.
 *
 * @param value never 0 (0 is what a message without a token reads as)
 */
public record RunToken(long value) {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Mixes the token before deriving sessions, so the session ids on the wire do not spell out its low bits. */
    private static final long SESSION_SALT = 0x5e55_104d_1d50_fab1L;

    public RunToken {
        if (value == 0) {
            throw new IllegalArgumentException("the run token is 0 (missing): every ring assignment must carry the"
                    + " coordinator's random token; coordinator and workers must run the same ringtrain version");
        }
    }

    /** A fresh token for a new ring generation. */
    public static RunToken random() {
        long value;
        do {
            value = RANDOM.nextLong();
        } while (value == 0);
        return new RunToken(value);
    }

    /**
     * The Aeron session id of the stream that {@code senderRank} sends to any one receiver in this generation. Odd,
     * and distinct for every sender; a receiver's placeholder subscription uses an even id, so it never collides.
     */
    int sessionId(int senderRank) {
        return ((int) mix(value ^ SESSION_SALT) | 1) + 2 * senderRank;
    }

    /** SplitMix64's finaliser: every bit of the input affects every bit of the output. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    @Override
    public String toString() {
        return "RunToken[hidden]";
    }
}
