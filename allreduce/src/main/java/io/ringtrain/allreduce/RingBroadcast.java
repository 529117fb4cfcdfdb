package io.ringtrain.allreduce;

import org.agrona.MutableDirectBuffer;

/**
 * Pipelined chain broadcast round the ring from {@code root}: the rank d hops from the root receives each chunk
 * at step d-1 and forwards it at step d, so the whole buffer arrives after one buffer-time plus W-1 hops. This is
 * how a joining worker receives the current state from a live peer.
 */
final class RingBroadcast extends RingPipeline {
    private final int distance;

    RingBroadcast(MutableDirectBuffer buffer, int offset, int length, int root, RingView view) {
        super(buffer, offset, length, Reduction.BYTES, view);
        this.distance = Math.floorMod(view.position - root, view.size);
    }

    @Override
    CollectiveKind kind() {
        return CollectiveKind.BROADCAST;
    }

    @Override
    int firstSendStep() {
        return distance;
    }

    @Override
    int endSendStep() {
        return distance < worldSize - 1 ? distance + 1 : distance;
    }

    @Override
    int firstRecvStep() {
        return distance > 0 ? distance - 1 : 0;
    }

    @Override
    int endRecvStep() {
        return distance > 0 ? distance : 0;
    }

    /** The whole buffer is one segment, the same at every hop. */
    @Override
    int sendSegment(int step) {
        return 0;
    }

    @Override
    int recvSegment(int step) {
        return 0;
    }

    @Override
    int segmentStart(int segment) {
        return 0;
    }

    @Override
    int segmentEnd(int segment) {
        return count;
    }
}
