package io.ringtrain.allreduce;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Where a rank receives data-plane frames: a UDP {@code host:port} (one media driver per rank, the normal
 * case across pods) or {@code ipc:<stream>} (ranks that share one media driver on the same host).
 */
public record Endpoint(Transport transport, String host, int port, int ipcStream) {

    /** The two ways ranks exchange frames. */
    public enum Transport { UDP, IPC }

    /**
     * Parses {@code host:port}, {@code [v6]:port} or {@code ipc:<stream>}.
     *
     * @throws DataPlaneException naming the bad value and the accepted forms.
     */
    public static Endpoint parse(String text) {
        if (text == null || text.isBlank()) {
            throw new DataPlaneException("data-plane endpoint is empty: give host:port (UDP) or ipc:<stream-id>");
        }
        String s = text.trim();
        if (s.startsWith("ipc:")) {
            try {
                int stream = Integer.parseInt(s.substring(4));
                return new Endpoint(Transport.IPC, null, 0, stream);
            } catch (NumberFormatException e) {
                throw new DataPlaneException("bad IPC endpoint '" + text + "': expected ipc:<stream-id>, e.g. ipc:1001");
            }
        }
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new DataPlaneException("bad data-plane endpoint '" + text + "': expected host:port, e.g. 10.0.0.7:40100");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new DataPlaneException("bad port in data-plane endpoint '" + text + "': expected a number 0-65535");
        }
        if (port < 0 || port > 65535) {
            throw new DataPlaneException("port " + port + " in data-plane endpoint '" + text + "' is out of range 0-65535");
        }
        return new Endpoint(Transport.UDP, host, port, 0);
    }

    /** True when frames to this endpoint never leave the host, so large datagrams are safe. */
    boolean isLocal() {
        if (transport == Transport.IPC) {
            return true;
        }
        try {
            InetAddress address = InetAddress.getByName(host);
            return address.isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    Endpoint withPort(int newPort) {
        return new Endpoint(transport, host, newPort, ipcStream);
    }

    /** The Aeron channel for a subscription on this endpoint, or a publication to it. */
    String channel(int mtuLength, int termLength) {
        String params = "|mtu=" + mtuLength + "|term-length=" + termLength;
        return transport == Transport.IPC
                ? "aeron:ipc?" + params.substring(1)
                : "aeron:udp?endpoint=" + hostForUri() + ":" + port + params;
    }

    /** Stream the endpoint listens on: its own for IPC (ranks share a driver), the data plane's for UDP. */
    int streamId(int udpStreamId) {
        return transport == Transport.IPC ? ipcStream : udpStreamId;
    }

    String subscriptionChannel() {
        return transport == Transport.IPC ? "aeron:ipc" : "aeron:udp?endpoint=" + hostForUri() + ":" + port;
    }

    private String hostForUri() {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    @Override
    public String toString() {
        return transport == Transport.IPC ? "ipc:" + ipcStream : hostForUri() + ":" + port;
    }
}
