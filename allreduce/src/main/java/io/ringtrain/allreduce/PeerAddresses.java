package io.ringtrain.allreduce;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** The addresses each peer's frames may come from: those its endpoint's host resolves to. */
final class PeerAddresses {
    private PeerAddresses() {
    }

    /**
     * By rank: the addresses of a peer that reaches {@code own} over UDP, or null where nothing can be checked (this
     * rank, peers on the same shared driver, and peers listening on a wildcard address, which say nothing about
     * where they send from).
     *
     * @throws DataPlaneException naming the peer whose host does not resolve.
     */
    static InetAddress[][] resolve(Endpoint[] endpoints, int rank, Endpoint own) {
        InetAddress[][] sources = new InetAddress[endpoints.length][];
        for (int peer = 0; peer < endpoints.length; peer++) {
            Endpoint e = endpoints[peer];
            if (peer == rank || own.sharesDriverWith(e) || !e.hasUdp()) {
                continue;
            }
            try {
                InetAddress[] all = InetAddress.getAllByName(e.host());
                boolean wildcard = false;
                for (InetAddress a : all) {
                    wildcard |= a.isAnyLocalAddress();
                }
                sources[peer] = wildcard ? null : all;
            } catch (UnknownHostException ex) {
                throw new DataPlaneException("rank " + rank + " cannot tell where rank " + peer + "'s frames come from: its"
                        + " data-plane host '" + e.host() + "' does not resolve. Give every rank an address (or a name every"
                        + " host resolves) that its frames are sent from", ex);
            }
        }
        return sources;
    }
}
