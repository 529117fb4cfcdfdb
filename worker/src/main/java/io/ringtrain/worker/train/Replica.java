package io.ringtrain.worker.train;

import io.ringtrain.worker.data.Batch;
import io.ringtrain.worker.data.BatchSampler;
import io.ringtrain.worker.data.BatchShard;
import io.ringtrain.worker.data.DataPosition;
import io.ringtrain.worker.data.Dataset;
import io.ringtrain.worker.model.ElementType;
import io.ringtrain.worker.model.ModelState;
import io.ringtrain.worker.optim.Optimizer;
import java.util.Objects;

/**
 * One data-parallel copy of the model and the compute half of a training step; the worker
 * supplies the communication in between:
 * <pre>{@code
 * GradientSum mine = replica.computeGradientSum(sink);   // this rank's share of the global batch
 * ... all-reduce (sum) replica.state().gradients() in place across the ring ...
 * replica.applyGradientSum();                             // divide by B, optimizer step, advance data
 * }</pre>
 * The semantics are those documented on {@link Model}. Everything a run needs to continue
 * (parameters, optimizer slots, step count, data position) is in {@code state().state()}: write
 * those bytes into a fresh replica and it continues bit-identically.
 *
 * <p>Not thread-safe: one training thread drives it.
 */
public final class Replica {
    private final Model model;
    private final int globalBatch;
    private final ModelState state;
    private final Optimizer optimizer;
    private final Optimizer.Bound update;
    private final Parameters parameters;
    private final Gradients gradients;
    private final BatchSampler sampler;
    private final Dataset dataset;
    private final ElementType precision;
    private BatchShard shard;
    private Batch batch;
    /** Whether this replica's model was checked for summed gradients ({@link SumCheck}, once, at the first step). */
    private boolean sumsChecked;

    private Replica(Model model, Optimizer optimizer, long seed, int globalBatch, ElementType precision) {
        this.model = Objects.requireNonNull(model, "model");
        if (globalBatch < 1) {
            throw new IllegalArgumentException("global batch must be >= 1, was " + globalBatch);
        }
        this.globalBatch = globalBatch;
        this.precision = precision;
        this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
        this.dataset = Objects.requireNonNull(model.trainingData(), "model.trainingData()");
        this.state = ModelState.allocate(model.parameters(), optimizer.slotNames(), precision);
        this.state.initialize(seed);
        this.update = optimizer.bind(state.flatParameters(), state.flatGradients(), state.optimizerState(), true);
        this.parameters = new Parameters(state);
        this.gradients = new Gradients(state.gradients());
        this.sampler = new BatchSampler(dataset, seed);
        shard(0, 1);
    }

    /**
     * A float32 replica at step 0, parameters drawn from {@code seed}, as rank 0 of 1.
     *
     * @param optimizer the run's optimizer; its state lives in the replica's state arena
     */
    public static Replica create(Model model, Optimizer optimizer, long seed, int globalBatch) {
        return new Replica(model, optimizer, seed, globalBatch, ElementType.FLOAT32);
    }

    /**
     * As {@link #create(Model, Optimizer, long, int)} with a chosen precision (FLOAT64 for gradient checks), which
     * must be the one the model was built with ({@link ModelContext#precision()}).
     */
    public static Replica create(Model model, Optimizer optimizer, long seed, int globalBatch, ElementType precision) {
        return new Replica(model, optimizer, seed, globalBatch, precision);
    }

    /** Sets this replica's rank in a ring of {@code worldSize}; takes effect from the next step. */
    public void shard(int rank, int worldSize) {
        final BatchShard next = BatchShard.of(globalBatch, rank, worldSize);
        if (batch == null || batch.size() != next.size()) {
            batch = next.isEmpty() ? null
                    : Batch.allocate(next.size(), dataset.featureShape(), dataset.labelShape(), precision.nd4jType());
        }
        shard = next;
    }

    public BatchShard shard() {
        return shard;
    }

    /**
     * Zeroes the gradient arena and fills it with this rank's gradient sum for the next step
     * ({@link #step()}), reporting each tensor to {@code sink} as it becomes final. A rank with
     * an empty shard reports all (zero) tensors at once.
     *
     * <p>The first time (with at least two samples) it also checks that the model returns sums, not means
     * ({@link SumCheck}: the model runs once more on the two halves of the batch, before the step) and fails with
     * an {@link IllegalStateException} saying so.
     */
    public GradientSum computeGradientSum(GradientSink sink) {
        SumCheck check = null;
        if (batch != null) {
            sampler.fill(position(), shard, batch);
            if (!sumsChecked && batch.size() >= 2) {
                sumsChecked = true;
                check = SumCheck.halves(model, parameters, gradients, state.gradients(), dataset, batch).orElse(null);
            }
        }
        state.gradients().clear();
        gradients.begin(check == null ? sink : check.recording(sink, state.gradients()));
        double lossSum = 0;
        try {
            if (batch != null) {
                lossSum = model.gradientSum(parameters, batch, gradients);
            }
            gradients.finish();
        } finally {
            // After a failure the unreported gradients are garbage: they must never reach the sink.
            gradients.detach();
        }
        if (check != null) {
            check.verify(lossSum, batch.size());
        }
        return new GradientSum(lossSum, shard.size());
    }

    /**
     * Completes the step once the gradient arena holds the sum over all ranks: divides it by the
     * global batch, applies the optimizer, and advances the step count and data position.
     */
    public void applyGradientSum() {
        state.flatGradients().divi(globalBatch);
        final long step = state.optimizerSteps() + 1;
        update.step(step, position().epoch());
        state.optimizerSteps(step);
        state.samplesConsumed(Math.addExact(state.samplesConsumed(), globalBatch));
    }

    /** Completed steps (the index of the next step). */
    public long step() {
        return state.optimizerSteps();
    }

    public DataPosition position() {
        return DataPosition.at(state.samplesConsumed(), dataset.size());
    }

    public Evaluation evaluate() {
        return model.evaluate(parameters);
    }

    public ModelState state() {
        return state;
    }

    public Model model() {
        return model;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    public int globalBatch() {
        return globalBatch;
    }
}
