package io.ringtrain.allreduce;

import io.aeron.ExclusivePublication;
import io.aeron.logbuffer.BufferClaim;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Forming a ring: every publication must connect, and every rank that will send to us must say hello with the
 * same world size and frame settings, naming us by the rank we were given. Ranks that were handed inconsistent
 * endpoints or settings are caught here, with a message that names both sides, rather than as corrupt sums later.
 */
final class RingFormation {
    private static final int WORLD_SIZE_OFFSET = 0;
    private static final int RECEIVER_RANK_OFFSET = 4;
    private static final int MAX_PAYLOAD_OFFSET = 8;
    private static final int DIRECT_LIMIT_OFFSET = 12;
    private static final int IPC_PAYLOAD_OFFSET = 16;
    private static final int HIERARCHICAL_OFFSET = 20;
    private static final int HELLO_LENGTH = FrameCheck.HELLO_LENGTH;

    final CompletableFuture<Void> joined = new CompletableFuture<>();

    private final RingState ring;
    private final long deadlineNs;
    private final boolean[] helloSent;
    private final boolean[] helloExpected;
    private final boolean[] helloReceived;
    private final BufferClaim claim = new BufferClaim();
    private final FrameHeader writer = new FrameHeader();
    private boolean complete;

    RingFormation(RingState ring, long nowNs) {
        this.ring = ring;
        this.deadlineNs = nowNs + ring.ctx.connectTimeout().toNanos();
        int w = ring.worldSize;
        helloSent = new boolean[w];
        helloExpected = new boolean[w];
        helloReceived = new boolean[w];
        for (int peer = 0; peer < w; peer++) {
            helloExpected[peer] = peer != ring.rank && (ring.topology.ringLink(peer, ring.rank) || ring.directPathEnabled());
        }
        complete = w == 1;
        if (complete) {
            joined.complete(null);
        }
    }

    boolean isComplete() {
        return complete;
    }

    int doWork(long nowNs) {
        if (complete || joined.isDone()) {
            return 0;
        }
        int work = 0;
        ExclusivePublication[] publications = ring.publications();
        boolean allSent = true;
        for (int peer = 0; peer < publications.length; peer++) {
            ExclusivePublication publication = publications[peer];
            if (publication == null) {
                continue;
            }
            if (helloSent[peer]) {
                if (!publication.isConnected()) {
                    // The peer's image went away with our hello in it (it stalled past the peer timeout before
                    // joining): say hello again once the publication reconnects.
                    helloSent[peer] = false;
                }
                continue;
            }
            if (publication.isConnected() && sendHello(publication, peer)) {
                helloSent[peer] = true;
                work++;
            } else {
                allSent = false;
            }
        }
        boolean allReceived = true;
        for (int peer = 0; peer < helloExpected.length; peer++) {
            allReceived &= !helloExpected[peer] || helloReceived[peer];
        }
        if (allSent && allReceived) {
            complete = true;
            joined.complete(null);
            return work + 1;
        }
        if (nowNs - deadlineNs > 0) {
            joined.completeExceptionally(new DataPlaneException(timeoutMessage()));
        }
        return work;
    }

    private boolean sendHello(ExclusivePublication publication, int peer) {
        if (publication.tryClaim(FrameHeader.LENGTH + HELLO_LENGTH, claim) <= 0) {
            return false;
        }
        MutableDirectBuffer b = claim.buffer();
        int offset = claim.offset();
        writer.wrap(b, offset).write(ring.generation, ring.rank, FrameHeader.TYPE_HELLO, (byte) 0, 0, 0, 0, 0, 0);
        int p = offset + FrameHeader.LENGTH;
        b.putInt(p + WORLD_SIZE_OFFSET, ring.worldSize, ByteOrder.LITTLE_ENDIAN);
        b.putInt(p + RECEIVER_RANK_OFFSET, peer, ByteOrder.LITTLE_ENDIAN);
        b.putInt(p + MAX_PAYLOAD_OFFSET, ring.ctx.maxPayloadLength(), ByteOrder.LITTLE_ENDIAN);
        b.putInt(p + DIRECT_LIMIT_OFFSET, ring.directPathEnabled() ? ring.ctx.directPayloadLimit() : 0, ByteOrder.LITTLE_ENDIAN);
        b.putInt(p + IPC_PAYLOAD_OFFSET, ring.ctx.maxIpcPayloadLength(), ByteOrder.LITTLE_ENDIAN);
        b.putInt(p + HIERARCHICAL_OFFSET, ring.topology.hierarchical ? 1 : 0, ByteOrder.LITTLE_ENDIAN);
        claim.reservedValue(ring.token.value()).commit();
        return true;
    }

