package io.ringtrain.allreduce;

import io.aeron.logbuffer.ControlledFragmentHandler.Action;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The streaming engine behind every ring collective. The buffer is cut into segments and each segment into
 * chunks of at most one frame. A rank sends (step k, chunk c) only after it has received (step k-1, chunk c),
 * because what it sends at step k is the segment it just received and reduced at step k-1. The destination
 * buffer is therefore the only staging area: frames are reduced straight from Aeron's term buffer into it and
 * forwarded straight out of it, and sub-chunks pipeline across the ring without further copies.
 *
 * <p>Subclasses describe the schedule (which steps send and receive which segment, and whether a received
 * chunk is reduced or copied); this class moves the chunks.
 */
abstract class RingPipeline extends CollectiveOp {
    final RingView view;
    /** Position in the view and its size: what the schedule calls rank and world. */
    final int rank;
    final int worldSize;
    Reduction reduction;
    int count;
    int chunkElements;
    /** Added to every step on the wire, so the phases of one collective (hierarchical all-reduce) cannot be confused. */
    int stepBase;
    /** What AVG divides by when a segment is finished: the whole world's size, also on a sub-ring. */
    int finishDivisor;

    private int sendStep;
    private int sendChunk;
    private int recvStep;
    private int recvChunk;

    RingPipeline(MutableDirectBuffer buffer, int offset, int count, Reduction reduction, RingView view) {
        super(buffer, offset);
        this.view = view;
        this.rank = view.position;
        this.worldSize = view.size;
        rebind(buffer, offset, count, reduction);
    }

    /** Points a recycled op at its next collective. */
    final void rebind(MutableDirectBuffer buffer, int offset, int count, Reduction reduction) {
        bind(buffer, offset);
        this.count = count;
        this.reduction = reduction;
        this.chunkElements = view.maxPayloadLength / reduction.wireElementSize();
        this.stepBase = 0;
        this.finishDivisor = view.size;
    }

    // Schedule: by default every rank sends and receives from step 0, round the ring (step k sends segment
    // (rank-k) mod W and receives (rank-k-1) mod W), and received chunks overwrite the local ones. -----------

    int firstSendStep() {
        return 0;
    }

    abstract int endSendStep();

    int firstRecvStep() {
        return 0;
    }

    abstract int endRecvStep();

    int sendSegment(int step) {
        return Math.floorMod(rank - step, worldSize);
    }

    int recvSegment(int step) {
        return Math.floorMod(rank - step - 1, worldSize);
    }

    abstract int segmentStart(int segment);

    abstract int segmentEnd(int segment);

    /** True when chunks received at this step are combined with the local ones, false when they overwrite. */
    boolean reducesAt(int step) {
        return false;
    }

    /** True when a chunk received at this step is complete: apply {@link Reduction#finish} before sending it on. */
    boolean finishesAt(int step) {
        return false;
    }

    /** The (global) rank every frame comes from: the predecessor in the view. */
    final int sourceRank() {
        return view.predecessorRank();
    }

    // Engine ------------------------------------------------------------------------------------------------------

    @Override
    void start(RingState ring, long id, long nowNs) {
        super.start(ring, id, nowNs);
        sendStep = firstSendStep();
        sendChunk = 0;
        recvStep = firstRecvStep();
        recvChunk = 0;
        normaliseSendCursor();
        normaliseRecvCursor();
    }

    private int chunks(int segment) {
        int elements = segmentEnd(segment) - segmentStart(segment);
        return (elements + chunkElements - 1) / chunkElements;
    }

    private void normaliseSendCursor() {
        while (sendStep < endSendStep() && sendChunk >= chunks(sendSegment(sendStep))) {
            sendStep++;
            sendChunk = 0;
        }
    }

    private void normaliseRecvCursor() {
        while (recvStep < endRecvStep() && recvChunk >= chunks(recvSegment(recvStep))) {
            recvStep++;
            recvChunk = 0;
        }
    }

    private boolean sendAllowed(int step, int chunk) {
        int needed = step - 1;
        if (needed < firstRecvStep() || needed >= endRecvStep()) {
            return true;
        }
        return recvStep > needed || (recvStep == needed && recvChunk > chunk);
    }

    @Override
    int doWork(long nowNs) {
        int work = 0;
        while (sendStep < endSendStep() && sendAllowed(sendStep, sendChunk)) {
            if (!trySendChunk(sendStep, sendChunk)) {
                break;
            }
            work++;
            lastProgressNs = nowNs;
            advanceSend();
        }
        return work;
    }

