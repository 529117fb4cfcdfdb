package io.ringtrain.allreduce;

import io.aeron.logbuffer.ControlledFragmentHandler.Action;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * All-reduce across hosts with several ranks each, as NCCL and Horovod do it: reduce-scatter within the host over
 * IPC, all-reduce of each rank's shard across hosts over UDP (one ring per local rank, the rings running in
 * parallel), all-gather within the host. Only 2(H-1)/H of each shard crosses the network per rank instead of the
 * flat ring's 2(W-1)/W of the buffer through every rank's UDP link, and the intra-host phases run at
 * shared-memory speed.
 *
 * <p>Every rank ends bit-identical: each shard's host sum is computed by one rank, the cross-host ring gives its
 * members identical results, and the all-gather copies. The phases run one after the other; frames of a later
 * phase that arrive early stay in the term buffer until their phase starts (steps on the wire are offset by
 * phase so that they cannot be confused).
 */
final class HierarchicalAllReduce extends CollectiveOp {
    static final int PHASE_STEP = 1 << 20;

    private final RingAllReduce withinHost;
    private final RingAllReduce acrossHosts;
    private final RingAllReduce gatherWithinHost;
    private final int worldSize;
    private int phase;
    private CollectiveOp current;

    HierarchicalAllReduce(MutableDirectBuffer buffer, int offset, int count, Reduction reduction, RingView hostRing,
                          RingView crossHostRing, int worldSize) {
        super(buffer, offset);
        this.worldSize = worldSize;
        this.withinHost = new RingAllReduce(buffer, offset, count, reduction, hostRing);
        this.acrossHosts = new RingAllReduce(buffer, offset, count, reduction, crossHostRing);
        this.gatherWithinHost = new RingAllReduce(buffer, offset, count, reduction, hostRing);
        rebind(buffer, offset, count, reduction);
    }

    void rebind(MutableDirectBuffer buffer, int offset, int count, Reduction reduction) {
        bind(buffer, offset);
        withinHost.rebind(buffer, offset, count, reduction);
        withinHost.reduceScatter();
        gatherWithinHost.rebind(buffer, offset, count, reduction);
        gatherWithinHost.allGather();
        gatherWithinHost.stepBase = 2 * PHASE_STEP;
        int shard = withinHost.ownedSegment();
        int first = withinHost.segmentStart(shard);
        int length = withinHost.segmentEnd(shard) - first;
        acrossHosts.rebind(buffer, offset + first * reduction.elementSize(), length, reduction);
        acrossHosts.whole();
        acrossHosts.stepBase = PHASE_STEP;
        acrossHosts.finishDivisor = worldSize;
    }

    @Override
    void release() {
        super.release();
        withinHost.release();
        acrossHosts.release();
        gatherWithinHost.release();
    }

    @Override
    void start(RingState ring, long id, long nowNs) {
        super.start(ring, id, nowNs);
        phase = 0;
        current = withinHost;
        current.start(ring, id, nowNs);
    }

    @Override
    CollectiveKind kind() {
        return CollectiveKind.RING_ALL_REDUCE;
    }

    @Override
    long wireBytes() {
        return withinHost.wireBytes();
    }

    @Override
    int doWork(long nowNs) {
        int work = current.doWork(nowNs);
        work += advance(nowNs);
        lastProgressNs = Math.max(lastProgressNs, current.lastProgressNs);
        return work;
    }

    /** Moves on to the next phase once the current one is complete; returns the work that was. */
    private int advance(long nowNs) {
        int work = 0;
        while (phase < 2 && current.isComplete()) {
            phase++;
            current = phase == 1 ? acrossHosts : gatherWithinHost;
            current.start(ring, id, nowNs);
            work += 1 + current.doWork(nowNs);
        }
        return work;
    }

    @Override
    Action onFrame(FrameHeader header, DirectBuffer frame, int payloadOffset, long nowNs) {
        int framePhase = header.step() / PHASE_STEP;
        if (framePhase > phase) {
            return Action.ABORT; // a peer is already in a later phase: keep its frame until we get there
        }
        if (framePhase < phase) {
            throw ring.mismatch(this, "a frame of an earlier phase arrived late: " + FrameText.of(header));
        }
        Action action = current.onFrame(header, frame, payloadOffset, nowNs);
        advance(nowNs);
        lastProgressNs = Math.max(lastProgressNs, current.lastProgressNs);
        return action;
    }

    @Override
    boolean isComplete() {
        return phase == 2 && current.isComplete();
    }

    @Override
    String describeProgress() {
        return (phase == 0 ? "reduce-scatter within the host: " : phase == 1 ? "all-reduce across hosts: "
                : "all-gather within the host: ") + current.describeProgress();
    }

    @Override
    String describe() {
        return "hierarchical " + withinHost.describe();
    }
}
