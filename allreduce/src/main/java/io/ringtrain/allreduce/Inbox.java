package io.ringtrain.allreduce;

import io.aeron.Aeron;
import io.aeron.Image;
import io.aeron.Subscription;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a rank's frames come in. Between generations nothing may: the UDP port is held by a placeholder
 * subscription to one random session that nobody sends on. For each generation the inbox subscribes to exactly the
 * sessions its ring will send on (one per peer that sends to this rank, derived from the generation's
 * {@link RunToken}), so the media driver creates no image, and maps no memory, for any other sender; images from
 * an address other than the peer's are rejected; and every frame is checked ({@link FrameCheck}) before the ring
 * sees it. Runs on the data-plane thread only.
 */
final class Inbox {
    private final Aeron aeron;
    private final DropCounters drops;
    /** The driver's fence, when the driver is embedded in this process; else null. */
    private final ReceiveGate gate;
    private final Endpoint own;
    private final int streamId;
    /** Names the inbox's socket to the driver, so every generation's subscriptions share it (port 0 included). */
    private final long tag;
    /** Holds the UDP port between generations (null for an IPC-only rank). */
    private final Subscription placeholder;
    private int ipcStream = Endpoint.NO_IPC;
    private Inbound[] links = new Inbound[0];
    /** Images to reject after the client conductor's callback that announced them has returned (it is not reentrant). */
    private final ArrayDeque<Image> toReject = new ArrayDeque<>();

    Inbox(Aeron aeron, Endpoint own, int streamId, DropCounters drops, ReceiveGate gate) {
        this.aeron = aeron;
        this.own = own;
        this.streamId = streamId;
        this.drops = drops;
        this.gate = gate;
        this.tag = aeron.nextCorrelationId();
        // Even: every session a ring uses is odd (RunToken#sessionId).
        int placeholderSession = new SecureRandom().nextInt() & ~1;
        this.placeholder = own.hasUdp() ? aeron.addSubscription(own.udpSubscriptionChannel() + "|tags=" + tag
                + "|session-id=" + placeholderSession, streamId, this::refuseImage, image -> { }) : null;
    }

    /** The UDP addresses the inbox is bound to (port 0 resolved), empty without UDP. */
    List<String> udpAddresses() {
        return placeholder == null ? List.of() : placeholder.localSocketAddresses();
    }

    /** Frames from ranks on the shared driver arrive on this IPC stream; called once, before the thread starts. */
    void listenIpc(int stream) {
        ipcStream = stream;
    }

    private String udpChannel(int sessionId) {
        return "aeron:udp?tags=" + tag + "|session-id=" + sessionId;
    }

    /**
     * Opens the subscriptions of {@code ring}: one per peer that sends to this rank. {@code sources} holds each
     * rank's addresses (null: not checked). The driver's fence, if any, admits those sessions from those addresses.
     */
    void open(RingState ring, InetAddress[][] sources) {
        close();
        Topology topology = ring.topology;
        List<Inbound> opened = new ArrayList<>();
        List<Integer> sessions = new ArrayList<>();
        List<InetAddress[]> allowed = new ArrayList<>();
        for (int peer = 0; peer < ring.worldSize; peer++) {
            if (peer == ring.rank || !(topology.ringLink(peer, ring.rank) || ring.directPathEnabled())) {
                continue;
            }
            int session = ring.token.sessionId(peer);
            boolean ipc = topology.viaIpc(peer, ring.rank);
            if (!ipc) {
                sessions.add(session);
                allowed.add(sources[peer]);
            }
            // The link exists before its subscription: a peer that joined first has an image ready at once.
            Inbound link = new Inbound(peer, ipc ? null : sources[peer], ring, drops);
            link.subscription = ipc
                    ? aeron.addSubscription("aeron:ipc?session-id=" + session, ipcStream,
                            image -> onImage(link, image), image -> onImageGone(link, image))
                    : aeron.addSubscription(udpChannel(session), streamId,
                            image -> onImage(link, image), image -> onImageGone(link, image));
            opened.add(link);
        }
        if (gate != null) {
            gate.admit(new Admission(sessions.stream().mapToInt(Integer::intValue).toArray(),
                    allowed.toArray(new InetAddress[0][])));
        }
        links = opened.toArray(new Inbound[0]);
    }

    private void onImage(Inbound link, Image image) {
        if (!link.onImage(image)) {
            toReject.add(image);
        }
    }

    private void onImageGone(Inbound link, Image image) {
        if (link.onImageGone(image)) {
            link.peerLost();
        }
    }

    private void refuseImage(Image image) {
        drops.count(DropReason.REJECTED_IMAGE);
        toReject.add(image);
    }

    /** Polls this generation's peers; returns the fragments handled. */
    int poll(long nowNs) {
        int work = 0;
        Image image;
        while ((image = toReject.poll()) != null) {
            if (!image.isClosed()) {
                image.reject("not a member of this ring generation");
            }
            work++;
        }
        for (Inbound link : links) {
            work += link.poll(nowNs);
        }
        return work;
    }

    /** Why peers' images were refused this generation, for error messages; empty when none were. */
    String refusals() {
        StringBuilder sb = new StringBuilder();
        for (Inbound link : links) {
            if (link.refusal != null) {
                sb.append(sb.length() == 0 ? "" : "; ").append("rank ").append(link.sender).append(": ").append(link.refusal);
            }
        }
        return sb.toString();
    }

    /** Ends the generation's subscriptions; nothing is admitted until the next {@link #open}. */
    void close() {
        if (gate != null) {
            gate.admit(Admission.NOBODY);
        }
        for (Inbound link : links) {
            link.close();
        }
        links = new Inbound[0];
        toReject.clear();
    }

    /** Closes everything, the placeholder too. */
    void shutdown() {
        close();
        if (placeholder != null) {
            placeholder.close();
        }
    }
}
