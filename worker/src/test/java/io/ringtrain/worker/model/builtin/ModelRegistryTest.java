package io.ringtrain.worker.model.builtin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.worker.model.ParameterSpec;
import io.ringtrain.worker.optim.Optimizer;
import io.ringtrain.worker.train.TrainingLoop;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelRegistryTest {

    @Test
    void defaultModelIsTheDocumentedMlp() {
        final TrainingLoop mlp = ModelRegistry.create(ModelRegistry.DEFAULT_MODEL, 1);
        assertEquals(List.of("w1", "b1", "w2", "b2", "w3", "b3"), mlp.parameters().stream().map(ParameterSpec::name).toList());
        assertEquals(6922, mlp.parameters().stream().mapToLong(ParameterSpec::elementCount).sum());
        assertEquals("adam", mlp.optimizer().name());
        assertEquals("sgd", ModelRegistry.create("mlp", 1, Optimizer.byName("sgd")).optimizer().name());
    }

    @Test
    void unknownModelNameListsTheKnownModels() {
        final var e = assertThrows(IllegalArgumentException.class, () -> ModelRegistry.create("resnet", 1));
        assertTrue(e.getMessage().contains("unknown model 'resnet'"), e.getMessage());
        // The test class path adds a user model through ModelProvider; the message lists every known one.
        assertTrue(e.getMessage().contains("known models: [linear-test, mlp]"), e.getMessage());
    }
}
