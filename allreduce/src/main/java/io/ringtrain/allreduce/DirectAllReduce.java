package io.ringtrain.allreduce;

import io.aeron.logbuffer.ControlledFragmentHandler.Action;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Latency path for small all-reduces: every rank sends its whole buffer to every peer in one frame (one hop
 * instead of the ring's 2(W-1)), then each rank combines all W contributions in rank order. The fixed order makes
 * every rank compute bit-identical results, which data-parallel training needs so that replicas never drift.
 */
final class DirectAllReduce extends CollectiveOp {
    private Reduction reduction;
    private int count;
    private final int rank;
    private final int worldSize;
    private final UnsafeBuffer staging;
    private final int slotLength;
    private long sentMask;
    private long receivedMask;
    private int received;
    private boolean combined;

    /**
     * @param staging W slots of {@code slotLength} bytes: contributions wait here, in wire format, until all
     *                have arrived.
     */
    DirectAllReduce(MutableDirectBuffer buffer, int offset, int count, Reduction reduction, int rank, int worldSize,
                    UnsafeBuffer staging, int slotLength) {
        super(buffer, offset);
        this.rank = rank;
        this.worldSize = worldSize;
        this.staging = staging;
        this.slotLength = slotLength;
        rebind(buffer, offset, count, reduction);
    }

    /** Points a recycled op at its next collective. */
    void rebind(MutableDirectBuffer buffer, int offset, int count, Reduction reduction) {
        bind(buffer, offset);
        this.count = count;
        this.reduction = reduction;
        this.combined = false;
    }

    private long slotAddress(int r) {
        return staging.addressOffset() + (long) r * slotLength;
    }

    @Override
    void start(RingState ring, long id, long nowNs) {
        super.start(ring, id, nowNs);
        // Our own contribution goes through the wire encoding too, so every rank combines identical values.
        reduction.encode(base, address, staging.byteArray(), slotAddress(rank), count);
        sentMask = 0;
        receivedMask = 1L << rank;
        received = 1;
    }

    @Override
    CollectiveKind kind() {
        return CollectiveKind.DIRECT_ALL_REDUCE;
    }

    @Override
    int doWork(long nowNs) {
        int work = 0;
        for (int i = 1; i < worldSize; i++) {
            // Start with the successor and go round, so that not every rank hits rank 0 first.
            int peer = (rank + i) % worldSize;
            if ((sentMask & (1L << i)) == 0 && ring.sendFrame(ring.publicationTo(peer), peer, kind(), reduction, id, 0, 0,
                    count, count, staging.byteArray(), slotAddress(rank), true)) {
                sentMask |= 1L << i;
                work++;
                lastProgressNs = nowNs;
            }
        }
        return work;
    }

    private boolean isSendDone() {
        return Long.bitCount(sentMask) == worldSize - 1;
    }

    @Override
    Action onFrame(FrameHeader header, DirectBuffer frame, int payloadOffset, long nowNs) {
        int sender = header.sender();
        if (sender < 0 || sender >= worldSize || sender == rank || header.count() != count || header.totalCount() != count
                || header.descriptor() != reduction.descriptor(kind())) {
            throw ring.mismatch(this, "expected a whole buffer of " + count + " elements, got " + FrameText.of(header));
        }
        if ((receivedMask & (1L << sender)) != 0) {
            throw ring.mismatch(this, "received rank " + sender + "'s contribution twice: " + FrameText.of(header));
        }
        ElementKernels.copy(frame.byteArray(), frame.addressOffset() + payloadOffset, staging.byteArray(), slotAddress(sender),
                (long) count * reduction.wireElementSize());
        receivedMask |= 1L << sender;
        received++;
        lastProgressNs = nowNs;
        return Action.CONTINUE;
    }

    private void combine() {
        Object stagingBase = staging.byteArray();
        reduction.decode(stagingBase, slotAddress(0), base, address, count);
        for (int r = 1; r < worldSize; r++) {
            reduction.accumulate(base, address, stagingBase, slotAddress(r), count);
        }
        reduction.finish(base, address, count, worldSize);
        combined = true;
    }

    @Override
    long wireBytes() {
        return (long) count * reduction.wireElementSize();
    }

    @Override
    boolean isComplete() {
        if (!combined && received == worldSize && isSendDone()) {
            combine();
        }
        return combined;
    }

    @Override
    String describeProgress() {
        return "sent to " + Long.bitCount(sentMask) + " of " + (worldSize - 1) + " peers, received from "
                + (received - 1) + " of " + (worldSize - 1) + " (missing ranks " + missingRanks() + ")";
    }

    private String missingRanks() {
        StringBuilder sb = new StringBuilder();
        for (int r = 0; r < worldSize; r++) {
            if ((receivedMask & (1L << r)) == 0) {
                sb.append(sb.length() == 0 ? "" : ", ").append(r);
            }
        }
        return sb.toString();
    }

    @Override
    String describe() {
        return kind().label() + " #" + id + " of " + count + " elements, " + reduction.describe();
    }
}