    private boolean trySendChunk(int step, int chunk) {
        int segment = sendSegment(step);
        int first = segmentStart(segment) + chunk * chunkElements;
        int n = Math.min(chunkElements, segmentEnd(segment) - first);
        return ring.sendFrame(view.successor, view.successorRank(), kind(), reduction, id, stepBase + step, first, n, count,
                base, address + (long) first * reduction.elementSize(), false);
    }

    @Override
    Action onFrame(FrameHeader header, DirectBuffer frame, int payloadOffset, long nowNs) {
        if (recvStep >= endRecvStep()) {
            throw ring.mismatch(this, "received a frame after the collective was complete: " + FrameText.of(header));
        }
        int segment = recvSegment(recvStep);
        int first = segmentStart(segment) + recvChunk * chunkElements;
        int n = Math.min(chunkElements, segmentEnd(segment) - first);
        if (header.sender() != sourceRank() || header.step() != stepBase + recvStep || header.elementOffset() != first
                || header.count() != n || header.totalCount() != count || header.descriptor() != reduction.descriptor(kind())) {
            throw ring.mismatch(this, "expected step " + (stepBase + recvStep) + " offset " + first + " count " + n + " of " + count
                    + " from rank " + sourceRank() + ", got " + FrameText.of(header));
        }
        long dst = address + (long) first * reduction.elementSize();
        Object src = frame.byteArray();
        long srcAddr = frame.addressOffset() + payloadOffset;
        int step = recvStep;
        boolean inStep = sendStep == step + 1 && sendChunk == recvChunk && sendStep < endSendStep();
        if (!(inStep && tryReceiveAndForward(step, first, n, dst, src, srcAddr))) {
            receive(step, n, dst, src, srcAddr);
            if (inStep && trySendChunk(sendStep, sendChunk)) {
                advanceSend();
            }
        }
        recvChunk++;
        normaliseRecvCursor();
        lastProgressNs = nowNs;
        return Action.CONTINUE;
    }

    private void receive(int step, int n, long dst, Object src, long srcAddr) {
        if (reducesAt(step)) {
            reduction.accumulate(base, dst, src, srcAddr, n);
        } else {
            reduction.decode(src, srcAddr, base, dst, n);
        }
        if (finishesAt(step)) {
            reduction.finish(base, dst, n, finishDivisor);
        }
    }

    /**
     * Receives a chunk and forwards it in one pass over memory, while the chunk is in cache: partial sums go
     * straight from (local + received) into the outgoing frame, finished sums are stored then encoded, and
     * finished chunks being passed round are forwarded as the wire bytes they arrived in.
     */
    private boolean tryReceiveAndForward(int step, int first, int n, long dst, Object src, long srcAddr) {
        boolean reduces = reducesAt(step);
        if (reduces && !reduction.canAccumulateTo()) {
            return false;
        }
        long out = ring.claimFrame(view.successor, view.successorRank(), kind(), reduction, id, stepBase + step + 1, first, n,
                count);
        if (out < 0) {
            return false;
        }
        Object outBase = ring.claimBase();
        if (reduces && !finishesAt(step)) {
            reduction.accumulateTo(base, dst, src, srcAddr, outBase, out, n);
        } else if (reduces) {
            reduction.accumulate(base, dst, src, srcAddr, n);
            reduction.finish(base, dst, n, finishDivisor);
            reduction.encode(base, dst, outBase, out, n);
        } else {
            reduction.decode(src, srcAddr, base, dst, n);
            ElementKernels.copy(src, srcAddr, outBase, out, (long) n * reduction.wireElementSize());
        }
        ring.commitClaim();
        advanceSend();
        return true;
    }

    private void advanceSend() {
        sendChunk++;
        normaliseSendCursor();
    }

    @Override
    long wireBytes() {
        return (long) count * reduction.wireElementSize();
    }

    @Override
    boolean isComplete() {
        return sendStep >= endSendStep() && recvStep >= endRecvStep();
    }

    @Override
    String describeProgress() {
        return "sent up to step " + sendStep + " chunk " + sendChunk + " (of " + endSendStep() + " steps), received up to step "
                + recvStep + " chunk " + recvChunk + " (of " + endRecvStep() + " steps)";
    }

    @Override
    String describe() {
        return kind().label() + " #" + id + " of " + count + (reduction == Reduction.BYTES ? " bytes" : " elements, " + reduction.describe());
    }
}
