package io.ringtrain.worker.exchange;

import io.ringtrain.allreduce.CollectiveException;
import io.ringtrain.allreduce.Communicator;
import io.ringtrain.allreduce.DataType;
import io.ringtrain.allreduce.FusionBucket;
import io.ringtrain.allreduce.FusionContext;
import io.ringtrain.allreduce.FusionPlan;
import io.ringtrain.allreduce.ReduceOp;
import io.ringtrain.allreduce.TensorRange;
import io.ringtrain.worker.SessionFailure;
import io.ringtrain.worker.StepResult;
import io.ringtrain.worker.model.Arena;
import io.ringtrain.worker.model.ElementType;
import io.ringtrain.worker.model.TensorLayout;
import io.ringtrain.worker.train.GradientSink;
import io.ringtrain.worker.train.GradientSum;
import io.ringtrain.worker.train.Replica;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The one home of a data-parallel training step of one {@link Replica} over a ring: backward reports each gradient
 * as it becomes final to a {@link FusionPlan} over the replica's gradient arena, so bucket all-reduces (SUM, in
 * place, no copy) run while the rest of backward computes; then the step's loss sum, sample count and stop votes
 * are summed across ranks, and the replica divides by the global batch and steps its optimizer. Every rank ends
 * the step with bit-identical parameters, because the data plane gives every rank bit-identical sums.
 *
 * <p>A rank that wants the ring to stop at a step boundary (to let a worker join or leave) votes in that sum;
 * every rank learns the outcome from the same all-reduce, so all of them stop after the same step without a
 * round trip to the coordinator.
 *
 * <p>Blocking, and not thread-safe: one training thread per replica calls {@link #run}; waiting on the
 * all-reduces drives the data plane from that thread. A step fails with {@link SessionFailure.RingBroken} when a
 * collective fails (the replica's state is then that of the previous step, or of this one if its last
 * all-reduce had completed here), and with {@link SessionFailure.ModelFailed} when the model's code throws;
 * after either, re-form the ring and {@link #communicator(Communicator)} the new generation.
 */
public final class DataParallelStep {
    private final Replica replica;
    private final FusionPlan plan;
    private final GradientSink sink;
    private static final int LOSS_SUM = 0;
    private static final int SAMPLES = Double.BYTES;
    private static final int STOP_VOTES = 2 * Double.BYTES;
    /** [loss sum, samples, stop votes] of this rank, then of all ranks: a tiny float64 all-reduce per step. */
    private final UnsafeBuffer totals = new UnsafeBuffer(BufferUtil.allocateDirectAligned(3 * Double.BYTES, 64));
    private Communicator ring;
    /** Set when a step failed half-way: this rank's collectives may be out of step with its peers' on this ring. */
    private boolean needsNewRing;
    private long syntheticComputeNanos;

    /** Steps with default fusion settings (25 MiB buckets, no wire compression). */
    public DataParallelStep(Replica replica, Communicator ring) {
        this(replica, ring, new FusionContext().dataType(dataType(replica.state().gradients())));
    }

    /**
     * @param fusion bucket size and wire compression; its data type must be the replica's precision and its op SUM
     *               (ranks sum, then the replica divides by the global batch)
     */
    public DataParallelStep(Replica replica, Communicator ring, FusionContext fusion) {
        if (replica == null || fusion == null) {
            throw new IllegalArgumentException("a data-parallel step needs a replica and fusion settings");
        }
        Arena gradients = replica.state().gradients();
        DataType type = dataType(gradients);
        if (fusion.dataType() != type || fusion.reduceOp() != ReduceOp.SUM) {
            throw new IllegalArgumentException("fusion settings " + fusion + " do not fit this replica: its gradients are "
                    + type + " and are summed across ranks (then divided by the global batch), so set"
                    + " FusionContext.dataType(" + type + ") and reduceOp(SUM)");
        }
        this.replica = replica;
        // The arena outlives this view: the replica holds it, and this step holds the replica.
        UnsafeBuffer arena = new UnsafeBuffer(gradients.address(), Math.toIntExact(gradients.byteLength()));
        this.plan = new FusionPlan(arena, tensorRanges(gradients.layout()), fusion);
        // GradientSink's contract: ready() hands a bucket to the data-plane thread through its command queue
        // (a volatile write), which orders backward's writes to those bytes before the data plane reads them.
        this.sink = plan::ready;
        communicator(ring);
    }

    /**
     * Moves to another ring generation (after the ring re-formed): this rank's share of the global batch follows
     * the new rank and world size from the next step on; the bucket layout stays.
     */
    public void communicator(Communicator next) {
        if (next == null) {
            throw new IllegalArgumentException("communicator must not be null");
        }
        plan.communicator(next);
        replica.shard(next.rank(), next.worldSize());
        this.ring = next;
        this.needsNewRing = false;
    }

    public Communicator communicator() {
        return ring;
    }

    /**
     * Adds this much time to every step's compute, parked rather than spent (the core stays free): stands in for a
     * model larger than the one trained, for fault and scaling studies on a small machine. 0 (the default): none.
     */
    public void syntheticCompute(java.time.Duration perStep) {
        this.syntheticComputeNanos = perStep.toNanos();
    }

    public Replica replica() {
        return replica;
    }

    /** The gradient buckets, in the order they are all-reduced each step. */
    public List<FusionBucket> buckets() {
        return plan.buckets();
    }

    /** Bytes all-reduced per step: the gradient arena plus the 24-byte loss, sample and stop-vote totals. */
    public long bytesPerStep() {
        return plan.bytesPerStep() + totals.capacity();
    }

    /** Runs one step without asking the ring to stop; see {@link #run(boolean)}. */
    public StepResult run() {
        return run(false);
    }

    /**
     * Runs one step on this rank; every rank of the ring must call it for the same step.
     *
     * @param voteToStop ask every rank to stop after this step ({@link StepResult#stopAgreed()})
     * @throws SessionFailure.RingBroken  if a collective failed
     * @throws SessionFailure.ModelFailed if the model's gradient code threw; the parameters were not updated
     * @throws IllegalStateException      if the ranks' shares do not add up to the global batch (ranks disagree
     *                                    about the world size or the batch), or an earlier step failed on this ring
     */
    public StepResult run(boolean voteToStop) {
        if (needsNewRing) {
            throw new IllegalStateException("step " + replica.step() + " cannot run on ring generation " + ring.generation()
                    + ": an earlier step failed half-way, so this rank's collectives may no longer line up with its"
                    + " peers'; re-form the ring and call communicator(next) first");
        }
        needsNewRing = true;
        StepResult result = exchange(voteToStop);
        needsNewRing = false;
        return result;
    }

    private StepResult exchange(boolean voteToStop) {
        long step = replica.step();
        long start = System.nanoTime();
        GradientSum mine;
        try {
            parkFor(syntheticComputeNanos);
            mine = replica.computeGradientSum(sink);
        } catch (RuntimeException e) {
            throw new SessionFailure.ModelFailed("the model's gradient computation failed at step " + step + ": " + e, e);
        }
        long computed = System.nanoTime();

        CompletableFuture<Void> gradients = plan.finish();
        totals.putDouble(LOSS_SUM, mine.lossSum());
        totals.putDouble(SAMPLES, mine.samples());
        totals.putDouble(STOP_VOTES, voteToStop ? 1 : 0);
        // Submitted after the last bucket on every rank, so the collective order is the same everywhere.
        CompletableFuture<Void> sums = ring.allReduce(totals, 0, 3, DataType.FLOAT64, ReduceOp.SUM);
        await(gradients, step);
        await(sums, step);
        long reduced = System.nanoTime();

        double lossSum = totals.getDouble(LOSS_SUM);
        long samples = Math.round(totals.getDouble(SAMPLES));
        if (samples != replica.globalBatch()) {
            throw new IllegalStateException("step " + step + ": the ranks of ring generation " + ring.generation()
                    + " computed " + samples + " samples in total, but the global batch is " + replica.globalBatch()
                    + ": every rank must use the same global batch and its own rank and world size; parameters were"
                    + " not updated");
        }
        replica.applyGradientSum();
        long applied = System.nanoTime();
        return new StepResult(step, lossSum / samples, samples, mine.samples(), computed - start, reduced - computed,
                applied - reduced, totals.getDouble(STOP_VOTES) > 0);
    }

    private static void parkFor(long nanos) {
        long until = System.nanoTime() + nanos;
        for (long left = nanos; left > 0; left = until - System.nanoTime()) {
            java.util.concurrent.locks.LockSupport.parkNanos(left);
        }
    }

    private void await(CompletableFuture<Void> collective, long step) {
        try {
            collective.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof CollectiveException broken) {
                throw new SessionFailure.RingBroken("step " + step + " on ring generation " + ring.generation() + ": "
                        + broken.getMessage(), broken, broken instanceof CollectiveException.PeerLost lost ? lost.peerRank() : -1);
            }
            throw cause instanceof RuntimeException r ? r : e;
        }
    }

    private static List<TensorRange> tensorRanges(List<TensorLayout> layout) {
        return layout.stream()
                .map(t -> new TensorRange(t.name(), dataType(t.elementType()), t.byteOffset(), t.byteLength()))
                .toList();
    }

    private static DataType dataType(Arena gradients) {
        return dataType(gradients.floatType());
    }

    private static DataType dataType(ElementType type) {
        return switch (type) {
            case FLOAT32 -> DataType.FLOAT32;
            case FLOAT64 -> DataType.FLOAT64;
            case INT64 -> throw new IllegalArgumentException("gradients must be floating point, not " + type);
        };
    }
}
