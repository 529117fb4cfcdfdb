package io.ringtrain.worker.model.builtin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.worker.model.ParameterSpec;
import io.ringtrain.worker.train.Model;
import io.ringtrain.worker.train.ModelContext;
import io.ringtrain.worker.train.ModelOptions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelRegistryTest {

    @Test
    void defaultModelIsTheDocumentedMlp() {
        final Model mlp = ModelRegistry.create(ModelRegistry.DEFAULT_MODEL, 1);
        assertEquals(List.of("w1", "b1", "w2", "b2", "w3", "b3"), mlp.parameters().stream().map(ParameterSpec::name).toList());
        assertEquals(6922, parameterCount(mlp));
    }

    @Test
    void runOptionsSizeTheModelAndOptionsNobodyReadsAreRefusedByName() {
        final ModelOptions options = ModelOptions.of(Map.of("hidden", "8", "inputs", "4", "classes", "3"));
        final Model mlp = ModelRegistry.create("mlp", ModelContext.of(1, options));
        assertEquals(4 * 8 + 8 + 8 * 3 + 3, parameterCount(mlp));
        options.requireAllRead("model mlp");

        final ModelOptions typo = ModelOptions.of(Map.of("hiden", "8"));
        ModelRegistry.create("mlp", ModelContext.of(1, typo));
        final var e = assertThrows(IllegalArgumentException.class, () -> typo.requireAllRead("model mlp"));
        assertTrue(e.getMessage().contains("-O {hiden=8}: not an option of model mlp"), e.getMessage());
        assertTrue(e.getMessage().contains("hidden"), "the message lists the options that exist: " + e.getMessage());

        final var bad = assertThrows(IllegalArgumentException.class, () -> ModelRegistry.create("mlp",
                ModelContext.of(1, ModelOptions.of(Map.of("hidden", "64,x")))));
        assertTrue(bad.getMessage().contains("option hidden=x is not a whole number"), bad.getMessage());
    }

    @Test
    void unknownModelNameListsTheKnownModels() {
        final var e = assertThrows(IllegalArgumentException.class, () -> ModelRegistry.create("resnet", 1));
        assertTrue(e.getMessage().contains("unknown model 'resnet'"), e.getMessage());
        // The test class path adds a user model through ModelProvider; the message lists every known one.
        assertTrue(e.getMessage().contains("known models: [cnn, dl4j-graph-test, dl4j-test, gpt, linear-test, mlp, samediff-test]"), e.getMessage());
    }

    private static long parameterCount(Model model) {
        return model.parameters().stream().mapToLong(ParameterSpec::elementCount).sum();
    }
}
