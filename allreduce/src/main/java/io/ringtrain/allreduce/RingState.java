package io.ringtrain.allreduce;

import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.logbuffer.BufferClaim;
import io.aeron.logbuffer.ControlledFragmentHandler.Action;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.ManyToManyConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One ring generation as the data-plane thread sees it: the publications to its peers, the queue of collectives
 * submitted by callers, the one running now, and the failure that ended it, if any. Collectives run strictly
 * in submission order, which is how every rank agrees on collective ids without talking about them.
 */
final class RingState {
    final DataPlaneContext ctx;
    final int generation;
    final int rank;
    final int worldSize;
    final Endpoint[] endpoints;
    /** The generation's secret: stamped on every frame sent, required of every frame received. */
    final RunToken token;
    final Topology topology;
    final RingFormation formation;
    /** Idle all-reduce ops kept per kind: enough for the buckets of a large model's step. */
    private static final int OP_POOL = 256;

    private final long tokenValue;
    private final ExclusivePublication[] publications;
    private final BufferClaim claim = new BufferClaim();
    private final FrameHeader writer = new FrameHeader();
    private final ArrayDeque<CollectiveOp> pending = new ArrayDeque<>();
    private final long timeoutNs;
    private final UnsafeBuffer staging;
    private final int stagingSlotLength;

