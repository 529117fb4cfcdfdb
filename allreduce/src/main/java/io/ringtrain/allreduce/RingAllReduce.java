package io.ringtrain.allreduce;

import org.agrona.MutableDirectBuffer;

/**
 * Bandwidth-optimal ring all-reduce: reduce-scatter for W-1 steps, then all-gather for W-1 steps, so each rank
 * sends 2(W-1)/W of the buffer. At step k rank r sends segment (r-k) mod W and receives segment (r-k-1) mod W;
 * the same formula covers both phases, which is what lets {@link RingPipeline} forward each chunk as soon as it
 * arrives. Segment (r+1) mod W is completed by rank r at step W-2, then travels round the ring unchanged.
 */
final class RingAllReduce extends RingPipeline {
    private int firstStep;
    private int endStep;
    private int finishStep;

    RingAllReduce(MutableDirectBuffer buffer, int offset, int count, Reduction reduction, RingView view) {
        super(buffer, offset, count, reduction, view);
        whole();
    }

    /** The whole all-reduce: reduce-scatter then all-gather, finishing each segment where it completes. */
    RingAllReduce whole() {
        return phase(0, 2 * (worldSize - 1), worldSize - 2);
    }

    /** Only the reduce-scatter half: position p ends holding segment (p+1) mod size, reduced but not finished. */
    RingAllReduce reduceScatter() {
        return phase(0, worldSize - 1, -1);
    }

    /** Only the all-gather half: position p contributes segment (p+1) mod size, as it is in the buffer. */
    RingAllReduce allGather() {
        return phase(worldSize - 1, 2 * (worldSize - 1), -1);
    }

    private RingAllReduce phase(int first, int end, int finish) {
        this.firstStep = first;
        this.endStep = end;
        this.finishStep = finish;
        return this;
    }

    @Override
    int firstSendStep() {
        return firstStep;
    }

    @Override
    int firstRecvStep() {
        return firstStep;
    }

    @Override
    CollectiveKind kind() {
        return CollectiveKind.RING_ALL_REDUCE;
    }

    @Override
    int endSendStep() {
        return endStep;
    }

    @Override
    int endRecvStep() {
        return endStep;
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
        return step == finishStep;
    }

    /** Position p's segment after {@link #reduceScatter()}: the one it holds fully reduced. */
    int ownedSegment() {
        return (rank + 1) % worldSize;
    }
}
