package io.ringtrain.worker.train;

import io.ringtrain.worker.data.Batch;
import io.ringtrain.worker.data.Dataset;
import io.ringtrain.worker.model.Arena;
import io.ringtrain.worker.model.ElementType;
import io.ringtrain.worker.model.TensorLayout;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime guard for {@link Model}'s sum semantics, run once at a replica's first step: a model that returns the
 * mean gradient over its batch (the usual convention elsewhere) instead of the sum would train W times slower on W
 * workers, silently. Per-sample gradients add up, so the gradient of a batch must equal the sum of its two halves'.
 *
 * <p>Cost: the model is run on the two halves of the first batch (one extra batch of compute, once); the real step's
 * gradients are sampled (at most {@link #SAMPLES} elements) as each is reported ready, before the data plane reads
 * them, so the step itself is not repeated and nothing is copied in full.
 *
 * <p>Models whose per-sample gradients do not add up (batch statistics, dropout) cannot be judged this way: the
 * check then only logs that it could not tell.
 */
final class SumCheck {
    private static final Logger LOG = LoggerFactory.getLogger(SumCheck.class);
    static final int SAMPLES = 4096;
    /** Relative misfit above which the gradients are not additive over samples at all: no verdict. */
    private static final double NOT_ADDITIVE = 0.05;
    /** Relative distance from 1 within which the scale is a sum (float32 rounding is ~1e-6 of it). */
    private static final double TOLERANCE = 0.01;

    private final long[] sampled;
    private final double[] halves;
    private final double[] whole;
    private final double halvesLoss;
    private final ElementType type;

    private SumCheck(long[] sampled, double[] halves, double halvesLoss, ElementType type) {
        this.sampled = sampled;
        this.halves = halves;
        this.whole = new double[sampled.length];
        this.halvesLoss = halvesLoss;
        this.type = type;
    }

    /**
     * Runs the model on the two halves of {@code batch} (at least 2 rows) and keeps the sum of their gradients at the
     * sampled elements. Leaves the gradient arena to be cleared by the caller. Empty when the model failed on a half:
     * then the real step shows that failure as it would without the check.
     */
    static Optional<SumCheck> halves(Model model, Parameters parameters, Gradients gradients, Arena arena, Dataset dataset,
                           Batch batch) {
        long elements = arena.byteLength() / arena.floatType().byteSize();
        long stride = Math.max(1, elements / SAMPLES);
        long[] sampled = new long[(int) Math.min(SAMPLES, (elements + stride - 1) / stride)];
        for (int i = 0; i < sampled.length; i++) {
            sampled[i] = i * stride;
        }
        int half = batch.size() / 2;
        long[] rows = new long[batch.size()];
        for (int r = 0; r < rows.length; r++) {
            rows[r] = batch.sampleIndex(r);
        }
        double[] sum = new double[sampled.length];
        double loss = 0;
        for (long[] part : new long[][] {Arrays.copyOfRange(rows, 0, half), Arrays.copyOfRange(rows, half, rows.length)}) {
            arena.clear();
            gradients.begin(GradientSink.NONE);
            try {
                loss += model.gradientSum(parameters, Batch.of(dataset, part, batch.features().dataType()), gradients);
                gradients.finish();
            } catch (RuntimeException e) {
                LOG.debug("no sum check: the model failed on half a batch", e);
                return Optional.empty();
            } finally {
                gradients.detach();
            }
            ByteBuffer bytes = arena.bytes();
            for (int i = 0; i < sampled.length; i++) {
                sum[i] += read(bytes, sampled[i], arena.floatType());
            }
        }
        return Optional.of(new SumCheck(sampled, sum, loss, arena.floatType()));
    }

    /** A sink that samples each gradient as it is reported (when it is final), then hands the report on. */
    GradientSink recording(GradientSink next, Arena arena) {
        ByteBuffer bytes = arena.bytes();
        return tensorIndex -> {
            TensorLayout t = arena.layout().get(tensorIndex);
            long from = t.byteOffset() / type.byteSize();
            long to = from + t.elementCount();
            int first = Arrays.binarySearch(sampled, from);
            for (int i = first < 0 ? -first - 1 : first; i < sampled.length && sampled[i] < to; i++) {
                whole[i] = read(bytes, sampled[i], type);
            }
            next.ready(tensorIndex);
        };
    }

    /**
     * Compares the whole batch's gradient and loss with the halves' sums.
     *
     * @throws IllegalStateException when they scale like a mean (or another constant), saying what to fix
     */
    void verify(double wholeLoss, int batchSize) {
        double dot = 0;
        double halvesNorm = 0;
        double wholeNorm = 0;
        for (int i = 0; i < sampled.length; i++) {
            dot += whole[i] * halves[i];
            halvesNorm += halves[i] * halves[i];
            wholeNorm += whole[i] * whole[i];
        }
        if (halvesNorm == 0 || wholeNorm == 0) {
            return;
        }
        double scale = dot / halvesNorm;
        double misfit = 0;
        for (int i = 0; i < sampled.length; i++) {
            double d = whole[i] - scale * halves[i];
            misfit += d * d;
        }
        misfit = Math.sqrt(misfit / wholeNorm);
        if (misfit > NOT_ADDITIVE) {
            LOG.warn("could not check that the model returns summed gradients: its gradients for a batch of {} are not the"
                    + " sum of its halves' in any proportion (misfit {}); batch statistics or randomness in the model?",
                    batchSize, String.format(Locale.ROOT, "%.3f", misfit));
            return;
        }
        if (Math.abs(scale - 1) > TOLERANCE) {
            throw new IllegalStateException(String.format(Locale.ROOT, "the model's gradient for a batch of %d samples is"
                    + " %.3f times the sum of the gradients for its two halves; it must be 1: Model.gradientSum must write"
                    + " the SUM over the batch of the per-sample gradients%s (ringtrain divides by the global batch"
                    + " itself, so that the update does not depend on the number of workers)", batchSize, scale,
                    Math.abs(scale - 0.5) < TOLERANCE ? ", not their mean" : ""));
        }
        double lossScale = wholeLoss / halvesLoss;
        if (halvesLoss != 0 && Math.abs(lossScale - 1) > TOLERANCE) {
            throw new IllegalStateException(String.format(Locale.ROOT, "the model's loss for a batch of %d samples is %.3f"
                    + " times the sum of its two halves' losses; it must be 1: Model.gradientSum must return the SUM of the"
                    + " per-sample losses%s", batchSize, lossScale, Math.abs(lossScale - 0.5) < TOLERANCE ? ", not their mean" : ""));
        }
        LOG.debug("the model returns summed gradients (scale {})", scale);
    }

    private static double read(ByteBuffer bytes, long element, ElementType type) {
        return type == ElementType.FLOAT64 ? bytes.getDouble(Math.toIntExact(element * 8))
                : bytes.getFloat(Math.toIntExact(element * 4));
    }
}
