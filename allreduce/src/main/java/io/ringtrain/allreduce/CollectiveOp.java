package io.ringtrain.allreduce;

import io.aeron.logbuffer.ControlledFragmentHandler.Action;
import java.util.concurrent.CompletableFuture;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * One collective as the data-plane thread runs it: a send side driven by {@link #doWork}, a receive side fed
 * frame by frame through {@link #onFrame}. Everything here runs on the data-plane thread only, except
 * {@link #target} and the fields set before the op is queued. All-reduce ops are recycled by their ring (see
 * {@link RingState#newAllReduce}) so that a training step allocates nothing but the futures it is handed.
 */
abstract class CollectiveOp {
    /** Set by the communicator before the op is queued; completed on whichever thread drives the duty cycle. */
    CompletableFuture<Void> future;
    /** The ring the op was created for; it runs there or fails if that ring has ended. */
    RingState target;
    MutableDirectBuffer buffer;
    Object base;
    long address;

    RingState ring;
    long id;
    long lastProgressNs;

    CollectiveOp(MutableDirectBuffer buffer, int offset) {
        bind(buffer, offset);
    }

    final void bind(MutableDirectBuffer buffer, int offset) {
        this.buffer = buffer;
        this.base = buffer == null ? null : buffer.byteArray();
        this.address = buffer == null ? 0 : buffer.addressOffset() + offset;
    }

    /** Forgets the caller's buffer and future, so a recycled op holds on to nothing of theirs. */
    void release() {
        bind(null, 0);
        future = null;
        ring = null;
    }

    /** Binds the op to its ring and id; it may send from now on. */
    void start(RingState ring, long id, long nowNs) {
        this.ring = ring;
        this.id = id;
        this.lastProgressNs = nowNs;
    }

    abstract CollectiveKind kind();

    /** Bytes of the whole buffer on the wire. */
    abstract long wireBytes();

    /** Sends what may be sent now; returns the work done (0 when blocked or finished). */
    abstract int doWork(long nowNs);

    /**
     * A frame of this collective (same generation and id) arrived. Returns CONTINUE once consumed, or ABORT to
     * leave it in the term buffer for later (e.g. the sender is ahead of us).
     */
    abstract Action onFrame(FrameHeader header, DirectBuffer frame, int payloadOffset, long nowNs);

    abstract boolean isComplete();

    /** What the op is waiting for, for timeout messages. */
    abstract String describeProgress();

    abstract String describe();
}
