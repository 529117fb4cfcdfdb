package io.ringtrain.allreduce;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What the data plane dropped, by {@link DropReason}. Written by the media driver's receiver (which may be a thread
 * of its own) and by the data-plane thread, each counting its own reasons; read from any thread. Counting allocates
 * nothing.
 */
final class DropCounters {
    private static final DropReason[] REASONS = DropReason.values();

    private final AtomicLongArray counts = new AtomicLongArray(REASONS.length);

    void count(DropReason reason) {
        counts.incrementAndGet(reason.ordinal());
    }

    long get(DropReason reason) {
        return counts.get(reason.ordinal());
    }

    /** Every reason with its count, zeros included, in {@link DropReason} order. */
    Map<DropReason, Long> snapshot() {
        Map<DropReason, Long> m = new EnumMap<>(DropReason.class);
        for (DropReason r : REASONS) {
            m.put(r, counts.get(r.ordinal()));
        }
        return m;
    }

    /** "wrong token 12, unexpected session 3", the non-zero counts, or "nothing". */
    static String describe(Map<DropReason, Long> counts) {
        StringBuilder sb = new StringBuilder();
        counts.forEach((reason, n) -> {
            if (n != 0) {
                sb.append(sb.length() == 0 ? "" : ", ").append(reason.description()).append(' ').append(n);
            }
        });
        return sb.length() == 0 ? "nothing" : sb.toString();
    }
}