    /** A hello that passed {@link FrameCheck}: it has the token, its full length, and comes from its session's rank. */
    void onHello(FrameHeader header, DirectBuffer frame, int payloadOffset) {
        if (joined.isDone() && !complete) {
            return;
        }
        int sender = header.sender();
        int theirWorld = frame.getInt(payloadOffset + WORLD_SIZE_OFFSET, ByteOrder.LITTLE_ENDIAN);
        int theyThinkWeAre = frame.getInt(payloadOffset + RECEIVER_RANK_OFFSET, ByteOrder.LITTLE_ENDIAN);
        int theirMaxPayload = frame.getInt(payloadOffset + MAX_PAYLOAD_OFFSET, ByteOrder.LITTLE_ENDIAN);
        int theirDirectLimit = frame.getInt(payloadOffset + DIRECT_LIMIT_OFFSET, ByteOrder.LITTLE_ENDIAN);
        int theirIpcPayload = frame.getInt(payloadOffset + IPC_PAYLOAD_OFFSET, ByteOrder.LITTLE_ENDIAN);
        boolean theyAreHierarchical = frame.getInt(payloadOffset + HIERARCHICAL_OFFSET, ByteOrder.LITTLE_ENDIAN) != 0;
        String us = "rank " + ring.rank + " (" + ring.endpoints[ring.rank] + ", generation " + ring.generation + ")";
        if (theirWorld != ring.worldSize) {
            failJoin(us + " has world size " + ring.worldSize + " but rank " + sender + " says " + theirWorld
                    + ": every rank must be given the same ring");
        } else if (sender < 0 || sender >= ring.worldSize || sender == ring.rank || !helloExpected[sender]) {
            failJoin(us + " got a hello from rank " + sender + ", which should not be sending to it: the ranks were given"
                    + " different endpoint lists");
        } else if (theyThinkWeAre != ring.rank) {
            failJoin("rank " + sender + " sent its hello for rank " + theyThinkWeAre + " to " + us
                    + ": the ranks were given different endpoint lists");
        } else if (theirMaxPayload != ring.ctx.maxPayloadLength()) {
            failJoin(us + " uses frames of " + ring.ctx.maxPayloadLength() + " payload bytes but rank " + sender + " uses "
                    + theirMaxPayload + ": set the same " + ring.ctx.key("mtu") + " on every rank");
        } else if (theirDirectLimit != (ring.directPathEnabled() ? ring.ctx.directPayloadLimit() : 0)) {
            failJoin(us + " and rank " + sender + " disagree on the small-message threshold: set the same"
                    + " " + ring.ctx.key("small-message-threshold") + " on every rank");
        } else if (theirIpcPayload != ring.ctx.maxIpcPayloadLength()) {
            failJoin(us + " uses IPC frames of " + ring.ctx.maxIpcPayloadLength() + " payload bytes but rank " + sender
                    + " uses " + theirIpcPayload + ": set the same term-length on every rank");
        } else if (theyAreHierarchical != ring.topology.hierarchical) {
            failJoin(us + " and rank " + sender + " disagree on hierarchical all-reduce (" + ring.topology.describe()
                    + " here): set the same hierarchical setting on every rank");
        } else {
            helloReceived[sender] = true;
        }
    }

    private void failJoin(String message) {
        joined.completeExceptionally(new DataPlaneException(message));
    }

    private String timeoutMessage() {
        List<String> problems = new ArrayList<>();
        ExclusivePublication[] publications = ring.publications();
        for (int peer = 0; peer < publications.length; peer++) {
            if (publications[peer] != null && !publications[peer].isConnected()) {
                problems.add("cannot reach rank " + peer + " at " + ring.endpoints[peer] + " (no receiver answered)");
            } else if (publications[peer] != null && !helloSent[peer]) {
                problems.add("could not send to rank " + peer + " at " + ring.endpoints[peer]);
            }
        }
        for (int peer = 0; peer < helloExpected.length; peer++) {
            if (helloExpected[peer] && !helloReceived[peer]) {
                problems.add("nothing heard from rank " + peer + " at " + ring.endpoints[peer]);
            }
        }
        return "rank " + ring.rank + " could not form ring generation " + ring.generation + " of " + ring.worldSize
                + " within " + ring.ctx.connectTimeout().toMillis() + " ms: " + String.join("; ", problems)
                + ". Check that every rank is running, that the endpoints are right, and that UDP is allowed between them.";
    }

    void abandon(String reason) {
        if (!joined.isDone()) {
            joined.completeExceptionally(new DataPlaneException("forming ring generation " + ring.generation
                    + " was abandoned: " + reason));
        }
    }
}
