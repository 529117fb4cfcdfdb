package io.ringtrain.worker.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ModelStateTest {
    private static final List<ParameterSpec> PARAMETERS = List.of(
            ParameterSpec.of("w1", Initializer.heNormal(), 3, 4),
            ParameterSpec.of("b1", Initializer.constant(0.5), 4),
            ParameterSpec.of("w2", Initializer.glorotUniform(), 4, 2));

    @Test
    void stateLayoutIsParametersThenSlotsThenCounters() {
        final ModelState state = ModelState.allocate(PARAMETERS, List.of("m", "v"), ElementType.FLOAT32);
        final List<String> names = state.state().layout().stream().map(TensorLayout::name).toList();
        assertEquals(List.of("w1", "b1", "w2",
                "optim/m/w1", "optim/m/b1", "optim/m/w2",
                "optim/v/w1", "optim/v/b1", "optim/v/w2",
                "optim/steps", "data/samples-consumed"), names);
        assertEquals((12 + 4 + 8) * 4, state.parameterBytes());
        assertEquals(state.parameterBytes(), state.gradients().byteLength());
        for (TensorLayout g : state.gradients().layout()) {
            assertEquals(state.state().tensor(g.name()), g, "gradient and parameter layouts must coincide");
        }
        assertEquals(state.parameterBytes(), state.state().tensor("optim/m/w1").byteOffset());
        assertEquals(2 * state.parameterBytes(), state.state().tensor("optim/v/w1").byteOffset());
    }

    @Test
    void initializationDependsOnSeedAndNameOnly() {
        final ModelState a = ModelState.allocate(PARAMETERS, List.of(), ElementType.FLOAT32);
        final ModelState b = ModelState.allocate(List.of(PARAMETERS.get(2), PARAMETERS.get(0)), List.of(), ElementType.FLOAT32);
        a.initialize(9);
        b.initialize(9);
        assertArrayEquals(a.parameter("w2").ravel().toFloatVector(), b.parameter("w2").ravel().toFloatVector());
        assertArrayEquals(a.parameter("w1").ravel().toFloatVector(), b.parameter("w1").ravel().toFloatVector());
        assertEquals(2.0, a.parameter("b1").sumNumber().doubleValue(), 1e-6);

        final ModelState c = ModelState.allocate(PARAMETERS, List.of(), ElementType.FLOAT32);
        c.initialize(10);
        assertFalse(java.util.Arrays.equals(a.parameter("w1").ravel().toFloatVector(), c.parameter("w1").ravel().toFloatVector()));
    }

    @Test
    void countersLiveInTheStateBytes() {
        final ModelState state = ModelState.allocate(PARAMETERS, List.of("velocity"), ElementType.FLOAT32);
        state.optimizerSteps(12345678901L);
        state.samplesConsumed(42);
        final int stepsOffset = (int) state.state().tensor(ModelState.OPTIMIZER_STEPS).byteOffset();
        assertEquals(0, stepsOffset % 8);
        assertEquals(12345678901L, state.state().bytes().getLong(stepsOffset));
        assertEquals(42, state.state().bytes().getLong((int) state.state().tensor(ModelState.SAMPLES_CONSUMED).byteOffset()));
    }

    @Test
    void badDeclarationsAreRejectedWithTheReason() {
        var e = assertThrows(IllegalArgumentException.class, () -> ModelState.allocate(
                List.of(PARAMETERS.get(0), PARAMETERS.get(0)), List.of(), ElementType.FLOAT32));
        assertTrue(e.getMessage().contains("'w1' is declared twice"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ParameterSpec.of("optim/m/w", Initializer.zeros(), 2));
        assertTrue(e.getMessage().contains("which name ringtrain's own state"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ParameterSpec.of("/w", Initializer.zeros(), 2));
        ParameterSpec.of("block0/attention/wq", Initializer.zeros(), 2); // SameDiff's name scopes
        assertThrows(IllegalArgumentException.class, () -> ParameterSpec.of("w", Initializer.zeros(), 2, 0));
    }
}
