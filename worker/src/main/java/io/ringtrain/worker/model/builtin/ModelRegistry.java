package io.ringtrain.worker.model.builtin;

import io.ringtrain.worker.optim.Optimizer;
import io.ringtrain.worker.train.ModelProvider;
import io.ringtrain.worker.train.TrainingLoop;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.function.BiFunction;

/**
 * The models ringtrain can train, by the name the CLI's {@code --model} takes: the built-in ones and every
 * {@link ModelProvider} on the class path.
 */
public final class ModelRegistry {
    /** The model {@code ringtrain local} trains when none is named. */
    public static final String DEFAULT_MODEL = "mlp";

    private static final Map<String, BiFunction<Long, Optimizer, TrainingLoop>> BUILT_IN = Map.of(
            "mlp", (seed, optimizer) -> {
                final MlpClassifier.Config defaults = MlpClassifier.Config.defaults(seed);
                return new MlpClassifier(optimizer == null ? defaults : defaults.withOptimizer(optimizer));
            });

    private ModelRegistry() {
    }

    public static List<String> names() {
        return List.copyOf(models().keySet());
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

    private static Map<String, BiFunction<Long, Optimizer, TrainingLoop>> models() {
        Map<String, BiFunction<Long, Optimizer, TrainingLoop>> all = new TreeMap<>(BUILT_IN);
        for (ModelProvider provider : ServiceLoader.load(ModelProvider.class)) {
            BiFunction<Long, Optimizer, TrainingLoop> previous = all.putIfAbsent(provider.name(), (seed, optimizer) ->
                    provider.create(seed, optimizer == null ? Optimizer.byName("adam") : optimizer));
            if (previous != null) {
                throw new IllegalStateException("two models are called '" + provider.name() + "' ("
                        + provider.getClass().getName() + " and another): model names must be unique");
            }
        }
        return all;
    }

    private static BiFunction<Long, Optimizer, TrainingLoop> lookup(String name) {
        final BiFunction<Long, Optimizer, TrainingLoop> factory = name == null ? null : models().get(name);
        if (factory == null) {
            throw new IllegalArgumentException("unknown model '" + name + "'; known models: " + names());
        }
        return factory;
    }
}
