package io.ringtrain.allreduce;

import io.aeron.Image;
import io.aeron.Subscription;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.Header;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.agrona.DirectBuffer;

/**
 * The frames one peer sends this rank in one generation: a subscription to exactly that peer's session, the one
 * image on it that comes from the peer's address, and the checks every frame passes before the ring sees it.
 * Runs on the data-plane thread only.
 */
final class Inbound implements ControlledFragmentHandler {
    private static final int FRAGMENT_LIMIT = 16;

    final int sender;
    /** Set right after construction: images may be announced while it is being added. */
    Subscription subscription;
    /** The peer's addresses, or null when not checked (IPC, or a peer listening on a wildcard address). */
    private final InetAddress[] sources;
    private final RingState ring;
    private final long token;
    private final DropCounters drops;
    private final FrameHeader header = new FrameHeader();
    private Image accepted;
    private long nowNs;
    /** Why the last image was refused, for the ring-formation timeout message. */
    String refusal;

    Inbound(int sender, InetAddress[] sources, RingState ring, DropCounters drops) {
        this.sender = sender;
        this.sources = sources;
        this.ring = ring;
        this.token = ring.token.value();
        this.drops = drops;
    }

    /** A new image on this session: accepted if it comes from the peer; false when it must be rejected. */
    boolean onImage(Image image) {
        // A closed image is one whose going-away notice has not been handled yet: the peer's new one replaces it.
        if ((accepted == null || accepted.isClosed()) && fromPeer(image.sourceIdentity())) {
            accepted = image;
            return true;
        }
        refusal = "an image from " + image.sourceIdentity() + " was refused (" + (accepted != null ? "rank " + sender
                + " is already connected" : "not rank " + sender + "'s address") + ")";
        drops.count(DropReason.REJECTED_IMAGE);
        return false;
    }

    /** The image went away; true when it was the peer's (its frames stopped). */
    boolean onImageGone(Image image) {
        if (image == accepted) {
            accepted = null;
            return true;
        }
        return false;
    }

    private boolean fromPeer(String sourceIdentity) {
        if (sources == null) {
            return true;
        }
        // Aeron writes "address:port" (host string, no brackets for IPv6), or "aeron:ipc".
        int colon = sourceIdentity.lastIndexOf(':');
        if (colon <= 0) {
            return false;
        }
        try {
            InetAddress address = InetAddress.getByName(sourceIdentity.substring(0, colon)); // a literal: no lookup
            for (InetAddress a : sources) {
                if (a.equals(address)) {
                    return true;
                }
            }
        } catch (UnknownHostException e) {
            return false;
        }
        return false;
    }

    void peerLost() {
        ring.onPeerImageLost(sender);
    }

    int poll(long nowNs) {
        Image image = accepted;
        if (image == null) {
            return 0;
        }
        this.nowNs = nowNs;
        return image.controlledPoll(this, FRAGMENT_LIMIT);
    }

    @Override
    public Action onFragment(DirectBuffer buffer, int offset, int length, Header aeronHeader) {
        DropReason refused = FrameCheck.check(header, buffer, offset, length, aeronHeader.reservedValue(), token,
                ring.generation, sender, ring.worldSize);
        if (refused != null) {
            drops.count(refused);
            return Action.CONTINUE;
        }
        int payloadOffset = offset + FrameHeader.LENGTH;
        if (header.type() == FrameHeader.TYPE_HELLO) {
            ring.formation.onHello(header, buffer, payloadOffset);
            return Action.CONTINUE;
        }
        if (!ring.isFormed()) {
            return Action.ABORT; // the peer finished forming first and has started; wait until we have too
        }
        return ring.onData(header, buffer, payloadOffset, nowNs);
    }

    void close() {
        if (subscription != null) {
            subscription.close();
        }
    }
}
