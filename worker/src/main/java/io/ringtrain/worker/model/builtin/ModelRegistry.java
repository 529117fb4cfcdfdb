package io.ringtrain.worker.model.builtin;

import io.ringtrain.worker.optim.Optimizer;
import io.ringtrain.worker.train.TrainingLoop;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/** The models that ship with ringtrain, by the name the CLI's {@code --model} takes. */
public final class ModelRegistry {
    /** The model {@code ringtrain local} trains when none is named. */
    public static final String DEFAULT_MODEL = "mlp";

    private static final Map<String, BiFunction<Long, Optimizer, TrainingLoop>> MODELS = Map.of(
            "mlp", (seed, optimizer) -> {
                final MlpClassifier.Config defaults = MlpClassifier.Config.defaults(seed);
                return new MlpClassifier(optimizer == null ? defaults : defaults.withOptimizer(optimizer));
            });

    private ModelRegistry() {
    }

    public static List<String> names() {
        return MODELS.keySet().stream().sorted().toList();
    }

    /** The named model with its default optimizer. */
    public static TrainingLoop create(String name, long seed) {
        return lookup(name).apply(seed, null);
    }

    /** The named model trained with {@code optimizer} (see {@link Optimizer#byName(String)}). */
    public static TrainingLoop create(String name, long seed, Optimizer optimizer) {
        if (optimizer == null) {
            throw new IllegalArgumentException("optimizer must not be null; use create(name, seed) for the default");
        }
        return lookup(name).apply(seed, optimizer);
    }

    private static BiFunction<Long, Optimizer, TrainingLoop> lookup(String name) {
        final BiFunction<Long, Optimizer, TrainingLoop> factory = name == null ? null : MODELS.get(name);
        if (factory == null) {
            throw new IllegalArgumentException("unknown model '" + name + "'; known models: " + names());
        }
        return factory;
    }
}