    /**
     * All-reduce ops waiting for reuse: taken by callers, given back on this thread once an op has completed.
     * A training step then allocates only the futures it hands out.
     */
    private final ManyToManyConcurrentArrayQueue<RingAllReduce> idleRingOps = new ManyToManyConcurrentArrayQueue<>(OP_POOL);
    private final ManyToManyConcurrentArrayQueue<DirectAllReduce> idleDirectOps = new ManyToManyConcurrentArrayQueue<>(OP_POOL);
    private final ManyToManyConcurrentArrayQueue<HierarchicalAllReduce> idleHierarchicalOps =
            new ManyToManyConcurrentArrayQueue<>(OP_POOL);
    private final RingView flatView;
    private final RingView hostView;
    private final RingView crossHostView;
    /** The four bytes every barrier reduces; their value is never read, so concurrent barriers may share them. */
    private final UnsafeBuffer barrierBuffer = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(Float.BYTES));

    private CollectiveOp active;
    private long nextCollectiveId = 1;
    /** Written on this thread; read by callers so that a broken or closed ring refuses work at once. */
    private volatile CollectiveException failure;

    RingState(DataPlaneContext ctx, int generation, int rank, Endpoint[] endpoints, RunToken token, Topology topology,
              ExclusivePublication[] publications, long nowNs) {
        this.ctx = ctx;
        this.generation = generation;
        this.rank = rank;
        this.worldSize = endpoints.length;
        this.endpoints = endpoints;
        this.token = token;
        this.tokenValue = token.value();
        this.topology = topology;
        this.publications = publications;
        int[] flat = topology.flatRing();
        this.flatView = new RingView(flat, rank, payloadFor(flat), publications[topology.flatSuccessor(rank)]);
        if (topology.hierarchical) {
            int[] host = topology.hostRing(rank);
            int[] across = topology.crossHostRing(rank);
            this.hostView = new RingView(host, rank, payloadFor(host), publications[topology.hostSuccessor(rank)]);
            this.crossHostView = new RingView(across, rank, payloadFor(across), publications[topology.crossHostSuccessor(rank)]);
        } else {
            this.hostView = null;
            this.crossHostView = null;
        }
        this.timeoutNs = ctx.collectiveTimeout().toNanos();
        this.stagingSlotLength = (directPathEnabled() ? ctx.directPayloadLimit() + 63 : 0) & ~63;
        this.staging = stagingSlotLength == 0 ? null
                : new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(stagingSlotLength * worldSize));
        this.formation = new RingFormation(this, nowNs);
    }

    /** Small all-reduces go straight to every peer when enabled and the world is small enough to track in a mask. */
    boolean directPathEnabled() {
        return ctx.directPathEnabled(worldSize);
    }

    /** Frames on an all-IPC ring may be as large as IPC allows; any UDP link limits the whole ring to the network MTU. */
    private int payloadFor(int[] members) {
        return topology.allIpc(members) ? ctx.maxIpcPayloadLength() : ctx.maxPayloadLength();
    }

    RingView flatView() {
        return flatView;
    }

    int successorRank() {
        return (rank + 1) % worldSize;
    }

    int predecessorRank() {
        return (rank - 1 + worldSize) % worldSize;
    }

    ExclusivePublication publicationTo(int peer) {
        return publications[peer];
    }

    ExclusivePublication[] publications() {
        return publications;
    }

    boolean isFormed() {
        return formation.isComplete();
    }

    /** A collective of at most this many bytes waits on single frames; bigger ones keep a pipeline full. */
    static final long LATENCY_BOUND_BYTES = 256 << 10;

    /** A collective is running or waiting, or the ring is still forming. */
    boolean hasWork() {
        return !formation.isComplete() || active != null || !pending.isEmpty();
    }

    boolean isLatencyBound() {
        if (!formation.isComplete()) {
            return true;
        }
        CollectiveOp op = active != null ? active : pending.peekFirst();
        return op != null && op.wireBytes() <= LATENCY_BOUND_BYTES;
    }

    // Collectives ------------------------------------------------------------------------------------------------

    /**
     * Chooses the algorithm for an all-reduce of this size (every rank chooses the same way) and takes an idle op
     * for it. Any thread.
     */
    CollectiveOp newAllReduce(MutableDirectBuffer buffer, int offset, int count, Reduction reduction) {
        long wireBytes = (long) count * reduction.wireElementSize();
        CollectiveOp op;
        boolean oneHop = ctx.takesDirectPath(worldSize, wireBytes);
        if (topology.hierarchical && !oneHop) {
            HierarchicalAllReduce h = idleHierarchicalOps.poll();
            if (h == null) {
                h = new HierarchicalAllReduce(buffer, offset, count, reduction, hostView, crossHostView, worldSize);
            } else {
                h.rebind(buffer, offset, count, reduction);
            }
            op = h;
        } else if (oneHop) {
            DirectAllReduce direct = idleDirectOps.poll();
            if (direct == null) {
                direct = new DirectAllReduce(buffer, offset, count, reduction, rank, worldSize, staging, stagingSlotLength);
            } else {
                direct.rebind(buffer, offset, count, reduction);
            }
            op = direct;
        } else {
            RingAllReduce ringOp = idleRingOps.poll();
            if (ringOp == null) {
                ringOp = new RingAllReduce(buffer, offset, count, reduction, flatView);
            } else {
                ringOp.rebind(buffer, offset, count, reduction);
            }
            op = ringOp;
        }
        op.target = this;
        return op;
    }

    CollectiveOp newBarrier() {
        return newAllReduce(barrierBuffer, 0, 1, Reduction.of(DataType.FLOAT32, ReduceOp.SUM, WireCompression.NONE));
    }

    /** The failure that ended this ring, or null while it is usable. Any thread. */
    CollectiveException failure() {
        return failure;
    }

    void submit(CollectiveOp op) {
        if (failure != null) {
            refuse(op);
            return;
        }
        pending.addLast(op);
    }

    private void refuse(CollectiveOp op) {
        CollectiveException cause = failure;
        finish(op, new CollectiveException.Closed(
                "ring generation " + generation + " can no longer run collectives: " + cause.getMessage(), cause));
    }

    /** Completes an op's future, after handing the op back for reuse (callbacks may start the next one). */
    private static void finish(CollectiveOp op, Throwable error) {
        CompletableFuture<Void> future = op.future;
        op.release();
        RingState owner = op.target;
        if (op instanceof RingAllReduce r) {
            owner.idleRingOps.offer(r);
        } else if (op instanceof DirectAllReduce d) {
            owner.idleDirectOps.offer(d);
        } else if (op instanceof HierarchicalAllReduce h) {
            owner.idleHierarchicalOps.offer(h);
        }
        if (error == null) {
            future.complete(null);
        } else {
            future.completeExceptionally(error);
        }
    }

    int doWork(long nowNs) {
        if (!formation.isComplete()) {
            return formation.doWork(nowNs);
        }
        if (failure != null) {
            return 0;
        }
        int work = 0;
        try {
            if (active == null) {
                active = pending.pollFirst();
                if (active == null) {
                    return 0;
                }
                active.start(this, nextCollectiveId++, nowNs);
                work++;
            }
            work += active.doWork(nowNs);
            if (active.isComplete()) {
                CollectiveOp done = active;
                active = null;
                finish(done, null);
                return work + 1;
            }
            checkLiveness(nowNs);
        } catch (CollectiveException e) {
            fail(e);
        }
        return work;
    }

    private void checkLiveness(long nowNs) {
        for (int peer = 0; peer < worldSize; peer++) {
            if (topology.ringLink(rank, peer) && !publications[peer].isConnected()) {
                throw peerLost(peer, "the publication to it is no longer connected");
            }
        }
        if (nowNs - active.lastProgressNs > timeoutNs) {
            throw new CollectiveException.Timeout("rank " + rank + ": " + active.describe() + " in ring generation "
                    + generation + " made no progress for " + ctx.collectiveTimeout().toMillis() + " ms ("
                    + active.describeProgress() + "); predecessor rank " + predecessorRank() + " at "
                    + endpoints[predecessorRank()] + ", successor rank " + successorRank() + " at "
                    + endpoints[successorRank()] + ". A peer is stuck, not reading, or gone.");
        }
    }

    /** A frame of this generation arrived. */
    Action onData(FrameHeader header, DirectBuffer frame, int payloadOffset, long nowNs) {
        if (failure != null) {
            return Action.CONTINUE;
        }
        long id = header.collectiveId();
        CollectiveOp op = active;
        if (op == null || id > op.id) {
            // The sender is ahead of us: keep its frame in the term buffer until we start that collective.
            return Action.ABORT;
        }
        if (id < op.id) {
            fail(mismatch(op, "a frame of an earlier collective arrived late: " + FrameText.of(header)));
            return Action.CONTINUE;
        }
        try {
            return op.onFrame(header, frame, payloadOffset, nowNs);
        } catch (CollectiveException e) {
            fail(e);
            return Action.CONTINUE;
        }
    }

    /**
     * Claims space for one frame in the successor's term buffer and writes its header; returns the payload's
     * address for the caller to fill, then {@link #commitClaim()}, or -1 when back-pressured.
     */
    long claimFrame(ExclusivePublication publication, int peer, CollectiveKind kind, Reduction reduction, long id, int step,
                    int first, int count, int total) {
        int payloadLength = count * reduction.wireElementSize();
        long result = publication.tryClaim(FrameHeader.LENGTH + payloadLength, claim);
        if (result > 0) {
            MutableDirectBuffer termBuffer = claim.buffer();
            int offset = claim.offset();
            writer.wrap(termBuffer, offset).write(generation, rank, FrameHeader.TYPE_DATA, reduction.descriptor(kind), id,
                    step, first, count, total);
            return termBuffer.addressOffset() + offset + FrameHeader.LENGTH;
        }
        if (result == Publication.BACK_PRESSURED || result == Publication.ADMIN_ACTION) {
            return -1;
        }
        throw peerLost(peer, "sending to it failed: " + Publication.errorString(result));
    }

    /** The base object of the claimed term buffer (null: term buffers are mapped files). */
    Object claimBase() {
        return claim.buffer().byteArray();
    }

    void commitClaim() {
        claim.reservedValue(tokenValue).commit();
    }

    /** Writes one frame straight into the publication's term buffer; false when back-pressured. */
    boolean sendFrame(ExclusivePublication publication, int peer, CollectiveKind kind, Reduction reduction, long id,
                      int step, int first, int count, int total, Object srcBase, long srcAddress, boolean alreadyEncoded) {
        int payloadLength = count * reduction.wireElementSize();
        long result = publication.tryClaim(FrameHeader.LENGTH + payloadLength, claim);
        if (result > 0) {
            MutableDirectBuffer termBuffer = claim.buffer();
            int offset = claim.offset();
            writer.wrap(termBuffer, offset).write(generation, rank, FrameHeader.TYPE_DATA, reduction.descriptor(kind), id,
                    step, first, count, total);
            long payload = termBuffer.addressOffset() + offset + FrameHeader.LENGTH;
            if (alreadyEncoded) {
                ElementKernels.copy(srcBase, srcAddress, termBuffer.byteArray(), payload, payloadLength);
            } else {
                reduction.encode(srcBase, srcAddress, termBuffer.byteArray(), payload, count);
            }
            claim.reservedValue(tokenValue).commit();
            return true;
        }
        if (result == Publication.BACK_PRESSURED || result == Publication.ADMIN_ACTION) {
            return false;
        }
        throw peerLost(peer, "sending to it failed: " + Publication.errorString(result));
    }

    CollectiveException.PeerLost peerLost(int peer, String why) {
        return new CollectiveException.PeerLost(peer, "rank " + rank + " lost rank " + peer + " at " + endpoints[peer]
                + " in ring generation " + generation + ": " + why
                + (active != null ? " (during " + active.describe() + ")" : ""));
    }

    CollectiveException.Mismatch mismatch(CollectiveOp op, String detail) {
        return new CollectiveException.Mismatch("rank " + rank + ", " + op.describe() + " in ring generation " + generation
                + ": " + detail + ". Every rank must call the same collectives, in the same order, with the same sizes,"
                + " types and ops.");
    }

    /** The image of a peer went away (its process died or it closed its end). */
    void onPeerImageLost(int peer) {
        if (failure == null && formation.isComplete()) {
            fail(peerLost(peer, "its frames stopped arriving (image lost)"));
        }
    }

    void fail(CollectiveException e) {
        if (failure != null) {
            return;
        }
        failure = e;
        if (active != null) {
            CollectiveOp failed = active;
            active = null;
            finish(failed, e);
        }
        CollectiveOp op;
        while ((op = pending.pollFirst()) != null) {
            finish(op, new CollectiveException.Closed(
                    "not run: an earlier collective in ring generation " + generation + " failed: " + e.getMessage(), e));
        }
    }

    /** Ends this generation: fails whatever is still queued and closes the publications (which then drain). */
    void close(String reason) {
        fail(new CollectiveException.Closed("ring generation " + generation + " closed: " + reason, null));
        formation.abandon(reason);
        for (ExclusivePublication publication : publications) {
            if (publication != null) {
                publication.close();
            }
        }
    }
}
