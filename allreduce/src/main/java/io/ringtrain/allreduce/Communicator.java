package io.ringtrain.allreduce;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.agrona.MutableDirectBuffer;

/**
 * The collectives of one ring generation. Every method is asynchronous and returns at once; the data-plane
 * thread runs collectives one at a time in the order they were called, which must be the same order on every
 * rank. Buffers are worked on in place and must not be touched until the returned future completes.
 *
 * <p>A future fails with a {@link CollectiveException} within the collective timeout if a peer disappears or
 * stops reading; after one failure every later call on this communicator fails too (re-form the ring with a new
 * generation). Futures complete on the data-plane thread: attach only quick callbacks, or use the async variants
 * with your own executor.
 */
public final class Communicator implements AutoCloseable {
    private final DataPlane plane;
    private final DataPlaneAgent agent;
    private final RingState ring;
    private volatile boolean closed;

    Communicator(DataPlane plane, DataPlaneAgent agent, RingState ring) {
        this.plane = plane;
        this.agent = agent;
        this.ring = ring;
    }

    public int rank() {
        return ring.rank;
    }

    public int worldSize() {
        return ring.worldSize;
    }

    public int generation() {
        return ring.generation;
    }

    public List<String> endpoints() {
        return java.util.Arrays.stream(ring.endpoints).map(Endpoint::toString).toList();
    }

    public DataPlane dataPlane() {
        return plane;
    }

    /** How all-reduce runs on this ring: flat, or hierarchical with its hosts and ranks per host. */
    public String topology() {
        return ring.topology.describe();
    }

    /** In-place all-reduce of {@code count} elements starting at byte {@code offset}, elements on the wire as-is. */
    public CompletableFuture<Void> allReduce(MutableDirectBuffer buffer, int offset, int count, DataType type, ReduceOp op) {
        return allReduce(buffer, offset, count, type, op, WireCompression.NONE);
    }

    /**
     * In-place all-reduce. Every rank ends with bit-identical values.
     *
     * @param compression {@link WireCompression#BF16} halves the bytes sent for FLOAT32 buffers.
     */
    public CompletableFuture<Void> allReduce(MutableDirectBuffer buffer, int offset, int count, DataType type, ReduceOp op,
                                             WireCompression compression) {
        if (type == null || op == null || compression == null) {
            throw new IllegalArgumentException("type, op and compression are required");
        }
        if (compression == WireCompression.BF16 && type != DataType.FLOAT32) {
            throw new IllegalArgumentException("bf16 wire compression is for FLOAT32 buffers, not " + type);
        }
        checkRange(buffer, offset, count, type.size(), "all-reduce");
        if (count == 0 || ring.worldSize == 1) {
            return CompletableFuture.completedFuture(null);
        }
        return submit(ring.newAllReduce(buffer, offset, count, Reduction.of(type, op, compression)));
    }

    /** Copies {@code length} bytes at {@code offset} from {@code root}'s buffer into every other rank's. */
    public CompletableFuture<Void> broadcast(MutableDirectBuffer buffer, int offset, int length, int root) {
        if (root < 0 || root >= ring.worldSize) {
            throw new IllegalArgumentException("broadcast root " + root + " is outside a world of " + ring.worldSize);
        }
        checkRange(buffer, offset, length, 1, "broadcast");
        if (length == 0 || ring.worldSize == 1) {
            return CompletableFuture.completedFuture(null);
        }
        return submit(target(new RingBroadcast(buffer, offset, length, root, ring.flatView())));
    }

    /**
     * The buffer holds one block of {@code blockLength} bytes per rank, rank r's at {@code offset + r * blockLength};
     * afterwards every rank holds every block.
     */
    public CompletableFuture<Void> allGather(MutableDirectBuffer buffer, int offset, int blockLength) {
        long total = (long) blockLength * ring.worldSize;
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("all-gather of " + ring.worldSize + " blocks of " + blockLength
                    + " bytes exceeds 2 GiB");
        }
        checkRange(buffer, offset, (int) total, 1, "all-gather");
        if (blockLength == 0 || ring.worldSize == 1) {
            return CompletableFuture.completedFuture(null);
        }
        return submit(target(new RingAllGather(buffer, offset, blockLength, ring.flatView())));
    }

    /** Completes once every rank has called barrier. */
    public CompletableFuture<Void> barrier() {
        if (ring.worldSize == 1) {
            return CompletableFuture.completedFuture(null);
        }
        return submit(ring.newBarrier());
    }

    private CollectiveOp target(CollectiveOp op) {
        op.target = ring;
        return op;
    }

    private CompletableFuture<Void> submit(CollectiveOp op) {
        CollectiveFuture future = new CollectiveFuture(agent);
        op.future = future;
        CollectiveException failure = ring.failure();
        if (closed || failure != null) {
            // Refused here, at once: a caller must not wait for the data-plane thread to learn what is known.
            op.release();
            future.completeExceptionally(new CollectiveException.Closed("ring generation " + ring.generation
                    + " can no longer run collectives: " + (closed ? "the communicator was closed" : failure.getMessage()),
                    failure));
            return future;
        }
        agent.submit(op);
        return future;
    }

    private static void checkRange(MutableDirectBuffer buffer, int offset, int count, int elementSize, String what) {
        if (buffer == null) {
            throw new IllegalArgumentException(what + ": buffer is null");
        }
        long bytes = (long) count * elementSize;
        if (offset < 0 || count < 0 || offset + bytes > buffer.capacity()) {
            throw new IllegalArgumentException(what + " of " + count + " elements of " + elementSize + " bytes at offset "
                    + offset + " does not fit a buffer of " + buffer.capacity() + " bytes");
        }
    }

    /**
     * Ends this generation: the running collective and queued ones fail with {@link CollectiveException.Closed}
     * (a caller blocked on one is woken), and later calls fail at once. Any thread; returns without waiting.
     */
    @Override
    public void close() {
        closed = true;
        agent.execute(() -> agent.closeRing(ring, "closed by the caller"));
    }
}
