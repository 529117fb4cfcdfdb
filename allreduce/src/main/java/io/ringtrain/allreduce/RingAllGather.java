package io.ringtrain.allreduce;

import org.agrona.MutableDirectBuffer;

/**
 * Ring all-gather: the buffer holds W blocks; rank r contributes block r and after W-1 steps holds every block.
 * The all-gather half of {@link RingAllReduce}, over bytes.
 */
final class RingAllGather extends RingPipeline {
    private final int blockLength;

    RingAllGather(MutableDirectBuffer buffer, int offset, int blockLength, RingView view) {
        super(buffer, offset, Math.multiplyExact(blockLength, view.size), Reduction.BYTES, view);
        this.blockLength = blockLength;
    }

    @Override
    CollectiveKind kind() {
        return CollectiveKind.ALL_GATHER;
    }

    @Override
    int endSendStep() {
        return worldSize - 1;
    }

    @Override
    int endRecvStep() {
        return worldSize - 1;
    }

    @Override
    int segmentStart(int segment) {
        return segment * blockLength;
    }

    @Override
    int segmentEnd(int segment) {
        return (segment + 1) * blockLength;
    }
}
