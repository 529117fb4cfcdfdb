package io.ringtrain.allreduce;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.agrona.MutableDirectBuffer;

/**
 * Tensor fusion over one contiguous buffer (typically a model's gradient arena), with no packing copy: tensors
 * that lie back to back form buckets ({@link FusionBucket}, at most {@link FusionContext#bucketBytes()} each),
 * and each bucket is all-reduced in place as soon as it may start, so communication overlaps the rest of the
 * backward pass. The layout is computed once; the plan is then reused every step:
 *
 * <pre>{@code
 * FusionPlan plan = new FusionPlan(gradients, tensorRanges, new FusionContext()).communicator(ring);
 * // each step, while backward runs:
 * plan.ready(tensorIndex);                 // once per tensor, in any order
 * plan.finish().join();                    // the buffer now holds the reduced values
 * }</pre>
 *
 * <p>Not thread-safe: one thread (the training thread) reports tensors and finishes steps. The buffer must not
 * be written from a tensor's {@link #ready} until the step's {@link #finish()} future completes.
 */
public final class FusionPlan {
    private final MutableDirectBuffer buffer;
    private final List<TensorRange> tensors;
    private final List<FusionBucket> buckets;
    private final DataType type;
    private final ReduceOp op;
    private final WireCompression compression;
    private final int[] bucketOfTensor;
    private final boolean[] reported;
    private final int[] unreported;
    private final CompletableFuture<?>[] inFlight;
    private Communicator ring;
    private int submitted;

    /**
     * @param buffer  the memory the tensors live in, reduced in place
     * @param tensors every tensor, in model order (the index {@link #ready} takes); all of the context's type,
     *                within the buffer, not overlapping
     * @throws IllegalArgumentException naming the tensor that is out of range, overlaps another, or has the
     *                                  wrong type, or the setting that is invalid
     */
    public FusionPlan(MutableDirectBuffer buffer, List<TensorRange> tensors, FusionContext ctx) {
        if (buffer == null || ctx == null) {
            throw new IllegalArgumentException("a fusion plan needs a buffer and a FusionContext");
        }
        ctx.conclude();
        this.buffer = buffer;
        this.tensors = List.copyOf(tensors);
        this.buckets = BucketLayout.of(this.tensors, buffer.capacity(), ctx);
        this.type = ctx.dataType();
        this.op = ctx.reduceOp();
        this.compression = ctx.wireCompression();
        this.bucketOfTensor = new int[this.tensors.size()];
        this.unreported = new int[buckets.size()];
        for (FusionBucket b : buckets) {
            Arrays.fill(bucketOfTensor, b.firstTensor(), b.lastTensor() + 1, b.index());
        }
        this.reported = new boolean[this.tensors.size()];
        this.inFlight = new CompletableFuture<?>[buckets.size()];
        resetStep();
    }

    /**
     * Points the plan at a ring (for example a new generation after the ring re-formed), keeping the layout.
     * Also forgets the current step's reports: a step interrupted by a failure starts over on the new ring.
     */
    public FusionPlan communicator(Communicator ring) {
        if (ring == null) {
            throw new IllegalArgumentException("communicator must not be null");
        }
        this.ring = ring;
        resetStep();
        return this;
    }

    public Communicator communicator() {
        return ring;
    }

    /** The buckets, in the order they are all-reduced (bucket 0 holds the last tensors). */
    public List<FusionBucket> buckets() {
        return buckets;
    }

    public List<TensorRange> tensors() {
        return tensors;
    }

    /** Bytes all-reduced per step: the sum of the buckets' lengths. */
    public long bytesPerStep() {
        long total = 0;
        for (FusionBucket b : buckets) {
            total += b.byteLength();
        }
        return total;
    }

    /** Buckets of the current step already handed to the data plane. */
    public int bucketsSubmitted() {
        return submitted;
    }

    /**
     * Reports that tensor {@code tensorIndex} is final for this step; submits its bucket's all-reduce if that
     * was the bucket's last tensor and every earlier bucket is already submitted.
     *
     * @throws IllegalStateException if the tensor was already reported this step, or no communicator is set
     */
    public void ready(int tensorIndex) {
        if (tensorIndex < 0 || tensorIndex >= reported.length) {
            throw new IndexOutOfBoundsException("tensor index " + tensorIndex + " is outside this plan's "
                    + reported.length + " tensors");
        }
        if (reported[tensorIndex]) {
            throw new IllegalStateException("tensor #" + tensorIndex + " " + tensors.get(tensorIndex)
                    + " was reported ready twice in one step");
        }
        requireCommunicator();
        reported[tensorIndex] = true;
        unreported[bucketOfTensor[tensorIndex]]--;
        submitReadyBuckets();
    }

    /**
     * Submits every bucket not yet submitted (tensors not reported count as ready) and starts the next step.
     *
     * @return completes when every bucket of this step is reduced, or fails with the {@link CollectiveException}
     *         that stopped the first failing one. Blocking on it drives the data plane from the calling thread.
     */
    public CompletableFuture<Void> finish() {
        requireCommunicator();
        Arrays.fill(unreported, 0);
        submitReadyBuckets();
        CompletableFuture<Void> step = new BucketsFuture(inFlight.clone());
        resetStep();
        return step;
    }

    /*
     * Why a bucket waits for every earlier bucket even when its own tensors are all ready: ranks match
     * collectives by their position in the call sequence, not by name. Backward may report tensors in a
     * different order on different ranks (a model with data-dependent control flow, threads in a kernel,
     * a rank with no samples reporting everything at once), so submitting buckets as they complete would
     * let rank 0 start bucket 2 while rank 1 starts bucket 0: the ring would pair unrelated bytes, failing
     * with a Mismatch when the sizes differ and silently summing the wrong tensors when they do not.
     * Submitting strictly in bucket order makes the sequence 0, 1, 2, ... on every rank; readiness decides
     * only when, never which.
     */
    private void submitReadyBuckets() {
        while (submitted < buckets.size() && unreported[submitted] == 0) {
            FusionBucket b = buckets.get(submitted);
            inFlight[submitted] = ring.allReduce(buffer, b.byteOffset(), b.byteLength() / type.size(), type, op,
                    compression);
            submitted++;
        }
    }

    private void resetStep() {
        Arrays.fill(reported, false);
        for (FusionBucket b : buckets) {
            unreported[b.index()] = b.tensorCount();
        }
        Arrays.fill(inFlight, null);
        submitted = 0;
    }

    private void requireCommunicator() {
        if (ring == null) {
            throw new IllegalStateException("this fusion plan has no communicator: call communicator(ring) first");
        }
    }

    @Override
    public String toString() {
        return "FusionPlan[" + tensors.size() + " tensors in " + buckets.size() + " buckets, "
                + Sizes.format(bytesPerStep()) + " per step, " + type + " " + op + "]";
    }
}
