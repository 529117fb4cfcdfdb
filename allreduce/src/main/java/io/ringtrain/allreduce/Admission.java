package io.ringtrain.allreduce;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Who may send to this rank's UDP inbox in the current generation: one Aeron session per peer that sends to it, and
 * the addresses that peer may send from. The first setup from an allowed address pins the session to that address
 * and port (the peer's publication sends everything from one socket), so a second sender on the same host cannot
 * join the stream either. Built by the data-plane thread for each generation; read (and pinned) by the media
 * driver's receiver only.
 */
final class Admission {
    static final Admission NOBODY = new Admission(new int[0], new InetAddress[0][]);

    private final int[] sessions;
    /** By session index: the peer's addresses, or null to accept any address (its endpoint is a wildcard). */
    private final InetAddress[][] sources;
    private final InetSocketAddress[] pinned;

    Admission(int[] sessions, InetAddress[][] sources) {
        this.sessions = sessions;
        this.sources = sources;
        this.pinned = new InetSocketAddress[sessions.length];
    }

    /** Null when a packet of {@code sessionId} from {@code source} may reach Aeron, else why not. Allocation-free. */
    DropReason check(int sessionId, InetSocketAddress source, boolean setup) {
        int i = indexOf(sessionId);
        if (i < 0) {
            return DropReason.UNEXPECTED_SESSION;
        }
        InetSocketAddress pin = pinned[i];
        if (pin != null) {
            return pin.equals(source) ? null : DropReason.WRONG_SOURCE;
        }
        if (!allowed(i, source.getAddress())) {
            return DropReason.WRONG_SOURCE;
        }
        if (setup) {
            pinned[i] = source;
        }
        return null;
    }

    private int indexOf(int sessionId) {
        for (int i = 0; i < sessions.length; i++) {
            if (sessions[i] == sessionId) {
                return i;
            }
        }
        return -1;
    }

    private boolean allowed(int i, InetAddress address) {
        InetAddress[] any = sources[i];
        if (any == null) {
            return true;
        }
        for (InetAddress a : any) {
            if (a.equals(address)) {
                return true;
            }
        }
        return false;
    }
}
