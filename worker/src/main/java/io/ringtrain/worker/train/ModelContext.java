package io.ringtrain.worker.train;

import io.ringtrain.worker.model.ElementType;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * What {@link ModelProvider#create} gets to build a model: the same on every worker of a run, so every worker builds
 * the same model and data.
 *
 * @param seed      the run's seed ({@code --seed}): generate data from it; parameters are drawn from it by ringtrain
 * @param options   the run's {@code -O key=value} options (sizes, sequence length, ...); read them with defaults
 * @param precision the element type the model's parameters, gradients and batches have: FLOAT32 for training,
 *                  FLOAT64 for gradient checks. A SameDiff graph must use {@link #dataType()} for its variables and
 *                  placeholders.
 */
public record ModelContext(long seed, ModelOptions options, ElementType precision) {

    public ModelContext {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(precision, "precision");
        if (precision == ElementType.INT64) {
            throw new IllegalArgumentException("a model's precision is FLOAT32 or FLOAT64, not " + precision);
        }
    }

    /** Float32, no options: a model's defaults. */
    public static ModelContext of(long seed) {
        return new ModelContext(seed, ModelOptions.none(), ElementType.FLOAT32);
    }

    public static ModelContext of(long seed, ModelOptions options) {
        return new ModelContext(seed, options, ElementType.FLOAT32);
    }

    public ModelContext withPrecision(ElementType other) {
        return new ModelContext(seed, options, other);
    }

    /** {@link #precision()} as ND4J's data type. */
    public DataType dataType() {
        return precision.nd4jType();
    }
}
