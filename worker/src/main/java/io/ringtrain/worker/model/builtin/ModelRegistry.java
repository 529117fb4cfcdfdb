package io.ringtrain.worker.model.builtin;

import io.ringtrain.worker.train.Model;
import io.ringtrain.worker.train.ModelContext;
import io.ringtrain.worker.train.ModelProvider;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.function.Function;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The models ringtrain can train, by the name the CLI's {@code --model} takes: the built-in ones and every
 * {@link ModelProvider} on the class path.
 */
public final class ModelRegistry {
    /** The model {@code ringtrain local} trains when none is named. */
    public static final String DEFAULT_MODEL = "mlp";

    /**
     * A built-in model: {@code config} reads and checks every option the model has, cheaply (no parameters, no
     * data), so the CLI can refuse a bad option before starting workers; {@code factory} builds the model.
     */
    private record BuiltIn(Function<ModelContext, ?> config, Function<ModelContext, Model> factory) {
    }

    private static final Map<String, BuiltIn> BUILT_IN = Map.of(
            "mlp", new BuiltIn(MlpClassifier.Config::from, context -> new MlpClassifier(MlpClassifier.Config.from(context))),
            "cnn", new BuiltIn(ConvClassifier.Config::from, ConvClassifier::create),
            "gpt", new BuiltIn(TransformerLanguageModel.Config::from, TransformerLanguageModel::create));

    private ModelRegistry() {
    }

    public static List<String> names() {
        return List.copyOf(models().keySet());
    }

    /**
     * The named model built from {@code context} (seed, {@code -O} options, precision). ND4J's random generator of
     * this thread is seeded with the run's seed first, so a graph whose variables draw their initial values from it
     * (SameDiff's weight-init schemes) gets the same values on every worker.
     */
    public static Model create(String name, ModelContext context) {
        Function<ModelContext, Model> factory = lookup(name);
        Nd4j.getRandom().setSeed(context.seed());
        return factory.apply(context);
    }

    /** The named model with its default options, in float32. */
    public static Model create(String name, long seed) {
        return create(name, ModelContext.of(seed));
    }

    /**
     * Reads and checks the named model's options without building it, where that is possible: for built-in models.
     *
     * @return whether the model's options were read (false for a user's {@link ModelProvider}, whose options only
     *         its {@code create} knows)
     * @throws IllegalArgumentException for an option with a bad value, or an unknown model
     */
    public static boolean readOptions(String name, ModelContext context) {
        lookup(name);
        BuiltIn builtIn = BUILT_IN.get(name);
        if (builtIn == null) {
            return false;
        }
        builtIn.config().apply(context);
        return true;
    }

    private static Function<ModelContext, Model> lookup(String name) {
        final Function<ModelContext, Model> factory = name == null ? null : models().get(name);
        if (factory == null) {
            throw new IllegalArgumentException("unknown model '" + name + "'; known models: " + names());
        }
        return factory;
    }

    private static Map<String, Function<ModelContext, Model>> models() {
        Map<String, Function<ModelContext, Model>> all = new TreeMap<>();
        BUILT_IN.forEach((name, builtIn) -> all.put(name, builtIn.factory()));
        for (ModelProvider provider : ServiceLoader.load(ModelProvider.class)) {
            Function<ModelContext, Model> previous = all.putIfAbsent(provider.name(), provider::create);
            if (previous != null) {
                throw new IllegalStateException("two models are called '" + provider.name() + "' ("
                        + provider.getClass().getName() + " and another): model names must be unique");
            }
        }
        return all;
    }
}
