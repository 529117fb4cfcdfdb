package io.ringtrain.worker.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ringtrain.checkpoint.StateLayout;
import io.ringtrain.protocol.common.Dtype;
import io.ringtrain.protocol.common.TensorSpec;
import io.ringtrain.worker.model.builtin.ModelRegistry;
import io.ringtrain.worker.optim.Optimizers;
import io.ringtrain.worker.train.ModelContext;
import io.ringtrain.worker.train.ModelOptions;
import io.ringtrain.worker.train.Replica;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Checkpoints written by ringtrain's own optimizers, before ND4J's: Adam's restore (same layout, same meaning), SGD's
 * are refused saying why. The old layouts are spelled out here as that code wrote them.
 */
class CheckpointCompatibilityTest {
    private static final Map<String, long[]> PARAMETERS = new java.util.LinkedHashMap<>(Map.of());

    static {
        // An even number of float32 elements: the old code could not checkpoint odd ones (the 8-byte counters
        // were padded in memory but not in the checkpoint layout).
        PARAMETERS.put("w1", new long[] {2, 4});
        PARAMETERS.put("b1", new long[] {4});
        PARAMETERS.put("w2", new long[] {4, 2});
        PARAMETERS.put("b2", new long[] {2});
    }

    @Test
    void aCheckpointOfRingtrainsOwnAdamFitsNd4jsAdam() {
        assertEquals(Optional.empty(), StateCheckpoints.whyNotRestorable(oldLayout("m", "v"), layoutWith("adam")));
    }

    @Test
    void aCheckpointOfRingtrainsOwnSgdIsRefusedSayingWhyAndWhatToDo() {
        Optional<String> why = StateCheckpoints.whyNotRestorable(oldLayout("velocity"), layoutWith("sgd"));
        assertTrue(why.isPresent());
        assertTrue(why.get().contains("ringtrain's own SGD with heavy-ball momentum (state optim/velocity/*)"), why.get());
        assertTrue(why.get().contains("start a new run (--run-id)"), why.get());
    }

    @Test
    void aStateWithAnOddNumberOfFloatsIsPaddedSoThatCheckpointsCanHoldIt() {
        ModelOptions odd = ModelOptions.of(Map.of("inputs", "2", "hidden", "3", "classes", "2")); // 17 parameters
        Replica replica = Replica.create(ModelRegistry.create("mlp", ModelContext.of(1, odd)), Optimizers.byName("adam"), 1, 4);
        StateLayout layout = StateCheckpoints.layoutOf(replica.state().state()); // threw before the padding tensor
        assertEquals("pad/int64-alignment", layout.tensors().get(12).getSpec().getName());
    }

    @Test
    void anyOtherDifferenceNamesTheFirstTensorThatDiffers() {
        Optional<String> why = StateCheckpoints.whyNotRestorable(oldLayout("m", "v"), layoutWith("rmsprop"));
        assertTrue(why.orElseThrow().contains("differs at tensor #4: optim/m/w1 DTYPE_FLOAT32[2, 4] in the checkpoint,"
                + " optim/g/w1 DTYPE_FLOAT32[2, 4] here"), why.get());
    }

    private static StateLayout layoutWith(String optimizer) {
        ModelOptions sizes = ModelOptions.of(Map.of("inputs", "2", "hidden", "4", "classes", "2"));
        Replica replica = Replica.create(ModelRegistry.create("mlp", ModelContext.of(1, sizes)), Optimizers.byName(optimizer), 1, 4);
        return StateCheckpoints.layoutOf(replica.state().state());
    }

    /** Parameters, then each slot's copy of them, then the step count and data position (INT64). */
    private static StateLayout oldLayout(String... slots) {
        List<TensorSpec> specs = new ArrayList<>();
        PARAMETERS.forEach((name, shape) -> specs.add(spec(name, Dtype.DTYPE_FLOAT32, shape)));
        for (String slot : slots) {
            PARAMETERS.forEach((name, shape) -> specs.add(spec("optim/" + slot + "/" + name, Dtype.DTYPE_FLOAT32, shape)));
        }
        specs.add(spec("optim/steps", Dtype.DTYPE_INT64));
        specs.add(spec("data/samples-consumed", Dtype.DTYPE_INT64));
        return StateLayout.of(specs);
    }

    private static TensorSpec spec(String name, Dtype dtype, long... shape) {
        TensorSpec.Builder b = TensorSpec.newBuilder().setName(name).setDtype(dtype);
        for (long d : shape) {
            b.addShape(d);
        }
        return b.build();
    }
}
