package io.ringtrain.allreduce;

import org.agrona.MutableDirectBuffer;

/**
 * Ring all-gather: the buffer holds W blocks; rank r contributes block r and after W-1 steps holds every block.
 * The all-gather half of {@link RingAllReduce}, over bytes.
 */
final class RingAllGather extends RingPipeline {
    private final int rank;
    private final int worldSize;
    private final int blockLength;

    RingAllGather(MutableDirectBuffer buffer, int offset, int blockLength, int maxPayloadLength, int rank, int worldSize) {
        super(buffer, offset, Math.multiplyExact(blockLength, worldSize), Reduction.BYTES, maxPayloadLength);
        this.blockLength = blockLength;
        this.rank = rank;
        this.worldSize = worldSize;
    }

    @Override
    CollectiveKind kind() {
        return CollectiveKind.ALL_GATHER;
    }

    @Override
    int firstSendStep() {
        return 0;
    }

    @Override
    int endSendStep() {
        return worldSize - 1;
    }

    @Override
    int firstRecvStep() {
        return 0;
    }

    @Override
    int endRecvStep() {
        return worldSize - 1;
    }

    @Override
    int sendSegment(int step) {
        return Math.floorMod(rank - step, worldSize);
    }

    @Override
    int recvSegment(int step) {
        return Math.floorMod(rank - step - 1, worldSize);
    }

    @Override
    int segmentStart(int segment) {
        return segment * blockLength;
    }

    @Override
    int segmentEnd(int segment) {
        return (segment + 1) * blockLength;
    }

    @Override
    boolean reducesAt(int step) {
        return false;
    }

    @Override
    boolean finishesAt(int step) {
        return false;
    }

    @Override
    int sourceRank() {
        return Math.floorMod(rank - 1, worldSize);
    }
}
