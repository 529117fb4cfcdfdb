package io.ringtrain.allreduce;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Tensor fusion for tensors that live in separate memory (Horovod's fusion buffer): each added tensor is copied
 * into an off-heap bucket; a bucket's all-reduce starts as soon as the next tensor would not fit, and
 * {@link #flush()} sends the rest, waits, and copies the results back into each tensor's memory. A tensor larger
 * than a bucket skips the copy and is reduced in place. When tensors already share one contiguous buffer, use
 * {@link FusionPlan}, which needs no copies at all.
 *
 * <p>Every rank must add the same tensors (sizes and order) between flushes. Bucket buffers are allocated on
 * first use and reused by later steps, so a steady training loop allocates none after its first step; they
 * hold about as many bytes as one step's tensors. Not thread-safe.
 */
public final class PackedFusion {
    private static final int ALIGNMENT = 64;

    private final long bucketBytes;
    private final FusionContext ctx;
    private final DataType type;
    private final List<UnsafeBuffer> bucketPool = new ArrayList<>();
    private Communicator ring;

    private UnsafeBuffer current;
    private int currentFill;
    private int bucketsUsed;
    private CompletableFuture<?>[] inFlight = new CompletableFuture<?>[4];
    private int submitted;

    // One entry per packed tensor, for scattering results back; arrays grow and are reused.
    private MutableDirectBuffer[] targets = new MutableDirectBuffer[16];
    private int[] targetOffsets = new int[16];
    private int[] lengths = new int[16];
    private UnsafeBuffer[] sources = new UnsafeBuffer[16];
    private int[] sourceOffsets = new int[16];
    private int packed;

    public PackedFusion(Communicator ring, FusionContext ctx) {
        if (ctx == null) {
            throw new IllegalArgumentException("packed fusion needs a FusionContext");
        }
        this.ctx = ctx.conclude();
        this.bucketBytes = ctx.bucketBytes();
        this.type = ctx.dataType();
        communicator(ring);
    }

    /** Points at a ring (e.g. a new generation); anything added but not flushed is dropped. */
    public PackedFusion communicator(Communicator ring) {
        if (ring == null) {
            throw new IllegalArgumentException("communicator must not be null");
        }
        this.ring = ring;
        reset();
        return this;
    }

    public Communicator communicator() {
        return ring;
    }

    /** Buckets (and oversized tensors) handed to the data plane since the last flush. */
    public int bucketsSubmitted() {
        return submitted;
    }

    /**
     * Adds {@code count} elements at byte {@code byteOffset} of {@code buffer}. Their memory must stay untouched
     * until {@link #flush()} returns, which writes the results into it.
     */
    public void add(String name, MutableDirectBuffer buffer, int byteOffset, int count) {
        if (name == null || buffer == null) {
            throw new IllegalArgumentException("a tensor needs a name and a buffer; got " + name + ", " + buffer);
        }
        long bytes = (long) count * type.size();
        if (byteOffset < 0 || count < 0 || byteOffset + bytes > buffer.capacity()) {
            throw new IllegalArgumentException("tensor '" + name + "': " + count + " " + type + " elements at byte offset "
                    + byteOffset + " do not fit its buffer of " + buffer.capacity() + " bytes (offset and count must not"
                    + " be negative)");
        }
        if (bytes == 0) {
            return;
        }
        if (bytes > bucketBytes) {
            submitCurrentBucket(); // keeps submission in add() order on every rank
            submit(ring.allReduce(buffer, byteOffset, count, type, ctx.reduceOp(), ctx.wireCompression()));
            return;
        }
        if (!ctx.fits(currentFill, bytes)) {
            submitCurrentBucket();
        }
        if (current == null) {
            current = bucket(bucketsUsed++);
        }
        current.putBytes(currentFill, buffer, byteOffset, (int) bytes);
        remember(buffer, byteOffset, (int) bytes, current, currentFill);
        currentFill += (int) bytes;
        if (currentFill == bucketBytes) {
            submitCurrentBucket();
        }
    }

    /**
     * Submits the last bucket, waits for every all-reduce since the last flush, and writes the results back into
     * each tensor's memory. Afterwards the next step can add tensors.
     *
     * @throws CollectiveException if an all-reduce failed; the tensors that were packed then keep their own
     *                             values (oversized ones, reduced in place, are undefined)
     */
    public void flush() {
        submitCurrentBucket();
        CompletableFuture<Void> all = new BucketsFuture(Arrays.copyOf(inFlight, submitted));
        try {
            all.join();
            for (int i = 0; i < packed; i++) {
                targets[i].putBytes(targetOffsets[i], sources[i], sourceOffsets[i], lengths[i]);
            }
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        } finally {
            reset();
        }
    }

    private void submitCurrentBucket() {
        if (current != null && currentFill > 0) {
            submit(ring.allReduce(current, 0, currentFill / type.size(), type, ctx.reduceOp(), ctx.wireCompression()));
        }
        current = null;
        currentFill = 0;
    }

    private void submit(CompletableFuture<Void> future) {
        if (submitted == inFlight.length) {
            inFlight = Arrays.copyOf(inFlight, submitted * 2);
        }
        inFlight[submitted++] = future;
    }

    private UnsafeBuffer bucket(int index) {
        if (index == bucketPool.size()) {
            bucketPool.add(new UnsafeBuffer(BufferUtil.allocateDirectAligned((int) bucketBytes, ALIGNMENT)));
        }
        return bucketPool.get(index);
    }

    private void remember(MutableDirectBuffer target, int targetOffset, int length, UnsafeBuffer source, int sourceOffset) {
        if (packed == targets.length) {
            int grown = packed * 2;
            targets = Arrays.copyOf(targets, grown);
            targetOffsets = Arrays.copyOf(targetOffsets, grown);
            lengths = Arrays.copyOf(lengths, grown);
            sources = Arrays.copyOf(sources, grown);
            sourceOffsets = Arrays.copyOf(sourceOffsets, grown);
        }
        targets[packed] = target;
        targetOffsets[packed] = targetOffset;
        lengths[packed] = length;
        sources[packed] = source;
        sourceOffsets[packed] = sourceOffset;
        packed++;
    }

    private void reset() {
        Arrays.fill(targets, 0, packed, null); // let the caller's buffers go
        Arrays.fill(inFlight, 0, submitted, null);
        packed = 0;
        submitted = 0;
        bucketsUsed = 0;
        current = null;
        currentFill = 0;
    }
}
