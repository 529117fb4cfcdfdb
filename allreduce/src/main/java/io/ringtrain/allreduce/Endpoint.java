package io.ringtrain.allreduce;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Where a rank receives data-plane frames, in one of three forms:
 * <ul>
 *   <li>{@code host:port}: UDP only (one media driver per rank, the normal case across pods);</li>
 *   <li>{@code ipc:<stream>}: IPC only, for ranks that all attach to one media driver;</li>
 *   <li>{@code host:port/ipc:<stream>@<host-id>}: a rank attached to the shared media driver of host
 *       {@code host-id} (see {@link SharedDriver}). Ranks with the same host id exchange frames over IPC (shared
 *       memory), every other rank reaches it over UDP.</li>
 * </ul>
 *
 * @param host      UDP address, or null when the rank has no UDP inbox
 * @param port      UDP port (0 before a configured "any port" is resolved)
 * @param ipcStream IPC stream of the rank's inbox, or -1 when it has none
 * @param hostId    identity of the shared driver the rank is attached to, or null
 */
public record Endpoint(String host, int port, int ipcStream, String hostId) {
    static final int NO_IPC = -1;
    /**
     * A host name, an IPv4 address, or an IPv6 address (with an optional zone): nothing else, since the host goes
     * into Aeron channel URIs, where a '|' or '=' would add parameters of its own (found by SettingsFuzzTest).
     */
    private static final java.util.regex.Pattern HOST =
            java.util.regex.Pattern.compile("[A-Za-z0-9._-]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9._-]+)?");

    /** The two ways ranks exchange frames. */
    public enum Transport { UDP, IPC }

    /**
     * Parses any of the three forms.
     *
     * @throws DataPlaneException naming the bad value and the accepted forms.
     */
    public static Endpoint parse(String text) {
        if (text == null || text.isBlank()) {
            throw new DataPlaneException("data-plane endpoint is empty: give host:port (UDP), ipc:<stream-id>, or"
                    + " host:port/ipc:<stream-id>@<host-id> (a rank on a shared driver)");
        }
        String s = text.trim();
        int slash = s.indexOf("/ipc:");
        if (slash > 0) {
            Endpoint udp = parseUdp(s.substring(0, slash), text);
            Endpoint ipc = parseIpc(s.substring(slash + 1), text);
            return new Endpoint(udp.host, udp.port, ipc.ipcStream, ipc.hostId);
        }
        return s.startsWith("ipc:") ? parseIpc(s, text) : parseUdp(s, text);
    }

    private static Endpoint parseIpc(String s, String text) {
        String rest = s.substring(4);
        int at = rest.indexOf('@');
        String hostId = at < 0 ? null : rest.substring(at + 1);
        if (hostId != null && (hostId.isEmpty() || !hostId.matches("[A-Za-z0-9._-]+"))) {
            throw new DataPlaneException("bad host id in data-plane endpoint '" + text + "': use letters, digits, '.', '_' or '-'");
        }
        try {
            int stream = Integer.parseInt(at < 0 ? rest : rest.substring(0, at));
            if (stream < 0) {
                throw new NumberFormatException();
            }
            return new Endpoint(null, 0, stream, hostId);
        } catch (NumberFormatException e) {
            throw new DataPlaneException("bad IPC endpoint '" + text + "': expected ipc:<stream-id> with a stream id of 0"
                    + " or more, e.g. ipc:1001");
        }
    }

    private static Endpoint parseUdp(String s, String text) {
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new DataPlaneException("bad data-plane endpoint '" + text + "': expected host:port, e.g. 10.0.0.7:40100");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (!HOST.matcher(host).matches()) {
            throw new DataPlaneException("bad host '" + host + "' in data-plane endpoint '" + text + "': give a host name"
                    + " (letters, digits, '.', '-', '_'), an IPv4 address, or an IPv6 address in brackets, e.g. [fd00::7]:40100");
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
        return new Endpoint(host, port, NO_IPC, null);
    }

    boolean hasUdp() {
        return host != null;
    }

    boolean hasIpc() {
        return ipcStream != NO_IPC;
    }

    /** UDP when the rank has a UDP inbox (it may have an IPC one too), IPC for an IPC-only rank. */
    public Transport transport() {
        return hasUdp() ? Transport.UDP : Transport.IPC;
    }

    /**
     * True when frames between the two ranks go over IPC: both are on the same shared driver (same host id), or
     * both are IPC-only ranks (which can only work on one driver).
     */
    boolean sharesDriverWith(Endpoint other) {
        if (!hasIpc() || !other.hasIpc()) {
            return false;
        }
        return hostId == null ? other.hostId == null && !hasUdp() && !other.hasUdp() : hostId.equals(other.hostId);
    }

    /** True when frames to this endpoint never leave the host, so large datagrams are safe. */
    boolean isLocal() {
        if (!hasUdp()) {
            return true;
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    Endpoint withPort(int newPort) {
        return new Endpoint(host, newPort, ipcStream, hostId);
    }

    Endpoint withIpc(int stream, String id) {
        return new Endpoint(host, port, stream, id);
    }

    /** The Aeron channel of a UDP publication to this endpoint, on the session the receiver subscribes to. */
    String udpChannel(int mtuLength, int termLength, int sessionId) {
        return "aeron:udp?endpoint=" + hostForUri() + ":" + port + "|mtu=" + mtuLength + "|term-length=" + termLength
                + "|session-id=" + sessionId;
    }

    /** The Aeron channel of an IPC publication to this endpoint (on the shared driver, stream {@link #ipcStream}). */
    static String ipcChannel(int mtuLength, int termLength, int sessionId) {
        return "aeron:ipc?mtu=" + mtuLength + "|term-length=" + termLength + "|session-id=" + sessionId;
    }

    String udpSubscriptionChannel() {
        return "aeron:udp?endpoint=" + hostForUri() + ":" + port;
    }

    private String hostForUri() {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    @Override
    public String toString() {
        String ipc = hasIpc() ? "ipc:" + ipcStream + (hostId == null ? "" : "@" + hostId) : "";
        if (!hasUdp()) {
            return ipc;
        }
        return hostForUri() + ":" + port + (hasIpc() ? "/" + ipc : "");
    }
}
