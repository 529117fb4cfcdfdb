package io.ringtrain.worker.train;

import io.ringtrain.worker.data.Batch;
import io.ringtrain.worker.data.Dataset;
import io.ringtrain.worker.model.ParameterSpec;
import java.util.List;

/**
 * A model ringtrain can train: its parameters, its data, and a function that computes gradients for a batch.
 * Everything else belongs to the run: the optimizer ({@code --optimizer}, {@code --lr}, {@code -O optim.*}), ranks,
 * the ring, gradient all-reduce, averaging, checkpoints, resume. An implementation contains no networking or
 * cluster code, and no optimizer.
 *
 * <p>Most users do not implement this by hand: a SameDiff graph becomes a {@code Model} through
 * {@code io.ringtrain.worker.model.samediff.SameDiffModel}, which computes the gradients with ND4J's automatic
 * differentiation. Implement it directly for a model that computes its own gradients.
 *
 * <h2>Data-parallel semantics</h2>
 * <ul>
 *   <li>Every step consumes a fixed <b>global batch</b> of {@code B} samples. The samples of step
 *       {@code s} are the global positions {@code [s*B, (s+1)*B)} of the run's sample order: epoch
 *       {@code e} visits the {@link #trainingData()} in a permutation drawn from {@code (seed, e)},
 *       and a global batch may straddle two epochs. The order depends only on the seed, never on
 *       the number of workers.</li>
 *   <li>Rank {@code r} of {@code W} computes the contiguous part {@code [B*r/W, B*(r+1)/W)} of the
 *       global batch (integer division). The ranks' parts tile the global batch exactly for any
 *       {@code W}: {@code B} need not be divisible by {@code W}, parts may differ by one sample,
 *       and when {@code W > B} some ranks compute nothing in a step (they still take part in the
 *       all-reduce, contributing zeros; {@link #gradientSum} is not called for them).</li>
 *   <li>{@link #gradientSum} returns the <b>sum</b> over its batch of the per-sample loss gradients
 *       (not the mean). The worker sums these over all ranks and divides by {@code B}, then calls
 *       the optimizer. The update is therefore the mean gradient over the same {@code B} samples
 *       whatever {@code W} is, so a run's result does not depend on the number of workers, up to
 *       floating-point summation order. A model that returns the mean instead is caught at its
 *       first step (see {@link Replica}).</li>
 *   <li>All ranks start from the same parameters (each parameter drawn from
 *       {@code (seed, its name)}) and apply the same averaged gradient, so they stay identical.</li>
 * </ul>
 *
 * <p>One instance serves one model replica and is called from one thread at a time; it may keep
 * scratch buffers between calls.
 */
public interface Model {

    /**
     * The model's parameters in a fixed order. The order fixes the memory layout, the checkpoint
     * layout and the order of exported parameters; changing it makes old checkpoints unusable.
     */
    List<ParameterSpec> parameters();

    /** The training samples. Every worker must build the identical dataset (e.g. from the seed). */
    Dataset trainingData();

    /**
     * Computes this rank's share of a step: writes into {@code gradients} the <b>sum</b> over the
     * batch's samples of the gradient of each sample's loss with respect to each parameter, and
     * returns the summed loss. The gradient views are zero on entry; write them in place (for
     * example a gemm with the view as result), never replace them.
     *
     * <p>To let communication overlap the backward pass, call {@link Gradients#ready(String)} for
     * each parameter as soon as its gradient is final, in whatever order backward produces them.
     * Any parameter not reported by the time this method returns is reported then.
     *
     * @param parameters read-only views of the current parameters
     * @param batch      this rank's samples for the step (never empty)
     */
    double gradientSum(Parameters parameters, Batch batch, Gradients gradients);

    /** Held-out metrics for the run's summary; by default there are none. */
    default Evaluation evaluate(Parameters parameters) {
        return Evaluation.none();
    }
}
