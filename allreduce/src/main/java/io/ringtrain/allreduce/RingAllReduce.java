package io.ringtrain.allreduce;

import org.agrona.MutableDirectBuffer;

/**
 * Bandwidth-optimal ring all-reduce: reduce-scatter for W-1 steps, then all-gather for W-1 steps, so each rank
 * sends 2(W-1)/W of the buffer. At step k rank r sends segment (r-k) mod W and receives segment (r-k-1) mod W;
 * the same formula covers both phases, which is what lets {@link RingPipeline} forward each chunk as soon as it
 * arrives. Segment (r+1) mod W is completed by rank r at step W-2, then travels round the ring unchanged.
 */
final class RingAllReduce extends RingPipeline {

    RingAllReduce(MutableDirectBuffer buffer, int offset, int count, Reduction reduction, int maxPayloadLength,
                  int rank, int worldSize) {
        super(buffer, offset, count, reduction, maxPayloadLength, rank, worldSize);
    }

    @Override
    CollectiveKind kind() {
        return CollectiveKind.RING_ALL_REDUCE;
    }

    @Override
    int endSendStep() {
        return 2 * (worldSize - 1);
    }

    @Override
    int endRecvStep() {
        return 2 * (worldSize - 1);
    }

    @Override
    int segmentStart(int segment) {
        return (int) ((long) count * segment / worldSize);
    }

    @Override
    int segmentEnd(int segment) {
        return (int) ((long) count * (segment + 1) / worldSize);
    }

    @Override
    boolean reducesAt(int step) {
        return step < worldSize - 1;
    }

    @Override
    boolean finishesAt(int step) {
        return step == worldSize - 2;
    }
}
